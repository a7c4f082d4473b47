//! What each GraphQL request carries besides its query: who is asking, from
//! which client, and a fresh set of batching loaders.

use async_graphql::dataloader::{DataLoader, HashMapCache};
use std::{net::IpAddr, time::Duration};

use axum::http::{HeaderMap, header::USER_AGENT};

use crate::{
    auth::RequestAuth,
    batch::{
        CountLoader, FollowersOfUser, FollowingOfUser, Follows, Likes, LikesOfPost, PostsOfUser,
        RelationLoader,
    },
    context::AppContext,
    images::ImageLoader,
    users::UserLoader,
};

/// A per-request loader with its cache.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// The loader of type `L` of this request.
pub fn loader<'a, L: Send + Sync + 'static>(ctx: &async_graphql::Context<'a>) -> &'a Cached<L> {
    ctx.data_unchecked::<Cached<L>>()
}

/// Facts about the calling client: its address, for attempt limits, and its
/// user agent, kept with its sessions.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// `peer` is the address of the connection. With `trust_forwarded_for`,
    /// the last address of `X-Forwarded-For` (the one the load balancer in
    /// front of the server saw) is taken instead.
    pub fn new(headers: &HeaderMap, peer: Option<IpAddr>, trust_forwarded_for: bool) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| headers.get_all("x-forwarded-for").iter().next_back())
            .flatten()
            .and_then(|value| value.to_str().ok())
            .and_then(|list| list.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        Self {
            // One address, one key: an IPv4 address mapped into IPv6 is the
            // IPv4 address.
            ip: forwarded.or(peer).map(|ip| ip.to_canonical()),
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
    request
        .data(auth)
        .data(client)
        .data(cached(UserLoader { db: db() }))
        .data(cached(ImageLoader { db: db() }))
        .data(cached(CountLoader::<LikesOfPost>::new(db())))
        .data(cached(CountLoader::<PostsOfUser>::new(db())))
        .data(cached(CountLoader::<FollowersOfUser>::new(db())))
        .data(cached(CountLoader::<FollowingOfUser>::new(db())))
        .data(cached(RelationLoader::<Likes>::new(db())))
        .data(cached(RelationLoader::<Follows>::new(db())))
}

fn cached<L: Send + Sync + 'static>(loader: L) -> Cached<L> {
    // No batching delay: list resolvers hand a whole page of keys to
    // `load_many` at once (see `posts::prefetch`), and keys that sibling
    // resolvers ask for in the same poll still join one batch, since the load
    // runs in a task spawned after them. A delay would only add its length to
    // every request.
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(Duration::ZERO)
}
