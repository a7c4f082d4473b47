//! The committed SDL, its documentation, and what the types leave out.

use instanext_tests::{PASSWORD, TestApp};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
    let generated = instanext_api::schema::sdl();
    assert!(
        committed == generated,
        "schema.graphql is out of date; regenerate it with \
         `cargo run -p instanext-api -- export-schema --output schema.graphql`"
    );
}

const INTROSPECTION: &str = "{ __schema { types {
    name kind description
    fields { name description args { name description } }
    inputFields { name description }
} } }";

#[tokio::test]
async fn every_type_field_and_argument_is_documented() {
    let app = TestApp::new().await;
    let data = app.ok(INTROSPECTION, json!({}), None).await;
    let built_in = ["String", "Int", "Float", "Boolean", "ID"];

    let mut undocumented = Vec::new();
    let described = |value: &Value| value["description"].as_str().is_some_and(|d| !d.is_empty());
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || built_in.contains(&name) {
            continue;
        }
        if !described(ty) {
            undocumented.push(name.to_owned());
        }
        let fields = ty["fields"].as_array().into_iter().flatten();
        for field in fields.chain(ty["inputFields"].as_array().into_iter().flatten()) {
            let field_name = format!("{name}.{}", field["name"].as_str().unwrap());
            if !described(field) {
                undocumented.push(field_name.clone());
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    undocumented.push(format!("{field_name}({})", arg["name"].as_str().unwrap()));
                }
            }
        }
    }

    assert!(undocumented.is_empty(), "undocumented: {undocumented:?}");
}

#[tokio::test]
async fn no_response_carries_a_password_hash() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.post(&ada, instanext_tests::minutes_ago(1), 1).await;
    let hash = entity::user::Entity::find_by_id(ada.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .password;

    let sign_in = app.sign_in(&ada.email, PASSWORD).await;
    let feed = app
        .gql(
            "{ me { id username email description createdAt }
               followingPosts { edges { node { author { id username email } } } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    let user_type = app
        .ok(
            r#"{ __type(name: "User") { fields { name } } }"#,
            json!({}),
            None,
        )
        .await;

    for response in [&sign_in, &feed] {
        let text = response.to_string();
        assert!(!text.contains(&hash), "{text}");
        assert!(!text.contains("$2b$") && !text.contains("$2y$"), "{text}");
    }
    let fields = user_type["__type"]["fields"].to_string().to_lowercase();
    assert!(
        !fields.contains("password") && !fields.contains("hash"),
        "{fields}"
    );
}
