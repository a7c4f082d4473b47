//! The GraphQL schema: the root types merged from each domain, its SDL, and
//! how one request runs through it.
//!
//! The checks on a request, persisted queries and default error codes run
//! around the schema, not as schema extensions: with any extension in the
//! schema, async-graphql sends every field and list item it resolves through
//! the extensions' chain of hooks.

use async_graphql::{
    EmptySubscription, MergedObject, Request, Response, Schema, SchemaBuilder, ServerResult,
};

use crate::{
    auth::{AuthMutation, AuthQuery},
    config::Settings,
    context::AppContext,
    error,
    follows::FollowMutation,
    likes::LikeMutation,
    limits, persisted,
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

/// The schema with the limits of `settings`, before shared data is attached.
pub fn builder(settings: &Settings) -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(settings.max_depth as usize)
        .limit_complexity(settings.max_complexity as usize)
        .limit_directives(MAX_DIRECTIVES);
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if !settings.field_suggestions {
        builder = builder.disable_suggestions();
    }
    builder
}

/// Runs `request`, with its per-request data attached, on `schema`. Every
/// error in the response carries a code.
pub async fn execute(schema: &AppSchema, app: &AppContext, request: Request) -> Response {
    let mut response = match prepare(app, request).await {
        Ok((request, register)) => {
            let response = schema.execute(request).await;
            // A document refused before it ran (by validation, say) answers
            // errors without a path, and is not kept.
            if let Some((hash, text)) = register
                && response.errors.iter().all(|err| !err.path.is_empty())
            {
                app.persisted.keep(hash, &text);
            }
            response
        }
        Err(err) => Response::from_errors(vec![err]),
    };
    error::default_codes(&mut response.errors);
    response
}

/// A document to keep as a persisted query once it has run: its hash and text.
type Registration = Option<(String, String)>;

/// The request with its document parsed and checked: a persisted query's
/// text is looked up first, then every check runs on the text and on the
/// parsed document. A document sent with its hash to register it comes back
/// too, to be kept once the schema has validated and run it.
async fn prepare(app: &AppContext, mut request: Request) -> ServerResult<(Request, Registration)> {
    let register = persisted::resolve(&app.persisted, &mut request)?;
    limits::check_text(&request)?;
    let document = async_graphql::parser::parse_query(&request.query)
        .map_err(|err| limits::parse_failed(err.into()))?;
    limits::check_document(&document, &request, app.settings.max_fields as usize)?;
    let register = register.map(|hash| (hash, request.query.clone()));
    request.set_parsed_query(document);
    Ok((request, register))
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
