//! The call report: a period of Japan dates checked by the domain, counted by the store in
//! SQL, assembled by the domain.

use chrono::NaiveDate;

use super::ApiError;
use crate::domain::CallReport;
use crate::domain::call::{ReportRange, assemble_report};
use crate::server::state::AppState;

/// The report of `from..=to` (default today; `to` defaults to `from`).
pub async fn calls(
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<CallReport, ApiError> {
    let from = from.unwrap_or_else(|| state.clock.today());
    let to = to.unwrap_or(from);
    let range =
        ReportRange::new(from, to).map_err(|e| ApiError::unprocessable("invalid_range", e.to_string()))?;
    let (start, end) = range.instants();
    let counts = state.store.call_counts(start, end, state.clock.now()).await?;
    let mut report = assemble_report(range, &counts, &state.policy.wrap_up_reason);
    report.agent_days = super::floor::agent_days(state, start, end).await?;
    Ok(report)
}
