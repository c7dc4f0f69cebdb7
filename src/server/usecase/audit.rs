//! The 変更履歴: reading it, and checking its hash chain end to end.

use super::ApiError;
use crate::api::{AuditEvent, AuditVerifyResult};
use crate::server::state::AppState;

/// At most `limit` events, oldest first, of one institution (a code typed any way: 400 if
/// malformed) or of all.
pub async fn list(state: &AppState, code: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>, ApiError> {
    let code = super::institutions::parse_code_filter(code)?;
    Ok(state.store.audit(code.as_deref(), limit).await?)
}

/// Checks every link of the chain; the first broken one, if any.
pub async fn verify(state: &AppState) -> Result<AuditVerifyResult, ApiError> {
    let v = state.store.verify_audit().await?;
    Ok(AuditVerifyResult {
        ok: v.first_broken_seq.is_none(),
        events: v.events,
        first_broken_seq: v.first_broken_seq,
    })
}
