//! Automatic persisted queries: once a client has sent a document with its
//! SHA-256 hash, it may send the hash alone.
//!
//! Documents are kept, parsed, in async-graphql's LRU cache, per instance.

use async_graphql::{
    Request, ServerResult,
    extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage},
    parser::types::ExecutableDocument,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{error::coded, limits};

/// The `persistedQuery` entry of a request's `extensions`.
#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The longest document kept, in bytes; with
/// [`PERSISTED_QUERIES`](crate::schema::PERSISTED_QUERIES) entries it bounds
/// the cache at a few MiB of documents.
pub const MAX_KEPT_BYTES: usize = 8 * 1024;

/// The message clients look for to send the document with its hash.
pub const NOT_FOUND: &str = "PersistedQueryNotFound";

/// The parsed document a request names by hash, or registers with its
/// text; `None` for a request without `persistedQuery`.
pub async fn resolve(
    storage: &LruCacheStorage,
    request: &mut Request,
) -> ServerResult<Option<ExecutableDocument>> {
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
        return match storage.get(persisted.sha256_hash).await {
            Some(document) => Ok(Some(document)),
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
    let document = async_graphql::parser::parse_query(&request.query)
        .map_err(|err| limits::parse_failed(err.into()))?;
    // Longer documents run but are not kept: the cache holds a number of
    // documents, so their size bounds the memory anyone can make it take.
    if request.query.len() <= MAX_KEPT_BYTES {
        storage.set(hash, document.clone()).await;
    }
    Ok(Some(document))
}
