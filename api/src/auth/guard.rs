//! Who is asking: the bearer token of a request, checked once and only when a
//! field needs it, and the guard that protects fields.

use async_graphql::{Context, Guard};
use axum::http::{
    HeaderMap,
    header::{AUTHORIZATION, COOKIE, ORIGIN},
};
use tokio::sync::OnceCell;

use crate::{
    auth::{SESSION_COOKIE, session},
    context::app,
    error::{AppError, AppResult},
};

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: String,
    pub session_id: String,
}

#[derive(Debug)]
enum Credential {
    Missing,
    Bearer(String),
    /// The token of the session cookie, from an allowed Origin.
    Cookie(String),
    Malformed,
    /// A session cookie on a request whose `Origin` is not allowed: possibly
    /// a forged cross-site request, so the cookie is not honoured.
    CrossSiteCookie,
}

/// The credential a request came with, and the viewer it resolves to.
#[derive(Debug)]
pub struct RequestAuth {
    credential: Credential,
    viewer: OnceCell<Option<Viewer>>,
}

impl RequestAuth {
    /// Reads `Authorization: Bearer <token>`, or else the session cookie. Any
    /// other shape of the header is remembered as malformed and fails
    /// authentication, never the request. A cookie counts only when the
    /// request's `Origin` is one of `allowed_origins`; the HTTP layer passes
    /// it on for JSON POSTs only, which a cross-site form cannot send.
    pub fn from_headers(headers: &HeaderMap, allowed_origins: &[String]) -> Self {
        let credential = match headers.get(AUTHORIZATION) {
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|text| {
                    let (scheme, token) = text.trim().split_once(' ')?;
                    let token = token.trim();
                    let plain = !token.is_empty() && !token.contains(char::is_whitespace);
                    (scheme.eq_ignore_ascii_case("bearer") && plain)
                        .then(|| Credential::Bearer(token.to_owned()))
                })
                .unwrap_or(Credential::Malformed),
            None => match session_cookie(headers) {
                None => Credential::Missing,
                Some(token) => {
                    let origin = headers.get(ORIGIN).and_then(|value| value.to_str().ok());
                    let allowed = origin.is_some_and(|origin| {
                        allowed_origins
                            .iter()
                            .any(|allowed| allowed.trim_end_matches('/') == origin)
                    });
                    if allowed {
                        Credential::Cookie(token)
                    } else {
                        tracing::debug!("session cookie without an allowed Origin");
                        Credential::CrossSiteCookie
                    }
                }
            },
        };
        Self::with(credential)
    }

    /// Whether the credential is the session cookie.
    pub fn is_cookie(&self) -> bool {
        matches!(self.credential, Credential::Cookie(_))
    }

    /// A request with this bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::with(Credential::Bearer(token.into()))
    }

    /// A request without credentials.
    pub fn anonymous() -> Self {
        Self::with(Credential::Missing)
    }

    fn with(credential: Credential) -> Self {
        Self {
            credential,
            viewer: OnceCell::new(),
        }
    }
}

/// The token in the session cookie, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The viewer of this request, or `None` when it has no valid token.
pub async fn current_viewer(ctx: &Context<'_>) -> AppResult<Option<Viewer>> {
    let Some(auth) = ctx.data_opt::<RequestAuth>() else {
        return Ok(None);
    };
    let (Credential::Bearer(token) | Credential::Cookie(token)) = &auth.credential else {
        return Ok(None);
    };
    auth.viewer
        .get_or_try_init(|| async {
            let app = app(ctx);
            let Some(claims) = app.tokens.verify(token) else {
                return Ok(None);
            };
            let live = session::find_live(&app.db, &claims.sub, &claims.sid).await?;
            if live.is_none() {
                tracing::debug!("token names a session that has ended");
            }
            Ok(live.map(|session| Viewer {
                user_id: session.user_id,
                session_id: session.id,
            }))
        })
        .await
        .cloned()
}

/// The viewer of this request, or `UNAUTHENTICATED`.
pub async fn require_viewer(ctx: &Context<'_>) -> AppResult<Viewer> {
    let missing = matches!(
        ctx.data_opt::<RequestAuth>().map(|auth| &auth.credential),
        None | Some(Credential::Missing)
    );
    let cross_site = matches!(
        ctx.data_opt::<RequestAuth>().map(|auth| &auth.credential),
        Some(Credential::CrossSiteCookie)
    );
    match current_viewer(ctx).await? {
        Some(viewer) => Ok(viewer),
        None if missing => Err(AppError::Unauthenticated(
            "sign in first: send `Authorization: Bearer <token>`",
        )),
        None if cross_site => Err(AppError::Unauthenticated(
            "the session cookie is honoured only on requests from an allowed Origin",
        )),
        None => Err(AppError::Unauthenticated(
            "the token is invalid, expired or signed out",
        )),
    }
}

/// Lets a field run only for a signed-in viewer.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_viewer(ctx).await.map(|_| ()).map_err(Into::into)
    }
}
