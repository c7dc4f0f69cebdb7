//! `/v1/callbacks`: 折り返し — promise a call back to an institution's registered number, list
//! what is due and overdue, take one (a call starts, linked to it), record how it ended.

use axum::extract::State;

use crate::api::{CallBacksParams, CloseCallBack, NewCallBack, TakenCallBack};
use crate::domain::CallBack;
use crate::server::auth::Staff;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::callbacks;

/// Records a call-back to the institution's REGISTERED phone number (copied from its record;
/// a body naming a number is refused).
#[utoipa::path(post, path = "/v1/callbacks", tag = "callbacks", request_body = NewCallBack,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call-back, with the registered number it goes to", body = CallBack),
        (status = 400, description = "Bad JSON or not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not make call-backs", body = crate::api::ErrorBody),
        (status = 404, description = "No such institution or call", body = crate::api::ErrorBody),
        (status = 409, description = "The institution has no registered phone", body = crate::api::ErrorBody),
        (status = 422, description = "A phone number given, no reason, a due time in the past or too far off, or a change naming an unknown model or no caller", body = crate::api::ErrorBody),
    ))]
pub async fn create(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewCallBack>,
) -> Result<AppJson<CallBack>, ApiError> {
    Ok(AppJson(callbacks::create(&state, &caller, &body).await?))
}

/// Open call-backs, overdue first then by due time (`all=true`: finished ones too, after).
#[utoipa::path(get, path = "/v1/callbacks", tag = "callbacks", params(CallBacksParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Call-backs, overdue first", body = Vec<CallBack>),
        (status = 400, description = "Bad query or not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read call-backs", body = crate::api::ErrorBody),
    ))]
pub async fn list(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<CallBacksParams>,
) -> Result<AppJson<Vec<CallBack>>, ApiError> {
    Ok(AppJson(callbacks::list(&state, p.all.unwrap_or(false), p.code.as_deref()).await?))
}

/// Takes an open call-back: a call starts on its institution, linked to it.
#[utoipa::path(post, path = "/v1/callbacks/{id}/take", tag = "callbacks",
    params(("id" = i64, Path, description = "Call-back id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The call-back and the call started for it", body = TakenCallBack),
        (status = 400, description = "Bad id", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not take call-backs", body = crate::api::ErrorBody),
        (status = 404, description = "No such call-back", body = crate::api::ErrorBody),
        (status = 409, description = "The call-back is done already", body = crate::api::ErrorBody),
    ))]
pub async fn take(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<TakenCallBack>, ApiError> {
    Ok(AppJson(callbacks::take(&state, &caller, id).await?))
}

/// Records how a call-back ended (対応済 / 不在 / 不要); it leaves the open list.
#[utoipa::path(post, path = "/v1/callbacks/{id}/close", tag = "callbacks", request_body = CloseCallBack,
    params(("id" = i64, Path, description = "Call-back id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The finished call-back", body = CallBack),
        (status = 400, description = "Bad JSON or bad id", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not close call-backs", body = crate::api::ErrorBody),
        (status = 404, description = "No such call-back", body = crate::api::ErrorBody),
        (status = 409, description = "The call-back is done already", body = crate::api::ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn close(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
    AppJson(body): AppJson<CloseCallBack>,
) -> Result<AppJson<CallBack>, ApiError> {
    Ok(AppJson(callbacks::close(&state, &caller, id, body.outcome).await?))
}
