//! The server's limits through a real server on loopback, each with its own tight limits:
//! rates (429 with `Retry-After`), the header-read and idle timeouts, the connection cap, the
//! request timeout (408), the caps on URL, headers and text fields, and the one JSON error
//! shape for what hyper itself refuses (400, 414, 431). Raw TCP where a client must misbehave.
//! Waits are generous deadlines; no test asserts how fast anything is.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use madoguchi::api::Role;
use madoguchi::domain::Policy;
use madoguchi::server::auth::hash_token;
use madoguchi::server::{AppState, Clock, Limits, Rate, SeedOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "limits-token-operator";
const OTHER: &str = "limits-token-other";

/// A server with `limits` over a small seeded database; its address.
async fn server(limits: Limits) -> (std::net::SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("limits.db").to_string_lossy().into_owned();
    let store = madoguchi::server::open_store(&db).await.expect("open store");
    madoguchi::server::seed_store(store.as_ref(), &SeedOptions { institutions: Some(200), seed: 5 }, &|_| {})
        .await
        .expect("seed");
    for (name, token) in [("limits-operator", TOKEN), ("limits-other", OTHER)] {
        store
            .add_operator(name, Role::Operator, &hash_token(token), "test", chrono::Utc::now())
            .await
            .expect("add");
    }
    let as_of = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
    let state =
        AppState::load(store, Policy::builtin(), Clock::Fixed(as_of), HashMap::new()).await.expect("state");
    state.wait_for_index().await.expect("index");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(madoguchi::server::run_with(listener, state, limits, std::future::pending()));
    (addr, dir)
}

fn generous() -> Limits {
    Limits { per_token: Rate::OFF, per_address: Rate::OFF, ..Limits::default() }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client")
}

/// Asserts the one error shape with `code`; returns the message.
async fn error(resp: reqwest::Response, status: StatusCode, code: &str) -> String {
    assert_eq!(resp.status(), status);
    let v: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(v["error"]["code"], code, "{v}");
    v["error"]["message"].as_str().expect("message").to_string()
}

/// Sends raw bytes and reads the answer until the server closes (at most 60 s).
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status and the JSON body of a raw answer.
fn parse(answer: &str) -> (u16, Value) {
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Reads until the server closes the connection; false if it is still open after 60 s.
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_rate_gets_429_with_retry_after_and_others_go_on() {
    let limits =
        Limits { per_token: Rate { per_second: 1, burst: 3 }, per_address: Rate::OFF, ..Limits::default() };
    let (addr, _dir) = server(limits).await;
    let url = format!("http://{addr}/v1/me");
    let mut limited = None;
    for _ in 0..200 {
        let resp = http().get(&url).bearer_auth(TOKEN).send().await.expect("request");
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let resp = limited.expect("a flood of one token is limited");
    let retry: u64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry >= 1);
    let message = error(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(message.contains("秒"), "{message}");
    // Another token has its own bucket.
    assert_eq!(http().get(&url).bearer_auth(OTHER).send().await.expect("request").status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_flooding_bad_tokens_gets_429() {
    let limits = Limits {
        per_token: Rate::OFF,
        per_address: Rate { per_second: 1, burst: 5 },
        limit_loopback: true,
        ..Limits::default()
    };
    let (addr, _dir) = server(limits).await;
    let mut statuses = Vec::new();
    for n in 0..200 {
        let resp = http()
            .get(format!("http://{addr}/v1/me"))
            .bearer_auth(format!("made-up-{n}"))
            .send()
            .await
            .expect("request");
        statuses.push(resp.status());
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(resp.headers().contains_key("retry-after"));
            error(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
            break;
        }
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_not_limited_per_address_by_default() {
    let limits =
        Limits { per_token: Rate::OFF, per_address: Rate { per_second: 1, burst: 2 }, ..Limits::default() };
    let (addr, _dir) = server(limits).await;
    for _ in 0..20 {
        let resp = http().get(format!("http://{addr}/healthz")).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_headers_and_idle_connections_are_closed() {
    let limits = Limits { header_timeout: Duration::from_secs(1), ..generous() };
    let (addr, _dir) = server(limits).await;
    // Headers never finished.
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
    assert!(closed_by_server(&mut s).await, "a connection that never finishes its headers is closed");
    // Nothing sent at all.
    let mut s = TcpStream::connect(addr).await.expect("connect");
    assert!(closed_by_server(&mut s).await, "a silent connection is closed");
    // Kept alive after an answer, then idle.
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 4096];
    let n =
        tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await.expect("answer").expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_by_server(&mut s).await, "an idle kept-alive connection is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_get_503() {
    let limits = Limits { max_connections: 2, header_timeout: Duration::from_secs(120), ..generous() };
    let (addr, _dir) = server(limits).await;
    let _a = TcpStream::connect(addr).await.expect("connect");
    let _b = TcpStream::connect(addr).await.expect("connect");
    // The third is answered at once, without being read.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), c.read_to_end(&mut out)).await;
    let (status, body) = parse(&String::from_utf8_lossy(&out));
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&out));
    assert_eq!(body["error"]["code"], "too_many_connections");
    // Once one closes, a slot is free again.
    drop(_a);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let answer = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no slot came free: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_request_timeout_gets_408() {
    let limits = Limits { request_timeout: Duration::from_secs(1), ..generous() };
    let (addr, _dir) = server(limits).await;
    let head = format!(
        "POST /v1/calls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    let (status, body) = parse(&String::from_utf8_lossy(&buf[..n]));
    assert_eq!(status, 408);
    assert_eq!(body["error"]["code"], "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_hyper_refuses_comes_in_the_one_error_shape() {
    let (addr, _dir) = server(generous()).await;
    // 414: a URL over hyper's limit.
    let long = format!("GET /v1/institutions?q={} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let (status, body) = parse(&raw(addr, long.as_bytes()).await);
    assert_eq!((status, body["error"]["code"].as_str()), (414, Some("uri_too_long")), "{body}");
    // 431: headers over 96 KiB.
    let big = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(100_000));
    let (status, body) = parse(&raw(addr, big.as_bytes()).await);
    assert_eq!((status, body["error"]["code"].as_str()), (431, Some("headers_too_large")), "{body}");
    // 400: raw bytes that are not UTF-8 (nor ASCII) in the URL, and in a header.
    let (status, body) =
        parse(&raw(addr, b"GET /v1/institutions?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n").await);
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("bad_request")), "{body}");
    let (status, body) =
        parse(&raw(addr, b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\n\r\n").await);
    assert!(status == 400 || status == 401, "{status} {body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    // Percent-encoded bytes that are not UTF-8: in the query, the path and the body.
    let base = format!("http://{addr}");
    let resp =
        http().get(format!("{base}/v1/institutions?q=%FF%FE")).bearer_auth(TOKEN).send().await.expect("req");
    error(resp, StatusCode::BAD_REQUEST, "invalid_query").await;
    let resp =
        http().get(format!("{base}/v1/institutions/%FF%FE")).bearer_auth(TOKEN).send().await.expect("req");
    error(resp, StatusCode::BAD_REQUEST, "invalid_path").await;
    let resp = http()
        .post(format!("{base}/v1/calls"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(b"{\"code\": \"\xff\xfe\"}".to_vec())
        .send()
        .await
        .expect("req");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: Value = resp.json().await.expect("json error");
    assert!(v["error"]["code"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_fields_limits_and_queries_are_capped_with_clear_messages() {
    let (addr, _dir) = server(generous()).await;
    let base = format!("http://{addr}");
    let get = |path: String| http().get(format!("{base}{path}")).bearer_auth(TOKEN).send();
    // limit and query length: 400 saying the bounds.
    for path in
        ["/v1/institutions?q=a&limit=0", "/v1/institutions?q=a&limit=100000", "/v1/faq?q=a&limit=100000"]
    {
        let m =
            error(get(path.to_string()).await.expect("req"), StatusCode::BAD_REQUEST, "invalid_limit").await;
        assert!(m.contains("limit"), "{m}");
    }
    let long_q = format!("/v1/institutions?q={}", "あ".repeat(201));
    error(get(long_q).await.expect("req"), StatusCode::BAD_REQUEST, "query_too_long").await;
    let audit = get("/v1/audit?limit=100000".to_string()).await.expect("req");
    assert_eq!(audit.status(), StatusCode::BAD_REQUEST);

    // A change with an over-long caller name or role: 422 naming the field.
    let found: Value = get("/v1/institutions?q=%E7%97%85%E9%99%A2".to_string())
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    let code = found["results"][0]["code"].as_str().expect("code").to_string();
    let view = get(format!("/v1/institutions/{code}/reader-application")).await.expect("req");
    let etag = view.headers()["etag"].to_str().expect("etag").to_string();
    let change = |body: Value, key: &'static str| {
        http()
            .put(format!("{base}/v1/institutions/{code}/reader-application"))
            .bearer_auth(TOKEN)
            .header("If-Match", etag.clone())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = |name: &str, role: &str, call_id: Option<i64>| {
        json!({ "model_id": "pfu-caora", "units": 1, "caller_name": name, "caller_role": role,
                "verification": "registered_details", "call_id": call_id })
    };
    let m = error(
        change(body(&"山".repeat(5_000), "事務長", None), "k1").await.expect("req"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_too_long",
    )
    .await;
    assert!(m.contains("caller_name") && m.contains("100"), "{m}");
    let m = error(
        change(body("山田", &"長".repeat(101), None), "k2").await.expect("req"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "field_too_long",
    )
    .await;
    assert!(m.contains("caller_role"), "{m}");
    // An unknown call_id: 422 in Japanese.
    let m = error(
        change(body("山田", "事務長", Some(987_654)), "k3").await.expect("req"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(m.contains("応対記録 #987654 はありません"), "{m}");

    // A call note over 4,000 characters.
    let call: Value = http()
        .post(format!("{base}/v1/calls"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    let id = call["id"].as_i64().expect("id");
    let resp = http()
        .patch(format!("{base}/v1/calls/{id}"))
        .bearer_auth(TOKEN)
        .json(&json!({ "note": "x".repeat(4001) }))
        .send()
        .await
        .expect("req");
    error(resp, StatusCode::UNPROCESSABLE_ENTITY, "note_too_long").await;
}
