//! How does the API hold up on realistic data, and how far is it from what
//! the database alone can do?
//!
//! Generates a dataset at a chosen scale into a fresh database (a temporary
//! SQLite file, or an empty PostgreSQL database named by `--database-url`),
//! starts the release server on it as a separate process with production
//! settings, and drives it with `wrk` at several concurrency levels: the home
//! feed's first page, a page deep in its history, a profile with its first
//! posts, liking and unliking, and signing in at bcrypt cost 12. For each
//! cell it reports throughput, p50 and p99 latency, errors, SQL statements
//! per request (from `GET /metrics`) and the server's peak memory. It then
//! captures the statements of one feed request and replays them straight
//! through the driver at the same concurrency levels, as a floor. The report
//! is Markdown, on standard output and optionally in a file.
//!
//! ```sh
//! cargo run --release -p instanext-bench --bin load -- --preset small
//! cargo run --release -p instanext-bench --bin load -- --preset default \
//!     --database-url postgres://postgres@127.0.0.1:5432/load_bench \
//!     --output bench/results/load-postgres-default.md
//! ```
//!
//! Needs `wrk` (`apt-get install -y wrk` on Debian or Ubuntu).

#[path = "load/dataset.rs"]
mod dataset;
#[path = "load/floor.rs"]
mod floor;
#[path = "load/report.rs"]
mod report;
#[path = "load/server.rs"]
mod server;
#[path = "load/shapes.rs"]
mod shapes;
#[path = "load/wrk.rs"]
mod wrk;

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use crate::{
    dataset::Preset,
    report::{Cell, Report, Section},
    server::Server,
    wrk::Prepared,
};

/// Signs the benchmark's tokens; any value of 32 bytes or more will do.
const JWT_SECRET: &str = "load-benchmark-secret-of-at-least-32-bytes";

const FEED: &str = "query Feed($after: String) { followingPosts(first: 20, after: $after) { \
    edges { cursor node { id caption createdAt author { username profilePic { url } } \
    images { url sequence } likeCount viewerHasLiked } } pageInfo { hasNextPage endCursor } } }";

const PROFILE: &str = "query Profile($username: String!) { user(username: $username) { \
    username description profilePic { url } postCount followerCount followingCount \
    viewerIsFollowing isViewer posts(first: 12) { edges { cursor node { id images { url } \
    likeCount viewerHasLiked } } pageInfo { hasNextPage endCursor } } } }";

const LIKE: &str =
    "mutation Like($postId: ID!) { likePost(postId: $postId) { id likeCount viewerHasLiked } }";

const UNLIKE: &str =
    "mutation Unlike($postId: ID!) { unlikePost(postId: $postId) { id likeCount viewerHasLiked } }";

const SIGN_IN: &str = "mutation SignIn($email: String!, $password: String!) { \
    signIn(email: $email, password: $password) { token expiresAt user { id username } } }";

/// The feed's selection built up a part at a time, to show what each part
/// adds to a request at one client: label and query.
const FEED_PARTS: [(&str, &str); 8] = [
    (
        "`{ __typename }`: HTTP and GraphQL, no database",
        "{ __typename }",
    ),
    (
        "`{ me { id } }`: the token and the session",
        "{ me { id } }",
    ),
    (
        "the page of posts, ids only",
        "{ followingPosts(first: 20) { edges { node { id } } } }",
    ),
    (
        "the page with authors and avatars",
        "{ followingPosts(first: 20) { edges { node { id author { username profilePic { url } } } } } }",
    ),
    (
        "the page with pictures",
        "{ followingPosts(first: 20) { edges { node { id images { url sequence } } } } }",
    ),
    (
        "the page with like counts",
        "{ followingPosts(first: 20) { edges { node { id likeCount } } } }",
    ),
    (
        "the page with the viewer's likes",
        "{ followingPosts(first: 20) { edges { node { id viewerHasLiked } } } }",
    ),
    ("the whole feed request of the workloads", FEED),
];

/// What the clients of one workload do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Workload {
    /// The home feed's first page of 20, with authors, pictures, like counts
    /// and the viewer's likes.
    Feed,
    /// The same, `--feed-depth` pages into the feed's history.
    FeedDeep,
    /// A profile with its counts and first 12 posts.
    Profile,
    /// likePost and unlikePost in turn.
    Like,
    /// signIn at bcrypt cost 12.
    SignIn,
}

#[derive(Parser)]
#[command(about = "Load benchmark of the InstaNext API on generated data")]
struct Args {
    /// How much data to generate.
    #[arg(long, value_enum, default_value = "small")]
    preset: Preset,
    /// An empty database to fill (PostgreSQL, or SQLite); by default a
    /// temporary SQLite file. A database with users in it is refused.
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent clients, one cell per value.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,64")]
    concurrency: Vec<u32>,
    /// How long each cell runs, e.g. `10s` or `500ms`.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// The workloads to run, in this order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "feed,feed-deep,profile,like,sign-in"
    )]
    workloads: Vec<Workload>,
    /// How many pages of 20 the deep feed workload skips.
    #[arg(long, default_value_t = 25)]
    feed_depth: u32,
    /// Depths, in pages of 20, at which the shapes of the feed's page query
    /// are compared through the driver (0 is the first page); none skips the
    /// comparison.
    #[arg(long, value_delimiter = ',', num_args = 0.., default_value = "0,1,25")]
    shape_depths: Vec<u32>,
    /// Also write the report to this file.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The release `instanext` binary to run; by default it is built with
    /// cargo in this workspace.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// A sentence printed under the report's title, e.g. about the machine's
    /// load during the run.
    #[arg(long)]
    note: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wrk_version = wrk::check()?;
    let started_at = chrono::Utc::now();

    // Prepare the database: migrate, refuse one in use, fill it.
    let temp = tempfile::tempdir()?;
    let url = args.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            temp.path().join("load.db").display()
        )
    });
    let db = instanext_api::db::connect(&url, 10, Duration::from_secs(5))
        .await
        .context("cannot connect to the database")?;
    instanext_api::db::migrate(&db)
        .await
        .context("cannot apply the migrations")?;
    anyhow::ensure!(
        instanext_api::seed::is_empty(&db).await?,
        "the database already has users; name an empty one \
         (e.g. DROP DATABASE … WITH (FORCE); CREATE DATABASE …)"
    );
    let backend = db.get_database_backend();
    let database_version = database_version(&db).await?;
    let scale = args.preset.scale();
    eprintln!(
        "generating the {} dataset into {database_version}",
        args.preset.name()
    );
    let hashing = Instant::now();
    let hash =
        tokio::task::spawn_blocking(|| bcrypt::hash(dataset::PASSWORD, dataset::BCRYPT_COST))
            .await??;
    let hash_time = hashing.elapsed();
    let generated = dataset::generate(&db, scale, &hash).await?;
    let analyzing = Instant::now();
    if backend == DbBackend::Postgres {
        // What autovacuum would do soon after a bulk load anyway: statistics
        // for the planner and a visibility map for index-only scans.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    let analyze_time = analyzing.elapsed();
    let rows = dataset::count_rows(&db).await?;
    db.close().await?;
    eprintln!("generated in {:.1?}", generated.elapsed);

    // Start the server as production runs it.
    let binary = server::binary(args.server_bin.clone())?;
    let mut server = Server::start(&binary, &url, JWT_SECRET, temp.path().join("server.log"))
        .await
        .context("cannot start the server")?;
    let base_url = format!("http://{}", server.addr);

    let mut tokens = Vec::new();
    for email in &generated.viewer_emails {
        let answer = server
            .graphql(
                &json!({ "query": SIGN_IN, "variables": { "email": email, "password": dataset::PASSWORD } }),
                None,
            )
            .await
            .with_context(|| format!("{email} cannot sign in"))?;
        tokens.push(
            answer["data"]["signIn"]["token"]
                .as_str()
                .context("signIn returned no token")?
                .to_owned(),
        );
    }

    let mut cursors = Vec::new();
    for token in &tokens {
        let mut after: Option<String> = None;
        for _ in 0..args.feed_depth {
            let answer = server.graphql(&feed(after.as_deref()), Some(token)).await?;
            after = answer["data"]["followingPosts"]["pageInfo"]["endCursor"]
                .as_str()
                .map(str::to_owned);
        }
        cursors.push(after.context("a viewer's feed is shorter than --feed-depth pages")?);
    }

    let mut sections = Vec::new();
    for &workload in &args.workloads {
        let (title, description, prepared) =
            prepare(workload, &args, &generated, &tokens, &cursors);
        let script = temp.path().join(format!("{workload:?}.lua"));
        std::fs::write(&script, wrk::script(&prepared)?)?;
        let mut cells = Vec::new();
        for &clients in &args.concurrency {
            anyhow::ensure!(
                server.is_running(),
                "the server stopped:\n{}",
                server.log_tail()
            );
            let memory_reset = server.reset_peak_memory().is_ok();
            let before = server.statements().await?;
            let measured = wrk::run(&script, &base_url, clients, args.duration).await?;
            let after = server.statements().await?;
            let peak_kib = if memory_reset {
                server.peak_memory_kib().ok()
            } else {
                None
            };
            let statements_per_request =
                (measured.requests > 0).then(|| (after - before) as f64 / measured.requests as f64);
            eprintln!(
                "{title}, {clients} clients: {:.1} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                measured.throughput(),
                measured.p50_ms,
                measured.p99_ms,
                measured.errors()
            );
            cells.push(Cell {
                clients,
                measured,
                statements_per_request,
                peak_kib,
            });
        }
        sections.push(Section {
            title,
            description,
            cells,
        });
    }

    eprintln!("timing the parts of a feed request");
    let mut parts = String::from(
        "### Where a feed request's time goes\n\nOne client, each selection in turn for the \
         cell's duration, the viewers' tokens in turn. Each line adds one part of the feed's \
         selection to the page of posts; the parts that fill in the page run at once in the \
         whole request.\n\n\
         | selection | p50 ms | p99 ms | requests | errors | SQL statements/request |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (index, (label, query)) in FEED_PARTS.iter().enumerate() {
        let prepared: Vec<Prepared> = tokens
            .iter()
            .map(|token| Prepared {
                token: Some(token.clone()),
                body: json!({ "query": query }).to_string(),
            })
            .collect();
        let script = temp.path().join(format!("part-{index}.lua"));
        std::fs::write(&script, wrk::script(&prepared)?)?;
        let before = server.statements().await?;
        let measured = wrk::run(&script, &base_url, 1, args.duration).await?;
        let after = server.statements().await?;
        let per_request = (after - before) as f64 / measured.requests.max(1) as f64;
        parts.push_str(&format!(
            "| {label} | {:.2} | {:.2} | {} | {} | {per_request:.1} |\n",
            measured.p50_ms,
            measured.p99_ms,
            measured.requests,
            measured.errors()
        ));
    }

    // The floor: the first feed page's own statements, without the server.
    let feed_body = feed(None).to_string();
    let captured = floor::capture(&url, JWT_SECRET, &tokens, &feed_body).await?;
    let per_request =
        captured.iter().map(Vec::len).sum::<usize>() as f64 / captured.len().max(1) as f64;
    let mut floor_cells = Vec::new();
    for &clients in &args.concurrency {
        let measured = floor::replay(&url, &captured, clients, args.duration).await?;
        eprintln!(
            "floor, {clients} clients: {:.1} requests/s, p50 {:.2} ms, p99 {:.2} ms",
            measured.throughput(),
            measured.p50_ms,
            measured.p99_ms
        );
        floor_cells.push(Cell {
            clients,
            measured,
            statements_per_request: Some(per_request),
            peak_kib: None,
        });
    }
    let floor = Section {
        title: "The home feed's statements replayed through the driver".to_owned(),
        description: format!(
            "The statements one first-page feed request runs (captured per viewer by running \
             the request through the server's router in this process, on a connection whose \
             metric callback records them), replayed per request on a pool of {} connections, \
             the server's default, through SeaORM's raw statements on sqlx: the session and the \
             page of posts one after the other, then the statements that fill in the page at \
             once, as the server's batch loaders run them. No HTTP, no GraphQL, no token check \
             beyond the session query itself.",
            floor::POOL_SIZE
        ),
        cells: floor_cells,
    };

    let mut plans = Vec::new();
    let deep_body = feed(cursors.first().map(String::as_str)).to_string();
    let deep = floor::capture(&url, JWT_SECRET, &tokens[..1], &deep_body).await?;
    for (label, statements) in [
        ("first page".to_owned(), captured.first()),
        (format!("{} page(s) deep", args.feed_depth), deep.first()),
    ] {
        if let Some(statement) = statements.and_then(|s| floor::posts_statement(s)) {
            plans.push((label, floor::plan(&url, statement).await?));
        }
    }

    let mut depths = args.shape_depths.clone();
    depths.sort_unstable();
    depths.dedup();
    let shapes = if depths.is_empty() {
        String::new()
    } else {
        eprintln!("comparing the shapes of the feed's page query");
        shapes::compare(&url, &generated.viewer_ids, &depths, args.duration).await?
    };

    let ratios = ratios(&args, &sections, &floor);
    let feed_sql = captured
        .first()
        .map(|statements| statements.iter().map(floor::describe).collect())
        .unwrap_or_default();

    let database_name = match backend {
        DbBackend::Postgres => "PostgreSQL",
        DbBackend::Sqlite => "SQLite",
        _ => "other database",
    };
    let mut setup = report::machine();
    setup.extend([
        ("database".to_owned(), database_version),
        (
            "server".to_owned(),
            format!(
                "release `instanext` as a separate process ({}), default pool of 10 connections, \
                 bcrypt cost {}, default bcrypt concurrency, `TRUST_FORWARDED_FOR=true`, logging \
                 at `info` to a file",
                binary.display(),
                dataset::BCRYPT_COST
            ),
        ),
        (
            "load generator".to_owned(),
            format!(
                "{wrk_version}: one keep-alive connection per client, each sending its next \
                 request when the last is answered; 1 thread for 1 client, 2 otherwise; \
                 30 s timeout"
            ),
        ),
        (
            "duration per cell".to_owned(),
            humantime::format_duration(args.duration).to_string(),
        ),
        (
            "run".to_owned(),
            started_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
        ("command".to_owned(), format!("`{}`", command_line())),
    ]);
    let generation = format!(
        "Preset `{}`. One bcrypt hash at cost {} ({:.1?}) is shared by every account. \
         Generated and written in {:.1?} with multi-row INSERTs{}. Authors' activity and \
         popularity follow Zipf-like skews (user 0 posts and is followed most), posts span \
         six months, each viewer follows {} authors drawn by popularity.",
        args.preset.name(),
        dataset::BCRYPT_COST,
        hash_time,
        generated.elapsed,
        if backend == DbBackend::Postgres {
            format!(", then `VACUUM ANALYZE` ({analyze_time:.1?})")
        } else {
            String::new()
        },
        dataset::VIEWER_FOLLOWS,
    );

    let report = Report {
        title: format!(
            "Load benchmark: {database_name}, preset `{}`",
            args.preset.name()
        ),
        note: args.note.clone(),
        setup,
        rows,
        generation,
        sections,
        floor,
        ratios,
        feed_sql,
        plans,
        shapes,
        parts,
    };
    let markdown = report.markdown();
    print!("{markdown}");
    if let Some(path) = &args.output {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &markdown)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    drop(server);
    Ok(())
}

fn feed(after: Option<&str>) -> Value {
    json!({ "query": FEED, "operationName": "Feed", "variables": { "after": after } })
}

/// The title, description and requests of a workload.
fn prepare(
    workload: Workload,
    args: &Args,
    generated: &dataset::Generated,
    tokens: &[String],
    cursors: &[String],
) -> (String, String, Vec<Prepared>) {
    let with_token = |token: &String, body: Value| Prepared {
        token: Some(token.clone()),
        body: body.to_string(),
    };
    match workload {
        Workload::Feed => (
            "Home feed, first page".to_owned(),
            format!(
                "`followingPosts(first: 20)` with each post's author and avatar, pictures, \
                 `likeCount` and `viewerHasLiked`, as {} viewers in turn.",
                tokens.len()
            ),
            tokens
                .iter()
                .map(|token| with_token(token, feed(None)))
                .collect(),
        ),
        Workload::FeedDeep => (
            format!("Home feed, {} page(s) deep", args.feed_depth),
            format!(
                "The same query with `after` set to the `endCursor` reached after {} page(s) of \
                 20, fetched beforehand per viewer.",
                args.feed_depth
            ),
            tokens
                .iter()
                .zip(cursors)
                .map(|(token, cursor)| with_token(token, feed(Some(cursor))))
                .collect(),
        ),
        Workload::Profile => (
            "Profile with its first 12 posts".to_owned(),
            format!(
                "`user(username:)` with its counts, `viewerIsFollowing`, and `posts(first: 12)` \
                 with pictures and like counts; {} profiles (the busiest authors and others) \
                 in turn.",
                generated.profiles.len()
            ),
            generated
                .profiles
                .iter()
                .zip(tokens.iter().cycle())
                .map(|(username, token)| {
                    with_token(
                        token,
                        json!({ "query": PROFILE, "variables": { "username": username } }),
                    )
                })
                .collect(),
        ),
        Workload::Like => (
            "likePost and unlikePost in turn".to_owned(),
            format!(
                "Each viewer likes, then unlikes, {} posts of busy authors; every answer carries \
                 the fresh `likeCount`.",
                generated.like_targets.len()
            ),
            generated
                .like_targets
                .iter()
                .flat_map(|post| {
                    tokens.iter().flat_map(move |token| {
                        [LIKE, UNLIKE].map(|query| {
                            with_token(
                                token,
                                json!({ "query": query, "variables": { "postId": post } }),
                            )
                        })
                    })
                })
                .collect(),
        ),
        Workload::SignIn => (
            format!("signIn at bcrypt cost {}", dataset::BCRYPT_COST),
            format!(
                "{} accounts sign in in turn with the right password, each request from its own \
                 `X-Forwarded-For` address. bcrypt dominates: the server hashes at most \
                 `BCRYPT_CONCURRENCY` (half the processors) at a time.",
                generated.signer_emails.len()
            ),
            generated
                .signer_emails
                .iter()
                .map(|email| Prepared {
                    token: None,
                    body: json!({
                        "query": SIGN_IN,
                        "variables": { "email": email, "password": dataset::PASSWORD },
                    })
                    .to_string(),
                })
                .collect(),
        ),
    }
}

/// API over floor: median latency at one client, throughput at 32.
fn ratios(args: &Args, sections: &[Section], floor: &Section) -> Vec<(String, String)> {
    let Some(position) = args.workloads.iter().position(|w| *w == Workload::Feed) else {
        return Vec::new();
    };
    let api = &sections[position];
    let cell = |section: &Section, clients: u32| {
        section
            .cells
            .iter()
            .find(|cell| cell.clients == clients)
            .map(|cell| cell.measured)
    };
    let mut ratios = Vec::new();
    if let (Some(api), Some(floor)) = (cell(api, 1), cell(floor, 1)) {
        ratios.push((
            "home feed median latency, 1 client".to_owned(),
            format!(
                "{:.2} ({:.2} ms / {:.2} ms)",
                api.p50_ms / floor.p50_ms.max(f64::EPSILON),
                api.p50_ms,
                floor.p50_ms
            ),
        ));
    }
    if let (Some(api), Some(floor)) = (cell(api, 32), cell(floor, 32)) {
        ratios.push((
            "home feed throughput, 32 clients".to_owned(),
            format!(
                "{:.2} ({:.1} / {:.1} requests/s)",
                api.throughput() / floor.throughput().max(f64::EPSILON),
                api.throughput(),
                floor.throughput()
            ),
        ));
    }
    ratios
}

/// The database's own name and version.
async fn database_version(db: &DatabaseConnection) -> anyhow::Result<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT version()",
        _ => "SELECT 'SQLite ' || sqlite_version()",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .context("the database reported no version")?;
    Ok(row.try_get_by_index::<String>(0)?)
}

/// The command that reproduces this run, with any password in a database
/// URL masked.
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| match url::Url::parse(&arg) {
            Ok(mut parsed) if parsed.password().is_some() => {
                let _ = parsed.set_password(Some("****"));
                parsed.to_string()
            }
            _ if arg.contains(' ') => format!("'{arg}'"),
            _ => arg,
        })
        .collect();
    format!(
        "cargo run --release -p instanext-bench --bin load -- {}",
        args.join(" ")
    )
}
