//! The HTTP surface: `POST /graphql` runs operations, `GET /graphql` serves
//! GraphiQL, and `GET /health` tells whether the database answers.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Router,
    extract::{MatchedPath, State},
    http::{HeaderMap, Request, StatusCode},
    response::{Html, IntoResponse},
    routing::get,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::{
    auth::RequestAuth,
    context::SharedContext,
    request::{self, ClientInfo},
    schema::AppSchema,
};

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: SharedContext,
    pub schema: AppSchema,
}

/// The complete router of the server.
pub fn router(app: SharedContext, schema: AppSchema) -> Router {
    let state = HttpState { app, schema };
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/health", get(health))
        .with_state(state)
        .layer(
            // One span per request, named by the matched route; never the query
            // string or headers, which may hold secrets.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    tracing::info_span!("request", method = %request.method(), route)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn graphql(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let request = request::prepare(
        request.into_inner(),
        &state.app,
        RequestAuth::from_headers(&headers),
        ClientInfo::from_headers(&headers),
    );
    state.schema.execute(request).await.into()
}

// TODO: serve GraphiQL's scripts and styles from this server instead of a CDN.
async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("InstaNext API")
            .finish(),
    )
}

async fn health(State(state): State<HttpState>) -> impl IntoResponse {
    if crate::db::ping(&state.app.db).await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
