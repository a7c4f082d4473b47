//! Sign-up, sign-in and sessions: `signUp`, `signIn`, `signOut`,
//! `refreshSession`, `mySessions`, `revokeSession`, `changePassword` and
//! `deleteAccount`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{session as session_row, user};
use std::net::{IpAddr, Ipv6Addr};

use crate::{
    auth::{
        Authenticated, Viewer, require_viewer, session,
        throttle::{self, Policy},
    },
    clock,
    context::{AppContext, app},
    error::{AppError, AppResult},
    request::ClientInfo,
    users::{
        User,
        fields::{Description, Email, Password, Username},
        repo::{self, NewAccount},
    },
};

/// The answer to every bad sign-in, whatever the reason, so that nobody can
/// learn which emails have accounts.
const BAD_CREDENTIALS: &str = "invalid email or password";
/// The cookie that carries the token in cookie mode.
pub const SESSION_COOKIE: &str = "instanext_session";

/// What a new account is made of.
#[derive(InputObject)]
pub struct SignUpInput {
    /// Email address; compared without regard to case or surrounding spaces.
    pub email: String,
    /// 1 to 30 letters, digits, `.` or `_`; unique without regard to case.
    pub username: String,
    /// 8 to 72 bytes, not only white space, not one of the 10,000 most common
    /// passwords.
    pub password: String,
    /// Free text about the user, up to 500 characters.
    #[graphql(default)]
    pub description: String,
}

/// A signed-in session: the token to send and the account it belongs to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>` on every request. Empty in
    /// cookie mode, where the token travels only in the HttpOnly cookie.
    pub token: String,
    /// When the token stops working unless renewed with `refreshSession`.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

/// One signed-in session of the viewer.
#[derive(SimpleObject)]
pub struct Session {
    /// Opaque id; pass it to `revokeSession`.
    pub id: ID,
    /// When the session was opened by signing in.
    pub created_at: DateTime<Utc>,
    /// When the session was last used, to within a few minutes.
    pub last_used_at: DateTime<Utc>,
    /// When the session ends unless renewed.
    pub expires_at: DateTime<Utc>,
    /// The `User-Agent` of the client that signed in, if it sent one.
    pub user_agent: Option<String>,
    /// Whether this is the session of the token of this request.
    pub current: bool,
}

impl Session {
    fn of(row: session_row::Model, viewer: &Viewer) -> Self {
        Self {
            current: row.id == viewer.session_id,
            id: ID(row.id),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires,
            user_agent: row.user_agent,
        }
    }
}

fn client(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}

/// The attempt-limit key of the client's address. An IPv6 client commonly
/// holds a whole /64 network and could pick a fresh address for every guess,
/// so IPv6 addresses count by their /64 network.
fn address_key(kind: &str, client: &ClientInfo) -> String {
    let address = match client.ip {
        None => "unknown".to_owned(),
        Some(IpAddr::V4(ip)) => ip.to_string(),
        Some(IpAddr::V6(ip)) => {
            let network = u128::from(ip) & !(u128::from(u64::MAX));
            format!("{}/64", Ipv6Addr::from(network))
        }
    };
    throttle::key(kind, &address)
}

/// Queries about the viewer's sessions.
#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The viewer's live sessions, most recently used first.
    #[graphql(guard = "Authenticated")]
    async fn my_sessions(&self, ctx: &Context<'_>) -> AppResult<Vec<Session>> {
        let viewer = require_viewer(ctx).await?;
        let rows = session::list(&app(ctx).db, &viewer.user_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| Session::of(row, &viewer))
            .collect())
    }
}

/// Mutations that sign people up, in and out, and manage their sessions.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in. A taken email or username is a
    /// `CONFLICT` error whose `extensions.field` names the field. Sign-ups from
    /// one address are limited per hour (`RATE_LIMITED`).
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's details.")] input: SignUpInput,
    ) -> AppResult<AuthPayload> {
        let app = app(ctx);
        let email = Email::parse(&input.email)?;
        let username = Username::parse(&input.username)?;
        let password = Password::parse(&input.password)?;
        let description = Description::parse(&input.description)?;

        // Input that is refused as malformed tells nothing and costs nothing,
        // so only well-formed attempts count. They count whether they succeed
        // or not: a `CONFLICT` tells whether an email is registered.
        let key = address_key("signup:address", &client(ctx));
        throttle::attempt(
            &app.db,
            &key,
            Policy::sign_ups(app.settings.signups_per_hour),
        )
        .await?;

        let password_hash = app.passwords.hash(password.as_str()).await?;
        let account = NewAccount {
            email: &email,
            username: &username,
            password_hash,
            description: &description,
        };
        let user = repo::create_account(&app.db, account).await?;

        tracing::info!(user_id = %user.id, "account created");
        start_session(ctx, app, user, false).await
    }

    /// Signs in with email and password. An unknown email and a wrong password
    /// get the same `UNAUTHENTICATED` error after the same work. After a few
    /// failures for an account or from an address, attempts get `RATE_LIMITED`
    /// with `extensions.retryAfter` in seconds. With `cookie: true`, for browser
    /// apps, the token is set as an HttpOnly cookie instead, and `token` is
    /// empty.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email, in any case.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
        #[graphql(
            default = false,
            desc = "Set the token as an HttpOnly, SameSite=Lax cookie instead of answering it."
        )]
        cookie: bool,
    ) -> AppResult<AuthPayload> {
        let app = app(ctx);
        let email = Email::normalize(&email);
        let account_key = throttle::key("signin:account", &email);
        let address_key = address_key("signin:address", &client(ctx));
        // Both keys first, so that a blocked address costs the account nothing.
        throttle::check(&app.db, &[&account_key, &address_key]).await?;
        let settings = &app.settings;
        let account_policy = Policy::account(settings.signin_max_failures);
        let address_policy = Policy::address(settings.signin_max_failures_per_address);
        throttle::attempt(&app.db, &account_key, account_policy).await?;
        throttle::attempt(&app.db, &address_key, address_policy).await?;

        // An empty email must not match anything, and must cost a full check.
        let user = if email.is_empty() {
            None
        } else {
            repo::find_by_email(&app.db, &email).await?
        };
        let matches = verify_password(app, user.as_ref(), &password).await?;

        match user {
            Some(user) if matches => {
                throttle::clear(&app.db, &account_key).await?;
                throttle::forgive(&app.db, &address_key).await?;
                start_session(ctx, app, user, cookie).await
            }
            _ => {
                tracing::debug!("sign-in refused");
                Err(AppError::Unauthenticated(BAD_CREDENTIALS))
            }
        }
    }

    /// Ends the session of the token used, or with `allDevices: true` every
    /// session of the viewer. Those tokens are refused from then on.
    #[graphql(guard = "Authenticated")]
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = false,
            desc = "End every session of the viewer, not only this one."
        )]
        all_devices: bool,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        if all_devices {
            session::delete_all(db, &viewer.user_id, None).await?;
        } else {
            session::delete(db, &viewer.session_id).await?;
        }
        clear_cookie(ctx);
        tracing::info!(user_id = %viewer.user_id, all_devices, "signed out");
        Ok(true)
    }

    /// Returns a new token for the current session. Its expiry moves forward
    /// by the idle timeout at most once a day, and never past the session's
    /// absolute lifetime; otherwise the new token expires with the old one.
    #[graphql(guard = "Authenticated")]
    async fn refresh_session(&self, ctx: &Context<'_>) -> AppResult<AuthPayload> {
        let viewer = require_viewer(ctx).await?;
        let app = app(ctx);
        let current = session::find_by_id(&app.db, &viewer.session_id)
            .await?
            .ok_or(AppError::Unauthenticated("the session has ended"))?;

        let renewed = session::renew(&app.db, &app.settings, current).await?;

        let user = repo::find_by_id(&app.db, &viewer.user_id)
            .await?
            .ok_or_else(|| {
                AppError::internal("the viewer's account is missing", &viewer.user_id)
            })?;
        let mut payload = payload(app, user, &renewed)?;
        // A browser session lives in its cookie: renew the cookie too.
        if by_cookie(ctx) {
            set_cookie(ctx, app, &mut payload);
        }
        Ok(payload)
    }

    /// Ends one of the viewer's sessions. An id that is not one of the viewer's
    /// live sessions is `NOT_FOUND`.
    #[graphql(guard = "Authenticated")]
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session's id, from `mySessions`.")] id: ID,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let db = &app(ctx).db;
        let found = session::find_by_id(db, &id)
            .await?
            .filter(|row| row.user_id == viewer.user_id)
            .ok_or_else(|| AppError::NotFound("there is no such session".into()))?;
        session::delete(db, &found.id).await?;
        Ok(true)
    }

    /// Changes the viewer's password and ends every other session.
    #[graphql(guard = "Authenticated")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password now in use.")] current_password: String,
        #[graphql(
            desc = "The new password: 8 to 72 bytes, not only white space, not a common one, not the current one."
        )]
        new_password: String,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let new_password =
            Password::parse(&new_password).map_err(|err| err.for_field("newPassword"))?;
        if new_password.as_str() == current_password {
            return Err(AppError::bad_input(
                "newPassword",
                "the new password must differ from the current one",
            ));
        }
        let app = app(ctx);
        let user = confirm_password(app, &viewer, &current_password, "currentPassword").await?;

        let hash = app.passwords.hash(new_password.as_str()).await?;
        repo::set_password(&app.db, &user.id, hash).await?;
        session::delete_all(&app.db, &user.id, Some(&viewer.session_id)).await?;

        tracing::info!(user_id = %user.id, "password changed");
        Ok(true)
    }

    /// Deletes the viewer's account and everything it owns: posts, stories,
    /// pictures, likes, follows and sessions.
    #[graphql(guard = "Authenticated")]
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's password, to confirm.")] password: String,
    ) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        let app = app(ctx);
        let user = confirm_password(app, &viewer, &password, "password").await?;

        repo::delete_account(&app.db, &user.id).await?;

        clear_cookie(ctx);
        tracing::info!(user_id = %user.id, "account deleted");
        Ok(true)
    }
}

/// Checks `password` against `user`'s hash, or against the dummy hash when
/// there is no user, so that both take the same time.
async fn verify_password(
    app: &AppContext,
    user: Option<&user::Model>,
    password: &str,
) -> AppResult<bool> {
    // bcrypt ignores what follows 72 bytes or a NUL: such a password must not
    // match a stored one that equals its beginning. The check still runs, so
    // the answer takes as long as any other.
    let verifiable = Password::is_verifiable(password);
    let hash = user
        .filter(|_| verifiable)
        .map(|user| user.password.as_str());
    app.passwords.verify(password, hash).await
}

/// The viewer's account, once `password` (the argument `field`) is confirmed
/// to be its password. Wrong guesses count towards the account's attempt
/// limit.
async fn confirm_password(
    app: &AppContext,
    viewer: &Viewer,
    password: &str,
    field: &'static str,
) -> AppResult<user::Model> {
    let user = repo::find_by_id(&app.db, &viewer.user_id)
        .await?
        .ok_or_else(|| AppError::internal("the viewer's account is missing", &viewer.user_id))?;
    let key = throttle::key("signin:account", &user.email);
    let policy = Policy::account(app.settings.signin_max_failures);
    throttle::attempt(&app.db, &key, policy).await?;
    if !verify_password(app, Some(&user), password).await? {
        return Err(AppError::bad_input(field, "the password is not right"));
    }
    throttle::forgive(&app.db, &key).await?;
    Ok(user)
}

/// Opens a session for `user` and signs a token for it.
async fn start_session(
    ctx: &Context<'_>,
    app: &AppContext,
    user: user::Model,
    cookie: bool,
) -> AppResult<AuthPayload> {
    let client = client(ctx);
    let session = session::create(
        &app.db,
        &app.settings,
        &user.id,
        client.user_agent.as_deref(),
    )
    .await?;
    let mut payload = payload(app, user, &session)?;
    if cookie {
        set_cookie(ctx, app, &mut payload);
    }
    Ok(payload)
}

/// Puts the token of `payload` in the session cookie, and takes it out of the
/// answer, where page scripts could read what the cookie keeps from them.
fn set_cookie(ctx: &Context<'_>, app: &AppContext, payload: &mut AuthPayload) {
    let max_age = (payload.expires_at - clock::now()).num_seconds().max(0);
    let secure = if app.settings.bind_addr.ip().is_loopback() {
        ""
    } else {
        "; Secure"
    };
    let token = std::mem::take(&mut payload.token);
    ctx.append_http_header(
        "Set-Cookie",
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ),
    );
}

/// Whether this request was authenticated by the session cookie.
fn by_cookie(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<crate::auth::RequestAuth>()
        .is_some_and(crate::auth::RequestAuth::is_cookie)
}

/// A token for `session`, with the account it belongs to.
fn payload(
    app: &AppContext,
    user: user::Model,
    session: &session_row::Model,
) -> AppResult<AuthPayload> {
    let token = app.tokens.issue(
        &user.id,
        &session.session_token,
        clock::now(),
        session.expires,
    )?;
    Ok(AuthPayload {
        token,
        expires_at: session.expires,
        user: User::for_owner(user),
    })
}

/// Tells a browser to forget the session cookie.
fn clear_cookie(ctx: &Context<'_>) {
    ctx.append_http_header(
        "Set-Cookie",
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
}
