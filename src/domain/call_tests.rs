//! Tests of the call rules (kept beside it, out of its file).

use chrono::TimeZone;

use super::*;

#[test]
fn only_the_owner_or_a_supervisor_edits_a_call() {
    assert_eq!(call_editor("sato", "sato", false), Some(CallEditor::Owner));
    assert_eq!(call_editor("sato", "sato", true), Some(CallEditor::Owner));
    assert_eq!(call_editor("sato", "boss", true), Some(CallEditor::Supervisor));
    assert_eq!(call_editor("sato", "suzuki", false), None);
}

#[test]
fn calling_back_verifies_only_on_a_call_back_to_the_same_institution() {
    assert!(check_callback_verification("1310000011", Some((Some("1310000011"), Some(7)))).is_ok());
    for call in
        [None, Some((Some("1310000011"), None)), Some((Some("1310000029"), Some(7))), Some((None, Some(7)))]
    {
        let Err(RuleError::Refused(msg)) = check_callback_verification("1310000011", call) else {
            panic!("{call:?} must be refused");
        };
        assert!(msg.contains("折り返し"), "{msg}");
    }
}
use crate::domain::Policy;

fn reasons() -> Vec<WrapUpReason> {
    Policy::builtin().wrap_up_reason
}

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 15, h, m, 0).unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, m, day).unwrap()
}

#[test]
fn closing_needs_a_reason_and_names_the_choices() {
    let err = check_wrap_up(&reasons(), &[]).unwrap_err().to_string();
    assert!(err.contains("応対の理由を1つ以上選んで"), "{err}");
    assert!(err.contains("補助金") && err.contains("その他"), "{err}");
}

#[test]
fn unknown_reason_is_refused_with_the_known_ids() {
    let err = check_wrap_up(&reasons(), &["weather".into()]).unwrap_err().to_string();
    assert!(err.contains("weather") && err.contains("subsidy"), "{err}");
}

#[test]
fn reasons_come_back_deduplicated_in_policy_order() {
    let got = check_wrap_up(&reasons(), &["other".into(), "model".into(), "other".into()]).unwrap();
    assert_eq!(got, vec!["model".to_string(), "other".to_string()]);
}

#[test]
fn a_change_proposes_the_on_change_reason() {
    assert_eq!(proposed_reasons(&reasons(), true), vec!["model".to_string()]);
    assert!(proposed_reasons(&reasons(), false).is_empty());
    assert_eq!(reason_label(&reasons(), "model"), "機種選定・変更");
    assert_eq!(reason_label(&reasons(), "retired"), "retired");
}

#[test]
fn callback_goes_only_to_a_registered_number() {
    assert_eq!(callback_phone(Some(" 03-4260-6487 ")).unwrap(), "03-4260-6487");
    let err = callback_phone(None).unwrap_err().to_string();
    assert!(err.contains("登録電話番号がない"), "{err}");
    assert!(callback_phone(Some("  ")).is_err());
}

#[test]
fn callback_due_defaults_and_bounds() {
    let now = t(1, 0);
    assert_eq!(callback_due(now, None, 60).unwrap(), t(2, 0));
    assert_eq!(callback_due(now, Some(t(5, 30)), 60).unwrap(), t(5, 30));
    assert!(callback_due(now, Some(t(0, 0)), 60).unwrap_err().to_string().contains("過去"));
    assert!(callback_due(now, Some(now + Duration::days(15)), 60).is_err());
    assert!(callback_due(now, Some(now + Duration::days(14)), 60).is_ok());
}

#[test]
fn callback_state_turns_overdue_after_its_due_time() {
    assert_eq!(callback_state(false, t(2, 0), t(1, 59)), CallBackState::Due);
    assert_eq!(callback_state(false, t(2, 0), t(2, 0)), CallBackState::Due);
    assert_eq!(callback_state(false, t(2, 0), t(2, 1)), CallBackState::Overdue);
    assert_eq!(callback_state(true, t(2, 0), t(9, 0)), CallBackState::Done);
    assert!(check_callback_open(true).is_err());
    assert!(check_callback_open(false).is_ok());
}

#[test]
fn callback_reason_is_required_and_bounded() {
    assert!(callback_reason("  ").is_err());
    assert_eq!(callback_reason(" 機種の確認 ").unwrap(), "機種の確認");
    assert!(callback_reason(&"あ".repeat(201)).is_err());
}

#[test]
fn pending_change_needs_a_caller_and_a_unit() {
    let ok = PendingChange {
        model_id: " pfu-caora ".into(),
        units: 1,
        caller_name: " 矢嶋 花子 ".into(),
        caller_role: "院長".into(),
    };
    let checked = check_pending_change(&ok).unwrap();
    assert_eq!((checked.model_id.as_str(), checked.caller_name.as_str()), ("pfu-caora", "矢嶋 花子"));
    let err = check_pending_change(&PendingChange { caller_name: " ".into(), ..ok.clone() }).unwrap_err();
    assert!(err.to_string().contains("お名前"), "{err}");
    assert!(check_pending_change(&PendingChange { caller_role: "".into(), ..ok.clone() }).is_err());
    assert!(check_pending_change(&PendingChange { units: 0, ..ok }).is_err());
}

#[test]
fn outcomes_round_trip() {
    for o in CallBackOutcome::ALL {
        assert_eq!(CallBackOutcome::parse(o.as_str()), Some(o));
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(json, format!("\"{}\"", o.as_str()));
    }
    assert_eq!(CallBackOutcome::parse("maybe"), None);
}

#[test]
fn caller_numbers_in_any_format() {
    assert_eq!(caller_digits("03-4260-6487").unwrap(), "0342606487");
    assert_eq!(caller_digits("(03) 4260 6487").unwrap(), "0342606487");
    assert_eq!(caller_digits("０３４２６０６４８７").unwrap(), "0342606487");
    assert_eq!(caller_digits("+81 3-4260-6487").unwrap(), "0342606487");
    assert_eq!(caller_digits("81342606487").unwrap(), "0342606487");
    assert_eq!(caller_digits("09012345678").unwrap(), "09012345678");
    assert!(caller_digits("anonymous").unwrap_err().to_string().contains("anonymous"));
    assert!(caller_digits("123").is_err());
}

#[test]
fn report_range_is_japan_days() {
    let r = ReportRange::new(d(7, 15), d(7, 15)).unwrap();
    let (start, end) = r.instants();
    assert_eq!(start, Utc.with_ymd_and_hms(2021, 7, 14, 15, 0, 0).unwrap());
    assert_eq!(end, Utc.with_ymd_and_hms(2021, 7, 15, 15, 0, 0).unwrap());
    assert!(ReportRange::new(d(7, 16), d(7, 15)).unwrap_err().to_string().contains("より前"));
    assert!(ReportRange::new(d(1, 1), NaiveDate::from_ymd_opt(2022, 1, 2).unwrap()).is_ok());
    assert!(ReportRange::new(d(1, 1), NaiveDate::from_ymd_opt(2022, 1, 3).unwrap()).is_err());
}

fn sample_counts() -> CallCounts {
    CallCounts {
        by_hour: vec![(9, 3), (10, 1), (23, 1)],
        by_reason: vec![("subsidy".into(), 2), ("model".into(), 3), ("retired".into(), 1)],
        by_operator: vec![
            OperatorCounts { operator: "suzuki".into(), calls: 1, closed: 1, handle_seconds: 100 },
            OperatorCounts { operator: "sato".into(), calls: 4, closed: 3, handle_seconds: 301 },
        ],
        callbacks_due: 2,
        callbacks_overdue: 1,
        callbacks_done: 4,
    }
}

#[test]
fn report_fills_hours_and_reasons_and_averages() {
    let range = ReportRange::new(d(7, 15), d(7, 15)).unwrap();
    let r = assemble_report(range, &sample_counts(), &reasons());
    assert_eq!(r.calls, 5);
    assert_eq!(r.closed, 4);
    assert_eq!(r.avg_handle_seconds, Some(100)); // 401 / 4 = 100.25
    assert_eq!(r.by_hour.len(), 24);
    assert_eq!(r.by_hour[9], HourCount { hour: 9, calls: 3 });
    assert_eq!(r.by_hour[0].calls, 0);
    let ids: Vec<&str> = r.by_reason.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["model", "subsidy", "status", "portal", "system", "other", "retired"]);
    assert_eq!(r.by_reason[0].calls, 3);
    assert_eq!(r.by_reason[2].calls, 0);
    assert_eq!(r.by_operator[0].operator, "sato");
    assert_eq!(r.by_operator[0].avg_handle_seconds, Some(100)); // 301 / 3 = 100.33
    assert_eq!(r.callbacks, CallBackCounts { due: 2, overdue: 1, done: 4 });
}

#[test]
fn empty_report_has_no_average() {
    let range = ReportRange::new(d(7, 15), d(7, 16)).unwrap();
    let r = assemble_report(range, &CallCounts::default(), &reasons());
    assert_eq!(r.calls, 0);
    assert_eq!(r.avg_handle_seconds, None);
    assert!(r.by_reason.iter().all(|x| x.calls == 0));
    assert!(r.by_operator.is_empty());
}

#[test]
fn csv_is_one_table_with_quoting() {
    let range = ReportRange::new(d(7, 15), d(7, 15)).unwrap();
    let mut counts = sample_counts();
    counts.by_operator[0].operator = "a,b".into();
    let csv = report_csv(&assemble_report(range, &counts, &reasons()));
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "section,key,label,calls,avg_handle_seconds");
    assert_eq!(lines[1], "total,2021-07-15..2021-07-15,応対件数,5,100");
    assert!(lines.contains(&"hour,09,9時台,3,"));
    assert!(lines.contains(&"reason,model,機種選定・変更,3,"));
    assert!(lines.contains(&"operator,\"a,b\",\"a,b\",1,100"));
    assert!(lines.contains(&"callbacks,overdue,期限超過,1,"));
    assert_eq!(lines.len(), 1 + 2 + 24 + 7 + 2 + 3);
}
