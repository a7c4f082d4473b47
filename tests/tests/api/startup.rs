//! Start-up: the embedded default, demo data, and the JWT secret.

use instanext_api::{app, config::Settings, http};
use instanext_tests::{TestDatabase, settings};
use sea_orm::{EntityTrait, PaginatorTrait};

fn embedded(dir: &tempfile::TempDir) -> Settings {
    Settings {
        data_dir: dir.path().join("data"),
        jwt_secret: None,
        ..settings()
    }
}

#[tokio::test]
async fn the_embedded_database_is_seeded_once_and_keeps_its_secret() {
    let dir = tempfile::tempdir().unwrap();

    let first = app::prepare(embedded(&dir)).await.unwrap();
    assert!(
        first.seeded.is_some(),
        "a new embedded database gets demo data"
    );
    let secret_file = dir.path().join("data").join("jwt-secret");
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(secret.trim().len() >= 32);

    // A token issued before a restart still works after it.
    let token = {
        let (app, schema) = (first.app.clone(), first.schema.clone());
        let _router = http::router(app, schema.clone());
        let response = schema
            .execute(instanext_api::request::prepare(
                async_graphql::Request::new(
                    "mutation { signIn(email: \"demo@example.com\", password: \"secret\") { token } }",
                ),
                &first.app,
                instanext_api::auth::RequestAuth::anonymous(),
                Default::default(),
            ))
            .await;
        let data = response.data.into_json().unwrap();
        data["signIn"]["token"].as_str().unwrap().to_owned()
    };
    first.app.db.clone().close().await.unwrap();

    let second = app::prepare(embedded(&dir)).await.unwrap();
    assert!(
        second.seeded.is_none(),
        "an existing database is left as it is"
    );
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), secret);
    let response = second
        .schema
        .execute(instanext_api::request::prepare(
            async_graphql::Request::new("{ me { username } }"),
            &second.app,
            instanext_api::auth::RequestAuth::bearer(token),
            Default::default(),
        ))
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    assert_eq!(response.data.into_json().unwrap()["me"]["username"], "demo");
}

#[tokio::test]
async fn a_database_named_explicitly_never_gets_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("named.db").display()
    );
    let settings = Settings {
        database_url: Some(url),
        ..settings()
    };

    let prepared = app::prepare(settings).await.unwrap();

    assert!(prepared.seeded.is_none());
    let users = entity::user::Entity::find()
        .count(&prepared.app.db)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn a_named_database_needs_a_long_enough_secret() {
    let database = TestDatabase::new().await;
    for secret in [None, Some("too-short".to_owned())] {
        let settings = Settings {
            database_url: Some(database.url.clone()),
            jwt_secret: secret,
            ..settings()
        };

        let error = app::prepare(settings).await.err().unwrap();

        assert!(error.to_string().contains("JWT_SECRET"), "{error}");
    }
}
