//! Unit tests of `update()`: state + action → state + effects, no terminal, no server.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::api::{
    ChangeReceipt, InstitutionDetail, InstitutionSummary, LookupResponse, ReaderApplicationView, Verification,
};
use crate::client::ClientError;
use crate::domain::{
    Institution, InstitutionCode, InstitutionKind, ReaderApplication, ReaderModel, ReaderStatus,
};

use super::super::action::{Action, Command, EditKey};
use super::super::effect::Effect;
use super::super::state::{DialogField, DialogStage, Loadable, Screen, State, Tab};
use super::update;

pub(super) fn state() -> State {
    let now = Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).single().expect("time");
    State::new("embedded", false, true, "sess", now)
}

fn summary(code: &str, name: &str) -> InstitutionSummary {
    InstitutionSummary {
        code: code.into(),
        name: name.into(),
        name_kana: Some("ヤジマシカイイン".into()),
        kind: InstitutionKind::DentalClinic,
        prefecture: "東京都".into(),
        city: "杉並区".into(),
        reader_status: ReaderStatus::Undecided,
        match_kind: "reading".into(),
        score: 1.0,
        highlights: vec![],
    }
}

pub(super) fn view(version: i64, status: ReaderStatus, model: Option<&str>) -> ReaderApplicationView {
    ReaderApplicationView {
        application: ReaderApplication {
            status,
            model_id: model.map(str::to_string),
            units: 1,
            applied_on: NaiveDate::from_ymd_opt(2021, 3, 1),
            version,
        },
        model: None,
        free_units: 1,
        selection_deadline: NaiveDate::from_ymd_opt(2021, 8, 1).expect("date"),
        days_left: 17,
        rule_note: "機種未定の申込は 2021-08-01 までに機種を選んでください".into(),
    }
}

pub(super) fn detail(code: &str) -> InstitutionDetail {
    InstitutionDetail {
        institution: Institution {
            code: InstitutionCode::from_digits(code).expect("a ten-digit code"),
            name: "矢嶋歯科医院".into(),
            name_kana: Some("ヤジマシカイイン".into()),
            kana_inferred: false,
            kind: InstitutionKind::DentalClinic,
            prefecture: "東京都".into(),
            city: "杉並区".into(),
            postal_code: "166-0001".into(),
            address: "阿佐谷北1-1-1".into(),
            phone: Some("03-0000-0000".into()),
            large_chain: false,
        },
        do_not_call: None,
        check_digit_warning: None,
        reader_application: view(3, ReaderStatus::Undecided, None),
    }
}

pub(super) fn models() -> Vec<ReaderModel> {
    vec![
        ReaderModel { id: "pfu-caora".into(), maker: "PFU".into(), name: "Caora".into(), sample: false },
        ReaderModel { id: "sample-b".into(), maker: "見本".into(), name: "B".into(), sample: true },
    ]
}

pub(super) fn type_str(s: &mut State, text: &str) -> Vec<Effect> {
    let mut fx = vec![];
    for c in text.chars() {
        fx = update(s, Action::Insert(c));
    }
    fx
}

/// Opens 矢嶋歯科医院 with its detail and the model catalog loaded.
pub(super) fn opened() -> State {
    let mut s = state();
    let code = "1331234567";
    type_str(&mut s, "yajima");
    let seq = s.lookup.seq;
    update(
        &mut s,
        Action::LookupDone {
            seq,
            reply: Ok(LookupResponse {
                query: "yajima".into(),
                results: vec![summary(code, "矢嶋歯科医院")],
            }),
        },
    );
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadInstitution { code: c } if c == code)));
    update(&mut s, Action::InstitutionLoaded { code: code.into(), reply: Ok(detail(code)) });
    update(&mut s, Action::ModelsLoaded(Ok(models())));
    s
}

/// The dialog filled in and on its confirmation step.
fn confirming() -> State {
    let mut s = opened();
    update(&mut s, Action::Command(Command::Change));
    update(&mut s, Action::Command(Command::Down)); // second model
    update(&mut s, Action::Command(Command::Next)); // caller name (units hidden: 1 free unit)
    type_str(&mut s, "山田");
    update(&mut s, Action::Command(Command::Next)); // role
    update(&mut s, Action::Command(Command::Next)); // verification
    update(&mut s, Action::Command(Command::Down));
    update(&mut s, Action::Command(Command::Confirm));
    s
}

fn change_key(fx: &[Effect]) -> (String, i64) {
    fx.iter()
        .find_map(|e| match e {
            Effect::Change { idempotency_key, if_match, .. } => Some((idempotency_key.clone(), *if_match)),
            _ => None,
        })
        .expect("a change effect")
}

pub(super) fn receipt(no: &str, version: i64) -> ChangeReceipt {
    ChangeReceipt {
        receipt_no: no.into(),
        before: view(3, ReaderStatus::Undecided, None).application,
        application: view(version, ReaderStatus::Selected, Some("sample-b")),
    }
}

#[test]
fn typing_sends_a_lookup_per_key_and_only_the_latest_answer_shows() {
    let mut s = state();
    let fx = type_str(&mut s, "yaj");
    assert!(matches!(&fx[..], [Effect::Lookup { seq: 3, query }] if query == "yaj"));
    // The answer to "ya" (seq 2) arrives after "yaj" was sent: dropped.
    update(
        &mut s,
        Action::LookupDone {
            seq: 2,
            reply: Ok(LookupResponse { query: "ya".into(), results: vec![summary("1", "a")] }),
        },
    );
    assert!(s.lookup.results.is_empty());
    assert!(s.lookup.loading);
    update(
        &mut s,
        Action::LookupDone {
            seq: 3,
            reply: Ok(LookupResponse { query: "yaj".into(), results: vec![summary("2", "b")] }),
        },
    );
    assert_eq!(s.lookup.results.len(), 1);
    assert!(!s.lookup.loading);
    // An even older answer arriving last still does not overwrite.
    update(
        &mut s,
        Action::LookupDone { seq: 1, reply: Ok(LookupResponse { query: "y".into(), results: vec![] }) },
    );
    assert_eq!(s.lookup.results[0].code, "2");
}

#[test]
fn paste_is_one_line_and_editing_reruns_the_query() {
    let mut s = state();
    let fx = update(&mut s, Action::Paste("矢嶋\n歯科".into()));
    assert!(matches!(&fx[..], [Effect::Lookup { query, .. }] if query == "矢嶋 歯科"));
    let fx = update(&mut s, Action::Edit(EditKey::Clear));
    assert!(fx.is_empty(), "an empty query sends nothing");
    assert_eq!(s.lookup.input.value(), "");
}

#[test]
fn f2_clears_and_focuses_the_lookup_from_anywhere() {
    let mut s = opened();
    assert_eq!(s.screen, Screen::Institution);
    update(&mut s, Action::Command(Command::Lookup));
    assert_eq!(s.screen, Screen::Lookup);
    assert_eq!(s.lookup.input.value(), "");
    assert!(s.lookup.results.is_empty());
}

#[test]
fn tabs_cycle_both_ways() {
    let mut s = opened();
    update(&mut s, Action::Command(Command::Next));
    assert_eq!(s.institution.as_ref().map(|i| i.tab), Some(Tab::Reader));
    update(&mut s, Action::Command(Command::Prev));
    update(&mut s, Action::Command(Command::Prev));
    assert_eq!(s.institution.as_ref().map(|i| i.tab), Some(Tab::Calls));
}

#[test]
fn dialog_requires_caller_and_verification_before_confirming() {
    let mut s = opened();
    update(&mut s, Action::Command(Command::Change));
    let d = s.dialog.as_ref().expect("dialog");
    assert_eq!(
        d.fields(),
        vec![DialogField::Model, DialogField::CallerName, DialogField::CallerRole, DialogField::Verification]
    );
    // Enter walks the fields; on the last one it checks.
    for _ in 0..4 {
        update(&mut s, Action::Command(Command::Confirm));
    }
    let d = s.dialog.as_ref().expect("dialog");
    assert!(matches!(d.stage, DialogStage::Editing));
    assert_eq!(d.field, DialogField::CallerName);
    assert!(d.problem.is_some());
    assert!(s.text_focus(), "the caller field has focus: keys type");
}

#[test]
fn units_are_offered_only_where_more_than_one_is_free() {
    let mut s = opened();
    if let Some(i) = s.institution.as_mut()
        && let Loadable::Loaded(d) = &mut i.detail
    {
        d.reader_application.free_units = 3;
    }
    update(&mut s, Action::Command(Command::Change));
    let d = s.dialog.as_ref().expect("dialog");
    assert!(d.fields().contains(&DialogField::Units));
    update(&mut s, Action::Command(Command::Next));
    update(&mut s, Action::Command(Command::Up));
    update(&mut s, Action::Command(Command::Up));
    update(&mut s, Action::Command(Command::Up));
    assert_eq!(s.dialog.as_ref().map(|d| d.units), Some(3), "capped at the free units");
}

#[test]
fn confirm_then_commit_sends_if_match_and_a_key() {
    let mut s = confirming();
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Confirm)));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    let (key, if_match) = change_key(&fx);
    assert_eq!(if_match, 3);
    let body = fx.iter().find_map(|e| match e {
        Effect::Change { body, .. } => Some(body.clone()),
        _ => None,
    });
    let body = body.expect("body");
    assert_eq!(body.model_id, "sample-b");
    assert_eq!(body.caller_name, "山田");
    assert_eq!(body.verification, Verification::RegisteredDetails);
    update(&mut s, Action::ChangeDone { key, reply: Ok(receipt("R-0001", 4)) });
    match s.dialog.as_ref().map(|d| &d.stage) {
        Some(DialogStage::Receipt(r)) => assert_eq!(r.receipt_no, "R-0001"),
        other => panic!("expected receipt, got {other:?}"),
    }
    let fx = update(&mut s, Action::Command(Command::Copy));
    assert!(matches!(&fx[..], [Effect::Copy(t)] if t == "R-0001"));
    // Enter closes and reloads the institution.
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(s.dialog.is_none());
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadInstitution { .. })));
}

#[test]
fn offline_keeps_the_dialog_and_retries_with_the_same_key() {
    let mut s = confirming();
    let (key, _) = change_key(&update(&mut s, Action::Command(Command::Confirm)));
    let fx = update(
        &mut s,
        Action::ChangeDone { key: key.clone(), reply: Err(ClientError::Offline("reset".into())) },
    );
    assert!(matches!(&fx[..], [Effect::RetryChangeLater]));
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Offline { attempt: 1, .. })));
    let (again, if_match) = change_key(&update(&mut s, Action::RetryChange));
    assert_eq!(again, key, "same Idempotency-Key on retry");
    assert_eq!(if_match, 3);
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Submitting { attempt: 2 })));
    // Back to editing and confirming again (nothing changed) still uses the same key.
    update(&mut s, Action::ChangeDone { key: key.clone(), reply: Err(ClientError::Offline("reset".into())) });
    update(&mut s, Action::Command(Command::Back));
    update(&mut s, Action::Command(Command::Confirm));
    let (third, _) = change_key(&update(&mut s, Action::Command(Command::Confirm)));
    assert_eq!(third, key);
}

#[test]
fn a_refusal_is_shown_in_the_servers_words() {
    let mut s = confirming();
    let (key, _) = change_key(&update(&mut s, Action::Command(Command::Confirm)));
    let msg = "発送済の申込は変更できません";
    update(
        &mut s,
        Action::ChangeDone {
            key,
            reply: Err(ClientError::Api { status: 409, code: "rule".into(), message: msg.into() }),
        },
    );
    match s.dialog.as_ref().map(|d| &d.stage) {
        Some(DialogStage::Refused { message }) => assert_eq!(message, msg),
        other => panic!("{other:?}"),
    }
    update(&mut s, Action::Command(Command::Back));
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Editing)));
}

#[test]
fn stale_offers_redo_on_the_fresh_state_with_a_new_key() {
    let mut s = confirming();
    let (key, _) = change_key(&update(&mut s, Action::Command(Command::Confirm)));
    let fresh = view(5, ReaderStatus::Selected, Some("pfu-caora"));
    update(
        &mut s,
        Action::ChangeDone {
            key: key.clone(),
            reply: Err(ClientError::Stale {
                message: "変更されています".into(),
                current: Some(Box::new(fresh)),
            }),
        },
    );
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Stale { .. })));
    update(&mut s, Action::Command(Command::Confirm)); // redo: back to the confirmation on the fresh state
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Confirm)));
    let (key2, if_match) = change_key(&update(&mut s, Action::Command(Command::Confirm)));
    assert_eq!(if_match, 5);
    assert_ne!(key2, key);
    // A late answer for the old key is ignored.
    update(&mut s, Action::ChangeDone { key, reply: Ok(receipt("R-OLD", 9)) });
    assert!(matches!(s.dialog.as_ref().map(|d| &d.stage), Some(DialogStage::Submitting { .. })));
}

#[test]
fn quit_asks_first_when_a_dialog_is_open() {
    let mut s = opened();
    update(&mut s, Action::Command(Command::Change));
    update(&mut s, Action::Command(Command::Quit));
    assert!(!s.quit && s.confirm_quit);
    update(&mut s, Action::Command(Command::Back));
    assert!(!s.confirm_quit && s.dialog.is_some());
    update(&mut s, Action::Command(Command::Quit));
    update(&mut s, Action::Command(Command::Confirm));
    assert!(s.quit);
    let mut idle = state();
    update(&mut idle, Action::Command(Command::Quit));
    assert!(idle.quit, "nothing open: quits at once");
}

#[test]
fn another_operators_change_is_announced_and_reloaded() {
    let mut s = opened();
    let fx = update(
        &mut s,
        Action::ServerEvent(crate::api::ServerEvent::ApplicationChanged {
            code: "1331234567".into(),
            version: 4,
            operator: "suzuki".into(),
            receipt_no: Some("R-9".into()),
        }),
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadInstitution { .. })));
    let notice = s.institution.as_ref().and_then(|i| i.notice.clone()).expect("notice");
    assert!(notice.contains("suzuki"), "{notice}");
    // An event for an older version (already shown) changes nothing.
    let mut s2 = opened();
    let fx = update(
        &mut s2,
        Action::ServerEvent(crate::api::ServerEvent::ApplicationChanged {
            code: "1331234567".into(),
            version: 3,
            operator: "x".into(),
            receipt_no: None,
        }),
    );
    assert!(!fx.iter().any(|e| matches!(e, Effect::LoadInstitution { .. })));
    assert!(s2.institution.as_ref().is_some_and(|i| i.notice.is_none()));
}

#[test]
fn call_start_attach_close() {
    let mut s = opened();
    let fx = update(&mut s, Action::Command(Command::StartCall));
    assert!(matches!(&fx[..], [Effect::StartCall { code: Some(c) }] if c == "1331234567"));
    let call = crate::api::Call {
        id: 7,
        operator: "me".into(),
        started_at: s.now,
        ended_at: None,
        code: Some("1331234567".into()),
        note: String::new(),
        receipts: vec![],
        ..Default::default()
    };
    update(&mut s, Action::CallSaved(Ok(call.clone())));
    assert_eq!(s.call_seconds(), Some(0));
    let later = s.now + chrono::Duration::seconds(65);
    update(&mut s, Action::Tick(later));
    assert_eq!(s.call_seconds(), Some(65));
    update(&mut s, Action::Command(Command::Calls));
    type_str(&mut s, "折り返し希望");
    s.me = Loadable::Loaded(me());
    // Ctrl-X opens the wrap-up picker; nothing is sent until a reason is chosen.
    assert!(update(&mut s, Action::Command(Command::CloseCall)).is_empty());
    assert_eq!(s.calls.wrap_up.as_deref(), Some(&[][..]), "no change during the call: nothing proposed");
    assert!(
        update(&mut s, Action::Command(Command::Confirm)).is_empty(),
        "closing without a reason asks for one"
    );
    assert!(s.message.as_ref().is_some_and(|(_, m)| m.contains("理由")));
    update(&mut s, Action::Insert('2'));
    update(&mut s, Action::Insert('6'));
    update(&mut s, Action::Insert('6')); // toggled off again
    update(&mut s, Action::Insert('9')); // no ninth reason: a hint, no change
    let fx = update(&mut s, Action::Command(Command::Confirm));
    match &fx[..] {
        [Effect::UpdateCall { id: 7, update }] => {
            assert!(update.close);
            assert_eq!(update.note.as_deref(), Some("折り返し希望"));
            assert_eq!(update.reasons.as_deref(), Some(&["subsidy".to_string()][..]));
        }
        other => panic!("{other:?}"),
    }
    let closed = crate::api::Call { ended_at: Some(s.now), ..call };
    update(&mut s, Action::CallSaved(Ok(closed)));
    assert!(s.calls.current.is_none());
    assert!(s.calls.wrap_up.is_none());
}

pub(super) fn me() -> crate::api::Me {
    crate::api::Me {
        name: "me".into(),
        role: crate::api::Role::Operator,
        business_date: chrono::NaiveDate::from_ymd_opt(2021, 7, 15).expect("date"),
        date_fixed: true,
        selection_deadline: chrono::NaiveDate::from_ymd_opt(2021, 8, 1).expect("date"),
        wrap_up_reasons: crate::domain::Policy::builtin().wrap_up_reason,
        server_now: None,
    }
}

#[test]
fn r26_the_call_timer_counts_on_the_servers_clock_under_as_of() {
    // The runner's clock says 2026; the server runs `--as-of 2021-07-15`, so its instants (the
    // call's start) are five years back. The timer shows the call's own minutes.
    let mut s = state();
    let local = Utc.with_ymd_and_hms(2026, 12, 6, 8, 0, 0).single().expect("time");
    update(&mut s, Action::Tick(local));
    let server_now = Utc.with_ymd_and_hms(2021, 7, 15, 8, 0, 0).single().expect("time");
    update(&mut s, Action::MeLoaded(Ok(crate::api::Me { server_now: Some(server_now), ..me() })));
    let call =
        crate::api::Call { id: 3, operator: "me".into(), started_at: server_now, ..Default::default() };
    update(&mut s, Action::CallSaved(Ok(call)));
    update(&mut s, Action::Tick(local + chrono::TimeDelta::seconds(159)));
    assert_eq!(s.call_seconds(), Some(159));
    assert_eq!(crate::tui::text::mm_ss(159), "02:39");
}

#[test]
fn a_call_that_changed_an_application_proposes_its_reason() {
    let mut s = state();
    s.me = Loadable::Loaded(me());
    let call = crate::api::Call {
        id: 8,
        operator: "me".into(),
        started_at: s.now,
        receipts: vec!["R-210715-000001".into()],
        ..Default::default()
    };
    update(&mut s, Action::CallSaved(Ok(call)));
    update(&mut s, Action::Command(Command::CloseCall));
    assert_eq!(s.screen, Screen::Calls, "Ctrl-X anywhere shows the picker");
    assert_eq!(s.calls.wrap_up.as_deref(), Some(&["model".to_string()][..]));
    // Two keys: Ctrl-X, Enter.
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(
        matches!(&fx[..], [Effect::UpdateCall { update, .. }] if update.reasons.as_deref() == Some(&["model".to_string()][..]))
    );
    // Esc instead would have kept the call open.
    s.calls.saving = false;
    update(&mut s, Action::Command(Command::Back));
    assert!(s.calls.wrap_up.is_none() && s.calls.current.is_some());
}

#[test]
fn deadline_batch_is_dry_run_then_confirm() {
    let mut s = state();
    update(&mut s, Action::Command(Command::Dashboard));
    let fx = update(&mut s, Action::Command(Command::DeadlineBatch));
    assert!(matches!(&fx[..], [Effect::DeadlineBatch { dry_run: true }]));
    let result = crate::api::DeadlineBatchResult {
        dry_run: true,
        cancelled: 12,
        sample_codes: vec![],
        message: "12件".into(),
    };
    update(&mut s, Action::BatchDone(Ok(result)));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(matches!(&fx[..], [Effect::DeadlineBatch { dry_run: false }]));
}

#[test]
fn faq_answers_follow_the_latest_query() {
    let mut s = state();
    update(&mut s, Action::Command(Command::Faq));
    assert_eq!(s.screen, Screen::Faq);
    let fx = type_str(&mut s, "期限");
    assert!(matches!(&fx[..], [Effect::Faq { seq: 2, .. }]));
    update(
        &mut s,
        Action::FaqDone {
            seq: 1,
            reply: Ok(crate::api::FaqResponse { query: "期".into(), results: vec![], confident: false }),
        },
    );
    assert!(s.faq.loading, "older answer ignored");
    update(&mut s, Action::Command(Command::Back));
    assert_eq!(s.screen, Screen::Lookup);
}

#[test]
fn clearing_the_faq_query_clears_its_error_as_the_lookup_does() {
    let mut s = state();
    update(&mut s, Action::Command(Command::Faq));
    type_str(&mut s, "期限");
    let seq = s.faq.seq;
    update(&mut s, Action::FaqDone { seq, reply: Err(ClientError::Offline("connection refused".into())) });
    assert!(s.faq.error.is_some());
    let fx = update(&mut s, Action::Edit(EditKey::Clear));
    assert!(fx.is_empty(), "nothing to ask for an empty query");
    assert_eq!((s.faq.error.as_deref(), s.faq.loading, s.faq.results.len()), (None, false, 0));

    // The lookup, the same pane type, behaves the same.
    update(&mut s, Action::Command(Command::Lookup));
    type_str(&mut s, "yaj");
    let seq = s.lookup.seq;
    update(&mut s, Action::LookupDone { seq, reply: Err(ClientError::Offline("connection refused".into())) });
    assert!(s.lookup.error.is_some());
    update(&mut s, Action::Edit(EditKey::Clear));
    assert_eq!(s.lookup.error, None);
}

fn pop(code: Option<&str>, candidates: usize) -> crate::api::ScreenPop {
    crate::api::ScreenPop {
        operator: "me".into(),
        caller_number: "0342606487".into(),
        call_id: 31,
        code: code.map(str::to_string),
        candidates: (0..candidates)
            .map(|i| crate::api::ScreenPopCandidate {
                code: format!("133150001{i}"),
                name: format!("候補{i}"),
                prefecture: "東京都".into(),
                city: "杉並区".into(),
            })
            .collect(),
    }
}

#[test]
fn a_screen_pop_opens_the_matching_institution_with_the_call_started() {
    let mut s = state();
    let fx =
        update(&mut s, Action::ServerEvent(crate::api::ServerEvent::ScreenPop(pop(Some("1331500010"), 1))));
    assert_eq!(s.screen, Screen::Institution);
    assert_eq!(s.institution.as_ref().map(|i| i.code.as_str()), Some("1331500010"));
    let call = s.calls.current.as_ref().expect("the pop's call is current");
    assert_eq!((call.id, call.caller_phone.as_deref()), (31, Some("0342606487")));
    assert!(fx.iter().any(|e| matches!(e, Effect::LoadInstitution { code } if code == "1331500010")));
    assert!(s.message.as_ref().is_some_and(|(_, m)| m.contains("候補0")), "{:?}", s.message);
}

#[test]
fn a_screen_pop_without_one_match_fills_the_lookup_with_the_number() {
    let mut s = state();
    let fx = update(&mut s, Action::ServerEvent(crate::api::ServerEvent::ScreenPop(pop(None, 2))));
    assert_eq!(s.screen, Screen::Lookup);
    assert_eq!(s.lookup.input.value(), "0342606487");
    assert!(fx.iter().any(|e| matches!(e, Effect::Lookup { query, .. } if query == "0342606487")));
    assert_eq!(s.calls.current.as_ref().map(|c| c.id), Some(31));
}

#[test]
fn an_faq_answer_read_or_copied_during_a_call_goes_on_its_record() {
    let mut s = state();
    update(&mut s, Action::Command(Command::Faq));
    let fx = type_str(&mut s, "期限");
    let seq = match fx.last() {
        Some(Effect::Faq { seq, .. }) => *seq,
        other => panic!("{other:?}"),
    };
    let entry = crate::api::FaqEntry {
        id: "deadline-1".into(),
        question: "機種選定の期限は？".into(),
        answer: "2021年8月1日です。".into(),
        category: "期限".into(),
        keywords: vec![],
    };
    let hit = crate::api::FaqHit { entry, score: 1.0 };
    update(
        &mut s,
        Action::FaqDone {
            seq,
            reply: Ok(crate::api::FaqResponse {
                query: "期限".into(), results: vec![hit], confident: false
            }),
        },
    );
    // No call: Enter records nothing and says why.
    assert!(update(&mut s, Action::Command(Command::Confirm)).is_empty());
    s.calls.current = Some(crate::api::Call { id: 9, operator: "me".into(), ..Default::default() });
    // The call's FAQ suggestions are asked on the first update after it opened.
    let now = s.now;
    assert!(matches!(&update(&mut s, Action::Tick(now))[..], [Effect::Suggest { .. }]));
    let fx = update(&mut s, Action::Command(Command::Confirm));
    assert!(
        matches!(&fx[..], [Effect::AttachFaq { call_id: 9, faq_id, copied: false }] if faq_id == "deadline-1")
    );
    let fx = update(&mut s, Action::Command(Command::Copy));
    assert!(
        matches!(&fx[..], [Effect::Copy(_), Effect::AttachFaq { call_id: 9, copied: true, .. }]),
        "{fx:?}"
    );
}
