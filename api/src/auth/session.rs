//! Server-side sessions: opened at sign-in, looked up on every authenticated
//! request, renewed, listed, and ended.
//!
//! A session ends at `expires`, which renewal pushes back by the idle timeout,
//! at most once a day and never past `absolute_expires`, fixed at sign-in.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{auth_throttle, session};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Select, sea_query::Expr,
};

use crate::{
    clock,
    config::Settings,
    error::{AppError, AppResult},
};

/// How often a session's expiry may be pushed back.
pub const RENEWAL_INTERVAL: Duration = Duration::days(1);
/// How stale `last_used_at` may get before a request updates it.
const LAST_USED_PRECISION: Duration = Duration::minutes(5);

/// 256 random bits, URL-safe.
fn random_256() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn duration(std: std::time::Duration, what: &str) -> AppResult<Duration> {
    Duration::from_std(std).map_err(|err| AppError::internal(what, err))
}

/// Opens a session for `user_id`.
pub async fn create(
    db: &impl ConnectionTrait,
    settings: &Settings,
    user_id: &str,
    user_agent: Option<&str>,
) -> AppResult<session::Model> {
    let now = clock::now();
    let absolute = now + duration(settings.session_lifetime, "session lifetime out of range")?;
    let idle = now + duration(settings.session_idle_timeout, "idle timeout out of range")?;
    let model = session::Model {
        id: random_256(),
        session_token: random_256(),
        user_id: user_id.to_owned(),
        expires: idle.min(absolute),
        absolute_expires: absolute,
        created_at: now,
        renewed_at: now,
        last_used_at: now,
        user_agent: user_agent.map(|agent| agent.chars().take(512).collect()),
    };
    session::Entity::insert(session::ActiveModel {
        id: Set(model.id.clone()),
        session_token: Set(model.session_token.clone()),
        user_id: Set(model.user_id.clone()),
        expires: Set(model.expires),
        absolute_expires: Set(model.absolute_expires),
        created_at: Set(model.created_at),
        renewed_at: Set(model.renewed_at),
        last_used_at: Set(model.last_used_at),
        user_agent: Set(model.user_agent.clone()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(model)
}

/// The unexpired session of `user_id` with this token, if there is one. Notes
/// the use when the last one noted is a few minutes old.
pub async fn find_live(
    db: &impl ConnectionTrait,
    user_id: &str,
    token: &str,
) -> AppResult<Option<session::Model>> {
    let now = clock::now();
    let found = session::Entity::find()
        .filter(session::Column::SessionToken.eq(token))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Expires.gt(now))
        .one(db)
        .await?;
    if let Some(live) = &found
        && now - live.last_used_at > LAST_USED_PRECISION
    {
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::value(now))
            .filter(session::Column::Id.eq(live.id.as_str()))
            .exec(db)
            .await?;
    }
    Ok(found)
}

/// The session with this id, if it is live.
pub async fn find_by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<session::Model>> {
    Ok(session::Entity::find_by_id(id.to_owned())
        .filter(session::Column::Expires.gt(clock::now()))
        .one(db)
        .await?)
}

/// Pushes back the expiry of `current` by the idle timeout, unless that was
/// done less than [`RENEWAL_INTERVAL`] ago; never past its absolute expiry.
/// Returns the session as it now is.
pub async fn renew(
    db: &impl ConnectionTrait,
    settings: &Settings,
    current: session::Model,
) -> AppResult<session::Model> {
    let now = clock::now();
    if now - current.renewed_at < RENEWAL_INTERVAL {
        return Ok(current);
    }
    let idle = now + duration(settings.session_idle_timeout, "idle timeout out of range")?;
    let expires = idle.min(current.absolute_expires);
    session::Entity::update_many()
        .col_expr(session::Column::Expires, Expr::value(expires))
        .col_expr(session::Column::RenewedAt, Expr::value(now))
        .filter(session::Column::Id.eq(current.id.as_str()))
        .exec(db)
        .await?;
    Ok(session::Model {
        expires,
        renewed_at: now,
        ..current
    })
}

/// The live sessions of `user_id`, most recently used first.
pub async fn list(db: &impl ConnectionTrait, user_id: &str) -> AppResult<Vec<session::Model>> {
    Ok(list_query(user_id, clock::now()).all(db).await?)
}

/// The query of [`list`], for sessions live at `now`.
pub fn list_query(user_id: &str, now: DateTime<Utc>) -> Select<session::Entity> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Expires.gt(now))
        .order_by_desc(session::Column::LastUsedAt)
        .order_by_desc(session::Column::Id)
}

/// Ends a session; its token is rejected from then on.
pub async fn delete(db: &impl ConnectionTrait, session_id: &str) -> AppResult<()> {
    session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` except `keep`, if given.
pub async fn delete_all(
    db: &impl ConnectionTrait,
    user_id: &str,
    keep: Option<&str>,
) -> AppResult<u64> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Deletes expired sessions and attempt records nobody needs any more;
/// returns how many sessions went.
pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    let sessions = session::Entity::delete_many()
        .filter(session::Column::Expires.lte(now))
        .exec(db)
        .await?;
    auth_throttle::Entity::delete_many()
        .filter(auth_throttle::Column::LastFailure.lt(now - Duration::days(1)))
        .filter(
            Condition::any()
                .add(auth_throttle::Column::BlockedUntil.is_null())
                .add(auth_throttle::Column::BlockedUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(sessions.rows_affected)
}
