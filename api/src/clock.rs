//! The current time, as stored.
//!
//! PostgreSQL keeps microseconds; SQLite keeps whatever text it is given. Every
//! timestamp is cut to microseconds before it is written, so a value read back
//! from either database equals the one written, and cursors built from it find
//! their place exactly.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, in UTC, to the microsecond.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
