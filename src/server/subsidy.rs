//! The subsidy view of an institution: its claim and what the calculator says applies to it.

use crate::api::SubsidyView;
use crate::domain::subsidy::subsidy_note;
use crate::domain::{InstitutionKind, Policy, SubsidyClaim};

/// The claim and the calculator's answer for this kind, chain status and number of units.
/// Units beyond the free quota (no row applies) give zero amounts and the rule's words.
pub fn subsidy_view(
    policy: &Policy,
    kind: InstitutionKind,
    large_chain: bool,
    units: u32,
    claim: Option<SubsidyClaim>,
) -> SubsidyView {
    let (cost_cap_yen, max_payable_yen) = match policy.subsidy_row(kind, large_chain, units) {
        Ok(row) => (row.cost_cap_yen, row.payable(row.cost_cap_yen)),
        Err(_) => (0, 0),
    };
    let rule_note = match subsidy_note(policy, kind, large_chain, units) {
        Ok(note) => note,
        Err(refusal) => refusal.to_string(),
    };
    SubsidyView { claim, kind, large_chain, units, cost_cap_yen, max_payable_yen, rule_note }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clinic_row_caps_at_321000() {
        let v = subsidy_view(&Policy::builtin(), InstitutionKind::MedicalClinic, false, 1, None);
        assert_eq!((v.cost_cap_yen, v.max_payable_yen), (429_000, 321_000));
        assert!(v.rule_note.contains("3/4"), "{}", v.rule_note);
    }
}
