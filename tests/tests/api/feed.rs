//! The home feed: who is in it, its order, its pages and its cost.

use instanext_tests::{Account, TestApp, error_code, minutes_ago};
use serde_json::{Value, json};

const FEED: &str = "query($first: Int, $after: String) {
    followingPosts(first: $first, after: $after) {
        edges { cursor node {
            id caption createdAt
            author { id username profilePic { url } }
            images { url sequence }
            likeCount viewerHasLiked
        } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}";

async fn feed(app: &TestApp, viewer: &Account, first: Option<i64>, after: Option<&str>) -> Value {
    let data = app
        .ok(
            FEED,
            json!({ "first": first, "after": after }),
            Some(&viewer.token),
        )
        .await;
    data["followingPosts"].clone()
}

fn ids(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_feed_holds_own_and_followed_posts_newest_first() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    app.follow(&ada, &bob).await;
    let old_own = app.post(&ada, minutes_ago(30), 1).await;
    let new_followed = app.post(&bob, minutes_ago(5), 1).await;
    let old_followed = app.post(&bob, minutes_ago(60), 1).await;
    app.post(&eve, minutes_ago(1), 1).await;

    let page = feed(&app, &ada, None, None).await;

    assert_eq!(ids(&page), [new_followed, old_own, old_followed]);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
}

#[tokio::test]
async fn an_empty_feed_is_an_empty_page() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;

    let page = feed(&app, &ada, None, None).await;

    assert_eq!(page["edges"], json!([]));
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    assert_eq!(page["pageInfo"]["endCursor"], Value::Null);
}

#[tokio::test]
async fn pages_cover_the_feed_once_each_with_ties_broken_by_id() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    app.follow(&ada, &bob).await;
    let same_time = minutes_ago(10);
    let mut expected = Vec::new();
    for i in 0..23 {
        // Every third post shares one timestamp, so order among them rests on ids.
        let at = if i % 3 == 0 {
            same_time
        } else {
            minutes_ago(i)
        };
        let author = if i % 2 == 0 { &ada } else { &bob };
        expected.push((at, app.post(author, at, 1).await));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = feed(&app, &ada, Some(5), after.as_deref()).await;
        pages += 1;
        seen.extend(ids(&page));
        let info = &page["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        assert_eq!(page["edges"].as_array().unwrap().len(), 5);
        after = Some(info["endCursor"].as_str().unwrap().to_owned());
    }

    assert_eq!(pages, 5);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn pages_merge_many_authors_of_uneven_activity_in_order() {
    let app = TestApp::new().await;
    let viewer = app.sign_up("viewer").await;
    let stranger = app.sign_up("stranger").await;
    let mut authors = vec![viewer.clone()];
    for name in ["busy", "quiet", "silent", "steady", "late"] {
        let author = app.sign_up(name).await;
        app.follow(&viewer, &author).await;
        authors.push(author);
    }
    // One author writes most posts, one writes a single post, one none; many
    // posts share a time across authors, so that only ids order them.
    let counts = [3, 17, 1, 0, 6, 4];
    let shared = minutes_ago(42);
    let mut expected = Vec::new();
    for (author, &count) in authors.iter().zip(&counts) {
        for i in 0..count {
            let at = if i % 4 == 1 {
                shared
            } else {
                minutes_ago((i * 7 + author.username.len() as i64) % 90)
            };
            expected.push((at, app.post(author, at, 1).await));
        }
    }
    for i in 0..5 {
        app.post(&stranger, minutes_ago(i * 11), 1).await;
    }
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    for size in [1, 4, 7, 50] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = feed(&app, &viewer, Some(size), after.as_deref()).await;
            seen.extend(ids(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, expected, "pages of {size}");
    }
}

#[tokio::test]
async fn page_size_is_capped_at_fifty() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    for i in 0..55 {
        app.post(&ada, minutes_ago(i), 0).await;
    }

    let page = feed(&app, &ada, Some(1000), None).await;

    assert_eq!(page["edges"].as_array().unwrap().len(), 50);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn bad_page_arguments_are_bad_user_input() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.post(&ada, minutes_ago(1), 1).await;
    let good = feed(&app, &ada, Some(1), None).await;
    let cursor = good["pageInfo"]["endCursor"].as_str().unwrap();
    let tampered = format!("{}x", &cursor[..cursor.len() - 1]);

    let followers_cursor = {
        let bob = app.sign_up("bob").await;
        app.follow(&bob, &ada).await;
        let data = app
            .ok(
                "{ me { followers(first: 1) { pageInfo { endCursor } } } }",
                json!({}),
                Some(&ada.token),
            )
            .await;
        data["me"]["followers"]["pageInfo"]["endCursor"].clone()
    };

    for (first, after) in [
        (json!(5), followers_cursor),
        (json!(-1), json!(null)),
        (json!(5), json!("not a cursor")),
        (json!(5), json!(tampered)),
        (json!(5), json!("")),
    ] {
        let response = app
            .gql(
                FEED,
                json!({ "first": first, "after": after }),
                Some(&ada.token),
            )
            .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
    }
}

#[tokio::test]
async fn posts_show_their_author_pictures_in_order_and_likes() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let eve = app.sign_up("eve").await;
    app.follow(&ada, &bob).await;
    let liked = app.post(&bob, minutes_ago(1), 3).await;
    let unliked = app.post(&bob, minutes_ago(2), 1).await;
    app.like(&ada, &liked).await;
    app.like(&eve, &liked).await;
    app.like(&eve, &unliked).await;

    let page = feed(&app, &ada, None, None).await;

    let first = &page["edges"][0]["node"];
    assert_eq!(first["id"], liked.as_str());
    assert_eq!(first["author"]["username"], "bob");
    assert!(first["author"]["profilePic"]["url"].is_string());
    let sequences: Vec<i64> = first["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, [0, 1, 2]);
    assert_eq!(first["likeCount"], 2);
    assert_eq!(first["viewerHasLiked"], true);
    let second = &page["edges"][1]["node"];
    assert_eq!(second["likeCount"], 1);
    assert_eq!(second["viewerHasLiked"], false);
}

#[tokio::test]
async fn a_feed_page_costs_the_same_statements_at_any_size() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let mut authors = Vec::new();
    for i in 0..12 {
        let author = app.sign_up(&format!("author{i}")).await;
        app.follow(&ada, &author).await;
        authors.push(author);
    }
    for i in 0..60 {
        let author = &authors[i % authors.len()];
        let post = app.post(author, minutes_ago(i as i64), 1 + i % 4).await;
        app.like(&authors[(i + 1) % authors.len()], &post).await;
    }

    let mut counts = Vec::new();
    for size in [1, 10, 50] {
        let before = app.statements();
        let page = feed(&app, &ada, Some(size), None).await;
        counts.push(app.statements() - before);
        assert_eq!(page["edges"].as_array().unwrap().len(), size as usize);
    }

    assert_eq!(counts[0], counts[1], "statements per page: {counts:?}");
    assert_eq!(counts[1], counts[2], "statements per page: {counts:?}");
    // Session, page, authors, pictures of posts and of authors, counts, flags.
    assert!(counts[0] <= 7, "statements per page: {counts:?}");
}
