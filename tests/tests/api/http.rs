//! The HTTP surface: GraphiQL, health, and how errors look on the wire.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use instanext_tests::{TestApp, error_code};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn a_browser_gets_graphiql_at_the_endpoint() {
    let app = TestApp::new().await;
    let request = Request::get("/graphql")
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .unwrap();

    let response = app.router.clone().oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let vary: Vec<_> = response.headers().get_all(header::VARY).iter().collect();
    assert!(vary.iter().any(|value| *value == "accept"), "{vary:?}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(html.to_lowercase().contains("graphiql"), "{html}");
}

#[tokio::test]
async fn html_is_served_only_when_valued_at_least_as_much_as_json() {
    let app = TestApp::new().await;
    let get = |accept: &str| {
        Request::get("/graphql?query=%7B__typename%7D")
            .header(header::ACCEPT, accept)
            .body(Body::empty())
            .unwrap()
    };
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    for (accept, html) in [
        (browser, true),
        ("text/html;q=0.1, application/json", false),
        ("application/json, text/html;q=0.9", false),
        ("text/html, application/json;q=0.5", true),
    ] {
        let (status, body) = app.send(get(accept)).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
        let body = String::from_utf8(body).unwrap();
        assert_eq!(
            body.to_lowercase().contains("<html"),
            html,
            "{accept}: {body}"
        );
    }
}

#[tokio::test]
async fn health_reports_whether_the_database_answers() {
    let app = TestApp::new().await;
    let health = || Request::get("/health").body(Body::empty()).unwrap();

    let (status, _) = app.send(health()).await;
    assert_eq!(status, StatusCode::OK);

    app.app.db.clone().close().await.unwrap();
    let (status, _) = app.send(health()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn metrics_count_the_sql_statements_the_server_runs() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let statements = || async {
        let request = Request::get("/metrics").body(Body::empty()).unwrap();
        let (status, body) = app.send(request).await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix("instanext_db_statements_total "))
            .unwrap_or_else(|| panic!("no statement counter in {text}"))
            .parse::<usize>()
            .unwrap()
    };

    let before = statements().await;
    app.ok("{ me { username } }", json!({}), Some(&ada.token))
        .await;
    let after = statements().await;

    assert!(after > before, "{before} then {after}");
}

#[tokio::test]
async fn internal_failures_reach_the_client_as_a_bare_internal_error() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.post(&ada, instanext_tests::minutes_ago(1), 1).await;
    app.db
        .execute_unprepared("DROP TABLE post_likes")
        .await
        .unwrap();

    let response = app
        .gql(
            "{ followingPosts { edges { node { likeCount } } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;

    assert_eq!(error_code(&response), Some("INTERNAL"));
    assert_eq!(response["errors"][0]["message"], "internal error");
    let text = response.to_string().to_lowercase();
    assert!(
        !text.contains("post_likes") && !text.contains("table"),
        "{text}"
    );
}

#[tokio::test]
async fn errors_raised_before_execution_carry_codes_too() {
    let app = TestApp::new().await;
    let cases = [
        ("{ me { id ", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "mutation($email: String!) { signIn(email: $email, password: \"x\") { token } }",
            json!({ "email": 42 }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "fragment A on User { ...B } fragment B on User { ...A } { me { ...A } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query A { __typename } query B { __typename }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];

    for (query, variables, code) in cases {
        let response = app.gql(query, variables, None).await;
        assert_eq!(error_code(&response), Some(code), "{query}: {response}");
    }
}

#[tokio::test]
async fn every_error_carries_a_code() {
    let app = TestApp::new().await;
    let queries = [
        "{ me { id } }",
        "query { followingPosts(first: \"ten\") { edges { cursor } } }",
        "subscription { nothing }",
        "{ __typename ... on Nope { id } }",
    ];

    for query in queries {
        let response = app.gql(query, json!({}), None).await;
        let errors = response["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "{query}");
        for error in errors {
            assert!(error["extensions"]["code"].is_string(), "{query}: {error}");
        }
    }
}

#[tokio::test]
async fn requests_that_are_not_graphql_get_a_coded_json_error() {
    let app = TestApp::new().await;
    let cases = [
        ("application/json", "{bad json", StatusCode::BAD_REQUEST),
        (
            "application/json",
            r#"{"variables": {}}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            r#"{"query": null}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            r#"{"query": "{ me { id } }", "variables": "x"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            r#"[{"query": "{ __typename }"}, {"query": "{ __typename }"}]"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "text/plain",
            r#"{"query": "{ __typename }"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/x-www-form-urlencoded",
            "query=%7B__typename%7D",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];

    for (content_type, body, expected) in cases {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, body) = app.send(request).await;
        assert_eq!(status, expected, "{content_type} {body:?}");
        let response: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error_code(&response), Some("BAD_REQUEST"), "{response}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(!message.contains("Error("), "{message}");
    }
}

#[tokio::test]
async fn a_body_that_never_arrives_times_out() {
    let mut settings = instanext_tests::settings();
    settings.request_timeout = std::time::Duration::from_millis(300);
    let app = TestApp::with_settings(settings).await;
    let never = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, "100")
        .body(Body::from_stream(never))
        .unwrap();

    let (status, _) = app.send(request).await;

    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
}
