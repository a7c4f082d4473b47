//! Graceful shutdown over a real socket: stop accepting, let requests in
//! flight finish, and stop anyway once the shutdown timeout has passed.

use std::time::Duration;

use instanext_api::http;
use instanext_tests::TestApp;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

const BODY: &str = r#"{"query":"{ __typename }"}"#;

/// Starts serving `app` on a free port; returns the address, the trigger of
/// shutdown and the server's task.
async fn start(
    app: &TestApp,
) -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (trigger, shutdown) = oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(
        listener,
        app.app.clone(),
        app.schema.clone(),
        async move {
            let _ = shutdown.await;
        },
    ));
    (address, trigger, server)
}

/// Opens a connection and sends a request's head and the first half of its body.
async fn half_sent(address: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        BODY.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&BODY.as_bytes()[..10]).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish_and_refuses_new_ones() {
    let app = TestApp::new().await;
    let (address, trigger, server) = start(&app).await;
    let mut stream = half_sent(address).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    trigger.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = TcpStream::connect(address).await;
    stream.write_all(&BODY.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();

    assert!(refused.is_err(), "no new connections after the signal");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""__typename":"Query""#), "{answer}");
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server stops once it is idle"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_waiting_after_the_timeout() {
    let mut settings = instanext_tests::settings();
    settings.shutdown_timeout = Duration::from_millis(300);
    let app = TestApp::with_settings(settings).await;
    let (address, trigger, server) = start(&app).await;
    let _stuck = half_sent(address).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    trigger.send(()).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), server).await;

    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "a stuck request does not hold the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let mut settings = instanext_tests::settings();
    settings.request_timeout = Duration::from_millis(500);
    let app = TestApp::with_settings(settings).await;
    let (address, _trigger, _server) = start(&app).await;

    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let idle = TcpStream::connect(address).await.unwrap();

    // The server hangs up on both: a read sees the end of the stream.
    for (name, mut stream) in [("half-sent headers", slow), ("no request", idle)] {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("{name}: the connection is still open"));
        assert!(closed.is_ok(), "{name}: {closed:?}");
    }

    // Others are served meanwhile.
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
