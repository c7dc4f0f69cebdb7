//! The live call through a real server on 127.0.0.1:0 (issue 13): closing needs a wrap-up
//! reason, call-backs go to the registered number only, FAQ answers land on the call's record,
//! screen pops reach only the right operator's event stream, the telephony role can do nothing
//! else, and the call report counts exactly the calls made.

mod seeded_server;

use std::sync::OnceLock;
use std::time::Duration;

use chrono::NaiveDate;
use madoguchi::api::{ChangeReaderApplication, NewCallBack, Role, ServerEvent, UpdateCall, Verification};
use madoguchi::client::ClientError;
use madoguchi::domain::call::PendingChange;
use madoguchi::domain::{CallBackOutcome, CallBackState, Policy, ReaderStatus};
use reqwest::StatusCode;
use seeded_server::{Spec, TestServer};
use serde_json::{Value, json};

/// Users of a test server: (name, role).
const USERS: &[(&str, Role)] = &[
    ("sato", Role::Operator),
    ("suzuki", Role::Operator),
    ("takahashi", Role::Supervisor),
    ("phone", Role::Telephony),
    ("chatbot", Role::Service),
];

/// Starts a server over a fresh SQLite file seeded with `institutions`, on its own thread.
fn spawn(institutions: usize) -> TestServer {
    seeded_server::spawn(Spec { institutions, seed: 13, users: USERS, policy: Policy::builtin() })
}

/// The server most tests share (they use their own institutions or filter by their own ids).
fn shared() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| spawn(500))
}

impl TestServer {
    fn request(&self, method: reqwest::Method, path: &str, user: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.tokens[user])
    }
}

/// Asserts the status and the one error shape; returns the message.
async fn expect_error(resp: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(resp.status(), status, "status");
    let body: Value = resp.json().await.expect("error body is JSON");
    body["error"]["message"].as_str().expect("error.message").to_string()
}

/// Codes of seeded institutions with a registered phone, `n` of them, from the `skip`-th on (each
/// test takes its own slice so tests sharing the server never touch one institution).
async fn institutions_with_phone(s: &TestServer, skip: usize, n: usize) -> Vec<(String, String)> {
    let found = s.client("sato").lookup("病院", 200).await.expect("lookup");
    let mut out = Vec::new();
    for r in found.results.iter().skip(skip) {
        let detail = s.client("sato").institution(&r.code).await.expect("detail");
        if let Some(phone) = detail.institution.phone {
            out.push((r.code.clone(), phone));
            if out.len() == n {
                return out;
            }
        }
    }
    panic!("not enough seeded institutions with a phone");
}

#[tokio::test]
async fn closing_without_a_reason_is_refused_in_operator_words() {
    let s = shared();
    let c = s.client("sato");
    let call = c.start_call(None).await.expect("start");
    let close = UpdateCall { note: Some("機種の相談".into()), close: true, ..UpdateCall::default() };
    let err = c.update_call(call.id, &close).await.expect_err("no reason");
    match err {
        ClientError::Api { status, code, message } => {
            assert_eq!((status, code.as_str()), (422, "wrap_up_reason_required"));
            assert!(message.contains("応対の理由を1つ以上選んで"), "{message}");
            assert!(message.contains("補助金"), "the message lists the choices: {message}");
        }
        other => panic!("expected 422, got {other:?}"),
    }
    let unknown = UpdateCall { reasons: Some(vec!["weather".into()]), close: true, ..UpdateCall::default() };
    let err = c.update_call(call.id, &unknown).await.expect_err("unknown reason");
    assert!(
        matches!(&err, ClientError::Api { status: 422, code, .. } if code == "invalid_reason"),
        "{err:?}"
    );
    let still_open =
        c.calls(None).await.expect("list").into_iter().find(|x| x.id == call.id).expect("listed");
    assert!(still_open.ended_at.is_none(), "a refused close leaves the call open");

    // Reasons set earlier count when closing later.
    let set = UpdateCall { reasons: Some(vec!["subsidy".into(), "model".into()]), ..UpdateCall::default() };
    let with_reasons = c.update_call(call.id, &set).await.expect("reasons");
    assert_eq!(with_reasons.reasons, vec!["model".to_string(), "subsidy".to_string()]);
    let closed = c.update_call(call.id, &close).await.expect("closes");
    assert!(closed.ended_at.is_some());
    assert_eq!(closed.reasons, vec!["model".to_string(), "subsidy".to_string()]);
    assert_eq!(closed.note, "機種の相談");

    let me = c.me().await.expect("me");
    let ids: Vec<&str> = me.wrap_up_reasons.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["model", "subsidy", "status", "portal", "system", "other"],
        "the console gets the policy list"
    );
}

#[tokio::test]
async fn a_callback_goes_to_the_registered_number_and_never_another() {
    let s = shared();
    let [(code, phone)]: [(String, String); 1] =
        institutions_with_phone(s, 0, 1).await.try_into().expect("one institution");
    let resp = s
        .request(reqwest::Method::POST, "/v1/callbacks", "sato")
        .json(&json!({"code": code, "reason": "機種の確認", "phone": "090-1234-5678"}))
        .send()
        .await
        .expect("request");
    let message = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(message.contains("登録電話番号"), "{message}");

    let c = s.client("sato");
    let origin = c.start_call(Some(&code)).await.expect("call");
    let cb = c
        .create_callback(&NewCallBack {
            code: code.clone(),
            reason: "機種の確認".into(),
            call_id: Some(origin.id),
            ..NewCallBack::default()
        })
        .await
        .expect("created");
    assert_eq!(cb.phone, phone, "the registered number, copied from the institution");
    assert_eq!(
        (cb.created_by.as_str(), cb.state, cb.origin_call_id),
        ("sato", CallBackState::Due, Some(origin.id))
    );
    let due_in = cb.due_at - cb.created_at;
    assert_eq!(due_in.num_minutes(), 60, "the policy's default due time");
    let open = c.callbacks(false, Some(&code)).await.expect("list");
    assert_eq!(open.iter().map(|x| x.id).collect::<Vec<_>>(), vec![cb.id]);

    let err = c
        .create_callback(&NewCallBack { code: code.clone(), reason: " ".into(), ..NewCallBack::default() })
        .await
        .expect_err("no reason");
    assert!(matches!(err, ClientError::Api { status: 422, .. }), "{err:?}");

    // Another operator takes it: a call starts on the institution, linked to the call-back.
    let taken = s.client("suzuki").take_callback(cb.id).await.expect("taken");
    assert_eq!((taken.call.code.as_deref(), taken.call.callback_id), (Some(code.as_str()), Some(cb.id)));
    assert_eq!(taken.call.operator, "suzuki");
    assert_eq!(taken.callback.taken_by.as_deref(), Some("suzuki"));
    let done = s.client("suzuki").close_callback(cb.id, CallBackOutcome::Reached).await.expect("closed");
    assert_eq!((done.state, done.outcome), (CallBackState::Done, Some(CallBackOutcome::Reached)));
    let err = s.client("suzuki").close_callback(cb.id, CallBackOutcome::NoAnswer).await.expect_err("twice");
    assert!(matches!(err, ClientError::Api { status: 409, .. }), "{err:?}");
    assert!(c.callbacks(false, Some(&code)).await.expect("list").is_empty());
    assert_eq!(c.callbacks(true, Some(&code)).await.expect("list").len(), 1);
}

/// The change dialog's verification by call-back: the call-back carries the change (checked:
/// a model of the catalog, a caller), whoever takes it sees it, and the change made on the
/// call-back's call is verified by that call.
#[tokio::test]
async fn a_callback_carries_the_change_it_verifies() {
    let s = shared();
    let c = s.client("sato");
    // One whose application an operator may still change (機種未定 or 機種選定済).
    let mut found = None;
    // Pharmacies: no other test here touches them.
    for r in c.lookup("薬局", 100).await.expect("lookup").results {
        let candidate = r.code;
        if c.institution(&candidate).await.expect("detail").institution.phone.is_none() {
            continue;
        }
        let app = c.reader_application(&candidate).await.expect("application");
        if matches!(app.application.status, ReaderStatus::Undecided | ReaderStatus::Selected) {
            found = Some((candidate, app.application.model_id));
            break;
        }
    }
    let (code, current) = found.expect("a changeable application among the seeded institutions");
    let models = c.reader_models().await.expect("models");
    let model = models.iter().find(|m| Some(&m.id) != current.as_ref()).expect("another model").id.clone();
    let change = PendingChange {
        model_id: model.clone(),
        units: 1,
        caller_name: "矢嶋 花子".into(),
        caller_role: "事務長".into(),
    };
    let body = |change: PendingChange| NewCallBack {
        code: code.clone(),
        reason: "機種変更の本人確認".into(),
        change: Some(change),
        ..NewCallBack::default()
    };
    let err = c
        .create_callback(&body(PendingChange { model_id: "no-such-model".into(), ..change.clone() }))
        .await
        .expect_err("unknown model");
    assert!(
        matches!(&err, ClientError::Api { status: 422, message, .. } if message.contains("no-such-model")),
        "{err:?}"
    );
    let err = c
        .create_callback(&body(PendingChange { caller_name: " ".into(), ..change.clone() }))
        .await
        .expect_err("no caller");
    assert!(matches!(err, ClientError::Api { status: 422, .. }), "{err:?}");

    let cb = c.create_callback(&body(change.clone())).await.expect("created");
    assert_eq!(cb.change.as_ref(), Some(&change));
    assert!(cb.name.as_deref().is_some_and(|n| !n.is_empty()), "the institution's name: {cb:?}");
    let listed = s.client("suzuki").callbacks(false, Some(&code)).await.expect("list");
    let mine = listed.iter().find(|x| x.id == cb.id).expect("listed");
    assert_eq!(mine.change.as_ref(), Some(&change), "whoever takes it sees the change");
    assert_eq!(mine.name, cb.name);

    // Claiming 登録電話番号へ折り返し without being on the call-back's call is refused: with no
    // call, and on an ordinary call.
    let app = s.client("suzuki").reader_application(&code).await.expect("application");
    let claim = |call_id| ChangeReaderApplication {
        model_id: change.model_id.clone(),
        units: change.units,
        caller_name: change.caller_name.clone(),
        caller_role: change.caller_role.clone(),
        verification: Verification::CallbackRegisteredPhone,
        call_id,
    };
    let ordinary = s.client("suzuki").start_call(Some(&code)).await.expect("an ordinary call");
    for call_id in [None, Some(ordinary.id)] {
        let err = s
            .client("suzuki")
            .change_reader_application(
                &code,
                app.application.version,
                &madoguchi::client::new_idempotency_key(),
                &claim(call_id),
            )
            .await
            .expect_err("not verified by a call-back");
        assert!(
            matches!(&err, ClientError::Api { status: 409, message, .. } if message.contains("折り返し")),
            "{call_id:?}: {err:?}"
        );
    }

    // Taken and completed: the change on the call-back's call, verified by calling back.
    let taken = s.client("suzuki").take_callback(cb.id).await.expect("taken");
    let app = s.client("suzuki").reader_application(&code).await.expect("application");
    let receipt = s
        .client("suzuki")
        .change_reader_application(
            &code,
            app.application.version,
            &madoguchi::client::new_idempotency_key(),
            &ChangeReaderApplication {
                model_id: change.model_id.clone(),
                units: change.units,
                caller_name: change.caller_name.clone(),
                caller_role: change.caller_role.clone(),
                verification: Verification::CallbackRegisteredPhone,
                call_id: Some(taken.call.id),
            },
        )
        .await
        .expect("the waiting change is made");
    let done = s.client("suzuki").close_callback(cb.id, CallBackOutcome::Reached).await.expect("closed");
    assert_eq!(done.outcome, Some(CallBackOutcome::Reached));
    let calls = s.client("suzuki").calls(Some(&code)).await.expect("calls");
    let call = calls.iter().find(|x| x.id == taken.call.id).expect("the call-back's call");
    assert_eq!((call.callback_id, call.receipts.clone()), (Some(cb.id), vec![receipt.receipt_no]));
}

#[tokio::test]
async fn faq_answers_shown_or_copied_are_on_the_call_record() {
    let s = shared();
    let c = s.client("sato");
    let hit = c.faq("機種未定 期限", 1).await.expect("faq").results.remove(0);
    let call = c.start_call(None).await.expect("start");
    c.attach_faq(call.id, &hit.entry.id, false).await.expect("shown");
    let call = c.attach_faq(call.id, &hit.entry.id, true).await.expect("copied");
    assert_eq!(call.faq.len(), 1, "{:?}", call.faq);
    assert_eq!((call.faq[0].faq_id.as_str(), call.faq[0].version), (hit.entry.id.as_str(), 1));
    assert!(call.faq[0].copied);
    assert_eq!(call.faq[0].question, hit.entry.question);
    let err = c.attach_faq(call.id, "no-such-entry", false).await.expect_err("unknown entry");
    assert!(matches!(err, ClientError::Api { status: 404, .. }), "{err:?}");
    let close = UpdateCall { reasons: Some(vec!["system".into()]), close: true, ..UpdateCall::default() };
    c.update_call(call.id, &close).await.expect("closes");
    let err = c.attach_faq(call.id, &hit.entry.id, false).await.expect_err("closed call");
    assert!(matches!(err, ClientError::Api { status: 409, .. }), "{err:?}");
}

/// The next screen pop on a stream (other events, from other tests, are skipped).
async fn next_pop(rx: &mut tokio::sync::mpsc::Receiver<ServerEvent>) -> madoguchi::api::ScreenPop {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(ServerEvent::ScreenPop(pop))) => return pop,
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the event stream ended"),
            Err(_) => panic!("no screen pop within 30 s"),
        }
    }
}

#[tokio::test]
async fn a_screen_pop_reaches_only_the_operator_taking_the_call() {
    let s = shared();
    let [(code, phone)]: [(String, String); 1] =
        institutions_with_phone(s, 10, 1).await.try_into().expect("one institution");
    let mut sato = s.client("sato").events().await.expect("sato subscribes");
    let mut suzuki = s.client("suzuki").events().await.expect("suzuki subscribes");
    let telephony = s.client("phone");

    // The phone system sends the number in its own format.
    let international = format!("+81 {}", phone.trim_start_matches('0'));
    let first = telephony.screen_pop(&international, "sato").await.expect("pop for sato");
    assert_eq!(first.code.as_deref(), Some(code.as_str()), "one registered phone matches: {first:?}");
    let unknown = telephony.screen_pop("050-0000-0001", "suzuki").await.expect("pop for suzuki");
    assert_eq!((unknown.code.as_deref(), unknown.candidates.len()), (None, 0));
    assert_eq!(unknown.caller_number, "05000000001", "the number to pre-fill the lookup with");
    let third = telephony.screen_pop(&phone, "sato").await.expect("second pop for sato");

    // Streams deliver in order: sato's next two pops are his, suzuki's first is hers.
    assert_eq!(next_pop(&mut sato).await, first);
    assert_eq!(next_pop(&mut sato).await, third, "sato never sees suzuki's pop");
    assert_eq!(next_pop(&mut suzuki).await, unknown, "suzuki never sees sato's pops");

    // The call record was started with the caller's number, for the right operator.
    let calls = s.client("sato").calls(Some(&code)).await.expect("list");
    let call = calls.iter().find(|c| c.id == first.call_id).expect("the pop's call");
    assert_eq!(call.operator, "sato");
    assert_eq!(call.caller_phone.as_deref(), Some(first.caller_number.as_str()));
    assert!(call.ended_at.is_none());

    let resp = s
        .request(reqwest::Method::POST, "/v1/screen-pops", "phone")
        .json(&json!({"caller_number": "非通知", "operator": "sato"}))
        .send()
        .await
        .expect("request");
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;

    // A name nobody has (a typo in the phone system's table) starts no call nobody would see.
    let resp = s
        .request(reqwest::Method::POST, "/v1/screen-pops", "phone")
        .json(&json!({"caller_number": phone, "operator": "satou-typo"}))
        .send()
        .await
        .expect("request");
    let message = expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(message.contains("satou-typo") && message.contains("電話システム"), "{message}");
    let calls = s.client("sato").calls(None).await.expect("list");
    assert!(!calls.iter().any(|c| c.operator == "satou-typo"), "no call started for the unknown name");
}

#[tokio::test]
async fn the_telephony_role_can_post_screen_pops_and_nothing_else() {
    let s = shared();
    use reqwest::Method;
    let routes: &[(Method, &str, Value)] = &[
        (Method::GET, "/v1/me", Value::Null),
        (Method::GET, "/v1/institutions?q=%E7%97%85%E9%99%A2", Value::Null),
        (Method::GET, "/v1/institutions/1331500016", Value::Null),
        (Method::GET, "/v1/faq?q=%E6%9C%9F%E9%99%90", Value::Null),
        (Method::GET, "/v1/events", Value::Null),
        (Method::GET, "/v1/calls?today=true", Value::Null),
        (Method::POST, "/v1/calls", json!({})),
        (Method::PATCH, "/v1/calls/1", json!({"note": "x"})),
        (Method::POST, "/v1/calls/1/faq", json!({"faq_id": "x"})),
        (Method::GET, "/v1/callbacks", Value::Null),
        (Method::POST, "/v1/callbacks", json!({"code": "1331500016", "reason": "x"})),
        (Method::POST, "/v1/callbacks/1/take", json!({})),
        (Method::POST, "/v1/callbacks/1/close", json!({"outcome": "reached"})),
        (Method::GET, "/v1/reports/calls", Value::Null),
        (Method::GET, "/v1/dashboard", Value::Null),
        (Method::GET, "/v1/audit", Value::Null),
        (Method::GET, "/v1/reader-models", Value::Null),
        (Method::POST, "/v1/batch/deadline", json!({"dry_run": true})),
        (Method::POST, "/v1/operators", json!({"name": "x", "role": "operator"})),
    ];
    for (method, path, body) in routes {
        let mut rb = s.request(method.clone(), path, "phone");
        if !body.is_null() {
            rb = rb.json(body);
        }
        let resp = rb.send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} must refuse telephony");
    }
    for user in ["sato", "takahashi", "chatbot"] {
        let resp = s
            .request(reqwest::Method::POST, "/v1/screen-pops", user)
            .json(&json!({"caller_number": "03-0000-0000", "operator": "sato"}))
            .send()
            .await
            .expect("request");
        let message = expect_error(resp, StatusCode::FORBIDDEN).await;
        assert!(message.contains("telephony"), "{message}");
    }
}

#[tokio::test]
async fn the_report_counts_exactly_the_calls_made() {
    // A server of its own, so that the report holds this test's calls and nothing else.
    let s = spawn(50);
    let [(code, _)]: [(String, String); 1] =
        institutions_with_phone(&s, 0, 1).await.try_into().expect("one institution");
    let close = |reasons: &[&str]| UpdateCall {
        reasons: Some(reasons.iter().map(|r| r.to_string()).collect()),
        close: true,
        ..UpdateCall::default()
    };
    let (sato, suzuki) = (s.client("sato"), s.client("suzuki"));
    for reasons in [&["model"][..], &["model", "subsidy"]] {
        let call = sato.start_call(Some(&code)).await.expect("start");
        sato.update_call(call.id, &close(reasons)).await.expect("close");
    }
    sato.start_call(None).await.expect("left open");
    let call = suzuki.start_call(None).await.expect("start");
    suzuki.update_call(call.id, &close(&["other"])).await.expect("close");
    let cb = suzuki
        .create_callback(&NewCallBack {
            code: code.clone(),
            reason: "折り返し".into(),
            ..NewCallBack::default()
        })
        .await
        .expect("call-back");
    suzuki
        .create_callback(&NewCallBack { code, reason: "二件目".into(), ..NewCallBack::default() })
        .await
        .expect("cb");
    suzuki.close_callback(cb.id, CallBackOutcome::NoAnswer).await.expect("done");

    let day = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
    let report = s.client("takahashi").call_report(Some(day), Some(day)).await.expect("report");
    assert_eq!((report.from, report.to, report.calls, report.closed), (day, day, 4, 3));
    assert_eq!(report.by_hour.iter().map(|h| h.calls).sum::<u64>(), 4);
    let reasons: Vec<(&str, u64)> = report.by_reason.iter().map(|r| (r.id.as_str(), r.calls)).collect();
    assert_eq!(
        reasons,
        [("model", 2), ("subsidy", 1), ("status", 0), ("portal", 0), ("system", 0), ("other", 1)]
    );
    let ops: Vec<(&str, u64)> = report.by_operator.iter().map(|o| (o.operator.as_str(), o.calls)).collect();
    assert_eq!(ops, [("sato", 3), ("suzuki", 1)]);
    assert!(report.avg_handle_seconds.is_some());
    // Due in an hour (2021-07-15 unless the test runs in Japan's last hour of the day).
    assert_eq!(report.callbacks.due + report.callbacks.overdue + report.callbacks.done, {
        let due_day = madoguchi::domain::policy::japan_today(cb.due_at);
        if due_day == day { 2 } else { 0 }
    });

    let before =
        s.client("sato").call_report(Some(day.pred_opt().expect("day")), None).await.expect("report");
    assert_eq!(before.calls, 0, "the day before has none");
    let err = s.client("sato").call_report(Some(day), day.pred_opt()).await.expect_err("reversed");
    assert!(matches!(err, ClientError::Api { status: 422, .. }), "{err:?}");
}
