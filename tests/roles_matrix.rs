//! Who may call what, through a real server: every route of `/openapi.json` × (no token,
//! unknown token, revoked token, operator, supervisor, service, telephony) with the status
//! each must get. The routes come from the document itself, so a new route without an entry
//! in [`routes`] fails this test. A caller of the wrong role sends a malformed body: the role
//! is checked before the body is read (403, not 400).
//!
//! Also here: a revocation reaches another server despite its token cache, and a call record
//! is changed only by its operator or a supervisor (audited).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use madoguchi::api::Role;
use madoguchi::domain::Policy;
use madoguchi::server::auth::hash_token;
use madoguchi::server::{AppState, Clock, SeedOptions};
use madoguchi::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The callers every route is tried with.
const CALLERS: [&str; 7] = ["none", "unknown", "revoked", "operator", "supervisor", "service", "telephony"];

/// Which callers a route lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No token needed (health, the document).
    Public,
    /// Operators and supervisors.
    Staff,
    Supervisor,
    /// Staff and the chatbot (`service`).
    FaqReader,
    Telephony,
}

impl Who {
    fn admits(self, caller: &str) -> bool {
        match self {
            Who::Public => true,
            Who::Staff => matches!(caller, "operator" | "supervisor"),
            Who::Supervisor => caller == "supervisor",
            Who::FaqReader => matches!(caller, "operator" | "supervisor" | "service"),
            Who::Telephony => caller == "telephony",
        }
    }
}

/// One route as this test calls it: the concrete path and query, who may, and what an
/// admitted caller gets for `body` (chosen to be harmless: most bodies are incomplete, so the
/// answer is the 422 of the body check, which only an admitted caller reaches).
struct Route {
    path: String,
    who: Who,
    body: Option<Value>,
    admitted: u16,
}

/// A running server and what the matrix needs from its database.
struct Fixture {
    base: String,
    tokens: HashMap<&'static str, String>,
    code: String,
    call_id: i64,
    faq_id: String,
    _dir: tempfile::TempDir,
}

fn route(path: impl Into<String>, who: Who, body: Option<Value>, admitted: u16) -> Route {
    Route { path: path.into(), who, body, admitted }
}

/// Every route, keyed by (method, OpenAPI path template).
fn routes(f: &Fixture) -> Vec<((&'static str, &'static str), Route)> {
    use Who::*;
    let code = &f.code;
    let call = f.call_id;
    let empty = || Some(json!({}));
    vec![
        (("get", "/healthz"), route("/healthz", Public, None, 200)),
        (("get", "/readyz"), route("/readyz", Public, None, 200)),
        (("get", "/openapi.json"), route("/openapi.json", Public, None, 200)),
        (("get", "/v1/me"), route("/v1/me", Staff, None, 200)),
        (("get", "/v1/institutions"), route("/v1/institutions?q=%E7%97%85%E9%99%A2", Staff, None, 200)),
        (("get", "/v1/institutions/{code}"), route(format!("/v1/institutions/{code}"), Staff, None, 200)),
        (
            ("put", "/v1/institutions/{code}/reading"),
            route(format!("/v1/institutions/{code}/reading"), Staff, empty(), 422),
        ),
        (
            ("get", "/v1/institutions/{code}/subsidy"),
            route(format!("/v1/institutions/{code}/subsidy"), Staff, None, 200),
        ),
        (
            ("get", "/v1/institutions/{code}/reader-application"),
            route(format!("/v1/institutions/{code}/reader-application"), Staff, None, 200),
        ),
        // No If-Match (and an incomplete body): 428, after the role check.
        (
            ("put", "/v1/institutions/{code}/reader-application"),
            route(format!("/v1/institutions/{code}/reader-application"), Staff, empty(), 428),
        ),
        (("get", "/v1/reader-models"), route("/v1/reader-models", Staff, None, 200)),
        (("get", "/v1/faq"), route("/v1/faq?q=%E8%A3%9C%E5%8A%A9%E9%87%91", FaqReader, None, 200)),
        (("put", "/v1/faq/{id}"), route(format!("/v1/faq/{}", f.faq_id), Supervisor, empty(), 422)),
        (("post", "/v1/faq/import"), route("/v1/faq/import", Supervisor, empty(), 422)),
        (
            ("get", "/v1/faq/suggest"),
            route(format!("/v1/faq/suggest?code={code}&note=%E6%9C%9F%E9%99%90"), FaqReader, None, 200),
        ),
        (("get", "/v1/audit"), route("/v1/audit", Staff, None, 200)),
        (("get", "/v1/audit/verify"), route("/v1/audit/verify", Supervisor, None, 200)),
        (("post", "/v1/calls"), route("/v1/calls", Staff, empty(), 200)),
        (("get", "/v1/calls"), route("/v1/calls", Staff, None, 200)),
        // The operator's own call: the operator and a supervisor may change it.
        (("patch", "/v1/calls/{id}"), route(format!("/v1/calls/{call}"), Staff, empty(), 200)),
        (("post", "/v1/calls/{id}/faq"), route(format!("/v1/calls/{call}/faq"), Staff, empty(), 422)),
        (("post", "/v1/callbacks"), route("/v1/callbacks", Staff, empty(), 422)),
        (("get", "/v1/callbacks"), route("/v1/callbacks", Staff, None, 200)),
        (("post", "/v1/callbacks/{id}/take"), route("/v1/callbacks/999999/take", Staff, None, 404)),
        (("post", "/v1/callbacks/{id}/close"), route("/v1/callbacks/999999/close", Staff, empty(), 422)),
        (("post", "/v1/screen-pops"), route("/v1/screen-pops", Telephony, empty(), 422)),
        (("get", "/v1/reports/calls"), route("/v1/reports/calls", Staff, None, 200)),
        (("get", "/v1/dashboard"), route("/v1/dashboard", Staff, None, 200)),
        (
            ("post", "/v1/batch/deadline"),
            route("/v1/batch/deadline", Supervisor, Some(json!({"dry_run": true})), 200),
        ),
        (("post", "/v1/operators"), route("/v1/operators", Supervisor, empty(), 422)),
        (("post", "/v1/operators/revoke"), route("/v1/operators/revoke", Supervisor, empty(), 422)),
        (("get", "/v1/ssh-keys"), route("/v1/ssh-keys", Supervisor, None, 200)),
        (("post", "/v1/ssh-keys"), route("/v1/ssh-keys", Supervisor, empty(), 422)),
        (("delete", "/v1/ssh-keys"), route("/v1/ssh-keys", Supervisor, None, 400)),
        (("get", "/v1/ssh-sessions"), route("/v1/ssh-sessions", Supervisor, None, 200)),
        (("get", "/v1/events"), route("/v1/events", Staff, None, 200)),
        (("post", "/v1/campaigns"), route("/v1/campaigns", Supervisor, empty(), 422)),
        (("get", "/v1/campaigns"), route("/v1/campaigns", Staff, None, 200)),
        (("get", "/v1/campaigns/{id}"), route("/v1/campaigns/999999", Staff, None, 404)),
        (("post", "/v1/campaigns/{id}/pause"), route("/v1/campaigns/999999/pause", Supervisor, None, 404)),
        (("post", "/v1/campaigns/{id}/resume"), route("/v1/campaigns/999999/resume", Supervisor, None, 404)),
        (("post", "/v1/campaigns/{id}/close"), route("/v1/campaigns/999999/close", Supervisor, None, 404)),
        (
            ("post", "/v1/campaigns/{id}/members"),
            route("/v1/campaigns/999999/members", Supervisor, None, 404),
        ),
        (("get", "/v1/campaigns/{id}/members"), route("/v1/campaigns/999999/members", Staff, None, 404)),
        (("post", "/v1/campaigns/{id}/next"), route("/v1/campaigns/999999/next", Staff, None, 404)),
        (
            ("post", "/v1/campaigns/{id}/members/{member}/outcome"),
            route("/v1/campaigns/999999/members/1/outcome", Staff, empty(), 422),
        ),
        (("get", "/v1/campaigns/{id}/progress"), route("/v1/campaigns/999999/progress", Staff, None, 404)),
        (("get", "/v1/floor"), route("/v1/floor", Supervisor, None, 200)),
        (("get", "/v1/floor/me"), route("/v1/floor/me", Staff, None, 200)),
        (("put", "/v1/floor/me"), route("/v1/floor/me", Staff, empty(), 422)),
        (("post", "/v1/floor/hands"), route("/v1/floor/hands", Staff, empty(), 200)),
        (("delete", "/v1/floor/hands"), route("/v1/floor/hands", Staff, None, 200)),
        (
            ("post", "/v1/floor/hands/{id}/acknowledge"),
            route("/v1/floor/hands/999999/acknowledge", Supervisor, None, 404),
        ),
        (("post", "/v1/floor/watches"), route("/v1/floor/watches", Supervisor, empty(), 422)),
        (("delete", "/v1/floor/watches/{id}"), route("/v1/floor/watches/999999", Supervisor, None, 404)),
    ]
}

/// Opens a seeded SQLite database in `dir` with a token per role (and one to revoke).
async fn seeded_store(dir: &std::path::Path) -> (std::sync::Arc<dyn Store>, HashMap<&'static str, String>) {
    let db = dir.join("matrix.db").to_string_lossy().into_owned();
    let store = madoguchi::server::open_store(&db).await.expect("open store");
    madoguchi::server::seed_store(
        store.as_ref(),
        &SeedOptions { institutions: Some(300), seed: 11 },
        &|_| {},
    )
    .await
    .expect("seed");
    let mut tokens = HashMap::new();
    for (who, role) in [
        ("operator", Role::Operator),
        ("supervisor", Role::Supervisor),
        ("service", Role::Service),
        ("telephony", Role::Telephony),
        ("revoked", Role::Supervisor),
        ("other", Role::Operator),
    ] {
        let token = format!("matrix-token-{who}");
        store
            .add_operator(&format!("matrix-{who}"), role, &hash_token(&token), "test", chrono::Utc::now())
            .await
            .expect("add operator");
        tokens.insert(who, token);
    }
    tokens.insert("unknown", "mdg_nobody-issued-this".to_string());
    (store, tokens)
}

/// Serves `store` on a loopback port in this runtime; the base URL.
async fn serve(store: std::sync::Arc<dyn Store>) -> String {
    let as_of = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
    let state =
        AppState::load(store, Policy::builtin(), Clock::Fixed(as_of), HashMap::new()).await.expect("state");
    state.wait_for_index().await.expect("index builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(madoguchi::server::run(listener, state, std::future::pending()));
    base
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
}

async fn call(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> reqwest::Response {
    let mut rb = http().request(method, format!("{base}{path}"));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    rb.send().await.expect("request")
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, tokens) = seeded_store(dir.path()).await;
    let base = serve(store).await;
    let ok = |r: &reqwest::Response| r.status() == StatusCode::OK;
    // Something to point the routes at: an institution, the operator's own call, an FAQ entry.
    let found: Value =
        call(&base, Method::GET, "/v1/institutions?q=%E7%97%85%E9%99%A2", Some(&tokens["operator"]), None)
            .await
            .json()
            .await
            .expect("lookup");
    let code = found["results"][0]["code"].as_str().expect("a code").to_string();
    let started = call(&base, Method::POST, "/v1/calls", Some(&tokens["operator"]), Some("{}")).await;
    assert!(ok(&started));
    let call_id = started.json::<Value>().await.expect("call")["id"].as_i64().expect("id");
    let faq: Value =
        call(&base, Method::GET, "/v1/faq?q=%E8%A3%9C%E5%8A%A9%E9%87%91", Some(&tokens["operator"]), None)
            .await
            .json()
            .await
            .expect("faq");
    let faq_id = faq["results"][0]["id"].as_str().expect("an entry").to_string();
    // The revoked token worked (and sits in the token cache) before its revocation.
    assert!(ok(&call(&base, Method::GET, "/v1/me", Some(&tokens["revoked"]), None).await));
    let revoked = call(
        &base,
        Method::POST,
        "/v1/operators/revoke",
        Some(&tokens["supervisor"]),
        Some(r#"{"name":"matrix-revoked"}"#),
    )
    .await;
    assert!(ok(&revoked), "{}", revoked.text().await.unwrap_or_default());
    Fixture { base, tokens, code, call_id, faq_id, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_by_every_caller() {
    let f = fixture().await;
    let doc: Value =
        call(&f.base, Method::GET, "/openapi.json", None, None).await.json().await.expect("openapi.json");
    let mut table = routes(&f);
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut tried = 0;
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            let Some(at) = table.iter().position(|((m, p), _)| m == method && p == template) else {
                missing.push(format!("{method} {template}"));
                continue;
            };
            let (_, r) = table.swap_remove(at);
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            for caller in CALLERS {
                let token = (caller != "none").then(|| f.tokens[caller].as_str());
                let expected = match (r.who, caller) {
                    (Who::Public, _) => r.admitted,
                    (_, "none" | "unknown" | "revoked") => 401,
                    (who, c) if who.admits(c) => r.admitted,
                    _ => 403,
                };
                // Refused callers send a body that is not JSON at all.
                let body = match (&r.body, expected) {
                    (Some(_), 401 | 403) => Some("{not json".to_string()),
                    (Some(b), _) => Some(b.to_string()),
                    (None, _) => None,
                };
                let resp = call(&f.base, m.clone(), &r.path, token, body.as_deref()).await;
                tried += 1;
                let got = resp.status().as_u16();
                let json = resp
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
                    || r.path == "/v1/events";
                if got != expected || (got >= 400 && !json) {
                    wrong.push(format!("{method} {} as {caller}: {got}, expected {expected}", r.path));
                }
            }
        }
    }
    let unused: BTreeSet<String> = table.iter().map(|((m, p), _)| format!("{m} {p}")).collect();
    assert!(missing.is_empty(), "routes in /openapi.json without an entry in this test: {missing:?}");
    assert!(unused.is_empty(), "entries of this test not in /openapi.json: {unused:?}");
    assert!(wrong.is_empty(), "{} of {tried} answers wrong:\n{}", wrong.len(), wrong.join("\n"));
    println!("{tried} requests, every route × {} callers", CALLERS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_another_server_despite_its_token_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store_a, tokens) = seeded_store(dir.path()).await;
    let a = serve(store_a).await;
    // Another server on the same database (its own pools, its own token cache).
    let db = dir.path().join("matrix.db").to_string_lossy().into_owned();
    let b = serve(madoguchi::server::open_store(&db).await.expect("open again")).await;
    let operator = tokens["operator"].as_str();
    assert_eq!(call(&b, Method::GET, "/v1/me", Some(operator), None).await.status(), StatusCode::OK);

    let revoked = call(
        &a,
        Method::POST,
        "/v1/operators/revoke",
        Some(&tokens["supervisor"]),
        Some(r#"{"name":"matrix-operator"}"#),
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let at = Instant::now();
    // At once on the server that revoked it.
    let here = call(&a, Method::GET, "/v1/me", Some(operator), None).await;
    assert_eq!(here.status(), StatusCode::UNAUTHORIZED);
    let body: Value = here.json().await.expect("error shape");
    assert_eq!(body["error"]["code"], "unauthorized");
    // On the other, once its poll of the operators table sees the change (well under the
    // token cache's 60 s; waited for generously, the figure is printed, not asserted).
    loop {
        let status = call(&b, Method::GET, "/v1/me", Some(operator), None).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(at.elapsed() < Duration::from_secs(55), "the other server still accepts a revoked token");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("revocation reached the other server after {:.2} s", at.elapsed().as_secs_f64());

    // The name is free again; revoking it twice is a 404 in the one shape.
    let again = call(
        &a,
        Method::POST,
        "/v1/operators/revoke",
        Some(&tokens["supervisor"]),
        Some(r#"{"name":"matrix-operator"}"#),
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let reissued = call(
        &b,
        Method::POST,
        "/v1/operators",
        Some(&tokens["supervisor"]),
        Some(r#"{"name":"matrix-operator","role":"operator"}"#),
    )
    .await;
    assert_eq!(reissued.status(), StatusCode::OK);
    let dup = call(
        &b,
        Method::POST,
        "/v1/operators",
        Some(&tokens["supervisor"]),
        Some(r#"{"name":"matrix-operator","role":"supervisor"}"#),
    )
    .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let body: Value = dup.json().await.expect("error shape");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("operator revoke")), "{body}");

    // Issue and revocation are in the audit trail, by the supervisor who did them.
    let audit: Vec<Value> = call(&a, Method::GET, "/v1/audit?limit=500", Some(&tokens["supervisor"]), None)
        .await
        .json()
        .await
        .expect("audit");
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("operator.")))
        .filter(|e| e["operator"] == "matrix-supervisor")
        .map(|e| (e["action"].as_str().unwrap_or(""), e["detail"]["name"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        actions,
        vec![("operator.revoked", "matrix-operator"), ("operator.token_issued", "matrix-operator")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_record_is_changed_only_by_its_operator_or_a_supervisor() {
    let f = fixture().await;
    let path = format!("/v1/calls/{}", f.call_id);
    let other = Some(f.tokens["other"].as_str());
    for (method, path, body) in [
        (Method::PATCH, path.clone(), r#"{"note":"横取り"}"#),
        (Method::POST, format!("{path}/faq"), r#"{"faq_id":"x"}"#),
    ] {
        let resp = call(&f.base, method, &path, other, Some(body)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = resp.json().await.expect("error shape");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(
            message.contains("本人と監督者") && message.contains("only its operator or a supervisor"),
            "{message}"
        );
    }
    let note = |t: &str| json!({ "note": t }).to_string();
    let own =
        call(&f.base, Method::PATCH, &path, Some(&f.tokens["operator"]), Some(&note("本人のメモ"))).await;
    assert_eq!(own.status(), StatusCode::OK);
    let boss =
        call(&f.base, Method::PATCH, &path, Some(&f.tokens["supervisor"]), Some(&note("監督者のメモ"))).await;
    assert_eq!(boss.status(), StatusCode::OK);
    let call_now: Value = boss.json().await.expect("call");
    assert_eq!(call_now["note"], "監督者のメモ");
    assert_eq!(call_now["operator"], "matrix-operator", "the record stays the operator's");
    // The supervisor's change is audited; the owner's own is not an audit event.
    let audit: Vec<Value> =
        call(&f.base, Method::GET, "/v1/audit?limit=500", Some(&f.tokens["supervisor"]), None)
            .await
            .json()
            .await
            .expect("audit");
    let overrides: Vec<&Value> =
        audit.iter().filter(|e| e["action"] == "call.changed_by_supervisor").collect();
    assert_eq!(overrides.len(), 1, "{overrides:?}");
    assert_eq!(overrides[0]["operator"], "matrix-supervisor");
    assert_eq!(overrides[0]["detail"]["owner"], "matrix-operator");
    assert_eq!(overrides[0]["detail"]["call_id"], f.call_id);
    // Nor may another operator put a change's receipt on this call.
    let view: Value =
        call(&f.base, Method::GET, &format!("/v1/institutions/{}/reader-application", f.code), other, None)
            .await
            .json()
            .await
            .expect("application");
    let version = view["application"]["version"].as_i64().unwrap_or(0);
    let resp = http()
        .put(format!("{}/v1/institutions/{}/reader-application", f.base, f.code))
        .bearer_auth(&f.tokens["other"])
        .header("If-Match", format!("\"{version}\""))
        .header("Idempotency-Key", "matrix-steal")
        .json(&json!({ "model_id": "pfu-caora", "units": 1, "caller_name": "山田", "caller_role": "事務長",
                       "verification": "registered_details", "call_id": f.call_id }))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
