//! Sessions: listing, revoking, renewal within an absolute lifetime, purging,
//! and what tokens carry.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::session;
use instanext_api::{auth::session::purge_expired, clock};
use instanext_tests::{PASSWORD, TestApp, error_code};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const REFRESH: &str = "mutation { refreshSession { token expiresAt } }";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn set_session(app: &TestApp, user_id: &str, change: session::ActiveModel) {
    session::Entity::update_many()
        .set(change)
        .filter(session::Column::UserId.eq(user_id))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn tokens_carry_ids_and_times_only() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let claims = claims(&ada.token);

    let mut keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["aud", "exp", "iat", "iss", "sid", "sub"]);
    assert_eq!(claims["sub"], ada.id.as_str());
    assert!(!claims.to_string().contains("example.com"));
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(claims["sid"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
}

#[tokio::test]
async fn my_sessions_lists_live_sessions_and_marks_the_current_one() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;
    let phone = app
        .gql_with(
            "mutation { signIn(email: \"ada@example.com\", password: \"correct horse battery\") { token } }",
            json!({}),
            None,
            &[("user-agent", "InstaNext/1.0 (iPhone)")],
        )
        .await;
    let phone = phone["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let data = app
        .ok(
            "{ mySessions { id createdAt lastUsedAt expiresAt userAgent current } }",
            json!({}),
            Some(&phone),
        )
        .await;

    let sessions = data["mySessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["userAgent"], "InstaNext/1.0 (iPhone)");
    for session in sessions {
        let id = session["id"].as_str().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(id).unwrap().len(), 32, "256-bit ids");
        assert_ne!(
            id,
            claims(&phone)["sid"].as_str().unwrap(),
            "the id is not the secret"
        );
    }
}

#[tokio::test]
async fn revoking_a_session_ends_it_and_only_ones_own() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let laptop = app.sign_in(&ada.email, PASSWORD).await["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sessions = app
        .ok("{ mySessions { id current } }", json!({}), Some(&ada.token))
        .await;
    let other = sessions["mySessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .clone();
    let revoke = "mutation($id: ID!) { revokeSession(id: $id) }";

    let by_bob = app
        .gql(revoke, json!({ "id": other }), Some(&bob.token))
        .await;
    assert_eq!(error_code(&by_bob), Some("NOT_FOUND"));
    app.ok("{ me { id } }", json!({}), Some(&laptop)).await;

    app.ok(revoke, json!({ "id": other }), Some(&ada.token))
        .await;

    let refused = app.gql("{ me { id } }", json!({}), Some(&laptop)).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"));
    app.ok("{ me { id } }", json!({}), Some(&ada.token)).await;
    let unknown = app
        .gql(revoke, json!({ "id": "nope" }), Some(&ada.token))
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
}

#[tokio::test]
async fn signing_out_of_all_devices_ends_every_session() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let second = app.sign_in(&ada.email, PASSWORD).await["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    app.ok(
        "mutation { signOut(allDevices: true) }",
        json!({}),
        Some(&second),
    )
    .await;

    for token in [&ada.token, &second] {
        let response = app.gql("{ me { id } }", json!({}), Some(token)).await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
    }
    app.ok("{ me { id } }", json!({}), Some(&bob.token)).await;
}

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout_and_the_token_says_so() {
    let app = TestApp::new().await;
    let before = clock::now();
    let ada = app.sign_up("ada").await;

    let exp = claims(&ada.token)["exp"].as_i64().unwrap();
    let idle = Duration::days(7);

    assert!((exp - (before + idle).timestamp()).abs() <= 5, "exp {exp}");
    let stored = session::Entity::find().one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.expires.timestamp(), exp);
    assert_eq!((stored.absolute_expires - stored.created_at).num_days(), 30);
}

#[tokio::test]
async fn refresh_renews_at_most_once_a_day_and_never_past_the_absolute_lifetime() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let first_expiry =
        time(&app.ok(REFRESH, json!({}), Some(&ada.token)).await["refreshSession"]["expiresAt"]);

    // Refreshed within the day: the expiry stays where it is.
    let again = app.ok(REFRESH, json!({}), Some(&ada.token)).await;
    assert_eq!(time(&again["refreshSession"]["expiresAt"]), first_expiry);

    // A day later, the expiry moves forward by the idle timeout.
    let now = clock::now();
    set_session(
        &app,
        &ada.id,
        session::ActiveModel {
            renewed_at: Set(now - Duration::days(2)),
            expires: Set(now + Duration::days(5)),
            ..Default::default()
        },
    )
    .await;
    let renewed = app.ok(REFRESH, json!({}), Some(&ada.token)).await;
    let renewed_expiry = time(&renewed["refreshSession"]["expiresAt"]);
    assert!(
        (renewed_expiry - (now + Duration::days(7)))
            .num_seconds()
            .abs()
            <= 5
    );
    let token = renewed["refreshSession"]["token"].as_str().unwrap();
    assert_eq!(
        claims(token)["exp"].as_i64(),
        Some(renewed_expiry.timestamp())
    );
    app.ok("{ me { id } }", json!({}), Some(token)).await;

    // Near the absolute end, renewal stops there.
    let end = clock::now() + Duration::hours(3);
    set_session(
        &app,
        &ada.id,
        session::ActiveModel {
            renewed_at: Set(now - Duration::days(2)),
            absolute_expires: Set(end),
            ..Default::default()
        },
    )
    .await;
    let capped = app.ok(REFRESH, json!({}), Some(token)).await;
    assert_eq!(time(&capped["refreshSession"]["expiresAt"]), end);
}

#[tokio::test]
async fn expired_sessions_are_purged_and_live_ones_kept() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    set_session(
        &app,
        &bob.id,
        session::ActiveModel {
            expires: Set(clock::now() - Duration::minutes(1)),
            ..Default::default()
        },
    )
    .await;

    let purged = purge_expired(&app.db, clock::now()).await.unwrap();

    assert_eq!(purged, 1);
    let left = session::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_id, ada.id);
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let other = app.sign_in(&ada.email, PASSWORD).await["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    // A wrong current password, a common new one, the same one again.
    for (current, new, field) in [
        ("not it at all", "a brand new passphrase", "currentPassword"),
        (PASSWORD, "password123", "newPassword"),
        (PASSWORD, PASSWORD, "newPassword"),
    ] {
        let refused = app
            .gql(change, json!({ "c": current, "n": new }), Some(&ada.token))
            .await;
        assert_eq!(error_code(&refused), Some("BAD_USER_INPUT"), "{refused}");
        assert_eq!(refused["errors"][0]["extensions"]["field"], field);
    }
    app.ok("{ me { id } }", json!({}), Some(&other)).await;

    app.ok(
        change,
        json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
        Some(&ada.token),
    )
    .await;

    app.ok("{ me { id } }", json!({}), Some(&ada.token)).await;
    let ended = app.gql("{ me { id } }", json!({}), Some(&other)).await;
    assert_eq!(error_code(&ended), Some("UNAUTHENTICATED"));
    assert_eq!(
        error_code(&app.sign_in(&ada.email, PASSWORD).await),
        Some("UNAUTHENTICATED")
    );
    assert!(app.sign_in(&ada.email, "a brand new passphrase").await["data"]["signIn"].is_object());
}

#[tokio::test]
async fn deleting_an_account_removes_everything_it_owns_and_nothing_else() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let ada_post = app.post(&ada, instanext_tests::minutes_ago(1), 3).await;
    let bob_post = app.post(&bob, instanext_tests::minutes_ago(2), 2).await;
    app.story(&ada, Duration::minutes(5)).await;
    app.follow(&ada, &bob).await;
    app.follow(&bob, &ada).await;
    app.like(&bob, &ada_post).await;
    app.like(&ada, &bob_post).await;
    let delete = "mutation($p: String!) { deleteAccount(password: $p) }";

    let wrong = app
        .gql(delete, json!({ "p": "not my password" }), Some(&ada.token))
        .await;
    assert_eq!(error_code(&wrong), Some("BAD_USER_INPUT"));

    app.ok(delete, json!({ "p": PASSWORD }), Some(&ada.token))
        .await;

    let gone = app.gql("{ me { id } }", json!({}), Some(&ada.token)).await;
    assert_eq!(error_code(&gone), Some("UNAUTHENTICATED"));
    let bob_view = app
        .ok(
            "query($id: ID!) { me { followerCount followingCount } post(id: $id) { likeCount images { url } } user(username: \"ada\") { id } }",
            json!({ "id": bob_post }),
            Some(&bob.token),
        )
        .await;
    assert_eq!(
        bob_view["me"],
        json!({ "followerCount": 0, "followingCount": 0 })
    );
    assert_eq!(bob_view["post"]["likeCount"], 0);
    assert_eq!(bob_view["post"]["images"].as_array().unwrap().len(), 2);
    assert_eq!(bob_view["user"], Value::Null);
    use entity::{image, post, post_like, story, user_follower};
    assert_eq!(post::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(story::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(post_like::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        user_follower::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    let sessions = session::Entity::find()
        .filter(session::Column::UserId.eq(ada.id.as_str()))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    // Bob's avatar and his post's two pictures are all that is left.
    assert_eq!(image::Entity::find().count(&app.db).await.unwrap(), 3);
}

#[tokio::test]
async fn expiry_holds_whatever_the_process_time_zone() {
    // CI runs the PostgreSQL pass with TZ=Pacific/Kiritimati (UTC+14), where a
    // comparison in local time would be fourteen hours off.
    let local_offset = chrono::Local::now().offset().local_minus_utc();
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    set_session(
        &app,
        &ada.id,
        session::ActiveModel {
            expires: Set(clock::now() + Duration::minutes(10)),
            ..Default::default()
        },
    )
    .await;
    app.ok("{ me { id } }", json!({}), Some(&ada.token)).await;

    set_session(
        &app,
        &ada.id,
        session::ActiveModel {
            expires: Set(clock::now() - Duration::minutes(10)),
            ..Default::default()
        },
    )
    .await;
    let expired = app.gql("{ me { id } }", json!({}), Some(&ada.token)).await;

    assert_eq!(
        error_code(&expired),
        Some("UNAUTHENTICATED"),
        "local offset {local_offset}s"
    );
}
