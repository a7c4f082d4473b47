//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
    TransactionTrait,
    sqlx::{
        Error as SqlxError,
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
};

/// The page cache of each SQLite connection, in KiB (SQLite's default is
/// about 2,000).
const SQLITE_CACHE_KIB: u32 = 256;

/// How long a PostgreSQL connection may sit in the pool before it is pinged
/// on its way out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens a pool on `url`. A request waits at most `acquire_timeout` for a
/// connection, whether the pool is busy or the database is down, so that it
/// fails instead of hanging. On SQLite, the file uses write-ahead logging,
/// waits for locks instead of failing at once, and enforces foreign keys.
pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    // A connection is checked with a ping before it leaves the pool only
    // where it may have died unseen: a ping is a round trip (on SQLite to the
    // connection's own thread), and every statement takes a connection. An
    // embedded connection cannot be dropped by a server or a network, so it
    // is never checked. A PostgreSQL connection is checked once it has been
    // idle for a second; one in use is checked as it goes back (sqlx pings
    // every connection it takes back), and a broken one is closed there, so
    // after an outage the pool hands out live connections only.
    if url.starts_with("sqlite:") {
        options.test_before_acquire(false);
    } else {
        options.test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR);
    }
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // A small private page cache per connection (SQLite reads a
                // negative size as KiB): the operating system's file cache,
                // shared by every connection, holds the hot pages once rather
                // than once per connection. With it the load benchmark saw
                // the server's peak memory at 64 clients drop from 58 to
                // 44 MiB at 512 KiB, at the same throughput; 256 KiB makes
                // room for the allocator's per-thread caches.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        });
    Database::connect(options).await
}

/// The key of the PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x1e57_a9e7;

/// Applies every pending migration. On PostgreSQL, instances that start
/// together take turns: the migrations run in one transaction holding an
/// advisory lock, so the second finds the work done instead of racing the
/// first. (SQLite's own write lock serialises them there.)
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Whether the database answers a trivial query within `limit`.
pub async fn ping(db: &DatabaseConnection, limit: Duration) -> bool {
    matches!(
        tokio::time::timeout(limit, db.execute_unprepared("SELECT 1")).await,
        Ok(Ok(_))
    )
}

/// Whether `err` says the database cannot be reached or is too busy right now,
/// rather than that the statement was wrong: the pool had no connection to
/// give in time, the connection broke, the server is shutting down or refuses
/// connections, or SQLite stayed locked past its busy timeout. Such a request
/// may succeed if tried again.
pub fn is_unavailable(err: &DbErr) -> bool {
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            sqlx
        }
        _ => return false,
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's connection exceptions (class 08), shutdowns and refusals
/// (57P01 to 57P03) and "too many connections" (53300); SQLite's BUSY (5) and
/// LOCKED (6) in their primary or extended forms.
fn unavailable_code(code: &str) -> bool {
    if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300") {
        return true;
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6))
}

/// True for SQLite, whose SQL differs in a few places.
pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}
