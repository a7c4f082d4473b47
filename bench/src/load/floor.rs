//! The floor: what the database alone costs for a feed request. The exact
//! statements one request runs are captured by running it through the real
//! router in this process, on a connection whose metric callback records every
//! statement with its values; they are then replayed straight through the
//! driver, with the same concurrency as the HTTP workloads. Within a request
//! they keep the server's own overlap: the session and the page of posts one
//! after the other, then the statements that fill in the page (authors,
//! pictures, like counts, the viewer's likes) at once, as the server's batch
//! loaders run them. The gap between the two is what HTTP, GraphQL and the
//! server's own code add.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use axum::{body::Body, extract::ConnectInfo};
use clap::Parser;
use futures_util::future::try_join_all;
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use instanext_api::{
    auth::{password::Passwords, token::TokenKeys},
    config::Settings,
    context::AppContext,
    db, http,
    metrics::Metrics,
    persisted::PersistedQueries,
    schema,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tower::ServiceExt;

use super::wrk::Measured;

/// The server's default pool size, so that the replay queues for
/// connections the way the server does.
pub const POOL_SIZE: u32 = 10;

/// The server's settings, parsed the way the server parses them, so that
/// every default is the server's own.
#[derive(Parser)]
struct ServerSettings {
    #[command(flatten)]
    settings: Settings,
}

/// Runs `body` once per token through the server's router in this process
/// and returns the statements each run executed, in the order they finished.
/// A first run per token is left out, so that nothing cold is counted.
pub async fn capture(
    database_url: &str,
    jwt_secret: &str,
    tokens: &[String],
    body: &str,
) -> anyhow::Result<Vec<Vec<Statement>>> {
    let settings = ServerSettings::try_parse_from([
        "instanext",
        "--database-url",
        database_url,
        "--jwt-secret",
        jwt_secret,
    ])?
    .settings;
    let mut db = db::connect(
        database_url,
        settings.db_max_connections,
        settings.db_acquire_timeout,
    )
    .await?;
    let recorded: Arc<Mutex<Vec<Statement>>> = Arc::default();
    let sink = recorded.clone();
    db.set_metric_callback(move |info| {
        if let Ok(mut statements) = sink.lock() {
            statements.push(info.statement.clone());
        }
    });

    // `app::build` attaches the server's own counter, which replaces any
    // other metric callback, so the context is assembled here instead.
    let cost = settings.bcrypt_cost;
    let passwords = tokio::task::spawn_blocking(move || Passwords::new(cost, None))
        .await?
        .map_err(|_| anyhow::anyhow!("cannot prepare password hashing"))?;
    let app = Arc::new(AppContext {
        db,
        tokens: TokenKeys::new(jwt_secret.as_bytes()),
        passwords,
        persisted: PersistedQueries::default(),
        metrics: Arc::new(Metrics::default()),
        settings: settings.clone(),
    });
    let schema = schema::builder(&settings).data(app.clone()).finish();
    let router = http::router(app.clone(), schema);

    let mut captured = Vec::new();
    for token in tokens {
        for keep in [false, true] {
            recorded
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .clear();
            let mut request = axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::from(body.to_owned()))?;
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            let text = String::from_utf8_lossy(&bytes);
            anyhow::ensure!(
                status.is_success() && !text.contains("\"errors\""),
                "the feed request failed in process: {status} {text}"
            );
            if keep {
                let statements = recorded.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                captured.push(statements.clone());
            }
        }
    }
    app.db.clone().close().await?;
    Ok(captured)
}

/// Whether a statement returns rows (and so is run as a query).
fn returns_rows(statement: &Statement) -> bool {
    let sql = statement.sql.trim_start().to_ascii_uppercase();
    sql.starts_with("SELECT") || sql.starts_with("WITH") || sql.contains(" RETURNING ")
}

/// Replays the captured requests from `clients` concurrent tasks for
/// `duration` on a pool of [`POOL_SIZE`]; each task takes the captured
/// requests in turn and runs each as [`run_request`] does.
pub async fn replay(
    database_url: &str,
    requests: &[Vec<Statement>],
    clients: u32,
    duration: Duration,
) -> anyhow::Result<Measured> {
    anyhow::ensure!(!requests.is_empty(), "nothing was captured to replay");
    let db = db::connect(database_url, POOL_SIZE, Duration::from_secs(5)).await?;
    let requests = Arc::new(requests.to_vec());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for client in 0..clients as usize {
        let (db, requests) = (db.clone(), requests.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Histogram::<u64>::new(3)?;
            let mut errors = 0u64;
            let mut turn = client;
            while Instant::now() < deadline {
                let statements = &requests[turn % requests.len()];
                turn += 1;
                let began = Instant::now();
                if run_request(&db, statements).await.is_err() {
                    errors += 1;
                }
                latencies.record(began.elapsed().as_micros() as u64)?;
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut latencies = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    for task in tasks {
        let (task_latencies, task_errors) = task.await??;
        latencies.add(task_latencies)?;
        errors += task_errors;
    }
    let seconds = started.elapsed().as_secs_f64();
    db.close().await.context("cannot close the replay pool")?;
    Ok(Measured {
        requests: latencies.len(),
        seconds,
        p50_ms: latencies.value_at_quantile(0.5) as f64 / 1e3,
        p99_ms: latencies.value_at_quantile(0.99) as f64 / 1e3,
        non_2xx: 0,
        graphql_errors: errors,
        socket_errors: 0,
    })
}

/// Runs one request's statements: up to and including the page of posts one
/// after the other, since each needs the one before, then the rest at once.
async fn run_request(
    db: &DatabaseConnection,
    statements: &[Statement],
) -> Result<(), sea_orm::DbErr> {
    let page_at = statements
        .iter()
        .position(is_posts_statement)
        .map_or(statements.len(), |at| at + 1);
    let (chain, fill) = statements.split_at(page_at);
    for statement in chain {
        run(db, statement).await?;
    }
    try_join_all(fill.iter().map(|statement| run(db, statement))).await?;
    Ok(())
}

async fn run(db: &DatabaseConnection, statement: &Statement) -> Result<(), sea_orm::DbErr> {
    if returns_rows(statement) {
        db.query_all_raw(statement.clone()).await?;
    } else {
        db.execute_raw(statement.clone()).await?;
    }
    Ok(())
}

/// A statement as SQL text with its first values after it, for the report.
pub fn describe(statement: &Statement) -> String {
    let values = statement
        .values
        .as_ref()
        .map(|values| values.0.as_slice())
        .unwrap_or_default();
    if values.is_empty() {
        return statement.sql.clone();
    }
    let shown: Vec<String> = values.iter().take(4).map(plain).collect();
    let more = if values.len() > shown.len() {
        format!(", … ({} values)", values.len())
    } else {
        String::new()
    };
    format!(
        "{}
  -- values: {}{more}",
        statement.sql,
        shown.join(", ")
    )
}

/// A bound value without its type wrapper: `String(Some("x"))` as `"x"`.
fn plain(value: &sea_orm::Value) -> String {
    let text = format!("{value:?}");
    text.split_once("(Some(")
        .and_then(|(_, inner)| inner.strip_suffix("))"))
        .map_or(text.clone(), str::to_owned)
}

/// The feed's main statement: the one that reads the page of posts.
pub fn posts_statement(statements: &[Statement]) -> Option<&Statement> {
    statements
        .iter()
        .find(|statement| is_posts_statement(statement))
}

fn is_posts_statement(statement: &Statement) -> bool {
    statement.sql.contains("FROM \"posts\"") && statement.sql.contains("ORDER BY")
}

/// How the database runs `statement`: `EXPLAIN QUERY PLAN` on SQLite,
/// `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL, one line per row.
pub async fn plan(database_url: &str, statement: &Statement) -> anyhow::Result<Vec<String>> {
    let db = db::connect(database_url, 1, Duration::from_secs(5)).await?;
    let backend = statement.db_backend;
    let postgres = backend == sea_orm::DbBackend::Postgres;
    let prefix = if postgres {
        "EXPLAIN (ANALYZE, BUFFERS) "
    } else {
        "EXPLAIN QUERY PLAN "
    };
    let rows = db
        .query_all_raw(Statement {
            sql: format!("{prefix}{}", statement.sql),
            values: statement.values.clone(),
            db_backend: backend,
        })
        .await?;
    let mut lines = Vec::new();
    let mut depths: Vec<(i64, usize)> = Vec::new();
    for row in rows {
        if postgres {
            lines.push(row.try_get_by_index::<String>(0)?);
            continue;
        }
        // SQLite gives (id, parent, notused, detail); nest by parent.
        let id: i64 = row.try_get_by_index(0)?;
        let parent: i64 = row.try_get_by_index(1)?;
        let detail: String = row.try_get_by_index(3)?;
        let depth = depths
            .iter()
            .find(|(known, _)| *known == parent)
            .map_or(0, |(_, depth)| depth + 1);
        depths.push((id, depth));
        lines.push(format!("{}{detail}", "  ".repeat(depth)));
    }
    db.close().await?;
    Ok(lines)
}
