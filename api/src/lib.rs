//! The InstaNext GraphQL server: accounts and sign-in, the home feed, stories
//! and profiles, over SQLite or PostgreSQL.
//!
//! The code is grouped by domain (`auth`, `users`, `posts`, `likes`,
//! `follows`, `stories`, `images`); each owns its GraphQL types, its loaders and its
//! database access, and `schema` merges them into the root types.

/// mimalloc rather than the system allocator, in every process that runs the
/// server (the binary, the benchmarks, the tests): answering a GraphQL request
/// builds and drops many small values, and on glibc's allocator that took a
/// quarter of a feed request's instructions (see the README's Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod auth;
pub mod batch;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod context;
pub mod db;
pub mod error;
pub mod follows;
pub mod graphiql;
pub mod http;
pub mod images;
pub mod likes;
pub mod limits;
pub mod metrics;
pub mod pagination;
pub mod persisted;
pub mod posts;
pub mod request;
pub mod schema;
pub mod seed;
pub mod stories;
pub mod telemetry;
pub mod users;
