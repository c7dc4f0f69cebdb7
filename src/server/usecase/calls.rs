//! 応対記録: opening a call, attaching an institution, its note, closing it.

use super::ApiError;
use super::institutions::find;
use crate::api::{Call, UpdateCall};
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

/// Attaches an institution, sets the note, or closes the call (now).
pub async fn update(state: &AppState, id: i64, update: &UpdateCall) -> Result<Call, ApiError> {
    if update.note.as_deref().is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS) {
        return Err(ApiError::unprocessable("note_too_long", "メモは4000文字までです"));
    }
    let code = known_code(state, update.code.as_deref()).await?;
    let ended_at = update.close.then(|| state.clock.now());
    Ok(state.store.update_call(id, code.as_deref(), update.note.as_deref(), ended_at).await?)
}
