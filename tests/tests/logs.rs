//! Nothing secret reaches the log.
//!
//! This test installs the process-wide log subscriber, at the most detailed
//! level, so it lives in a test binary of its own.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use instanext_api::config::LogFormat;
use instanext_tests::{PASSWORD, TestApp};
use sea_orm::EntityTrait;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_session_logs_no_password_hash_token_or_email() {
    let captured = Captured::default();
    // The server's own set-up for LOG_FORMAT=json, at the most detailed level.
    instanext_api::telemetry::install_filtered(
        tracing_subscriber::EnvFilter::new("trace"),
        LogFormat::Json,
        captured.clone(),
    );
    let app = TestApp::new().await;

    let ada = app.sign_up("ada").await;
    let signed_in = app.sign_in(&ada.email, PASSWORD).await;
    let token = signed_in["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok("{ me { username email } }", json!({}), Some(&token))
        .await;
    app.sign_in(&ada.email, "a wrong password").await;
    app.gql("{ me { id } }", json!({}), Some("forged.token.value"))
        .await;
    let feed = json!({
        "query": "query Feed { followingPosts { edges { cursor } } }",
        "operationName": "Feed",
    });
    let request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("x-request-id", "feed-request-1")
        .body(axum::body::Body::from(feed.to_string()))
        .unwrap();
    let (status, _) = app.send(request).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    // The client's operationName is any text it likes; only a name that the
    // document itself spells may reach the log.
    let odd_name = json!({
        "query": "query A { __typename }",
        "operationName": "A\nmallory@example.org",
    });
    let request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(odd_name.to_string()))
        .unwrap();
    app.send(request).await;
    app.ok("mutation { signOut }", json!({}), Some(&token))
        .await;
    let hash = entity::user::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .password;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("account created"),
        "the capture saw the app's events:\n{log}"
    );
    for secret in [
        PASSWORD,
        "a wrong password",
        &hash,
        &token,
        &ada.token,
        "ada@example.com",
        "forged.token.value",
        "mallory@example.org",
    ] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
    assert!(!log.to_lowercase().contains("authorization"), "{log}");

    // One line per request, with its id, operation, outcome and latency.
    let finished: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "finished processing request")
        .collect();
    let feed_line = finished
        .iter()
        .find(|line| line["span"]["request_id"] == "feed-request-1")
        .unwrap_or_else(|| panic!("no line for the feed request:\n{log}"));
    assert_eq!(feed_line["span"]["operation"], "Feed");
    assert_eq!(feed_line["span"]["outcome"], "ok");
    assert_eq!(feed_line["span"]["route"], "/graphql");
    assert!(feed_line["fields"]["latency"].is_string(), "{feed_line}");
    let failed = finished
        .iter()
        .filter(|line| line["span"]["outcome"] == "UNAUTHENTICATED")
        .count();
    assert!(
        failed >= 2,
        "the failed sign-in and the forged token:\n{log}"
    );
}
