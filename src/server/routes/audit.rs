//! `/v1/audit`: the 変更履歴 and the check of its hash chain.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::limit;
use crate::api::{AuditEvent, AuditVerifyResult};
use crate::server::auth::{Staff, Supervisor};
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::audit;

/// Query of `GET /v1/audit`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// Only events about this institution.
    pub code: Option<String>,
    /// 1..=1000, default 100.
    pub limit: Option<u32>,
}

/// Audit events, oldest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events, oldest first", body = Vec<AuditEvent>),
        (status = 400, description = "Not an institution code, or limit out of range", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read the audit trail", body = crate::api::ErrorBody),
    ))]
pub async fn list(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<AuditParams>,
) -> Result<AppJson<Vec<AuditEvent>>, ApiError> {
    let n = limit(p.limit, 100, 1000)?;
    Ok(AppJson(audit::list(&state, p.code.as_deref(), n).await?))
}

/// Checks the hash chain end to end (supervisors).
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events checked and the first broken link, if any", body = AuditVerifyResult),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
    ))]
pub async fn verify(
    Supervisor(_caller): Supervisor,
    State(state): State<AppState>,
) -> Result<AppJson<AuditVerifyResult>, ApiError> {
    Ok(AppJson(audit::verify(&state).await?))
}
