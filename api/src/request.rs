//! What each GraphQL request carries besides its query: who is asking, from
//! which client, and a fresh set of batching loaders.

use async_graphql::dataloader::{DataLoader, HashMapCache};
use axum::http::{HeaderMap, header::USER_AGENT};

use crate::{
    auth::RequestAuth,
    context::AppContext,
    images::ImageLoader,
    likes::{LikeCountLoader, LikedLoader},
    users::UserLoader,
};

/// A per-request loader with its cache.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// The loader of type `L` of this request.
pub fn loader<'a, L: Send + Sync + 'static>(ctx: &async_graphql::Context<'a>) -> &'a Cached<L> {
    ctx.data_unchecked::<Cached<L>>()
}

/// Facts about the calling client, kept with its sessions.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        }
    }
}

/// Attaches the per-request data every resolver may need. Loaders are made per
/// request and cache what they load, so that a list resolver can load what its
/// items will need in one batch up front (see `posts::prefetch`), and nothing
/// cached outlives the request that read it.
pub fn prepare(
    request: async_graphql::Request,
    app: &AppContext,
    auth: RequestAuth,
    client: ClientInfo,
) -> async_graphql::Request {
    let db = || app.db.clone();
    let cache = HashMapCache::default;
    request
        .data(auth)
        .data(client)
        .data(DataLoader::with_cache(
            UserLoader { db: db() },
            tokio::spawn,
            cache(),
        ))
        .data(DataLoader::with_cache(
            ImageLoader { db: db() },
            tokio::spawn,
            cache(),
        ))
        .data(DataLoader::with_cache(
            LikeCountLoader { db: db() },
            tokio::spawn,
            cache(),
        ))
        .data(DataLoader::with_cache(
            LikedLoader { db: db() },
            tokio::spawn,
            cache(),
        ))
}
