//! 応対記録: opening a call, attaching an institution, its note, its wrap-up reasons, closing
//! it (never without a reason), and the FAQ answers given during it.

use super::ApiError;
use super::institutions::find;
use crate::api::Role;
use crate::api::{Call, UpdateCall};
use crate::domain::call::{CallEditor, call_editor, check_wrap_up};
use crate::domain::floor::AgentEvent;
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
    let call = state.store.start_call(&caller.name, code.as_deref(), state.clock.now()).await?;
    super::floor::follow_call(state, &caller.name, AgentEvent::CallStarted { call_id: call.id }).await;
    Ok(call)
}

/// Calls, newest first: of one institution (a code typed any way: 400 if malformed), started
/// on today's business date, or both.
pub async fn list(state: &AppState, code: Option<&str>, today: bool) -> Result<Vec<Call>, ApiError> {
    let code = super::institutions::parse_code_filter(code)?;
    let since = today.then(|| state.clock.start_of_today());
    Ok(state.store.calls(code.as_deref(), since).await?)
}

/// Who may change call `current`: its operator, or a supervisor (audited by the caller);
/// 403 in Japanese and English for anyone else.
pub(super) fn editor(current: &Call, caller: &Caller) -> Result<CallEditor, ApiError> {
    call_editor(&current.operator, &caller.name, caller.role == Role::Supervisor).ok_or_else(|| {
        ApiError::Forbidden(format!(
            "応対記録 #{} は {} さんの記録です。変更できるのは本人と監督者だけです \
             (call record #{} belongs to {}: only its operator or a supervisor may change it)",
            current.id, current.operator, current.id, current.operator
        ))
    })
}

/// Audits a supervisor's change of another operator's call record (`what` the change was).
async fn audit_override(
    state: &AppState,
    caller: &Caller,
    current: &Call,
    editor: CallEditor,
    what: serde_json::Value,
) -> Result<(), ApiError> {
    if editor != CallEditor::Supervisor {
        return Ok(());
    }
    let detail = serde_json::json!({ "call_id": current.id, "owner": current.operator, "change": what });
    state
        .store
        .record_event(
            &caller.name,
            "call.changed_by_supervisor",
            current.code.as_deref(),
            detail,
            state.clock.now(),
        )
        .await?;
    Ok(())
}

/// Attaches an institution, sets the note or the wrap-up reasons, or closes the call (now).
/// Closing needs at least one reason from the policy list, given now or before (422). Only
/// the call's operator or a supervisor may (403); a supervisor's change is audited.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: i64,
    update: &UpdateCall,
) -> Result<Call, ApiError> {
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
    let editor = editor(&current, caller)?;
    if update.close && current.ended_at.is_none() {
        let effective = reasons.as_deref().unwrap_or(&current.reasons);
        check_wrap_up(list, effective)
            .map_err(|e| ApiError::unprocessable("wrap_up_reason_required", e.to_string()))?;
    }
    state.store.update_call(id, code.as_deref(), update.note.as_deref(), None).await?;
    if let Some(reasons) = &reasons {
        state.store.set_reasons(id, reasons).await?;
    }
    let changed = if update.close {
        let closed = state.store.close_call(id, state.clock.now()).await?;
        if current.ended_at.is_none() {
            super::floor::follow_call(state, &current.operator, AgentEvent::CallClosed { call_id: id }).await;
        }
        closed
    } else {
        state.store.call(id).await?.ok_or_else(|| no_call(id))?
    };
    let what = serde_json::json!({
        "code": code, "note": update.note.is_some(), "reasons": reasons, "close": update.close,
    });
    audit_override(state, caller, &current, editor, what).await?;
    Ok(changed)
}

fn no_call(id: i64) -> ApiError {
    ApiError::NotFound(format!("応対記録 #{id} はありません"))
}

/// Attaches an FAQ answer shown or copied during an open call (entry id and its current
/// version), so the record says what the caller was told.
pub async fn attach_faq(
    state: &AppState,
    caller: &Caller,
    id: i64,
    faq_id: &str,
    copied: bool,
) -> Result<Call, ApiError> {
    super::text::bounded("faq_id", "FAQ の id", faq_id, super::text::NAME_MAX_CHARS)?;
    let current = state.store.call(id).await?.ok_or_else(|| no_call(id))?;
    let editor = editor(&current, caller)?;
    if current.ended_at.is_some() {
        return Err(ApiError::Refused(format!(
            "応対 #{id} は終了しています。FAQ の回答は応対中に記録してください"
        )));
    }
    let changed = state.store.attach_faq(id, faq_id.trim(), copied, state.clock.now()).await?;
    let what = serde_json::json!({ "faq_id": faq_id.trim(), "copied": copied });
    audit_override(state, caller, &current, editor, what).await?;
    Ok(changed)
}
