//! 応対記録: opening a call, attaching an institution, its note, its wrap-up reasons, closing
//! it (never without a reason), and the FAQ answers given during it.

use super::ApiError;
use super::institutions::find;
use crate::api::{Call, UpdateCall};
use crate::domain::call::check_wrap_up;
use crate::server::auth::Caller;
use crate::server::state::AppState;

/// The longest note kept with a call, in characters.
const NOTE_MAX_CHARS: usize = 4000;

/// Checks an optional code in a call body: 400 if malformed, 404 if unknown.
async fn known_code(state: &AppState, code: Option<&str>) -> Result<Option<String>, ApiError> {
    match code {
        None => Ok(None),
        Some(raw) => Ok(Some(find(state, raw).await?.0.code.as_str().to_string())),
    }
}

/// Opens a call now (the timer in the status bar), optionally already for an institution.
pub async fn open(state: &AppState, caller: &Caller, code: Option<&str>) -> Result<Call, ApiError> {
    let code = known_code(state, code).await?;
    Ok(state.store.start_call(&caller.name, code.as_deref(), state.clock.now()).await?)
}

/// Attaches an institution, sets the note or the wrap-up reasons, or closes the call (now).
/// Closing needs at least one reason from the policy list, given now or before (422).
pub async fn update(state: &AppState, id: i64, update: &UpdateCall) -> Result<Call, ApiError> {
    if update.note.as_deref().is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
        return Err(ApiError::unprocessable("note_too_long", "メモは4000文字までです"));
    }
    let list = &state.policy.wrap_up_reason;
    let reasons = match update.reasons.as_deref() {
        Some(chosen) if !chosen.is_empty() || !update.close => Some(
            check_wrap_up(list, chosen)
                .map_err(|e| ApiError::unprocessable("invalid_reason", e.to_string()))?,
        ),
        _ => None,
    };
    let code = known_code(state, update.code.as_deref()).await?;
    let current = state.store.call(id).await?.ok_or_else(|| no_call(id))?;
    if update.close && current.ended_at.is_none() {
        let effective = reasons.as_deref().unwrap_or(&current.reasons);
        check_wrap_up(list, effective)
            .map_err(|e| ApiError::unprocessable("wrap_up_reason_required", e.to_string()))?;
    }
    state.store.update_call(id, code.as_deref(), update.note.as_deref(), None).await?;
    if let Some(reasons) = &reasons {
        state.store.set_reasons(id, reasons).await?;
    }
    if update.close {
        return Ok(state.store.close_call(id, state.clock.now()).await?);
    }
    state.store.call(id).await?.ok_or_else(|| no_call(id))
}

fn no_call(id: i64) -> ApiError {
    ApiError::NotFound(format!("応対記録 #{id} はありません"))
}

/// Attaches an FAQ answer shown or copied during an open call (entry id and its current
/// version), so the record says what the caller was told.
pub async fn attach_faq(state: &AppState, id: i64, faq_id: &str, copied: bool) -> Result<Call, ApiError> {
    let current = state.store.call(id).await?.ok_or_else(|| no_call(id))?;
    if current.ended_at.is_some() {
        return Err(ApiError::Refused(format!(
            "応対 #{id} は終了しています。FAQ の回答は応対中に記録してください"
        )));
    }
    Ok(state.store.attach_faq(id, faq_id.trim(), copied, state.clock.now()).await?)
}
