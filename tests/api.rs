//! The API through a real server on 127.0.0.1:0 over a temporary SQLite database seeded
//! small: every documented status, idempotent replay, ETag, SSE, and the OpenAPI document.
//!
//! One server is shared by all tests (it runs on its own thread and runtime); tests that
//! change applications each pick their own institutions.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use madoguchi::api::{
    AuditEvent, ChangeReaderApplication, ChangeReceipt, LookupResponse, ReaderApplicationView, Role,
    ServerEvent, StaleBody, Verification,
};
use madoguchi::client::{Client, ClientError};
use madoguchi::domain::{Institution, InstitutionCode, InstitutionKind, Policy, ReaderStatus};
use madoguchi::server::auth::hash_token;
use madoguchi::server::{AppState, Clock, SeedOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The running test server: its URL and a token per role.
struct TestServer {
    base: String,
    tokens: HashMap<&'static str, String>,
    /// Codes already taken by a test that changes applications.
    taken: Mutex<HashSet<String>>,
    /// A code whose check digit is off, inserted at setup.
    bad_digit_code: String,
}

/// A code in Hokkaido (01) whose check digit is deliberately wrong.
fn bad_digit_code() -> String {
    let body = "011234567";
    for last in 0..10u8 {
        let code = format!("{body}{last}");
        if let Ok(check) = InstitutionCode::parse(&code)
            && check.expected_check_digit.is_some()
        {
            return code;
        }
    }
    unreachable!("nine of ten digits are wrong")
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async move {
                let dir = tempfile::tempdir().expect("tempdir");
                let db = dir.path().join("api.db").to_string_lossy().into_owned();
                let store = madoguchi::server::open_store(&db).await.expect("open store");
                madoguchi::server::seed_store(
                    store.as_ref(),
                    &SeedOptions { institutions: Some(2000), seed: 7 },
                    &|_| {},
                )
                .await
                .expect("seed");
                let bad = bad_digit_code();
                store
                    .upsert_institutions(&[Institution {
                        code: InstitutionCode::parse(&bad).expect("well-formed").code,
                        name: "検証番号ちがい診療所".into(),
                        name_kana: Some("ケンショウバンゴウチガイシンリョウジョ".into()),
                        kana_inferred: false,
                        kind: InstitutionKind::MedicalClinic,
                        prefecture: "北海道".into(),
                        city: "札幌市中央区".into(),
                        postal_code: "060-0001".into(),
                        address: "北1条西1丁目".into(),
                        phone: Some("011-000-0000".into()),
                        large_chain: false,
                    }])
                    .await
                    .expect("insert bad-digit institution");
                let mut tokens = HashMap::new();
                for (name, role) in [
                    ("operator", Role::Operator),
                    ("supervisor", Role::Supervisor),
                    ("service", Role::Service),
                ] {
                    let token = format!("test-token-{name}");
                    store
                        .add_operator(
                            &format!("テスト{name}"),
                            role,
                            &hash_token(&token),
                            "test",
                            chrono::Utc::now(),
                        )
                        .await
                        .expect("add operator");
                    tokens.insert(name, token);
                }
                let as_of = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
                let state = AppState::load(store, Policy::builtin(), Clock::Fixed(as_of), HashMap::new())
                    .await
                    .expect("state");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let base = format!("http://{}", listener.local_addr().expect("addr"));
                tx.send(TestServer { base, tokens, taken: Mutex::new(HashSet::new()), bad_digit_code: bad })
                    .expect("send");
                madoguchi::server::run(listener, state, std::future::pending()).await.expect("serve");
                drop(dir);
            });
        });
        rx.recv_timeout(Duration::from_secs(120)).expect("test server started")
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn url(path: &str) -> String {
    format!("{}{}", server().base, path)
}

fn token(role: &str) -> String {
    server().tokens[role].clone()
}

fn client(role: &str) -> Client {
    Client::new(&server().base, Some(token(role))).expect("client")
}

async fn get(path: &str, role: &str) -> reqwest::Response {
    http().get(url(path)).bearer_auth(token(role)).send().await.expect("request")
}

/// Asserts the status and the one error shape; returns the body.
async fn expect_error(resp: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status, "status");
    let body: Value = resp.json().await.expect("error body is JSON");
    assert!(body["error"]["code"].is_string(), "error.code in {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message in {body}");
    body
}

/// An institution nobody else in this run changes, of `kind`, whose application may be changed.
async fn fresh_institution(kind: InstitutionKind) -> String {
    let word = match kind {
        InstitutionKind::Hospital => "病院",
        InstitutionKind::MedicalClinic => "クリニック",
        InstitutionKind::DentalClinic => "歯科",
        InstitutionKind::Pharmacy => "薬局",
    };
    let found: LookupResponse = get(&format!("/v1/institutions?q={}&limit=200", urlencode(word)), "operator")
        .await
        .json()
        .await
        .expect("lookup");
    let mut taken = server().taken.lock().expect("lock");
    for r in found.results {
        if r.kind == kind
            && matches!(r.reader_status, ReaderStatus::Selected | ReaderStatus::NotApplied)
            && taken.insert(r.code.clone())
        {
            return r.code;
        }
    }
    panic!("no changeable {kind:?} left in the seeded data");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn models() -> Vec<String> {
    client("operator").reader_models().await.expect("models").into_iter().map(|m| m.id).collect()
}

/// A valid change body to a model other than the current one.
async fn change_body(code: &str) -> (ReaderApplicationView, ChangeReaderApplication) {
    let view = client("operator").reader_application(code).await.expect("application");
    let models = models().await;
    let model = models
        .iter()
        .find(|m| Some(*m) != view.application.model_id.as_ref())
        .expect("another model")
        .clone();
    let body = ChangeReaderApplication {
        model_id: model,
        units: 1,
        caller_name: "山田花子".into(),
        caller_role: "事務長".into(),
        verification: Verification::RegisteredDetails,
        call_id: None,
    };
    (view, body)
}

fn put_application(code: &str, role: &str) -> reqwest::RequestBuilder {
    http().put(url(&format!("/v1/institutions/{code}/reader-application"))).bearer_auth(token(role))
}

#[tokio::test]
async fn healthz_needs_no_token() {
    // What a load balancer does: wait (bounded) until lookups can be answered.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let body = loop {
        let resp = http().get(url("/healthz")).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["status"], "ok");
        if body["lookup"] == "ready" {
            break body;
        }
        assert_eq!(body["lookup"], "loading", "{body}");
        assert!(std::time::Instant::now() < deadline, "the index loads within two minutes: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(body["institutions"].as_u64().is_some_and(|n| n >= 2000), "{body}");
    // Ready once lookups are answered and the database answers (r26), no token needed.
    let resp = http().get(url("/readyz")).send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let ready: Value = resp.json().await.expect("json");
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["lookup"], "ready", "{ready}");
}

#[tokio::test]
async fn status_401_without_or_with_a_bad_token() {
    let resp = http().get(url("/v1/me")).send().await.expect("request");
    expect_error(resp, StatusCode::UNAUTHORIZED).await;
    let resp = http().get(url("/v1/institutions?q=a")).bearer_auth("nope").send().await.expect("request");
    expect_error(resp, StatusCode::UNAUTHORIZED).await;
}

/// The role is checked from the headers, before the body is read: a wrong role gets 403
/// whatever it sends (bad JSON, the wrong shape, no body at all).
#[tokio::test]
async fn the_role_is_checked_before_the_body() {
    let writes: [(&str, &str, &str); 7] = [
        ("PUT", "/v1/faq/x1", "supervisor"),
        ("POST", "/v1/batch/deadline", "supervisor"),
        ("POST", "/v1/operators", "supervisor"),
        ("POST", "/v1/calls", "staff"),
        ("PATCH", "/v1/calls/1", "staff"),
        ("PUT", "/v1/institutions/1331500016/reading", "staff"),
        ("PUT", "/v1/institutions/1331500016/reader-application", "staff"),
    ];
    for (method, path, needs) in writes {
        let wrong: &[&str] = if needs == "supervisor" { &["operator", "service"] } else { &["service"] };
        for role in wrong {
            for body in ["{not json", "0", ""] {
                let resp = http()
                    .request(method.parse().expect("method"), url(path))
                    .bearer_auth(token(role))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} as {role} with {body:?}");
                expect_error(resp, StatusCode::FORBIDDEN).await;
            }
        }
    }
}

/// `Authorization` schemes are case-insensitive.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    for scheme in ["Bearer", "bearer", "BEARER", "BeArEr"] {
        let resp = http()
            .get(url("/v1/me"))
            .header("authorization", format!("{scheme} {}", token("operator")))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
    for bad in ["Basic abc", "Bearer", "Bearer ", "Token x"] {
        let resp = http().get(url("/v1/me")).header("authorization", bad).send().await.expect("request");
        expect_error(resp, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn faq_says_whether_its_top_answer_is_confident() {
    let ask = |q: &str| {
        let q = q.to_string();
        async move {
            let resp =
                http().get(url("/v1/faq")).query(&[("q", q.as_str())]).bearer_auth(token("service")).send();
            let resp = resp.await.expect("request");
            assert_eq!(resp.status(), StatusCode::OK);
            resp.json::<Value>().await.expect("json")
        }
    };
    for (q, id) in [
        ("チャットボットのシカクって何ですか", "portal-chatbot"),
        ("双子の取り違えは防げる？", "system-mynumber-twins"),
    ] {
        let body = ask(q).await;
        assert_eq!(body["confident"], json!(true), "{q}: {body}");
        assert_eq!(body["results"][0]["id"], json!(id), "{q}: {body}");
    }
    for q in ["明日の東京の天気はどうですか", "おすすめの温泉旅館を教えてください"]
    {
        let body = ask(q).await;
        assert_eq!(body["confident"], json!(false), "{q}: {body}");
    }
    let doc: Value = http().get(url("/openapi.json")).send().await.expect("req").json().await.expect("json");
    let confident = &doc["components"]["schemas"]["FaqResponse"]["properties"]["confident"];
    assert_eq!(confident["type"], json!("boolean"), "{confident}");
    assert!(confident["description"].as_str().is_some_and(|d| d.contains("hand over")), "{confident}");
}

#[tokio::test]
async fn status_403_for_the_wrong_role_and_service_reads_only_the_faq() {
    expect_error(get("/v1/institutions?q=%E7%97%85%E9%99%A2", "service").await, StatusCode::FORBIDDEN).await;
    expect_error(get("/v1/me", "service").await, StatusCode::FORBIDDEN).await;
    let resp = get("/v1/faq?q=%E6%A9%9F%E7%A8%AE%E6%9C%AA%E5%AE%9A", "service").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http()
        .put(url("/v1/faq/x1"))
        .bearer_auth(token("operator"))
        .json(&json!({"id":"x1","question":"q","answer":"a","category":"c"}))
        .send()
        .await
        .expect("request");
    expect_error(resp, StatusCode::FORBIDDEN).await;
    let resp = http()
        .post(url("/v1/batch/deadline"))
        .bearer_auth(token("operator"))
        .json(&json!({"dry_run": true}))
        .send()
        .await
        .expect("request");
    expect_error(resp, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn me_says_who_and_the_fixed_business_date() {
    let me = client("supervisor").me().await.expect("me");
    assert_eq!(me.role, Role::Supervisor);
    assert!(me.date_fixed);
    assert_eq!(me.business_date.to_string(), "2021-07-15");
}

#[tokio::test]
async fn lookup_ranks_and_rejects_bad_queries_with_400() {
    let found = client("operator").lookup("病院", 5).await.expect("lookup");
    assert!(!found.results.is_empty() && found.results.len() <= 5);
    let code = found.results[0].code.clone();
    let by_code = client("operator").lookup(&code, 5).await.expect("lookup by code");
    assert_eq!(by_code.results[0].code, code);
    assert_eq!(by_code.results[0].match_kind, "exact_code");
    expect_error(get("/v1/institutions?q=", "operator").await, StatusCode::BAD_REQUEST).await;
    expect_error(get("/v1/institutions?q=%20%20", "operator").await, StatusCode::BAD_REQUEST).await;
    expect_error(get("/v1/institutions?q=a&limit=0", "operator").await, StatusCode::BAD_REQUEST).await;
    expect_error(get("/v1/institutions?q=a&limit=201", "operator").await, StatusCode::BAD_REQUEST).await;
    expect_error(get("/v1/institutions?q=a&limit=many", "operator").await, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn institution_400_for_a_non_code_404_for_an_unknown_one_and_a_check_digit_warning() {
    let body = expect_error(get("/v1/institutions/12345", "operator").await, StatusCode::BAD_REQUEST).await;
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("10桁")), "{body}");
    // Well-formed but not registered (prefecture 47, any digits).
    expect_error(get("/v1/institutions/4719999999", "operator").await, StatusCode::NOT_FOUND).await;
    let d = client("operator").institution(&server().bad_digit_code).await.expect("detail");
    assert!(d.check_digit_warning.is_some());
    let code = fresh_institution(InstitutionKind::Pharmacy).await;
    let d = client("operator").institution(&code).await.expect("detail");
    assert_eq!(d.institution.code.as_str(), code);
    assert!(d.check_digit_warning.is_none(), "generated codes have valid check digits");
    // Full-width digits are accepted.
    let wide: String =
        code.chars().map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c)).collect();
    assert_eq!(
        client("operator").institution(&wide).await.expect("full-width").institution.code.as_str(),
        code
    );
}

#[tokio::test]
async fn application_get_sends_its_version_as_etag() {
    let code = fresh_institution(InstitutionKind::MedicalClinic).await;
    let resp = get(&format!("/v1/institutions/{code}/reader-application"), "operator").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().expect("ascii").to_string();
    let view: ReaderApplicationView = resp.json().await.expect("view");
    assert_eq!(etag, format!("\"{}\"", view.application.version));
    assert_eq!(view.selection_deadline.to_string(), "2021-08-01");
    assert_eq!(view.days_left, 17);
}

#[tokio::test]
async fn change_needs_if_match_and_idempotency_key_428() {
    let code = fresh_institution(InstitutionKind::MedicalClinic).await;
    let (view, body) = change_body(&code).await;
    let resp = put_application(&code, "operator")
        .header("Idempotency-Key", "k-428a")
        .json(&body)
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::PRECONDITION_REQUIRED).await;
    let resp = put_application(&code, "operator")
        .header("If-Match", format!("\"{}\"", view.application.version))
        .json(&body)
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::PRECONDITION_REQUIRED).await;
    // `*` names no version the operator read.
    let resp = put_application(&code, "operator")
        .header("If-Match", "*")
        .header("Idempotency-Key", "k-428c")
        .json(&body)
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::PRECONDITION_REQUIRED).await;
    // Neither If-Match nor a valid body: the precondition is named first (read, then change).
    let resp = put_application(&code, "operator").json(&json!({})).send().await.expect("req");
    expect_error(resp, StatusCode::PRECONDITION_REQUIRED).await;
    // With the preconditions met, the body is still checked.
    let resp = put_application(&code, "operator")
        .header("If-Match", format!("\"{}\"", view.application.version))
        .header("Idempotency-Key", "k-428d")
        .json(&json!({}))
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let after = client("operator").reader_application(&code).await.expect("view");
    assert_eq!(after.application, view.application, "nothing changed");
}

#[tokio::test]
async fn change_succeeds_once_replays_and_refuses_a_reused_key_with_another_body() {
    let code = fresh_institution(InstitutionKind::DentalClinic).await;
    let (view, body) = change_body(&code).await;
    let send = |body: ChangeReaderApplication| {
        let code = code.clone();
        async move {
            put_application(&code, "operator")
                .header("If-Match", format!("\"{}\"", view.application.version))
                .header("Idempotency-Key", format!("replay-{code}"))
                .json(&body)
                .send()
                .await
                .expect("req")
        }
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].to_str().expect("ascii").to_string();
    let first: ChangeReceipt = first.json().await.expect("receipt");
    assert!(!first.receipt_no.is_empty());
    assert_eq!(first.application.application.model_id.as_deref(), Some(body.model_id.as_str()));
    assert_eq!(first.application.application.status, ReaderStatus::Selected);
    assert_eq!(first.application.application.version, view.application.version + 1);
    assert_eq!(etag, format!("\"{}\"", first.application.application.version));
    assert_eq!(first.before, view.application);

    let again = send(body.clone()).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: ChangeReceipt = again.json().await.expect("receipt");
    assert_eq!(again.receipt_no, first.receipt_no, "the first answer again");
    assert_eq!(
        again.application.application.version, first.application.application.version,
        "nothing changed"
    );

    let mut other = body.clone();
    other.caller_name = "別の人".into();
    expect_error(send(other).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let events: Vec<AuditEvent> = client("operator").audit(Some(&code)).await.expect("audit");
    let mine: Vec<_> =
        events.iter().filter(|e| e.receipt_no.as_deref() == Some(first.receipt_no.as_str())).collect();
    assert_eq!(mine.len(), 1, "one audit event: {events:?}");
    assert_eq!(mine[0].operator, "テストoperator");
    let detail = mine[0].detail.to_string();
    assert!(detail.contains("山田花子"), "caller named in the audit event: {detail}");
}

#[tokio::test]
async fn stale_if_match_is_412_with_the_current_state() {
    let code = fresh_institution(InstitutionKind::Hospital).await;
    let (view, body) = change_body(&code).await;
    let resp = put_application(&code, "operator")
        .header("If-Match", format!("\"{}\"", view.application.version + 5))
        .header("Idempotency-Key", format!("stale-{code}"))
        .json(&body)
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    let stale: StaleBody = resp.json().await.expect("stale body");
    assert_eq!(stale.error.code, "stale");
    assert_eq!(stale.current.application, view.application);
    // A tag that is not one of ours cannot match either: 412 too, not 400. Nor can a weak tag,
    // even one naming the current version (If-Match compares strongly; r26).
    let weak_current = format!("W/\"{}\"", view.application.version);
    for tag in ["\"stale-999\"", "W/\"x\"", "\"-3\"", "\"1\", \"2\"", weak_current.as_str()] {
        let resp = put_application(&code, "operator")
            .header("If-Match", tag)
            .header("Idempotency-Key", format!("stale-tag-{code}-{tag}"))
            .json(&body)
            .send()
            .await
            .expect("req");
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED, "If-Match: {tag}");
    }
    // Through the client: Stale with the current state.
    let err = client("operator")
        .change_reader_application(&code, view.application.version + 5, "stale-client", &body)
        .await
        .expect_err("stale");
    assert!(matches!(err, ClientError::Stale { current: Some(_), .. }), "{err:?}");
}

#[tokio::test]
async fn bad_bodies_are_422_and_a_refused_rule_is_409() {
    let code = fresh_institution(InstitutionKind::MedicalClinic).await;
    let (view, body) = change_body(&code).await;
    let version = format!("\"{}\"", view.application.version);
    let try_body = |b: Value, key: &'static str| {
        let code = code.clone();
        let version = version.clone();
        async move {
            put_application(&code, "operator")
                .header("If-Match", version)
                .header("Idempotency-Key", key)
                .json(&b)
                .send()
                .await
                .expect("req")
        }
    };
    let mut unknown = serde_json::to_value(&body).expect("json");
    unknown["model_id"] = json!("no-such-model");
    let b = expect_error(try_body(unknown, "k422a").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(b["error"]["code"], "unknown_model");
    let mut nameless = serde_json::to_value(&body).expect("json");
    nameless["caller_name"] = json!("  ");
    let b = expect_error(try_body(nameless, "k422b").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(b["error"]["code"], "caller_name_required");
    let mut bad_verification = serde_json::to_value(&body).expect("json");
    bad_verification["verification"] = json!("trust_me");
    expect_error(try_body(bad_verification, "k422c").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    // A clinic gets one free reader: two is refused by the rule, in words.
    let mut two = serde_json::to_value(&body).expect("json");
    two["units"] = json!(2);
    let b = expect_error(try_body(two, "k409").await, StatusCode::CONFLICT).await;
    assert!(b["error"]["message"].as_str().is_some_and(|m| m.contains("1台まで")), "{b}");
    let after = client("operator").reader_application(&code).await.expect("view");
    assert_eq!(after.application, view.application, "nothing changed");
}

#[tokio::test]
async fn framework_errors_share_the_error_shape() {
    // Bad JSON → 400.
    let resp = http()
        .post(url("/v1/calls"))
        .bearer_auth(token("operator"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::BAD_REQUEST).await;
    // Bytes that are not UTF-8 anywhere in the body, in a field nobody reads too (r26): 400
    // invalid_json, and no call is started.
    for body in [&b"{\"code\": null, \"x\": \"\xff\xfe\"}"[..], &b"{\"code\": \"\xe3\x81\"}"[..]] {
        let resp = http()
            .post(url("/v1/calls"))
            .bearer_auth(token("operator"))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("req");
        let b = expect_error(resp, StatusCode::BAD_REQUEST).await;
        assert_eq!(b["error"]["code"], "invalid_json", "{b}");
    }
    // Unknown route → 404, wrong method → 405.
    expect_error(get("/v1/nothing-here", "operator").await, StatusCode::NOT_FOUND).await;
    let resp =
        http().delete(url("/v1/institutions")).bearer_auth(token("operator")).send().await.expect("req");
    expect_error(resp, StatusCode::METHOD_NOT_ALLOWED).await;
    // Body over the limit → 413.
    let big = json!({"code": null, "padding": "x".repeat(100 * 1024)});
    let resp =
        http().post(url("/v1/calls")).bearer_auth(token("operator")).json(&big).send().await.expect("req");
    expect_error(resp, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn events_stream_reports_a_change() {
    let code = fresh_institution(InstitutionKind::Pharmacy).await;
    let mut rx = client("operator").events().await.expect("subscribe");
    let (view, body) = change_body(&code).await;
    let receipt = client("supervisor")
        .change_reader_application(&code, view.application.version, &format!("sse-{code}"), &body)
        .await
        .expect("change");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("event within 10 s")
            .expect("stream open");
        if let ServerEvent::ApplicationChanged { code: c, version, receipt_no, .. } = ev
            && c == code
        {
            assert_eq!(version, receipt.application.application.version);
            assert_eq!(receipt_no.as_deref(), Some(receipt.receipt_no.as_str()));
            break;
        }
    }
}

#[tokio::test]
async fn calls_start_update_and_list() {
    let code = fresh_institution(InstitutionKind::MedicalClinic).await;
    let c = client("operator");
    let call = c.start_call(None).await.expect("start");
    let call = c
        .update_call(
            call.id,
            &madoguchi::api::UpdateCall {
                code: Some(code.clone()),
                note: Some("機種の相談".into()),
                reasons: Some(vec!["model".into()]),
                close: true,
            },
        )
        .await
        .expect("update");
    assert_eq!(call.code.as_deref(), Some(code.as_str()));
    assert!(call.ended_at.is_some());
    let today = c.calls(Some(&code)).await.expect("list");
    assert!(today.iter().any(|x| x.id == call.id), "{today:?}");
    let resp = http()
        .patch(url("/v1/calls/999999"))
        .bearer_auth(token("operator"))
        .json(&json!({"note": "x"}))
        .send()
        .await
        .expect("req");
    expect_error(resp, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn deadline_batch_is_refused_before_the_deadline_but_dry_runs() {
    let dry = client("supervisor").deadline_batch(true).await.expect("dry run");
    assert!(dry.dry_run);
    let err = client("supervisor").deadline_batch(false).await.expect_err("before the deadline");
    assert!(matches!(err, ClientError::Api { status: 409, .. }), "{err:?}");
    let dash = client("operator").dashboard().await.expect("dashboard");
    assert_eq!(dash.days_left, 17);
    assert_eq!(dash.undecided_total, dry.cancelled);
}

#[tokio::test]
async fn supervisors_issue_tokens_that_work() {
    let issued = client("supervisor").add_operator("新人", Role::Operator).await.expect("issue");
    let me = Client::new(&server().base, Some(issued.token)).expect("client").me().await.expect("me");
    assert_eq!(me.name, "新人");
    assert_eq!(me.role, Role::Operator);
    let err = client("operator").add_operator("勝手", Role::Supervisor).await.expect_err("operators cannot");
    assert!(matches!(err, ClientError::Api { status: 403, .. }), "{err:?}");
}

#[tokio::test]
async fn faq_search_and_supervisor_edit() {
    let edited = madoguchi::api::FaqEntry {
        id: "test-zz".into(),
        question: "テスト用のめずらしい質問ですか".into(),
        answer: "はい、ぴよぴよです".into(),
        category: "テスト".into(),
        keywords: vec!["ぴよぴよ".into()],
    };
    client("supervisor").put_faq(&edited).await.expect("put");
    let found = Client::new(&server().base, Some(token("service")))
        .expect("client")
        .faq("ぴよぴよ", 5)
        .await
        .expect("faq");
    assert_eq!(found.results.first().map(|h| h.entry.id.as_str()), Some("test-zz"));
    expect_error(get("/v1/faq?q=", "service").await, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn openapi_lists_every_route_and_status() {
    let resp = http().get(url("/openapi.json")).send().await.expect("req");
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    let paths = doc["paths"].as_object().expect("paths");
    let expect: &[(&str, &str, &[&str])] = &[
        ("/healthz", "get", &["200"]),
        ("/v1/me", "get", &["200", "401", "403"]),
        ("/v1/institutions", "get", &["200", "400", "401", "403"]),
        ("/v1/institutions/{code}", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/institutions/{code}/reading", "put", &["200", "400", "401", "403", "404", "413", "422"]),
        ("/v1/institutions/{code}/subsidy", "get", &["200", "400", "401", "403", "404"]),
        ("/v1/institutions/{code}/reader-application", "get", &["200", "400", "401", "403", "404"]),
        (
            "/v1/institutions/{code}/reader-application",
            "put",
            &["200", "400", "401", "403", "404", "409", "412", "413", "422", "428"],
        ),
        ("/v1/reader-models", "get", &["200", "401", "403"]),
        ("/v1/faq", "get", &["200", "400", "401"]),
        ("/v1/faq/{id}", "put", &["200", "400", "401", "403", "413", "422"]),
        ("/v1/audit", "get", &["200", "400", "401", "403"]),
        ("/v1/audit/verify", "get", &["200", "401", "403"]),
        ("/v1/calls", "post", &["200", "400", "401", "403", "404", "413"]),
        ("/v1/calls", "get", &["200", "400", "401", "403"]),
        ("/v1/calls/{id}", "patch", &["200", "400", "401", "403", "404", "413", "422"]),
        ("/v1/dashboard", "get", &["200", "401", "403"]),
        ("/v1/batch/deadline", "post", &["200", "400", "401", "403", "409", "413"]),
        ("/v1/operators", "post", &["200", "400", "401", "403", "413", "422"]),
        ("/v1/events", "get", &["200", "401", "403"]),
        ("/openapi.json", "get", &["200"]),
    ];
    for (path, method, statuses) in expect {
        let op = &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))[*method];
        for s in *statuses {
            assert!(op["responses"].get(*s).is_some(), "{method} {path} documents {s}");
        }
    }
}

/// A store of its own with one operator whose token is `token`.
async fn own_store(dir: &std::path::Path, token: &str) -> std::sync::Arc<dyn madoguchi::store::Store> {
    let db = dir.join("own.db").to_string_lossy().into_owned();
    let store = madoguchi::server::open_store(&db).await.expect("open");
    store
        .add_operator("専用", Role::Operator, &hash_token(token), "test", chrono::Utc::now())
        .await
        .expect("operator");
    store
}

/// A server of its own on a loopback port: its base URL, the signal that stops it, its task.
async fn own_server(
    state: AppState,
) -> (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(madoguchi::server::run(listener, state, async move {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

#[tokio::test]
async fn shutdown_ends_event_streams_and_stops_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = own_store(dir.path(), "stop-token").await;
    let state = AppState::load(store, Policy::builtin(), Clock::Real, HashMap::new()).await.expect("state");
    let (base, stop, server) = own_server(state).await;
    let mut events =
        Client::new(&base, Some("stop-token".into())).expect("client").events().await.expect("subscribe");
    stop.send(()).expect("signal");
    let ended =
        tokio::time::timeout(Duration::from_secs(10), server).await.expect("server stops within 10 s");
    ended.expect("task").expect("clean exit");
    let closed = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("stream ends");
    assert!(closed.is_none(), "the event stream closed");
    let after = Client::new(&base, Some("stop-token".into())).expect("client").me().await;
    assert!(matches!(after, Err(ClientError::Offline(_))), "{after:?}");
}

#[tokio::test]
async fn healthz_says_whether_lookups_can_be_answered_yet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = own_store(dir.path(), "ready-token").await;
    // Built on the first lookup: until one comes, the index is not there at all.
    let state = AppState::load_with(
        store,
        Policy::builtin(),
        Clock::Real,
        HashMap::new(),
        madoguchi::server::state::IndexBuild::OnFirstLookup,
    )
    .await
    .expect("state");
    let (base, stop, server) = own_server(state).await;
    let health = |base: String| async move {
        let body: Value =
            http().get(format!("{base}/healthz")).send().await.expect("healthz").json().await.expect("json");
        body
    };
    let before = health(base.clone()).await;
    assert_eq!(before["lookup"], "not_started", "{before}");
    assert_eq!(before["institutions"], 0, "{before}");
    let client = Client::new(&base, Some("ready-token".into())).expect("client");
    client.lookup("病院", 5).await.expect("the first lookup waits for the index");
    let after = health(base.clone()).await;
    assert_eq!(after["lookup"], "ready", "{after}");
    stop.send(()).expect("signal");
    server.await.expect("task").expect("clean exit");
}
