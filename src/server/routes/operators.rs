//! `/v1/operators`: issuing a token for an operator and revoking it (supervisors).

use axum::extract::State;

use crate::api::{IssuedToken, NewOperator, RevokeOperator, RevokedOperator};
use crate::server::auth::Supervisor;
use crate::server::error::ApiError;
use crate::server::extract::AppJson;
use crate::server::state::AppState;
use crate::server::usecase::operators;

/// Issues a token for a new operator (supervisors), audited. The token is in this answer only.
#[utoipa::path(post, path = "/v1/operators", tag = "admin", request_body = NewOperator,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new token (shown once)", body = IssuedToken),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No, unknown or revoked token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 409, description = "The name already has a token in force (revoke it first)", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Empty or too long a name, an unknown role, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn add(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(req): AppJson<NewOperator>,
) -> Result<AppJson<IssuedToken>, ApiError> {
    Ok(AppJson(operators::issue(&state, &caller, &req.name, req.role).await?))
}

/// Revokes the operator's token (supervisors), audited: 401 for it on every server within
/// seconds, and the operator's SSH sessions end. The name can then be issued again.
#[utoipa::path(post, path = "/v1/operators/revoke", tag = "admin", request_body = RevokeOperator,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was revoked", body = RevokedOperator),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No, unknown or revoked token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 404, description = "No token in force under this name", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Empty or too long a name, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn revoke(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(req): AppJson<RevokeOperator>,
) -> Result<AppJson<RevokedOperator>, ApiError> {
    Ok(AppJson(operators::revoke(&state, &caller, &req.name).await?))
}
