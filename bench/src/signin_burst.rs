//! Does a burst of sign-ins slow everything else down?
//!
//! Starts the server in this process on a fresh SQLite database with demo
//! data and the production bcrypt cost, then measures the home feed twice with
//! the same concurrent readers: alone, and while other clients sign in as fast
//! as they can, each as a seeded account of its own from an address of its
//! own, so that no attempt limit refuses them and every sign-in runs bcrypt.
//! bcrypt runs on a bounded blocking pool, so the feed's latency should barely
//! move. Prints a Markdown table; exits non-zero if any sign-in was refused.
//!
//! `cargo run --release -p instanext-bench --bin signin-burst -- --help`

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use entity::user;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use instanext_api::{app, config::Settings, http, seed};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    /// Concurrent clients reading the home feed.
    #[arg(long, default_value_t = 8)]
    readers: usize,
    /// Concurrent clients signing in, during the burst.
    #[arg(long, default_value_t = 32)]
    signers: usize,
    /// How long each phase lasts, e.g. `10s`.
    #[arg(long, default_value = "10s", value_parser = humantime_duration)]
    duration: Duration,
    /// bcrypt cost of the demo accounts, as in production.
    #[arg(long, default_value_t = 12)]
    bcrypt_cost: u32,
    /// bcrypt hashes at once (the server's BCRYPT_CONCURRENCY); by default
    /// the server's default, half the processors.
    #[arg(long)]
    bcrypt_concurrency: Option<u32>,
}

fn humantime_duration(text: &str) -> Result<Duration, String> {
    let seconds = text.trim_end_matches('s');
    seconds
        .parse::<f64>()
        .map(Duration::from_secs_f64)
        .map_err(|err| err.to_string())
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Posts one operation and returns its JSON answer.
async fn post(
    client: &HttpClient,
    addr: SocketAddr,
    body: &Value,
    token: Option<&str>,
) -> anyhow::Result<Value> {
    post_from(client, addr, body, token, None).await
}

/// Posts one operation as sent through a proxy for `forwarded_for`.
async fn post_from(
    client: &HttpClient,
    addr: SocketAddr,
    body: &Value,
    token: Option<&str>,
    forwarded_for: Option<&str>,
) -> anyhow::Result<Value> {
    let mut request =
        Request::post(format!("http://{addr}/graphql")).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body.to_string())))?)
        .await?;
    if !response.status().is_success() {
        bail!("status {}", response.status());
    }
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok(serde_json::from_slice(&bytes)?)
}

/// What one phase measured.
struct Phase {
    feed: Histogram<u64>,
    feed_errors: u64,
    sign_ins: u64,
    /// Sign-in answers without a token: refused, failed or lost.
    sign_in_errors: u64,
    elapsed: Duration,
}

async fn run_phase(
    args: &Args,
    addr: SocketAddr,
    token: &str,
    signer_emails: &[String],
) -> anyhow::Result<Phase> {
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let deadline = Instant::now() + args.duration;
    let feed = json!({ "query": "{ followingPosts(first: 20) { edges { node { id caption author { username profilePic { url } } images { url } likeCount viewerHasLiked } } } }" });

    let mut readers = Vec::new();
    for _ in 0..args.readers {
        let (client, feed, token) = (client.clone(), feed.clone(), token.to_owned());
        readers.push(tokio::spawn(async move {
            let mut latencies = Histogram::<u64>::new(3)?;
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let started = Instant::now();
                match post(&client, addr, &feed, Some(&token)).await {
                    Ok(answer) if answer.get("errors").is_none() => {
                        latencies.record(started.elapsed().as_micros() as u64)?;
                    }
                    _ => errors += 1,
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }

    let mut signers = Vec::new();
    for (index, email) in signer_emails.iter().enumerate() {
        let client = client.clone();
        // One account and one address per signer, each signing in with the
        // right password one request at a time: no attempt limit applies.
        let address = format!("10.9.{}.{}", index / 250, index % 250 + 1);
        let body = json!({
            "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
            "variables": { "e": email, "p": seed::DEMO_PASSWORD },
        });
        signers.push(tokio::spawn(async move {
            let (mut count, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                match post_from(&client, addr, &body, None, Some(&address)).await {
                    Ok(answer) if answer["data"]["signIn"]["token"].is_string() => count += 1,
                    _ => errors += 1,
                }
            }
            (count, errors)
        }));
    }

    let started = Instant::now();
    let mut feed_latencies = Histogram::<u64>::new(3)?;
    let mut feed_errors = 0;
    for reader in readers {
        let (latencies, errors) = reader.await??;
        feed_latencies.add(latencies)?;
        feed_errors += errors;
    }
    let (mut sign_ins, mut sign_in_errors) = (0, 0);
    for signer in signers {
        let (count, errors) = signer.await?;
        sign_ins += count;
        sign_in_errors += errors;
    }
    Ok(Phase {
        feed: feed_latencies,
        feed_errors,
        sign_ins,
        sign_in_errors,
        elapsed: started.elapsed(),
    })
}

fn row(name: &str, phase: &Phase) -> String {
    let ms = |micros: u64| micros as f64 / 1000.0;
    let seconds = phase.elapsed.as_secs_f64();
    format!(
        "| {name} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {} |",
        phase.feed.len() as f64 / seconds,
        ms(phase.feed.value_at_quantile(0.5)),
        ms(phase.feed.value_at_quantile(0.99)),
        phase.feed_errors,
        phase.sign_ins as f64 / seconds,
        phase.sign_in_errors,
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let settings = Settings {
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )),
        data_dir: dir.path().to_owned(),
        bind_addr: "127.0.0.1:0".parse()?,
        jwt_secret: Some("a-benchmark-secret-that-is-long-enough".to_owned()),
        bcrypt_cost: args.bcrypt_cost,
        bcrypt_concurrency: args.bcrypt_concurrency,
        session_lifetime: Duration::from_secs(30 * 24 * 3600),
        session_idle_timeout: Duration::from_secs(7 * 24 * 3600),
        story_lifetime: Duration::from_secs(24 * 3600),
        db_max_connections: 10,
        db_acquire_timeout: Duration::from_secs(5),
        signin_max_failures: 5,
        signin_max_failures_per_address: 20,
        signups_per_hour: 10,
        trust_forwarded_for: true,
        allowed_origins: Vec::new(),
        max_body_bytes: 262_144,
        request_timeout: Duration::from_secs(30),
        shutdown_timeout: Duration::from_secs(10),
        max_depth: 16,
        max_complexity: 2_000,
        max_fields: 2_000,
        max_page_size: 50,
        introspection: true,
        field_suggestions: true,
        log_format: instanext_api::config::LogFormat::Text,
    };
    let prepared = app::prepare(settings.clone()).await?;
    app::load_demo_data(&prepared.app.db, &settings, 60).await?;
    let router = http::router(prepared.app.clone(), prepared.schema.clone());
    let listener = TcpListener::bind(settings.bind_addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let sign_in = json!({
        "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }",
        "variables": { "e": seed::DEMO_EMAIL, "p": seed::DEMO_PASSWORD },
    });
    let answer = post(&client, addr, &sign_in, None).await?;
    let token = answer["data"]["signIn"]["token"]
        .as_str()
        .context("the demo account cannot sign in")?
        .to_owned();

    // The signers are seeded accounts other than the readers' demo account.
    let signer_emails: Vec<String> = user::Entity::find()
        .filter(user::Column::Email.ne(seed::DEMO_EMAIL))
        .order_by_asc(user::Column::Email)
        .limit(args.signers as u64)
        .all(&prepared.app.db)
        .await?
        .into_iter()
        .map(|account| account.email)
        .collect();
    anyhow::ensure!(
        signer_emails.len() == args.signers,
        "only {} seeded accounts can sign in; ask for fewer --signers",
        signer_emails.len()
    );

    let alone = run_phase(&args, addr, &token, &[]).await?;
    let burst = run_phase(&args, addr, &token, &signer_emails).await?;

    let processors = std::thread::available_parallelism().map_or(1, usize::from);
    let concurrency = args
        .bcrypt_concurrency
        .map_or_else(|| "default".to_owned(), |n| n.to_string());
    println!(
        "Home feed (first 20 posts) with {} concurrent readers, {:?} per phase, bcrypt cost {}, \
         bcrypt concurrency {concurrency}, {processors} processors, SQLite, client and server \
         in one process.",
        args.readers, args.duration, args.bcrypt_cost
    );
    println!();
    println!(
        "| phase | feed requests/s | feed p50 ms | feed p99 ms | feed errors | sign-ins/s | sign-in errors |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!("{}", row("feed alone", &alone));
    println!(
        "{}",
        row(&format!("with {} clients signing in", args.signers), &burst)
    );
    println!();
    let ratio = burst.feed.value_at_quantile(0.99) as f64
        / alone.feed.value_at_quantile(0.99).max(1) as f64;
    println!("feed p99 during the burst / alone: {ratio:.2}");
    anyhow::ensure!(
        burst.sign_in_errors == 0,
        "{} sign-ins were refused or failed",
        burst.sign_in_errors
    );
    Ok(())
}
