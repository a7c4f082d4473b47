//! Sign-up, sign-in and sign-out.

use entity::{session, user};
use instanext_tests::{PASSWORD, TestApp, error_code};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const SIGN_UP: &str = "mutation($input: SignUpInput!) {
    signUp(input: $input) { token expiresAt user { id username email description profilePic { url } } }
}";

fn sign_up_input(email: &str, username: &str, password: &str) -> Value {
    json!({ "input": { "email": email, "username": username, "password": password } })
}

async fn user_count(app: &TestApp) -> u64 {
    user::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn sign_up_creates_an_account_with_a_hashed_password_and_a_default_avatar() {
    let app = TestApp::new().await;

    let data = app
        .ok(
            SIGN_UP,
            json!({ "input": {
                "email": "  Ada@Example.com ", "username": "ada", "password": PASSWORD,
                "description": "Mathematician"
            }}),
            None,
        )
        .await;

    let payload = &data["signUp"];
    assert!(payload["token"].as_str().unwrap().len() > 20);
    assert_eq!(payload["user"]["username"], "ada");
    assert_eq!(payload["user"]["email"], "ada@example.com");
    assert_eq!(payload["user"]["description"], "Mathematician");
    let avatar = payload["user"]["profilePic"]["url"].as_str().unwrap();
    assert!(avatar.starts_with("https://"), "{avatar}");
    assert!(
        !avatar.contains("ada"),
        "the avatar URL must reveal nothing: {avatar}"
    );

    let stored = user::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.email, "ada@example.com");
    assert!(
        stored.password.starts_with("$2"),
        "stored password is a bcrypt hash"
    );
    assert!(bcrypt::verify(PASSWORD, &stored.password).unwrap_or(false));
}

#[tokio::test]
async fn sign_up_reports_a_taken_email_or_username_as_a_conflict_naming_the_field() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;

    let same_email = app
        .gql(
            SIGN_UP,
            sign_up_input("ADA@example.com", "other", PASSWORD),
            None,
        )
        .await;
    assert_eq!(error_code(&same_email), Some("CONFLICT"));
    assert_eq!(same_email["errors"][0]["extensions"]["field"], "email");

    let same_username = app
        .gql(
            SIGN_UP,
            sign_up_input("other@example.com", "ADA", PASSWORD),
            None,
        )
        .await;
    assert_eq!(error_code(&same_username), Some("CONFLICT"));
    assert_eq!(
        same_username["errors"][0]["extensions"]["field"],
        "username"
    );
    let message = same_username["errors"][0]["message"].as_str().unwrap();
    assert!(!message.to_lowercase().contains("constraint"), "{message}");

    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn sign_up_refuses_malformed_input_and_creates_nothing() {
    let app = TestApp::new().await;
    let long = "x".repeat(73);
    let cases = [
        ("not-an-email", "ada", PASSWORD, "email"),
        ("ada@example.com", "", PASSWORD, "username"),
        ("ada@example.com", "ada lovelace", PASSWORD, "username"),
        ("ada@example.com", "ada", "short", "password"),
        ("ada@example.com", "ada", long.as_str(), "password"),
        ("ada@example.com", "ada", "abcdefgh\u{0}xyz", "password"),
    ];

    for (email, username, password, field) in cases {
        let response = app
            .gql(SIGN_UP, sign_up_input(email, username, password), None)
            .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
        // Text with a NUL is refused before any field is looked at.
        if !password.contains('\0') {
            assert_eq!(response["errors"][0]["extensions"]["field"], field);
        }
    }
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn sign_in_returns_a_working_token_and_opens_a_session() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let response = app.sign_in(" ADA@example.com", PASSWORD).await;

    let payload = &response["data"]["signIn"];
    assert_eq!(payload["user"]["id"], ada.id.as_str());
    assert_eq!(payload["user"]["username"], "ada");
    assert_eq!(payload["user"]["email"], "ada@example.com");
    let token = payload["token"].as_str().unwrap();
    let me = app
        .ok("{ me { id username } }", json!({}), Some(token))
        .await;
    assert_eq!(me["me"]["username"], "ada");

    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(ada.id.as_str()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 2, "one session from sign-up, one from sign-in");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;

    let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
    let wrong = app.sign_in("ada@example.com", "wrong password").await;

    assert_eq!(error_code(&unknown), Some("UNAUTHENTICATED"));
    assert_eq!(
        unknown["errors"][0]["message"],
        wrong["errors"][0]["message"]
    );
    assert_eq!(
        unknown["errors"][0]["extensions"],
        wrong["errors"][0]["extensions"]
    );
    assert_eq!(unknown["data"], Value::Null);
    assert_eq!(wrong["data"], Value::Null);
}

#[tokio::test]
async fn an_empty_email_matches_nobody() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;

    for email in ["", "   "] {
        let response = app.sign_in(email, PASSWORD).await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    }
}

#[tokio::test]
async fn sign_out_revokes_only_the_token_used() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let second = app.sign_in(&ada.email, PASSWORD).await;
    let second = second["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let data = app
        .ok("mutation { signOut }", json!({}), Some(&ada.token))
        .await;
    assert_eq!(data["signOut"], true);

    let revoked = app.gql("{ me { id } }", json!({}), Some(&ada.token)).await;
    assert_eq!(error_code(&revoked), Some("UNAUTHENTICATED"));
    let again = app
        .gql("mutation { signOut }", json!({}), Some(&ada.token))
        .await;
    assert_eq!(error_code(&again), Some("UNAUTHENTICATED"));
    let other = app.ok("{ me { id } }", json!({}), Some(&second)).await;
    assert_eq!(other["me"]["id"], ada.id.as_str());
}

#[tokio::test]
async fn email_is_visible_to_its_owner_only() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    app.follow(&bob, &ada).await;
    app.post(&ada, instanext_tests::minutes_ago(1), 1).await;

    let data = app
        .ok(
            "{ me { email } followingPosts { edges { node { author { username email } } } } }",
            json!({}),
            Some(&bob.token),
        )
        .await;

    assert_eq!(data["me"]["email"], "bob@example.com");
    let author = &data["followingPosts"]["edges"][0]["node"]["author"];
    assert_eq!(author["username"], "ada");
    assert_eq!(author["email"], Value::Null);
}
