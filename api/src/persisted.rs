//! Automatic persisted queries: once a client has sent a document with its
//! SHA-256 hash, it may send the hash alone.
//!
//! The texts of documents are kept, per instance, in a least-recently-used
//! cache bounded by count and by length, so anonymous clients cannot make it
//! take more than [`MAX_KEPT_BYTES`] times [`PERSISTED_QUERIES`] of memory. A
//! parsed document can be tens of times larger than its text, so the text is
//! kept and parsed again on each use, like any other request's.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, PoisonError},
};

use async_graphql::{Request, ServerResult};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::coded;

/// Documents remembered, per server instance.
pub const PERSISTED_QUERIES: usize = 512;

/// The longest document kept, in bytes.
pub const MAX_KEPT_BYTES: usize = 8 * 1024;

/// The message clients look for to send the document with its hash.
pub const NOT_FOUND: &str = "PersistedQueryNotFound";

/// The `persistedQuery` entry of a request's `extensions`.
#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The texts of registered documents, by hash.
pub struct PersistedQueries {
    texts: Mutex<LruCache<String, Arc<str>>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(PERSISTED_QUERIES).unwrap_or(NonZeroUsize::MIN);
        Self {
            texts: Mutex::new(LruCache::new(capacity)),
        }
    }
}

impl PersistedQueries {
    /// The text registered under `hash`, if it is still kept.
    pub fn text(&self, hash: &str) -> Option<Arc<str>> {
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        texts.get(hash).cloned()
    }

    /// Keeps `text` under `hash`, unless it is too long to keep: longer
    /// documents run but are not kept, so their hash alone stays unknown.
    pub fn keep(&self, hash: String, text: &str) {
        if text.len() > MAX_KEPT_BYTES {
            return;
        }
        let mut texts = self.texts.lock().unwrap_or_else(PoisonError::into_inner);
        texts.put(hash, Arc::from(text));
    }
}

/// Reads the `persistedQuery` entry of `request`. A request that names a
/// document by hash alone gets that document's text as its query. Answers
/// the hash to keep the request's text under once it has passed the checks:
/// `Some` when the request registers a document.
pub fn resolve(queries: &PersistedQueries, request: &mut Request) -> ServerResult<Option<String>> {
    let Some(value) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let persisted: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
        coded(
            "GRAPHQL_VALIDATION_FAILED",
            "`persistedQuery` must hold `version` and `sha256Hash`",
        )
    })?;
    if persisted.version != 1 {
        return Err(coded(
            "GRAPHQL_VALIDATION_FAILED",
            "only version 1 of `persistedQuery` is supported",
        ));
    }
    if request.query.is_empty() {
        return match queries.text(&persisted.sha256_hash) {
            Some(text) => {
                request.query = text.to_string();
                Ok(None)
            }
            None => Err(coded("PERSISTED_QUERY_NOT_FOUND", NOT_FOUND)),
        };
    }
    let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
    if hash != persisted.sha256_hash {
        return Err(coded(
            "GRAPHQL_VALIDATION_FAILED",
            "`sha256Hash` is not the hash of the query",
        ));
    }
    Ok(Some(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_by_count_and_by_length() {
        let queries = PersistedQueries::default();
        for n in 0..=PERSISTED_QUERIES {
            queries.keep(format!("hash {n}"), &format!("{{ n{n}: __typename }}"));
        }
        queries.keep("long".to_owned(), &"#".repeat(MAX_KEPT_BYTES + 1));

        assert!(queries.text("hash 0").is_none(), "the oldest went first");
        assert!(queries.text("hash 1").is_some());
        assert!(queries.text(&format!("hash {PERSISTED_QUERIES}")).is_some());
        assert!(queries.text("long").is_none());
    }
}
