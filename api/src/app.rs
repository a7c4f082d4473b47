//! Assembling the server from its settings: database, services and schema.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use anyhow::Context;

use crate::{
    auth::{password::Passwords, token::TokenKeys},
    config::Settings,
    context::{AppContext, SharedContext},
    db,
    metrics::Metrics,
    persisted::PersistedQueries,
    schema::{self, AppSchema},
    seed,
};

/// How many accounts the demo data of a new embedded database has.
pub const DEMO_USERS: u32 = 60;

/// A server ready to be bound to an address.
pub struct Prepared {
    pub app: SharedContext,
    pub schema: AppSchema,
    /// Whether demo data was loaded while preparing.
    pub seeded: Option<seed::Summary>,
}

/// Resolves the settings, opens and migrates the database, loads demo data
/// into a new embedded database (never into one named by `DATABASE_URL`), and
/// builds the schema.
pub async fn prepare(settings: Settings) -> anyhow::Result<Prepared> {
    let resolved = settings.resolve()?;
    let db = open_database(&settings, &resolved.database_url).await?;

    let seeded = if resolved.embedded && seed::is_empty(&db).await? {
        Some(load_demo_data(&db, &settings, DEMO_USERS).await?)
    } else {
        None
    };

    let (app, schema) = build(settings, db, &resolved.jwt_secret).await?;
    Ok(Prepared {
        app,
        schema,
        seeded,
    })
}

/// Connects to `url` and applies pending migrations.
pub async fn open_database(
    settings: &Settings,
    url: &str,
) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect(
        url,
        settings.db_max_connections,
        settings.db_acquire_timeout,
    )
    .await
    .context("cannot connect to the database")?;
    db::migrate(&db)
        .await
        .context("cannot apply the migrations")?;
    Ok(db)
}

/// Seeds `users` accounts, hashing the shared demo password once.
pub async fn load_demo_data(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    users: u32,
) -> anyhow::Result<seed::Summary> {
    let cost = settings.bcrypt_cost;
    let hash =
        tokio::task::spawn_blocking(move || bcrypt::hash(seed::DEMO_PASSWORD, cost)).await??;
    seed::seed(db, users, &hash).await
}

/// Builds the shared context and the schema over an open, migrated database.
pub async fn build(
    settings: Settings,
    mut db: DatabaseConnection,
    jwt_secret: &[u8],
) -> anyhow::Result<(SharedContext, AppSchema)> {
    let metrics = Metrics::attach(&mut db);
    let (cost, concurrency) = (settings.bcrypt_cost, settings.bcrypt_concurrency);
    let passwords = tokio::task::spawn_blocking(move || Passwords::new(cost, concurrency))
        .await?
        .map_err(|_| anyhow::anyhow!("cannot prepare password hashing"))?;
    let app = Arc::new(AppContext {
        db,
        settings,
        tokens: TokenKeys::new(jwt_secret),
        passwords,
        persisted: PersistedQueries::default(),
        metrics,
    });
    let schema = schema::builder(&app.settings).data(app.clone()).finish();
    Ok((app, schema))
}
