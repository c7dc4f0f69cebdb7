//! 折り返し: promise a call back to an institution's registered number (never a number the
//! caller gives), list them, take one (a linked call starts), record how it ended.

use super::ApiError;
use super::institutions::{find, parse_code};
use crate::api::{NewCallBack, TakenCallBack};
use crate::domain::call::{callback_due, callback_reason, check_pending_change};
use crate::domain::{CallBack, CallBackOutcome, RuleError};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::store::NewCallBackRecord;

/// Records a call-back to the institution's registered phone, due when asked or after the
/// policy's default, with the reader application change it is to verify, if any; a body naming
/// a number is refused (422), and so is a change naming a model the catalog lacks.
pub async fn create(state: &AppState, caller: &Caller, body: &NewCallBack) -> Result<CallBack, ApiError> {
    if body.phone.is_some() {
        return Err(ApiError::unprocessable(
            "phone_not_allowed",
            "折り返しは登録電話番号にだけかけます。電話番号は指定できません（phone を外してください）",
        ));
    }
    let (check, _) = find(state, &body.code).await?;
    let now = state.clock.now();
    let unprocessable = |e: RuleError| ApiError::unprocessable("invalid_callback", e.to_string());
    let reason = callback_reason(&body.reason).map_err(unprocessable)?;
    let due_at = callback_due(now, body.due_at, state.policy.callback_due_minutes).map_err(unprocessable)?;
    let change = match &body.change {
        Some(c) => {
            let c = check_pending_change(c).map_err(unprocessable)?;
            let models = state.store.reader_models().await?;
            if !models.iter().any(|m| m.id == c.model_id) {
                return Err(ApiError::unprocessable(
                    "unknown_model",
                    format!("機種「{}」はカタログにありません。一覧から選んでください", c.model_id),
                ));
            }
            Some(c)
        }
        None => None,
    };
    let record = NewCallBackRecord {
        code: check.code.as_str().to_string(),
        reason,
        due_at,
        created_by: caller.name.clone(),
        created_at: now,
        origin_call_id: body.call_id,
        change,
    };
    Ok(state.store.create_callback(record, now).await?)
}

/// Open call-backs (or all), overdue first, then by due time.
pub async fn list(state: &AppState, all: bool, code: Option<&str>) -> Result<Vec<CallBack>, ApiError> {
    let code = code.map(parse_code).transpose()?.map(|c| c.code.as_str().to_string());
    let mut list = state.store.callbacks(all, code.as_deref(), state.clock.now()).await?;
    list.sort_by_key(|c| (c.state, c.due_at, c.id));
    Ok(list)
}

/// Takes an open call-back: a call starts on its institution, linked to it.
pub async fn take(state: &AppState, caller: &Caller, id: i64) -> Result<TakenCallBack, ApiError> {
    let (callback, call) = state.store.take_callback(id, &caller.name, state.clock.now()).await?;
    super::floor::follow_call(
        state,
        &caller.name,
        crate::domain::floor::AgentEvent::CallStarted { call_id: call.id },
    )
    .await;
    Ok(TakenCallBack { callback, call })
}

/// Records how an open call-back ended.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: i64,
    outcome: CallBackOutcome,
) -> Result<CallBack, ApiError> {
    Ok(state.store.close_callback(id, outcome, &caller.name, state.clock.now()).await?)
}
