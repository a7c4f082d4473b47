//! The GraphQL schema: the root types merged from each domain, and its SDL.

use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::{
    auth::{AuthMutation, AuthQuery},
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

/// Deepest selection accepted; the demo app's deepest query needs 7.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted, counting one per field.
pub const MAX_COMPLEXITY: usize = 2_000;

/// Most directives on one field or fragment.
pub const MAX_DIRECTIVES: usize = 8;

/// The schema with its limits, before shared data is attached.
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(MAX_DIRECTIVES)
        .extension(RequestLimits)
        .extension(ErrorCodes)
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
