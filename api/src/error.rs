//! The one error type of the API and its stable codes.
//!
//! Every error a client sees carries `extensions.code`. Internal failures are
//! logged once, here, where they are converted, and reach the client only as
//! "internal error": no database or driver text ever leaves the server.
//!
//! `AppError` deliberately does not implement `Display`: async-graphql turns any
//! `Display` type into an error carrying its text, and that path must not exist
//! for a type that can wrap a database error.

use async_graphql::{ErrorExtensions, ServerError};

/// What went wrong, in the terms a client can act on.
#[derive(Clone, Debug)]
pub enum AppError {
    /// No valid token, or the token's session has ended.
    Unauthenticated(&'static str),
    /// Signed in, but not allowed to do this.
    Forbidden(String),
    /// The thing named does not exist.
    NotFound(String),
    /// The input is malformed; `field` names the argument when there is one.
    BadInput {
        message: String,
        field: Option<&'static str>,
    },
    /// The input collides with existing data, such as a taken username.
    Conflict {
        message: String,
        field: Option<&'static str>,
    },
    /// Too many attempts; try again after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
    /// The database cannot be reached or is too busy; nothing was changed
    /// that the client was told of, and the same request may succeed later.
    Unavailable,
    /// Anything else. The details were logged when this value was made.
    Internal,
}

impl AppError {
    /// Logs `err` in full and returns the opaque internal error.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "{context}");
        Self::Internal
    }

    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput {
            message: message.into(),
            field: Some(field),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: Some(field),
        }
    }

    /// The same error about the argument `field`, for input checks shared by
    /// several arguments.
    pub fn for_field(self, field: &'static str) -> Self {
        match self {
            Self::BadInput { message, .. } => Self::BadInput {
                message,
                field: Some(field),
            },
            other => other,
        }
    }

    /// The stable code in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable => "SERVICE_UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The human-readable message a client receives.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(message) => (*message).to_owned(),
            Self::Forbidden(message) | Self::NotFound(message) => message.clone(),
            Self::BadInput { message, .. } | Self::Conflict { message, .. } => message.clone(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} seconds")
            }
            Self::Unavailable => "the service is unavailable; try again shortly".to_owned(),
            Self::Internal => "internal error".to_owned(),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadInput {
                    field: Some(field), ..
                }
                | Self::Conflict {
                    field: Some(field), ..
                } => ext.set("field", *field),
                Self::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs);
                }
                _ => {}
            }
        })
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Unavailable;
        }
        Self::internal("database error", err)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

/// The result type of everything below the GraphQL layer.
pub type AppResult<T> = Result<T, AppError>;

/// An error raised before the operation runs, with its code.
pub fn coded(code: &'static str, message: impl Into<String>) -> ServerError {
    let mut err = ServerError::new(message, None);
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    err
}

/// Gives a code to the errors async-graphql raises itself, which carry none:
/// `GRAPHQL_VALIDATION_FAILED` for a document, or variables, that do not fit
/// the schema or its limits, and `BAD_USER_INPUT` for a field's arguments that
/// cannot be read. An error about a field is about its arguments; one about
/// no field is about the document (an unknown operation, fragment nesting).
pub fn default_codes(errors: &mut [ServerError]) {
    for err in errors {
        let code = if err.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        let extensions = err.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
}
