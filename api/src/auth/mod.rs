//! Accounts and sign-in: password hashing, signed tokens, server-side sessions,
//! the guard that protects fields, and the `signUp`, `signIn` and `signOut`
//! mutations.
//!
//! A token is a JWT signed with HS256 whose `sid` claim names a row in
//! `sessions`. It is honoured only while its signature, its expiry and that row
//! all hold, so signing out takes effect at once on every server instance.

mod graphql;
pub mod guard;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;

pub use graphql::{AuthMutation, AuthPayload, AuthQuery, SESSION_COOKIE};
pub use guard::{Authenticated, RequestAuth, Viewer, current_viewer, require_viewer};
