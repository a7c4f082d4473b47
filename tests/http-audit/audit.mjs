// Runs the GraphQL-over-HTTP audits of the graphql-http package against the
// server at GRAPHQL_URL. Every MUST has to pass; SHOULDs that do not are
// listed, and the README says why each one is skipped.
import { serverAudits } from 'graphql-http';

const url = process.env.GRAPHQL_URL ?? 'http://127.0.0.1:8000/graphql';
const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ name: audit.name, ...result });
}

const failed = results.filter((r) => r.status === 'error');
const warned = results.filter((r) => r.status === 'warn');
for (const r of warned) console.log(`SHOULD not met: ${r.name}\n  ${r.reason}`);
for (const r of failed) console.log(`MUST failed: ${r.name}\n  ${r.reason}`);
console.log(
  `graphql-http audit: ${results.length - failed.length - warned.length} passed, ` +
    `${failed.length} MUST failed, ${warned.length} SHOULD not met`,
);
process.exit(failed.length === 0 ? 0 : 1);
