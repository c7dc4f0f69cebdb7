//! `/v1/screen-pops`: the phone system says who is calling which operator. A call is started
//! with the caller's number; the operator's consoles (and only theirs) jump to the institution
//! whose registered phone matches, or to the lookup with the number filled in.

use axum::extract::State;

use crate::api::{ScreenPop, ScreenPopCandidate, ScreenPopRequest, ServerEvent};
use crate::domain::call::caller_digits;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::AppJson;
use crate::server::state::AppState;
use crate::store::NewCall;

/// Most candidates a screen pop carries (the lookup shows the rest).
const MAX_CANDIDATES: usize = 10;

/// Starts a call for `operator` with the caller's number and tells that operator's consoles.
#[utoipa::path(post, path = "/v1/screen-pops", tag = "calls", request_body = ScreenPopRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call started and the institutions whose registered phone matches", body = ScreenPop),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Only the telephony role may post screen pops", body = crate::api::ErrorBody),
        (status = 422, description = "Not a phone number, or no operator named", body = crate::api::ErrorBody),
        (status = 503, description = "The lookup index is still loading", body = crate::api::ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    State(state): State<AppState>,
    AppJson(body): AppJson<ScreenPopRequest>,
) -> Result<AppJson<ScreenPop>, ApiError> {
    caller.telephony()?;
    let operator = body.operator.trim().to_string();
    if operator.is_empty() {
        return Err(ApiError::unprocessable(
            "operator_required",
            "着信を受けたオペレーター名（operator）を指定してください",
        ));
    }
    let digits = caller_digits(&body.caller_number)
        .map_err(|e| ApiError::unprocessable("invalid_number", e.to_string()))?;
    state.wait_for_index().await.map_err(ApiError::Unavailable)?;
    let candidates: Vec<ScreenPopCandidate> = {
        let index = state.lookup.read().map_err(|_| ApiError::Internal("lookup index poisoned".into()))?;
        index
            .search(&digits, MAX_CANDIDATES * 2)
            .iter()
            .filter(|s| s.match_kind == "exact_phone")
            .take(MAX_CANDIDATES)
            .map(ScreenPopCandidate::from)
            .collect()
    };
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
    let pop = ScreenPop { operator, caller_number: digits, call_id: call.id, code, candidates };
    state.announce(ServerEvent::ScreenPop(pop.clone())).await;
    Ok(AppJson(pop))
}
