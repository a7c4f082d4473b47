// Example client for the InstaNext GraphQL API.
//
// Signs in as the demo account, reads the first page of the home feed, likes
// the first post and checks the answer. Operations come from ../../examples,
// typed by GraphQL Code Generator into ./gql (run `npm run codegen` first).
//
// Environment: INSTANEXT_GRAPHQL_URL (default http://127.0.0.1:8000/graphql).
// Exits with 1 on any error or failed check.

import {
  HomeFeedDocument,
  LikePostDocument,
  SignInDocument,
  type TypedDocumentString,
} from "./gql/graphql.js";

const DEFAULT_URL = "http://127.0.0.1:8000/graphql";
const DEMO_EMAIL = "demo@example.com";
const DEMO_PASSWORD = "secret";
const FEED_PAGE_SIZE = 5;
const REQUEST_TIMEOUT_MS = 15_000;

/** One error of a GraphQL answer, with the server's stable code. */
interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLErrorEntry[];
}

/** A request that reached the server but did not give the expected answer. */
class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly errors: readonly GraphQLErrorEntry[] = [],
  ) {
    super(message);
    this.name = "GraphQLRequestError";
  }
}

/** A check of the answers that did not hold. */
class CheckFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckFailedError";
  }
}

/** The name of the (single) operation of a generated document. */
function operationName(document: string): string {
  const match = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(document);
  if (!match?.[1]) {
    throw new Error("document has no named operation");
  }
  return match[1];
}

/** A minimal GraphQL client over `fetch`, typed by the generated documents. */
class InstaNextClient {
  private token: string | undefined;

  constructor(private readonly url: string) {}

  /** Sends later requests with `Authorization: Bearer <token>`. */
  setToken(token: string): void {
    this.token = token;
  }

  async execute<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const query = document.toString();
    const name = operationName(query);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
    };
    if (this.token !== undefined) {
      headers["Authorization"] = `Bearer ${this.token}`;
    }

    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ query, operationName: name, variables }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new GraphQLRequestError(`${name}: request to ${this.url} failed: ${String(cause)}`);
    }

    const text = await response.text();
    let body: GraphQLResponse<TResult>;
    try {
      body = JSON.parse(text) as GraphQLResponse<TResult>;
    } catch {
      throw new GraphQLRequestError(
        `${name}: HTTP ${response.status}, answer is not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (body.errors !== undefined && body.errors.length > 0) {
      const summary = body.errors
        .map((e) => `${e.extensions?.code ?? "NO_CODE"}: ${e.message}`)
        .join("; ");
      throw new GraphQLRequestError(`${name}: ${summary}`, body.errors);
    }
    if (!response.ok) {
      throw new GraphQLRequestError(`${name}: HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    if (body.data === undefined || body.data === null) {
      throw new GraphQLRequestError(`${name}: answer has no data`);
    }
    return body.data;
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new CheckFailedError(message);
  }
}

async function main(): Promise<void> {
  const url = process.env["INSTANEXT_GRAPHQL_URL"] ?? DEFAULT_URL;
  const client = new InstaNextClient(url);
  console.log(`server: ${url}`);

  // 1. Sign in as the demo account.
  const { signIn } = await client.execute(SignInDocument, {
    email: DEMO_EMAIL,
    password: DEMO_PASSWORD,
  });
  check(signIn.token.length > 0, "signIn returned an empty token");
  check(
    signIn.user.email === DEMO_EMAIL,
    `signIn returned email ${String(signIn.user.email)}, expected ${DEMO_EMAIL}`,
  );
  client.setToken(signIn.token);
  console.log(`signed in as @${signIn.user.username} (session expires ${signIn.expiresAt})`);

  // 2. Read the first page of the home feed.
  const { followingPosts } = await client.execute(HomeFeedDocument, { first: FEED_PAGE_SIZE });
  const posts = followingPosts.edges.map((edge) => edge.node);
  check(posts.length > 0, "the home feed's first page is empty");
  check(
    posts.length <= FEED_PAGE_SIZE,
    `the home feed returned ${posts.length} posts, asked for at most ${FEED_PAGE_SIZE}`,
  );
  console.log(
    `home feed: ${posts.length} posts on the first page (hasNextPage: ${followingPosts.pageInfo.hasNextPage})`,
  );
  for (const post of posts) {
    const caption = post.caption.length > 40 ? `${post.caption.slice(0, 37)}...` : post.caption;
    console.log(
      `  - ${post.id} by @${post.author.username}: ${post.images.length} picture(s), ` +
        `${post.likeCount} like(s), liked by me: ${post.viewerHasLiked}, "${caption}"`,
    );
  }

  // 3. Like the first post and check the fresh count and flag.
  const first = posts[0];
  check(first !== undefined, "no first post");
  const { likePost } = await client.execute(LikePostDocument, { postId: first.id });
  check(likePost.id === first.id, `likePost returned post ${likePost.id}, expected ${first.id}`);
  check(likePost.likeCount >= 1, `likePost returned likeCount ${likePost.likeCount}, expected >= 1`);
  check(likePost.viewerHasLiked, "likePost returned viewerHasLiked false, expected true");
  console.log(
    `liked post ${likePost.id}: likeCount ${first.likeCount} -> ${likePost.likeCount}, ` +
      `viewerHasLiked ${likePost.viewerHasLiked}`,
  );

  console.log("OK: all checks passed");
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(`FAILED: ${message}`);
  process.exitCode = 1;
});
