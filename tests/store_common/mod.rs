//! The store test suite, run against every backend: `store_sqlite.rs` on a temporary SQLite
//! file, `store_postgres.rs` on a fresh PostgreSQL schema per test. Each test file supplies a
//! [`Fixture`]: the store under test and a raw SQL door for tampering the way an attacker with
//! database access would (the store itself offers no way to rewrite history).

#![allow(dead_code)]

mod live_call;
#[allow(unused_imports)] // not every test binary runs the live-call suite
pub use live_call::*;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use madoguchi::api::{ChangeReaderApplication, FaqEntry, Role, Verification};
use madoguchi::domain::{
    Institution, InstitutionCode, InstitutionKind, Policy, ReaderApplication, ReaderModel, ReaderStatus,
    RuleError, SubsidyClaim, SubsidyStatus, reader,
};
use madoguchi::store::{
    ChangeCommand, DeadlineBatch, OperatorRecord, SeedData, Store, StoreError, UpsertCounts,
};

/// What a backend's test file provides.
#[async_trait::async_trait]
pub trait Fixture: Send + Sync {
    fn store(&self) -> Arc<dyn Store>;
    /// Runs one statement outside the store; the error text when the database refuses it.
    async fn exec(&self, sql: &str) -> Result<u64, String>;
    /// SQL that removes the append-only triggers (what an attacker would do first).
    fn drop_audit_triggers_sql(&self) -> Vec<&'static str>;
}

pub const HOSPITAL: &str = "0611234566";
pub const CLINIC: &str = "1311234567";
pub const DENTAL: &str = "1331234560";
pub const PHARMACY: &str = "1341234561";
pub const OSAKA_CLINIC: &str = "2711234567";

pub fn institution(code: &str, name: &str, kind: InstitutionKind, prefecture: &str) -> Institution {
    Institution {
        code: InstitutionCode::from_digits(code).expect("test codes are ten digits"),
        name: name.to_string(),
        name_kana: Some(format!("{name}ヨミ")),
        kana_inferred: false,
        kind,
        prefecture: prefecture.to_string(),
        city: "市".to_string(),
        postal_code: "100-0001".to_string(),
        address: "一丁目1-1".to_string(),
        phone: Some("03-0000-0000".to_string()),
        large_chain: false,
    }
}

/// The instant every write of the suite happens at: 2021-07-15 10:00 in Japan.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).single().expect("valid instant")
}

/// The deadline batch as the server runs it: `cancel_past_deadline` as of `as_of`.
pub fn deadline_batch(as_of: NaiveDate, dry_run: bool) -> DeadlineBatch {
    let policy = Policy::builtin();
    DeadlineBatch {
        candidates: reader::DEADLINE_BATCH_CANDIDATES,
        rule: Box::new(move |app| reader::cancel_past_deadline(&policy, as_of, app)),
        reason: reader::DEADLINE_CANCEL_REASON,
        deadline: Policy::builtin().selection_deadline,
        operator: "boss".into(),
        dry_run,
        at: at(),
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

pub fn applied(status: ReaderStatus, model: Option<&str>, units: u32) -> ReaderApplication {
    ReaderApplication {
        status,
        model_id: model.map(str::to_string),
        units,
        applied_on: Some(date(2021, 2, 15)),
        version: 1,
    }
}

pub fn seed_data() -> SeedData {
    SeedData {
        institutions: vec![
            institution(HOSPITAL, "日本海総合病院", InstitutionKind::Hospital, "山形県"),
            institution(CLINIC, "あかいクリニック", InstitutionKind::MedicalClinic, "東京都"),
            institution(DENTAL, "矢嶋歯科医院", InstitutionKind::DentalClinic, "東京都"),
            institution(PHARMACY, "さなえ薬局", InstitutionKind::Pharmacy, "東京都"),
            institution(OSAKA_CLINIC, "なにわ診療所", InstitutionKind::MedicalClinic, "大阪府"),
        ],
        applications: vec![
            (HOSPITAL.to_string(), applied(ReaderStatus::Selected, Some("caora"), 3)),
            (CLINIC.to_string(), applied(ReaderStatus::Undecided, None, 1)),
            (DENTAL.to_string(), applied(ReaderStatus::Undecided, None, 1)),
            (OSAKA_CLINIC.to_string(), applied(ReaderStatus::Undecided, None, 1)),
        ],
        subsidy_claims: vec![(
            HOSPITAL.to_string(),
            SubsidyClaim {
                status: SubsidyStatus::UnderReview,
                project_cost_yen: 2_500_000,
                units: 3,
                submitted_on: date(2021, 5, 10),
                decided_on: None,
                paid_on: None,
                payable_yen: 951_000,
            },
        )],
        reader_models: vec![
            ReaderModel {
                id: "caora".into(),
                maker: "PFU".into(),
                name: "Caora（カオラ）".into(),
                sample: false,
            },
            ReaderModel {
                id: "sample-a".into(),
                maker: "サンプル".into(),
                name: "見本機A".into(),
                sample: true,
            },
        ],
        faq: vec![faq("q1", "機種未定の期限は？", "2021年8月1日です。")],
    }
}

pub fn faq(id: &str, question: &str, answer: &str) -> FaqEntry {
    FaqEntry {
        id: id.into(),
        question: question.into(),
        answer: answer.into(),
        category: "カードリーダー".into(),
        keywords: vec!["機種未定".into()],
    }
}

pub async fn seeded(f: &dyn Fixture) -> Arc<dyn Store> {
    let store = f.store();
    store.load_seed(&seed_data(), at(), &|_| {}).await.expect("seed loads");
    store
}

pub fn request(model: &str, call_id: Option<i64>) -> ChangeReaderApplication {
    ChangeReaderApplication {
        model_id: model.to_string(),
        units: 1,
        caller_name: "赤井 花子".into(),
        caller_role: "事務長".into(),
        verification: Verification::CallbackRegisteredPhone,
        call_id,
    }
}

/// A change that selects `model` (the rule the server would run, reduced to its effect).
pub fn select_model(code: &str, version: i64, key: &str, model: &str, call_id: Option<i64>) -> ChangeCommand {
    let chosen = model.to_string();
    ChangeCommand {
        code: code.to_string(),
        expected_version: version,
        idempotency_key: key.to_string(),
        request_hash: format!("hash-of-{model}"),
        operator: "sato".into(),
        request: request(model, call_id),
        at: at(),
        rule: Box::new(move |current: &ReaderApplication| {
            Ok(ReaderApplication {
                status: ReaderStatus::Selected,
                model_id: Some(chosen),
                units: current.units.max(1),
                applied_on: current.applied_on.or(Some(date(2021, 7, 15))),
                version: current.version,
            })
        }),
    }
}

async fn audit_len(store: &dyn Store) -> usize {
    store.audit(None, 10_000).await.expect("audit lists").len()
}

// ------------------------------------------------------------------ the tests

pub async fn empty_database_is_migrated_not_seeded(f: &dyn Fixture) {
    let store = f.store();
    assert!(store.all_institutions().await.expect("lists").is_empty());
    assert!(store.reader_models().await.expect("lists").is_empty());
    assert!(store.faq_entries().await.expect("lists").is_empty());
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (0, None));
}

pub async fn seed_loads_and_reads_back(f: &dyn Fixture) {
    let store = f.store();
    let lines = std::sync::Mutex::new(Vec::new());
    store
        .load_seed(&seed_data(), at(), &|line| lines.lock().expect("not poisoned").push(line.to_string()))
        .await
        .expect("seed loads");
    let lines = lines.into_inner().expect("not poisoned");
    assert!(lines.iter().any(|l| l.contains("institutions 5/5")), "progress lines: {lines:?}");

    let all = store.all_institutions().await.expect("lists");
    assert_eq!(all.len(), 5);
    let pharmacy = all.iter().find(|r| r.institution.code.as_str() == PHARMACY).expect("present");
    assert_eq!(pharmacy.reader_status, ReaderStatus::NotApplied);
    let row = store.institution(HOSPITAL).await.expect("reads").expect("present");
    assert_eq!(row.institution, seed_data().institutions[0]);
    assert_eq!(row.reader_status, ReaderStatus::Selected);
    assert!(store.institution("0100000000").await.expect("reads").is_none());

    assert_eq!(
        store.application(HOSPITAL).await.expect("reads"),
        applied(ReaderStatus::Selected, Some("caora"), 3)
    );
    assert_eq!(store.application(PHARMACY).await.expect("reads"), ReaderApplication::not_applied());
    assert!(matches!(store.application("0100000000").await, Err(StoreError::NotFound(_))));

    let claim = store.subsidy_claim(HOSPITAL).await.expect("reads").expect("present");
    assert_eq!(claim, seed_data().subsidy_claims[0].1);
    assert!(store.subsidy_claim(CLINIC).await.expect("reads").is_none());
    assert!(matches!(store.subsidy_claim("0100000000").await, Err(StoreError::NotFound(_))));

    assert_eq!(store.reader_models().await.expect("lists"), seed_data().reader_models);
    assert_eq!(store.faq_entries().await.expect("lists"), seed_data().faq);

    // Every status but 未申込, read in one go (as a snapshot load does), agrees with the rows.
    let mut statuses = store.reader_statuses().await.expect("reads");
    statuses.sort_by(|a, b| a.0.cmp(&b.0));
    let mut expected: Vec<(String, ReaderStatus)> = all
        .iter()
        .filter(|r| r.reader_status != ReaderStatus::NotApplied)
        .map(|r| (r.institution.code.as_str().to_string(), r.reader_status))
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!expected.is_empty());
    assert_eq!(statuses, expected);

    // A second seed replaces the first wholesale.
    let mut smaller = seed_data();
    smaller.institutions.truncate(2);
    smaller.applications.retain(|(c, _)| c == HOSPITAL || c == CLINIC);
    store.load_seed(&smaller, at(), &|_| {}).await.expect("reseeds");
    assert_eq!(store.all_institutions().await.expect("lists").len(), 2);
}

pub async fn change_writes_state_audit_receipt_and_call(f: &dyn Fixture) {
    let store = seeded(f).await;
    let call = store.start_call("sato", Some(CLINIC), Utc::now()).await.expect("call starts");
    let out = store
        .change_application(select_model(CLINIC, 1, "k1", "caora", Some(call.id)))
        .await
        .expect("changes");
    assert!(!out.replayed);
    assert_eq!(out.before.status, ReaderStatus::Undecided);
    assert_eq!(out.after.status, ReaderStatus::Selected);
    assert_eq!(out.after.version, 2);
    let r = &out.receipt_no;
    assert!(
        r.len() == 15
            && r.starts_with("R-")
            && r.as_bytes()[8] == b'-'
            && r[2..8].bytes().all(|b| b.is_ascii_digit()),
        "receipt {r}"
    );
    assert_eq!(store.application(CLINIC).await.expect("reads"), out.after);

    let events = store.audit(Some(CLINIC), 10).await.expect("lists");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, "reader_application.change");
    assert_eq!(e.operator, "sato");
    assert_eq!(e.receipt_no.as_deref(), Some(r.as_str()));
    assert_eq!(e.detail["caller"]["name"], "赤井 花子");
    assert_eq!(e.detail["caller"]["role"], "事務長");
    assert_eq!(e.detail["verification"], "callback_registered_phone");
    assert_eq!(e.detail["before"]["status"], "undecided");
    assert_eq!(e.detail["after"]["model_id"], "caora");

    let calls = store.calls(Some(CLINIC), None).await.expect("lists");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].receipts, vec![r.clone()]);

    // An institution without an application gets one (version 0 → 1).
    let out =
        store.change_application(select_model(PHARMACY, 0, "k2", "caora", None)).await.expect("changes");
    assert_eq!((out.before.status, out.after.version), (ReaderStatus::NotApplied, 1));
    assert_ne!(out.receipt_no, *r);
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (2, None));
}

pub async fn retry_with_same_key_replays_and_changes_nothing(f: &dyn Fixture) {
    let store = seeded(f).await;
    let first =
        store.change_application(select_model(CLINIC, 1, "retry", "caora", None)).await.expect("changes");
    // The retry carries the version the client had before; it must not read as stale.
    let again =
        store.change_application(select_model(CLINIC, 1, "retry", "caora", None)).await.expect("replays");
    assert!(again.replayed);
    assert_eq!(
        (again.receipt_no, again.before, again.after),
        (first.receipt_no, first.before, first.after.clone())
    );
    assert_eq!(store.application(CLINIC).await.expect("reads"), first.after);
    assert_eq!(audit_len(&*store).await, 1);
}

pub async fn same_key_with_other_body_is_a_mismatch(f: &dyn Fixture) {
    let store = seeded(f).await;
    store.change_application(select_model(CLINIC, 1, "k", "caora", None)).await.expect("changes");
    let err = store.change_application(select_model(CLINIC, 2, "k", "sample-a", None)).await;
    assert!(matches!(err, Err(StoreError::IdempotencyMismatch)), "{err:?}");
    // Same body but another institution: also a misuse of the key.
    let err = store.change_application(select_model(DENTAL, 1, "k", "caora", None)).await;
    assert!(matches!(err, Err(StoreError::IdempotencyMismatch)), "{err:?}");
    // Keys belong to an operator: another operator may use the same string.
    let mut other = select_model(DENTAL, 1, "k", "caora", None);
    other.operator = "suzuki".into();
    store.change_application(other).await.expect("another operator's key");
    assert_eq!(audit_len(&*store).await, 2);
}

pub async fn stale_version_is_refused_with_current_state(f: &dyn Fixture) {
    let store = seeded(f).await;
    store.change_application(select_model(CLINIC, 1, "a", "caora", None)).await.expect("changes");
    match store.change_application(select_model(CLINIC, 1, "b", "sample-a", None)).await {
        Err(StoreError::StaleVersion { expected, current, current_state }) => {
            assert_eq!((expected, current), (1, 2));
            assert_eq!(current_state.model_id.as_deref(), Some("caora"));
        }
        other => panic!("expected StaleVersion, got {other:?}"),
    }
    assert_eq!(audit_len(&*store).await, 1);
}

pub async fn refused_rule_writes_nothing(f: &dyn Fixture) {
    let store = seeded(f).await;
    let mut cmd = select_model(HOSPITAL, 1, "r", "caora", None);
    cmd.rule = Box::new(|_| Err(RuleError::Refused("発送済のため変更できません".into())));
    let err = store.change_application(cmd).await;
    assert!(matches!(&err, Err(StoreError::Rule(RuleError::Refused(m))) if m.contains("発送済")), "{err:?}");
    assert_eq!(store.application(HOSPITAL).await.expect("reads").version, 1);
    assert_eq!(audit_len(&*store).await, 0);
    // The key was not spent: the same key may be used for a corrected request.
    store.change_application(select_model(HOSPITAL, 1, "r", "caora", None)).await.expect("changes");

    // Nothing is created for an institution without an application either.
    let mut cmd = select_model(PHARMACY, 0, "r2", "caora", None);
    cmd.rule = Box::new(|_| Err(RuleError::Refused("no".into())));
    assert!(store.change_application(cmd).await.is_err());
    assert_eq!(store.application(PHARMACY).await.expect("reads"), ReaderApplication::not_applied());
}

pub async fn unknown_institution_model_or_call_is_refused(f: &dyn Fixture) {
    let store = seeded(f).await;
    let err = store.change_application(select_model("0100000000", 0, "x", "caora", None)).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
    let err = store.change_application(select_model(CLINIC, 1, "y", "no-such-model", None)).await;
    assert!(matches!(err, Err(StoreError::Invalid(_))), "{err:?}");
    let err = store.change_application(select_model(CLINIC, 1, "z", "caora", Some(999_999))).await;
    assert!(matches!(err, Err(StoreError::Invalid(_))), "{err:?}");
    assert_eq!(store.application(CLINIC).await.expect("reads").version, 1);
    assert_eq!(audit_len(&*store).await, 0);
}

/// Several operators change one application from the same version at once: exactly one
/// wins, every other one is told the version is stale, and the chain stays intact.
pub async fn racing_changes_serialize(f: &dyn Fixture) {
    let store = seeded(f).await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let model = if n % 2 == 0 { "caora" } else { "sample-a" };
        tasks.push(tokio::spawn(async move {
            store.change_application(select_model(CLINIC, 1, &format!("race-{n}"), model, None)).await
        }));
    }
    let (mut won, mut stale) = (0, 0);
    for t in tasks {
        match t.await.expect("task runs") {
            Ok(_) => won += 1,
            Err(StoreError::StaleVersion { current: 2, .. }) => stale += 1,
            Err(e) => panic!("unexpected outcome {e:?}"),
        }
    }
    assert_eq!((won, stale), (1, 7));
    assert_eq!(store.application(CLINIC).await.expect("reads").version, 2);
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (1, None));

    // Changes on different applications at once all go through, each with its own seq.
    let mut tasks = Vec::new();
    for (n, code) in [HOSPITAL, DENTAL, OSAKA_CLINIC, PHARMACY].into_iter().enumerate() {
        let store = store.clone();
        let version = if code == PHARMACY { 0 } else { 1 };
        tasks.push(tokio::spawn(async move {
            store.change_application(select_model(code, version, &format!("p-{n}"), "caora", None)).await
        }));
    }
    for t in tasks {
        t.await.expect("task runs").expect("changes");
    }
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (5, None));
}

pub async fn deadline_batch_dry_run_then_cancel(f: &dyn Fixture) {
    let store = seeded(f).await;
    let by_pref = store.undecided_by_prefecture().await.expect("counts");
    let pairs: Vec<(String, u64)> = by_pref.into_iter().map(|p| (p.prefecture, p.undecided)).collect();
    assert_eq!(pairs, vec![("東京都".to_string(), 2), ("大阪府".to_string(), 1)]);

    let dry = store.run_deadline_batch(deadline_batch(date(2021, 8, 2), true)).await.expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(dry.cancelled, 3);
    assert_eq!(dry.sample_codes, vec![CLINIC.to_string(), DENTAL.to_string(), OSAKA_CLINIC.to_string()]);
    assert_eq!(store.application(CLINIC).await.expect("reads").status, ReaderStatus::Undecided);
    assert_eq!(audit_len(&*store).await, 0);

    let done = store.run_deadline_batch(deadline_batch(date(2021, 8, 2), false)).await.expect("runs");
    assert_eq!((done.dry_run, done.cancelled), (false, 3));
    let app = store.application(CLINIC).await.expect("reads");
    assert_eq!((app.status, app.version), (ReaderStatus::Cancelled, 2));
    assert_eq!(store.application(HOSPITAL).await.expect("reads").status, ReaderStatus::Selected);
    assert!(store.undecided_by_prefecture().await.expect("counts").is_empty());
    let events = store.audit(Some(DENTAL), 10).await.expect("lists");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "reader_application.cancel_deadline");
    assert_eq!(events[0].detail["deadline"], "2021-08-01");
    assert!(events[0].receipt_no.is_some());
    let again = store.run_deadline_batch(deadline_batch(date(2021, 8, 2), false)).await.expect("runs");
    assert_eq!(again.cancelled, 0);
    assert_eq!(store.verify_audit().await.expect("verifies").first_broken_seq, None);
}

pub async fn upsert_counts_and_keeps_corrected_readings(f: &dyn Fixture) {
    let store = seeded(f).await;
    let mut rows = vec![
        institution(CLINIC, "あかいクリニック（新）", InstitutionKind::MedicalClinic, "東京都"),
        institution("1311111118", "新しい診療所", InstitutionKind::MedicalClinic, "東京都"),
    ];
    rows[1].name_kana = None;
    // The same code twice in one file: the later line wins and counts once.
    let mut twice =
        institution("1311111118", "新しい診療所（訂正）", InstitutionKind::MedicalClinic, "東京都");
    twice.name_kana = Some("アタラシイシンリョウジョ".into());
    twice.kana_inferred = true;
    rows.push(twice);
    let counts = store.upsert_institutions(&rows).await.expect("upserts");
    assert_eq!(counts, UpsertCounts { inserted: 1, updated: 1 });
    let new = store.institution("1311111118").await.expect("reads").expect("present");
    assert_eq!(new.institution.name, "新しい診療所（訂正）");
    assert_eq!(new.reader_status, ReaderStatus::NotApplied);

    // An operator corrects the inferred reading; a later import with an inferred reading
    // (or none) keeps the correction, one with a given reading replaces it.
    store.set_reading("1311111118", "アタラシイシンリョウショ", "sato", at()).await.expect("sets");
    let row = store.institution("1311111118").await.expect("reads").expect("present").institution;
    assert_eq!((row.name_kana.as_deref(), row.kana_inferred), (Some("アタラシイシンリョウショ"), false));
    let events = store.audit(Some("1311111118"), 10).await.expect("lists");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "institution.set_reading");

    let mut inferred = institution("1311111118", "新しい診療所", InstitutionKind::MedicalClinic, "東京都");
    inferred.name_kana = Some("シンシイシンリョウジョ".into());
    inferred.kana_inferred = true;
    let counts = store.upsert_institutions(std::slice::from_ref(&inferred)).await.expect("upserts");
    assert_eq!(counts, UpsertCounts { inserted: 0, updated: 1 });
    let row = store.institution("1311111118").await.expect("reads").expect("present").institution;
    assert_eq!(row.name, "新しい診療所");
    assert_eq!((row.name_kana.as_deref(), row.kana_inferred), (Some("アタラシイシンリョウショ"), false));

    let mut none = inferred.clone();
    none.name_kana = None;
    none.kana_inferred = false;
    store.upsert_institutions(&[none]).await.expect("upserts");
    let row = store.institution("1311111118").await.expect("reads").expect("present").institution;
    assert_eq!(row.name_kana.as_deref(), Some("アタラシイシンリョウショ"));

    let mut given = inferred;
    given.name_kana = Some("アタラシイ".into());
    given.kana_inferred = false;
    store.upsert_institutions(&[given]).await.expect("upserts");
    let row = store.institution("1311111118").await.expect("reads").expect("present").institution;
    assert_eq!(row.name_kana.as_deref(), Some("アタラシイ"));

    assert!(matches!(
        store.set_reading("0100000000", "ア", "sato", at()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(store.set_reading(CLINIC, "  ", "sato", at()).await, Err(StoreError::Invalid(_))));
}

/// An import that fails part-way leaves nothing behind, even across many batches.
pub async fn upsert_is_all_or_nothing(f: &dyn Fixture, poison_sql: &[&str], poison_code: &str) {
    let store = seeded(f).await;
    for sql in poison_sql {
        f.exec(sql).await.expect("installs the poison trigger");
    }
    let mut rows: Vec<Institution> = (0..2500)
        .map(|n| {
            let code = format!("01{:08}", n);
            institution(&code, &format!("診療所{n}"), InstitutionKind::MedicalClinic, "北海道")
        })
        .collect();
    rows.push(institution(poison_code, "毒", InstitutionKind::MedicalClinic, "北海道"));
    assert!(store.upsert_institutions(&rows).await.is_err());
    assert_eq!(store.all_institutions().await.expect("lists").len(), 5);
}

pub async fn calls_start_update_and_list(f: &dyn Fixture) {
    let store = seeded(f).await;
    let t0 = Utc.with_ymd_and_hms(2021, 7, 15, 0, 0, 0).single().expect("valid");
    let first = store.start_call("sato", None, t0).await.expect("starts");
    assert_eq!((first.code.as_deref(), first.note.as_str(), first.ended_at), (None, "", None));
    let second =
        store.start_call("sato", Some(HOSPITAL), t0 + chrono::Duration::minutes(5)).await.expect("starts");
    let first = store
        .update_call(
            first.id,
            Some(CLINIC),
            Some("機種をCaoraに変更"),
            Some(t0 + chrono::Duration::minutes(3)),
        )
        .await
        .expect("updates");
    assert_eq!(first.code.as_deref(), Some(CLINIC));
    assert_eq!(first.note, "機種をCaoraに変更");
    assert_eq!(first.ended_at, Some(t0 + chrono::Duration::minutes(3)));
    // Fields left out stay as they were.
    let first = store.update_call(first.id, None, None, None).await.expect("updates");
    assert_eq!(first.note, "機種をCaoraに変更");

    // A change made during the call puts its 受付番号 on the call, once, in its own transaction.
    let out = store
        .change_application(select_model(CLINIC, 1, "during-call", "caora", Some(first.id)))
        .await
        .expect("changes");
    let all = store.calls(None, None).await.expect("lists");
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), vec![second.id, first.id], "newest first");
    assert_eq!(all[1].receipts, vec![out.receipt_no.clone()]);
    let later = store.calls(None, Some(t0 + chrono::Duration::minutes(1))).await.expect("lists");
    assert_eq!(later.len(), 1);
    assert_eq!(store.calls(Some(CLINIC), None).await.expect("lists").len(), 1);

    assert!(matches!(store.update_call(999_999, None, None, None).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.start_call("sato", Some("0100000000"), t0).await, Err(StoreError::NotFound(_))));
}

pub async fn faq_upsert_counts_and_audits_changes(f: &dyn Fixture) {
    let store = seeded(f).await;
    let entries = vec![
        faq("q1", "機種未定の期限は？", "2021年8月1日です。"),
        faq("q2", "補助金はいつ支払われますか？", "事業完了後に申請し、交付決定後に支払われます。"),
    ];
    let counts = store.upsert_faq(&entries, "boss", at()).await.expect("upserts");
    assert_eq!(counts, UpsertCounts { inserted: 1, updated: 1 });
    let events = store.audit(None, 10).await.expect("lists");
    assert_eq!(events.len(), 1, "an unchanged entry is not audited");
    assert_eq!(events[0].action, "faq.edit");
    assert_eq!(events[0].detail["id"], "q2");

    let mut edited = entries[0].clone();
    edited.answer = "2021年8月1日（日）までです。".into();
    edited.keywords.push("期限".into());
    store.upsert_faq(&[edited.clone()], "boss", at()).await.expect("upserts");
    let stored = store.faq_entries().await.expect("lists");
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0], edited);
    assert_eq!(audit_len(&*store).await, 2);
}

pub async fn operators_store_only_token_hashes(f: &dyn Fixture) {
    let store = f.store();
    store.add_operator("sato", Role::Operator, "hash-1", "boss", at()).await.expect("adds");
    store.add_operator("boss", Role::Supervisor, "hash-2", "setup", at()).await.expect("adds");
    let op = store.operator_by_token_hash("hash-2").await.expect("reads").expect("present");
    assert_eq!((op.name.as_str(), op.role), ("boss", Role::Supervisor));
    assert!(store.operator_by_token_hash("nope").await.expect("reads").is_none());
    assert!(matches!(
        store.add_operator("x", Role::Service, "hash-1", "boss", at()).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.add_operator(" ", Role::Service, "hash-3", "boss", at()).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn operators_are_unique_by_name_and_revocation_is_audited(f: &dyn Fixture) {
    let store = f.store();
    let before = store.operator_generation().await.expect("generation");
    store.add_operator("佐藤", Role::Operator, "hash-a", "boss", at()).await.expect("adds");
    // A second token in force under one name is refused, whatever its role or spacing.
    let again = store.add_operator(" 佐藤 ", Role::Supervisor, "hash-b", "boss", at()).await;
    assert!(matches!(&again, Err(StoreError::Conflict(m)) if m.contains("operator revoke")), "{again:?}");
    assert!(store.operator_by_token_hash("hash-b").await.expect("reads").is_none());
    let issued = store.operator_generation().await.expect("generation");
    assert_ne!(before, issued);

    let revoked = store.revoke_operator("佐藤", "boss", at()).await.expect("revokes");
    assert_eq!(revoked, OperatorRecord { name: "佐藤".into(), role: Role::Operator });
    assert!(store.operator_by_token_hash("hash-a").await.expect("reads").is_none());
    assert_ne!(store.operator_generation().await.expect("generation"), issued);
    assert!(matches!(store.revoke_operator("佐藤", "boss", at()).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.revoke_operator("誰か", "boss", at()).await, Err(StoreError::NotFound(_))));

    // The name is free again; the old token stays revoked.
    store.add_operator("佐藤", Role::Operator, "hash-c", "boss", at()).await.expect("re-issues");
    assert!(store.operator_by_token_hash("hash-a").await.expect("reads").is_none());
    assert!(store.operator_by_token_hash("hash-c").await.expect("reads").is_some());

    let events = store.audit(None, 100).await.expect("audit");
    let ops: Vec<(&str, &str, String)> = events
        .iter()
        .filter(|e| e.action.starts_with("operator."))
        .map(|e| {
            (e.operator.as_str(), e.action.as_str(), e.detail["name"].as_str().unwrap_or("").to_string())
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("boss", "operator.token_issued", "佐藤".to_string()),
            ("boss", "operator.revoked", "佐藤".to_string()),
            ("boss", "operator.token_issued", "佐藤".to_string()),
        ]
    );
    assert_eq!(store.verify_audit().await.expect("verifies").first_broken_seq, None);
    // No token hash in the audit trail.
    assert!(events.iter().all(|e| !e.detail.to_string().contains("hash-")));
}

pub async fn audit_lists_latest_events_oldest_first(f: &dyn Fixture) {
    let store = seeded(f).await;
    for n in 0..5_i64 {
        let model = if n % 2 == 0 { "caora" } else { "sample-a" };
        let cmd = select_model(CLINIC, n + 1, &format!("k{n}"), model, None);
        store.change_application(cmd).await.expect("changes");
    }
    store.change_application(select_model(DENTAL, 1, "d", "caora", None)).await.expect("changes");
    let last3 = store.audit(Some(CLINIC), 3).await.expect("lists");
    assert_eq!(last3.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert_eq!(last3[0].prev_hash, store.audit(None, 10).await.expect("lists")[1].hash);
    assert_eq!(store.audit(None, 100).await.expect("lists").len(), 6);
}

pub async fn audit_rows_refuse_update_and_delete(f: &dyn Fixture) {
    let store = seeded(f).await;
    store.change_application(select_model(CLINIC, 1, "k", "caora", None)).await.expect("changes");
    let err = f.exec("UPDATE audit_events SET operator = 'mallory'").await.expect_err("update refused");
    assert!(err.contains("append-only"), "{err}");
    let err = f.exec("DELETE FROM audit_events").await.expect_err("delete refused");
    assert!(err.contains("append-only"), "{err}");
    assert_eq!(store.audit(None, 10).await.expect("lists")[0].operator, "sato");
}

pub async fn verify_finds_the_first_tampered_event(f: &dyn Fixture) {
    let store = seeded(f).await;
    for (n, code) in [CLINIC, DENTAL, OSAKA_CLINIC].into_iter().enumerate() {
        store
            .change_application(select_model(code, 1, &format!("k{n}"), "caora", None))
            .await
            .expect("changes");
    }
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (3, None));
    for sql in f.drop_audit_triggers_sql() {
        f.exec(sql).await.expect("drops the trigger");
    }
    f.exec(r#"UPDATE audit_events SET detail = REPLACE(detail, '赤井 花子', '偽 名') WHERE seq = 2"#)
        .await
        .expect("tampers");
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!(v.first_broken_seq, Some(2));

    // Deleting the tampered event (and re-linking would need every later hash) is caught too.
    f.exec("DELETE FROM audit_events WHERE seq = 2").await.expect("deletes");
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!((v.events, v.first_broken_seq), (2, Some(2)));
}

/// One key sent at the same moment for two institutions: one change goes through, the other
/// is the key's misuse (never a database error, never two changes).
pub async fn same_key_at_once_for_two_institutions(f: &dyn Fixture) {
    let store = seeded(f).await;
    let a = tokio::spawn({
        let store = store.clone();
        async move { store.change_application(select_model(CLINIC, 1, "dup", "caora", None)).await }
    });
    let b = tokio::spawn({
        let store = store.clone();
        async move { store.change_application(select_model(DENTAL, 1, "dup", "caora", None)).await }
    });
    let results = [a.await.expect("task runs"), b.await.expect("task runs")];
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let mismatch = results.iter().filter(|r| matches!(r, Err(StoreError::IdempotencyMismatch))).count();
    assert_eq!((ok, mismatch), (1, 1), "{results:?}");
    assert_eq!(audit_len(&*store).await, 1);
}

/// The dashboard's "today's changes" is counted in SQL: right past 10,000 events (one
/// deadline batch cancels about 8,000), and only inside the range asked for.
pub async fn application_changes_are_counted_past_ten_thousand(f: &dyn Fixture) {
    let store = f.store();
    let n = 10_001;
    let mut data = seed_data();
    data.institutions = (0..n)
        .map(|i| {
            institution(&format!("13{i:08}"), &format!("診療所{i}"), InstitutionKind::MedicalClinic, "東京都")
        })
        .collect();
    data.applications = data
        .institutions
        .iter()
        .map(|i| (i.code.as_str().to_string(), applied(ReaderStatus::Undecided, None, 1)))
        .collect();
    data.subsidy_claims.clear();
    store.load_seed(&data, at(), &|_| {}).await.expect("seeds");
    let done = store.run_deadline_batch(deadline_batch(date(2021, 8, 2), false)).await.expect("runs");
    assert_eq!(done.cancelled, n);
    store.set_reading("1300000000", "シンリョウジョゼロ", "sato", at()).await.expect("not a reader change");
    let hour = chrono::Duration::hours(1);
    assert_eq!(store.application_changes_between(at() - hour, at() + hour).await.expect("counts"), n);
    assert_eq!(store.application_changes_between(at() + hour, at() + hour * 24).await.expect("counts"), 0);
    assert_eq!(
        store.application_changes_between(at() - hour, at()).await.expect("counts"),
        0,
        "until is exclusive"
    );
}
