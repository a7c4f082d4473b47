//! Profiles: `user`, counts, viewer flags, the grid, followers and following,
//! and `updateProfile`.

use entity::image;
use instanext_tests::{TestApp, error_code, minutes_ago, usernames};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const PROFILE: &str = "query($u: String!) { user(username: $u) {
    id username description profilePic { url }
    postCount followerCount followingCount viewerIsFollowing isViewer email
} }";

async fn profile(app: &TestApp, token: &str, username: &str) -> Value {
    app.ok(PROFILE, json!({ "u": username }), Some(token)).await["user"].clone()
}

#[tokio::test]
async fn a_profile_shows_counts_and_whether_the_viewer_follows() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let cy = app.sign_up("cy").await;
    app.follow(&ada, &bob).await;
    app.follow(&cy, &bob).await;
    app.follow(&bob, &cy).await;
    for i in 0..3 {
        app.post(&bob, minutes_ago(i), 1).await;
    }

    let seen_by_ada = profile(&app, &ada.token, "BOB").await;
    let seen_by_cy = profile(&app, &cy.token, "bob").await;
    let own = profile(&app, &bob.token, "bob").await;

    assert_eq!(seen_by_ada["username"], "bob");
    assert_eq!(seen_by_ada["postCount"], 3);
    assert_eq!(seen_by_ada["followerCount"], 2);
    assert_eq!(seen_by_ada["followingCount"], 1);
    assert_eq!(seen_by_ada["viewerIsFollowing"], true);
    assert_eq!(seen_by_ada["isViewer"], false);
    assert_eq!(seen_by_ada["email"], Value::Null);
    assert_eq!(seen_by_cy["viewerIsFollowing"], true);
    assert_eq!(own["isViewer"], true);
    assert_eq!(own["viewerIsFollowing"], false);
    assert_eq!(own["email"], "bob@example.com");
}

#[tokio::test]
async fn an_unknown_username_is_null_not_an_error() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    for username in ["nobody", "", "   ", "%", "a_%", &"x".repeat(500)] {
        let response = app
            .gql(PROFILE, json!({ "u": username }), Some(&ada.token))
            .await;
        assert!(response.get("errors").is_none(), "{response}");
        assert_eq!(response["data"]["user"], Value::Null);
    }
}

#[tokio::test]
async fn a_user_without_a_picture_has_a_null_profile_pic() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    image::Entity::delete_many()
        .filter(image::Column::AssociatedId.eq(ada.id.as_str()))
        .exec(&app.db)
        .await
        .unwrap();

    let seen = profile(&app, &ada.token, "ada").await;

    assert_eq!(seen["profilePic"], Value::Null);
    assert_eq!(seen["postCount"], 0);
    assert_eq!(seen["followerCount"], 0);
}

#[tokio::test]
async fn the_grid_lists_a_persons_posts_newest_first_in_pages() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let mut expected = Vec::new();
    for i in 0..7 {
        expected.push(app.post(&bob, minutes_ago(10 - i), 2).await);
    }
    app.post(&ada, minutes_ago(0), 1).await;
    expected.reverse();

    let grid = app
        .all_pages(
            "query($after: String) { user(username: \"bob\") { posts(first: 3, after: $after) {
                edges { node { id images { url } } } pageInfo { hasNextPage endCursor }
            } } }",
            json!({}),
            &["user", "posts"],
            &ada.token,
        )
        .await;

    assert_eq!(grid, expected);
}

#[tokio::test]
async fn followers_and_following_list_the_most_recent_follow_first() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let cy = app.sign_up("cy").await;
    let dan = app.sign_up("dan").await;
    for follower in [&bob, &cy, &dan] {
        app.follow_via_api(follower, &ada).await;
    }
    app.follow_via_api(&ada, &cy).await;
    app.follow_via_api(&ada, &dan).await;

    let data = app
        .ok(
            "{ user(username: \"ada\") {
                followers(first: 2) { edges { node { username viewerIsFollowing } } pageInfo { hasNextPage } }
                following { edges { node { username } } pageInfo { hasNextPage } }
            } }",
            json!({}),
            Some(&bob.token),
        )
        .await;

    let followers = &data["user"]["followers"];
    assert_eq!(usernames(followers), ["dan", "cy"]);
    assert_eq!(followers["pageInfo"]["hasNextPage"], true);
    assert_eq!(followers["edges"][0]["node"]["viewerIsFollowing"], false);
    assert_eq!(usernames(&data["user"]["following"]), ["dan", "cy"]);
    assert_eq!(data["user"]["following"]["pageInfo"]["hasNextPage"], false);

    let all = app
        .all_pages(
            "query($after: String) { user(username: \"ada\") { followers(first: 1, after: $after) {
                edges { node { id } } pageInfo { hasNextPage endCursor } } } }",
            json!({}),
            &["user", "followers"],
            &bob.token,
        )
        .await;
    assert_eq!(all, [dan.id.clone(), cy.id.clone(), bob.id.clone()]);
}

#[tokio::test]
async fn update_profile_changes_what_is_given_and_nothing_else() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let update = "mutation($input: UpdateProfileInput!) {
        updateProfile(input: $input) { description profilePic { url } }
    }";

    let data = app
        .ok(
            update,
            json!({ "input": { "description": "Counting engines" } }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(data["updateProfile"]["description"], "Counting engines");
    let avatar = data["updateProfile"]["profilePic"]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    let picture = "https://images.example.com/ada.png";
    let data = app
        .ok(
            update,
            json!({ "input": { "profilePicUrl": picture } }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(data["updateProfile"]["description"], "Counting engines");
    assert_eq!(data["updateProfile"]["profilePic"]["url"], picture);
    assert_ne!(avatar, picture);

    for input in [
        json!({ "profilePicUrl": "javascript:alert(1)" }),
        json!({ "profilePicUrl": "not a url" }),
        json!({ "description": "x".repeat(501) }),
    ] {
        let response = app
            .gql(update, json!({ "input": input }), Some(&ada.token))
            .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    }
    let seen = profile(&app, &ada.token, "ada").await;
    assert_eq!(seen["description"], "Counting engines");
    assert_eq!(seen["profilePic"]["url"], picture);
}

#[tokio::test]
async fn a_profile_page_costs_the_same_statements_at_any_size() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let fans: Vec<_> = futures_accounts(&app, 5).await;
    for i in 0..60 {
        let post = app.post(&bob, minutes_ago(i), 1 + (i as usize) % 3).await;
        app.like(&fans[(i as usize) % fans.len()], &post).await;
    }
    let query = "query($n: Int) { user(username: \"bob\") {
        username profilePic { url } description postCount followerCount followingCount viewerIsFollowing
        posts(first: $n) { edges { node { id images { url } likeCount viewerHasLiked author { username } } } pageInfo { hasNextPage endCursor } }
    } }";

    let mut counts = Vec::new();
    for size in [1, 10, 50] {
        let before = app.statements();
        let data = app.ok(query, json!({ "n": size }), Some(&ada.token)).await;
        counts.push(app.statements() - before);
        assert_eq!(
            data["user"]["posts"]["edges"].as_array().unwrap().len(),
            size
        );
    }

    assert!(
        counts.windows(2).all(|pair| pair[0] == pair[1]),
        "{counts:?}"
    );
}

async fn futures_accounts(app: &TestApp, n: usize) -> Vec<instanext_tests::Account> {
    let mut accounts = Vec::new();
    for i in 0..n {
        accounts.push(app.sign_up(&format!("fan{i}")).await);
    }
    accounts
}
