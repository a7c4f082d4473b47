//! The HTTP surface: `POST /graphql` runs operations, `GET /graphql` serves
//! GraphiQL, and `GET /health` tells whether the database answers.

use std::net::SocketAddr;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLResponse;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, State, rejection::BytesRejection},
    http::{Extensions, HeaderMap, Request, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use tower_http::{
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
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

// TODO: run queries sent with GET, negotiate the response type, and add CORS.

/// The complete router of the server.
pub fn router(app: SharedContext, schema: AppSchema) -> Router {
    let body_limit = app.settings.max_body_bytes;
    let timeout = app.settings.request_timeout;
    let state = HttpState { app, schema };
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/health", get(health))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        // TODO: time out connections that never finish sending their headers
        // (axum's server has no header timeout); bodies are covered here.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
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
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the operation as JSON, with `Content-Type: application/json`",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            );
        }
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            );
        }
    };
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, message),
    };

    let settings = &state.app.settings;
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let request = request::prepare(
        request,
        &state.app,
        RequestAuth::from_headers(&headers, &settings.allowed_origins),
        ClientInfo::new(&headers, peer, settings.trust_forwarded_for),
    );
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

/// Reads a GraphQL request (`query`, `variables`, `operationName`,
/// `extensions`) from a JSON body; the error is a message for the client.
fn parse_request(body: &[u8]) -> Result<async_graphql::Request, &'static str> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the body is not valid JSON")?;
    if value.is_array() {
        return Err("batched requests are not supported; send one operation per request");
    }
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return Err("the body must be a JSON object with a `query` string");
    }
    serde_json::from_value(value).map_err(
        |_| "`variables` and `extensions` must be JSON objects and `operationName` a string",
    )
}

/// Whether the request says its body is JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A request that never reached GraphQL, answered in GraphQL's error shape.
fn request_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
    });
    (status, Json(body)).into_response()
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
