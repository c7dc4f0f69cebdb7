//! 補助金: the subsidy claim and the calculator of the payable amount, in integer yen.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a subsidy claim stands: 申請済 → 審査中 → (不備返戻) → 交付決定 → 支払済.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyStatus {
    Submitted,
    UnderReview,
    Returned,
    Approved,
    Paid,
}

/// One institution's 補助金申請.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubsidyClaim {
    pub status: SubsidyStatus,
    pub project_cost_yen: u64,
    pub units: u32,
    pub submitted_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub paid_on: Option<NaiveDate>,
    pub payable_yen: u64,
}
