//! `StoreError`: every way a store call fails, in terms the API can answer.

use crate::domain::{ReaderApplication, RuleError};

/// Errors of the store layer. `Conflict`/`Rule`/`Idempotency*`/`Invalid` carry what the API
/// needs to answer 412, 409 and 422; `Internal` and `Database` are failures of the server,
/// logged and never shown raw (500).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row; the text says what was looked for.
    #[error("not found: {0}")]
    NotFound(String),
    /// The application changed since the client read it (`If-Match` is stale).
    #[error("stale version: expected {expected}, current {current}")]
    StaleVersion {
        /// The version the client sent.
        expected: i64,
        /// The version stored now.
        current: i64,
        /// The application as it stands now.
        current_state: Box<ReaderApplication>,
    },
    /// A domain rule refused the change.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The change collides with what exists (an operator name already in use): the message
    /// says what to do (409).
    #[error("{0}")]
    Conflict(String),
    /// The same Idempotency-Key was used before with a different request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// The request names something unacceptable (an unknown model or call, an empty name):
    /// the message says what to do.
    #[error("invalid data: {0}")]
    Invalid(String),
    /// Not the request's fault: a stored value that does not read back, a background task
    /// that failed, a value we could not serialize.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database given cannot be used as it is (not SQLite, another program's, a newer
    /// schema): the message says what to do, and nothing was written to it.
    #[error("{0}")]
    Unusable(String),
    /// The database failed (connection, SQL): logged, never shown raw.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// An [`StoreError::Internal`] from anything printable.
    pub fn internal(what: impl std::fmt::Display) -> StoreError {
        StoreError::Internal(what.to_string())
    }
}
