//! Logging through `tracing`.
//!
//! Levels: `error` once, where an internal failure is converted for the client;
//! `info` for the server's lifecycle and one line per request; `debug` for
//! refused credentials. Nothing secret is ever a field of an event: no
//! password, hash, token, Authorization header, email or raw variables.

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber: human-readable lines on standard error.
pub fn init() {
    init_with(DEFAULT_FILTER);
}

/// Installs the global subscriber with `default` as the filter when `RUST_LOG`
/// is not set.
pub fn init_with(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A second call (as in tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
