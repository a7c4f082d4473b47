//! Cookie mode for browser apps, with its CSRF protection.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use instanext_tests::{PASSWORD, TestApp, error_code};
use serde_json::{Value, json};
use tower::ServiceExt;

const ALLOWED: &str = "https://app.example.com";

/// Signs in with `cookie: true`; returns the body and the `Set-Cookie` values.
async fn sign_in_with_cookie(app: &TestApp, email: &str) -> (String, Vec<String>) {
    let body = json!({
        "query": "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p, cookie: true) { token } }",
        "variables": { "e": email, "p": PASSWORD },
    });
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), cookies)
}

async fn with_cookie(
    app: &TestApp,
    cookie: &str,
    origin: Option<&str>,
    content_type: &str,
) -> (StatusCode, Value) {
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::COOKIE, cookie);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let request = request
        .body(Body::from(
            json!({ "query": "{ me { username } }" }).to_string(),
        ))
        .unwrap();
    let (status, body) = app.send(request).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn sign_in_can_set_an_http_only_same_site_cookie() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let (_, cookies) = sign_in_with_cookie(&app, &ada.email).await;

    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("instanext_session=ey"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(cookie.contains("Max-Age="), "{cookie}");
    // The tests' server listens on 127.0.0.1, where browsers refuse Secure.
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn the_cookie_is_secure_off_localhost() {
    let mut settings = instanext_tests::settings();
    settings.bind_addr = "0.0.0.0:8000".parse().unwrap();
    let app = TestApp::with_settings(settings).await;
    let ada = app.sign_up("ada").await;

    let (_, cookies) = sign_in_with_cookie(&app, &ada.email).await;

    assert!(cookies[0].contains("; Secure"), "{cookies:?}");
}

#[tokio::test]
async fn a_cookie_authenticates_only_json_posts_from_allowed_origins() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let (_, cookies) = sign_in_with_cookie(&app, &ada.email).await;
    let cookie = cookies[0].split(';').next().unwrap().to_owned();

    let (status, allowed) = with_cookie(&app, &cookie, Some(ALLOWED), "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(allowed["data"]["me"]["username"], "ada");

    for origin in [None, Some("https://evil.example.net"), Some("null")] {
        let (_, refused) = with_cookie(&app, &cookie, origin, "application/json").await;
        assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{origin:?}");
    }
    let (status, form) = with_cookie(&app, &cookie, Some(ALLOWED), "text/plain").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&form), Some("BAD_REQUEST"));

    // Any page can make a browser send a GET with its cookies.
    let get = Request::get("/graphql?query=%7B%20me%20%7B%20username%20%7D%20%7D")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, ALLOWED)
        .body(Body::empty())
        .unwrap();
    let (_, body) = app.send(get).await;
    let refused: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"), "{refused}");
}

#[tokio::test]
async fn signing_out_clears_the_cookie_and_ends_its_session() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let (body, cookies) = sign_in_with_cookie(&app, &ada.email).await;
    let token = serde_json::from_str::<Value>(&body).unwrap()["data"]["signIn"]["token"].clone();
    assert_eq!(
        token, "",
        "in cookie mode the token stays out of page scripts' reach"
    );
    let cookie = cookies[0].split(';').next().unwrap().to_owned();

    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, ALLOWED)
        .body(Body::from(
            json!({ "query": "mutation { signOut }" }).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let cleared = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cleared.starts_with("instanext_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    let (_, after) = with_cookie(&app, &cookie, Some(ALLOWED), "application/json").await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn refreshing_a_cookie_session_renews_the_cookie() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let (_, cookies) = sign_in_with_cookie(&app, &ada.email).await;
    let cookie = cookies[0].split(';').next().unwrap().to_owned();
    // A day has passed since the session was last renewed.
    {
        use entity::session;
        use sea_orm::{ActiveValue::Set, EntityTrait};
        session::Entity::update_many()
            .set(session::ActiveModel {
                renewed_at: Set(instanext_api::clock::now() - chrono::Duration::days(2)),
                ..Default::default()
            })
            .exec(&app.db)
            .await
            .unwrap();
    }

    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &cookie)
        .header(header::ORIGIN, ALLOWED)
        .body(Body::from(
            json!({ "query": "mutation { refreshSession { token expiresAt } }" }).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();

    let renewed = response
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        renewed.starts_with("instanext_session=ey") && renewed.contains("HttpOnly"),
        "{renewed}"
    );
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["data"]["refreshSession"]["token"], "");
    let fresh = renewed.split(';').next().unwrap();
    let (_, me) = with_cookie(&app, fresh, Some(ALLOWED), "application/json").await;
    assert_eq!(me["data"]["me"]["username"], "ada");
}
