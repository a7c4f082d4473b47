//! The guard: every protected field refuses requests without a valid viewer.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use entity::session;
use instanext_tests::{SECRET, TestApp, error_code};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Every protected operation, each selecting one protected field.
const PROTECTED: [&str; 21] = [
    "{ me { id } }",
    "{ followingPosts { edges { cursor } } }",
    "{ followingStories { user { id } } }",
    "{ user(username: \"ada\") { id } }",
    "{ post(id: \"x\") { id } }",
    "{ searchUsers(query: \"a\") { edges { cursor } } }",
    "mutation { signOut }",
    "mutation { createPost(input: { caption: \"x\", images: [{ url: \"https://a.example/b.jpg\", sequence: 0 }] }) { id } }",
    "mutation { deletePost(id: \"x\") }",
    "mutation { createStory(input: { caption: \"x\", imageUrl: \"https://a.example/b.jpg\" }) { id } }",
    "mutation { deleteStory(id: \"x\") }",
    "mutation { likePost(postId: \"x\") { id } }",
    "mutation { unlikePost(postId: \"x\") { id } }",
    "mutation { followUser(username: \"ada\") { id } }",
    "mutation { unfollowUser(username: \"ada\") { id } }",
    "mutation { updateProfile(input: { description: \"x\" }) { id } }",
    "{ mySessions { id } }",
    "mutation { refreshSession { token } }",
    "mutation { revokeSession(id: \"x\") }",
    "mutation { changePassword(currentPassword: \"x\", newPassword: \"y\") }",
    "mutation { deleteAccount(password: \"x\") }",
];

/// Root fields that anyone may use.
const PUBLIC: [&str; 2] = ["signIn", "signUp"];

/// Runs every protected operation with this token and expects each to be
/// refused with `UNAUTHENTICATED` and no data.
async fn assert_all_refused(app: &TestApp, token: Option<&str>) {
    for query in PROTECTED {
        let response = app.gql(query, json!({}), token).await;
        assert_eq!(
            error_code(&response),
            Some("UNAUTHENTICATED"),
            "{query}: {response}"
        );
        assert_eq!(response["data"], Value::Null, "{query}");
    }
}

fn claims(sub: &str, sid: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "sub": sub, "sid": sid, "iat": now, "exp": now + 3600,
        "iss": "instanext", "aud": "instanext-api",
    })
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The `sid` claim of a token issued by the server.
fn sid_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_root_field_but_sign_in_and_sign_up_is_in_the_protected_list() {
    let app = TestApp::new().await;
    let response = app
        .gql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
            None,
        )
        .await;
    let schema = &response["data"]["__schema"];

    for root in ["queryType", "mutationType"] {
        for field in schema[root]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            if PUBLIC.contains(&name) {
                continue;
            }
            let selected = PROTECTED.iter().any(|query| {
                let body = query.trim_start_matches("mutation").trim_start();
                let field = body.trim_start_matches('{').trim_start();
                let rest = field.strip_prefix(name).unwrap_or("x");
                !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            assert!(selected, "{name} is missing from PROTECTED");
        }
    }
}

#[tokio::test]
async fn protected_fields_refuse_requests_without_a_token() {
    let app = TestApp::new().await;
    assert_all_refused(&app, None).await;
}

#[tokio::test]
async fn protected_fields_refuse_garbage_tokens() {
    let app = TestApp::new().await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
        assert_all_refused(&app, Some(token)).await;
    }
}

#[tokio::test]
async fn tokens_signed_with_another_secret_or_no_algorithm_are_refused() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let sid = sid_of(&ada.token);

    let forged = sign(
        &claims(&ada.id, &sid),
        "another-secret-that-is-also-32-bytes-long!",
    );
    assert_all_refused(&app, Some(&forged)).await;

    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims(&ada.id, &sid).to_string());
    assert_all_refused(&app, Some(&format!("{header}.{body}."))).await;

    // The right secret but another audience.
    let mut other_audience = claims(&ada.id, &sid);
    other_audience["aud"] = json!("someone-else");
    assert_all_refused(&app, Some(&sign(&other_audience, SECRET))).await;

    // The right secret and claims are accepted: the refusals above were not luck.
    let genuine = sign(&claims(&ada.id, &sid), SECRET);
    app.ok("{ me { id } }", json!({}), Some(&genuine)).await;
}

#[tokio::test]
async fn a_token_for_another_users_session_is_refused() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;

    let swapped = sign(&claims(&bob.id, &sid_of(&ada.token)), SECRET);

    assert_all_refused(&app, Some(&swapped)).await;
}

#[tokio::test]
async fn an_expired_token_or_session_is_refused() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let mut expired = claims(&ada.id, &sid_of(&ada.token));
    expired["exp"] = json!(Utc::now().timestamp() - 3600);
    assert_all_refused(&app, Some(&sign(&expired, SECRET))).await;

    // A token whose signature and expiry hold, but whose session has expired.
    session::Entity::update_many()
        .set(session::ActiveModel {
            expires: Set(instanext_api::clock::now() - Duration::minutes(1)),
            ..Default::default()
        })
        .filter(session::Column::UserId.eq(ada.id.as_str()))
        .exec(&app.db)
        .await
        .unwrap();
    assert_all_refused(&app, Some(&ada.token)).await;
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused_without_a_server_error() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let headers: Vec<Vec<u8>> = vec![
        b"Bearer".to_vec(),
        b"Bearer ".to_vec(),
        format!("Basic {}", ada.token).into_bytes(),
        format!("Bearer {} extra", ada.token).into_bytes(),
        format!("Bearer\t{}", ada.token).into_bytes(),
        b"Bearer \xff\xfe".to_vec(),
        "x".repeat(10_000).into_bytes(),
    ];

    for value in headers {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::AUTHORIZATION,
                header::HeaderValue::from_bytes(&value).unwrap(),
            )
            .body(Body::from(json!({ "query": "{ me { id } }" }).to_string()))
            .unwrap();
        let (status, body) = app.send(request).await;
        assert_eq!(status, StatusCode::OK);
        let response: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("bearer {}", ada.token))
        .body(Body::from(json!({ "query": "{ me { id } }" }).to_string()))
        .unwrap();

    let (status, body) = app.send(request).await;

    assert_eq!(status, StatusCode::OK);
    let response: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(response["data"]["me"]["id"], ada.id.as_str());
}

#[tokio::test]
async fn tokens_missing_a_claim_or_with_a_malformed_one_are_refused() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let full = claims(&ada.id, &sid_of(&ada.token));

    for claim in ["sub", "sid", "iat", "exp", "iss", "aud"] {
        let mut partial = full.clone();
        partial.as_object_mut().unwrap().remove(claim);
        assert_all_refused(&app, Some(&sign(&partial, SECRET))).await;
    }
    for (claim, value) in [
        ("sub", json!(42)),
        ("sid", json!(null)),
        ("exp", json!("tomorrow")),
        ("iss", json!("someone-else")),
    ] {
        let mut malformed = full.clone();
        malformed[claim] = value;
        assert_all_refused(&app, Some(&sign(&malformed, SECRET))).await;
    }
    // Another HMAC algorithm with the right secret is refused too.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &full,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_all_refused(&app, Some(&hs512)).await;
    app.ok("{ me { id } }", json!({}), Some(&sign(&full, SECRET)))
        .await;
}
