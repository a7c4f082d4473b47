//! When the database is out of reach or out of connections, requests fail
//! fast with `SERVICE_UNAVAILABLE`, the readiness probe says so, and the
//! server recovers by itself once the database is back.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use instanext_tests::{TestApp, TestDatabase, error_code};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use tokio::{
    net::{TcpListener, TcpSocket, TcpStream},
    task::JoinHandle,
};

const FEED: &str = "{ followingPosts(first: 5) { edges { node { id likeCount } } } }";

/// A TCP relay between the server and PostgreSQL that can be cut off, as
/// when the database is stopped: open connections are reset and new ones
/// refused until it is started again on the same port.
struct Outage {
    address: SocketAddr,
    upstream: SocketAddr,
    accepting: Option<JoinHandle<()>>,
    relays: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Outage {
    async fn relay_to(upstream: SocketAddr) -> Self {
        let mut outage = Self {
            address: "127.0.0.1:0".parse().unwrap(),
            upstream,
            accepting: None,
            relays: Arc::default(),
        };
        outage.start();
        outage
    }

    fn listen(address: SocketAddr) -> TcpListener {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(address).unwrap();
        socket.listen(64).unwrap()
    }

    /// Accepts connections again, on the same port as before.
    fn start(&mut self) {
        let listener = Self::listen(self.address);
        self.address = listener.local_addr().unwrap();
        let (upstream, relays) = (self.upstream, self.relays.clone());
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                relays.lock().unwrap().push(relay);
            }
        }));
    }

    /// Drops every open connection and stops listening.
    fn stop(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        for relay in self.relays.lock().unwrap().drain(..) {
            relay.abort();
        }
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn ready(app: &TestApp) -> StatusCode {
    let request = Request::get("/ready").body(Body::empty()).unwrap();
    app.send(request).await.0
}

/// Runs `query` and returns its answer and how long it took.
async fn timed(app: &TestApp, query: &str, variables: Value, token: &str) -> (Value, Duration) {
    let started = Instant::now();
    let answer = app.gql(query, variables, Some(token)).await;
    (answer, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_postgres_fails_requests_fast_and_the_server_recovers_without_a_restart() {
    let direct = TestDatabase::new().await;
    if !direct.is_postgres() {
        eprintln!("skipped: this test stops PostgreSQL; set TEST_DATABASE_URL to run it");
        return;
    }
    let mut url = url::Url::parse(&direct.url).unwrap();
    let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
        .parse()
        .unwrap();
    let mut outage = Outage::relay_to(upstream).await;
    url.set_port(Some(outage.address.port())).unwrap();
    let mut settings = instanext_tests::settings();
    settings.db_acquire_timeout = Duration::from_secs(1);
    settings.request_timeout = Duration::from_secs(10);
    let app = TestApp::with_database(settings, direct.through(url.to_string())).await;
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.follow_via_api(&alice, &bob).await;
    let post = app.post(&bob, instanext_tests::minutes_ago(1), 1).await;
    app.ok(FEED, json!({}), Some(&alice.token)).await;
    assert_eq!(ready(&app).await, StatusCode::OK);

    outage.stop();
    let (feed, feed_took) = timed(&app, FEED, json!({}), &alice.token).await;
    let (like, like_took) = timed(
        &app,
        "mutation($id: ID!) { likePost(postId: $id) { likeCount } }",
        json!({ "id": post }),
        &alice.token,
    )
    .await;
    let sign_in = app
        .gql(
            "mutation { signIn(email: \"bob@example.com\", password: \"x\") { token } }",
            json!({}),
            None,
        )
        .await;
    let probe_started = Instant::now();
    let probe = ready(&app).await;
    let probe_took = probe_started.elapsed();

    assert_eq!(error_code(&feed), Some("SERVICE_UNAVAILABLE"), "{feed}");
    assert_eq!(error_code(&like), Some("SERVICE_UNAVAILABLE"), "{like}");
    assert_eq!(
        error_code(&sign_in),
        Some("SERVICE_UNAVAILABLE"),
        "{sign_in}"
    );
    let text = format!("{feed}{like}{sign_in}");
    assert!(
        !text.contains("onnection") && !text.contains("pool"),
        "no driver text reaches the client: {text}"
    );
    for took in [feed_took, like_took, probe_took] {
        assert!(
            took < Duration::from_secs(5),
            "failed fast, not after {took:?}"
        );
    }
    assert_eq!(probe, StatusCode::SERVICE_UNAVAILABLE);

    outage.start();
    let recovered = Instant::now();
    while ready(&app).await != StatusCode::OK {
        assert!(
            recovered.elapsed() < Duration::from_secs(15),
            "ready again soon after the database is back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let feed = app.ok(FEED, json!({}), Some(&alice.token)).await;
    let liked = app.like_via_api(&alice, &post).await;

    assert_eq!(
        feed["followingPosts"]["edges"][0]["node"]["likeCount"], 0,
        "the like refused during the outage was not stored"
    );
    assert!(liked.get("errors").is_none(), "{liked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_connection_pool_makes_requests_wait_a_bounded_time_then_fail_with_a_code() {
    let mut settings = instanext_tests::settings();
    settings.db_max_connections = 1;
    settings.db_acquire_timeout = Duration::from_millis(500);
    let app = TestApp::with_settings(settings).await;
    let alice = app.sign_up("alice").await;

    let held = app.app.db.begin().await.unwrap();
    let (busy, busy_took) = timed(&app, FEED, json!({}), &alice.token).await;
    let probe = ready(&app).await;
    held.rollback().await.unwrap();
    let (calm, _) = timed(&app, FEED, json!({}), &alice.token).await;

    assert_eq!(error_code(&busy), Some("SERVICE_UNAVAILABLE"), "{busy}");
    assert!(
        busy_took >= Duration::from_millis(400) && busy_took < Duration::from_secs(3),
        "waited about the acquire timeout, not {busy_took:?}"
    );
    assert_eq!(probe, StatusCode::SERVICE_UNAVAILABLE);
    assert!(calm.get("errors").is_none(), "{calm}");
}
