//! The live call's storage on every backend: wrap-up reasons and handle time, FAQ answers on a
//! call with their versions, call-backs to the registered number only, the telephony role, and
//! the report's counts done in SQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use madoguchi::api::Role;
use madoguchi::domain::call::PendingChange;
use madoguchi::domain::{CallBackOutcome, CallBackState, InstitutionKind};
use madoguchi::store::{NewCall, NewCallBackRecord, StoreError};

use super::{CLINIC, DENTAL, Fixture, HOSPITAL, faq, institution, seeded};

fn t0() -> DateTime<Utc> {
    // 2021-07-15 09:00 in Japan.
    Utc.with_ymd_and_hms(2021, 7, 15, 0, 0, 0).single().expect("valid")
}

fn new_call(operator: &str, code: Option<&str>, at: DateTime<Utc>) -> NewCall {
    NewCall { operator: operator.into(), code: code.map(str::to_string), at, ..NewCall::default() }
}

pub async fn live_call_reasons_handle_time_and_faq(f: &dyn Fixture) {
    let store = seeded(f).await;
    let call = store
        .start_new_call(NewCall {
            caller_phone: Some("0300000000".into()),
            ..new_call("sato", Some(CLINIC), t0())
        })
        .await
        .expect("starts");
    assert_eq!(call.caller_phone.as_deref(), Some("0300000000"));
    assert!(call.reasons.is_empty() && call.faq.is_empty());

    store.attach_faq(call.id, "q1", false, t0() + Duration::seconds(30)).await.expect("shown");
    let shown = store.attach_faq(call.id, "q1", true, t0() + Duration::seconds(40)).await.expect("copied");
    assert_eq!(shown.faq.len(), 1, "showing then copying one answer is one row: {:?}", shown.faq);
    assert_eq!((shown.faq[0].faq_id.as_str(), shown.faq[0].version, shown.faq[0].copied), ("q1", 1, true));
    // An edit makes a new version; the record keeps what was read before and adds the new one.
    store
        .upsert_faq(&[faq("q1", "機種未定の期限は？", "2021年8月1日（日）です。")], "sv", t0())
        .await
        .expect("edits");
    let after =
        store.attach_faq(call.id, "q1", false, t0() + Duration::seconds(50)).await.expect("shown again");
    assert_eq!(after.faq.iter().map(|x| x.version).collect::<Vec<_>>(), vec![1, 2]);
    assert!(matches!(store.attach_faq(call.id, "nope", false, t0()).await, Err(StoreError::NotFound(_))));

    let call2 = store.set_reasons(call.id, &["subsidy".into(), "model".into()]).await.expect("reasons");
    assert_eq!(call2.reasons, vec!["model".to_string(), "subsidy".to_string()]);
    let closed = store.close_call(call.id, t0() + Duration::seconds(125)).await.expect("closes");
    assert_eq!(closed.ended_at, Some(t0() + Duration::seconds(125)));
    let again =
        store.close_call(call.id, t0() + Duration::seconds(999)).await.expect("closing twice is harmless");
    assert_eq!(again.ended_at, Some(t0() + Duration::seconds(125)), "the first end stays");

    let listed = store.calls(Some(CLINIC), None).await.expect("lists");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reasons, closed.reasons);
    assert_eq!(listed[0].faq.len(), 2);
    assert_eq!(store.call(call.id).await.expect("reads").expect("exists").reasons.len(), 2);
    assert!(store.call(999_999).await.expect("reads").is_none());

    store
        .add_operator("phone-system", Role::Telephony, "hash-telephony", "test", t0())
        .await
        .expect("telephony role");
    let op = store.operator_by_token_hash("hash-telephony").await.expect("reads").expect("exists");
    assert_eq!(op.role, Role::Telephony);
}

pub async fn callbacks_go_to_the_registered_number_only(f: &dyn Fixture) {
    let store = seeded(f).await;
    let mut no_phone = institution("1311234575", "電話なし医院", InstitutionKind::MedicalClinic, "東京都");
    no_phone.phone = None;
    store.upsert_institutions(&[no_phone]).await.expect("inserts");
    let origin = store.start_new_call(new_call("sato", Some(CLINIC), t0())).await.expect("starts");
    let record = |code: &str, due: DateTime<Utc>| NewCallBackRecord {
        code: code.into(),
        reason: "機種の確認".into(),
        due_at: due,
        created_by: "sato".into(),
        created_at: t0(),
        origin_call_id: Some(origin.id),
        change: None,
    };
    let cb = store.create_callback(record(CLINIC, t0() + Duration::hours(1)), t0()).await.expect("creates");
    assert_eq!(cb.phone, "03-0000-0000", "the institution's registered number");
    assert_eq!(
        (cb.state, cb.origin_call_id, cb.created_by.as_str()),
        (CallBackState::Due, Some(origin.id), "sato")
    );
    let err = store.create_callback(record("1311234575", t0()), t0()).await.expect_err("no registered phone");
    assert!(matches!(&err, StoreError::Rule(r) if r.to_string().contains("登録電話番号")), "{err:?}");
    assert!(matches!(
        store.create_callback(record("0100000000", t0()), t0()).await,
        Err(StoreError::NotFound(_))
    ));
    let pending = PendingChange {
        model_id: "pfu-caora".into(),
        units: 1,
        caller_name: "矢嶋 花子".into(),
        caller_role: "院長".into(),
    };
    let other = store
        .create_callback(
            NewCallBackRecord {
                change: Some(pending.clone()),
                ..record(DENTAL, t0() + Duration::minutes(10))
            },
            t0(),
        )
        .await
        .expect("creates");
    assert_eq!(other.change.as_ref(), Some(&pending), "the change waiting for the call-back");
    assert!(cb.change.is_none());

    let later = t0() + Duration::minutes(30);
    let open = store.callbacks(false, None, later).await.expect("lists");
    assert_eq!(open.iter().map(|c| c.id).collect::<Vec<_>>(), vec![other.id, cb.id], "by due time");
    assert_eq!(open[0].state, CallBackState::Overdue);
    assert_eq!(open[1].state, CallBackState::Due);
    assert!(open.iter().all(|c| c.name.as_deref().is_some_and(|n| !n.is_empty())), "{open:?}");
    assert_eq!(open[0].change.as_ref(), Some(&pending));
    assert_eq!(store.callbacks(false, Some(DENTAL), later).await.expect("lists").len(), 1);

    let (taken, call) = store.take_callback(other.id, "suzuki", later).await.expect("takes");
    assert_eq!((call.code.as_deref(), call.callback_id), (Some(DENTAL), Some(other.id)));
    assert_eq!((taken.call_id, taken.taken_by.as_deref()), (Some(call.id), Some("suzuki")));
    let done =
        store.close_callback(other.id, CallBackOutcome::Reached, "suzuki", later).await.expect("closes");
    assert_eq!((done.state, done.outcome), (CallBackState::Done, Some(CallBackOutcome::Reached)));
    let err =
        store.close_callback(other.id, CallBackOutcome::NoAnswer, "suzuki", later).await.expect_err("done");
    assert!(matches!(err, StoreError::Rule(_)), "{err:?}");
    assert!(matches!(store.take_callback(other.id, "suzuki", later).await, Err(StoreError::Rule(_))));
    assert_eq!(store.callbacks(false, None, later).await.expect("lists").len(), 1);
    assert_eq!(store.callbacks(true, None, later).await.expect("lists").len(), 2);
    assert!(store.callback(other.id, later).await.expect("reads").is_some());
    assert!(matches!(store.take_callback(999_999, "x", later).await, Err(StoreError::NotFound(_))));
}

pub async fn call_counts_are_done_in_sql(f: &dyn Fixture) {
    let store = seeded(f).await;
    let day = t0() - Duration::hours(9); // 2021-07-15 00:00 in Japan
    let next = day + Duration::days(1);
    // (operator, minutes after Japan midnight, handle seconds or open, reasons)
    let calls: [(&str, i64, Option<i64>, &[&str]); 5] = [
        ("sato", 9 * 60, Some(100), &["model"]),
        ("sato", 9 * 60 + 30, Some(200), &["model", "subsidy"]),
        ("sato", 13 * 60, None, &[]),
        ("suzuki", 23 * 60 + 59, Some(61), &["other"]),
        ("suzuki", 24 * 60 + 1, Some(10), &["other"]), // the next day: not counted
    ];
    for (op, minute, handle, reasons) in calls {
        let at = day + Duration::minutes(minute);
        let c = store.start_new_call(new_call(op, Some(HOSPITAL), at)).await.expect("starts");
        let reasons: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
        store.set_reasons(c.id, &reasons).await.expect("reasons");
        if let Some(s) = handle {
            store.close_call(c.id, at + Duration::seconds(s)).await.expect("closes");
        }
    }
    let record = |due: DateTime<Utc>| NewCallBackRecord {
        code: CLINIC.into(),
        reason: "折り返し".into(),
        due_at: due,
        created_by: "sato".into(),
        created_at: day,
        origin_call_id: None,
        change: None,
    };
    let now = day + Duration::hours(12);
    store.create_callback(record(day + Duration::hours(10)), day).await.expect("overdue at noon");
    store.create_callback(record(day + Duration::hours(15)), day).await.expect("due at noon");
    let done = store.create_callback(record(day + Duration::hours(11)), day).await.expect("done");
    store.close_callback(done.id, CallBackOutcome::NoAnswer, "sato", now).await.expect("closes");
    store.create_callback(record(next + Duration::hours(1)), day).await.expect("outside the range");

    let counts = store.call_counts(day, next, now).await.expect("counts");
    let mut by_hour = counts.by_hour.clone();
    by_hour.sort();
    assert_eq!(by_hour, vec![(9, 2), (13, 1), (23, 1)], "Japan hours");
    let mut by_reason = counts.by_reason.clone();
    by_reason.sort();
    assert_eq!(by_reason, vec![("model".into(), 2), ("other".into(), 1), ("subsidy".into(), 1)]);
    let mut ops = counts.by_operator.clone();
    ops.sort_by(|a, b| a.operator.cmp(&b.operator));
    assert_eq!(ops.len(), 2);
    assert_eq!(
        (ops[0].operator.as_str(), ops[0].calls, ops[0].closed, ops[0].handle_seconds),
        ("sato", 3, 2, 300)
    );
    assert_eq!(
        (ops[1].operator.as_str(), ops[1].calls, ops[1].closed, ops[1].handle_seconds),
        ("suzuki", 1, 1, 61)
    );
    assert_eq!((counts.callbacks_due, counts.callbacks_overdue, counts.callbacks_done), (1, 1, 1));
}
