// GraphiQL as a person uses it, in headless Chromium, with every request to a
// host other than this machine blocked: the page must render, sign in as the
// demo account, and read the home feed with the token sent from the Headers
// tab, all from the server's own files.
//
// Run by run.sh, which starts the server and passes its address in
// INSTANEXT_URL; SCREENSHOT_PATH says where the final screenshot goes.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

const BASE_URL = process.env.INSTANEXT_URL;
const SCREENSHOT_PATH =
  process.env.SCREENSHOT_PATH ?? join(tmpdir(), `instanext-graphiql-${process.pid}.png`);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Loopback only: anything else would mean the page reaches for the internet.
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
// Served from memory by the browser; never a network request.
const INLINE_SCHEMES = new Set(["data:", "blob:", "about:"]);

let userDataDir;
let context;
let page;
const blocked = [];
const pageErrors = [];

function isLocal(url) {
  const parsed = new URL(url);
  return INLINE_SCHEMES.has(parsed.protocol) || LOCAL_HOSTS.has(parsed.hostname);
}

before(async () => {
  assert.ok(BASE_URL, "set INSTANEXT_URL to the server's address, e.g. http://127.0.0.1:8000");

  userDataDir = await mkdtemp(join(tmpdir(), "instanext-chromium-"));
  // A persistent context, because Playwright refuses --user-data-dir in args;
  // the directory is new, so nothing is cached or stored from an earlier run.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageErrors.push(error.message));
});

after(async () => {
  // Taken here, so that a failed run leaves a picture of the page too.
  if (page) {
    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT_PATH}`);
  }
  if (blocked.length > 0) {
    console.log(`blocked requests: ${blocked.join(" ")}`);
  }
  await context?.close();
  if (userDataDir) {
    await rm(userDataDir, { recursive: true, force: true });
  }
});

/** The answer in the result pane, parsed, once the pane shows `expected`. */
async function resultContaining(expected) {
  const result = page.getByRole("region", { name: "Result Window" });
  await result.getByText(expected).first().waitFor({ timeout: 15_000 });
  // The editor draws only the lines in view, so read its whole text from it.
  const text = await result
    .locator(".CodeMirror")
    .evaluate((element) => element.CodeMirror.getValue());
  return JSON.parse(text);
}

/** Runs one operation of the editor's document, as a person would. */
async function runOperation(name) {
  // Until GraphiQL has read the document, the button runs it without asking.
  await page.locator('.graphiql-execute-button[aria-haspopup="menu"]').waitFor();
  await page.getByRole("button", { name: /^Execute query/ }).click();
  // With several operations in the document the button asks which one to run.
  await page.getByRole("menuitem", { name, exact: true }).click();
}

test("GraphiQL signs in and reads the feed with no request leaving the machine", async () => {
  // GraphiQL asks for the schema first; without it the page has no docs and no
  // completion, and greets the user with the error in the result pane.
  const introspection = page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      response.request().postDataJSON()?.operationName === "IntrospectionQuery",
  );
  await page.goto(new URL("/graphql", BASE_URL).href);
  const schema = await (await introspection).json();
  assert.equal(
    schema.errors,
    undefined,
    `GraphiQL could not load the schema: ${JSON.stringify(schema.errors)}`,
  );
  assert.ok(schema.data?.__schema?.queryType, "the introspection answer has a schema");

  const queryEditor = page.locator(".graphiql-query-editor .CodeMirror");
  await queryEditor.waitFor({ timeout: 20_000 });
  const prefilled = await queryEditor.innerText();
  assert.match(prefilled, /mutation SignIn/);
  assert.match(prefilled, /"Authorization": "Bearer <token>"/);

  await runOperation("SignIn");
  const signedIn = await resultContaining('"token"');
  assert.equal(signedIn.errors, undefined, JSON.stringify(signedIn.errors));
  const { token, user } = signedIn.data.signIn;
  assert.equal(user.username, "demo");
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "a JWT");

  await page.getByRole("button", { name: "Headers", exact: true }).click();
  // The Variables and Headers editors share one pane; the hidden one is Variables.
  await page
    .getByRole("region", { name: "Headers" })
    .locator(".graphiql-editor:not(.hidden) .CodeMirror")
    .click();
  // insertText, not type: the editor closes brackets and quotes as they are typed.
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));

  await runOperation("Feed");
  const feed = await resultContaining('"followingPosts"');
  assert.equal(feed.errors, undefined, JSON.stringify(feed.errors));
  const { edges, pageInfo } = feed.data.followingPosts;
  assert.equal(edges.length, 5, "the demo account's feed has a first page of 5 posts");
  for (const { node } of edges) {
    assert.ok(node.id && node.author.username, JSON.stringify(node));
  }
  assert.equal(pageInfo.hasNextPage, true);

  assert.deepEqual(pageErrors, [], "the page threw");
  assert.deepEqual(blocked, [], "the page tried to reach a host other than this machine");
});
