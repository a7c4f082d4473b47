//! Password hashing with bcrypt, on a bounded number of blocking threads.
//!
//! bcrypt is slow on purpose. Each hash or check runs on tokio's blocking pool,
//! never on the async workers, and only a few run at once (by default half the
//! processors); the rest wait their turn without holding a thread, so a burst
//! of sign-ins cannot crowd out other requests.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Hashes and checks passwords at a fixed cost.
pub struct Passwords {
    cost: u32,
    /// A real hash of a random password, checked when an email is unknown so
    /// that such a sign-in costs what a wrong password costs.
    dummy_hash: String,
    permits: Arc<Semaphore>,
    /// How many checks have run, for the record of work done.
    verifications: AtomicU64,
}

impl Passwords {
    /// `concurrency` bounds the hashes running at once; `None` means half the
    /// processors, at least one.
    pub fn new(cost: u32, concurrency: Option<u32>) -> AppResult<Self> {
        let dummy = cuid2::create_id();
        let dummy_hash = bcrypt::hash(dummy, cost)
            .map_err(|err| AppError::internal("cannot hash the dummy password", err))?;
        let processors = std::thread::available_parallelism().map_or(1, usize::from);
        let permits = concurrency.map_or((processors / 2).max(1), |n| n as usize);
        Ok(Self {
            cost,
            dummy_hash,
            permits: Arc::new(Semaphore::new(permits)),
            verifications: AtomicU64::new(0),
        })
    }

    /// Runs `work` on a blocking thread once a permit is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|err| AppError::internal("the password pool is closed", err))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| AppError::internal("a password task failed", err))
    }

    /// How many password checks have run since start-up.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let password = password.to_owned();
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost))
            .await?
            .map_err(|err| AppError::internal("cannot hash a password", err))
    }

    /// Whether `password` matches `hash`. A missing or malformed stored hash
    /// is a mismatch, not an error, found after a full check against the
    /// dummy hash, so that it takes as long as a wrong password.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let password = password.to_owned();
        let (hash, known) = self.hash_to_check(hash);
        let hash = hash.to_owned();
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let matches = self.run(move || bcrypt::verify(password, &hash)).await?;
        Ok(known && matches.unwrap_or(false))
    }

    /// The hash a check runs against, and whether it is the stored one: a
    /// malformed hash would make bcrypt give up at once, with no hashing.
    fn hash_to_check<'a>(&'a self, stored: Option<&'a str>) -> (&'a str, bool) {
        match stored {
            Some(hash) if hash.parse::<bcrypt::HashParts>().is_ok() => (hash, true),
            _ => (&self.dummy_hash, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_and_missing_hashes_are_checked_against_the_dummy() {
        let passwords = Passwords::new(4, Some(1)).expect("hashing at cost 4");
        let good = bcrypt::hash("a long passphrase", 4).expect("hashing at cost 4");

        assert_eq!(passwords.hash_to_check(Some(&good)), (good.as_str(), true));
        for broken in ["", "not a hash", "$2b$04$short", &good[..59]] {
            let (hash, known) = passwords.hash_to_check(Some(broken));
            assert_eq!((hash, known), (passwords.dummy_hash.as_str(), false));
        }
        assert_eq!(
            passwords.hash_to_check(None),
            (passwords.dummy_hash.as_str(), false)
        );
    }

    #[tokio::test]
    async fn a_broken_hash_never_matches() {
        let passwords = Passwords::new(4, Some(1)).expect("hashing at cost 4");
        let dummy = passwords.dummy_hash.clone();
        assert!(
            !passwords
                .verify("secret", Some("garbage"))
                .await
                .expect("a check")
        );
        assert!(!passwords.verify("secret", None).await.expect("a check"));
        assert!(
            !passwords
                .verify("secret", Some(&dummy[..59]))
                .await
                .expect("a check")
        );
    }
}
