//! Screen pops: the phone system says who is calling which operator. A call is started with the
//! caller's number, and that operator's consoles (only theirs) are told which institution's
//! registered phone matches.

use super::ApiError;
use crate::api::{ScreenPop, ScreenPopCandidate, ScreenPopRequest, ServerEvent};
use crate::domain::call::caller_digits;
use crate::server::state::AppState;
use crate::store::NewCall;

/// Most candidates a screen pop carries (the lookup shows the rest).
const MAX_CANDIDATES: usize = 10;

/// Matches the number against registered phones, starts the call, announces the pop.
pub async fn pop(state: &AppState, body: &ScreenPopRequest) -> Result<ScreenPop, ApiError> {
    use super::text::{NAME_MAX_CHARS, PHONE_MAX_CHARS, bounded};
    bounded("operator", "オペレーター名", &body.operator, NAME_MAX_CHARS)?;
    bounded("caller_number", "発信者番号", &body.caller_number, PHONE_MAX_CHARS)?;
    let operator = body.operator.trim().to_string();
    if operator.is_empty() {
        return Err(ApiError::unprocessable(
            "operator_required",
            "着信を受けたオペレーター名（operator）を指定してください",
        ));
    }
    // A pop for a name nobody has (a typo in the phone system's table) would start a call no
    // console ever shows: refused, with the fix.
    if state.store.operator_named(&operator).await?.is_none() {
        return Err(ApiError::unprocessable(
            "unknown_operator",
            format!(
                "オペレーター「{operator}」はいません（トークンが有効な名前ではありません）。電話システムの内線とオペレーター名の対応を確かめてください"
            ),
        ));
    }
    let digits = caller_digits(&body.caller_number)
        .map_err(|e| ApiError::unprocessable("invalid_number", e.to_string()))?;
    let candidates: Vec<ScreenPopCandidate> =
        super::institutions::search_index(state, &digits, MAX_CANDIDATES * 2)
            .await?
            .iter()
            .filter(|s| s.match_kind == "exact_phone")
            .take(MAX_CANDIDATES)
            .map(ScreenPopCandidate::from)
            .collect();
    let code = match candidates.as_slice() {
        [one] => Some(one.code.clone()),
        _ => None,
    };
    let call = state
        .store
        .start_new_call(NewCall {
            operator: operator.clone(),
            code: code.clone(),
            at: state.clock.now(),
            caller_phone: Some(digits.clone()),
            callback_id: None,
        })
        .await?;
    super::floor::follow_call(
        state,
        &operator,
        crate::domain::floor::AgentEvent::CallStarted { call_id: call.id },
    )
    .await;
    let pop = ScreenPop { operator, caller_number: digits, call_id: call.id, code, candidates };
    state.announce(ServerEvent::ScreenPop(pop.clone())).await;
    Ok(pop)
}
