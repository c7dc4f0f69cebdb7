//! The supervisor's dashboard: undecided applications by prefecture (counted in SQL), days
//! left to the selection deadline by the policy, and today's changes by the server's clock.

use super::ApiError;
use crate::api::{Dashboard, PrefectureUndecided};
use crate::server::state::AppState;

/// The dashboard as of the server's business date.
pub async fn dashboard(state: &AppState) -> Result<Dashboard, ApiError> {
    let today = state.clock.today();
    let by_pref = state.store.undecided_by_prefecture().await?;
    let undecided_total = by_pref.iter().map(|p| p.undecided).sum();
    let (start, end) = state.clock.today_range();
    let changes_today = state.store.application_changes_between(start, end).await?;
    Ok(Dashboard {
        business_date: today,
        selection_deadline: state.policy.selection_deadline,
        days_left: state.policy.days_left(today),
        undecided_total,
        undecided_by_prefecture: by_pref
            .into_iter()
            .map(|p| PrefectureUndecided { prefecture: p.prefecture, undecided: p.undecided })
            .collect(),
        changes_today,
    })
}
