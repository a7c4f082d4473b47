//! Soak run: do writes survive a minute of contention, and does the server
//! answer every request meanwhile?
//!
//! Starts the server in this process on 127.0.0.1 over a fresh SQLite file in a
//! temporary directory (or, with `--database-url`, an empty PostgreSQL database
//! the caller created), seeds demo data at the production bcrypt cost, and
//! gives each client an account of its own and an `X-Forwarded-For` address of
//! its own. Every client signs in, then loops over a realistic mix until the
//! time is up: home feed reads, likes and unlikes of a small pool of posts and
//! follows and unfollows of a small pool of people (every client draws from
//! the same pools, so they contend on the same rows), new posts, and now and
//! then a sign-in.
//!
//! Each client keeps a ledger of the writes the server acknowledged. At the
//! end the database is read directly and must agree with the ledgers, and so
//! must the counts the API reports. Prints a Markdown report, and exits
//! non-zero on any HTTP 5xx, unknown outcome, GraphQL error, answer that
//! contradicts the client's own writes, or ledger mismatch.
//!
//! The in-process server otherwise runs with the server's defaults, and reads
//! the server's environment variables (`BCRYPT_CONCURRENCY`,
//! `DB_MAX_CONNECTIONS`, …) as `instanext serve` would.
//!
//! `cargo run --release -p instanext-bench --bin soak -- --duration 60s --clients 64`

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt::Write as _,
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use entity::{post, post_like, user, user_follower};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{
    Request, StatusCode,
    body::Bytes,
    header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT},
};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use instanext_api::{app, config::Settings, http, seed};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Statement,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "Soak the InstaNext API with concurrent clients, then check every write")]
struct Args {
    /// How long the clients run, e.g. `60s` or `5m`.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Concurrent clients, each with an account and a client address of its own.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    clients: u32,
    /// An empty database to soak (`postgres://…`), created by the caller; by
    /// default a new SQLite file in a temporary directory. A database that
    /// already has users is refused.
    #[arg(long)]
    database_url: Option<String>,
    /// bcrypt cost of the seeded accounts and of every sign-in, as in production.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(4..=31))]
    bcrypt_cost: u32,
    /// bcrypt hashes at once (the server's BCRYPT_CONCURRENCY); by default the
    /// server's default, half the processors.
    #[arg(long)]
    bcrypt_concurrency: Option<u32>,
    /// Seeded accounts: the clients', the pool's and everyone else's.
    #[arg(long, default_value_t = 300)]
    users: u32,
    /// People in the shared pool; the pool of posts is the newest post of each.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pool: u32,
    /// Also write the report to this file.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// The server's own settings, defaults and environment variables applied, for
/// everything the soak does not set itself.
#[derive(Parser)]
struct ServerDefaults {
    #[command(flatten)]
    settings: Settings,
}

/// What one request of the mix does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Feed,
    LikePost,
    UnlikePost,
    FollowUser,
    UnfollowUser,
    CreatePost,
    SignIn,
}

/// The mix, in thousandths of all requests. Sign-ins are rare because each
/// one costs a production bcrypt hash, of which the server runs few at once.
const MIX: [(Op, u32); 7] = [
    (Op::Feed, 500),
    (Op::LikePost, 110),
    (Op::UnlikePost, 110),
    (Op::FollowUser, 85),
    (Op::UnfollowUser, 85),
    (Op::CreatePost, 105),
    (Op::SignIn, 5),
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Feed => "followingPosts (home feed)",
            Op::LikePost => "likePost",
            Op::UnlikePost => "unlikePost",
            Op::FollowUser => "followUser",
            Op::UnfollowUser => "unfollowUser",
            Op::CreatePost => "createPost",
            Op::SignIn => "signIn",
        }
    }

    fn pick(rng: &mut StdRng) -> Op {
        let total: u32 = MIX.iter().map(|(_, weight)| weight).sum();
        let mut roll = rng.random_range(0..total);
        for (op, weight) in MIX {
            if roll < weight {
                return op;
            }
            roll -= weight;
        }
        Op::Feed
    }
}

const FEED: &str = "query Feed { followingPosts(first: 20) { edges { cursor node { id caption \
    createdAt author { id username profilePic { url } } images { url sequence } likeCount \
    viewerHasLiked } } pageInfo { hasNextPage endCursor } } }";
const LIKE: &str =
    "mutation Like($id: ID!) { likePost(postId: $id) { id likeCount viewerHasLiked } }";
const UNLIKE: &str =
    "mutation Unlike($id: ID!) { unlikePost(postId: $id) { id likeCount viewerHasLiked } }";
const FOLLOW: &str = "mutation Follow($username: String!) { followUser(username: $username) \
    { id followerCount followingCount viewerIsFollowing } }";
const UNFOLLOW: &str = "mutation Unfollow($username: String!) { unfollowUser(username: \
    $username) { id followerCount followingCount viewerIsFollowing } }";
const CREATE_POST: &str = "mutation Publish($input: CreatePostInput!) { createPost(input: \
    $input) { id caption createdAt images { url sequence } author { id postCount } } }";
const SIGN_IN: &str = "mutation SignIn($email: String!, $password: String!) { signIn(email: \
    $email, password: $password) { token expiresAt user { id } } }";

/// Error codes that refuse a write before it happens: after one of them the
/// ledger knows the write did not take place. Any other error (`INTERNAL`
/// above all) may come after the write, so its outcome is unknown.
const REFUSALS: [&str; 8] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
];

/// How many examples of each kind of failure the report lists.
const EXAMPLES: usize = 20;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The server's answer to one request, as far as the client can tell.
enum Reply {
    /// 200 without errors; the `data` member.
    Data(Value),
    /// 200 with GraphQL errors; their codes.
    Errors(Vec<String>),
    /// Any status but 200.
    Status(u16),
    /// No answer that could be read, and why.
    NoAnswer(&'static str),
}

/// What a reply means for the ledger.
enum Verdict {
    Acknowledged(Value),
    Refused,
    Unknown,
}

#[derive(Clone)]
struct Api {
    client: HttpClient,
    url: String,
    /// Longer than the server's own request timeout, which answers 408 first.
    timeout: Duration,
}

impl Api {
    /// Sends one operation from `address`, with `token` if given, and times it.
    async fn send(&self, body: &Value, token: Option<&str>, address: &str) -> (Duration, Reply) {
        let started = Instant::now();
        let reply =
            match tokio::time::timeout(self.timeout, self.exchange(body, token, address)).await {
                Ok(reply) => reply,
                Err(_) => Reply::NoAnswer("timeout"),
            };
        (started.elapsed(), reply)
    }

    async fn exchange(&self, body: &Value, token: Option<&str>, address: &str) -> Reply {
        let mut request = Request::post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "instanext-soak")
            .header("x-forwarded-for", address);
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let Ok(request) = request.body(Full::new(Bytes::from(body.to_string()))) else {
            return Reply::NoAnswer("request not built");
        };
        let Ok(response) = self.client.request(request).await else {
            return Reply::NoAnswer("transport error");
        };
        let status = response.status();
        let Ok(collected) = response.into_body().collect().await else {
            return Reply::NoAnswer("transport error");
        };
        if status != StatusCode::OK {
            return Reply::Status(status.as_u16());
        }
        let Ok(mut answer) = serde_json::from_slice::<Value>(&collected.to_bytes()) else {
            return Reply::NoAnswer("unreadable answer");
        };
        match answer.get("errors").and_then(Value::as_array) {
            Some(errors) if !errors.is_empty() => Reply::Errors(
                errors
                    .iter()
                    .map(|error| {
                        error["extensions"]["code"]
                            .as_str()
                            .unwrap_or("(no code)")
                            .to_owned()
                    })
                    .collect(),
            ),
            _ => Reply::Data(answer["data"].take()),
        }
    }
}

/// Latencies and errors of one operation.
struct OpStats {
    latency: Histogram<u64>,
    requests: u64,
    errors: u64,
}

impl OpStats {
    fn new() -> Self {
        Self {
            // Microseconds, up to an hour: far beyond any request timeout.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("the bounds and precision are valid"),
            requests: 0,
            errors: 0,
        }
    }

    fn merge(&mut self, other: &OpStats) {
        // Histograms of the same bounds always add up.
        let _ = self.latency.add(&other.latency);
        self.requests += other.requests;
        self.errors += other.errors;
    }
}

/// Everything the clients saw, apart from their ledgers.
#[derive(Default)]
struct Tally {
    ops: BTreeMap<Op, OpStats>,
    /// Statuses other than 200, and how often.
    statuses: BTreeMap<u16, u64>,
    /// Requests that got no readable answer, by reason.
    no_answer: BTreeMap<&'static str, u64>,
    /// Requests whose outcome is unknown: no answer, 408 or 5xx, or, for a
    /// write, an error that may have come after the write.
    unknown: u64,
    /// GraphQL errors by code.
    codes: BTreeMap<String, u64>,
    /// Answers that contradict the client's own acknowledged writes.
    contradictions: u64,
    contradiction_examples: Vec<String>,
}

impl Tally {
    fn record(&mut self, op: Op, elapsed: Duration, reply: Reply) -> Verdict {
        let stats = self.ops.entry(op).or_insert_with(OpStats::new);
        stats.requests += 1;
        stats
            .latency
            .saturating_record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        let verdict = match reply {
            Reply::Data(data) => return Verdict::Acknowledged(data),
            Reply::Errors(codes) => {
                let unknown =
                    is_write(op) && codes.iter().any(|code| !REFUSALS.contains(&code.as_str()));
                for code in codes {
                    *self.codes.entry(code).or_default() += 1;
                }
                if unknown {
                    Verdict::Unknown
                } else {
                    Verdict::Refused
                }
            }
            Reply::Status(status) => {
                *self.statuses.entry(status).or_default() += 1;
                if status >= 500 || status == 408 {
                    Verdict::Unknown
                } else {
                    Verdict::Refused
                }
            }
            Reply::NoAnswer(reason) => {
                *self.no_answer.entry(reason).or_default() += 1;
                Verdict::Unknown
            }
        };
        stats.errors += 1;
        if matches!(verdict, Verdict::Unknown) {
            self.unknown += 1;
        }
        verdict
    }

    fn contradiction(&mut self, text: String) {
        self.contradictions += 1;
        if self.contradiction_examples.len() < EXAMPLES {
            self.contradiction_examples.push(text);
        }
    }

    fn merge(&mut self, other: Tally) {
        for (op, stats) in &other.ops {
            self.ops
                .entry(*op)
                .or_insert_with(OpStats::new)
                .merge(stats);
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        for (reason, count) in other.no_answer {
            *self.no_answer.entry(reason).or_default() += count;
        }
        self.unknown += other.unknown;
        for (code, count) in other.codes {
            *self.codes.entry(code).or_default() += count;
        }
        self.contradictions += other.contradictions;
        for example in other.contradiction_examples {
            if self.contradiction_examples.len() < EXAMPLES {
                self.contradiction_examples.push(example);
            }
        }
    }

    fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| **status >= 500)
            .map(|(_, count)| count)
            .sum()
    }
}

fn is_write(op: Op) -> bool {
    !matches!(op, Op::Feed)
}

/// One client's account.
#[derive(Clone)]
struct Account {
    index: usize,
    user_id: String,
    email: String,
    /// Its own client address, so that per-address limits see one client.
    address: String,
}

/// What one client knows it holds, from the writes the server acknowledged:
/// `Some(held)` per pool row, `None` once a write's outcome is unknown (until
/// an acknowledged write decides it again).
#[derive(Clone)]
struct Ledger {
    likes: Vec<Option<bool>>,
    follows: Vec<Option<bool>>,
    created: Vec<String>,
    created_unknown: u64,
}

/// The rows every client contends on: a few people and the newest post of
/// each.
struct Pool {
    user_ids: Vec<String>,
    usernames: Vec<String>,
    post_ids: Vec<String>,
}

/// What every client shares.
struct Plan {
    api: Api,
    pool: Pool,
    password: String,
    deadline: Instant,
}

/// What a client brings back.
struct Finished {
    account: Account,
    token: String,
    ledger: Ledger,
    tally: Tally,
}

/// One client: its account, session, ledger and what it saw.
struct Worker {
    plan: Arc<Plan>,
    account: Account,
    token: String,
    ledger: Ledger,
    tally: Tally,
    /// Posts of the account before the run.
    initial_posts: u64,
    /// Posts this client has asked to publish, for captions and picture URLs.
    serial: u64,
    rng: StdRng,
}

impl Worker {
    /// Loops over the mix until the deadline.
    async fn run(mut self) -> Finished {
        while Instant::now() < self.plan.deadline {
            match Op::pick(&mut self.rng) {
                Op::Feed => self.feed().await,
                Op::LikePost => self.like(true).await,
                Op::UnlikePost => self.like(false).await,
                Op::FollowUser => self.follow(true).await,
                Op::UnfollowUser => self.follow(false).await,
                Op::CreatePost => self.create_post().await,
                Op::SignIn => self.sign_in().await,
            }
        }
        Finished {
            account: self.account,
            token: self.token,
            ledger: self.ledger,
            tally: self.tally,
        }
    }

    async fn call(&mut self, op: Op, body: Value) -> Verdict {
        let token = (op != Op::SignIn).then_some(self.token.as_str());
        let (elapsed, reply) = self
            .plan
            .api
            .send(&body, token, &self.account.address)
            .await;
        self.tally.record(op, elapsed, reply)
    }

    fn contradiction(&mut self, text: impl std::fmt::Display) {
        let text = format!("client {}: {text}", self.account.index);
        self.tally.contradiction(text);
    }

    async fn feed(&mut self) {
        let body = json!({ "query": FEED, "operationName": "Feed" });
        if let Verdict::Acknowledged(data) = self.call(Op::Feed, body).await {
            let posts = data["followingPosts"]["edges"].as_array().map(Vec::len);
            if posts.is_none_or(|n| n > 20) {
                self.contradiction(format_args!("the feed answered {posts:?} posts"));
            }
        }
    }

    async fn like(&mut self, like: bool) {
        let slot = self.rng.random_range(0..self.plan.pool.post_ids.len());
        let (op, query, name, field) = if like {
            (Op::LikePost, LIKE, "Like", "likePost")
        } else {
            (Op::UnlikePost, UNLIKE, "Unlike", "unlikePost")
        };
        let body = json!({
            "query": query,
            "operationName": name,
            "variables": { "id": self.plan.pool.post_ids[slot] },
        });
        match self.call(op, body).await {
            Verdict::Acknowledged(data) => {
                self.ledger.likes[slot] = Some(like);
                let seen = data[field]["viewerHasLiked"].as_bool();
                if seen != Some(like) {
                    self.contradiction(format_args!(
                        "{field} on pool post {slot} answered viewerHasLiked {seen:?}"
                    ));
                }
            }
            Verdict::Unknown => self.ledger.likes[slot] = None,
            Verdict::Refused => {}
        }
    }

    async fn follow(&mut self, follow: bool) {
        let slot = self.rng.random_range(0..self.plan.pool.usernames.len());
        let (op, query, name, field) = if follow {
            (Op::FollowUser, FOLLOW, "Follow", "followUser")
        } else {
            (Op::UnfollowUser, UNFOLLOW, "Unfollow", "unfollowUser")
        };
        let body = json!({
            "query": query,
            "operationName": name,
            "variables": { "username": self.plan.pool.usernames[slot] },
        });
        match self.call(op, body).await {
            Verdict::Acknowledged(data) => {
                self.ledger.follows[slot] = Some(follow);
                let seen = data[field]["viewerIsFollowing"].as_bool();
                if seen != Some(follow) {
                    self.contradiction(format_args!(
                        "{field} on pool user {slot} answered viewerIsFollowing {seen:?}"
                    ));
                }
            }
            Verdict::Unknown => self.ledger.follows[slot] = None,
            Verdict::Refused => {}
        }
    }

    async fn create_post(&mut self) {
        self.serial += 1;
        let (client, serial) = (self.account.index, self.serial);
        let images: Vec<Value> = (0..self.rng.random_range(1..=3))
            .map(|sequence| {
                json!({
                    "url": format!(
                        "https://picsum.photos/seed/soak-{client}-{serial}-{sequence}/640/640"
                    ),
                    "sequence": sequence,
                })
            })
            .collect();
        let body = json!({
            "query": CREATE_POST,
            "operationName": "Publish",
            "variables": { "input": {
                "caption": format!("Soak post {serial} of client {client} #soak"),
                "images": images,
            } },
        });
        match self.call(Op::CreatePost, body).await {
            Verdict::Acknowledged(data) => {
                let created = &data["createPost"];
                let id = created["id"].as_str();
                if let Some(id) = id {
                    self.ledger.created.push(id.to_owned());
                }
                // Only this client publishes on its account, one post at a
                // time, so its count is known exactly.
                let low = self.initial_posts + self.ledger.created.len() as u64;
                let high = low + self.ledger.created_unknown;
                let seen = created["author"]["postCount"].as_u64();
                let author = created["author"]["id"].as_str();
                if id.is_none()
                    || author != Some(self.account.user_id.as_str())
                    || !seen.is_some_and(|n| (low..=high).contains(&n))
                {
                    self.contradiction(format_args!(
                        "createPost answered post {id:?} by {author:?} with postCount {seen:?}, \
                         expected {}",
                        expected(low, high - low)
                    ));
                }
            }
            Verdict::Unknown => self.ledger.created_unknown += 1,
            Verdict::Refused => {}
        }
    }

    async fn sign_in(&mut self) {
        let body = json!({
            "query": SIGN_IN,
            "operationName": "SignIn",
            "variables": { "email": self.account.email, "password": self.plan.password },
        });
        if let Verdict::Acknowledged(data) = self.call(Op::SignIn, body).await {
            let signed_in = &data["signIn"];
            match signed_in["token"].as_str() {
                Some(token) if signed_in["user"]["id"] == self.account.user_id.as_str() => {
                    self.token = token.to_owned();
                }
                _ => self.contradiction(format_args!(
                    "signIn answered user {} without a usable token",
                    signed_in["user"]["id"]
                )),
            }
        }
    }
}

/// The rows the checks look at, read straight from the database.
struct Snapshot {
    /// Likes of each pool post, by post id.
    like_counts: HashMap<String, u64>,
    /// Followers of each pool user, by user id.
    follower_counts: HashMap<String, u64>,
    /// Posts of each client, by user id.
    post_counts: HashMap<String, u64>,
    /// (client id, pool post id) for each like of a client.
    likes: HashSet<(String, String)>,
    /// (client id, pool user id) for each follow by a client.
    follows: HashSet<(String, String)>,
    /// Ids of the clients' posts.
    client_posts: HashSet<String>,
}

async fn snapshot(
    db: &DatabaseConnection,
    pool: &Pool,
    clients: &[String],
) -> anyhow::Result<Snapshot> {
    let client_set: HashSet<&String> = clients.iter().collect();

    let like_rows: Vec<(String, String)> = post_like::Entity::find()
        .select_only()
        .column(post_like::Column::UserId)
        .column(post_like::Column::PostId)
        .filter(post_like::Column::PostId.is_in(pool.post_ids.iter().map(String::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    let mut like_counts: HashMap<String, u64> =
        pool.post_ids.iter().map(|id| (id.clone(), 0)).collect();
    let mut likes = HashSet::new();
    for (user_id, post_id) in like_rows {
        *like_counts.entry(post_id.clone()).or_default() += 1;
        if client_set.contains(&user_id) {
            likes.insert((user_id, post_id));
        }
    }

    let follow_rows: Vec<(String, String)> = user_follower::Entity::find()
        .select_only()
        .column(user_follower::Column::UserId)
        .column(user_follower::Column::FollowerId)
        .filter(user_follower::Column::UserId.is_in(pool.user_ids.iter().map(String::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    let mut follower_counts: HashMap<String, u64> =
        pool.user_ids.iter().map(|id| (id.clone(), 0)).collect();
    let mut follows = HashSet::new();
    for (user_id, follower_id) in follow_rows {
        *follower_counts.entry(user_id.clone()).or_default() += 1;
        if client_set.contains(&follower_id) {
            follows.insert((follower_id, user_id));
        }
    }

    let post_rows: Vec<(String, String)> = post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .column(post::Column::UserId)
        .filter(post::Column::UserId.is_in(clients.iter().map(String::as_str)))
        .into_tuple()
        .all(db)
        .await?;
    let mut post_counts: HashMap<String, u64> = clients.iter().map(|id| (id.clone(), 0)).collect();
    let mut client_posts = HashSet::new();
    for (id, user_id) in post_rows {
        *post_counts.entry(user_id).or_default() += 1;
        client_posts.insert(id);
    }

    Ok(Snapshot {
        like_counts,
        follower_counts,
        post_counts,
        likes,
        follows,
        client_posts,
    })
}

/// One line of the ledger check.
struct Check {
    what: &'static str,
    compared: u64,
    mismatches: Vec<String>,
}

impl Check {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            compared: 0,
            mismatches: Vec::new(),
        }
    }

    fn compare(&mut self, agrees: bool, describe: impl FnOnce() -> String) {
        self.compared += 1;
        if !agrees {
            self.mismatches.push(describe());
        }
    }
}

/// How many clients' ledgers hold a row for certain, and how many cannot say.
fn held(ledgers: &[&Ledger], row: impl Fn(&Ledger) -> Option<bool>) -> (u64, u64) {
    let mut held = 0;
    let mut undecided = 0;
    for ledger in ledgers {
        match row(ledger) {
            Some(true) => held += 1,
            Some(false) => {}
            None => undecided += 1,
        }
    }
    (held, undecided)
}

fn within(actual: u64, low: u64, undecided: u64) -> bool {
    (low..=low + undecided).contains(&actual)
}

fn expected(low: u64, undecided: u64) -> String {
    if undecided == 0 {
        low.to_string()
    } else {
        format!("{low} to {}", low + undecided)
    }
}

/// Compares the database after the run with the database before it and the
/// clients' ledgers.
fn check_database(
    before: &Snapshot,
    after: &Snapshot,
    pool: &Pool,
    finished: &[Finished],
) -> Vec<Check> {
    let ledgers: Vec<&Ledger> = finished.iter().map(|done| &done.ledger).collect();

    let mut like_counts = Check::new("likes of each pool post");
    for (slot, post_id) in pool.post_ids.iter().enumerate() {
        let by_clients_before = finished
            .iter()
            .filter(|done| {
                before
                    .likes
                    .contains(&(done.account.user_id.clone(), post_id.clone()))
            })
            .count() as u64;
        let others = before.like_counts[post_id] - by_clients_before;
        let (held, undecided) = held(&ledgers, |ledger| ledger.likes[slot]);
        let actual = after.like_counts[post_id];
        like_counts.compare(within(actual, others + held, undecided), || {
            format!(
                "pool post {slot} ({post_id}): {actual} likes in the database, expected {} \
                 ({} before, {by_clients_before} of them by clients; {held} held by ledgers \
                 now)",
                expected(others + held, undecided),
                before.like_counts[post_id]
            )
        });
    }

    let mut follower_counts = Check::new("followers of each pool user");
    for (slot, user_id) in pool.user_ids.iter().enumerate() {
        let by_clients_before = finished
            .iter()
            .filter(|done| {
                before
                    .follows
                    .contains(&(done.account.user_id.clone(), user_id.clone()))
            })
            .count() as u64;
        let others = before.follower_counts[user_id] - by_clients_before;
        let (held, undecided) = held(&ledgers, |ledger| ledger.follows[slot]);
        let actual = after.follower_counts[user_id];
        follower_counts.compare(within(actual, others + held, undecided), || {
            format!(
                "pool user {slot} ({user_id}): {actual} followers in the database, expected {} \
                 ({} before, {by_clients_before} of them clients; {held} held by ledgers now)",
                expected(others + held, undecided),
                before.follower_counts[user_id]
            )
        });
    }

    let mut post_counts = Check::new("posts of each client");
    let mut stored = Check::new("each acknowledged new post is stored");
    let mut like_rows = Check::new("each client's like of each pool post");
    let mut follow_rows = Check::new("each client's follow of each pool user");
    for done in finished {
        let (index, id) = (done.account.index, &done.account.user_id);
        let low = before.post_counts[id] + done.ledger.created.len() as u64;
        let actual = after.post_counts[id];
        post_counts.compare(within(actual, low, done.ledger.created_unknown), || {
            format!(
                "client {index}: {actual} posts in the database, expected {} ({} before, {} \
                 acknowledged)",
                expected(low, done.ledger.created_unknown),
                before.post_counts[id],
                done.ledger.created.len()
            )
        });
        for post_id in &done.ledger.created {
            stored.compare(after.client_posts.contains(post_id), || {
                format!("client {index}: acknowledged post {post_id} is not in the database")
            });
        }
        for (slot, post_id) in pool.post_ids.iter().enumerate() {
            if let Some(liked) = done.ledger.likes[slot] {
                let found = after.likes.contains(&(id.clone(), post_id.clone()));
                like_rows.compare(found == liked, || {
                    format!(
                        "client {index}, pool post {slot}: like in the database {found}, \
                         ledger {liked}"
                    )
                });
            }
        }
        for (slot, user_id) in pool.user_ids.iter().enumerate() {
            if let Some(follows) = done.ledger.follows[slot] {
                let found = after.follows.contains(&(id.clone(), user_id.clone()));
                follow_rows.compare(found == follows, || {
                    format!(
                        "client {index}, pool user {slot}: follow in the database {found}, \
                         ledger {follows}"
                    )
                });
            }
        }
    }

    vec![
        like_counts,
        follower_counts,
        post_counts,
        stored,
        like_rows,
        follow_rows,
    ]
}

/// Asks the API, as each client, for the counts and viewer flags of the pool
/// and for the client's own post count, and compares them with the database
/// and the ledger.
async fn check_api(api: &Api, after: &Snapshot, pool: &Pool, finished: &[Finished]) -> Vec<Check> {
    let mut variables = Vec::new();
    let mut fields = String::from("me { id postCount } ");
    for slot in 0..pool.post_ids.len() {
        variables.push(format!("$p{slot}: ID!"));
        let _ = write!(
            fields,
            "p{slot}: post(id: $p{slot}) {{ likeCount viewerHasLiked }} "
        );
    }
    for slot in 0..pool.usernames.len() {
        variables.push(format!("$u{slot}: String!"));
        let _ = write!(
            fields,
            "u{slot}: user(username: $u{slot}) {{ followerCount viewerIsFollowing }} "
        );
    }
    let query = format!("query Check({}) {{ {fields}}}", variables.join(", "));
    let mut values = serde_json::Map::new();
    for (slot, id) in pool.post_ids.iter().enumerate() {
        values.insert(format!("p{slot}"), json!(id));
    }
    for (slot, username) in pool.usernames.iter().enumerate() {
        values.insert(format!("u{slot}"), json!(username));
    }
    let body = json!({ "query": query, "operationName": "Check", "variables": values });

    let mut answered = Check::new("API: the check query is answered");
    let mut like_counts = Check::new("API: likeCount of each pool post, as each client sees it");
    let mut viewer_likes = Check::new("API: viewerHasLiked of each pool post against the ledger");
    let mut follower_counts =
        Check::new("API: followerCount of each pool user, as each client sees it");
    let mut viewer_follows =
        Check::new("API: viewerIsFollowing of each pool user against the ledger");
    let mut post_counts = Check::new("API: postCount of each client");

    for done in finished {
        let index = done.account.index;
        let (_, reply) = api
            .send(&body, Some(&done.token), &done.account.address)
            .await;
        let data = match reply {
            Reply::Data(data) => data,
            Reply::Errors(codes) => {
                answered.compare(false, || format!("client {index}: errors {codes:?}"));
                continue;
            }
            Reply::Status(status) => {
                answered.compare(false, || format!("client {index}: HTTP {status}"));
                continue;
            }
            Reply::NoAnswer(reason) => {
                answered.compare(false, || format!("client {index}: {reason}"));
                continue;
            }
        };
        answered.compare(true, String::new);

        let id = &done.account.user_id;
        let seen = data["me"]["postCount"].as_u64();
        post_counts.compare(seen == Some(after.post_counts[id]), || {
            format!(
                "client {index}: postCount {seen:?}, database {}",
                after.post_counts[id]
            )
        });
        for (slot, post_id) in pool.post_ids.iter().enumerate() {
            let post = &data[format!("p{slot}")];
            let seen = post["likeCount"].as_u64();
            like_counts.compare(seen == Some(after.like_counts[post_id]), || {
                format!(
                    "client {index}, pool post {slot}: likeCount {seen:?}, database {}",
                    after.like_counts[post_id]
                )
            });
            if let Some(liked) = done.ledger.likes[slot] {
                let seen = post["viewerHasLiked"].as_bool();
                viewer_likes.compare(seen == Some(liked), || {
                    format!(
                        "client {index}, pool post {slot}: viewerHasLiked {seen:?}, ledger \
                         {liked}"
                    )
                });
            }
        }
        for (slot, user_id) in pool.user_ids.iter().enumerate() {
            let person = &data[format!("u{slot}")];
            let seen = person["followerCount"].as_u64();
            follower_counts.compare(seen == Some(after.follower_counts[user_id]), || {
                format!(
                    "client {index}, pool user {slot}: followerCount {seen:?}, database {}",
                    after.follower_counts[user_id]
                )
            });
            if let Some(follows) = done.ledger.follows[slot] {
                let seen = person["viewerIsFollowing"].as_bool();
                viewer_follows.compare(seen == Some(follows), || {
                    format!(
                        "client {index}, pool user {slot}: viewerIsFollowing {seen:?}, ledger \
                         {follows}"
                    )
                });
            }
        }
    }

    vec![
        answered,
        like_counts,
        viewer_likes,
        follower_counts,
        viewer_follows,
        post_counts,
    ]
}

/// Refuses a database that already has users: it holds someone's data.
async fn refuse_if_in_use(url: &str) -> anyhow::Result<()> {
    let db = sea_orm::Database::connect(url)
        .await
        .context("cannot connect to the database")?;
    // A database without the users table yet is as empty as one can be.
    let users = user::Entity::find().count(&db).await;
    db.close().await?;
    if let Ok(users) = users
        && users > 0
    {
        bail!(
            "the database already has {users} users; soak only an empty database created for \
             it"
        );
    }
    Ok(())
}

async fn database_version(db: &DatabaseConnection) -> String {
    let backend = db.get_database_backend();
    let (name, sql) = match backend {
        DbBackend::Sqlite => ("SQLite", "SELECT sqlite_version()"),
        DbBackend::Postgres => ("PostgreSQL", "SHOW server_version"),
        _ => return "unknown database".to_owned(),
    };
    let version = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .unwrap_or_else(|| "(version unknown)".to_owned());
    format!("{name} {version}")
}

/// Processors, memory and operating system, from `/proc` and `/etc/os-release`.
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let processors = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .filter(|line| line.starts_with("model name"))
        .find_map(|line| line.split_once(':'))
        .map_or("unknown model", |(_, model)| model.trim())
        .to_owned();
    let memory_kib = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    let os = read("/etc/os-release")
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map_or_else(
            || "unknown OS".to_owned(),
            |name| name.trim_matches('"').to_owned(),
        );
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "{processors} processors ({model}), {:.1} GiB memory, {os}, Linux {}",
        memory_kib as f64 / (1024.0 * 1024.0),
        kernel.trim()
    )
}

/// The command line as it was given, with any database password hidden.
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| match url::Url::parse(&arg) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => arg,
        })
        .collect();
    let mut command = "cargo run --release -p instanext-bench --bin soak".to_owned();
    if !args.is_empty() {
        command.push_str(" -- ");
        command.push_str(&args.join(" "));
    }
    command
}

fn ms(micros: u64) -> String {
    format!("{:.2}", micros as f64 / 1000.0)
}

fn op_row(name: &str, stats: &OpStats, seconds: f64) -> String {
    format!(
        "| {name} | {} | {:.1} | {} | {} | {} | {} |",
        stats.requests,
        stats.requests as f64 / seconds,
        ms(stats.latency.value_at_quantile(0.5)),
        ms(stats.latency.value_at_quantile(0.99)),
        ms(stats.latency.max()),
        stats.errors
    )
}
/// The load average of the last minute, five and fifteen, as `/proc/loadavg`
/// gives it: other work on the machine moves the figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("soak: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the soak and prints the report; true when everything checked out.
async fn run() -> anyhow::Result<bool> {
    let args = Args::parse();
    let clients = args.clients as usize;
    let needed = (clients + args.pool as usize).max(seed::MIN_USERS as usize);
    anyhow::ensure!(
        args.users as usize >= needed,
        "--users must be at least {needed}: an account for each client and each pool user"
    );
    // Server errors are logged where they happen; show those, not every request.
    instanext_api::telemetry::init_with("warn");

    let dir = tempfile::tempdir()?;
    let server = Server::start(&args, dir.path()).await?;
    let (accounts, pool) = choose(&server.db, clients, args.pool as usize).await?;
    let api = Api {
        client: Client::builder(TokioExecutor::new()).build_http(),
        url: format!("http://{}/graphql", server.addr),
        timeout: server.settings.request_timeout + Duration::from_secs(5),
    };

    eprintln!("soak: signing in {clients} clients");
    let started = Instant::now();
    let (tokens, first_sign_ins) = sign_in_all(&api, &accounts).await?;
    let signing_in = started.elapsed();

    let client_ids: Vec<String> = accounts.iter().map(|a| a.user_id.clone()).collect();
    let before = snapshot(&server.db, &pool, &client_ids).await?;
    let load = load_average();

    eprintln!("soak: {clients} clients running for {:?}", args.duration);
    let plan = Arc::new(Plan {
        api: api.clone(),
        pool,
        password: seed::DEMO_PASSWORD.to_owned(),
        deadline: Instant::now() + args.duration,
    });
    let started = Instant::now();
    let mut running = Vec::with_capacity(clients);
    for (account, token) in accounts.into_iter().zip(tokens) {
        let holds = |pairs: &HashSet<(String, String)>, ids: &[String]| -> Vec<Option<bool>> {
            ids.iter()
                .map(|id| Some(pairs.contains(&(account.user_id.clone(), id.clone()))))
                .collect()
        };
        let ledger = Ledger {
            likes: holds(&before.likes, &plan.pool.post_ids),
            follows: holds(&before.follows, &plan.pool.user_ids),
            created: Vec::new(),
            created_unknown: 0,
        };
        let worker = Worker {
            plan: plan.clone(),
            rng: StdRng::seed_from_u64(0x50a4 + account.index as u64),
            initial_posts: before.post_counts[&account.user_id],
            account,
            token,
            ledger,
            tally: Tally::default(),
            serial: 0,
        };
        running.push(tokio::spawn(worker.run()));
    }
    let mut finished = Vec::with_capacity(clients);
    for client in running {
        finished.push(client.await?);
    }
    let elapsed = started.elapsed();

    eprintln!("soak: checking the ledgers");
    let after = snapshot(&server.db, &plan.pool, &client_ids).await?;
    let mut checks = check_database(&before, &after, &plan.pool, &finished);
    checks.extend(check_api(&api, &after, &plan.pool, &finished).await);
    server.task.abort();

    let mut tally = Tally::default();
    for done in &mut finished {
        tally.merge(std::mem::take(&mut done.tally));
    }
    let (report, passed) = report(&Run {
        args: &args,
        server: &server,
        load,
        signing_in,
        first_sign_ins,
        elapsed,
        tally,
        finished: &finished,
        checks,
    });
    print!("{report}");
    if let Some(path) = &args.output {
        std::fs::write(path, &report)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    Ok(passed)
}

/// The server under test, serving in this process.
struct Server {
    settings: Settings,
    db: DatabaseConnection,
    addr: SocketAddr,
    seeded: seed::Summary,
    /// The database's name and version, and where it is.
    database: String,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Prepares the database (SQLite in `dir` unless `--database-url` names
    /// one), seeds it and serves on a free loopback port.
    async fn start(args: &Args, dir: &std::path::Path) -> anyhow::Result<Server> {
        let (database_url, whereabouts) = match &args.database_url {
            Some(url) => {
                refuse_if_in_use(url).await?;
                (url.clone(), "the database given, created empty for the run")
            }
            None => (
                format!("sqlite://{}?mode=rwc", dir.join("soak.db").display()),
                "a new file in a temporary directory",
            ),
        };
        let mut settings = ServerDefaults::try_parse_from(["soak"])?.settings;
        settings.database_url = Some(database_url);
        settings.data_dir = dir.to_owned();
        settings.bind_addr = "127.0.0.1:0".parse()?;
        settings.jwt_secret = Some("a-soak-run-secret-that-is-long-enough-to-sign".to_owned());
        settings.bcrypt_cost = args.bcrypt_cost;
        if args.bcrypt_concurrency.is_some() {
            settings.bcrypt_concurrency = args.bcrypt_concurrency;
        }
        settings.trust_forwarded_for = true;

        eprintln!(
            "soak: preparing the database and seeding {} users",
            args.users
        );
        let prepared = app::prepare(settings.clone()).await?;
        let db = prepared.app.db.clone();
        // Checked again now that the tables surely exist.
        anyhow::ensure!(
            seed::is_empty(&db).await?,
            "the database already has users; soak only an empty database created for it"
        );
        let seeded = app::load_demo_data(&db, &settings, args.users).await?;
        let database = format!("{} ({whereabouts})", database_version(&db).await);

        let router = http::router(prepared.app.clone(), prepared.schema.clone());
        let listener = TcpListener::bind(settings.bind_addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Ok(Server {
            settings,
            db,
            addr,
            seeded,
            database,
            task,
        })
    }
}

/// Splits the seeded accounts, in username order so that the split is the
/// same on every database: the clients' first, then the pool's.
async fn choose(
    db: &DatabaseConnection,
    clients: usize,
    pool: usize,
) -> anyhow::Result<(Vec<Account>, Pool)> {
    let mut people: Vec<(String, String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Username)
        .column(user::Column::Email)
        .into_tuple()
        .all(db)
        .await?;
    people.sort_by(|a, b| a.1.cmp(&b.1));
    anyhow::ensure!(people.len() >= clients + pool, "too few seeded accounts");

    let accounts = people[..clients]
        .iter()
        .enumerate()
        .map(|(index, (id, _, email))| {
            let n = index + 1;
            Account {
                index,
                user_id: id.clone(),
                email: email.clone(),
                address: format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
            }
        })
        .collect();

    let pool_people = &people[clients..clients + pool];
    let mut post_ids = Vec::with_capacity(pool);
    for (user_id, _, _) in pool_people {
        let posts: Vec<(String, chrono::DateTime<chrono::Utc>)> = post::Entity::find()
            .select_only()
            .column(post::Column::Id)
            .column(post::Column::CreatedAt)
            .filter(post::Column::UserId.eq(user_id.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        let newest = posts.into_iter().max_by_key(|(_, created_at)| *created_at);
        post_ids.push(newest.context("a pool user has no post")?.0);
    }
    let pool = Pool {
        user_ids: pool_people.iter().map(|(id, _, _)| id.clone()).collect(),
        usernames: pool_people
            .iter()
            .map(|(_, name, _)| name.clone())
            .collect(),
        post_ids,
    };
    Ok((accounts, pool))
}

/// Signs every client in at once; returns their tokens and the latencies.
async fn sign_in_all(api: &Api, accounts: &[Account]) -> anyhow::Result<(Vec<String>, OpStats)> {
    let mut pending = Vec::with_capacity(accounts.len());
    for account in accounts {
        let (api, account) = (api.clone(), account.clone());
        pending.push(tokio::spawn(async move {
            let body = json!({
                "query": SIGN_IN,
                "operationName": "SignIn",
                "variables": { "email": account.email, "password": seed::DEMO_PASSWORD },
            });
            api.send(&body, None, &account.address).await
        }));
    }
    let mut stats = OpStats::new();
    let mut tokens = Vec::with_capacity(accounts.len());
    for (account, sign_in) in accounts.iter().zip(pending) {
        let (elapsed, reply) = sign_in.await?;
        stats.requests += 1;
        stats
            .latency
            .saturating_record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        let token = match reply {
            Reply::Data(data) => data["signIn"]["token"].as_str().map(str::to_owned),
            _ => None,
        };
        tokens.push(
            token.with_context(|| {
                format!("client {} could not sign in at the start", account.index)
            })?,
        );
    }
    Ok((tokens, stats))
}

/// Everything the report tells.
struct Run<'a> {
    args: &'a Args,
    server: &'a Server,
    /// The load average just before the clients started.
    load: String,
    signing_in: Duration,
    first_sign_ins: OpStats,
    /// From the start of the clients until the last one came back.
    elapsed: Duration,
    tally: Tally,
    finished: &'a [Finished],
    checks: Vec<Check>,
}

/// The Markdown report, and whether the run passed.
fn report(run: &Run<'_>) -> (String, bool) {
    let (args, server, tally) = (run.args, run.server, &run.tally);
    let settings = &server.settings;
    let seconds = run.elapsed.as_secs_f64();
    let mut out = String::new();

    let concurrency = settings.bcrypt_concurrency.map_or_else(
        || {
            let processors = std::thread::available_parallelism().map_or(1, usize::from);
            format!(
                "{} (the default: half the processors)",
                (processors / 2).max(1)
            )
        },
        |n| n.to_string(),
    );
    let seeded = &server.seeded;
    let _ = writeln!(out, "## Soak run: {}", server.database);
    let _ = writeln!(out);
    let _ = writeln!(out, "Command: `{}`", command_line());
    let _ = writeln!(out);
    let _ = writeln!(out, "| | |");
    let _ = writeln!(out, "| --- | --- |");
    let _ = writeln!(
        out,
        "| date | {} |",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "| machine | {} |", machine());
    let _ = writeln!(out, "| load average at the start | {} |", run.load);
    let _ = writeln!(out, "| database | {} |", server.database);
    let _ = writeln!(
        out,
        "| server | in this process on {}, bcrypt cost {}, bcrypt concurrency {concurrency}, {} \
         database connections, client addresses from `X-Forwarded-For` |",
        server.addr, settings.bcrypt_cost, settings.db_max_connections
    );
    let _ = writeln!(
        out,
        "| data | {} users, {} posts, {} follows, {} likes seeded; a pool of {} people and the \
         newest post of each |",
        seeded.users, seeded.posts, seeded.follows, seeded.likes, args.pool
    );
    let _ = writeln!(
        out,
        "| clients | {}, each with an account and an address of its own; all signed in at the \
         start in {:.1} s (p50 {} ms, max {} ms) |",
        args.clients,
        run.signing_in.as_secs_f64(),
        ms(run.first_sign_ins.latency.value_at_quantile(0.5)),
        ms(run.first_sign_ins.latency.max())
    );
    let _ = writeln!(
        out,
        "| duration | {:.0} s; {seconds:.1} s until the last request came back |",
        args.duration.as_secs_f64()
    );
    let _ = writeln!(out);

    let _ = writeln!(
        out,
        "| operation | requests | requests/s | p50 ms | p99 ms | max ms | errors |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
    let empty = OpStats::new();
    let mut all = OpStats::new();
    for (op, _) in MIX {
        let stats = tally.ops.get(&op).unwrap_or(&empty);
        all.merge(stats);
        let _ = writeln!(out, "{}", op_row(op.name(), stats, seconds));
    }
    let _ = writeln!(out, "{}", op_row("all", &all, seconds));
    let _ = writeln!(out);

    let listed = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let server_errors = tally.server_errors();
    let other_statuses: Vec<String> = tally
        .statuses
        .iter()
        .filter(|(status, _)| **status < 500)
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    let no_answer = tally
        .no_answer
        .iter()
        .map(|(reason, count)| format!("{reason}: {count}"))
        .collect();
    let codes = tally
        .codes
        .iter()
        .map(|(code, count)| format!("`{code}` {count}"))
        .collect();
    let graphql_errors: u64 = tally.codes.values().sum();
    let undecided: usize = run
        .finished
        .iter()
        .map(|done| {
            let ledger = &done.ledger;
            ledger
                .likes
                .iter()
                .chain(&ledger.follows)
                .filter(|row| row.is_none())
                .count()
        })
        .sum();
    let created: usize = run
        .finished
        .iter()
        .map(|done| done.ledger.created.len())
        .sum();
    let _ = writeln!(out, "- HTTP 5xx: {server_errors}");
    let _ = writeln!(
        out,
        "- other statuses than 200: {}",
        listed(other_statuses.clone())
    );
    let _ = writeln!(out, "- no answer: {}", listed(no_answer));
    let _ = writeln!(
        out,
        "- unknown outcomes: {} ({undecided} ledger rows left undecided)",
        tally.unknown
    );
    let _ = writeln!(out, "- GraphQL errors by code: {}", listed(codes));
    let _ = writeln!(
        out,
        "- answers contradicting the client's own writes: {}",
        tally.contradictions
    );
    for example in &tally.contradiction_examples {
        let _ = writeln!(out, "  - {example}");
    }
    let _ = writeln!(out, "- posts created and acknowledged: {created}");
    let _ = writeln!(out);

    let _ = writeln!(out, "| ledger check | rows compared | mismatches |");
    let _ = writeln!(out, "| --- | --- | --- |");
    let mut compared = 0;
    let mut mismatches = 0;
    for check in &run.checks {
        compared += check.compared;
        mismatches += check.mismatches.len();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            check.what,
            check.compared,
            check.mismatches.len()
        );
    }
    let _ = writeln!(out, "| all | {compared} | {mismatches} |");
    let _ = writeln!(out);
    for check in &run.checks {
        for mismatch in check.mismatches.iter().take(EXAMPLES) {
            let _ = writeln!(out, "- {}: {mismatch}", check.what);
        }
        if check.mismatches.len() > EXAMPLES {
            let more = check.mismatches.len() - EXAMPLES;
            let _ = writeln!(out, "- {}: … and {more} more", check.what);
        }
    }

    let mut failures = Vec::new();
    if server_errors > 0 {
        failures.push(format!("{server_errors} HTTP 5xx"));
    }
    if !other_statuses.is_empty() {
        failures.push("unexpected HTTP statuses".to_owned());
    }
    if tally.unknown > 0 {
        failures.push(format!("{} unknown outcomes", tally.unknown));
    }
    if graphql_errors > 0 {
        failures.push(format!("{graphql_errors} GraphQL errors"));
    }
    if tally.contradictions > 0 {
        failures.push(format!("{} contradicting answers", tally.contradictions));
    }
    if mismatches > 0 {
        failures.push(format!("{mismatches} ledger mismatches"));
    }
    if failures.is_empty() {
        let _ = writeln!(out, "Result: **pass**.");
    } else {
        let _ = writeln!(out, "Result: **FAIL**: {}.", failures.join(", "));
    }
    (out, failures.is_empty())
}
