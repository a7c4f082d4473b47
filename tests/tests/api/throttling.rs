//! Attempt limits on sign-in and sign-up, and the equal work of failed
//! sign-ins.

use chrono::Duration;
use entity::{auth_throttle, user};
use instanext_api::clock;
use instanext_tests::{PASSWORD, TestApp, error_code};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait, sea_query::Expr};
use serde_json::{Value, json};

const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }";

async fn sign_in_from(app: &TestApp, address: &str, email: &str, password: &str) -> Value {
    app.gql_with(
        SIGN_IN,
        json!({ "e": email, "p": password }),
        None,
        &[("x-forwarded-for", address)],
    )
    .await
}

fn retry_after(response: &Value) -> u64 {
    response["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap()
}

/// Sends `n` failed sign-ins from `address`, one after another, each for an
/// account that does not exist.
async fn fail_from(app: &TestApp, address: &str, n: usize) {
    for i in 0..n {
        let response = sign_in_from(app, address, &format!("victim{i}@example.com"), "guess").await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"), "{response}");
    }
}

/// Sends `n` wrong guesses for `email` at once, each from its own address;
/// returns the error code of each answer.
async fn concurrent_guesses(app: &TestApp, email: &str, n: usize) -> Vec<Option<String>> {
    let guesses = (0..n).map(|i| {
        let address = app.fresh_address();
        async move { sign_in_from(app, &address, email, &format!("guess {i}")).await }
    });
    futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|answer| error_code(answer).map(str::to_owned))
        .collect()
}

fn count(codes: &[Option<String>], code: &str) -> usize {
    codes.iter().filter(|c| c.as_deref() == Some(code)).count()
}

/// Lets every current block run out, as if its time had passed.
async fn expire_blocks(app: &TestApp) {
    auth_throttle::Entity::update_many()
        .col_expr(
            auth_throttle::Column::BlockedUntil,
            Expr::value(clock::now() - Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn failed_sign_ins_all_do_one_password_check_and_answer_alike() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let broken = app.sign_up("broken").await;
    user::Entity::update(user::ActiveModel {
        id: Set(broken.id.clone()),
        password: Set("not-a-bcrypt-hash".to_owned()),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .unwrap();

    let mut answers = Vec::new();
    for (email, password) in [
        ("nobody@example.com", PASSWORD),
        (ada.email.as_str(), "wrong password"),
        (broken.email.as_str(), PASSWORD),
        ("", PASSWORD),
    ] {
        let before = app.app.passwords.verifications();
        let response = sign_in_from(&app, &app.fresh_address(), email, password).await;
        assert_eq!(app.app.passwords.verifications() - before, 1, "{email}");
        answers.push(response["errors"].clone());
    }

    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    assert_eq!(
        error_code(&json!({ "errors": answers[0] })),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test]
async fn an_account_is_blocked_after_a_few_failures_without_checking_passwords() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..5 {
        let response = sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
    }

    let before = app.app.passwords.verifications();
    let blocked = sign_in_from(&app, &app.fresh_address(), &ada.email, PASSWORD).await;

    assert_eq!(error_code(&blocked), Some("RATE_LIMITED"), "{blocked}");
    assert!((1..=30).contains(&retry_after(&blocked)));
    assert_eq!(
        app.app.passwords.verifications(),
        before,
        "no bcrypt work when blocked"
    );
    let other = app.sign_up("other").await;
    assert!(app.sign_in(&other.email, PASSWORD).await["data"]["signIn"].is_object());
}

#[tokio::test]
async fn blocks_grow_with_each_failure_after_one_ends() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..5 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
    }
    let first = retry_after(&sign_in_from(&app, &app.fresh_address(), &ada.email, "x").await);

    expire_blocks(&app).await;
    sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong again").await;
    let second = retry_after(&sign_in_from(&app, &app.fresh_address(), &ada.email, "x").await);

    assert!(second > first, "{first} then {second}");
    assert!(second <= 60);
}

#[tokio::test]
async fn a_success_forgets_earlier_failures() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..4 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
    }
    assert!(app.sign_in(&ada.email, PASSWORD).await["data"]["signIn"].is_object());

    for _ in 0..4 {
        let response = sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
    }
}

#[tokio::test]
async fn one_address_is_blocked_after_failures_across_accounts() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let attacker = "2001:db8:bad::1";
    fail_from(&app, attacker, 20).await;

    let blocked = sign_in_from(&app, attacker, &ada.email, PASSWORD).await;
    let elsewhere = sign_in_from(&app, "2001:db8:good::1", &ada.email, PASSWORD).await;

    assert_eq!(error_code(&blocked), Some("RATE_LIMITED"));
    assert!(elsewhere["data"]["signIn"].is_object(), "{elsewhere}");
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = TestApp::new().await;
    let address = "2001:db8:feed::1";
    let sign_up = |i: usize| {
        json!({ "input": {
            "email": format!("new{i}@example.com"), "username": format!("new{i}"), "password": PASSWORD
        } })
    };
    let query = "mutation($input: SignUpInput!) { signUp(input: $input) { token } }";
    for i in 0..10 {
        let response = app
            .gql_with(query, sign_up(i), None, &[("x-forwarded-for", address)])
            .await;
        assert!(response.get("errors").is_none(), "{response}");
    }

    let refused = app
        .gql_with(query, sign_up(10), None, &[("x-forwarded-for", address)])
        .await;

    assert_eq!(error_code(&refused), Some("RATE_LIMITED"));
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 10);
}

#[tokio::test]
async fn limits_hold_across_server_instances() {
    let app = TestApp::new().await;
    let other = app.second_instance().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..5 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
    }

    let blocked = sign_in_from(&other, "2001:db8:1::1", &ada.email, PASSWORD).await;

    assert_eq!(error_code(&blocked), Some("RATE_LIMITED"));
}

#[tokio::test]
async fn concurrent_guesses_cannot_slip_past_the_account_limit() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let before = app.app.passwords.verifications();

    let codes = concurrent_guesses(&app, &ada.email, 20).await;

    let checked = count(&codes, "UNAUTHENTICATED");
    let limited = count(&codes, "RATE_LIMITED");
    assert_eq!((checked, limited), (5, 15), "{codes:?}");
    assert_eq!(app.app.passwords.verifications() - before, 5);
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_network() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    // Twenty addresses, one guess each, all in 2001:db8:bad::/64.
    for i in 0..20 {
        let address = format!("2001:db8:bad:0:{:x}::{:x}", i + 1, i * 7 + 3);
        let response =
            sign_in_from(&app, &address, &format!("victim{i}@example.com"), "guess").await;
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
    }

    let same_network = sign_in_from(&app, "2001:db8:bad::ffff", &ada.email, PASSWORD).await;
    let next_network = sign_in_from(&app, "2001:db8:bad:1::1", &ada.email, PASSWORD).await;

    assert_eq!(
        error_code(&same_network),
        Some("RATE_LIMITED"),
        "{same_network}"
    );
    assert!(next_network["data"]["signIn"].is_object(), "{next_network}");
}

#[tokio::test]
async fn a_success_at_an_address_does_not_wipe_out_its_failures() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let address = "198.51.100.7";
    fail_from(&app, address, 19).await;

    let success = sign_in_from(&app, address, &ada.email, PASSWORD).await;
    let guess = sign_in_from(&app, address, "victim@example.com", "guess").await;
    let refused = sign_in_from(&app, address, &ada.email, PASSWORD).await;

    assert!(success["data"]["signIn"].is_object(), "{success}");
    assert_eq!(error_code(&guess), Some("UNAUTHENTICATED"));
    assert_eq!(error_code(&refused), Some("RATE_LIMITED"), "{refused}");
}

#[tokio::test]
async fn when_a_block_ends_the_right_password_signs_in() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..5 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
    }
    let blocked = sign_in_from(&app, &app.fresh_address(), &ada.email, PASSWORD).await;
    assert_eq!(error_code(&blocked), Some("RATE_LIMITED"));

    expire_blocks(&app).await;
    let after = sign_in_from(&app, &app.fresh_address(), &ada.email, PASSWORD).await;

    assert!(after["data"]["signIn"].is_object(), "{after}");
}

#[tokio::test]
async fn when_a_block_ends_one_attempt_is_let_through() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..5 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
    }
    expire_blocks(&app).await;
    let before = app.app.passwords.verifications();

    let codes = concurrent_guesses(&app, &ada.email, 8).await;

    assert_eq!(count(&codes, "UNAUTHENTICATED"), 1, "{codes:?}");
    assert_eq!(app.app.passwords.verifications() - before, 1);
}

#[tokio::test]
async fn after_a_block_at_an_address_ends_each_success_leaves_it_open() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let address = "198.51.100.9";
    // Blocked, then one failure more once the block has ended, so that the
    // next block would be longer than the first.
    fail_from(&app, address, 20).await;
    expire_blocks(&app).await;
    fail_from(&app, address, 1).await;
    expire_blocks(&app).await;

    let first = sign_in_from(&app, address, &ada.email, PASSWORD).await;
    let second = sign_in_from(&app, address, &ada.email, PASSWORD).await;
    let guess = sign_in_from(&app, address, "victim@example.com", "guess").await;
    let refused = sign_in_from(&app, address, &ada.email, PASSWORD).await;

    assert!(first["data"]["signIn"].is_object(), "{first}");
    assert!(second["data"]["signIn"].is_object(), "{second}");
    assert_eq!(error_code(&guess), Some("UNAUTHENTICATED"), "{guess}");
    assert_eq!(error_code(&refused), Some("RATE_LIMITED"), "{refused}");
    assert!(retry_after(&refused) > 60, "{refused}");
}

#[tokio::test]
async fn after_an_account_block_ends_a_confirmed_password_leaves_it_open() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for _ in 0..6 {
        sign_in_from(&app, &app.fresh_address(), &ada.email, "wrong guess").await;
        expire_blocks(&app).await;
    }

    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let changed = app
        .gql_with(
            change,
            json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
            Some(&ada.token),
            &[],
        )
        .await;
    let signed_in = sign_in_from(
        &app,
        &app.fresh_address(),
        &ada.email,
        "a brand new passphrase",
    )
    .await;

    assert!(changed.get("errors").is_none(), "{changed}");
    assert!(signed_in["data"]["signIn"].is_object(), "{signed_in}");
}
