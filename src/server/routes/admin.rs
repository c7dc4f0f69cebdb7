//! Routes about the service itself and its people: health, who am I, the dashboard, the
//! deadline batch (operator tokens are in `operators.rs`).

use axum::extract::State;

use crate::api::{Dashboard, DeadlineBatchRequest, DeadlineBatchResult, Health, Me, Readiness};
use crate::server::auth::{Staff, Supervisor};
use crate::server::error::ApiError;
use crate::server::extract::AppJson;
use crate::server::state::AppState;
use crate::server::usecase;

/// Liveness, no token needed.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> AppJson<Health> {
    AppJson(usecase::meta::health(&state))
}

/// Readiness, no token needed: 200 when lookups are answered and the database reached,
/// else 503 with the reason (and `Retry-After` while the database is away; `draining` once
/// the server is stopping), so a load balancer stops sending work during an index build, a
/// database outage or a rolling restart.
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Ready for work", body = Readiness),
        (status = 503, description = "Not ready: the index is loading, the database is away, or the server is draining before it stops", body = crate::api::ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<AppJson<Readiness>, ApiError> {
    Ok(AppJson(usecase::meta::readiness(&state).await?))
}

/// Who the token belongs to and the business date (for the status bar).
#[utoipa::path(get, path = "/v1/me", tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The operator and the business date", body = Me),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "The service role may only search the FAQ", body = crate::api::ErrorBody),
    ))]
pub async fn me(Staff(caller): Staff, State(state): State<AppState>) -> Result<AppJson<Me>, ApiError> {
    Ok(AppJson(usecase::meta::me(&state, caller)))
}

/// What a supervisor watches: undecided applications by prefecture, days left, today's changes.
#[utoipa::path(get, path = "/v1/dashboard", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dashboard", body = Dashboard),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read the dashboard", body = crate::api::ErrorBody),
    ))]
pub async fn dashboard(
    Staff(_caller): Staff,
    State(state): State<AppState>,
) -> Result<AppJson<Dashboard>, ApiError> {
    Ok(AppJson(usecase::dashboard::dashboard(&state).await?))
}

/// Cancels 機種未定 applications once the selection deadline has passed (supervisors;
/// `dry_run` only counts them, any day).
#[utoipa::path(post, path = "/v1/batch/deadline", tag = "admin", request_body = DeadlineBatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was (or would be) cancelled", body = DeadlineBatchResult),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 409, description = "The deadline has not passed yet", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn deadline_batch(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(req): AppJson<DeadlineBatchRequest>,
) -> Result<AppJson<DeadlineBatchResult>, ApiError> {
    Ok(AppJson(usecase::applications::deadline_batch(&state, &caller, req.dry_run).await?))
}
