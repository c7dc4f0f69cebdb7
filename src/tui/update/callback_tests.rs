//! Unit tests of the console's call-backs and report through `update()`: the form, the change
//! dialog's verification by call-back, taking one from the list, its outcome, the waiting
//! change completed from it, and the report's period.

use chrono::{Duration, NaiveDate};

use crate::api::{Call, TakenCallBack, Verification};
use crate::domain::call::PendingChange;
use crate::domain::{CallBack, CallBackOutcome, CallBackState};

use super::super::action::{Action, Command};
use super::super::effect::Effect;
use super::super::state::{DashboardTab, DialogStage, Loadable, Screen, State};
use super::tests::{me, opened, receipt, state, type_str};
use super::update;

const CODE: &str = "1331234567";

fn call(id: i64, s: &State) -> Call {
    Call { id, operator: "me".into(), started_at: s.now, code: Some(CODE.into()), ..Call::default() }
}

fn callback(id: i64, s: &State, change: Option<PendingChange>) -> CallBack {
    CallBack {
        id,
        code: CODE.into(),
        phone: "03-0000-0000".into(),
        reason: "機種の確認".into(),
        due_at: s.now + Duration::hours(1),
        created_by: "sato".into(),
        created_at: s.now,
        origin_call_id: Some(1),
        call_id: None,
        taken_by: None,
        outcome: None,
        done_at: None,
        state: CallBackState::Due,
        name: Some("矢嶋歯科医院".into()),
        change,
    }
}

fn pending() -> PendingChange {
    PendingChange {
        model_id: "sample-b".into(),
        units: 1,
        caller_name: "山田".into(),
        caller_role: "事務長".into(),
    }
}

#[test]
fn the_new_callback_key_on_an_open_call_registers_one_to_the_registered_number() {
    let mut s = opened();
    let c = call(7, &s);
    update(&mut s, Action::CallSaved(Ok(c)));
    update(&mut s, Action::Command(Command::NewCallBack));
    assert_eq!(s.screen, Screen::Calls);
    let form = s.calls.callback_form.as_ref().expect("the form");
    assert_eq!((form.code.as_str(), form.phone.as_deref()), (CODE, Some("03-0000-0000")));
    assert!(s.text_focus(), "the reason is typed");
    // No reason: refused in the console, nothing sent.
    assert!(update(&mut s, Action::Command(Command::Confirm)).is_empty());
    assert!(s.calls.callback_form.as_ref().and_then(|f| f.problem.as_ref()).is_some());
    type_str(&mut s, "補助金の書類");
    update(&mut s, Action::Command(Command::Down)); // 30 minutes
    let fx = update(&mut s, Action::Command(Command::Confirm));
    let body = match &fx[..] {
        [Effect::CreateCallBack { from_dialog: false, body }] => body.clone(),
        other => panic!("expected a call-back, got {other:?}"),
    };
    assert_eq!((body.code.as_str(), body.reason.as_str(), body.call_id), (CODE, "補助金の書類", Some(7)));
    assert_eq!(body.due_at, Some(s.now + Duration::minutes(30)));
    assert!(body.phone.is_none(), "never a number of our own");
    let cb = callback(5, &s, None);
    let fx = update(&mut s, Action::CallBackCreated { from_dialog: false, reply: Ok(cb) });
    assert!(s.calls.callback_form.is_none());
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadCallBacks)));
    let msg = s.message.as_ref().map(|m| m.1.clone()).unwrap_or_default();
    assert!(msg.contains("#5") && msg.contains("03-0000-0000"), "{msg}");
}

#[test]
fn a_callback_needs_an_institution() {
    let mut s = state();
    assert!(update(&mut s, Action::Command(Command::NewCallBack)).is_empty());
    assert!(s.calls.callback_form.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.1.contains("医療機関")));
}

/// Fills the change dialog with the second model, 山田, and verification `which` (0: read
/// back, 1: call back), and goes to its confirmation.
fn dialog_confirming(s: &mut State, which: usize) {
    update(s, Action::Command(Command::Change));
    update(s, Action::Command(Command::Down));
    update(s, Action::Command(Command::Next));
    type_str(s, "山田");
    update(s, Action::Command(Command::Next));
    update(s, Action::Command(Command::Down)); // 事務長
    update(s, Action::Command(Command::Next));
    for _ in 0..=which {
        update(s, Action::Command(Command::Down));
    }
    update(s, Action::Command(Command::Confirm));
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Confirm)));
}

#[test]
fn verification_by_callback_registers_one_carrying_the_change_instead_of_changing() {
    let mut s = opened();
    let c = call(7, &s);
    update(&mut s, Action::CallSaved(Ok(c)));
    dialog_confirming(&mut s, 1);
    assert!(s.dialog.as_ref().is_some_and(|d| d.needs_callback()));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    let body = match &fx[..] {
        [Effect::CreateCallBack { from_dialog: true, body }] => body.clone(),
        other => panic!("expected a call-back and no change, got {other:?}"),
    };
    assert_eq!(body.change, Some(pending()));
    assert_eq!((body.code.as_str(), body.call_id), (CODE, Some(7)));
    assert!(body.reason.contains("山田"), "{}", body.reason);
    let cb = callback(9, &s, Some(pending()));
    update(&mut s, Action::CallBackCreated { from_dialog: true, reply: Ok(cb) });
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::CallBackRegistered(_))));
    update(&mut s, Action::Command(Command::Confirm));
    assert!(s.dialog.is_none());
}

#[test]
fn reading_back_the_details_still_changes_at_once() {
    let mut s = opened();
    dialog_confirming(&mut s, 0);
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(
        matches!(&fx[..], [Effect::Change { body, .. }] if body.verification == Verification::RegisteredDetails)
    );
}

/// The dashboard's call-back tab with one call-back waiting for a change.
fn on_the_list() -> State {
    let mut s = opened();
    s.me = Loadable::Loaded(me());
    update(&mut s, Action::Command(Command::Dashboard));
    let fx = update(&mut s, Action::Command(Command::Next));
    assert_eq!(s.dashboard.tab, DashboardTab::CallBacks);
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadCallBacks)));
    let list = vec![callback(9, &s, Some(pending())), callback(10, &s, None)];
    update(&mut s, Action::CallBacksLoaded(Ok(list)));
    s
}

#[test]
fn taking_a_callback_opens_the_institution_and_f4_completes_the_waiting_change() {
    let mut s = on_the_list();
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(matches!(&fx[..], [Effect::TakeCallBack { id: 9 }]));
    let mut taken_call = call(30, &s);
    taken_call.callback_id = Some(9);
    let taken = TakenCallBack { callback: callback(9, &s, Some(pending())), call: taken_call };
    let fx = update(&mut s, Action::CallBackTaken(Ok(taken)));
    assert_eq!(s.screen, Screen::Institution);
    assert_eq!(s.calls.current.as_ref().map(|c| c.id), Some(30));
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadInstitution { code } if code == CODE)));
    assert!(s.message.as_ref().is_some_and(|m| m.1.contains("03-0000-0000")));
    update(&mut s, Action::InstitutionLoaded { code: CODE.into(), reply: Ok(super::tests::detail(CODE)) });

    // F4: the fields come from the call-back; one Enter to the confirmation, one to change.
    update(&mut s, Action::Command(Command::Change));
    let d = s.dialog.as_ref().expect("dialog");
    assert_eq!(d.caller.value(), "山田");
    assert_eq!(d.verification, Some(Verification::CallbackRegisteredPhone));
    assert_eq!(d.from_callback, Some(9));
    assert!(!d.needs_callback(), "this call is the call-back");
    assert_eq!(s.models.get().and_then(|m| m.get(d.model_idx)).map(|m| m.id.as_str()), Some("sample-b"));
    for _ in 0..5 {
        update(&mut s, Action::Command(Command::Confirm));
        if matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Confirm)) {
            break;
        }
    }
    let fx = update(&mut s, Action::Command(Command::Confirm));
    let key = match &fx[..] {
        [Effect::Change { body, idempotency_key, .. }] => {
            assert_eq!((body.call_id, body.verification), (Some(30), Verification::CallbackRegisteredPhone));
            idempotency_key.clone()
        }
        other => panic!("expected the change, got {other:?}"),
    };
    // The change done: the call-back reached its caller, recorded so.
    let fx = update(&mut s, Action::ChangeDone { key, reply: Ok(receipt("R-0009", 4)) });
    assert!(
        fx.iter().any(|e| matches!(e, Effect::CloseCallBack { id: 9, outcome: CallBackOutcome::Reached })),
        "{fx:?}"
    );
}

#[test]
fn taking_a_callback_waits_for_the_open_call_to_end() {
    let mut s = on_the_list();
    let c = call(3, &s);
    update(&mut s, Action::CallSaved(Ok(c)));
    assert!(update(&mut s, Action::Command(Command::Confirm)).is_empty());
    assert!(s.message.as_ref().is_some_and(|m| m.1.contains("#3")));
}

#[test]
fn the_outcome_picker_records_what_was_chosen() {
    let mut s = on_the_list();
    update(&mut s, Action::Command(Command::Down)); // #10
    update(&mut s, Action::Command(Command::CloseCallBack));
    assert_eq!(s.dashboard.callbacks.closing, Some((10, CallBackOutcome::Reached)));
    assert!(s.text_focus(), "digits pick");
    update(&mut s, Action::Insert('2'));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(matches!(&fx[..], [Effect::CloseCallBack { id: 10, outcome: CallBackOutcome::NoAnswer }]));
    let mut done = callback(10, &s, None);
    done.outcome = Some(CallBackOutcome::NoAnswer);
    done.done_at = Some(s.now);
    update(&mut s, Action::CallBackClosed(Ok(done)));
    assert!(s.dashboard.callbacks.closing.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.1.contains("不在")));
    // Esc closes the picker without recording.
    update(&mut s, Action::Command(Command::CloseCallBack));
    assert!(update(&mut s, Action::Command(Command::Back)).is_empty());
    assert!(s.dashboard.callbacks.closing.is_none());
}

#[test]
fn the_report_moves_by_its_period() {
    let mut s = state();
    s.me = Loadable::Loaded(me());
    update(&mut s, Action::Command(Command::Dashboard));
    update(&mut s, Action::Command(Command::Next));
    let fx = update(&mut s, Action::Command(Command::Next));
    let d = |m, day| NaiveDate::from_ymd_opt(2021, m, day).expect("date");
    assert!(matches!(&fx[..], [Effect::LoadReport { from, to }] if (*from, *to) == (d(7, 15), d(7, 15))));
    let fx = update(&mut s, Action::Command(Command::PageUp));
    assert!(matches!(&fx[..], [Effect::LoadReport { from, .. }] if *from == d(7, 14)));
    let fx = update(&mut s, Action::Command(Command::ReportSpan));
    assert!(matches!(&fx[..], [Effect::LoadReport { from, to }] if (*from, *to) == (d(7, 8), d(7, 14))));
    let fx = update(&mut s, Action::Command(Command::ReportSpan));
    assert!(matches!(&fx[..], [Effect::LoadReport { from, to }] if (*from, *to) == (d(7, 1), d(7, 31))));
    // An answer for a period no longer shown is dropped.
    update(
        &mut s,
        Action::ReportLoaded {
            from: d(7, 14),
            to: d(7, 14),
            reply: Err(crate::client::ClientError::Offline("x".into())),
        },
    );
    assert!(matches!(s.dashboard.report.data, Loadable::Loading));
}
