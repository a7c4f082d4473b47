//! What every resolver can reach: the database pool, the settings, and the
//! password and token services. Built once at start-up and shared.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::{password::Passwords, token::TokenKeys},
    config::Settings,
    metrics::Metrics,
    persisted::PersistedQueries,
};

/// The shared state of the server.
pub struct AppContext {
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub tokens: TokenKeys,
    pub passwords: Passwords,
    /// Documents registered by automatic persisted queries, by hash.
    pub persisted: PersistedQueries,
    /// Counters served at `GET /metrics`.
    pub metrics: Arc<Metrics>,
}

/// `AppContext` behind a reference count, as stored in the schema.
pub type SharedContext = Arc<AppContext>;

/// The shared state, from inside a resolver.
pub fn app<'a>(ctx: &async_graphql::Context<'a>) -> &'a AppContext {
    ctx.data_unchecked::<SharedContext>()
}
