//! Password hashing with bcrypt, off the async workers.

use crate::error::{AppError, AppResult};

/// Hashes and checks passwords at a fixed cost.
pub struct Passwords {
    cost: u32,
    /// A real hash of a random password, checked when an email is unknown so
    /// that such a sign-in costs what a wrong password costs.
    dummy_hash: String,
}

impl Passwords {
    pub fn new(cost: u32) -> AppResult<Self> {
        let dummy = cuid2::create_id();
        let dummy_hash = bcrypt::hash(dummy, cost)
            .map_err(|err| AppError::internal("cannot hash the dummy password", err))?;
        Ok(Self { cost, dummy_hash })
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
            .await
            .map_err(|err| AppError::internal("password hashing task failed", err))?
            .map_err(|err| AppError::internal("cannot hash a password", err))
    }

    /// Whether `password` matches `hash`; `None` checks against the dummy hash
    /// and is always false. A malformed stored hash is a mismatch, not an error.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .map_err(|err| AppError::internal("password check task failed", err))?;
        Ok(known && matches.unwrap_or(false))
    }
}
