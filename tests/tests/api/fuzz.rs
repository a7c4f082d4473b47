//! Hostile input, generated: property-based tests that throw random and
//! mutated documents, variables, literals, cursors, ids, picture URLs, tokens,
//! `Authorization` headers and raw bodies at the real router.
//!
//! Every case must get an answer below 500, in JSON (but for a CORS
//! preflight, which has no body), whose errors each carry `extensions.code`
//! (never `INTERNAL`, and no database wording in a message), and must leave
//! every table as it was unless a mutation in it succeeded. A refused sign-in,
//! sign-up or password check may only add to the attempt counts, which is
//! what they are for.
//!
//! Each test builds one runtime and one server, seeds a little data, and runs
//! its cases against them: 64 to 128 per property (64 where a case sends two
//! requests), or `PROPTEST_CASES` of them for a longer run
//! (`PROPTEST_CASES=2000 cargo test -p instanext-tests --test api fuzz::`).
//! Failures are not persisted: no `proptest-regressions` directory is ever
//! written into the tree. Instead each test prints the seed it ran with (shown
//! when it fails), and `PROPTEST_RNG_SEED=<seed>` runs the same cases again;
//! proptest also prints the smallest failing input it found. With
//! `--nocapture`, each test also prints how the server answered its cases
//! (status and error codes), to show what the cases reached.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    hash::{BuildHasher, RandomState},
};

use async_graphql::parser::{parse_query, types::OperationType};
use axum::{
    body::Body,
    http::{HeaderValue, Method, Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use instanext_tests::{ATTEMPTS_TABLE, Account, Fingerprint, SECRET, TestApp, minutes_ago};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::{
    prelude::*,
    sample::Index,
    test_runner::{Config, RngSeed, TestCaseError, TestRunner},
};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Words of database and driver errors, which must never reach a client.
const DATABASE_WORDS: [&str; 14] = [
    "sqlx",
    "SQLite",
    "sqlite",
    "PostgreSQL",
    "postgres",
    "DbErr",
    "Query Error",
    "Execution Error",
    "Connection Error",
    "violates",
    "constraint failed",
    "no such table",
    "syntax error at or near",
    "out of range for type",
];

/// Fields whose refusals count as attempts (see the module header).
const ATTEMPT_FIELDS: [&str; 4] = ["signIn", "signUp", "changePassword", "deleteAccount"];

/// One server with a little data, shared by every case of a test.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    /// The account most cases act as; replaced when a case signs it out.
    viewer: RefCell<Account>,
    replacements: Cell<usize>,
    /// How many answers of each kind (status and error codes) the cases got.
    answers: RefCell<BTreeMap<String, usize>>,
    bob: Account,
    /// Ids of everything the data holds, to tell a real id from a forged one.
    ids: Vec<String>,
    /// A post of bob's that the viewer likes, one of the viewer's own, and
    /// one of the viewer's stories.
    bobs_post: String,
    own_post: String,
    own_story: String,
    /// A real `endCursor` of each list.
    cursors: Vec<String>,
}

const USERNAMES: [&str; 4] = ["ada", "bob", "carol", "dave"];

/// The lists that take `after`, as operations over `$after` (and `$post`).
const LISTS: [&str; 6] = [
    "query($after: String) { followingPosts(first: 1, after: $after) { pageInfo { endCursor } } }",
    "query($after: String) { searchUsers(query: \"o\", first: 1, after: $after) { pageInfo { endCursor } } }",
    "query($after: String) { user(username: \"bob\") { posts(first: 1, after: $after) { pageInfo { endCursor } } } }",
    "query($after: String) { user(username: \"bob\") { followers(first: 1, after: $after) { pageInfo { endCursor } } } }",
    "query($after: String) { user(username: \"bob\") { following(first: 1, after: $after) { pageInfo { endCursor } } } }",
    "query($after: String, $post: ID!) { post(id: $post) { likedBy(first: 1, after: $after) { pageInfo { endCursor } } } }",
];

impl Fixture {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (app, accounts) = runtime.block_on(async {
            let app = TestApp::new().await;
            let mut accounts = Vec::new();
            for name in USERNAMES {
                accounts.push(app.sign_up(name).await);
            }
            (app, accounts)
        });
        let [ada, bob, carol, dave] = <[Account; 4]>::try_from(accounts).unwrap();
        let (ids, bobs_post, own_post, own_story) = runtime.block_on(async {
            for (follower, followed) in [
                (&ada, &bob),
                (&ada, &carol),
                (&carol, &bob),
                (&dave, &bob),
                (&bob, &ada),
                (&bob, &carol),
            ] {
                app.follow(follower, followed).await;
            }
            let mut posts = Vec::new();
            for minutes in [30, 20, 10] {
                posts.push(app.post(&bob, minutes_ago(minutes), 2).await);
            }
            let own_post = app.post(&ada, minutes_ago(5), 1).await;
            for liker in [&ada, &carol, &dave] {
                app.like(liker, &posts[0]).await;
            }
            let own_story = app.story(&ada, chrono::Duration::minutes(3)).await;
            let bobs_story = app.story(&bob, chrono::Duration::minutes(2)).await;
            let mut ids: Vec<String> = [&ada, &bob, &carol, &dave]
                .iter()
                .map(|account| account.id.clone())
                .collect();
            ids.extend(posts.iter().cloned());
            ids.extend([own_post.clone(), own_story.clone(), bobs_story]);
            (ids, posts[0].clone(), own_post, own_story)
        });
        let cursors = runtime.block_on(async {
            let mut cursors = Vec::new();
            for list in LISTS {
                let data = app
                    .ok(
                        list,
                        json!({ "after": null, "post": bobs_post }),
                        Some(&ada.token),
                    )
                    .await;
                let cursor = end_cursor(&data).unwrap_or_else(|| panic!("no cursor: {data}"));
                cursors.push(cursor);
            }
            cursors
        });
        Self {
            runtime,
            app,
            viewer: RefCell::new(ada),
            replacements: Cell::new(0),
            answers: RefCell::default(),
            bob,
            ids,
            bobs_post,
            own_post,
            own_story,
            cursors,
        }
    }

    /// Runs `cases` cases of `strategy` (or `PROPTEST_CASES`), from a seed
    /// that is printed so that a failure can be replayed, then prints how
    /// the server answered them.
    fn check<S: Strategy>(
        &self,
        name: &str,
        cases: u32,
        strategy: S,
        case: impl Fn(S::Value) -> Result<(), TestCaseError>,
    ) {
        let mut config = Config::default();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = cases;
        }
        config.failure_persistence = None;
        let seed = match config.rng_seed {
            RngSeed::Fixed(seed) => seed,
            RngSeed::Random => RandomState::new().hash_one(name),
        };
        config.rng_seed = RngSeed::Fixed(seed);
        eprintln!(
            "{name}: {} cases from seed {seed} (PROPTEST_RNG_SEED={seed} replays them)",
            config.cases
        );
        let mut runner = TestRunner::new(config);
        let result = runner.run(&strategy, case);
        eprintln!("{name}: answers {:?}", self.answers.borrow());
        if let Err(failure) = result {
            panic!("{name}: {failure}\nreplay with PROPTEST_RNG_SEED={seed}");
        }
    }

    fn token(&self) -> String {
        self.viewer.borrow().token.clone()
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Sends `request`, whose GraphQL document is `document` when known, and
    /// checks what every answer must satisfy; returns the answer.
    async fn exchange(
        &self,
        request: Request<Body>,
        document: Option<&str>,
    ) -> Result<Value, TestCaseError> {
        // A CORS preflight is answered by the CORS layer, without a body.
        let preflight = request.method() == Method::OPTIONS;
        let before = Fingerprint::of(&self.app.db).await;
        let (status, body) = self.app.send(request).await;
        if preflight && status.is_success() && body.is_empty() {
            return Ok(Value::Null);
        }
        let reply = sound(status, &body)?;
        let mut kind = codes(&reply);
        kind.sort_unstable();
        kind.dedup();
        let kind = format!("{} {}", status.as_u16(), kind.join(","));
        *self.answers.borrow_mut().entry(kind).or_default() += 1;
        let after = Fingerprint::of(&self.app.db).await;
        if mutation_succeeded(document, &reply) {
            self.keep_viewer_signed_in().await;
        } else {
            let attempts = document.is_some_and(|d| ATTEMPT_FIELDS.iter().any(|f| d.contains(f)));
            let changed: Vec<&str> = after
                .changed_since(&before)
                .into_iter()
                .filter(|table| !(attempts && *table == ATTEMPTS_TABLE))
                .collect();
            prop_assert!(
                changed.is_empty(),
                "{changed:?} changed, yet no mutation succeeded: {reply}"
            );
        }
        Ok(reply)
    }

    /// Sends a GraphQL request as JSON, with this `Authorization` value.
    async fn graphql(
        &self,
        document: &str,
        operation: Option<&str>,
        variables: &Value,
        authorization: Option<HeaderValue>,
    ) -> Result<Value, TestCaseError> {
        let body = json!({ "query": document, "operationName": operation, "variables": variables });
        let request = json_post(raw_numbers(body.to_string()), authorization);
        self.exchange(request, Some(document)).await
    }

    /// Sends a GraphQL request as the viewer.
    async fn as_viewer(
        &self,
        document: &str,
        operation: Option<&str>,
        variables: &Value,
    ) -> Result<Value, TestCaseError> {
        let authorization = HeaderValue::from_str(&format!("Bearer {}", self.token())).unwrap();
        self.graphql(document, operation, variables, Some(authorization))
            .await
    }

    /// After a successful mutation: a case may have signed the viewer out, in
    /// which case the next cases act as a new account following bob.
    async fn keep_viewer_signed_in(&self) {
        let token = self.token();
        let me = self.app.gql("{ me { id } }", json!({}), Some(&token)).await;
        if me.get("errors").is_none() {
            return;
        }
        let n = self.replacements.get() + 1;
        self.replacements.set(n);
        let account = self.app.sign_up(&format!("viewer_{n}")).await;
        self.app.follow(&account, &self.bob).await;
        *self.viewer.borrow_mut() = account;
    }

    /// Whether `value` names something real: an id, or a username (which is
    /// compared trimmed and without regard to case).
    fn is_real(&self, value: &str) -> bool {
        let username = value.trim().to_lowercase();
        self.ids.iter().any(|id| id == value)
            || USERNAMES.contains(&username.as_str())
            || username.starts_with("viewer_")
    }

    /// The example operations, each with variables that fit it.
    fn examples(&self) -> Vec<(String, &'static str, Value)> {
        let post = &self.bobs_post;
        let url = "https://img.example.com/fuzz.jpg";
        let table: [(&str, &str, Value); 27] = [
            (
                CHANGE_PASSWORD,
                "ChangePassword",
                json!({ "currentPassword": "not the password", "newPassword": "a brand new passphrase" }),
            ),
            (
                DELETE_ACCOUNT,
                "DeleteAccount",
                json!({ "password": "not the password" }),
            ),
            (FOLLOW, "FollowUser", json!({ "username": "dave" })),
            (FOLLOW, "UnfollowUser", json!({ "username": "carol" })),
            (
                HOME_FEED,
                "HomeFeed",
                json!({ "first": 2, "after": self.cursors[0] }),
            ),
            (LIKE, "LikePost", json!({ "postId": post })),
            (LIKE, "UnlikePost", json!({ "postId": post })),
            (
                POST_CREATE_DELETE,
                "CreatePost",
                json!({ "input": { "caption": "fuzzed", "images": [{ "url": url, "sequence": 3 }, { "url": url, "sequence": 1 }] } }),
            ),
            (
                POST_CREATE_DELETE,
                "DeletePost",
                json!({ "id": self.own_post }),
            ),
            (
                POST,
                "PostWithLikers",
                json!({ "id": post, "likersFirst": 1, "likersAfter": self.cursors[5] }),
            ),
            (
                PROFILE,
                "Profile",
                json!({ "username": "bob", "postsFirst": 2, "postsAfter": self.cursors[2] }),
            ),
            (
                PROFILE,
                "ProfileFollowers",
                json!({ "username": "bob", "first": 2 }),
            ),
            (
                PROFILE,
                "ProfileFollowing",
                json!({ "username": "bob", "first": 2 }),
            ),
            (
                SEARCH_USERS,
                "SearchUsers",
                json!({ "query": "o", "first": 1, "after": self.cursors[1] }),
            ),
            (SESSIONS, "RefreshSession", json!({})),
            (SESSIONS, "MySessions", json!({})),
            (
                SESSIONS,
                "RevokeSession",
                json!({ "id": "no-such-session" }),
            ),
            (
                SIGN_IN,
                "SignIn",
                json!({ "email": "nobody@example.com", "password": "a wrong password" }),
            ),
            (
                SIGN_IN_COOKIE,
                "SignInWithCookie",
                json!({ "email": "nobody@example.com", "password": "a wrong password" }),
            ),
            (SIGN_OUT, "SignOut", json!({})),
            (
                SIGN_UP,
                "SignUp",
                json!({ "input": { "email": "fuzz@example.com", "username": "fuzz", "password": "a long passphrase" } }),
            ),
            (
                STORY_CREATE_DELETE,
                "CreateStory",
                json!({ "input": { "caption": "fuzzed", "imageUrl": url } }),
            ),
            (
                STORY_CREATE_DELETE,
                "DeleteStory",
                json!({ "id": self.own_story }),
            ),
            (STORY_TRAY, "StoryTray", json!({})),
            (
                UPDATE_PROFILE,
                "UpdateProfile",
                json!({ "input": { "description": "fuzzed", "profilePicUrl": url } }),
            ),
            (HOME_FEED, "HomeFeed", json!({})),
            (SIGN_OUT, "SignOut", json!({ "allDevices": false })),
        ];
        table
            .into_iter()
            .map(|(text, name, variables)| (with_fragments(text), name, variables))
            .collect()
    }
}

const CHANGE_PASSWORD: &str = include_str!("../../../examples/change-password.graphql");
const DELETE_ACCOUNT: &str = include_str!("../../../examples/delete-account.graphql");
const FOLLOW: &str = include_str!("../../../examples/follow.graphql");
const FRAGMENTS: &str = include_str!("../../../examples/fragments.graphql");
const HOME_FEED: &str = include_str!("../../../examples/home-feed.graphql");
const LIKE: &str = include_str!("../../../examples/like.graphql");
const POST_CREATE_DELETE: &str = include_str!("../../../examples/post-create-delete.graphql");
const POST: &str = include_str!("../../../examples/post.graphql");
const PROFILE: &str = include_str!("../../../examples/profile.graphql");
const SEARCH_USERS: &str = include_str!("../../../examples/search-users.graphql");
const SESSIONS: &str = include_str!("../../../examples/sessions.graphql");
const SIGN_IN: &str = include_str!("../../../examples/sign-in.graphql");
const SIGN_IN_COOKIE: &str = include_str!("../../../examples/sign-in-cookie.graphql");
const SIGN_OUT: &str = include_str!("../../../examples/sign-out.graphql");
const SIGN_UP: &str = include_str!("../../../examples/sign-up.graphql");
const STORY_CREATE_DELETE: &str = include_str!("../../../examples/story-create-delete.graphql");
const STORY_TRAY: &str = include_str!("../../../examples/story-tray.graphql");
const UPDATE_PROFILE: &str = include_str!("../../../examples/update-profile.graphql");

/// `document` followed by the shared fragments it spreads, directly or
/// through other fragments (an unused fragment would fail validation).
fn with_fragments(document: &str) -> String {
    let fragments: Vec<(&str, String)> = FRAGMENTS
        .split("\nfragment ")
        .skip(1)
        .map(|chunk| {
            let name = chunk.split_whitespace().next().unwrap_or_default();
            (name, format!("fragment {chunk}"))
        })
        .collect();
    let mut text = document.to_owned();
    let mut added: Vec<&str> = Vec::new();
    while let Some((name, definition)) = fragments
        .iter()
        .find(|(name, _)| !added.contains(name) && spreads(&text, name))
    {
        text.push('\n');
        text.push_str(definition);
        added.push(name);
    }
    text
}

fn spreads(text: &str, fragment: &str) -> bool {
    let spread = format!("...{fragment}");
    text.match_indices(&spread).any(|(at, _)| {
        !text[at + spread.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The first `endCursor` anywhere in `data`.
fn end_cursor(data: &Value) -> Option<String> {
    match data {
        Value::Object(fields) => fields.get("endCursor").and_then(Value::as_str).map_or_else(
            || fields.values().find_map(end_cursor),
            |cursor| Some(cursor.to_owned()),
        ),
        _ => None,
    }
}

/// Checks what every answer must satisfy, and returns it as JSON.
fn sound(status: StatusCode, body: &[u8]) -> Result<Value, TestCaseError> {
    let text = String::from_utf8_lossy(body);
    prop_assert!(!status.is_server_error(), "{status}: {text}");
    let reply: Value = serde_json::from_slice(body)
        .map_err(|_| TestCaseError::fail(format!("{status}, not JSON: {text}")))?;
    let errors = reply.get("errors");
    prop_assert!(
        status.is_success() || errors.is_some(),
        "{status} without errors: {reply}"
    );
    if let Some(errors) = errors {
        let errors = errors
            .as_array()
            .filter(|errors| !errors.is_empty())
            .ok_or_else(|| TestCaseError::fail(format!("`errors` is not a list: {reply}")))?;
        for error in errors {
            let code = error["extensions"]["code"].as_str();
            prop_assert!(code.is_some(), "an error without a code: {reply}");
            prop_assert_ne!(code, Some("INTERNAL"), "{}", reply);
            let message = error["message"].as_str().unwrap_or_default();
            for word in DATABASE_WORDS {
                prop_assert!(!message.contains(word), "database wording: {reply}");
            }
        }
    }
    Ok(reply)
}

/// Whether `reply` holds the result of a mutation of `document`, which may
/// have written.
fn mutation_succeeded(document: Option<&str>, reply: &Value) -> bool {
    let produced = reply
        .get("data")
        .and_then(Value::as_object)
        .is_some_and(|data| data.values().any(|value| !value.is_null()));
    produced
        && document
            .and_then(|document| parse_query(document).ok())
            .is_some_and(|document| {
                document
                    .operations
                    .iter()
                    .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
            })
}

/// The codes of a reply's errors.
fn codes(reply: &Value) -> Vec<&str> {
    reply["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| error["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether every error of `reply` is `BAD_USER_INPUT` about `field`.
fn refused_as(reply: &Value, field: &str) -> bool {
    reply["errors"].as_array().is_some_and(|errors| {
        !errors.is_empty()
            && errors.iter().all(|error| {
                error["extensions"]["code"] == "BAD_USER_INPUT"
                    && error["extensions"]["field"] == field
            })
    })
}

fn json_post(body: impl Into<Body>, authorization: Option<HeaderValue>) -> Request<Body> {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    request.body(body.into()).unwrap()
}

/// Marks a string of generated JSON as a number to be written as is, for
/// numbers that `serde_json::Value` cannot hold (`1e400`, 30 digits).
const RAW: &str = "\u{1}raw:";

/// `body` with the strings marked by [`RAW`] written as bare numbers.
fn raw_numbers(body: String) -> String {
    let marker = "\"\\u0001raw:";
    let mut out = String::with_capacity(body.len());
    let mut rest = body.as_str();
    while let Some(start) = rest.find(marker) {
        out.push_str(&rest[..start]);
        let number = &rest[start + marker.len()..];
        let end = number.find('"').unwrap_or(number.len());
        out.push_str(&number[..end]);
        rest = number.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// `text` as a GraphQL string literal.
fn graphql_string(text: &str) -> String {
    let mut literal = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => literal.push_str("\\\""),
            '\\' => literal.push_str("\\\\"),
            c if c < ' ' || c == '\u{7f}' => literal.push_str(&format!("\\u{:04x}", c as u32)),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

// ---------------------------------------------------------------------------
// Strategies

const HUGE_NUMBERS: [&str; 17] = [
    "99999999999999999999999999999",
    "-9223372036854775809",
    "18446744073709551616",
    "2147483648",
    "-2147483649",
    "1e400",
    "-1e400",
    "1.7976931348623157e309",
    "1e-400",
    "0.000000000000000000000000001",
    "-0",
    "00",
    "1.",
    ".5",
    "0x10",
    "NaN",
    "Infinity",
];

/// Characters that mean something in GraphQL or JSON.
const SYNTAX: [char; 22] = [
    '{', '}', '(', ')', '[', ']', '"', '$', ':', '!', '@', '.', '#', '\\', '\n', ' ', ',', '=',
    '|', '&', '\u{0}', '\u{feff}',
];

/// One change to a document.
#[derive(Clone, Debug)]
enum Edit {
    Delete(Index),
    Insert(Index, char),
    Duplicate(Index, usize),
    /// `n` copies of one bracket, so the document no longer balances.
    Brackets(Index, char, usize),
    /// `n` balanced levels of nesting.
    Nest(Index, usize),
    Number(Index, &'static str),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        (
            any::<Index>(),
            prop_oneof![prop::sample::select(SYNTAX.to_vec()), any::<char>()]
        )
            .prop_map(|(at, c)| Edit::Insert(at, c)),
        (any::<Index>(), 1usize..80).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (
            any::<Index>(),
            prop::sample::select(vec!['{', '}', '[', ']', '(', ')']),
            1usize..200
        )
            .prop_map(|(at, c, n)| Edit::Brackets(at, c, n)),
        (any::<Index>(), 1usize..120).prop_map(|(at, n)| Edit::Nest(at, n)),
        (any::<Index>(), prop::sample::select(HUGE_NUMBERS.to_vec()))
            .prop_map(|(at, n)| Edit::Number(at, n)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(document: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = document.chars().collect();
    for edit in edits {
        let len = chars.len();
        match edit {
            Edit::Delete(at) if len > 0 => {
                chars.remove(at.index(len));
            }
            Edit::Delete(_) => {}
            Edit::Insert(at, c) => chars.insert(at.index(len + 1), *c),
            Edit::Duplicate(at, n) if len > 0 => {
                let start = at.index(len);
                let end = (start + n).min(len);
                let copy = chars[start..end].to_vec();
                chars.splice(end..end, copy);
            }
            Edit::Duplicate(..) => {}
            Edit::Brackets(at, c, n) => {
                let at = at.index(len + 1);
                chars.splice(at..at, std::iter::repeat_n(*c, *n));
            }
            Edit::Nest(at, n) => {
                let at = at.index(len + 1);
                let nesting = format!("{} me {}", "{ me ".repeat(*n), "}".repeat(*n));
                chars.splice(at..at, nesting.chars());
            }
            Edit::Number(at, number) => {
                let at = at.index(len + 1);
                chars.splice(at..at, number.chars());
            }
            Edit::Truncate(at) => chars.truncate(at.index(len + 1)),
        }
    }
    chars.into_iter().collect()
}

/// Words that make up GraphQL documents, to be shuffled into near-documents.
const WORDS: [&str; 40] = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$v",
    "!",
    "...",
    "@skip(if: true)",
    "@include(if: $v)",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "Query",
    "Mutation",
    "me",
    "id",
    "username",
    "followingPosts",
    "first:",
    "after:",
    "edges",
    "node",
    "likePost",
    "postId:",
    "signIn",
    "email:",
    "\"a@b.c\"",
    "password:",
    "\"x\"",
    "1",
    "null",
    "true",
    "__typename",
    "__schema",
    "#",
];

/// Random text, near-documents made of GraphQL words, and documents with
/// huge literals or deep nesting.
fn documents() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,300}",
        prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..80)
            .prop_map(|words| words.join(" ")),
        (literal(), prop::sample::select(LITERAL_HOLES.to_vec()))
            .prop_map(|(value, hole)| hole.replace("HOLE", &value)),
    ]
}

/// Documents with one argument, default value or directive argument to fill
/// with a GraphQL literal.
const LITERAL_HOLES: [&str; 12] = [
    "{ followingPosts(first: HOLE) { edges { cursor } } }",
    "{ followingPosts(first: 1, after: HOLE) { edges { cursor } } }",
    "{ searchUsers(query: HOLE) { edges { cursor } } }",
    "{ post(id: HOLE) { id } }",
    "{ user(username: HOLE) { id posts(first: HOLE) { edges { cursor } } } }",
    "query($v: Int = HOLE) { followingPosts(first: $v) { edges { cursor } } }",
    "{ me @include(if: HOLE) { id } }",
    "mutation { likePost(postId: HOLE) { id } }",
    "mutation { createPost(input: HOLE) { id } }",
    "mutation { createPost(input: { caption: \"c\", images: [{ url: \"https://img.example.com/a.jpg\", sequence: HOLE }] }) { id } }",
    "mutation { updateProfile(input: HOLE) { id } }",
    "mutation { createStory(input: { caption: HOLE, imageUrl: \"https://img.example.com/a.jpg\" }) { id } }",
];

/// A GraphQL literal: numbers of any size, strings, enums, variables, lists,
/// objects and very deep nesting.
fn literal() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        "-?[1-9][0-9]{9,60}",
        any::<f64>().prop_map(|f| format!("{f:e}")),
        prop::sample::select(HUGE_NUMBERS.to_vec()).prop_map(str::to_owned),
        any::<String>().prop_map(|text| graphql_string(&text)),
        "\\PC{0,40}".prop_map(|text| format!("\"\"\"{text}\"\"\"")),
        prop::sample::select(vec!["true", "false", "null", "$v", "FOO", "\"\\ud800\""])
            .prop_map(str::to_owned),
        (1usize..400, prop::sample::select(vec!["[", "{a: "])).prop_map(|(n, open)| {
            let close = if open == "[" { "]" } else { "}" };
            format!("{}1{}", open.repeat(n), close.repeat(n))
        }),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "caption",
                        "images",
                        "url",
                        "sequence",
                        "description",
                        "profilePicUrl",
                        "imageUrl",
                        "x",
                    ]),
                    inner
                ),
                0..5
            )
            .prop_map(|fields| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(name, value)| format!("{name}: {value}"))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }),
        ]
    })
}

/// Any JSON value, numbers too big for `serde_json::Value` included (marked
/// with [`RAW`]).
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(HUGE_NUMBERS[..10].to_vec())
            .prop_map(|n| Value::String(format!("{RAW}{n}"))),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "ada",
            "bob",
            "",
            " ",
            "https://img.example.com/a.jpg",
            "a\u{0}b",
            "VALUE",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec![
                        "url",
                        "sequence",
                        "caption",
                        "images",
                        "imageUrl",
                        "email",
                        "username",
                        "password",
                        "description",
                        "profilePicUrl",
                    ])
                    .prop_map(str::to_owned),
                    "[a-zA-Z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The paths of every value inside `value`, for choosing one to replace.
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                prefix.push(PathStep::Key(key.clone()));
                out.push(prefix.clone());
                paths(inner, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                prefix.push(PathStep::Item(i));
                out.push(prefix.clone());
                paths(inner, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Item(usize),
}

fn replace_at(value: &mut Value, path: &[PathStep], new: Value) {
    let Some((step, rest)) = path.split_first() else {
        *value = new;
        return;
    };
    let inner = match (step, value) {
        (PathStep::Key(key), Value::Object(fields)) => fields.get_mut(key),
        (PathStep::Item(i), Value::Array(items)) => items.get_mut(*i),
        _ => None,
    };
    if let Some(inner) = inner {
        replace_at(inner, rest, new);
    }
}

/// Strings that look like, or are cut from, the ids and names in the data.
fn near_real(real: Vec<String>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(real),
        prop_oneof![
            Just(String::new()),
            prop::sample::select(vec![
                "' OR '1'='1",
                "'--",
                "%",
                "_",
                "\\",
                " ",
                "\u{0}",
                "\u{200b}",
                "\u{301}",
                "\"",
                ";DROP TABLE posts",
            ])
            .prop_map(str::to_owned),
            any::<char>().prop_map(String::from),
        ],
        any::<Index>(),
        0u8..4,
    )
        .prop_map(|(real, extra, at, how)| {
            let mut chars: Vec<char> = real.chars().collect();
            let at = at.index(chars.len() + 1);
            match how {
                0 => {
                    chars.splice(at..at, extra.chars());
                }
                1 => chars.truncate(at),
                2 => {
                    if let Some(c) = chars.get_mut(at) {
                        *c = if c.is_ascii_uppercase() {
                            c.to_ascii_lowercase()
                        } else {
                            c.to_ascii_uppercase()
                        };
                    }
                }
                _ => chars = real.repeat(1 + at % 200).chars().collect(),
            }
            chars.into_iter().collect()
        })
}

// ---------------------------------------------------------------------------
// Properties

#[test]
fn random_documents_get_coded_errors_and_write_nothing() {
    let fx = Fixture::new();
    fx.check("random documents", 128, documents(), |document| {
        fx.block_on(async {
            fx.as_viewer(&document, None, &json!({})).await?;
            Ok(())
        })
    });
}

#[test]
fn mutated_example_operations_get_coded_errors_and_write_only_when_they_succeed() {
    let fx = Fixture::new();
    let examples = fx.examples();
    let strategy = (any::<Index>(), prop::collection::vec(edit(), 1..5));
    fx.check("mutated examples", 128, strategy, |(which, edits)| {
        let (text, name, variables) = &examples[which.index(examples.len())];
        let document = apply(text, &edits);
        fx.block_on(async {
            fx.as_viewer(&document, Some(name), variables).await?;
            Ok(())
        })
    });
}

#[test]
fn example_operations_with_arbitrary_variables_get_coded_errors() {
    let fx = Fixture::new();
    let examples = fx.examples();
    let strategy = (
        any::<Index>(),
        prop_oneof![
            3 => prop::collection::vec((any::<Index>(), json_value()), 1..4).prop_map(Some),
            1 => Just(None),
        ],
        json_value(),
    );
    fx.check(
        "arbitrary variables",
        128,
        strategy,
        |(which, replacements, whole)| {
            let (text, name, variables) = &examples[which.index(examples.len())];
            let variables = match replacements {
                Some(replacements) => {
                    let mut variables = variables.clone();
                    let mut all = Vec::new();
                    paths(&variables, &mut Vec::new(), &mut all);
                    all.push(vec![PathStep::Key("unexpected".to_owned())]);
                    for (at, value) in replacements {
                        let path = all[at.index(all.len())].clone();
                        if let (Some(PathStep::Key(key)), Value::Object(fields)) =
                            (path.first(), &mut variables)
                            && path.len() == 1
                            && !fields.contains_key(key)
                        {
                            fields.insert(key.clone(), Value::Null);
                        }
                        replace_at(&mut variables, &path, value);
                    }
                    variables
                }
                None => whole,
            };
            fx.block_on(async {
                fx.as_viewer(text, Some(name), &variables).await?;
                Ok(())
            })
        },
    );
}

#[test]
fn arbitrary_and_tampered_cursors_are_refused_as_bad_input_on_after() {
    let fx = Fixture::new();
    // `OWN` stands for the tag of the list the cursor is sent to, so that
    // well-shaped cursors reach the database often.
    let tags = vec![
        "OWN",
        "OWN",
        "OWN",
        "v1.feed",
        "v1.posts",
        "v1.likers",
        "s1",
        "v1",
        "v2.feed",
        "",
    ];
    let made = (
        prop::sample::select(tags),
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            (-8_334_632_851_200_000_000i64..-210_866_803_200_000_001).prop_map(|n| n.to_string()),
            (0i64..=253_402_300_799_999_999).prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "0",
                "1",
                "-62135596800000001",
                "253402300800000000",
                "9223372036854775807",
                "-9223372036854775808",
                "1e6",
                "",
            ])
            .prop_map(str::to_owned),
            "\\PC{0,12}",
        ],
        prop_oneof![
            "[a-z0-9]{1,32}",
            "[a-z._]{1,70}",
            any::<String>(),
            Just("x' OR 1=1 --".to_owned()),
        ],
    )
        .prop_map(|(tag, time, id)| format!("{tag}:{time}:{id}"));
    let tampered = (any::<Index>(), prop::collection::vec(edit(), 1..3));
    let strategy = (
        any::<Index>(),
        prop_oneof![
            1 => any::<String>().prop_map(Cursor::Sent),
            1 => "[A-Za-z0-9_=+/-]{0,120}".prop_map(Cursor::Sent),
            4 => made.prop_map(Cursor::Made),
            2 => tampered.prop_map(|(which, edits)| Cursor::Tampered(which, edits)),
        ],
    );
    fx.check("cursors", 128, strategy, |(list, cursor)| {
        let list = list.index(LISTS.len());
        let cursor = match cursor {
            Cursor::Sent(text) => text,
            Cursor::Made(body) => URL_SAFE_NO_PAD.encode(body.replacen("OWN", LIST_TAGS[list], 1)),
            Cursor::Tampered(which, edits) => {
                apply(&fx.cursors[which.index(fx.cursors.len())], &edits)
            }
        };
        fx.block_on(async {
            let variables = json!({ "after": cursor, "post": fx.bobs_post });
            let reply = fx.as_viewer(LISTS[list], None, &variables).await?;
            prop_assert!(
                reply.get("errors").is_none() || refused_as(&reply, "after"),
                "{reply}"
            );
            prop_assert!(
                reply.get("errors").is_some()
                    || fx.cursors.contains(&cursor)
                    || cursor_decodes(&cursor),
                "an invented cursor was taken: {reply}"
            );
            Ok(())
        })
    });
}

/// The tag each of [`LISTS`] writes in its cursors.
const LIST_TAGS: [&str; 6] = [
    "v1.feed",
    "s1",
    "v1.posts",
    "v1.followers",
    "v1.following",
    "v1.likers",
];

/// A cursor to send: any text, a body to encode as a cursor would be, or a
/// real cursor with a few edits.
#[derive(Clone, Debug)]
enum Cursor {
    Sent(String),
    Made(String),
    Tampered(Index, Vec<Edit>),
}

/// Whether `cursor` is well-formed base64 of a `tag:time:id` body, as a
/// cursor made by hand from the documented shape would be.
fn cursor_decodes(cursor: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .is_some_and(|body| body.split(':').count() >= 3)
}

/// Fields that take an id or a username: (operation, field with `VALUE`,
/// type of the value, argument name).
const ID_FIELDS: [(&str, &str, &str, &str); 10] = [
    ("query", "post(id: VALUE) { id }", "ID!", "id"),
    (
        "query",
        "user(username: VALUE) { id }",
        "String!",
        "username",
    ),
    (
        "mutation",
        "likePost(postId: VALUE) { id }",
        "ID!",
        "postId",
    ),
    (
        "mutation",
        "unlikePost(postId: VALUE) { id }",
        "ID!",
        "postId",
    ),
    ("mutation", "deletePost(id: VALUE)", "ID!", "id"),
    ("mutation", "deleteStory(id: VALUE)", "ID!", "id"),
    ("mutation", "revokeSession(id: VALUE)", "ID!", "id"),
    (
        "mutation",
        "followUser(username: VALUE) { id }",
        "String!",
        "username",
    ),
    (
        "mutation",
        "unfollowUser(username: VALUE) { id }",
        "String!",
        "username",
    ),
    (
        "query",
        "user(username: \"bob\") { followers(first: 1) { edges { node { id } } } } post(id: VALUE) { id }",
        "ID!",
        "id",
    ),
];

#[test]
fn arbitrary_ids_and_usernames_find_nothing_and_write_nothing() {
    let fx = Fixture::new();
    let mut real = fx.ids.clone();
    real.extend(USERNAMES.iter().map(|name| name.to_string()));
    let strategy = (
        any::<Index>(),
        prop_oneof![
            any::<String>(),
            "\\PC{0,40}",
            near_real(real),
            (1usize..20_000).prop_map(|n| "x".repeat(n)),
        ],
        any::<bool>(),
    );
    fx.check("ids", 128, strategy, |(field, value, inline)| {
        let (operation, selection, ty, argument) = ID_FIELDS[field.index(ID_FIELDS.len())];
        let (document, variables) = if inline {
            let selection = selection.replace("VALUE", &graphql_string(&value));
            (format!("{operation} {{ {selection} }}"), json!({}))
        } else {
            let selection = selection.replace("VALUE", "$v");
            (
                format!("{operation}($v: {ty}) {{ {selection} }}"),
                json!({ "v": value }),
            )
        };
        fx.block_on(async {
            let reply = fx.as_viewer(&document, None, &variables).await?;
            if fx.is_real(&value) {
                return Ok(());
            }
            if value.contains('\0') {
                prop_assert!(refused_as(&reply, argument), "{reply}");
            } else if operation == "query" {
                prop_assert!(reply.get("errors").is_none(), "{reply}");
                let root = if argument == "id" { "post" } else { "user" };
                prop_assert!(reply["data"][root].is_null(), "{reply}");
            } else {
                prop_assert_eq!(codes(&reply), vec!["NOT_FOUND"], "{}", reply);
            }
            Ok(())
        })
    });
}

/// The start of a picture URL: good and bad schemes, odd separators.
const URL_STARTS: [&str; 14] = [
    "https://img.example.com/",
    "http://img.example.com/",
    "HTTPS://IMG.EXAMPLE.COM/",
    "https://",
    "https:///",
    "https://user:pass@img.example.com:8443/",
    "https://[::1]/",
    "https://127.0.0.1/",
    "//img.example.com/",
    "ftp://img.example.com/",
    "javascript:",
    "data:image/png;base64,",
    " https://img.example.com/",
    "",
];

#[test]
fn picture_urls_are_stored_exactly_or_refused_by_field() {
    let fx = Fixture::new();
    let strategy = (
        0usize..3,
        prop::sample::select(URL_STARTS.to_vec()),
        prop_oneof![
            any::<String>(),
            "\\PC{0,60}",
            "[a-zA-Z0-9._~%!$&'()*+,;=:@/?#\\[\\]-]{0,80}",
            (2000usize..2100).prop_map(|n| "a".repeat(n)),
        ],
    );
    fx.check("picture URLs", 96, strategy, |(mutation, start, rest)| {
        let url = format!("{start}{rest}");
        let (document, variables, field) = match mutation {
            0 => (
                "mutation($input: CreatePostInput!) { createPost(input: $input) { id images { url } } }",
                json!({ "input": { "caption": "", "images": [{ "url": url, "sequence": 0 }] } }),
                "images",
            ),
            1 => (
                "mutation($input: CreateStoryInput!) { createStory(input: $input) { id image { url } } }",
                json!({ "input": { "imageUrl": url } }),
                "imageUrl",
            ),
            _ => (
                "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id profilePic { url } } }",
                json!({ "input": { "profilePicUrl": url } }),
                "profilePicUrl",
            ),
        };
        fx.block_on(async {
            let reply = fx.as_viewer(document, None, &variables).await?;
            if reply.get("errors").is_some() {
                prop_assert!(refused_as(&reply, field), "{reply}");
                return Ok(());
            }
            let stored = match mutation {
                0 => {
                    let id = &reply["data"]["createPost"]["id"];
                    let read = fx
                        .as_viewer(
                            "query($id: ID!) { post(id: $id) { images { url } } }",
                            None,
                            &json!({ "id": id }),
                        )
                        .await?;
                    read["data"]["post"]["images"][0]["url"].clone()
                }
                1 => {
                    let id = reply["data"]["createStory"]["id"].clone();
                    let tray = fx
                        .as_viewer(
                            "{ followingStories { stories { id image { url } } } }",
                            None,
                            &json!({}),
                        )
                        .await?;
                    tray["data"]["followingStories"][0]["stories"]
                        .as_array()
                        .and_then(|stories| stories.iter().find(|story| story["id"] == id))
                        .map(|story| story["image"]["url"].clone())
                        .unwrap_or_default()
                }
                _ => {
                    let me = fx
                        .as_viewer("{ me { profilePic { url } } }", None, &json!({}))
                        .await?;
                    me["data"]["me"]["profilePic"]["url"].clone()
                }
            };
            prop_assert_eq!(stored, Value::String(url.clone()), "stored differently");
            Ok(())
        })
    });
}

const BASE64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A claim of a real token, changed and signed again with the real secret:
/// each change makes a token that must not authenticate.
#[derive(Clone, Debug)]
enum ClaimChange {
    Remove(&'static str),
    Text(&'static str, &'static str),
    /// `sub` naming another user than the session's.
    OtherUser,
    /// `exp` a minute ago, beyond the allowed clock skew.
    Expired,
}

/// A token that is not one the server issued.
#[derive(Clone, Debug)]
enum Forgery {
    Arbitrary(String),
    Replace { part: usize, at: Index, to: char },
    Delete { part: usize, at: Index },
    Insert { part: usize, at: Index, c: char },
    Truncate(Index),
    AlgNone { keep_signature: bool },
    OtherAlgorithm(Algorithm),
    WrongSecret,
    Claim(ClaimChange),
    Swap(usize, usize),
    Doubled,
}

fn forgery() -> impl Strategy<Value = Forgery> {
    let base64 = prop::sample::select(BASE64URL.chars().collect::<Vec<char>>());
    let visible = any::<char>().prop_filter("a header value", |c| !c.is_control());
    prop_oneof![
        "[!-~]{0,300}".prop_map(Forgery::Arbitrary),
        (0usize..3, any::<Index>(), base64.clone()).prop_map(|(part, at, to)| Forgery::Replace {
            part,
            at,
            to
        }),
        (0usize..3, any::<Index>()).prop_map(|(part, at)| Forgery::Delete { part, at }),
        (0usize..3, any::<Index>(), prop_oneof![base64, visible])
            .prop_map(|(part, at, c)| Forgery::Insert { part, at, c }),
        any::<Index>().prop_map(Forgery::Truncate),
        any::<bool>().prop_map(|keep_signature| Forgery::AlgNone { keep_signature }),
        prop::sample::select(vec![Algorithm::HS384, Algorithm::HS512])
            .prop_map(Forgery::OtherAlgorithm),
        Just(Forgery::WrongSecret),
        prop::sample::select(vec![
            ClaimChange::Remove("sub"),
            ClaimChange::Remove("sid"),
            ClaimChange::Remove("exp"),
            ClaimChange::Remove("iat"),
            ClaimChange::Remove("iss"),
            ClaimChange::Remove("aud"),
            ClaimChange::Text("sid", "a-session-that-never-was"),
            ClaimChange::Text("iss", "someone-else"),
            ClaimChange::Text("aud", "someone-else"),
            ClaimChange::Text("exp", "tomorrow"),
            ClaimChange::OtherUser,
            ClaimChange::Expired,
        ])
        .prop_map(Forgery::Claim),
        (0usize..3, 0usize..3).prop_map(|(a, b)| Forgery::Swap(a, b)),
        Just(Forgery::Doubled),
    ]
}

impl Fixture {
    /// `forgery` applied to the viewer's token.
    fn forge(&self, forgery: &Forgery) -> String {
        let token = self.token();
        let mut parts: Vec<Vec<char>> = token.split('.').map(|p| p.chars().collect()).collect();
        let claims = || -> Value {
            let payload = URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap();
            serde_json::from_slice(&payload).unwrap()
        };
        let sign = |claims: &Value, algorithm: Algorithm, secret: &[u8]| {
            jsonwebtoken::encode(
                &Header::new(algorithm),
                claims,
                &EncodingKey::from_secret(secret),
            )
            .unwrap()
        };
        let join = |parts: &[Vec<char>]| {
            parts
                .iter()
                .map(|part| part.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(".")
        };
        match forgery {
            Forgery::Arbitrary(text) => text.clone(),
            Forgery::Replace { part, at, to } => {
                let part = &mut parts[*part];
                if !part.is_empty() {
                    let at = at.index(part.len());
                    part[at] = *to;
                }
                join(&parts)
            }
            Forgery::Delete { part, at } => {
                let part = &mut parts[*part];
                if !part.is_empty() {
                    part.remove(at.index(part.len()));
                }
                join(&parts)
            }
            Forgery::Insert { part, at, c } => {
                let part = &mut parts[*part];
                part.insert(at.index(part.len() + 1), *c);
                join(&parts)
            }
            Forgery::Truncate(at) => token[..at.index(token.len())].to_owned(),
            Forgery::AlgNone { keep_signature } => {
                let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
                let signature: String = if *keep_signature {
                    parts[2].iter().collect()
                } else {
                    String::new()
                };
                let payload: String = parts[1].iter().collect();
                format!("{header}.{payload}.{signature}")
            }
            Forgery::OtherAlgorithm(algorithm) => sign(&claims(), *algorithm, SECRET.as_bytes()),
            Forgery::WrongSecret => sign(
                &claims(),
                Algorithm::HS256,
                b"another-secret-that-is-at-least-32-bytes",
            ),
            Forgery::Claim(change) => {
                let mut claims = claims();
                match change {
                    ClaimChange::Remove(name) => {
                        claims.as_object_mut().unwrap().remove(*name);
                    }
                    ClaimChange::Text(name, text) => claims[*name] = json!(text),
                    ClaimChange::OtherUser => claims["sub"] = json!(self.bob.id),
                    ClaimChange::Expired => {
                        claims["exp"] = json!(chrono::Utc::now().timestamp() - 60);
                    }
                }
                sign(&claims, Algorithm::HS256, SECRET.as_bytes())
            }
            Forgery::Swap(a, b) => {
                parts.swap(*a, *b);
                join(&parts)
            }
            Forgery::Doubled => format!("{token}.{token}"),
        }
    }
}

#[test]
fn forged_and_tampered_tokens_never_authenticate_or_write() {
    let fx = Fixture::new();
    fx.check("tokens", 64, forgery(), |forgery| {
        let forged = fx.forge(&forgery);
        let genuine = forged == fx.token();
        // Sent as bytes: a forgery with non-ASCII in it is still a header.
        let authorization = HeaderValue::from_bytes(format!("Bearer {forged}").as_bytes()).ok();
        prop_assume!(authorization.is_some());
        fx.block_on(async {
            let me = fx
                .graphql("{ me { id } }", None, &json!({}), authorization.clone())
                .await?;
            let like = fx
                .graphql(
                    "mutation($p: ID!) { likePost(postId: $p) { id } }",
                    None,
                    &json!({ "p": fx.bobs_post }),
                    authorization,
                )
                .await?;
            if genuine {
                prop_assert!(me.get("errors").is_none(), "{me}");
            } else {
                prop_assert_eq!(codes(&me), vec!["UNAUTHENTICATED"], "{}", me);
                prop_assert!(me["data"].is_null(), "{me}");
                prop_assert_eq!(codes(&like), vec!["UNAUTHENTICATED"], "{}", like);
            }
            Ok(())
        })
    });
}

/// `Authorization` values: any bytes a header value may hold, and schemes,
/// gaps and tails around the real token (`REAL`) or another one.
fn authorization_values() -> impl Strategy<Value = Vec<u8>> {
    let header_byte = prop_oneof![Just(b'\t'), 0x20u8..=0x7e, 0x80u8..=0xff];
    let scheme = prop_oneof![
        3 => prop::sample::select(vec!["Bearer", "bearer", "BEARER", "BeArEr"]),
        1 => prop::sample::select(vec![
            "Basic", "Token", "JWT", "Bearer:", "Bearer,", "", "Bearer Bearer", "Digest", "Bear",
        ]),
    ];
    let gap = prop_oneof![
        3 => prop::sample::select(vec![" ", "  ", "          ", " \t "]),
        1 => prop::sample::select(vec!["", "\t", "\u{a0}", ":", "="]),
    ];
    let token = prop_oneof![
        4 => Just("REAL".to_owned()),
        1 => Just(String::new()),
        1 => "[!-~]{0,80}",
        1 => "[A-Za-z0-9_-]{20,40}\\.[A-Za-z0-9_-]{20,200}\\.[A-Za-z0-9_-]{43}",
    ];
    let tail = prop_oneof![
        3 => Just(""),
        1 => prop::sample::select(vec![" ", "   ", "\t", " extra", ",Bearer x", "\u{e9}"]),
    ];
    prop_oneof![
        1 => prop::collection::vec(header_byte, 0..200),
        3 => (scheme, gap, token, tail).prop_map(|(scheme, gap, token, tail)| {
            format!("{scheme}{gap}{token}{tail}").into_bytes()
        }),
    ]
}

#[test]
fn any_authorization_header_gets_a_coded_answer_and_only_bearer_real_tokens_authenticate() {
    let fx = Fixture::new();
    let strategy = (authorization_values(), any::<bool>());
    fx.check("Authorization headers", 64, strategy, |(value, twice)| {
        let token = fx.token();
        let value = String::from_utf8_lossy(&value).replace("REAL", &token);
        let Ok(value) = HeaderValue::from_bytes(
            &value
                .bytes()
                .filter(|b| *b == b'\t' || *b >= 0x20 && *b != 0x7f)
                .collect::<Vec<u8>>(),
        ) else {
            return Ok(());
        };
        let well_formed = value.to_str().ok().is_some_and(|text| {
            text.trim().split_once(' ').is_some_and(|(scheme, rest)| {
                scheme.eq_ignore_ascii_case("bearer") && rest.trim() == token
            })
        });
        let send = |document: &'static str, variables: Value| {
            let body = json!({ "query": document, "variables": variables }).to_string();
            let mut request = json_post(body, Some(value.clone()));
            if twice {
                let genuine = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
                request.headers_mut().append(header::AUTHORIZATION, genuine);
            }
            fx.exchange(request, Some(document))
        };
        fx.block_on(async {
            let me = send("{ me { id } }", json!({})).await?;
            send(
                "mutation($p: ID!) { unlikePost(postId: $p) { id } }",
                json!({ "p": fx.own_post }),
            )
            .await?;
            let authenticated = me.get("errors").is_none();
            prop_assert_eq!(authenticated, well_formed, "{:?} answered {}", value, me);
            if !authenticated {
                prop_assert_eq!(codes(&me), vec!["UNAUTHENTICATED"], "{}", me);
            }
            Ok(())
        })
    });
}

/// A request as a client might send it, right or wrong.
#[derive(Clone, Debug)]
struct RawRequest {
    method: Method,
    /// GET parameters, percent-encoded into the URI.
    params: Vec<(String, String)>,
    content_type: Option<String>,
    accept: Option<&'static str>,
    body: Lossy,
    signed_in: bool,
}

/// Bytes shown as text in failure reports.
#[derive(Clone)]
struct Lossy(Vec<u8>);

impl std::fmt::Debug for Lossy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Valid operations for raw bodies; `POST_ID` is replaced by a real post id.
const RAW_DOCUMENTS: [&str; 5] = [
    "{ me { id } }",
    "query($u: String!) { user(username: $u) { id } }",
    "mutation { likePost(postId: \"POST_ID\") { id likeCount } }",
    "mutation { unlikePost(postId: \"POST_ID\") { id likeCount } }",
    "mutation { signOut }",
];

fn raw_bodies() -> impl Strategy<Value = Vec<u8>> {
    let valid = (prop::sample::select(RAW_DOCUMENTS.to_vec()), json_value()).prop_map(
        |(document, username)| {
            raw_numbers(json!({ "query": document, "variables": { "u": username } }).to_string())
        },
    );
    let escapes = prop::sample::select(vec![
        r#"{"query":"query($u: String!) { user(username: $u) { id } }","variables":{"u":"a\ud800b"}}"#,
        r#"{"query":"query($u: String!) { user(username: $u) { id } }","variables":{"u":"\udc00"}}"#,
        r#"{"query":"query($u: String!) { user(username: $u) { id } }","variables":{"u":"\ud83d"}}"#,
        r#"{"query":"query($u: String!) { user(username: $u) { id } }","variables":{"u":"\ud83d\ude00"}}"#,
        r#"{"query":"{ me { id } }\ud800"}"#,
        r#"{"query":"{ user(username: \"\\ud800\") { id } }"}"#,
        r#"{"query":"{ me { id } }","operationName":"\ud800"}"#,
        r#"{"query":"{ me { id } }","variables":{"\ud800":1}}"#,
        r#"{"query":"{ me { id } }","variables":{"u":"a\u0000b"}}"#,
        r#"{"query":"{ me { id } }", "query": "mutation { signOut }"}"#,
        r#"{"query":1}"#,
        r#"{"query":null}"#,
        r#"{"query":["{ me { id } }"]}"#,
        r#"{"query":"{ me { id } }","variables":[1]}"#,
        r#"{"query":"{ me { id } }","variables":"{}"}"#,
        r#"{"query":"{ me { id } }","operationName":{}}"#,
        r#"{"query":"{ me { id } }","extensions":[]}"#,
        r#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}"#,
        r#"{"extensions":{"persistedQuery":{"version":"x","sha256Hash":1}}}"#,
        r#"{"query":"{ me { id } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}"#,
        r#"[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]"#,
        r#"[]"#,
        "",
        "null",
        "\u{feff}{\"query\":\"{ me { id } }\"}",
        "{\"query\":\"{ me { id } }\"",
    ])
    .prop_map(|text| text.as_bytes().to_vec());
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..2000),
        1 => json_value().prop_map(|value| raw_numbers(value.to_string()).into_bytes()),
        3 => valid.clone().prop_map(String::into_bytes),
        2 => (valid, prop::collection::vec(edit(), 1..4))
            .prop_map(|(body, edits)| apply(&body, &edits).into_bytes()),
        3 => escapes,
        1 => (
            1usize..20_000,
            prop::sample::select(vec!["[", "{\"a\":", "{\"query\":"])
        )
            .prop_map(|(n, open)| open.repeat(n).into_bytes()),
        1 => Just(
            json!({ "query": "{ me { id } }", "extensions": { "padding": "x".repeat(300_000) } })
                .to_string()
                .into_bytes()
        ),
        1 => valid_utf16(),
    ]
}

fn valid_utf16() -> impl Strategy<Value = Vec<u8>> {
    Just(
        "{\"query\":\"{ me { id } }\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect(),
    )
}

fn raw_requests() -> impl Strategy<Value = RawRequest> {
    let method = prop_oneof![
        6 => Just(Method::POST),
        2 => Just(Method::GET),
        1 => prop::sample::select(vec![Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS]),
    ];
    let param = (
        prop_oneof![
            prop::sample::select(vec!["query", "variables", "operationName", "extensions"])
                .prop_map(str::to_owned),
            "[a-z]{1,6}",
        ],
        prop_oneof![
            prop::sample::select(RAW_DOCUMENTS.to_vec()).prop_map(str::to_owned),
            json_value().prop_map(|value| raw_numbers(value.to_string())),
            any::<String>(),
        ],
    );
    let content_type = prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        2 => prop::sample::select(vec![
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "APPLICATION/JSON",
            "application/json; charset=utf-16",
            "application/json; charset",
            "application/json; ;;",
            "application/graphql",
            "application/graphql-response+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ])
        .prop_map(|text| Some(text.to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,60}".prop_map(Some),
    ];
    let accept = prop_oneof![
        4 => prop::sample::select(vec![None, Some("application/json"), Some(GRAPHQL_RESPONSE)]),
        1 => prop::sample::select(vec![
            Some("*/*"),
            Some("text/plain"),
            Some("application/json;q=0"),
            Some("application/graphql-response+json;q=0.5, application/json;q=0.9"),
            Some("garbage;;q=x, */*;q=-1"),
        ]),
    ];
    (
        method,
        prop::collection::vec(param, 0..4),
        content_type,
        accept,
        raw_bodies(),
        any::<bool>(),
    )
        .prop_map(
            |(method, params, content_type, accept, body, signed_in)| RawRequest {
                method,
                params,
                content_type,
                accept,
                body: Lossy(body),
                signed_in,
            },
        )
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn raw_bodies_methods_and_content_types_get_coded_answers_and_write_nothing_when_refused() {
    let fx = Fixture::new();
    fx.check("raw requests", 128, raw_requests(), |raw| {
        let post_id = &fx.bobs_post;
        let params: Vec<(String, String)> = raw
            .params
            .iter()
            .map(|(name, value)| (name.clone(), value.replace("POST_ID", post_id)))
            .collect();
        let body = match String::from_utf8(raw.body.0.clone()) {
            Ok(text) => text.replace("POST_ID", post_id).into_bytes(),
            Err(_) => raw.body.0.clone(),
        };
        let query: String = params
            .iter()
            .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::builder()
            .method(raw.method.clone())
            .uri(format!("/graphql?{query}"));
        if let Some(content_type) = &raw.content_type {
            request = request.header(header::CONTENT_TYPE, content_type.as_str());
        }
        if let Some(accept) = raw.accept {
            request = request.header(header::ACCEPT, accept);
        }
        if raw.signed_in {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", fx.token()));
        }
        // What would run, if anything: the body's query, or the GET one.
        let document = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|body| body["query"].as_str().map(str::to_owned))
            .or_else(|| {
                params
                    .iter()
                    .rev()
                    .find(|(name, _)| name == "query")
                    .map(|(_, value)| value.clone())
            });
        let request = request.body(Body::from(body)).unwrap();
        fx.block_on(async {
            fx.exchange(request, document.as_deref()).await?;
            Ok(())
        })
    });
}
