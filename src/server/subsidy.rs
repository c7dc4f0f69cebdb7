//! The subsidy view of an institution: its claim and what the calculator says applies.
//! (Waiting for the domain calculator; see `crate::domain::subsidy`.)

use crate::api::SubsidyView;
use crate::domain::{InstitutionKind, SubsidyClaim};

/// The claim and the calculator's answer for this kind, chain status and number of units.
pub fn subsidy_view(
    kind: InstitutionKind,
    large_chain: bool,
    units: u32,
    claim: Option<SubsidyClaim>,
) -> SubsidyView {
    SubsidyView {
        claim,
        kind,
        large_chain,
        units,
        cost_cap_yen: 0,
        max_payable_yen: 0,
        rule_note: String::new(),
    }
}
