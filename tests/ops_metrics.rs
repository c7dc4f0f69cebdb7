//! Operations (issue 26): `madoguchi serve --metrics-listen --log-format json` as a child
//! process on loopback. A lookup, a change (committed, then a stale one and an unknown model),
//! an SSH login with a console and a refused key are each counted on `/metrics`, which is
//! served on its own address and not on the API's; the JSON log has one line per request with
//! its id (the client's own when sane, returned as `x-request-id`), route template, status,
//! latency and operator, never the token; SSH logins and session ends name the key and the
//! address. Every wait has a deadline; nothing leaves loopback.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use madoguchi::api::{LookupResponse, ReaderApplicationView};
use madoguchi::bench::ssh::bench_key;
use madoguchi::domain::ReaderStatus;
use reqwest::StatusCode;
use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

fn madoguchi(args: &[&str], db: &Path) -> String {
    let out = Command::new(BIN).args(args).arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `madoguchi serve` with the SSH door and metrics, its standard error kept line by line.
struct Server {
    child: Child,
    api: String,
    metrics: String,
    ssh: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(db: &Path, host_key: &Path) -> Server {
        let child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0"])
            .args(["--metrics-listen", "127.0.0.1:0", "--log-format", "json", "--as-of", "2021-07-15"])
            .arg("--ssh-host-key")
            .arg(host_key)
            .arg("--db")
            .arg(db)
            .env_remove("MADOGUCHI_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start madoguchi serve");
        let mut server = Server {
            child,
            api: String::new(),
            metrics: String::new(),
            ssh: SocketAddr::from(([127, 0, 0, 1], 0)),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        let stderr = server.child.stderr.take().expect("stderr");
        let kept = server.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = kept.lock() {
                    l.push(line);
                }
            }
        });
        let url_in = |l: &str| l.split("http://").nth(1)?.split_whitespace().next().map(String::from);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let lines = server.lines();
            let api = lines.iter().filter(|l| l.contains("待ち受けています")).find_map(|l| url_in(l));
            let metrics = lines.iter().filter(|l| l.contains("/metrics")).find_map(|l| url_in(l));
            let port = lines
                .iter()
                .find_map(|l| l.split("ssh -p ").nth(1)?.split_whitespace().next()?.parse::<u16>().ok());
            if let (Some(api), Some(metrics), Some(port)) = (api, metrics, port) {
                server.api = format!("http://{api}");
                server.metrics = format!("http://{}", metrics.trim_end_matches("/metrics"));
                server.ssh = SocketAddr::from(([127, 0, 0, 1], port));
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not start:\n{}", lines.join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The JSON objects of the log (the start lines are plain text for the person starting it).
    fn json_lines(&self) -> Vec<Value> {
        self.lines().iter().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect()
    }

    /// Waits (bounded) for a JSON log line that satisfies `pred`.
    async fn log_line(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(v) = self.json_lines().into_iter().find(|v| pred(v)) {
                return v;
            }
            assert!(Instant::now() < deadline, "no log line for {what}; log:\n{}", self.lines().join("\n"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One scrape: the value of each series, by its name with labels as printed.
async fn scrape(http: &reqwest::Client, server: &Server) -> std::collections::HashMap<String, f64> {
    let resp = http.get(format!("{}/metrics", server.metrics)).send().await.expect("scrape");
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().unwrap_or_default().to_string();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = resp.text().await.expect("text");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_string(), value.parse::<f64>().ok()?))
        })
        .collect()
}

fn value(m: &std::collections::HashMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

/// The russh client's handler: trusts the server this test started.
struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Logs in with `key`: whether the server accepted it, and the connection.
async fn login(to: SocketAddr, key: PrivateKey) -> (bool, Handle<Trusting>) {
    let config = Arc::new(client::Config { nodelay: true, ..Default::default() });
    let mut h = client::connect(config, to, Trusting).await.expect("handshake");
    let auth = h.authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(Arc::new(key), None)).await;
    (auth.expect("auth answered").success(), h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_metrics_count_a_lookup_a_change_and_an_ssh_login_and_the_json_log_has_each_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db.sqlite");
    madoguchi(&["seed", "--institutions", "2000"], &db);
    let token = madoguchi(&["operator", "add", "sato"], &db);
    let key = bench_key().expect("key");
    let public = key.public_key().to_openssh().expect("openssh");
    madoguchi(&["operator", "key", "add", "sato", public.trim()], &db);
    let server = Server::start(&db, &dir.path().join("host_key"));
    let http = reqwest::Client::new();

    // Ready (the index is built) before anything is counted.
    let deadline = Instant::now() + Duration::from_secs(90);
    while http.get(format!("{}/readyz", server.api)).send().await.map(|r| r.status()).ok()
        != Some(StatusCode::OK)
    {
        assert!(Instant::now() < deadline, "never ready:\n{}", server.lines().join("\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = scrape(&http, &server).await;
    assert_eq!(value(&before, "madoguchi_index_institutions"), 2000.0);
    assert_eq!(value(&before, "madoguchi_index_version_lag"), 0.0);
    assert_eq!(value(&before, "madoguchi_database_up"), 1.0);
    assert!(value(&before, "madoguchi_index_last_build_timestamp_seconds") > 1.6e9, "{before:?}");
    assert_eq!(value(&before, "madoguchi_changes_committed_total"), 0.0);
    assert_eq!(value(&before, "madoguchi_ssh_logins_total"), 0.0);

    // Not on the API's address: /metrics is never public by default.
    let on_api = http.get(format!("{}/metrics", server.api)).send().await.expect("answer");
    assert_eq!(on_api.status(), StatusCode::NOT_FOUND);

    // A lookup, with the client's own request id.
    let resp = http
        .get(format!("{}/v1/institutions?q=%E8%96%AC%E5%B1%80&limit=100", server.api))
        .bearer_auth(&token)
        .header("x-request-id", "ops-test-lookup-1")
        .send()
        .await
        .expect("lookup");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-request-id"], "ops-test-lookup-1");
    let found: LookupResponse = resp.json().await.expect("lookup json");
    let code = found
        .results
        .iter()
        .find(|r| matches!(r.reader_status, ReaderStatus::Selected | ReaderStatus::NotApplied))
        .map(|r| r.code.clone())
        .expect("a changeable pharmacy");

    // A change: read, change (committed), the same If-Match again (stale), an unknown model.
    let app_url = format!("{}/v1/institutions/{code}/reader-application", server.api);
    let resp =
        http.get(&app_url).bearer_auth(&token).header("x-request-id", "bad id with spaces").send().await;
    let resp = resp.expect("read");
    let own_id = resp.headers()["x-request-id"].to_str().expect("id").to_string();
    assert!(!own_id.is_empty() && own_id != "bad id with spaces", "a new id replaces an unusable one");
    let etag = resp.headers()["etag"].to_str().expect("etag").to_string();
    let view: ReaderApplicationView = resp.json().await.expect("view");
    let models: Vec<Value> = http
        .get(format!("{}/v1/reader-models", server.api))
        .bearer_auth(&token)
        .send()
        .await
        .expect("models")
        .json()
        .await
        .expect("models json");
    let model = models
        .iter()
        .filter_map(|m| m["id"].as_str())
        .find(|id| Some(*id) != view.application.model_id.as_deref())
        .expect("another model")
        .to_string();
    let put = |model: String, key: &'static str| {
        http.put(&app_url)
            .bearer_auth(&token)
            .header("If-Match", etag.as_str())
            .header("Idempotency-Key", key)
            .json(&json!({"model_id": model, "units": 1, "caller_name": "山田花子", "caller_role": "事務長",
                "verification": "registered_details"}))
            .send()
    };
    assert_eq!(put(model.clone(), "ops-k1").await.expect("change").status(), StatusCode::OK);
    assert_eq!(put(model.clone(), "ops-k2").await.expect("stale").status(), StatusCode::PRECONDITION_FAILED);
    let fresh = http.get(&app_url).bearer_auth(&token).send().await.expect("read again");
    let etag = fresh.headers()["etag"].to_str().expect("etag").to_string();
    let unknown = http
        .put(&app_url)
        .bearer_auth(&token)
        .header("If-Match", etag.as_str())
        .header("Idempotency-Key", "ops-k4")
        .json(&json!({"model_id": "no-such-model", "units": 1, "caller_name": "山田花子", "caller_role": "事務長",
            "verification": "registered_details"}))
        .send()
        .await
        .expect("unknown model");
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An SSH login with a console (it subscribes to the event stream), and a key nobody registered.
    let (refused, stranger) = login(server.ssh, bench_key().expect("a stranger's key")).await;
    assert!(!refused, "an unregistered key is refused");
    let _ = stranger.disconnect(Disconnect::ByApplication, "bye", "").await;
    let (ok, handle) = login(server.ssh, key).await;
    assert!(ok, "sato's key logs in");
    let channel = handle.channel_open_session().await.expect("channel");
    let (mut read, write) = channel.split();
    write.request_pty(false, "xterm-256color", 80, 24, 0, 0, &[]).await.expect("pty");
    write.request_shell(false).await.expect("shell");
    tokio::spawn(async move { while !matches!(read.wait().await, None | Some(ChannelMsg::Close)) {} });

    // Each counted (the console's event stream is open once it has subscribed).
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let m = scrape(&http, &server).await;
        if value(&m, "madoguchi_event_stream_subscribers") >= 1.0
            && value(&m, "madoguchi_ssh_sessions_open") >= 1.0
        {
            break m;
        }
        assert!(Instant::now() < deadline, "the console never subscribed: {m:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let http_count = |route: &str, method: &str, status: u16| {
        value(
            &after,
            &format!(
                "madoguchi_http_request_duration_seconds_count{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert!(http_count("/v1/institutions", "GET", 200) >= 1.0, "{after:?}");
    assert_eq!(http_count("/v1/institutions/{code}/reader-application", "PUT", 200), 1.0, "{after:?}");
    assert_eq!(http_count("/v1/institutions/{code}/reader-application", "PUT", 412), 1.0, "{after:?}");
    assert_eq!(http_count("/v1/institutions/{code}/reader-application", "PUT", 422), 1.0, "{after:?}");
    assert_eq!(http_count("unmatched", "GET", 404), 1.0, "/metrics asked of the API: {after:?}");
    assert!(value(&after, "madoguchi_lookup_duration_seconds_count") >= 1.0, "{after:?}");
    assert_eq!(value(&after, "madoguchi_changes_committed_total"), 1.0, "{after:?}");
    assert_eq!(value(&after, "madoguchi_changes_stale_total"), 1.0, "{after:?}");
    assert_eq!(value(&after, "madoguchi_changes_refused_total{reason=\"unknown_model\"}"), 1.0, "{after:?}");
    assert_eq!(value(&after, "madoguchi_ssh_logins_total"), 1.0, "{after:?}");
    assert_eq!(value(&after, "madoguchi_ssh_logins_failed_total"), 1.0, "{after:?}");
    assert!(value(&after, "madoguchi_db_pool_acquires_total{pool=\"writer\"}") >= 1.0, "{after:?}");
    assert!(value(&after, "madoguchi_db_pool_max_connections{pool=\"writer\"}") == 1.0, "{after:?}");
    assert!(value(&after, "madoguchi_db_pool_max_connections{pool=\"checkpointer\"}") == 1.0, "{after:?}");
    // No campaign work yet: the queues' counters are there, at zero.
    for series in [
        "madoguchi_group_commit_batches_total{queue=\"campaign_next\"}",
        "madoguchi_group_commit_requests_total{queue=\"campaign_outcomes\"}",
    ] {
        assert_eq!(after.get(series), Some(&0.0), "{series}: {after:?}");
    }

    // The JSON log: one line per request, with the id, the route template, the operator.
    let line = server
        .log_line("the lookup", |v| {
            v["request_id"] == "ops-test-lookup-1" && v["target"] == "madoguchi::http"
        })
        .await;
    assert_eq!(line["route"], "/v1/institutions");
    assert_eq!(line["status"], 200);
    assert_eq!(line["operator"], "sato");
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    let change = server
        .log_line("the change", |v| {
            v["route"] == "/v1/institutions/{code}/reader-application"
                && v["method"] == "PUT"
                && v["status"] == 200
        })
        .await;
    assert_eq!(change["operator"], "sato");
    server.log_line("the read with a new id", |v| v["request_id"] == own_id.as_str()).await;
    let login_line =
        server.log_line("the SSH login", |v| v["fingerprint"].is_string() && v["peer"].is_string()).await;
    assert_eq!(login_line["operator"], "sato");

    // The session's end names the key and the address too.
    let _ = handle.disconnect(Disconnect::ByApplication, "bye", "").await;
    let end = server
        .log_line("the session's end", |v| v["message"].as_str().is_some_and(|m| m.contains("ended after")))
        .await;
    assert_eq!(end["span"]["operator"], "sato", "{end}");
    assert!(end["span"]["fingerprint"].as_str().is_some_and(|f| f.starts_with("SHA256:")), "{end}");
    assert!(end["span"]["peer"].as_str().is_some_and(|p| p.starts_with("127.0.0.1:")), "{end}");

    // Never a token, never a caller's name from a body or a lookup's query.
    let all = server.lines().join("\n");
    assert!(!all.contains(&token), "a token in the log");
    assert!(!all.contains("山田花子"), "a body's caller name in the log");
    assert!(!all.contains("%E8%96%AC"), "a lookup's query in the log");
}
