import type { CodegenConfig } from "@graphql-codegen/cli";

// Types every operation in ../../examples against ../../schema.graphql.
// Documents are validated against the schema; an invalid operation makes
// codegen fail (and with it run-ci.sh).
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["../../examples/*.graphql"],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // Fragment fields are part of the operation result types, so results
        // can be read directly without unmasking helpers.
        fragmentMasking: false,
      },
      config: {
        // Documents are emitted as typed strings: no GraphQL runtime needed
        // to send them with fetch.
        documentMode: "string",
        strictScalars: true,
        scalars: {
          DateTime: "string",
        },
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: false,
      },
    },
  },
};

export default config;
