//! Logging through `tracing`.
//!
//! Levels: `error` once, where an internal failure is converted for the client;
//! `info` for the server's lifecycle and one line per request; `debug` for
//! refused credentials. Nothing secret is ever a field of an event: no
//! password, hash, token, Authorization header, email or raw variables.

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::config::LogFormat;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber, writing to standard error in `format`.
pub fn init(format: LogFormat) {
    install(DEFAULT_FILTER, format, std::io::stderr);
}

/// Installs the global subscriber with `default` as the filter when `RUST_LOG`
/// is not set, as text.
pub fn init_with(default: &str) {
    install(default, LogFormat::Text, std::io::stderr);
}

/// Installs the global subscriber, writing to `writer`. A second call (as in
/// tests) keeps the first subscriber.
pub fn install<W>(default: &str, format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    install_filtered(filter, format, writer);
}

/// Installs the global subscriber with exactly `filter`, whatever `RUST_LOG`
/// says, writing to `writer` in `format`.
pub fn install_filtered<W>(filter: EnvFilter, format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        // Each line a JSON object; the request's span fields (id, route,
        // operation, outcome) ride along with every event inside it.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
