//! `/v1/reports/calls`: the supervisors' call report for a day or a range — calls by hour,
//! reason and operator, handle time, call-backs — counted in SQL, assembled by the domain.

use axum::extract::State;

use crate::api::ReportParams;
use crate::domain::CallReport;
use crate::server::auth::Caller;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::reports;

/// The call report of `from..=to` (Japan dates; default today, `to` defaults to `from`).
#[utoipa::path(get, path = "/v1/reports/calls", tag = "reports", params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = CallReport),
        (status = 400, description = "A date that is not YYYY-MM-DD", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read reports", body = crate::api::ErrorBody),
        (status = 422, description = "Range reversed or longer than 367 days", body = crate::api::ErrorBody),
    ))]
pub async fn calls(
    caller: Caller,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<ReportParams>,
) -> Result<AppJson<CallReport>, ApiError> {
    caller.staff()?;
    Ok(AppJson(reports::calls(&state, p.from, p.to).await?))
}
