//! User search.

use instanext_tests::{TestApp, error_code, usernames};
use serde_json::json;

const SEARCH: &str = "query($q: String!, $first: Int, $after: String) {
    searchUsers(query: $q, first: $first, after: $after) {
        edges { node { id username } } pageInfo { hasNextPage endCursor }
    }
}";

#[tokio::test]
async fn search_finds_usernames_containing_the_text_prefix_matches_first() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for name in ["Anna", "annabel", "joanna", "hannah", "bob", "x.ann_y"] {
        app.sign_up(name).await;
    }

    let data = app
        .ok(SEARCH, json!({ "q": " ANN " }), Some(&ada.token))
        .await;

    assert_eq!(
        usernames(&data["searchUsers"]),
        ["Anna", "annabel", "hannah", "joanna", "x.ann_y"]
    );
}

#[tokio::test]
async fn search_pages_run_across_prefix_and_other_matches() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for name in ["lea", "leo", "lena", "alex", "bleu", "clea", "kyle", "bob"] {
        app.sign_up(name).await;
    }

    let all = app
        .all_pages(
            SEARCH,
            json!({ "q": "le", "first": 2 }),
            &["searchUsers"],
            &ada.token,
        )
        .await;
    let everything = app.ok(SEARCH, json!({ "q": "le" }), Some(&ada.token)).await;

    assert_eq!(
        usernames(&everything["searchUsers"]),
        ["lea", "lena", "leo", "alex", "bleu", "clea", "kyle"]
    );
    assert_eq!(all, instanext_tests::node_ids(&everything["searchUsers"]));
}

#[tokio::test]
async fn wildcards_in_the_search_text_match_themselves_only() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.sign_up("a_b").await;
    app.sign_up("axb").await;

    let underscore = app.ok(SEARCH, json!({ "q": "a_" }), Some(&ada.token)).await;
    let percent = app.ok(SEARCH, json!({ "q": "%" }), Some(&ada.token)).await;

    assert_eq!(usernames(&underscore["searchUsers"]), ["a_b"]);
    assert_eq!(usernames(&percent["searchUsers"]), Vec::<String>::new());
}

#[tokio::test]
async fn blank_searches_and_tampered_cursors_are_bad_user_input() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let feed_cursor = {
        app.post(&ada, instanext_tests::minutes_ago(1), 1).await;
        let feed = app
            .ok(
                "{ followingPosts { pageInfo { endCursor } } }",
                json!({}),
                Some(&ada.token),
            )
            .await;
        feed["followingPosts"]["pageInfo"]["endCursor"].clone()
    };

    for variables in [
        json!({ "q": "" }),
        json!({ "q": "   " }),
        json!({ "q": "a", "after": "garbage" }),
        json!({ "q": "a", "after": feed_cursor }),
        json!({ "q": "a", "first": -3 }),
    ] {
        let response = app.gql(SEARCH, variables.clone(), Some(&ada.token)).await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{variables}: {response}"
        );
    }
}
