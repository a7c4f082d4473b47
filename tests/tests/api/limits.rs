//! Hostile documents: bounded before they can exhaust the server.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use entity::session;
use instanext_tests::{TestApp, error_code};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

#[tokio::test]
async fn deeply_nested_values_are_refused_and_the_server_keeps_serving() {
    let app = TestApp::new().await;
    let deep_list = format!(
        "{{ followingPosts(after: {}{}) {{ edges {{ cursor }} }} }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let deep_object = format!(
        "{{ followingPosts(after: {}1{}) {{ edges {{ cursor }} }} }}",
        "{a:".repeat(5000),
        "}".repeat(5000)
    );
    let deep_selection = format!("{}{}", "{ me ".repeat(3000), "}".repeat(3000));

    for query in [deep_list, deep_object, deep_selection] {
        let response = app.gql(&query, json!({}), None).await;
        assert_eq!(
            error_code(&response),
            Some("GRAPHQL_PARSE_FAILED"),
            "{response}"
        );
    }
    app.ok("{ __typename }", json!({}), None).await;
}

#[tokio::test]
async fn doubling_fragments_are_refused_before_they_are_expanded() {
    let app = TestApp::new().await;
    // 2^25 fields once expanded, within the parser's own nesting limit.
    let mut query = String::from("{ ...F25 } fragment F0 on Query { __typename }");
    for i in 1..=25 {
        query.push_str(&format!(
            " fragment F{i} on Query {{ ...F{} ...F{} }}",
            i - 1,
            i - 1
        ));
    }

    let response = app.gql(&query, json!({}), None).await;

    assert_eq!(
        error_code(&response),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{response}"
    );
}

#[tokio::test]
async fn pages_count_towards_complexity_by_their_size() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let node = "edges { node { id caption author { username profilePic { url } } images { url } likeCount } }";
    let many: String = (0..10)
        .map(|i| format!("p{i}: followingPosts(first: 50) {{ {node} }} "))
        .collect();

    let refused = app
        .gql(&format!("{{ {many} }}"), json!({}), Some(&ada.token))
        .await;
    let allowed = app
        .gql(
            &format!("{{ followingPosts(first: 50) {{ {node} }} }}"),
            json!({}),
            Some(&ada.token),
        )
        .await;

    assert_eq!(
        error_code(&refused),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{refused}"
    );
    assert!(allowed.get("errors").is_none(), "{allowed}");
}

#[tokio::test]
async fn one_operation_holds_one_sign_in_at_most() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let sessions_before = session::Entity::find().count(&app.db).await.unwrap();
    let attempts = [
        "mutation { a: signIn(email: \"ada@example.com\", password: \"guess-one\") { token }
                    b: signIn(email: \"ada@example.com\", password: \"guess-two\") { token } }",
        "mutation { ...Guess ...Guess } fragment Guess on Mutation {
                    signIn(email: \"ada@example.com\", password: \"guess\") { token } }",
        "mutation { ... on Mutation { signIn(email: \"a@b.c\", password: \"x\") { token } }
                    signUp(input: { email: \"x@example.com\", username: \"x\", password: \"long enough\" }) { token } }",
    ];

    for query in attempts {
        let response = app.gql(query, json!({}), None).await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
        assert_eq!(response["data"], Value::Null);
    }
    let sessions_after = session::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(sessions_before, sessions_after);
    assert!(app.sign_in(&ada.email, instanext_tests::PASSWORD).await["data"]["signIn"].is_object());
}

#[tokio::test]
async fn text_with_a_nul_character_is_refused_without_touching_the_database() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let cases = [
        (
            "query($u: String!) { user(username: $u) { id } }",
            json!({ "u": "a\u{0}b" }),
        ),
        ("{ user(username: \"a\\u0000b\") { id } }", json!({})),
        (
            "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }",
            json!({ "input": { "description": "before\u{0}after" } }),
        ),
    ];

    for (query, variables) in cases {
        let response = app.gql(query, variables, Some(&ada.token)).await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    }
    let me = app
        .ok("{ me { description } }", json!({}), Some(&ada.token))
        .await;
    assert_eq!(me["me"]["description"], "");
}

#[tokio::test]
async fn a_password_longer_than_bcrypt_reads_never_signs_in() {
    let app = TestApp::new().await;
    let exact = "a".repeat(72);
    app.ok(
        "mutation($input: SignUpInput!) { signUp(input: $input) { token } }",
        json!({ "input": { "email": "long@example.com", "username": "long", "password": exact } }),
        None,
    )
    .await;

    for attempt in ["a".repeat(73), format!("{exact}b"), format!("{exact}\u{0}")] {
        let response = app.sign_in("long@example.com", &attempt).await;
        let code = error_code(&response);
        assert!(
            matches!(code, Some("UNAUTHENTICATED" | "BAD_USER_INPUT")),
            "{response}"
        );
        assert_eq!(response["data"], Value::Null);
    }
    assert!(app.sign_in("long@example.com", &exact).await["data"]["signIn"].is_object());
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = TestApp::new().await;
    let padding = "x".repeat(300_000);
    let body =
        json!({ "query": "{ __typename }", "extensions": { "padding": padding } }).to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();

    let (status, body) = app.send(request).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&response), Some("BAD_REQUEST"));
}

#[tokio::test]
async fn parse_errors_do_not_echo_huge_documents() {
    let app = TestApp::new().await;
    let query = format!("{{ {} ", "a ".repeat(50_000));

    let response = app.gql(&query, json!({}), None).await;

    assert_eq!(error_code(&response), Some("GRAPHQL_PARSE_FAILED"));
    assert!(
        response["errors"][0]["message"].as_str().unwrap().len() < 300,
        "{response}"
    );
}

#[tokio::test]
async fn a_document_full_of_mistakes_gets_a_bounded_list_of_errors() {
    let app = TestApp::new().await;
    let arguments: Vec<String> = (0..500).map(|i| format!("a{i}: 1")).collect();
    let query = format!(
        "{{ user(username: \"x\" {}) {{ id }} }}",
        arguments.join(" ")
    );

    let response = app.gql(&query, json!({}), None).await;

    let errors = response["errors"].as_array().unwrap();
    assert!((1..=20).contains(&errors.len()), "{}", errors.len());
    assert_eq!(error_code(&response), Some("GRAPHQL_VALIDATION_FAILED"));
}
