//! Server-side sessions: created at sign-in, looked up on every authenticated
//! request, deleted at sign-out.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::session;
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{clock, error::AppResult};

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Opens a session for `user_id` that ends at `expires`.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: &str,
    expires: DateTime<Utc>,
    user_agent: Option<&str>,
) -> AppResult<session::Model> {
    let now = clock::now();
    let model = session::Model {
        id: cuid2::create_id(),
        session_token: random_token(),
        user_id: user_id.to_owned(),
        expires,
        created_at: now,
        last_used_at: now,
        user_agent: user_agent.map(|agent| agent.chars().take(512).collect()),
    };
    let active = session::ActiveModel {
        id: Set(model.id.clone()),
        session_token: Set(model.session_token.clone()),
        user_id: Set(model.user_id.clone()),
        expires: Set(model.expires),
        created_at: Set(model.created_at),
        last_used_at: Set(model.last_used_at),
        user_agent: Set(model.user_agent.clone()),
    };
    session::Entity::insert(active)
        .exec_without_returning(db)
        .await?;
    Ok(model)
}

/// The unexpired session of `user_id` with this token, if there is one.
pub async fn find_live(
    db: &impl ConnectionTrait,
    user_id: &str,
    token: &str,
) -> AppResult<Option<session::Model>> {
    Ok(session::Entity::find()
        .filter(session::Column::SessionToken.eq(token))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Expires.gt(clock::now()))
        .one(db)
        .await?)
}

// TODO: purge expired sessions in the background; they are refused but kept.

/// Ends a session; its token is rejected from then on.
pub async fn delete(db: &impl ConnectionTrait, session_id: &str) -> AppResult<()> {
    session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}
