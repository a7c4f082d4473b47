//! Two server processes on one database, as behind a load balancer: a token
//! from one works on the other, signing out on one is honoured by the other
//! at once, and attempt limits count the attempts made on both.

use instanext_tests::{PASSWORD, TestDatabase, error_code};
use serde_json::json;

use crate::process::ServerProcess;

const ME: &str = "{ me { username } }";
const SIGN_IN: &str = "mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_share_sessions_and_attempt_limits() {
    let database = TestDatabase::new().await;
    let url = database.url_for(&database.url);
    // On PostgreSQL, started together on an empty database: they take turns
    // to migrate it. A SQLite file is migrated by the first one alone.
    let (one, two) = if database.is_postgres() {
        tokio::join!(ServerProcess::start(&url), ServerProcess::start(&url))
    } else {
        let one = ServerProcess::start(&url).await;
        (one, ServerProcess::start(&url).await)
    };
    assert_ne!(one.address, two.address);

    let token = one.sign_up("alice", "2001:db8::1").await;
    let on_two = two.gql(ME, json!({}), Some(&token)).await;
    let posted = two
        .gql(
            "mutation { createPost(input: { caption: \"hello\", images: [{ url: \"https://cdn.example.com/a.jpg\", sequence: 0 }] }) { id } }",
            json!({}),
            Some(&token),
        )
        .await;
    let post_id = posted["data"]["createPost"]["id"].as_str().unwrap();
    let read_on_one = one
        .gql(
            "query($id: ID!) { post(id: $id) { caption } }",
            json!({ "id": post_id }),
            Some(&token),
        )
        .await;

    assert_eq!(on_two["data"]["me"]["username"], "alice", "{on_two}");
    assert_eq!(read_on_one["data"]["post"]["caption"], "hello");

    let signed_out = two
        .gql("mutation { signOut }", json!({}), Some(&token))
        .await;
    let after_on_one = one.gql(ME, json!({}), Some(&token)).await;

    assert_eq!(signed_out["data"]["signOut"], true, "{signed_out}");
    assert_eq!(error_code(&after_on_one), Some("UNAUTHENTICATED"));

    // Five failures for the account, spread over both instances and several
    // addresses, block it on both: the right password is refused too.
    let wrong = json!({ "email": "alice@example.com", "password": "not the password" });
    for attempt in 0..5 {
        let server = if attempt % 2 == 0 { &one } else { &two };
        let from = format!("2001:db8::1:{attempt}");
        let (_, answer) = server
            .try_gql(SIGN_IN, wrong.clone(), None, &from)
            .await
            .unwrap();
        assert_eq!(error_code(&answer), Some("UNAUTHENTICATED"), "{answer}");
    }
    let right = json!({ "email": "alice@example.com", "password": PASSWORD });
    let (_, on_one) = one
        .try_gql(SIGN_IN, right.clone(), None, "2001:db8::2:1")
        .await
        .unwrap();
    let (_, on_two) = two
        .try_gql(SIGN_IN, right, None, "2001:db8::2:2")
        .await
        .unwrap();

    assert_eq!(error_code(&on_one), Some("RATE_LIMITED"), "{on_one}");
    assert_eq!(error_code(&on_two), Some("RATE_LIMITED"), "{on_two}");
}
