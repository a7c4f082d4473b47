//! Likes and follows: idempotent, coded errors, fresh answers, and correct
//! under concurrency.

use std::sync::Arc;

use entity::{post_like, user, user_follower};
use instanext_tests::{PASSWORD, TestApp, error_code, minutes_ago};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

const UNLIKE: &str = "mutation($p: ID!) { unlikePost(postId: $p) { id likeCount viewerHasLiked } }";
const UNFOLLOW: &str =
    "mutation($u: String!) { unfollowUser(username: $u) { id followerCount viewerIsFollowing } }";

#[tokio::test]
async fn liking_is_idempotent_and_answers_with_fresh_counts() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let post = app.post(&bob, minutes_ago(1), 1).await;

    let first = app.like_via_api(&ada, &post).await;
    let second = app.like_via_api(&ada, &post).await;

    for response in [&first, &second] {
        assert_eq!(response["data"]["likePost"]["likeCount"], 1, "{response}");
        assert_eq!(response["data"]["likePost"]["viewerHasLiked"], true);
    }
    let unliked = app
        .gql(UNLIKE, json!({ "p": post }), Some(&ada.token))
        .await;
    assert_eq!(unliked["data"]["unlikePost"]["likeCount"], 0);
    assert_eq!(unliked["data"]["unlikePost"]["viewerHasLiked"], false);
    let never = app
        .gql(UNLIKE, json!({ "p": post }), Some(&bob.token))
        .await;
    assert!(never.get("errors").is_none(), "{never}");
    assert_eq!(post_like::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn one_operation_that_likes_then_unlikes_sees_each_change() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let post = app.post(&ada, minutes_ago(1), 1).await;

    let data = app
        .ok(
            "mutation($p: ID!) {
                a: likePost(postId: $p) { likeCount viewerHasLiked }
                b: unlikePost(postId: $p) { likeCount viewerHasLiked }
                c: likePost(postId: $p) { likeCount viewerHasLiked }
            }",
            json!({ "p": post }),
            Some(&ada.token),
        )
        .await;

    assert_eq!(data["a"], json!({ "likeCount": 1, "viewerHasLiked": true }));
    assert_eq!(
        data["b"],
        json!({ "likeCount": 0, "viewerHasLiked": false })
    );
    assert_eq!(data["c"], json!({ "likeCount": 1, "viewerHasLiked": true }));
}

#[tokio::test]
async fn liking_an_unknown_post_is_not_found() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let like = app.like_via_api(&ada, "no-such-post").await;
    let unlike = app
        .gql(UNLIKE, json!({ "p": "no-such-post" }), Some(&ada.token))
        .await;

    assert_eq!(error_code(&like), Some("NOT_FOUND"));
    assert_eq!(error_code(&unlike), Some("NOT_FOUND"));
}

#[tokio::test]
async fn following_is_idempotent_and_answers_with_fresh_counts() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;

    let first = app.follow_via_api(&ada, &bob).await;
    let second = app.follow_via_api(&ada, &bob).await;

    for response in [&first, &second] {
        assert_eq!(
            response["data"]["followUser"]["followerCount"], 1,
            "{response}"
        );
        assert_eq!(response["data"]["followUser"]["viewerIsFollowing"], true);
    }
    let unfollowed = app
        .gql(UNFOLLOW, json!({ "u": "BOB" }), Some(&ada.token))
        .await;
    assert_eq!(unfollowed["data"]["unfollowUser"]["followerCount"], 0);
    assert_eq!(
        unfollowed["data"]["unfollowUser"]["viewerIsFollowing"],
        false
    );
    let never = app
        .gql(UNFOLLOW, json!({ "u": "ada" }), Some(&bob.token))
        .await;
    assert!(never.get("errors").is_none(), "{never}");
}

#[tokio::test]
async fn following_yourself_or_nobody_is_refused() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let own = app.follow_via_api(&ada, &ada).await;
    let nobody = app
        .gql(
            "mutation { followUser(username: \"nobody\") { id } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    let unfollow_nobody = app
        .gql(UNFOLLOW, json!({ "u": "nobody" }), Some(&ada.token))
        .await;

    assert_eq!(error_code(&own), Some("BAD_USER_INPUT"));
    assert_eq!(error_code(&nobody), Some("NOT_FOUND"));
    assert_eq!(error_code(&unfollow_nobody), Some("NOT_FOUND"));
    assert_eq!(
        user_follower::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_likes_leave_one_like() {
    let app = Arc::new(TestApp::new().await);
    let ada = app.sign_up("ada").await;
    let post = app.post(&ada, minutes_ago(1), 1).await;

    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, ada, post) = (app.clone(), ada.clone(), post.clone());
        tasks.push(tokio::spawn(
            async move { app.like_via_api(&ada, &post).await },
        ));
    }
    for task in tasks {
        let response = task.await.unwrap();
        assert!(response.get("errors").is_none(), "{response}");
    }

    assert_eq!(post_like::Entity::find().count(&app.db).await.unwrap(), 1);
    let data = app
        .ok(
            "query($id: ID!) { post(id: $id) { likeCount } }",
            json!({ "id": post }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(data["post"]["likeCount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_follows_leave_one_follow() {
    let app = Arc::new(TestApp::new().await);
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;

    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, ada, bob) = (app.clone(), ada.clone(), bob.clone());
        tasks.push(tokio::spawn(
            async move { app.follow_via_api(&ada, &bob).await },
        ));
    }
    for task in tasks {
        let response = task.await.unwrap();
        assert!(response.get("errors").is_none(), "{response}");
    }

    assert_eq!(
        user_follower::Entity::find().count(&app.db).await.unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_sign_ups_with_one_email_make_one_account() {
    let app = Arc::new(TestApp::new().await);
    let sign_up = |username: &'static str| {
        let app = app.clone();
        tokio::spawn(async move {
            app.gql(
                "mutation($input: SignUpInput!) { signUp(input: $input) { token } }",
                json!({ "input": {
                    "email": "same@example.com", "username": username, "password": PASSWORD
                } }),
                None,
            )
            .await
        })
    };

    let (first, second) = (sign_up("first"), sign_up("second"));
    let responses = [first.await.unwrap(), second.await.unwrap()];

    let codes: Vec<Option<&str>> = responses.iter().map(error_code).collect();
    assert!(codes.contains(&None), "{responses:?}");
    assert!(codes.contains(&Some("CONFLICT")), "{responses:?}");
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
}
