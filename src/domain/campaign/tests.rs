use chrono::{NaiveDate, TimeZone};

use super::*;
use crate::domain::Policy;

/// Japan time → UTC.
fn jst(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, m, d, h, min, 0).unwrap() - Duration::hours(9)
}

fn policy() -> CampaignPolicy {
    Policy::builtin().campaign
}

#[test]
fn the_builtin_policy_holds_the_seed_hours_and_three_attempts() {
    let p = policy();
    assert_eq!(p.max_attempts, 3);
    let c = &p.centre_hours;
    assert_eq!(c.weekdays.iter().map(|r| String::from(*r)).collect::<Vec<_>>(), ["08:00-18:00"]);
    assert_eq!(c.saturday.iter().map(|r| String::from(*r)).collect::<Vec<_>>(), ["08:00-16:00"]);
    assert!(c.sunday.is_empty());
    for kind in InstitutionKind::ALL {
        assert!(p.kind_hours(kind).is_some(), "{kind:?}");
    }
    assert_eq!(p.kind_rank(InstitutionKind::Hospital), 0);
    assert!(p.kind_rank(InstitutionKind::DentalClinic) > p.kind_rank(InstitutionKind::Pharmacy));
}

#[test]
fn callable_kinds_follow_lunch_and_sunday() {
    let p = policy();
    // Monday 2021-07-12 12:30: clinics at lunch, hospitals and pharmacies open.
    let kinds = p.callable_kinds(jst(7, 12, 12, 30));
    assert_eq!(kinds, vec![InstitutionKind::Hospital, InstitutionKind::Pharmacy]);
    assert!(p.callable_kinds(jst(7, 18, 10, 0)).is_empty(), "Sunday");
    assert_eq!(p.next_window_opens(&InstitutionKind::ALL, jst(7, 18, 10, 0)), Some(jst(7, 19, 9, 0)));
}

#[test]
fn a_policy_missing_a_kinds_hours_is_refused_with_the_key() {
    let text = crate::domain::policy::DEFAULT_POLICY_TOML
        .replace("kinds = [\"pharmacy\"]\nweekdays", "kinds = []\nweekdays");
    let err = Policy::from_toml_str(&text).unwrap_err().to_string();
    assert!(err.contains("campaign.institution_hours") && err.contains("薬局"), "{err}");
    let text = crate::domain::policy::DEFAULT_POLICY_TOML.replace("max_attempts = 3", "max_attempts = 0");
    assert!(Policy::from_toml_str(&text).unwrap_err().to_string().contains("campaign.max_attempts"));
    let text = crate::domain::policy::DEFAULT_POLICY_TOML
        .replace("saturday = [\"08:00-16:00\"]", "saturday = [\"16:00-08:00\"]");
    assert!(Policy::from_toml_str(&text).is_err());
}

#[test]
fn outcomes_final_or_retry() {
    for o in Outcome::ALL {
        assert_eq!(Outcome::parse(o.as_str()), Some(o));
    }
    assert!(Outcome::Selected.is_final() && Outcome::DoNotCall.is_final());
    assert!(!Outcome::Absent.is_final() && !Outcome::CallBack.is_final());
    assert_eq!(serde_json::to_string(&Outcome::WrongNumber).unwrap(), "\"wrong_number\"");
}

#[test]
fn a_retry_waits_for_the_interval_and_the_next_window() {
    let p = policy();
    let clinic = InstitutionKind::MedicalClinic;
    // Absent at Monday 11:00: +120 min = 13:00, clinic lunch → 14:00.
    assert_eq!(
        after_outcome(&p, clinic, Outcome::Absent, 1, jst(7, 12, 11, 0), None),
        AfterOutcome::Retry(jst(7, 12, 14, 0))
    );
    // No answer on Saturday 11:30: +60 = 12:30, closed → Monday 9:00.
    assert_eq!(
        after_outcome(&p, clinic, Outcome::NoAnswer, 1, jst(7, 17, 11, 30), None),
        AfterOutcome::Retry(jst(7, 19, 9, 0))
    );
    // A call-back at 15:00 → retry 30 minutes after it.
    assert_eq!(
        after_outcome(&p, clinic, Outcome::CallBack, 1, jst(7, 12, 10, 0), Some(jst(7, 12, 15, 0))),
        AfterOutcome::Retry(jst(7, 12, 15, 30))
    );
    assert_eq!(
        after_outcome(&p, clinic, Outcome::Absent, 3, jst(7, 12, 11, 0), None),
        AfterOutcome::Exhausted
    );
    assert_eq!(after_outcome(&p, clinic, Outcome::Declined, 3, jst(7, 12, 11, 0), None), AfterOutcome::Done);
}

#[test]
fn selected_needs_this_calls_receipt() {
    let receipts = vec!["R-1".to_string()];
    assert!(check_receipt(Outcome::Selected, None, &receipts).unwrap_err().to_string().contains("受付番号"));
    assert!(
        check_receipt(Outcome::Selected, Some("R-2"), &receipts).unwrap_err().to_string().contains("R-2")
    );
    assert!(check_receipt(Outcome::Selected, Some(" R-1 "), &receipts).is_ok());
    assert!(check_receipt(Outcome::Absent, None, &[]).is_ok());
}

#[test]
fn only_the_lessee_records() {
    assert!(check_lessee(Some("sato"), true, "sato").is_ok());
    assert!(
        check_lessee(Some("sato"), false, "sato").unwrap_err().to_string().contains("次へ"),
        "recorded once"
    );
    let err = check_lessee(Some("sato"), true, "suzuki").unwrap_err().to_string();
    assert!(err.contains("sato"), "{err}");
    assert!(check_lessee(None, false, "suzuki").is_err());
}

#[test]
fn a_call_back_is_due_before_the_deadline() {
    let deadline = NaiveDate::from_ymd_opt(2021, 8, 1).unwrap();
    let now = jst(7, 30, 10, 0);
    assert_eq!(call_back_due(now, None, 60, deadline).unwrap(), jst(7, 30, 11, 0));
    assert!(call_back_due(now, Some(jst(8, 1, 23, 0)), 60, deadline).is_ok());
    let err = call_back_due(now, Some(jst(8, 2, 0, 0)), 60, deadline).unwrap_err().to_string();
    assert!(err.contains("2021年8月1日"), "{err}");
}

#[test]
fn the_filter_names_a_known_prefecture_and_a_workable_status() {
    let known = ["東京都", "北海道"];
    let f =
        CampaignFilter { status: ReaderStatus::Undecided, prefectures: vec!["東京".into()], kinds: vec![] };
    assert!(f.check(&known).unwrap_err().to_string().contains("東京"));
    let f = CampaignFilter { status: ReaderStatus::Shipped, prefectures: vec![], kinds: vec![] };
    assert!(f.check(&known).is_err());
    let f: CampaignFilter = serde_json::from_str("{}").unwrap();
    assert_eq!(f.status, ReaderStatus::Undecided);
    assert!(f.check(&known).is_ok());
}

#[test]
fn member_state_reads_the_facts() {
    let now = jst(7, 12, 10, 0);
    let base = MemberFacts {
        stored: StoredState::Open,
        still_matches: true,
        cancelled_by_deadline: false,
        lease_until: None,
        do_not_call: false,
    };
    assert_eq!(member_state(base, now), MemberState::Open);
    assert_eq!(
        member_state(MemberFacts { lease_until: Some(now + Duration::minutes(5)), ..base }, now),
        MemberState::Leased
    );
    assert_eq!(
        member_state(MemberFacts { lease_until: Some(now), ..base }, now),
        MemberState::Open,
        "lapsed"
    );
    assert_eq!(member_state(MemberFacts { still_matches: false, ..base }, now), MemberState::Left);
    assert_eq!(
        member_state(MemberFacts { still_matches: false, cancelled_by_deadline: true, ..base }, now),
        MemberState::CancelledByDeadline
    );
    assert_eq!(
        member_state(MemberFacts { stored: StoredState::Done, still_matches: false, ..base }, now),
        MemberState::Done
    );
    assert_eq!(member_state(MemberFacts { do_not_call: true, ..base }, now), MemberState::DoNotCall);
}

#[test]
fn only_the_outcomes_that_check_a_receipt_read_the_calls_receipts() {
    // The store skips reading the call's receipts when `checks_receipt` is false: for those
    // outcomes the receipts must not change the answer.
    for o in Outcome::ALL {
        if o.checks_receipt() {
            continue;
        }
        for given in [None, Some("R-1"), Some("  ")] {
            assert_eq!(
                check_receipt(o, given, &[]).is_ok(),
                check_receipt(o, given, &["R-1".to_string()]).is_ok(),
                "{o:?} {given:?}"
            );
        }
    }
    assert!(check_receipt(Outcome::Selected, Some("R-1"), &[]).is_err());
    assert!(check_receipt(Outcome::Selected, Some("R-1"), &["R-1".to_string()]).is_ok());
}

#[test]
fn what_follows_an_outcome_is_stored_as_done_exhausted_or_open_until_its_retry() {
    let t = jst(7, 12, 14, 0);
    assert_eq!((AfterOutcome::Done.stored(), AfterOutcome::Done.next_try_at()), (StoredState::Done, None));
    assert_eq!(
        (AfterOutcome::Exhausted.stored(), AfterOutcome::Exhausted.next_try_at()),
        (StoredState::Exhausted, None)
    );
    assert_eq!(
        (AfterOutcome::Retry(t).stored(), AfterOutcome::Retry(t).next_try_at()),
        (StoredState::Open, Some(t))
    );
}
