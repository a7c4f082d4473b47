//! The GraphQL schema: the root types merged from each domain, and its SDL.

use async_graphql::{
    EmptySubscription, MergedObject, Schema, SchemaBuilder,
    extensions::apollo_persisted_queries::{ApolloPersistedQueries, LruCacheStorage},
};

use crate::{
    auth::{AuthMutation, AuthQuery},
    config::Settings,
    error::ErrorCodes,
    follows::FollowMutation,
    likes::LikeMutation,
    limits::RequestLimits,
    posts::{PostMutation, PostQuery},
    stories::{StoryMutation, StoryQuery},
    users::{UserMutation, UserQuery},
};

/// Everything that can be read.
#[derive(MergedObject, Default)]
pub struct Query(UserQuery, PostQuery, StoryQuery, AuthQuery);

/// Everything that can be changed.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    UserMutation,
    PostMutation,
    StoryMutation,
    LikeMutation,
    FollowMutation,
);

/// The schema type of the API.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Most directives on one field or fragment.
pub const MAX_DIRECTIVES: usize = 8;
/// Persisted queries remembered, per server instance.
pub const PERSISTED_QUERIES: usize = 1_024;

/// The schema with the limits of `settings`, before shared data is attached.
pub fn builder(
    settings: &Settings,
    persisted: LruCacheStorage,
) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(settings.max_depth as usize)
        .limit_complexity(settings.max_complexity as usize)
        .limit_directives(MAX_DIRECTIVES)
        // Checks that must see the raw document come first, then persisted
        // queries are looked up, then the remaining checks run on the result.
        .extension(RequestLimits::new(settings.max_fields as usize))
        .extension(ApolloPersistedQueries::new(persisted))
        .extension(ErrorCodes);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if !settings.field_suggestions {
        builder = builder.disable_suggestions();
    }
    builder
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
