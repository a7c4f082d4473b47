//! Integration tests of the InstaNext API, through the real schema and router,
//! on a fresh database per test (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used)]

mod auth;
mod cookies;
mod durability;
mod faults;
mod feed;
mod fuzz;
mod guard;
mod http;
mod http_spec;
mod instances;
mod limits;
mod plans;
mod posts;
mod process;
mod profiles;
mod schema;
mod search;
mod seed;
mod sessions;
mod shutdown;
mod social;
mod startup;
mod stories;
mod throttling;
mod unicode;
