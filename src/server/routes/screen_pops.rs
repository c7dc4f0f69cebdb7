//! `/v1/screen-pops`: the phone system says who is calling which operator. A call is started
//! with the caller's number; the operator's consoles (and only theirs) jump to the institution
//! whose registered phone matches, or to the lookup with the number filled in.

use axum::extract::State;

use crate::api::{ScreenPop, ScreenPopRequest};
use crate::server::auth::Telephony;
use crate::server::error::ApiError;
use crate::server::extract::AppJson;
use crate::server::state::AppState;
use crate::server::usecase::screen_pops;

/// Starts a call for `operator` with the caller's number and tells that operator's consoles.
#[utoipa::path(post, path = "/v1/screen-pops", tag = "calls", request_body = ScreenPopRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call started and the institutions whose registered phone matches", body = ScreenPop),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Only the telephony role may post screen pops", body = crate::api::ErrorBody),
        (status = 422, description = "Not a phone number, no operator named or an unknown one, a field too long, or JSON of the wrong shape", body = crate::api::ErrorBody),
        (status = 503, description = "The lookup index is still loading", body = crate::api::ErrorBody),
    ))]
pub async fn create(
    Telephony(_caller): Telephony,
    State(state): State<AppState>,
    AppJson(body): AppJson<ScreenPopRequest>,
) -> Result<AppJson<ScreenPop>, ApiError> {
    Ok(AppJson(screen_pops::pop(&state, &body).await?))
}
