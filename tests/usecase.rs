//! The workflows (`server::usecase`) on a real SQLite store and a server state whose clock the
//! test owns (`Clock::At`): every instant written is the clock's, the deadline batch runs the
//! domain's rule, a change's receipt is written once, the dashboard counts in SQL, and an index
//! poisoned by a panic is rebuilt rather than skipped.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use madoguchi::api::{ChangeReaderApplication, Role, Verification};
use madoguchi::domain::{Policy, ReaderStatus};
use madoguchi::server::auth::Caller;
use madoguchi::server::usecase::applications::{self, ChangeRequest};
use madoguchi::server::usecase::{calls, institutions};
use madoguchi::server::{AppState, Clock, SeedOptions};

/// A small seeded database and a server state at `at`; the directory lives as long as the state.
async fn state_at(at: DateTime<Utc>) -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("usecase.db").to_string_lossy().into_owned();
    let store = madoguchi::server::open_store(&db).await.expect("opens");
    madoguchi::server::seed_store(
        store.as_ref(),
        &SeedOptions { institutions: Some(400), seed: 11 },
        &|_| {},
    )
    .await
    .expect("seeds");
    let state = AppState::load(store, Policy::builtin(), Clock::At(at), HashMap::new()).await.expect("state");
    state.wait_for_index().await.expect("index builds");
    (dir, state)
}

fn jst(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("offset");
    jst.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("instant").with_timezone(&Utc)
}

fn supervisor() -> Caller {
    Caller { name: "監督者".into(), role: Role::Supervisor }
}

async fn codes_with(state: &AppState, status: ReaderStatus) -> Vec<String> {
    let rows = state.store.all_institutions().await.expect("lists");
    rows.into_iter()
        .filter(|r| r.reader_status == status)
        .map(|r| r.institution.code.as_str().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_batch_runs_the_domain_rule_at_the_clocks_instant() {
    let at = jst(2021, 8, 2, 9);
    let (_dir, state) = state_at(at).await;
    let undecided = codes_with(&state, ReaderStatus::Undecided).await;
    assert!(!undecided.is_empty(), "the demo data has 機種未定 applications");

    let dry = applications::deadline_batch(&state, &supervisor(), true).await.expect("dry run");
    assert_eq!(dry.cancelled, undecided.len() as u64);
    let done = applications::deadline_batch(&state, &supervisor(), false).await.expect("runs");
    assert_eq!(done.cancelled, undecided.len() as u64);
    assert!(codes_with(&state, ReaderStatus::Undecided).await.is_empty());
    let events = state.store.audit(Some(&undecided[0]), 5).await.expect("lists");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].at, at, "the audit time is the server clock's");
    assert!(events[0].receipt_no.as_deref().is_some_and(|r| r.starts_with("R-210802-")), "{events:?}");
    // The lookup index shows the new statuses.
    let hits = state.lookup.read().expect("not poisoned").search(&undecided[0], 1);
    assert_eq!(hits[0].reader_status, ReaderStatus::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_batch_before_the_deadline_is_a_dry_run_only() {
    let (_dir, state) = state_at(jst(2021, 7, 15, 10)).await;
    let undecided = codes_with(&state, ReaderStatus::Undecided).await;
    let dry = applications::deadline_batch(&state, &supervisor(), true).await.expect("dry run");
    assert_eq!(dry.cancelled, undecided.len() as u64, "counts what the batch will cancel after the deadline");
    let err = applications::deadline_batch(&state, &supervisor(), false).await.expect_err("refused");
    assert_eq!(err.status(), reqwest::StatusCode::CONFLICT);
    assert!(err.to_string().contains("まだ来ていない"), "{err}");
    assert_eq!(codes_with(&state, ReaderStatus::Undecided).await.len(), undecided.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_during_a_call_writes_its_receipt_once_at_the_clocks_instant() {
    let at = jst(2021, 7, 15, 10);
    let (_dir, state) = state_at(at).await;
    let operator = Caller { name: "佐藤".into(), role: Role::Operator };
    let code = codes_with(&state, ReaderStatus::NotApplied).await.remove(0);
    let call = calls::open(&state, &operator, Some(&code)).await.expect("opens");
    assert_eq!(call.started_at, at);
    let model = state.store.reader_models().await.expect("catalog").remove(0);
    let found = institutions::find(&state, &code).await.expect("found");
    let body = ChangeReaderApplication {
        model_id: model.id,
        units: 1,
        caller_name: "山田".into(),
        caller_role: "事務長".into(),
        verification: Verification::RegisteredDetails,
        call_id: Some(call.id),
    };
    let req = ChangeRequest { expected_version: 0, idempotency_key: "k-1".into(), body };
    let receipt = applications::change(&state, &operator, &found, req).await.expect("changes");
    assert!(receipt.receipt_no.starts_with("R-210715-"), "{}", receipt.receipt_no);

    let listed = state.store.calls(Some(&code), None).await.expect("lists");
    assert_eq!(listed[0].receipts, vec![receipt.receipt_no.clone()], "the receipt is on the call once");
    let events = state.store.audit(Some(&code), 10).await.expect("lists");
    assert_eq!(events.len(), 1, "one change, one event");
    assert_eq!(events[0].at, at);
    let (from, until) = state.clock.today_range();
    assert_eq!(state.store.application_changes_between(from, until).await.expect("counts"), 1);
    let hits = state.lookup.read().expect("not poisoned").search(&code, 1);
    assert_eq!(hits[0].reader_status, ReaderStatus::Selected, "lookups show the change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_lookup_index_is_rebuilt_not_skipped() {
    let (_dir, state) = state_at(jst(2021, 7, 15, 10)).await;
    let poisoner = state.clone();
    let _ = std::thread::spawn(move || {
        let _guard = poisoner.lookup.write().expect("not poisoned yet");
        panic!("a panic while holding the index (expected by this test)");
    })
    .join();
    assert!(state.lookup.is_poisoned());

    let code = codes_with(&state, ReaderStatus::NotApplied).await.remove(0);
    let found = institutions::find(&state, &code).await.expect("found");
    let operator = Caller { name: "佐藤".into(), role: Role::Operator };
    institutions::correct_reading(&state, &operator, found, "ヨミナオシテストイイン")
        .await
        .expect("corrects");
    assert!(!state.lookup.is_poisoned(), "rebuilt from the store");
    let hits = state.lookup.read().expect("not poisoned").search("ヨミナオシテストイイン", 3);
    assert_eq!(hits.first().map(|h| h.code.as_str()), Some(code.as_str()), "the correction is searchable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_keys_added_and_removed_are_audit_events() {
    use madoguchi::api::NewSshKey;
    use madoguchi::server::usecase::{operators, ssh_keys};
    let (_dir, state) = state_at(jst(2021, 6, 1, 9)).await;
    operators::issue(&state, &supervisor(), "佐藤", Role::Operator).await.expect("operator");
    let line =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILyNHZPSaUHrJV5XItWvplJG05g8r0OXKfTtnt7N35vt test@madoguchi";
    let req = |key: &str| NewSshKey { operator: "佐藤".into(), public_key: key.into() };
    let err = ssh_keys::add(&state, &supervisor(), req("ssh-ed25519 not-base64")).await.expect_err("bad key");
    assert!(err.to_string().contains("公開鍵") || err.to_string().contains("key"), "{err}");
    let key = ssh_keys::add(&state, &supervisor(), req(line)).await.expect("added");
    ssh_keys::remove(&state, &supervisor(), &key.fingerprint).await.expect("removed");

    let events = state.store.audit(None, 50).await.expect("lists");
    let keys: Vec<(&str, &str, &str)> = events
        .iter()
        .filter(|e| e.action.starts_with("ssh_key."))
        .map(|e| (e.action.as_str(), e.operator.as_str(), e.detail["fingerprint"].as_str().unwrap_or("")))
        .collect();
    let fp = key.fingerprint.as_str();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&("ssh_key.added", "監督者", fp)), "{keys:?}");
    assert!(keys.contains(&("ssh_key.removed", "監督者", fp)), "{keys:?}");
    assert!(state.store.verify_audit().await.expect("verifies").events >= 2);
}
