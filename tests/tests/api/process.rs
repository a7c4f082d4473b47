//! The server as an operator runs it: the real binary in a process of its
//! own, configured through its environment and spoken to over a socket.

use std::{net::SocketAddr, process::Stdio, time::Duration};

use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, body::Bytes};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use instanext_tests::SECRET;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::Mutex,
};

/// A running `instanext serve`, killed when dropped.
pub struct ServerProcess {
    child: Mutex<Child>,
    pub address: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts the server on `database_url` with the tests' secret, a cheap
    /// bcrypt cost and a free port, and waits until it listens.
    pub async fn start(database_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_instanext-server"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", SECRET)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("BCRYPT_COST", "4")
            .env("TRUST_FORWARDED_FOR", "true")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();

        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let message = entry["fields"]["message"].as_str().unwrap_or_default();
                if let Some(rest) = message.strip_prefix("listening on http://") {
                    return rest.trim_end_matches("/graphql").parse::<SocketAddr>().ok();
                }
            }
            None
        })
        .await
        .expect("the server starts within a minute")
        .expect("the server says where it listens");
        // Keep reading, so that a full pipe never blocks the server's logging.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        Self {
            child: Mutex::new(child),
            address,
            client: Client::builder(TokioExecutor::new()).build_http(),
            _dir: dir,
        }
    }

    /// Ends the process at once with SIGKILL, as a crash or the OOM killer would.
    pub async fn kill(&self) {
        self.child.lock().await.kill().await.unwrap();
    }

    /// Posts an operation from the client address `from`; an error when the
    /// request gets no answer, as when the server has died.
    pub async fn try_gql(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
        from: &str,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = Request::post(format!("http://{}/graphql", self.address))
            .header("content-type", "application/json")
            .header("x-forwarded-for", from);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let response = self
            .client
            .request(request.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((status, serde_json::from_slice(&bytes)?))
    }

    /// Posts an operation that must get a 200 answer, and returns it.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let (status, body) = self
            .try_gql(query, variables, token, "2001:db8::1")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The status of `GET path`.
    pub async fn status_of(&self, path: &str) -> StatusCode {
        let request = Request::get(format!("http://{}{path}", self.address))
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.client.request(request).await.unwrap().status()
    }

    /// Signs up `username` from the address `from`; returns the token.
    pub async fn sign_up(&self, username: &str, from: &str) -> String {
        let (_, body) = self
            .try_gql(
                "mutation($input: SignUpInput!) { signUp(input: $input) { token } }",
                json!({ "input": {
                    "email": format!("{username}@example.com"),
                    "username": username,
                    "password": instanext_tests::PASSWORD,
                } }),
                None,
                from,
            )
            .await
            .unwrap();
        body["data"]["signUp"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-up failed: {body}"))
            .to_owned()
    }
}
