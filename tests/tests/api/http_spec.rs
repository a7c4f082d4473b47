//! GraphQL over HTTP: methods, media types, status codes, persisted queries,
//! and what wraps every request (ids, CORS, readiness, the panic guard).

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
    routing::get,
};
use entity::user;
use http_body_util::BodyExt;
use instanext_tests::{TestApp, error_code};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tower::ServiceExt;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn post(body: Value, accept: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

fn get_request(query: &str, accept: &str) -> Request<Body> {
    Request::get(format!("/graphql?{query}"))
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap()
}

fn content_type(reply: &Reply) -> &str {
    reply.headers[header::CONTENT_TYPE].to_str().unwrap()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn get_runs_queries_with_json_variables() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let query = encode("query($u: String!) { user(username: $u) { username } }");
    let variables = encode(r#"{"u":"ada"}"#);

    let request = Request::get(format!("/graphql?query={query}&variables={variables}"))
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", ada.token))
        .body(Body::empty())
        .unwrap();
    let reply = send(&app.router, request).await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["data"]["user"]["username"], "ada");
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_with_405_and_runs_nothing() {
    let app = TestApp::new().await;
    let query = encode(
        r#"mutation { signUp(input: { email: "g@example.com", username: "g", password: "long enough pass" }) { token } }"#,
    );

    let reply = send(
        &app.router,
        get_request(&format!("query={query}"), "application/json"),
    )
    .await;

    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers[header::ALLOW], "POST");
    assert_eq!(error_code(&reply.body), Some("BAD_REQUEST"));
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = TestApp::new().await;
    let query = json!({ "query": "{ __typename }" });

    let cases = [
        (None, "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/json, application/graphql-response+json"),
            GRAPHQL_RESPONSE,
        ),
        (Some("*/*"), "application/json"),
    ];
    for (accept, expected) in cases {
        let reply = send(&app.router, post(query.clone(), accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept:?}");
        assert!(
            content_type(&reply).starts_with(expected),
            "{accept:?}: {}",
            content_type(&reply)
        );
        assert_eq!(reply.body["data"]["__typename"], "Query");
    }
    let refused = send(&app.router, post(query, Some("text/plain"))).await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn documents_that_never_run_get_400_and_no_data_in_graphql_response_json() {
    let app = TestApp::new().await;

    for query in ["{ me { id ", "{ noSuchField }"] {
        let modern = send(
            &app.router,
            post(json!({ "query": query }), Some(GRAPHQL_RESPONSE)),
        )
        .await;
        assert_eq!(modern.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(modern.body.get("data").is_none(), "{}", modern.body);
        assert!(error_code(&modern.body).is_some());

        let legacy = send(
            &app.router,
            post(json!({ "query": query }), Some("application/json")),
        )
        .await;
        assert_eq!(legacy.status, StatusCode::OK, "{query}");
    }

    // A field error is an executed request: 200, with `data`.
    let executed = send(
        &app.router,
        post(json!({ "query": "{ me { id } }" }), Some(GRAPHQL_RESPONSE)),
    )
    .await;
    assert_eq!(executed.status, StatusCode::OK);
    assert!(executed.body.get("data").is_some());
    assert_eq!(error_code(&executed.body), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn request_parameters_are_checked() {
    let app = TestApp::new().await;
    let good = [
        json!({ "query": "{ __typename }", "variables": null, "operationName": null, "extensions": null }),
        json!({ "query": "query A { __typename }", "operationName": "A", "variables": {}, "extensions": {} }),
    ];
    for body in good {
        let reply = send(&app.router, post(body.clone(), Some("application/json"))).await;
        assert_eq!(reply.body["data"]["__typename"], "Query", "{body}");
    }
    let bad = [
        json!({ "query": 42 }),
        json!({ "query": "{ __typename }", "variables": "x" }),
        json!({ "query": "{ __typename }", "variables": [1] }),
        json!({ "query": "{ __typename }", "operationName": 7 }),
        json!({ "query": "{ __typename }", "extensions": "x" }),
        json!({}),
    ];
    for body in bad {
        let reply = send(&app.router, post(body.clone(), Some("application/json"))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&reply.body), Some("BAD_REQUEST"));
    }
    for content_type in [
        "application/json; charset=utf-16",
        "application/graphql",
        "",
    ] {
        let mut request = Request::post("/graphql");
        if !content_type.is_empty() {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .unwrap();
        let reply = send(&app.router, request).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
    }
    for (coding, status) in [
        ("gzip", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("identity, br", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("identity", StatusCode::OK),
    ] {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, coding)
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .unwrap();
        let reply = send(&app.router, request).await;
        assert_eq!(reply.status, status, "{coding}: {}", reply.body);
        if status != StatusCode::OK {
            assert_eq!(error_code(&reply.body), Some("BAD_REQUEST"));
        }
    }
}

#[tokio::test]
async fn persisted_queries_can_be_sent_by_hash() {
    let app = TestApp::new().await;
    let query = "{ __typename }";
    let hash = "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"; // sha256 of the query
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    let unknown = send(&app.router, post(json!({ "extensions": extensions }), None)).await;
    assert_eq!(
        error_code(&unknown.body),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{}",
        unknown.body
    );

    let registered = send(
        &app.router,
        post(json!({ "query": query, "extensions": extensions }), None),
    )
    .await;
    assert_eq!(
        registered.body["data"]["__typename"], "Query",
        "{}",
        registered.body
    );

    let by_hash = send(&app.router, post(json!({ "extensions": extensions }), None)).await;
    assert_eq!(
        by_hash.body["data"]["__typename"], "Query",
        "{}",
        by_hash.body
    );
    let over_get = send(
        &app.router,
        get_request(
            &format!("extensions={}", encode(&extensions.to_string())),
            "application/json",
        ),
    )
    .await;
    assert_eq!(
        over_get.body["data"]["__typename"], "Query",
        "{}",
        over_get.body
    );

    // A document over the size kept runs, but is not remembered.
    let long = format!("{{ __typename }} #{}", "x".repeat(9 * 1024));
    let ran = persisted(&app.router, Some(&long), &sha256(&long), 1).await;
    assert_eq!(ran["data"]["__typename"], "Query", "{ran}");

    // Documents refused before they run are reported as such and not kept.
    let broken = "{ __typename";
    let invalid = "{ nope }";
    let refused = persisted(&app.router, Some(invalid), &sha256(invalid), 1).await;
    assert_eq!(
        error_code(&refused),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    let cases = [
        (Some(query), "00".to_owned(), 1, "GRAPHQL_VALIDATION_FAILED"),
        (Some(broken), sha256(broken), 1, "GRAPHQL_PARSE_FAILED"),
        (None, sha256(broken), 1, "PERSISTED_QUERY_NOT_FOUND"),
        (None, sha256(invalid), 1, "PERSISTED_QUERY_NOT_FOUND"),
        (None, sha256(&long), 1, "PERSISTED_QUERY_NOT_FOUND"),
        (None, hash.to_owned(), 2, "GRAPHQL_VALIDATION_FAILED"),
    ];
    for (text, hash, version, code) in cases {
        let answer = persisted(&app.router, text, &hash, version).await;
        assert_eq!(error_code(&answer), Some(code), "{text:?}: {answer}");
        if code == "PERSISTED_QUERY_NOT_FOUND" {
            assert_eq!(answer["errors"][0]["message"], "PersistedQueryNotFound");
        }
    }
}

fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The answer to a persisted query sent with its text, or by hash alone.
async fn persisted(router: &Router, query: Option<&str>, hash: &str, version: i32) -> Value {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": version, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    send(router, post(body, None)).await.body
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;

    let fresh = send(
        &app.router,
        post(json!({ "query": "{ __typename }" }), None),
    )
    .await;
    let given = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", "abc-123")
        .body(Body::from(r#"{"query":"{ __typename }"}"#))
        .unwrap();
    let echoed = send(&app.router, given).await;

    assert!(fresh.headers["x-request-id"].to_str().unwrap().len() >= 32);
    assert_eq!(echoed.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };

    let allowed = send(&app.router, preflight("https://app.example.com")).await;
    let other = send(&app.router, preflight("https://evil.example.net")).await;

    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
        "true"
    );
    assert!(
        other
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn ready_means_the_database_answers_and_is_migrated() {
    let app = TestApp::new().await;
    let ready = || Request::get("/ready").body(Body::empty()).unwrap();

    let (status, body) = app.send(ready()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"ready");

    app.app.db.clone().close().await.unwrap();
    let (status, _) = app.send(ready()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

async fn boom() -> &'static str {
    panic!("a resolver broke")
}

#[tokio::test]
async fn a_panic_becomes_a_coded_500_and_the_server_keeps_serving() {
    let settings = instanext_tests::settings();
    let routes = Router::new()
        .route("/boom", get(boom))
        .route("/fine", get(|| async { "fine" }));
    let router = instanext_api::http::with_guards(routes, &settings);

    let boom = send(&router, Request::get("/boom").body(Body::empty()).unwrap()).await;
    let fine = router
        .clone()
        .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
        .await
        .unwrap();

    assert_eq!(boom.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&boom.body), Some("INTERNAL"));
    assert_eq!(boom.body["errors"][0]["message"], "internal error");
    assert_eq!(fine.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_and_suggestions_can_be_switched_off() {
    let mut settings = instanext_tests::settings();
    settings.introspection = false;
    settings.field_suggestions = false;
    let app = TestApp::with_settings(settings).await;

    let introspection = app
        .gql("{ __schema { types { name } } }", json!({}), None)
        .await;
    let typo = app
        .gql(
            "{ followingPost { pageInfo { hasNextPage } } }",
            json!({}),
            None,
        )
        .await;

    assert_eq!(
        introspection["data"]["__schema"],
        Value::Null,
        "{introspection}"
    );
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let on = TestApp::new()
        .await
        .gql(
            "{ followingPost { pageInfo { hasNextPage } } }",
            json!({}),
            None,
        )
        .await;
    assert!(
        on["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Did you mean"),
        "{on}"
    );
}

#[tokio::test]
async fn limits_follow_the_settings() {
    let mut settings = instanext_tests::settings();
    settings.max_page_size = 3;
    settings.max_fields = 20;
    settings.max_depth = 4;
    let app = TestApp::with_settings(settings).await;
    let ada = app.sign_up("ada").await;
    for i in 0..5 {
        app.post(&ada, instanext_tests::minutes_ago(i), 1).await;
    }

    let page = app
        .ok(
            "{ followingPosts(first: 50) { edges { cursor } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    let aliases: String = (0..21).map(|i| format!("a{i}: __typename ")).collect();
    let wide = app.gql(&format!("{{ {aliases} }}"), json!({}), None).await;
    let deep = app
        .gql(
            "{ me { followers { edges { node { followers { edges { cursor } } } } } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;

    assert_eq!(page["followingPosts"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(error_code(&wide), Some("GRAPHQL_VALIDATION_FAILED"));
    assert_eq!(error_code(&deep), Some("GRAPHQL_VALIDATION_FAILED"));

    // A persisted document is held to the same limits, and one refused by
    // them is not kept.
    let wide = format!("{{ {aliases} }}");
    let registered = persisted(&app.router, Some(&wide), &sha256(&wide), 1).await;
    let by_hash = persisted(&app.router, None, &sha256(&wide), 1).await;

    assert_eq!(
        error_code(&registered),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{registered}"
    );
    assert!(
        registered["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("more than 20 fields")),
        "{registered}"
    );
    assert_eq!(
        error_code(&by_hash),
        Some("PERSISTED_QUERY_NOT_FOUND"),
        "{by_hash}"
    );
}

#[tokio::test]
async fn accept_quality_values_are_honoured() {
    let app = TestApp::new().await;
    let query = json!({ "query": "{ __typename }" });

    let json_preferred = send(
        &app.router,
        post(
            query.clone(),
            Some("application/graphql-response+json;q=0.5, application/json"),
        ),
    )
    .await;
    let graphql_preferred = send(
        &app.router,
        post(
            query,
            Some("application/json;q=0.4, application/graphql-response+json;q=0.9"),
        ),
    )
    .await;

    assert!(content_type(&json_preferred).starts_with("application/json"));
    assert!(content_type(&graphql_preferred).starts_with(GRAPHQL_RESPONSE));
    assert_eq!(json_preferred.headers[header::VARY], "accept");
}

#[tokio::test]
async fn a_missing_required_variable_is_refused_before_anything_runs() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let queries = [
        (
            "query($b: Boolean!) { me @include(if: $b) { username } }",
            json!({}),
        ),
        (
            "query($b: Boolean!) { me @skip(if: $b) { username } }",
            json!({}),
        ),
        (
            "query($u: String!) { user(username: $u) { username } }",
            json!({}),
        ),
        // One named operation, run without `operationName`.
        (
            "query Named($b: Boolean!) { me @include(if: $b) { username } }",
            json!({}),
        ),
        (
            "query Feed($n: Int!) { followingPosts(first: $n) { edges { cursor } } }",
            json!({ "n": null }),
        ),
    ];

    for (query, variables) in queries {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, GRAPHQL_RESPONSE)
            .header(header::AUTHORIZATION, format!("Bearer {}", ada.token))
            .body(Body::from(
                json!({ "query": query, "variables": variables }).to_string(),
            ))
            .unwrap();
        let reply = send(&app.router, request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert_eq!(error_code(&reply.body), Some("GRAPHQL_VALIDATION_FAILED"));
        assert!(reply.body.get("data").is_none());
    }
}

#[tokio::test]
async fn refusals_of_the_request_shape_get_400_with_graphql_response_json() {
    let app = TestApp::new().await;
    let queries = [
        r#"{ user(username: "de\u0000mo") { id } }"#,
        r#"mutation { a: signIn(email: "a@b.c", password: "x") { token } b: signIn(email: "a@b.c", password: "y") { token } }"#,
    ];

    for query in queries {
        let reply = send(
            &app.router,
            post(json!({ "query": query }), Some(GRAPHQL_RESPONSE)),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert!(reply.body.get("data").is_none());
        assert!(error_code(&reply.body).is_some());
    }
}

#[tokio::test]
async fn a_body_declared_too_large_is_refused_before_it_is_read() {
    let app = TestApp::new().await;
    let never = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "300000")
        .header(header::ORIGIN, "https://app.example.com")
        .body(Body::from_stream(never))
        .unwrap();

    let reply = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        send(&app.router, request),
    )
    .await
    .expect("answered at once");

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&reply.body), Some("BAD_REQUEST"));
    // Refused early, yet answered like any other request: with an id to
    // quote, and readable by the browser app that sent it.
    assert!(reply.headers.contains_key("x-request-id"));
    assert_eq!(
        reply.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
}

#[tokio::test]
async fn bare_http_errors_are_coded_too_and_odd_request_ids_are_replaced() {
    let app = TestApp::new().await;

    let unknown = send(
        &app.router,
        Request::get("/nowhere").body(Body::empty()).unwrap(),
    )
    .await;
    let wrong_method = send(
        &app.router,
        Request::put("/graphql").body(Body::empty()).unwrap(),
    )
    .await;
    let long_id = "x".repeat(3000);
    let odd = send(
        &app.router,
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-request-id", &long_id)
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .unwrap(),
    )
    .await;

    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&unknown.body), Some("BAD_REQUEST"));
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&wrong_method.body), Some("BAD_REQUEST"));
    let id = odd.headers["x-request-id"].to_str().unwrap();
    assert!(id.len() <= 64 && id != long_id, "{id}");
}
