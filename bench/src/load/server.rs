//! The release server as a separate process, the way it runs in production,
//! and what the benchmark reads from it: `/metrics` and the process's peak
//! memory.

use std::{
    fs::File,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::Value;

use super::dataset::BCRYPT_COST;

/// The workspace this harness belongs to, where `cargo build` runs.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// The release `instanext` binary: `explicit` when given, otherwise built
/// with cargo (a no-op when it is up to date) in the workspace's target
/// directory.
pub fn binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        anyhow::ensure!(path.is_file(), "no server binary at {}", path.display());
        return Ok(path);
    }
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!(
        "building the release server (cargo build --release -p instanext-api --bin instanext)"
    );
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "-p",
            "instanext-api",
            "--bin",
            "instanext",
        ])
        .current_dir(&root)
        .status()
        .with_context(|| format!("cannot run {cargo}"))?;
    anyhow::ensure!(status.success(), "building the server failed");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let path = target.join("release").join("instanext");
    anyhow::ensure!(path.is_file(), "the build left no {}", path.display());
    Ok(path)
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A running server process, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    client: HttpClient,
}

impl Server {
    /// Starts `binary` on `database_url` on a free loopback port, with
    /// production settings, and waits until `/ready` answers 200.
    pub async fn start(
        binary: &Path,
        database_url: &str,
        jwt_secret: &str,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        // The port is free when asked; a race with another process taking it
        // shows up as a server that never gets ready.
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let output = File::create(&log)?;
        let child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", jwt_secret)
            .env("BIND_ADDR", addr.to_string())
            .env("TRUST_FORWARDED_FOR", "true")
            .env("BCRYPT_COST", BCRYPT_COST.to_string())
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Self {
            child,
            addr,
            log,
            client: Client::builder(TokioExecutor::new()).build_http(),
        };
        server.wait_ready().await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if let Ok((200, _)) = self.get("/ready").await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "the server was not ready within 2 minutes:\n{}",
            self.log_tail()
        )
    }

    /// The last lines the server logged, to explain a failure.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    async fn get(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let request = Request::get(format!("http://{}{path}", self.addr)).body(Full::default())?;
        let response = self.client.request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// Posts one GraphQL operation and returns its answer, failing on a
    /// non-2xx status or a GraphQL error.
    pub async fn graphql(&self, body: &Value, token: Option<&str>) -> anyhow::Result<Value> {
        let mut request = Request::post(format!("http://{}/graphql", self.addr))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = self
            .client
            .request(request.body(Full::new(Bytes::from(body.to_string())))?)
            .await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        let answer: Value =
            serde_json::from_slice(&bytes).with_context(|| format!("status {status}, not JSON"))?;
        if !status.is_success() || answer.get("errors").is_some() {
            bail!("status {status}: {answer}");
        }
        Ok(answer)
    }

    /// `instanext_db_statements_total` from `GET /metrics`.
    pub async fn statements(&self) -> anyhow::Result<u64> {
        let (status, text) = self.get("/metrics").await?;
        anyhow::ensure!(status == 200, "GET /metrics answered {status}");
        text.lines()
            .find_map(|line| line.strip_prefix("instanext_db_statements_total "))
            .context("no instanext_db_statements_total in /metrics")?
            .trim()
            .parse()
            .context("a malformed statement count")
    }

    /// Resets the process's peak resident memory, so that the next reading
    /// covers only what follows.
    pub fn reset_peak_memory(&self) -> anyhow::Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")
            .context("cannot reset the server's peak memory (writing /proc/PID/clear_refs)")
    }

    /// The process's peak resident memory since the last reset, in KiB.
    pub fn peak_memory_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc/PID/status")
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
