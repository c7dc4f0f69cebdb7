//! The policy: dates, quotas and the subsidy table, loaded from a TOML file whose built-in
//! default holds the seed notice's values. All dates are Japan time (Asia/Tokyo, UTC+9).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Every number a rule depends on, so that a new notice changes a file, not the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// First day 機種未定 applications were accepted (2021-02-01).
    pub undecided_window_start: NaiveDate,
    /// Last day 機種未定 applications were accepted (2021-03-31).
    pub undecided_window_end: NaiveDate,
    /// Last day (inclusive) to choose the model of a 機種未定 application (2021-08-01).
    pub selection_deadline: NaiveDate,
    /// Free readers for a hospital (3).
    pub free_units_hospital: u32,
    /// Free readers for every other kind (1).
    pub free_units_other: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            undecided_window_start: NaiveDate::from_ymd_opt(2021, 2, 1).expect("valid date"),
            undecided_window_end: NaiveDate::from_ymd_opt(2021, 3, 31).expect("valid date"),
            selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).expect("valid date"),
            free_units_hospital: 3,
            free_units_other: 1,
        }
    }
}
