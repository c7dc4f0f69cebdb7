//! The idempotency record of a change: a retry with the same key and body gets the first
//! answer again; the same key with another body is refused.

use serde::{Deserialize, Serialize};

use super::Conn;
use crate::domain::ReaderApplication;
use crate::store::{ChangeOutcome, StoreError};

/// What identifies a change for idempotency: the operator's key, and what it was used for.
pub(super) struct Key<'a> {
    pub key: &'a str,
    pub operator: &'a str,
    pub code: &'a str,
    /// SHA-256 hex of the request body.
    pub request_hash: &'a str,
}

/// What the idempotency table keeps of a change, returned verbatim on a retry.
#[derive(Serialize, Deserialize)]
struct StoredOutcome {
    receipt_no: String,
    before: ReaderApplication,
    after: ReaderApplication,
}

/// The earlier answer to this operator's key, if the key was used: `Err` when it was used for
/// another institution or body.
pub(super) async fn replay(conn: &mut Conn, key: &Key<'_>) -> Result<Option<ChangeOutcome>, StoreError> {
    let earlier: Option<(String, String, String)> = sqlx::query_as(
        "SELECT code, request_hash, response FROM idempotency WHERE key = $1 AND operator = $2",
    )
    .bind(key.key)
    .bind(key.operator)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((earlier_code, earlier_hash, response)) = earlier else { return Ok(None) };
    if earlier_code != key.code || earlier_hash != key.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    let stored: StoredOutcome = serde_json::from_str(&response)
        .map_err(|e| StoreError::internal(format!("stored idempotent response: {e}")))?;
    Ok(Some(ChangeOutcome {
        receipt_no: stored.receipt_no,
        before: stored.before,
        after: stored.after,
        replayed: true,
    }))
}

/// Records the answer to the change `key` identifies.
pub(super) async fn record(
    conn: &mut Conn,
    key: &Key<'_>,
    outcome: &ChangeOutcome,
    now: &str,
) -> Result<(), StoreError> {
    let stored = StoredOutcome {
        receipt_no: outcome.receipt_no.clone(),
        before: outcome.before.clone(),
        after: outcome.after.clone(),
    };
    sqlx::query(
        "INSERT INTO idempotency (key, operator, code, request_hash, response, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.key)
    .bind(key.operator)
    .bind(key.code)
    .bind(key.request_hash)
    .bind(serde_json::to_string(&stored).map_err(StoreError::internal)?)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        // The same key sent at the same moment for another institution (PostgreSQL: the two
        // transactions lock different rows) is the same misuse as a later reuse.
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            StoreError::IdempotencyMismatch
        } else {
            StoreError::Database(e)
        }
    })?;
    Ok(())
}
