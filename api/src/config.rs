//! Settings: every one is a command-line flag with an environment variable,
//! read once at start-up and resolved into what the server runs with.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;

/// The shortest JWT secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Settings as given on the command line or in the environment.
#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Database URL, `sqlite://…` or `postgres://…`. When unset, an embedded SQLite
    /// file in the data directory is used and filled with demo data while empty.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Directory of the embedded database and its generated JWT secret.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Address and port the server listens on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind_addr: SocketAddr,

    /// Secret that signs tokens, at least 32 bytes. Required with DATABASE_URL;
    /// on the embedded database one is generated and kept in the data directory.
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// bcrypt cost for new password hashes (4 to 31).
    #[arg(long, env = "BCRYPT_COST", default_value_t = 12, global = true,
          value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,

    /// The longest a session lasts after sign-in, renewed or not, e.g. `30d`.
    #[arg(long, env = "SESSION_LIFETIME", default_value = "30d", global = true,
          value_parser = humantime::parse_duration)]
    pub session_lifetime: Duration,

    /// How many bcrypt hashes may run at once; by default half the
    /// processors (at least one), leaving the rest for other requests.
    #[arg(long, env = "BCRYPT_CONCURRENCY", global = true,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub bcrypt_concurrency: Option<u32>,

    /// How long a session lasts without renewal (`refreshSession`), e.g. `7d`;
    /// never past SESSION_LIFETIME.
    #[arg(long, env = "SESSION_IDLE_TIMEOUT", default_value = "7d", global = true,
          value_parser = humantime::parse_duration)]
    pub session_idle_timeout: Duration,

    /// How long a story stays visible after it is posted, e.g. `24h`.
    #[arg(long, env = "STORY_LIFETIME", default_value = "24h", global = true,
          value_parser = humantime::parse_duration)]
    pub story_lifetime: Duration,

    /// Failed sign-ins for one account before it is blocked for a while.
    #[arg(long, env = "SIGNIN_MAX_FAILURES", default_value_t = 5, global = true,
          value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub signin_max_failures: i32,

    /// Failed sign-ins from one client address before it is blocked for a while.
    #[arg(long, env = "SIGNIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 20, global = true,
          value_parser = clap::value_parser!(i32).range(1..=100_000))]
    pub signin_max_failures_per_address: i32,

    /// Well-formed sign-up attempts allowed from one client address per hour.
    #[arg(long, env = "SIGNUPS_PER_HOUR", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(i32).range(1..=100_000))]
    pub signups_per_hour: i32,

    /// Take the client address from the last entry of `X-Forwarded-For`, as set
    /// by a load balancer in front of the server. Only enable behind one.
    #[arg(
        long,
        env = "TRUST_FORWARDED_FOR",
        default_value_t = false,
        global = true
    )]
    pub trust_forwarded_for: bool,

    /// Origins (scheme://host[:port]) whose pages may call the API with the
    /// session cookie, comma-separated.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub allowed_origins: Vec<String>,

    /// Longest a request may take, reading its body included, e.g. `30s`;
    /// slower ones get 408.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", global = true,
          value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// How long shutdown waits for requests in flight after SIGINT or SIGTERM.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "10s", global = true,
          value_parser = humantime::parse_duration)]
    pub shutdown_timeout: Duration,

    /// Deepest selection accepted.
    #[arg(long, env = "MAX_DEPTH", default_value_t = 16, global = true,
          value_parser = clap::value_parser!(u32).range(2..=64))]
    pub max_depth: u32,

    /// Highest complexity accepted: one per field, list fields counted once per
    /// item they may return.
    #[arg(long, env = "MAX_COMPLEXITY", default_value_t = 2_000, global = true,
          value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    pub max_complexity: u32,

    /// Most fields (aliases included) a document may select, fragments expanded.
    #[arg(long, env = "MAX_FIELDS", default_value_t = 2_000, global = true,
          value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    pub max_fields: u32,

    /// Largest page a list returns; larger `first` values are cut to it.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 50, global = true,
          value_parser = clap::value_parser!(i32).range(1..=100))]
    pub max_page_size: i32,

    /// Answer introspection queries (GraphiQL and code generators need them).
    #[arg(long, env = "INTROSPECTION", default_value_t = true, global = true,
          action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Suggest field names in validation errors ("did you mean ...?").
    #[arg(long, env = "FIELD_SUGGESTIONS", default_value_t = true, global = true,
          action = clap::ArgAction::Set)]
    pub field_suggestions: bool,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,

    /// Largest request body accepted, in bytes; larger ones get 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 262_144, global = true)]
    pub max_body_bytes: usize,

    /// Largest number of open database connections.
    #[arg(long, env = "DB_MAX_CONNECTIONS", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: u32,

    /// How long a request waits for a free database connection, or for the
    /// database to accept one, before it fails with SERVICE_UNAVAILABLE, e.g. `5s`.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT", default_value = "5s", global = true,
          value_parser = humantime::parse_duration)]
    pub db_acquire_timeout: Duration,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the data lives and how tokens are signed, after defaults are applied.
pub struct Resolved {
    pub database_url: String,
    /// True when the database is the embedded default rather than one named by
    /// the operator; only then may demo data be loaded without being asked.
    pub embedded: bool,
    pub jwt_secret: Vec<u8>,
}

impl Settings {
    /// Applies the defaults for the embedded database and checks the secret.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let (database_url, embedded) = self.database()?;
        let jwt_secret = match &self.jwt_secret {
            Some(secret) if secret.len() >= MIN_SECRET_BYTES => secret.as_bytes().to_vec(),
            Some(_) => bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long"),
            None if embedded => self.stored_secret()?,
            None => bail!(
                "JWT_SECRET is not set: with DATABASE_URL set, give a secret of at least \
                 {MIN_SECRET_BYTES} bytes (for example: openssl rand -base64 48)"
            ),
        };

        Ok(Resolved {
            database_url,
            embedded,
            jwt_secret,
        })
    }

    /// The database URL, and whether it is the embedded default.
    pub fn database(&self) -> anyhow::Result<(String, bool)> {
        if let Some(url) = &self.database_url {
            return Ok((url.clone(), false));
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        let file = self.data_dir.join("instanext.db");
        Ok((format!("sqlite://{}?mode=rwc", file.display()), true))
    }

    /// Reads the secret kept beside the embedded database, creating it on first
    /// use so that tokens survive a restart.
    fn stored_secret(&self) -> anyhow::Result<Vec<u8>> {
        let path = self.data_dir.join("jwt-secret");
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= MIN_SECRET_BYTES => {
                return Ok(text.trim().as_bytes().to_vec());
            }
            Ok(_) => bail!(
                "{} holds a secret shorter than {MIN_SECRET_BYTES} bytes; delete it to get a new one",
                path.display()
            ),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).context(format!("cannot read {}", path.display())),
        }

        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        write_private(&path, &secret)
            .with_context(|| format!("cannot write {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a new JWT secret");
        Ok(secret.into_bytes())
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
