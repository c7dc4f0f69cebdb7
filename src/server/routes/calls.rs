//! `/v1/calls`: 応対記録 — start a call, attach an institution, note it, close it, list today's.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{AttachFaq, Call, StartCall, UpdateCall};
use crate::server::auth::Staff;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::calls;

/// Starts a call (the timer in the status bar), optionally already for an institution.
#[utoipa::path(post, path = "/v1/calls", tag = "calls", request_body = StartCall,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new call", body = Call),
        (status = 400, description = "Bad JSON or not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not log calls", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn start(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppJson(body): AppJson<StartCall>,
) -> Result<AppJson<Call>, ApiError> {
    Ok(AppJson(calls::open(&state, &caller, body.code.as_deref()).await?))
}

/// Attaches an institution, sets the note or the wrap-up reasons, or closes the call. Closing
/// needs at least one reason from the policy list, given now or before (422 otherwise).
#[utoipa::path(patch, path = "/v1/calls/{id}", tag = "calls", request_body = UpdateCall,
    params(("id" = i64, Path, description = "Call id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call as it stands", body = Call),
        (status = 400, description = "Bad JSON, bad id or not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not log calls, or the call is another operator's (only its operator or a supervisor may change it)", body = crate::api::ErrorBody),
        (status = 404, description = "No such call or institution", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Note too long, a reason not in the policy list, closing without a reason, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn update(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<UpdateCall>,
) -> Result<AppJson<Call>, ApiError> {
    Ok(AppJson(calls::update(&state, &caller, id, &body).await?))
}

/// Attaches an FAQ answer shown or copied during the call (entry id and its current version),
/// so the record says what the caller was told.
#[utoipa::path(post, path = "/v1/calls/{id}/faq", tag = "calls", request_body = AttachFaq,
    params(("id" = i64, Path, description = "Call id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call with its FAQ answers", body = Call),
        (status = 400, description = "Bad JSON or bad id", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not log calls, or the call is another operator's (only its operator or a supervisor may change it)", body = crate::api::ErrorBody),
        (status = 404, description = "No such call or FAQ entry", body = crate::api::ErrorBody),
        (status = 409, description = "The call is closed", body = crate::api::ErrorBody),
        (status = 422, description = "An FAQ id too long, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn attach_faq(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<AttachFaq>,
) -> Result<AppJson<Call>, ApiError> {
    Ok(AppJson(calls::attach_faq(&state, &caller, id, &body.faq_id, body.copied).await?))
}

/// Query of `GET /v1/calls`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CallsParams {
    /// Only calls about this institution.
    pub code: Option<String>,
    /// Only calls started on today's business date.
    pub today: Option<bool>,
}

/// Calls, newest first.
#[utoipa::path(get, path = "/v1/calls", tag = "calls", params(CallsParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Calls, newest first", body = Vec<Call>),
        (status = 400, description = "Bad query or not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read calls", body = crate::api::ErrorBody),
    ))]
pub async fn list(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<CallsParams>,
) -> Result<AppJson<Vec<Call>>, ApiError> {
    Ok(AppJson(calls::list(&state, p.code.as_deref(), p.today.unwrap_or(false)).await?))
}
