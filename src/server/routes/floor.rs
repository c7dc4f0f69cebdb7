//! `/v1/floor`: the supervisors' floor view, an operator's own state (受付可, 離席, sign in and
//! out), raised hands (挙手) and watches (モニター). Another operator's state is only ever seen
//! by supervisors.

use axum::extract::State;
use axum::http::StatusCode;

use crate::api::{Floor, MyFloor, RaiseHand, SetAgentState, StartWatch, WatchStarted};
use crate::domain::floor::HandRaise;
use crate::server::auth::{Staff, Supervisor};
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath};
use crate::server::state::AppState;
use crate::server::usecase::floor;

/// The floor (supervisors): totals, the longest call, raised hands waiting, every signed-in
/// operator with state, time in state and the call they are on.
#[utoipa::path(get, path = "/v1/floor", tag = "floor",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The floor now", body = Floor),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Supervisors only", body = crate::api::ErrorBody),
    ))]
pub async fn view(
    Supervisor(_caller): Supervisor,
    State(state): State<AppState>,
) -> Result<AppJson<Floor>, ApiError> {
    Ok(AppJson(floor::floor_view(&state).await?))
}

/// The caller's own state, latest raised hand and who watches them.
#[utoipa::path(get, path = "/v1/floor/me", tag = "floor",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's state (none while signed out)", body = MyFloor),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role has no floor state", body = crate::api::ErrorBody),
    ))]
pub async fn mine(Staff(caller): Staff, State(state): State<AppState>) -> Result<AppJson<MyFloor>, ApiError> {
    Ok(AppJson(floor::mine(&state, &caller).await?))
}

/// Sets the caller's own state: sign in or out, 受付可, or 離席 with a reason from the policy.
/// Calls move the state by themselves (a call started → 通話中, closed → 後処理).
#[utoipa::path(put, path = "/v1/floor/me", tag = "floor", request_body = SetAgentState,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's state now", body = MyFloor),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role has no floor state", body = crate::api::ErrorBody),
        (status = 409, description = "Not now (受付可 or 離席 during a call), or an away reason not in the policy", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn set_mine(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppJson(body): AppJson<SetAgentState>,
) -> Result<AppJson<MyFloor>, ApiError> {
    Ok(AppJson(floor::set_mine(&state, &caller, &body).await?))
}

/// Raises the caller's hand with an optional short note; a hand already up gets the new note.
#[utoipa::path(post, path = "/v1/floor/hands", tag = "floor", request_body = RaiseHand,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The hand, waiting for a supervisor", body = HandRaise),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not raise a hand", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Note longer than 100 characters or of several lines, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn raise_hand(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppJson(body): AppJson<RaiseHand>,
) -> Result<AppJson<HandRaise>, ApiError> {
    Ok(AppJson(floor::raise_hand(&state, &caller, &body.note).await?))
}

/// Lowers the caller's hand (no longer needed); nothing to do when none is up.
#[utoipa::path(delete, path = "/v1/floor/hands", tag = "floor",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's state, the hand lowered", body = MyFloor),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not raise a hand", body = crate::api::ErrorBody),
    ))]
pub async fn lower_hand(
    Staff(caller): Staff,
    State(state): State<AppState>,
) -> Result<AppJson<MyFloor>, ApiError> {
    floor::lower_hand(&state, &caller).await?;
    Ok(AppJson(floor::mine(&state, &caller).await?))
}

/// A supervisor has seen a raised hand (the operator's status bar says who).
#[utoipa::path(post, path = "/v1/floor/hands/{id}/acknowledge", tag = "floor",
    params(("id" = i64, Path, description = "Hand raise id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The hand, acknowledged", body = HandRaise),
        (status = 400, description = "Bad id", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Supervisors only", body = crate::api::ErrorBody),
        (status = 404, description = "No such hand raise", body = crate::api::ErrorBody),
    ))]
pub async fn acknowledge_hand(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<HandRaise>, ApiError> {
    Ok(AppJson(floor::acknowledge_hand(&state, &caller, id).await?))
}

/// Begins watching an operator's console (read only; audited; the operator is told). Only
/// consoles this server draws (its SSH door) can be watched from it.
#[utoipa::path(post, path = "/v1/floor/watches", tag = "floor", request_body = StartWatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The watch begun", body = WatchStarted),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Supervisors only", body = crate::api::ErrorBody),
        (status = 404, description = "The operator is not signed in", body = crate::api::ErrorBody),
        (status = 409, description = "The operator's console is not drawn by this server", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn start_watch(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(body): AppJson<StartWatch>,
) -> Result<AppJson<WatchStarted>, ApiError> {
    Ok(AppJson(floor::start_watch(&state, &caller, &body.operator).await?))
}

/// Ends a watch (audited with its start and end).
#[utoipa::path(delete, path = "/v1/floor/watches/{id}", tag = "floor",
    params(("id" = u64, Path, description = "Watch id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "Bad id", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Supervisors only, and only the one watching", body = crate::api::ErrorBody),
        (status = 404, description = "No such watch going on", body = crate::api::ErrorBody),
    ))]
pub async fn end_watch(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<u64>,
) -> Result<StatusCode, ApiError> {
    floor::end_watch(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
