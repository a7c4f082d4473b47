//! Demo data.

use std::collections::HashSet;

use entity::{image, post, user};
use instanext_api::{app, seed};
use instanext_tests::TestApp;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

#[tokio::test]
async fn demo_data_gives_the_demo_account_a_lively_feed_and_tray() {
    let app = TestApp::new().await;

    let summary = app::load_demo_data(&app.db, &app.app.settings, 60)
        .await
        .unwrap();

    assert_eq!(summary.users, 60);
    let response = app.sign_in(seed::DEMO_EMAIL, seed::DEMO_PASSWORD).await;
    let token = response["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = app
        .ok(
            "{ followingPosts(first: 50) { edges { node { author { username } images { url } } } }
               followingStories { user { username } stories { id image { url } } } }",
            json!({}),
            Some(&token),
        )
        .await;

    let authors: HashSet<&str> = data["followingPosts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["author"]["username"].as_str().unwrap())
        .collect();
    assert!(authors.len() >= 10, "{authors:?}");
    let tray = data["followingStories"].as_array().unwrap();
    let with_stories = tray[1..]
        .iter()
        .filter(|entry| !entry["stories"].as_array().unwrap().is_empty())
        .count();
    assert!(
        with_stories >= 10,
        "{with_stories} followed people with live stories"
    );
    for entry in tray {
        for story in entry["stories"].as_array().unwrap() {
            assert!(
                story["image"]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://")
            );
        }
    }
}

#[tokio::test]
async fn every_seeded_account_has_a_picture_a_description_and_the_password_secret() {
    let app = TestApp::new().await;
    app::load_demo_data(&app.db, &app.app.settings, 20)
        .await
        .unwrap();

    let users = user::Entity::find().all(&app.db).await.unwrap();
    let pictures = image::Entity::find()
        .filter(image::Column::Kind.eq(image::ImageKind::User))
        .count(&app.db)
        .await
        .unwrap();

    assert_eq!(users.len(), 20);
    assert_eq!(pictures, 20);
    assert!(users.iter().all(|user| !user.description.is_empty()));
    let someone = users
        .iter()
        .find(|user| user.email != seed::DEMO_EMAIL)
        .unwrap();
    let response = app.sign_in(&someone.email, seed::DEMO_PASSWORD).await;
    assert!(
        response["data"]["signIn"]["token"].is_string(),
        "{response}"
    );
}

#[tokio::test]
async fn seeded_posts_have_one_to_five_pictures_in_order() {
    let app = TestApp::new().await;
    app::load_demo_data(&app.db, &app.app.settings, 20)
        .await
        .unwrap();

    let posts = post::Entity::find().all(&app.db).await.unwrap();
    let pictures = image::Entity::find()
        .filter(image::Column::Kind.eq(image::ImageKind::Post))
        .all(&app.db)
        .await
        .unwrap();

    assert!(!posts.is_empty());
    for post in posts {
        let mut sequences: Vec<i32> = pictures
            .iter()
            .filter(|picture| picture.associated_id == post.id)
            .map(|picture| picture.sequence)
            .collect();
        sequences.sort_unstable();
        assert!((1..=5).contains(&sequences.len()), "{sequences:?}");
        assert_eq!(sequences, (0..sequences.len() as i32).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn seeding_refuses_a_database_that_has_users() {
    let app = TestApp::new().await;
    app.sign_up("ada").await;

    let result = app::load_demo_data(&app.db, &app.app.settings, 20).await;

    assert!(result.is_err());
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
}
