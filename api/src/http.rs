//! The HTTP surface, following the GraphQL-over-HTTP specification.
//!
//! - `POST /graphql` runs any operation sent as JSON.
//! - `GET /graphql?query=…` runs queries; a mutation over GET is refused with
//!   405 and runs nothing. A browser (asking for HTML) gets GraphiQL instead.
//! - The response type follows `Accept`: `application/graphql-response+json`
//!   (then a request that fails before execution gets 400 and no `data`) or
//!   `application/json` (then such errors come with 200, as older clients
//!   expect).
//! - `GET /health` says the process is alive and the database answers;
//!   `GET /ready` that it answers and every migration is applied.
//!
//! Every response carries an `x-request-id`; one log line per request records
//! it with the route, the operation's name, its outcome and the latency.

use std::{any::Any, collections::HashMap, net::SocketAddr};

use async_graphql::{ServerError, Value, parser::types::OperationType};
use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{
        ConnectInfo, DefaultBodyLimit, MatchedPath, Query, State, rejection::BytesRejection,
    },
    http::{Extensions, HeaderMap, HeaderValue, Method, Request, StatusCode, header},
    middleware,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use migration::{Migrator, MigratorTrait};
use tower::ServiceExt;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
};
use tracing::{Level, Span, field::Empty};

use crate::{
    auth::RequestAuth,
    config::Settings,
    context::SharedContext,
    graphiql,
    request::{self, ClientInfo},
    schema::AppSchema,
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting
/// connections and gives requests in flight the shutdown timeout to finish.
/// Expired sessions are purged every hour meanwhile.
///
/// A connection must deliver each request's headers within the request
/// timeout, also while it idles between requests, or it is closed: a client
/// that opens connections and never finishes a request cannot hold them.
/// (The timeout layer covers the rest of a request, body included.)
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: SharedContext,
    schema: AppSchema,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let purge = tokio::spawn(purge_expired(app.clone()));
    let settings = app.settings.clone();
    let router = router(app, schema);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait for some to be freed.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(settings.request_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "a connection ended with an error");
            }
        });
    }

    drop(listener);
    let outcome = tokio::select! {
        () = connections.shutdown() => Ok(()),
        () = tokio::time::sleep(settings.shutdown_timeout) => {
            tracing::warn!("requests still running at the shutdown timeout were cut off");
            Ok(())
        }
    };
    purge.abort();
    outcome
}

/// Deletes expired sessions and stale attempt records every hour.
async fn purge_expired(app: SharedContext) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        match crate::auth::session::purge_expired(&app.db, crate::clock::now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged expired sessions"),
            // Already logged where the error was converted.
            Err(_) => {}
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: SharedContext,
    pub schema: AppSchema,
}

/// The complete router of the server.
pub fn router(app: SharedContext, schema: AppSchema) -> Router {
    let settings = app.settings.clone();
    let state = HttpState { app, schema };
    let routes = Router::new()
        .route(
            "/graphql",
            get(graphql_get)
                .post(graphql_post)
                .layer(middleware::map_response(vary_on_accept)),
        )
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(graphiql::assets())
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes));
    with_guards(routes, &settings)
}

/// Wraps `routes` in what every request passes through, outermost last: the
/// request timeout, the panic guard, the early refusal of large bodies, CORS,
/// the request id and the log line. Every answer, refusals included, thus
/// carries a request id and CORS headers and gets its log line.
pub fn with_guards(routes: Router, settings: &Settings) -> Router {
    routes
        // Headers are timed by the connection (see `serve`), the rest here.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(middleware::map_response(code_bare_errors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            settings.max_body_bytes,
            refuse_large_bodies,
        ))
        .layer(cors(settings))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            // One span per request, named by the matched route; never the query
            // string or headers, which may hold secrets.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!(
                        "request",
                        request_id = id,
                        method = %request.method(),
                        route,
                        operation = Empty,
                        outcome = Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // The cause was logged where it happened; a 5xx here (such as
                // /ready while the database is away) is its echo.
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(screen_request_id))
}

/// Refuses a body declared too large before reading any of it.
async fn refuse_large_bodies(
    State(limit): State<usize>,
    request: Request<Body>,
    next: middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            JSON,
            "the request body is too large",
        );
    }
    next.run(request).await
}

/// Drops a client's request id that is too long or odd to log, so that a new
/// one is made.
async fn screen_request_id(mut request: Request<Body>, next: middleware::Next) -> Response {
    let plain = |id: &str| {
        !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let odd = request
        .headers()
        .get("x-request-id")
        .is_some_and(|value| !value.to_str().is_ok_and(plain));
    if odd {
        request.headers_mut().remove("x-request-id");
    }
    next.run(request).await
}

/// Gives an error answer without a body (an unknown route, a method the route
/// does not take, a timeout) the same coded JSON shape as every other error.
async fn code_bare_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let message = status
        .canonical_reason()
        .unwrap_or("request refused")
        .to_lowercase();
    let mut coded = request_error(status, JSON, &message);
    for (name, value) in response.headers() {
        if !coded.headers().contains_key(name) {
            coded.headers_mut().insert(name, value.clone());
        }
    }
    coded
}

/// Cross-origin access for the configured origins only.
fn cors(settings: &Settings) -> CorsLayer {
    let origins: Vec<HeaderValue> = settings
        .allowed_origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin.trim_end_matches('/')).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .allow_credentials(true)
}

/// A panic anywhere below becomes a coded 500; the server keeps serving.
fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let body = serde_json::json!({
        "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }]
    });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// The response media type the client prefers, by `Accept` and its quality
/// values, the GraphQL type winning ties; `None` when it accepts neither. No
/// `Accept` header means JSON.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    negotiate_with_quality(headers).map(|(_, media)| media)
}

/// The JSON media type to answer in, with the quality the client gave it.
fn negotiate_with_quality(headers: &HeaderMap) -> Option<(f32, &'static str)> {
    let Some(accept) = accept(headers) else {
        return Some((1.0, JSON));
    };
    let mut best: Option<(f32, &'static str)> = None;
    for (media, quality) in media_ranges(accept) {
        let offer = match media.as_str() {
            GRAPHQL_RESPONSE => GRAPHQL_RESPONSE,
            JSON | "application/*" | "*/*" => JSON,
            _ => continue,
        };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((q, current)) => {
                quality > q || (quality == q && offer == GRAPHQL_RESPONSE && current != offer)
            }
        };
        if better {
            best = Some((quality, offer));
        }
    }
    best
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
}

/// The media ranges of an `Accept` header, lower-cased, with their quality.
fn media_ranges(accept: &str) -> impl Iterator<Item = (String, f32)> + '_ {
    accept.split(',').map(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        (media, quality)
    })
}

/// Every answer of `/graphql` depends on `Accept` (GraphiQL or JSON, and
/// which JSON), refusals included, so caches must keep them apart.
async fn vary_on_accept(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Whether the client is a browser asking for a page: it names `text/html`
/// and values it at least as much as any JSON it accepts.
fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = accept(headers) else {
        return false;
    };
    let html = media_ranges(accept)
        .filter(|(media, _)| media == "text/html")
        .map(|(_, quality)| quality)
        .fold(0.0_f32, f32::max);
    let json = negotiate_with_quality(headers).map_or(0.0, |(quality, _)| quality);
    html > 0.0 && html >= json
}

/// An error that stops a request before GraphQL runs it, in GraphQL's shape.
fn request_error(status: StatusCode, media: &str, message: &str) -> Response {
    Span::current().record("outcome", "BAD_REQUEST");
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
    });
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_value(media)),
    );
    response
}

fn media_value(media: &str) -> &'static str {
    if media == GRAPHQL_RESPONSE {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    }
}

/// Whether a body's declared type is JSON in UTF-8.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    let utf8 = parts.all(|param| match param.trim().split_once('=') {
        Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => charset
            .trim()
            .trim_matches('"')
            .eq_ignore_ascii_case("utf-8"),
        _ => true,
    });
    media.eq_ignore_ascii_case(JSON) && utf8
}

/// Whether the body is sent with a content coding (gzip, say), which the
/// server does not decode.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .any(|coding| !coding.trim().eq_ignore_ascii_case("identity"))
}

async fn graphql_post(
    State(state): State<HttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            JSON,
            "the response can be JSON only",
        );
    };
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the operation as JSON, with `Content-Type: application/json`",
        );
    }
    if is_encoded(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the body uncompressed: no `Content-Encoding` is accepted",
        );
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                "the request body is too large",
            );
        }
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "the request body could not be read",
            );
        }
    };
    let request = match parse_body(&body) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, media, message),
    };
    execute(&state, &headers, &extensions, request, media).await
}

async fn graphql_get(
    State(state): State<HttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if wants_html(&headers) {
        return graphiql().await.into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            JSON,
            "the response can be JSON only",
        );
    };
    let request = match parse_params(&params) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, media, message),
    };
    // The session cookie authenticates JSON POSTs only: any page can make a
    // browser send a GET, with its cookies, to another site. A GET runs as
    // its bearer token says, or anonymously.
    let mut headers = headers;
    headers.remove(header::COOKIE);
    if is_mutation(&request, &state) {
        let mut response = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations are sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, &headers, &extensions, request, media).await
}

/// Whether the operation the request selects is a mutation. A document that
/// does not parse is left for GraphQL to report.
fn is_mutation(request: &async_graphql::Request, state: &HttpState) -> bool {
    let persisted;
    let text = if request.query.is_empty() {
        // A persisted query sent by its hash alone.
        let hash = request
            .extensions
            .get("persistedQuery")
            .and_then(|value| match value {
                Value::Object(fields) => fields.get("sha256Hash").cloned(),
                _ => None,
            });
        persisted = match hash {
            Some(Value::String(hash)) => state.app.persisted.text(&hash),
            _ => None,
        };
        persisted.as_deref().unwrap_or_default()
    } else {
        request.query.as_str()
    };
    if crate::limits::nesting(text) > crate::limits::MAX_NESTING {
        return false;
    }
    let Ok(document) = async_graphql::parser::parse_query(text) else {
        return false;
    };
    let selected = crate::limits::selected(&document, request.operation_name.as_deref());
    selected.is_some_and(|operation| operation.ty == OperationType::Mutation)
}

/// Reads a GraphQL request (`query`, `variables`, `operationName`,
/// `extensions`) from a JSON body; the error is a message for the client.
fn parse_body(body: &[u8]) -> Result<async_graphql::Request, &'static str> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the body is not valid JSON")?;
    if value.is_array() {
        return Err("batched requests are not supported; send one operation per request");
    }
    let serde_json::Value::Object(fields) = value else {
        return Err("the body must be a JSON object with a `query` string");
    };
    build_request(
        fields.get("query").cloned(),
        fields.get("variables").cloned(),
        fields.get("operationName").cloned(),
        fields.get("extensions").cloned(),
    )
}

/// Reads a GraphQL request from GET parameters, where `variables` and
/// `extensions` are JSON text.
fn parse_params(params: &HashMap<String, String>) -> Result<async_graphql::Request, &'static str> {
    let json = |name: &str| -> Result<Option<serde_json::Value>, &'static str> {
        params
            .get(name)
            .map(|text| {
                serde_json::from_str(text).map_err(|_| "`variables` and `extensions` must be JSON")
            })
            .transpose()
    };
    build_request(
        params.get("query").cloned().map(serde_json::Value::String),
        json("variables")?,
        params
            .get("operationName")
            .cloned()
            .map(serde_json::Value::String),
        json("extensions")?,
    )
}

fn build_request(
    query: Option<serde_json::Value>,
    variables: Option<serde_json::Value>,
    operation_name: Option<serde_json::Value>,
    extensions: Option<serde_json::Value>,
) -> Result<async_graphql::Request, &'static str> {
    use serde_json::Value as Json;
    let not_null = |value: Option<Json>| value.filter(|value| !value.is_null());
    let extensions = match not_null(extensions) {
        None => serde_json::Map::new(),
        Some(Json::Object(map)) => map,
        Some(_) => return Err("`extensions` must be a JSON object"),
    };
    let query = match not_null(query) {
        Some(Json::String(query)) => query,
        None if extensions.contains_key("persistedQuery") => String::new(),
        None => return Err("the request must have a `query` string"),
        Some(_) => return Err("`query` must be a string"),
    };
    let mut request = async_graphql::Request::new(query);
    match not_null(variables) {
        None => {}
        Some(Json::Object(map)) => {
            request = request.variables(async_graphql::Variables::from_json(Json::Object(map)));
        }
        Some(_) => return Err("`variables` must be a JSON object"),
    }
    match not_null(operation_name) {
        None => {}
        Some(Json::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string"),
    }
    for (name, value) in extensions {
        let value = Value::from_json(value).map_err(|_| "`extensions` must be a JSON object")?;
        request.extensions.insert(name, value);
    }
    Ok(request)
}

/// The most errors one response carries.
const MAX_ERRORS: usize = 20;

/// Runs the request and answers in `media`.
async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    extensions: &Extensions,
    request: async_graphql::Request,
    media: &'static str,
) -> Response {
    let settings = &state.app.settings;
    let span = Span::current();
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let request = request::prepare(
        request,
        &state.app,
        RequestAuth::from_headers(headers, &settings.allowed_origins),
        ClientInfo::new(headers, peer, settings.trust_forwarded_for),
    );

    let mut response = crate::schema::execute(&state.schema, &state.app, request).await;

    // A hostile document can provoke thousands of validation errors; the
    // first few say what is wrong as well as all of them would.
    response.errors.truncate(MAX_ERRORS);
    let mut codes: Vec<&str> = response
        .errors
        .iter()
        .filter_map(|err| error_code(err))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    span.record(
        "outcome",
        if codes.is_empty() {
            "ok".to_owned()
        } else {
            codes.join(",")
        },
    );
    // Errors that belong to no field were raised before anything ran.
    let failed_before_execution = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|err| err.path.is_empty());
    let status = if media == GRAPHQL_RESPONSE && failed_before_execution {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };

    let body = if media == GRAPHQL_RESPONSE && failed_before_execution {
        // The specification: a request that never executed has no `data`.
        serde_json::to_string(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_string(&response)
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, "cannot serialise a response");
            return request_error(StatusCode::INTERNAL_SERVER_ERROR, media, "internal error");
        }
    };
    let mut reply = (status, body).into_response();
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_value(media)),
    );
    for (name, value) in response.http_headers.iter() {
        reply.headers_mut().append(name, value.clone());
    }
    reply
}

fn error_code(err: &ServerError) -> Option<&str> {
    match err.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

async fn graphiql() -> Html<&'static str> {
    graphiql::page()
}

async fn health(State(state): State<HttpState>) -> impl IntoResponse {
    if crate::db::ping(&state.app.db, state.app.settings.db_acquire_timeout).await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.app.metrics.render(),
    )
}

/// Ready when the database answers and every migration is applied, both
/// within the connection wait, so that a load balancer's probe never hangs.
async fn ready(State(state): State<HttpState>) -> impl IntoResponse {
    let limit = state.app.settings.db_acquire_timeout;
    if !crate::db::ping(&state.app.db, limit).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    match tokio::time::timeout(limit, Migrator::get_pending_migrations(&state.app.db)).await {
        Ok(Ok(pending)) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(Ok(_)) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Ok(Err(_)) | Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
