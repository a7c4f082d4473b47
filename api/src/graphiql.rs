//! GraphiQL, the in-browser IDE served at `GET /graphql`, with its scripts and
//! styles served by this server rather than a CDN, so that it works with no
//! internet access.
//!
//! The vendored files live in `api/assets/graphiql/` (its README names each
//! package, version and licence) and are embedded in the binary, so the server
//! needs no asset directory at run time, whatever its working directory.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

/// The GraphiQL page, for the endpoint `/graphql`, loading only the files of
/// [`assets`].
pub fn page() -> Html<&'static str> {
    Html(include_str!("../assets/graphiql/index.html"))
}

/// Where the page finds the vendored files.
const ASSETS_ROUTE: &str = "/graphiql/assets/{file}";

/// The vendored files: name, media type, contents.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        CSS,
        include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        JAVASCRIPT,
        include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
    ),
];

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// A year, and `immutable`: every file name carries its package version, so
/// an upgrade changes the URL and a cached copy is never stale.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// Serves the vendored files at `/graphiql/assets/{file}`; any other name is
/// a 404. Merge it into the application's router.
pub fn assets<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(ASSETS_ROUTE, get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, media_type, body)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_FOREVER),
            ),
            // Stops a browser from running a file as anything but its stated type.
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        *body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::{
        body::{Body, to_bytes},
        http::Request,
    };
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str) -> Response {
        let request = Request::get(path)
            .body(Body::empty())
            .expect("a valid request");
        let Ok(response) = assets::<()>().oneshot(request).await;
        response
    }

    #[tokio::test]
    async fn every_vendored_file_is_served_with_its_type_and_a_long_cache() {
        for (name, media_type, contents) in ASSETS {
            let response = get(&format!("/graphiql/assets/{name}")).await;

            assert_eq!(response.status(), StatusCode::OK, "{name}");
            let headers = response.headers();
            assert_eq!(headers[header::CONTENT_TYPE], *media_type, "{name}");
            assert_eq!(headers[header::CACHE_CONTROL], CACHE_FOREVER, "{name}");
            let body = to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("an in-memory body");
            assert_eq!(&body[..], *contents, "{name}");
        }
    }

    #[tokio::test]
    async fn an_unknown_file_is_not_found() {
        for path in [
            "/graphiql/assets/missing.js",
            "/graphiql/assets/index.html",
            "/graphiql/assets/README.md",
            "/graphiql/assets/..%2Fsrc%2Fgraphiql.rs",
        ] {
            assert_eq!(get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }

    #[test]
    fn the_page_loads_only_the_vendored_files() {
        let html = page().0;

        let urls: Vec<&str> = ["src=\"", "href=\""]
            .into_iter()
            .flat_map(|attribute| html.split(attribute).skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|url| *url != "data:,")
            .collect();
        for url in &urls {
            let file = url
                .strip_prefix("/graphiql/assets/")
                .unwrap_or_else(|| panic!("the page loads {url}, which is not a vendored file"));
            assert!(ASSETS.iter().any(|(name, _, _)| *name == file), "{url}");
        }
        assert_eq!(
            urls.len(),
            ASSETS.len(),
            "every vendored file is loaded once"
        );
        assert!(html.contains(r#"new URL("/graphql", window.location.origin)"#));
    }

    #[test]
    fn the_default_query_signs_in_and_explains_the_authorization_header() {
        let html = page().0;

        assert!(html.contains(r#"signIn(email: \"demo@example.com\", password: \"secret\")"#));
        assert!(html.contains("followingPosts(first: 5"));
        assert!(html.contains(r#"{\"Authorization\": \"Bearer <token>\"}"#));
    }
}
