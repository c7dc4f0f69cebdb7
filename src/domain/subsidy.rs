//! 補助金: the subsidy claim and the calculator of the payable amount, in integer yen.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{InstitutionKind, Policy, RuleError};

/// Where a subsidy claim stands: 申請済 → 審査中 → (不備返戻) → 交付決定 → 支払済.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyStatus {
    /// 申請済.
    Submitted,
    /// 審査中.
    UnderReview,
    /// 不備返戻: sent back for corrections.
    Returned,
    /// 交付決定.
    Approved,
    /// 支払済.
    Paid,
}

/// One institution's 補助金申請.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubsidyClaim {
    /// Where the claim stands.
    pub status: SubsidyStatus,
    /// 事業額: what the introduction cost (yen, tax included).
    pub project_cost_yen: u64,
    /// Readers introduced.
    pub units: u32,
    /// The day it was submitted.
    pub submitted_on: NaiveDate,
    /// The day it was decided (交付決定), if it was.
    pub decided_on: Option<NaiveDate>,
    /// The day it was paid, if it was.
    pub paid_on: Option<NaiveDate>,
    /// The amount payable (yen), as the calculator gives it.
    pub payable_yen: u64,
}

impl SubsidyStatus {
    /// Every status, in the order a claim moves through them.
    pub const ALL: [SubsidyStatus; 5] = [
        SubsidyStatus::Submitted,
        SubsidyStatus::UnderReview,
        SubsidyStatus::Returned,
        SubsidyStatus::Approved,
        SubsidyStatus::Paid,
    ];

    /// The wire / database name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubsidyStatus::Submitted => "submitted",
            SubsidyStatus::UnderReview => "under_review",
            SubsidyStatus::Returned => "returned",
            SubsidyStatus::Approved => "approved",
            SubsidyStatus::Paid => "paid",
        }
    }

    /// Parses the wire / database name.
    pub fn parse(s: &str) -> Option<SubsidyStatus> {
        SubsidyStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The label an operator reads (申請済, 審査中, 不備返戻, 交付決定, 支払済).
    pub fn label_ja(self) -> &'static str {
        match self {
            SubsidyStatus::Submitted => "申請済",
            SubsidyStatus::UnderReview => "審査中",
            SubsidyStatus::Returned => "不備返戻",
            SubsidyStatus::Approved => "交付決定",
            SubsidyStatus::Paid => "支払済",
        }
    }
}

/// The subsidy payable for an institution of `kind` (`large_chain` matters for pharmacies)
/// that introduced `units` readers at a 事業額 of `cost_yen`:
/// min(floor(min(cost, cap) × share), at most), in integer yen, per the policy's table.
/// Refused (in words for the operator) for 0 units or more than the free quota.
pub fn payable_yen(
    policy: &Policy,
    kind: InstitutionKind,
    large_chain: bool,
    units: u32,
    cost_yen: u64,
) -> Result<u64, RuleError> {
    Ok(policy.subsidy_row(kind, large_chain, units)?.payable(cost_yen))
}

/// A sentence for the operator about the row that applies, e.g.
/// 「診療所（1台）: 事業額42万9,000円を上限にその3/4、最大32万1,000円を補助します。」
pub fn subsidy_note(
    policy: &Policy,
    kind: InstitutionKind,
    large_chain: bool,
    units: u32,
) -> Result<String, RuleError> {
    let row = policy.subsidy_row(kind, large_chain, units)?;
    let who = if kind == InstitutionKind::Pharmacy && large_chain {
        "大型チェーン薬局".to_string()
    } else {
        kind.label_ja().to_string()
    };
    Ok(format!(
        "{who}（{units}台）: 事業額{}を上限にその{}/{}、最大{}を補助します（消費税込み）。",
        format_yen(row.cost_cap_yen),
        row.share_numerator,
        row.share_denominator,
        format_yen(row.max_yen)
    ))
}

/// Yen with thousands separators as an operator reads it: 「321,000円」.
pub fn format_yen(yen: u64) -> String {
    let digits = yen.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out.push('円');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstitutionKind::*;

    /// (kind, large_chain, units, cap, at_most) straight from DESIGN.md's table.
    const ROWS: [(InstitutionKind, bool, u32, u64, u64); 7] = [
        (Hospital, false, 1, 2_101_000, 1_050_000),
        (Hospital, false, 2, 2_002_000, 1_001_000),
        (Hospital, false, 3, 1_903_000, 951_000),
        (Pharmacy, true, 1, 429_000, 214_000),
        (MedicalClinic, false, 1, 429_000, 321_000),
        (DentalClinic, false, 1, 429_000, 321_000),
        (Pharmacy, false, 1, 429_000, 321_000),
    ];

    #[test]
    fn every_row_at_below_and_above_its_cap() {
        let p = Policy::builtin();
        for (kind, lc, units, cap, at_most) in ROWS {
            let pay = |cost| payable_yen(&p, kind, lc, units, cost).unwrap();
            // At the cap, and anything above it, pays the row's maximum.
            assert_eq!(pay(cap), at_most, "{kind:?} {units} at cap");
            assert_eq!(pay(cap + 1), at_most, "{kind:?} {units} above cap");
            assert_eq!(pay(cap * 10), at_most, "{kind:?} {units} far above cap");
            // Below the cap, the share of the cost, rounded down.
            assert_eq!(pay(0), 0);
            assert_eq!(pay(100_000), if lc || kind == Hospital { 50_000 } else { 75_000 });
            assert_eq!(pay(100_001), if lc || kind == Hospital { 50_000 } else { 75_000 });
            assert_eq!(pay(3), if lc || kind == Hospital { 1 } else { 2 });
        }
    }

    #[test]
    fn clinic_share_is_capped_by_at_most() {
        let p = Policy::builtin();
        // 429,000 × 3/4 = 321,750 > 321,000: the 'at most' wins.
        assert_eq!(payable_yen(&p, MedicalClinic, false, 1, 429_000).unwrap(), 321_000);
        // 428,000 × 3/4 = 321,000 exactly; 427,999 × 3/4 = 320,999.25 → 320,999.
        assert_eq!(payable_yen(&p, DentalClinic, false, 1, 428_000).unwrap(), 321_000);
        assert_eq!(payable_yen(&p, DentalClinic, false, 1, 427_999).unwrap(), 320_999);
        // Large chain: 429,000 / 2 = 214,500 > 214,000.
        assert_eq!(payable_yen(&p, Pharmacy, true, 1, 429_000).unwrap(), 214_000);
        assert_eq!(payable_yen(&p, Pharmacy, true, 1, 428_000).unwrap(), 214_000);
        assert_eq!(payable_yen(&p, Pharmacy, true, 1, 427_999).unwrap(), 213_999);
        // Hospital, 1 unit: 2,101,000 / 2 = 1,050,500 > 1,050,000.
        assert_eq!(payable_yen(&p, Hospital, false, 1, 2_100_000).unwrap(), 1_050_000);
        assert_eq!(payable_yen(&p, Hospital, false, 1, 2_099_999).unwrap(), 1_049_999);
    }

    #[test]
    fn large_chain_flag_only_matters_for_pharmacies() {
        let p = Policy::builtin();
        assert_eq!(payable_yen(&p, MedicalClinic, true, 1, 429_000).unwrap(), 321_000);
        assert_eq!(payable_yen(&p, Hospital, true, 2, 5_000_000).unwrap(), 1_001_000);
    }

    #[test]
    fn units_outside_the_quota_are_refused_in_words() {
        let p = Policy::builtin();
        let err = payable_yen(&p, Hospital, false, 4, 100).unwrap_err();
        assert_eq!(err.to_string(), "病院の無償提供は3台までです。4台目以降は販売店からのご購入になります。");
        let err = payable_yen(&p, MedicalClinic, false, 2, 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "診療所の無償提供は1台までです。2台目以降は販売店からのご購入になります。"
        );
        let err = payable_yen(&p, Pharmacy, false, 0, 100).unwrap_err();
        assert!(err.to_string().contains("1台以上"));
    }

    #[test]
    fn huge_costs_do_not_overflow() {
        let p = Policy::builtin();
        assert_eq!(payable_yen(&p, Hospital, false, 3, u64::MAX).unwrap(), 951_000);
    }

    #[test]
    fn notes_and_yen() {
        assert_eq!(format_yen(0), "0円");
        assert_eq!(format_yen(999), "999円");
        assert_eq!(format_yen(321_000), "321,000円");
        assert_eq!(format_yen(2_101_000), "2,101,000円");
        let p = Policy::builtin();
        let note = subsidy_note(&p, Pharmacy, true, 1).unwrap();
        assert!(note.starts_with("大型チェーン薬局（1台）"), "{note}");
        assert!(note.contains("429,000円") && note.contains("1/2") && note.contains("214,000円"), "{note}");
    }

    #[test]
    fn statuses_round_trip() {
        for s in SubsidyStatus::ALL {
            assert_eq!(SubsidyStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(SubsidyStatus::parse("nope"), None);
    }
}
