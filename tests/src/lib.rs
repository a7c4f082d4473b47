//! The test harness: a real InstaNext server on a fresh database per test.
//!
//! `TestApp::new()` migrates a new database and builds the real schema and
//! router over it. The database is a new SQLite file by default, configured as
//! the server configures its own; with `TEST_DATABASE_URL` set to a PostgreSQL
//! database, each test gets a schema of its own in that database instead.
//! Requests go through the HTTP router, headers and all, as a client's would.

#![allow(clippy::unwrap_used)]

use std::{
    collections::BTreeMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::atomic::{AtomicUsize, Ordering},
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, Duration, Utc};
use entity::{auth_throttle, image, post, post_like, session, story, user, user_follower};
use http_body_util::BodyExt;
use instanext_api::{
    app, clock, config::Settings, context::SharedContext, db, http, schema::AppSchema,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder, Statement,
};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The secret tokens are signed with in tests.
pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
/// The password of accounts made by `sign_up`.
pub const PASSWORD: &str = "correct horse battery";

/// Settings as the tests run the server: a cheap bcrypt cost.
pub fn settings() -> Settings {
    Settings {
        database_url: None,
        data_dir: "data".into(),
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: Some(SECRET.to_owned()),
        bcrypt_cost: 4,
        bcrypt_concurrency: None,
        session_lifetime: std::time::Duration::from_secs(30 * 24 * 3600),
        session_idle_timeout: std::time::Duration::from_secs(7 * 24 * 3600),
        story_lifetime: std::time::Duration::from_secs(24 * 3600),
        db_max_connections: 5,
        db_acquire_timeout: std::time::Duration::from_secs(5),
        max_body_bytes: 262_144,
        request_timeout: std::time::Duration::from_secs(30),
        shutdown_timeout: std::time::Duration::from_secs(10),
        max_depth: 16,
        max_complexity: 2_000,
        max_fields: 2_000,
        max_page_size: 50,
        introspection: true,
        field_suggestions: true,
        log_format: instanext_api::config::LogFormat::Text,
        signin_max_failures: 5,
        signin_max_failures_per_address: 20,
        signups_per_hour: 10,
        trust_forwarded_for: true,
        allowed_origins: vec!["https://app.example.com".to_owned()],
    }
}

/// A fresh database: where it lives and what to keep alive while it is used.
pub struct TestDatabase {
    pub url: String,
    /// The PostgreSQL schema of this test, if on PostgreSQL.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn new() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let schema = format!("t_{}", cuid2::create_id());
                let admin = sea_orm::Database::connect(&url).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                Self {
                    url,
                    schema: Some(schema),
                    _dir: None,
                }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Self {
                    url,
                    schema: None,
                    _dir: Some(dir),
                }
            }
        }
    }

    /// Opens a pool on this database, as the server would.
    pub async fn connect(&self, max_connections: u32) -> DatabaseConnection {
        self.connect_with(max_connections, std::time::Duration::from_secs(5))
            .await
    }

    /// Opens a pool whose requests wait at most `acquire_timeout` for a
    /// connection.
    pub async fn connect_with(
        &self,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> DatabaseConnection {
        match &self.schema {
            Some(schema) => {
                let mut options = sea_orm::ConnectOptions::new(&self.url);
                options
                    .max_connections(max_connections)
                    .acquire_timeout(acquire_timeout)
                    .sqlx_logging(false)
                    .set_schema_search_path(schema.clone());
                sea_orm::Database::connect(options).await.unwrap()
            }
            None => db::connect(&self.url, max_connections, acquire_timeout)
                .await
                .unwrap(),
        }
    }

    /// The URL a separate server process uses for this database: on
    /// PostgreSQL, `base` (this database's server, or a proxy in front of it)
    /// with the test's schema as the search path.
    pub fn url_for(&self, base: &str) -> String {
        match &self.schema {
            Some(schema) => {
                let separator = if base.contains('?') { '&' } else { '?' };
                format!("{base}{separator}options[search_path]={schema}")
            }
            None => base.to_owned(),
        }
    }

    /// The same database reached at `url` instead, such as through a proxy;
    /// the handle does not own it.
    pub fn through(&self, url: String) -> Self {
        Self {
            url,
            schema: self.schema.clone(),
            _dir: None,
        }
    }

    /// A handle on the same database that does not own it.
    pub fn share(&self) -> Self {
        Self {
            url: self.url.clone(),
            schema: self.schema.clone(),
            _dir: None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }
}

/// A signed-in account made by the tests.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub email: String,
    pub token: String,
}

/// The server under test.
pub struct TestApp {
    pub database: TestDatabase,
    /// A pool for arranging and inspecting data behind the API's back.
    pub db: DatabaseConnection,
    pub app: SharedContext,
    pub schema: AppSchema,
    pub router: Router,
    addresses: AtomicUsize,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(settings()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        Self::with_database(settings, TestDatabase::new().await).await
    }

    /// The server on `database`, which may be reached through a proxy.
    pub async fn with_database(settings: Settings, database: TestDatabase) -> Self {
        instanext_api::telemetry::init_with("warn");
        let db = database
            .connect_with(settings.db_max_connections, settings.db_acquire_timeout)
            .await;
        db::migrate(&db).await.unwrap();

        let secret = settings.jwt_secret.clone().unwrap();
        let (app, schema) = app::build(settings, db, secret.as_bytes()).await.unwrap();
        let router = http::router(app.clone(), schema.clone());
        let db = database.connect(2).await;
        Self {
            database,
            db,
            app,
            schema,
            router,
            addresses: AtomicUsize::new(1),
        }
    }

    /// Another server instance on the same database, as behind a load
    /// balancer: it shares nothing with this one but the data.
    pub async fn second_instance(&self) -> TestApp {
        let db = self.database.connect(5).await;
        let settings = self.app.settings.clone();
        let secret = settings.jwt_secret.clone().unwrap();
        let (app, schema) = app::build(settings, db, secret.as_bytes()).await.unwrap();
        let router = http::router(app.clone(), schema.clone());
        TestApp {
            database: self.database.share(),
            db: self.database.connect(2).await,
            app,
            schema,
            router,
            addresses: AtomicUsize::new(1_000_000),
        }
    }

    /// Sends a raw HTTP request to the router.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    /// Posts a GraphQL operation, with a bearer token when given, and returns
    /// the JSON response.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.gql_with(query, variables, token, &[]).await
    }

    /// Like `gql`, with extra request headers.
    pub async fn gql_with(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, body) = self.send(request.body(Body::from(body)).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// Runs an operation that must succeed, and returns its `data`.
    pub async fn ok(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let response = self.gql(query, variables, token).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response}"
        );
        response["data"].clone()
    }

    /// A client address of its own for each call, so that the tests' many
    /// sign-ups stay inside the per-address limits (documentation range).
    pub fn fresh_address(&self) -> String {
        let n = self.addresses.fetch_add(1, Ordering::SeqCst);
        // Each in a /64 network of its own, as per-address limits count
        // IPv6 clients by network.
        format!("2001:db8:{n:x}::1")
    }

    /// Creates an account through `signUp` and returns it signed in.
    pub async fn sign_up(&self, username: &str) -> Account {
        let email = format!("{username}@example.com");
        let address = self.fresh_address();
        let response = self
            .gql_with(
                "mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }",
                json!({ "input": { "email": email, "username": username, "password": PASSWORD } }),
                None,
                &[("x-forwarded-for", &address)],
            )
            .await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response}"
        );
        let data = &response["data"];
        Account {
            id: data["signUp"]["user"]["id"].as_str().unwrap().to_owned(),
            username: username.to_owned(),
            email,
            token: data["signUp"]["token"].as_str().unwrap().to_owned(),
        }
    }

    /// Signs in through `signIn` and returns the new token.
    pub async fn sign_in(&self, email: &str, password: &str) -> Value {
        self.gql(
            "mutation($email: String!, $password: String!) {
                signIn(email: $email, password: $password) { token expiresAt user { id username email } }
            }",
            json!({ "email": email, "password": password }),
            None,
        )
        .await
    }

    /// Reads every page of a connection through `query`, which takes `$after`
    /// and whose data holds the connection at `path`, and returns all node ids.
    pub async fn all_pages(
        &self,
        query: &str,
        mut variables: Value,
        path: &[&str],
        token: &str,
    ) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..1000 {
            let data = self.ok(query, variables.clone(), Some(token)).await;
            let connection = path.iter().fold(&data, |value, key| &value[key]);
            ids.extend(node_ids(connection));
            let info = &connection["pageInfo"];
            if info["hasNextPage"] != true {
                return ids;
            }
            variables["after"] = info["endCursor"].clone();
        }
        panic!("the connection never ended");
    }

    /// Makes `follower` follow `followed` through the API.
    pub async fn follow_via_api(&self, follower: &Account, followed: &Account) -> Value {
        self.gql(
            "mutation($u: String!) { followUser(username: $u) { id followerCount viewerIsFollowing } }",
            json!({ "u": followed.username }),
            Some(&follower.token),
        )
        .await
    }

    /// Makes `account` like `post_id` through the API.
    pub async fn like_via_api(&self, account: &Account, post_id: &str) -> Value {
        self.gql(
            "mutation($p: ID!) { likePost(postId: $p) { id likeCount viewerHasLiked } }",
            json!({ "p": post_id }),
            Some(&account.token),
        )
        .await
    }

    /// How many SQL statements the server's pool has run so far, as
    /// `GET /metrics` reports them.
    pub fn statements(&self) -> usize {
        self.app.metrics.statements() as usize
    }

    /// Makes `follower` follow `followed`, behind the API's back.
    pub async fn follow(&self, follower: &Account, followed: &Account) {
        user_follower::Entity::insert(user_follower::ActiveModel {
            user_id: Set(followed.id.clone()),
            follower_id: Set(follower.id.clone()),
            created_at: Set(clock::now()),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
    }

    /// Stores a post by `author` with `pictures` pictures at `created_at`.
    pub async fn post(
        &self,
        author: &Account,
        created_at: DateTime<Utc>,
        pictures: usize,
    ) -> String {
        let id = cuid2::create_id();
        post::Entity::insert(post::ActiveModel {
            id: Set(id.clone()),
            caption: Set(format!("post by {}", author.username)),
            user_id: Set(author.id.clone()),
            created_at: Set(created_at),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
        // Stored out of order, so that reading them in order proves the sort.
        for sequence in (0..pictures as i32).rev() {
            self.picture(image::ImageKind::Post, &id, sequence).await;
        }
        id
    }

    /// Stores a story by `author` posted `age` ago.
    pub async fn story(&self, author: &Account, age: Duration) -> String {
        let id = cuid2::create_id();
        story::Entity::insert(story::ActiveModel {
            id: Set(id.clone()),
            caption: Set(format!("story by {}", author.username)),
            user_id: Set(author.id.clone()),
            created_at: Set(clock::now() - age),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
        self.picture(image::ImageKind::Story, &id, 0).await;
        id
    }

    /// Records that `account` likes `post_id`, behind the API's back.
    pub async fn like(&self, account: &Account, post_id: &str) {
        post_like::Entity::insert(post_like::ActiveModel {
            user_id: Set(account.id.clone()),
            post_id: Set(post_id.to_owned()),
            created_at: Set(clock::now()),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
    }

    async fn picture(&self, kind: image::ImageKind, owner: &str, sequence: i32) {
        image::Entity::insert(image::ActiveModel {
            id: NotSet,
            kind: Set(kind),
            url: Set(format!(
                "https://picsum.photos/seed/{owner}-{sequence}/640/640"
            )),
            associated_id: Set(owner.to_owned()),
            sequence: Set(sequence),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
    }
}

/// The ids of the nodes of a connection, in order.
pub fn node_ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The usernames of the nodes of a connection of users, in order.
pub fn usernames(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
        .iter()
        .map(|edge| edge["node"]["username"].as_str().unwrap().to_owned())
        .collect()
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// A time `minutes` before now.
pub fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    clock::now() - Duration::minutes(minutes)
}

/// Every row of every table, summed up as a count and a hash per table, so
/// that a test can show that a request changed nothing at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(BTreeMap<&'static str, (usize, u64)>);

/// The table of failed sign-in and sign-up attempts. Refused attempts are
/// meant to be counted there, so a refused `signUp`, `signIn`,
/// `changePassword` or `deleteAccount` may change it.
pub const ATTEMPTS_TABLE: &str = "auth_throttles";

impl Fingerprint {
    pub async fn of(db: &DatabaseConnection) -> Self {
        let (users, posts, stories, images, follows, likes, sessions, attempts, count) = tokio::join!(
            user::Entity::find().order_by_asc(user::Column::Id).all(db),
            post::Entity::find().order_by_asc(post::Column::Id).all(db),
            story::Entity::find()
                .order_by_asc(story::Column::Id)
                .all(db),
            image::Entity::find()
                .order_by_asc(image::Column::Id)
                .all(db),
            user_follower::Entity::find()
                .order_by_asc(user_follower::Column::UserId)
                .order_by_asc(user_follower::Column::FollowerId)
                .all(db),
            post_like::Entity::find()
                .order_by_asc(post_like::Column::UserId)
                .order_by_asc(post_like::Column::PostId)
                .all(db),
            session::Entity::find()
                .order_by_asc(session::Column::Id)
                .all(db),
            auth_throttle::Entity::find()
                .order_by_asc(auth_throttle::Column::Key)
                .all(db),
            table_count(db),
        );
        let tables = BTreeMap::from([
            ("users", digest(users.unwrap())),
            ("posts", digest(posts.unwrap())),
            ("stories", digest(stories.unwrap())),
            ("images", digest(images.unwrap())),
            ("user_followers", digest(follows.unwrap())),
            ("post_likes", digest(likes.unwrap())),
            ("sessions", digest(sessions.unwrap())),
            (ATTEMPTS_TABLE, digest(attempts.unwrap())),
        ]);
        // A table added by a later migration must be added above, or a write
        // to it would go unseen (the migrations' own table aside).
        assert_eq!(
            count,
            tables.len() + 1,
            "the fingerprint does not cover every table"
        );
        Self(tables)
    }

    /// The tables whose rows differ from those of `earlier`.
    pub fn changed_since(&self, earlier: &Self) -> Vec<&'static str> {
        self.0
            .iter()
            .filter(|(table, summary)| earlier.0.get(*table) != Some(*summary))
            .map(|(table, _)| *table)
            .collect()
    }
}

fn digest<M: std::fmt::Debug>(rows: Vec<M>) -> (usize, u64) {
    let mut hasher = DefaultHasher::new();
    for row in &rows {
        format!("{row:?}").hash(&mut hasher);
    }
    (rows.len(), hasher.finish())
}

async fn table_count(db: &DatabaseConnection) -> usize {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap() as usize
}
