//! Attempt limiting for sign-in and sign-up, kept in the database so that
//! every server instance on it sees the same counts.
//!
//! A key (an account, a client address) may fail a number of times within a
//! window; at the limit it is blocked, for a time that doubles with each
//! further failure up to a cap. A blocked key is refused before any password
//! is checked, so blocked guesses cost no bcrypt work either.

use chrono::{DateTime, Duration, Utc};
use entity::auth_throttle::{self, Column};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, StatementBuilder,
    sea_query::{Expr, OnConflict, Query},
};
use sha2::{Digest, Sha256};

use crate::{
    clock,
    error::{AppError, AppResult},
};

/// How failures of one kind of key are counted.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Failures within the window before the key is blocked.
    pub limit: i32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// First block; each further failure doubles it.
    pub first_block: Duration,
    /// Longest block.
    pub max_block: Duration,
}

impl Policy {
    /// Sign-in failures of one account.
    pub fn account(limit: i32) -> Self {
        Self {
            limit,
            window: Duration::minutes(15),
            first_block: Duration::seconds(30),
            max_block: Duration::minutes(15),
        }
    }

    /// Sign-in failures from one client address.
    pub fn address(limit: i32) -> Self {
        Self::account(limit)
    }

    /// Sign-ups from one client address: every attempt counts, `limit` an hour.
    pub fn sign_ups(limit: i32) -> Self {
        Self {
            limit,
            window: Duration::hours(1),
            first_block: Duration::hours(1),
            max_block: Duration::hours(1),
        }
    }

    /// The end of the block of a key whose failures, `count`, this update
    /// sets, as an SQL expression: none below the limit, then one that
    /// doubles with each failure up to the cap.
    fn blocked_until(&self, count: Expr, now: DateTime<Utc>) -> Expr {
        use sea_orm::sea_query::ExprTrait;

        let none = Expr::value(Option::<DateTime<Utc>>::None);
        let mut case = Expr::case(count.clone().lt(self.limit), none);
        let mut failures = self.limit;
        while self.block_for(failures) < self.max_block && failures < self.limit + 20 {
            case = case.case(
                count.clone().eq(failures),
                Expr::value(now + self.block_for(failures)),
            );
            failures += 1;
        }
        case.finally(Expr::value(now + self.max_block)).into()
    }

    /// How long a key with `failures` failures is blocked.
    fn block_for(&self, failures: i32) -> Duration {
        let doublings = (failures - self.limit).clamp(0, 20) as u32;
        let first = self.first_block.num_seconds().max(1);
        let seconds = first.saturating_mul(1i64 << doublings);
        Duration::seconds(seconds).min(self.max_block)
    }
}

/// The stored form of a key: its kind and a hash of its value, so that no
/// email address or client address is kept in this table.
pub fn key(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{kind}:{hex}")
}

/// Refuses with `RATE_LIMITED` when any of `keys` is blocked.
pub async fn check(db: &impl ConnectionTrait, keys: &[&str]) -> AppResult<()> {
    let now = clock::now();
    let blocked = auth_throttle::Entity::find()
        .filter(Column::Key.is_in(keys.iter().copied()))
        .filter(Column::BlockedUntil.gt(now))
        .all(db)
        .await?;
    let until = blocked.iter().filter_map(|row| row.blocked_until).max();
    match until {
        Some(until) => {
            tracing::debug!("attempt refused by the attempt limit");
            Err(AppError::RateLimited {
                retry_after_secs: retry_after(now, until),
            })
        }
        None => Ok(()),
    }
}

fn retry_after(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

/// Counts an attempt of `key` before any password is checked, and refuses it
/// with `RATE_LIMITED` while the key is blocked.
///
/// The attempt is claimed in one atomic statement that counts it and, at the
/// limit, blocks the key, but only where the key is not blocked already. So
/// requests racing past [`check`] together cannot all slip through: once the
/// limit is reached, the claim of every other attempt finds the key blocked.
/// When a block has run out, exactly one attempt is let through; if it fails
/// too, the next block is twice as long. An attempt that then succeeds is
/// taken back with [`clear`] or [`forgive`].
pub async fn attempt(db: &impl ConnectionTrait, key: &str, policy: Policy) -> AppResult<()> {
    use sea_orm::sea_query::ExprTrait;

    let now = clock::now();
    let backend = db.get_database_backend();

    // A key seen for the first time needs a row to claim.
    let insert = Query::insert()
        .into_table(auth_throttle::Entity)
        .columns([Column::Key, Column::Failures, Column::LastFailure])
        .values_panic([key.into(), 0.into(), now.into()])
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .to_owned();
    db.execute_raw(StatementBuilder::build(&insert, &backend))
        .await?;

    // Both expressions read the row as it was before this update; the count
    // starts again when the last failure is older than the window.
    let count: Expr = Expr::case(Expr::col(Column::LastFailure).lt(now - policy.window), 1)
        .finally(Expr::col(Column::Failures).add(1))
        .into();
    let claim = Query::update()
        .table(auth_throttle::Entity)
        .value(Column::Failures, count.clone())
        .value(Column::LastFailure, now)
        .value(Column::BlockedUntil, policy.blocked_until(count, now))
        .and_where(Column::Key.eq(key))
        .cond_where(
            Condition::any()
                .add(Column::BlockedUntil.is_null())
                .add(Column::BlockedUntil.lte(now)),
        )
        .returning_col(Column::Failures)
        .to_owned();
    let claimed = db
        .query_one_raw(StatementBuilder::build(&claim, &backend))
        .await?;
    if claimed.is_some() {
        return Ok(());
    }

    // Blocked: by an attempt that raced this one, or since before `check`.
    check(db, &[key]).await?;
    Err(AppError::RateLimited {
        retry_after_secs: 1,
    })
}

/// Takes back one attempt of `key` that succeeded, and lifts the block it
/// brought on. For keys shared by many people, such as a client address,
/// where one success must not wipe out others' failures.
///
/// An attempt is only claimed while the key is not blocked, and the shortest
/// block is as long as a request may run by default (30 seconds), so a block
/// found here is the one this attempt's own claim set. Lifting it lets the
/// next attempt through at once; the count stays, so a failure after it
/// blocks the key again, for longer.
pub async fn forgive(db: &impl ConnectionTrait, key: &str) -> AppResult<()> {
    use sea_orm::sea_query::ExprTrait;

    auth_throttle::Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).sub(1))
        .col_expr(
            Column::BlockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Key.eq(key))
        .filter(Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the failures of `key`, as after a successful sign-in.
pub async fn clear(db: &impl ConnectionTrait, key: &str) -> AppResult<()> {
    auth_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_double_up_to_the_cap() {
        let policy = Policy::account(5);
        assert_eq!(policy.block_for(5), Duration::seconds(30));
        assert_eq!(policy.block_for(6), Duration::seconds(60));
        assert_eq!(policy.block_for(7), Duration::seconds(120));
        assert_eq!(policy.block_for(50), Duration::minutes(15));
    }

    #[test]
    fn keys_hold_no_personal_data() {
        let stored = key("signin:account", "ada@example.com");
        assert!(stored.starts_with("signin:account:"));
        assert!(!stored.contains("ada"));
    }
}
