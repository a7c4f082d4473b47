//! The story tray.

use chrono::Duration;
use instanext_tests::TestApp;
use serde_json::{Value, json};

const TRAY: &str = "{ followingStories { user { username } stories { id caption createdAt author { username } image { url } } } }";

fn usernames(tray: &Value) -> Vec<&str> {
    tray.as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["user"]["username"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_tray_has_the_viewer_first_then_followed_people_with_live_stories() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    let cy = app.sign_up("cy").await;
    let dan = app.sign_up("dan").await;
    let eve = app.sign_up("eve").await;
    for followed in [&bob, &cy, &dan] {
        app.follow(&ada, followed).await;
    }
    let bob_old = app.story(&bob, Duration::hours(5)).await;
    let bob_new = app.story(&bob, Duration::hours(1)).await;
    let cy_story = app.story(&cy, Duration::minutes(10)).await;
    app.story(&dan, Duration::hours(25)).await; // expired
    app.story(&eve, Duration::minutes(1)).await; // not followed

    let data = app.ok(TRAY, json!({}), Some(&ada.token)).await;
    let tray = &data["followingStories"];

    // Cy posted most recently, so comes before Bob; Dan's story expired.
    assert_eq!(usernames(tray), ["ada", "cy", "bob"]);
    assert_eq!(tray[0]["stories"], json!([]));
    assert_eq!(tray[1]["stories"][0]["id"], cy_story.as_str());
    let bob_stories: Vec<&str> = tray[2]["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|story| story["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        bob_stories,
        [bob_old.as_str(), bob_new.as_str()],
        "oldest first"
    );
    let story = &tray[2]["stories"][0];
    assert_eq!(story["author"]["username"], "bob");
    assert!(
        story["image"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
}

#[tokio::test]
async fn the_viewers_own_live_stories_come_first() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let mine = app.story(&ada, Duration::minutes(3)).await;
    app.story(&ada, Duration::hours(30)).await; // expired

    let data = app.ok(TRAY, json!({}), Some(&ada.token)).await;

    let tray = &data["followingStories"];
    assert_eq!(usernames(tray), ["ada"]);
    assert_eq!(tray[0]["stories"].as_array().unwrap().len(), 1);
    assert_eq!(tray[0]["stories"][0]["id"], mine.as_str());
}

#[tokio::test]
async fn the_story_lifetime_is_configurable() {
    let mut settings = instanext_tests::settings();
    settings.story_lifetime = std::time::Duration::from_secs(3600);
    let app = TestApp::with_settings(settings).await;
    let ada = app.sign_up("ada").await;
    let fresh = app.story(&ada, Duration::minutes(30)).await;
    app.story(&ada, Duration::minutes(90)).await;

    let data = app.ok(TRAY, json!({}), Some(&ada.token)).await;

    let stories = &data["followingStories"][0]["stories"];
    assert_eq!(stories.as_array().unwrap().len(), 1);
    assert_eq!(stories[0]["id"], fresh.as_str());
}

#[tokio::test]
async fn the_tray_costs_the_same_statements_however_many_people_post() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let mut counts = Vec::new();
    for round in 0..3 {
        for i in 0..5 {
            let friend = app.sign_up(&format!("friend{round}_{i}")).await;
            app.follow(&ada, &friend).await;
            app.story(&friend, Duration::minutes(i + 1)).await;
        }
        let before = app.statements();
        let data = app.ok(TRAY, json!({}), Some(&ada.token)).await;
        counts.push(app.statements() - before);
        assert_eq!(
            data["followingStories"].as_array().unwrap().len(),
            1 + 5 * (round + 1)
        );
    }

    assert!(
        counts.windows(2).all(|pair| pair[0] == pair[1]),
        "{counts:?}"
    );
}
