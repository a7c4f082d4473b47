//! A single post with its likers, and creating and deleting posts and stories.

use entity::{image, post, post_like, story};
use instanext_tests::{TestApp, error_code, minutes_ago, node_ids, usernames};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const CREATE_POST: &str = "mutation($input: CreatePostInput!) {
    createPost(input: $input) { id caption author { username postCount } images { url sequence } likeCount viewerHasLiked }
}";

fn pictures(urls: &[(&str, i32)]) -> Value {
    urls.iter()
        .map(|(url, sequence)| json!({ "url": url, "sequence": sequence }))
        .collect()
}

async fn counts(app: &TestApp) -> (u64, u64) {
    let posts = post::Entity::find().count(&app.db).await.unwrap();
    let images = image::Entity::find()
        .filter(image::Column::Kind.eq(image::ImageKind::Post))
        .count(&app.db)
        .await
        .unwrap();
    (posts, images)
}

#[tokio::test]
async fn create_post_stores_the_pictures_in_the_order_of_their_sequence() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let input = json!({ "caption": "  Sunday  ", "images": pictures(&[
        ("https://img.example.com/c.jpg", 30),
        ("https://img.example.com/a.jpg", -5),
        ("https://img.example.com/b.jpg", 7),
    ]) });

    let data = app
        .ok(CREATE_POST, json!({ "input": input }), Some(&ada.token))
        .await;

    let post = &data["createPost"];
    assert_eq!(post["caption"], "Sunday");
    assert_eq!(post["author"]["username"], "ada");
    assert_eq!(post["author"]["postCount"], 1);
    assert_eq!(post["likeCount"], 0);
    assert_eq!(
        post["images"],
        json!([
            { "url": "https://img.example.com/a.jpg", "sequence": 0 },
            { "url": "https://img.example.com/b.jpg", "sequence": 1 },
            { "url": "https://img.example.com/c.jpg", "sequence": 2 },
        ])
    );
    let feed = app
        .ok(
            "{ followingPosts { edges { node { id } } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(
        node_ids(&feed["followingPosts"]),
        [post["id"].as_str().unwrap()]
    );
}

#[tokio::test]
async fn create_post_refuses_bad_input_and_stores_nothing() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let good = "https://img.example.com/a.jpg";
    let eleven: Vec<(&str, i32)> = (0..11).map(|i| (good, i)).collect();
    let cases = [
        json!({ "caption": "none", "images": [] }),
        json!({ "caption": "too many", "images": pictures(&eleven) }),
        json!({ "caption": "relative", "images": pictures(&[("/a.jpg", 0)]) }),
        json!({ "caption": "scheme", "images": pictures(&[("javascript:alert(1)", 0)]) }),
        json!({ "caption": "one bad", "images": pictures(&[(good, 0), ("ftp://x.example/a", 1)]) }),
        json!({ "caption": "same place", "images": pictures(&[(good, 1), (good, 1)]) }),
        json!({ "caption": "x".repeat(2201), "images": pictures(&[(good, 0)]) }),
        json!({ "caption": "credentials", "images": pictures(&[("https://me:pw@img.example.com/a.jpg", 0)]) }),
    ];

    for input in cases {
        let response = app
            .gql(CREATE_POST, json!({ "input": input }), Some(&ada.token))
            .await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{input}: {response}"
        );
    }
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn text_of_every_kind_is_stored_and_returned_exactly() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let captions = [
        "Robert'); DROP TABLE posts;--",
        "<script>alert('x')</script> & <b>bold</b>",
        "emoji 🎉👩‍👩‍👧 and RTL مرحبا and 漢字",
        "line\nbreaks\tand \"quotes\" \\ backslash",
        "%_ wildcards _%",
        "\u{202e}right-to-left override and zero\u{200b}width",
    ];

    for caption in captions {
        let input = json!({ "caption": caption, "images": pictures(&[("https://img.example.com/a.jpg", 0)]) });
        let data = app
            .ok(CREATE_POST, json!({ "input": input }), Some(&ada.token))
            .await;
        let id = data["createPost"]["id"].as_str().unwrap().to_owned();
        let read = app
            .ok(
                "query($id: ID!) { post(id: $id) { caption } }",
                json!({ "id": id }),
                Some(&ada.token),
            )
            .await;
        assert_eq!(read["post"]["caption"], caption);
    }
    assert_eq!(counts(&app).await.0, captions.len() as u64);
}

#[tokio::test]
async fn picture_urls_are_stored_exactly_as_sent() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let urls = [
        "HTTPS://Img.Example.com/a/../b.jpg?q=1#frag",
        "https://пример.рф/фото.jpg",
        "https://img.example.com/%E2%80%B9.jpg",
    ];

    for url in urls {
        let input = json!({ "caption": "", "images": pictures(&[(url, 0)]) });
        let data = app
            .ok(CREATE_POST, json!({ "input": input }), Some(&ada.token))
            .await;
        assert_eq!(data["createPost"]["images"][0]["url"], url);
    }
    let long = format!("https://img.example.com/{}", "‹".repeat(700));
    let input = json!({ "caption": "", "images": pictures(&[(long.as_str(), 0)]) });
    let response = app
        .gql(CREATE_POST, json!({ "input": input }), Some(&ada.token))
        .await;
    assert_eq!(
        error_code(&response),
        Some("BAD_USER_INPUT"),
        "2,048 bytes as sent"
    );
}

#[tokio::test]
async fn a_post_shows_its_likers_most_recent_first() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let cy = app.sign_up("cy").await;
    let post = app.post(&ada, minutes_ago(5), 2).await;
    app.like_via_api(&bob, &post).await;
    app.like_via_api(&cy, &post).await;
    app.like_via_api(&ada, &post).await;
    app.follow(&ada, &cy).await;

    let data = app
        .ok(
            "query($id: ID!) { post(id: $id) { id likeCount viewerHasLiked author { username }
                likedBy(first: 2) { edges { node { username viewerIsFollowing isViewer } } pageInfo { hasNextPage } } } }",
            json!({ "id": post }),
            Some(&ada.token),
        )
        .await;

    let post_data = &data["post"];
    assert_eq!(post_data["likeCount"], 3);
    assert_eq!(post_data["viewerHasLiked"], true);
    let likers = &post_data["likedBy"];
    assert_eq!(usernames(likers), ["ada", "cy"]);
    assert_eq!(likers["edges"][0]["node"]["isViewer"], true);
    assert_eq!(likers["edges"][1]["node"]["viewerIsFollowing"], true);
    assert_eq!(likers["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn an_unknown_post_is_null() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    for id in ["nope", "", "' OR 1=1 --", &"x".repeat(1000)] {
        let response = app
            .gql(
                "query($id: ID!) { post(id: $id) { id } }",
                json!({ "id": id }),
                Some(&ada.token),
            )
            .await;
        assert!(response.get("errors").is_none(), "{response}");
        assert_eq!(response["data"]["post"], Value::Null);
    }
}

#[tokio::test]
async fn only_the_author_deletes_a_post_and_its_pictures_and_likes_go_with_it() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let post = app.post(&ada, minutes_ago(1), 3).await;
    let kept = app.post(&ada, minutes_ago(2), 1).await;
    app.like(&bob, &post).await;
    app.like(&bob, &kept).await;
    let delete = "mutation($id: ID!) { deletePost(id: $id) }";

    let forbidden = app
        .gql(delete, json!({ "id": post }), Some(&bob.token))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let unknown = app
        .gql(delete, json!({ "id": "nope" }), Some(&ada.token))
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    assert_eq!(counts(&app).await, (2, 4));

    let data = app
        .ok(delete, json!({ "id": post }), Some(&ada.token))
        .await;

    assert_eq!(data["deletePost"], true);
    assert_eq!(counts(&app).await, (1, 1));
    let likes = post_like::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(likes.len(), 1);
    assert_eq!(likes[0].post_id, kept);
    let again = app
        .gql(delete, json!({ "id": post }), Some(&ada.token))
        .await;
    assert_eq!(error_code(&again), Some("NOT_FOUND"));
}

#[tokio::test]
async fn concurrent_deletes_of_one_post_report_it_deleted_once() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let post = app.post(&ada, minutes_ago(1), 2).await;
    let delete = "mutation($id: ID!) { deletePost(id: $id) }";

    let answers = futures_util::future::join_all(
        (0..6).map(|_| app.gql(delete, json!({ "id": post }), Some(&ada.token))),
    )
    .await;

    let deleted = answers
        .iter()
        .filter(|answer| answer["data"]["deletePost"] == true)
        .count();
    let codes: Vec<_> = answers.iter().filter_map(error_code).collect();
    assert_eq!(deleted, 1, "{answers:?}");
    assert!(codes.iter().all(|code| *code == "NOT_FOUND"), "{codes:?}");
    assert_eq!(counts(&app).await, (0, 0));
}

#[tokio::test]
async fn a_feed_cursor_stays_valid_after_its_post_is_deleted() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.post(&ada, minutes_ago(i), 1).await);
    }
    let feed = "query($after: String) { followingPosts(first: 2, after: $after) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } }";
    let first = app.ok(feed, json!({}), Some(&ada.token)).await;
    let cursor = first["followingPosts"]["pageInfo"]["endCursor"].clone();

    app.ok(
        "mutation($id: ID!) { deletePost(id: $id) }",
        json!({ "id": ids[1] }),
        Some(&ada.token),
    )
    .await;
    let next = app
        .ok(feed, json!({ "after": cursor }), Some(&ada.token))
        .await;

    assert_eq!(
        node_ids(&next["followingPosts"]),
        [ids[2].clone(), ids[3].clone()]
    );
}

#[tokio::test]
async fn stories_are_created_with_their_picture_and_deleted_by_their_author() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let create = "mutation($input: CreateStoryInput!) { createStory(input: $input) { id caption image { url } author { username } } }";

    let bad = app
        .gql(
            create,
            json!({ "input": { "caption": "x", "imageUrl": "nope" } }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"));
    let data = app
        .ok(
            create,
            json!({ "input": { "caption": "Morning", "imageUrl": "https://img.example.com/s.jpg" } }),
            Some(&ada.token),
        )
        .await;
    let story_id = data["createStory"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        data["createStory"]["image"]["url"],
        "https://img.example.com/s.jpg"
    );
    let tray = app
        .ok(
            "{ followingStories { stories { id } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(
        tray["followingStories"][0]["stories"][0]["id"],
        story_id.as_str()
    );

    let delete = "mutation($id: ID!) { deleteStory(id: $id) }";
    let forbidden = app
        .gql(delete, json!({ "id": story_id }), Some(&bob.token))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    app.ok(delete, json!({ "id": story_id }), Some(&ada.token))
        .await;

    assert_eq!(story::Entity::find().count(&app.db).await.unwrap(), 0);
    let pictures = image::Entity::find()
        .filter(image::Column::Kind.eq(image::ImageKind::Story))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(pictures, 0);
}

#[tokio::test]
async fn a_post_page_with_its_likers_costs_the_same_statements_at_any_size() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let post = app.post(&ada, minutes_ago(1), 3).await;
    for i in 0..55 {
        let fan = app.sign_up(&format!("fan{i}")).await;
        app.like(&fan, &post).await;
        if i % 2 == 0 {
            app.follow(&ada, &fan).await;
        }
    }
    let query = "query($id: ID!, $n: Int) { post(id: $id) {
        id caption likeCount viewerHasLiked images { url } author { username profilePic { url } }
        likedBy(first: $n) { edges { node { username profilePic { url } viewerIsFollowing } } pageInfo { hasNextPage } }
    } }";

    let mut counts = Vec::new();
    for size in [1, 10, 50] {
        let before = app.statements();
        let data = app
            .ok(query, json!({ "id": post, "n": size }), Some(&ada.token))
            .await;
        counts.push(app.statements() - before);
        assert_eq!(
            data["post"]["likedBy"]["edges"].as_array().unwrap().len(),
            size
        );
    }

    assert!(
        counts.windows(2).all(|pair| pair[0] == pair[1]),
        "{counts:?}"
    );
}
