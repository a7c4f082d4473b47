//! The `signUp`, `signIn` and `signOut` mutations.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::user;

use crate::{
    auth::{Authenticated, require_viewer, session},
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

/// What a new account is made of.
#[derive(InputObject)]
pub struct SignUpInput {
    /// Email address; compared without regard to case or surrounding spaces.
    pub email: String,
    /// 1 to 30 letters, digits, `.` or `_`; unique without regard to case.
    pub username: String,
    /// 8 to 72 bytes.
    pub password: String,
    /// Free text about the user, up to 500 characters.
    #[graphql(default)]
    pub description: String,
}

/// A signed-in session: the token to send and the account it belongs to.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <token>` on every request.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

/// Mutations that sign people up, in and out.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account and signs it in. A taken email or username is a
    /// `CONFLICT` error whose `extensions.field` names the field.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's details.")] input: SignUpInput,
    ) -> AppResult<AuthPayload> {
        let email = Email::parse(&input.email)?;
        let username = Username::parse(&input.username)?;
        let password = Password::parse(&input.password)?;
        let description = Description::parse(&input.description)?;
        let app = app(ctx);

        let password_hash = app.passwords.hash(password.as_str()).await?;
        let account = NewAccount {
            email: &email,
            username: &username,
            password_hash,
            description: &description,
        };
        let user = repo::create_account(&app.db, account).await?;

        tracing::info!(user_id = %user.id, "account created");
        start_session(ctx, app, user).await
    }

    // TODO: limit sign-in and sign-up attempts per account and per address.

    /// Signs in with email and password. An unknown email and a wrong password
    /// get the same `UNAUTHENTICATED` error.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email, in any case.")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> AppResult<AuthPayload> {
        let app = app(ctx);
        let email = Email::normalize(&email);

        // An empty email must not match anything, and must cost a full check.
        let user = if email.is_empty() {
            None
        } else {
            repo::find_by_email(&app.db, &email).await?
        };
        // bcrypt ignores what follows 72 bytes or a NUL: such a password must
        // not match a stored one that equals its beginning. The check still
        // runs, so the answer takes as long as any other.
        let verifiable = Password::is_verifiable(&password);
        let hash = user
            .as_ref()
            .filter(|_| verifiable)
            .map(|user| user.password.as_str());
        let matches = app.passwords.verify(&password, hash).await?;

        match user {
            Some(user) if matches => start_session(ctx, app, user).await,
            _ => {
                tracing::debug!("sign-in refused");
                Err(AppError::Unauthenticated(BAD_CREDENTIALS))
            }
        }
    }

    /// Ends the session of the token used; that token is refused from then on.
    #[graphql(guard = "Authenticated")]
    async fn sign_out(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let viewer = require_viewer(ctx).await?;
        session::delete(&app(ctx).db, &viewer.session_id).await?;
        tracing::info!(user_id = %viewer.user_id, "signed out");
        Ok(true)
    }
}

/// Opens a session for `user` and signs a token for it.
async fn start_session(
    ctx: &Context<'_>,
    app: &AppContext,
    user: user::Model,
) -> AppResult<AuthPayload> {
    let issued = clock::now();
    let lifetime = chrono::Duration::from_std(app.settings.session_lifetime)
        .map_err(|err| AppError::internal("session lifetime out of range", err))?;
    let expires = issued + lifetime;
    let user_agent = ctx
        .data_opt::<ClientInfo>()
        .and_then(|client| client.user_agent.as_deref());

    let session = session::create(&app.db, &user.id, expires, user_agent).await?;
    let token = app
        .tokens
        .issue(&user.id, &session.session_token, issued, expires)?;

    Ok(AuthPayload {
        token,
        expires_at: expires,
        user: User::for_owner(user),
    })
}
