//! PostgreSQL goes away and comes back (issue 26): two `madoguchi serve` processes on one
//! database of their own (`CREATE DATABASE madoguchi_ops_outage`), each under a stream of
//! reader application changes, while the test restarts PostgreSQL (`pg_ctlcluster 15 main
//! stop`, then `start`). While it is down every request is answered at once — 503
//! `database_unavailable` with `Retry-After`, never a 500 and never a hang (each request has an
//! 8 s deadline, under the pool's 10 s wait) — and `/readyz` says so; both servers answer
//! `/readyz` 200 again within 5 s of its return without a restart; every acknowledged change is
//! in the audit trail and the application's version counts them all (retries with the same
//! `Idempotency-Key` made none twice); and each server's event stream tells of the other's
//! changes made after the return (its `LISTEN` came back by itself).
//!
//! `#[ignore]`d with its reason: it needs `MADOGUCHI_TEST_DATABASE_URL`, and root to restart
//! the cluster; `.ci/run` runs it with `--include-ignored`. It restarts the one PostgreSQL
//! other tests may be using: the restart is taken under `flock /tmp/pg.lock`.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use madoguchi::api::LookupResponse;
use madoguchi::domain::ReaderStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");
const URL_VAR: &str = "MADOGUCHI_TEST_DATABASE_URL";
const DATABASE: &str = "madoguchi_ops_outage";
/// A request slower than this is a hang (the pool would wait 10 s).
const REQUEST_DEADLINE: Duration = Duration::from_secs(8);

fn madoguchi(args: &[&str], db: &str) -> String {
    let out = Command::new(BIN).args(args).args(["--db", db]).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn pg_ctl(action: &str) {
    let ok = Command::new("pg_ctlcluster").args(["15", "main", action]).status().is_ok_and(|s| s.success());
    assert!(ok, "pg_ctlcluster 15 main {action} failed");
}

/// `flock /tmp/pg.lock`: the restart waits for others who take it, and holds it (the lock
/// goes with the file when this is dropped).
struct PgLock(#[allow(dead_code)] std::fs::File);

impl PgLock {
    fn take() -> PgLock {
        use std::os::fd::AsRawFd;
        let f =
            std::fs::OpenOptions::new().create(true).append(true).open("/tmp/pg.lock").expect("lock file");
        // SAFETY: flock(2) on a descriptor we own.
        assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0, "flock");
        PgLock(f)
    }
}

struct Server {
    child: Child,
    api: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(db: &str) -> Server {
        let child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--as-of", "2021-07-15", "--db", db])
            .env("MADOGUCHI_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve");
        let mut server = Server { child, api: String::new(), log: Arc::new(Mutex::new(Vec::new())) };
        let stderr = server.child.stderr.take().expect("stderr");
        let kept = server.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = kept.lock() {
                    l.push(line);
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let lines = server.lines();
            if let Some(api) = lines.iter().find_map(|l| l.split("http://").nth(1)?.split_whitespace().next())
            {
                server.api = format!("http://{api}");
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not start:\n{}", lines.join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    async fn readyz(&self, http: &reqwest::Client) -> Option<(StatusCode, Value)> {
        let r = http.get(format!("{}/readyz", self.api)).timeout(REQUEST_DEADLINE).send().await.ok()?;
        let status = r.status();
        Some((status, r.json().await.unwrap_or_default()))
    }
}

/// What one writer saw.
#[derive(Default)]
struct Tally {
    /// Receipts of the changes acknowledged (200).
    receipts: BTreeSet<String>,
    /// The application's version after the last acknowledged change.
    version: i64,
    /// 503s with `Retry-After` answered.
    away: usize,
}

/// One writer of a stream of changes to `code` on `api`.
struct Writer {
    http: reqwest::Client,
    api: String,
    token: String,
    code: String,
    models: Vec<String>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
    acked: Arc<AtomicUsize>,
}

/// Changes `code` on `api` over and over until `stop`, retrying a 503 or a lost answer with
/// the same `Idempotency-Key`; panics on a 500, a hang or anything unexpected.
async fn writer(w: Writer) {
    let Writer { http, api, token, code, models, stop, tally, acked } = w;
    let url = format!("{api}/v1/institutions/{code}/reader-application");
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        // Read the version (retried while the database is away).
        let (etag, current) = loop {
            let r = http.get(&url).bearer_auth(&token).timeout(REQUEST_DEADLINE).send().await;
            let r = r.unwrap_or_else(|e| panic!("GET hung or failed: {e}"));
            match r.status() {
                StatusCode::OK => {
                    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
                    let v: Value = r.json().await.expect("json");
                    break (etag, v["model_id"].as_str().map(String::from));
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(r.headers().contains_key("retry-after"), "503 without Retry-After");
                    tally.lock().expect("tally").away += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("GET answered {other}: {}", r.text().await.unwrap_or_default()),
            }
        };
        let model = models.iter().find(|m| Some(*m) != current.as_ref()).expect("another model").clone();
        n += 1;
        let key = format!("outage-{code}-{n}");
        let body = json!({"model_id": model, "units": 1, "caller_name": "試験", "caller_role": "事務",
            "verification": "registered_details"});
        loop {
            let r = http
                .put(&url)
                .bearer_auth(&token)
                .header("If-Match", etag.as_str())
                .header("Idempotency-Key", key.as_str())
                .json(&body)
                .timeout(REQUEST_DEADLINE)
                .send()
                .await;
            let r = r.unwrap_or_else(|e| panic!("PUT hung or failed: {e}"));
            match r.status() {
                StatusCode::OK => {
                    let v: Value = r.json().await.expect("json");
                    let mut t = tally.lock().expect("tally");
                    t.receipts.insert(v["receipt_no"].as_str().expect("receipt").to_string());
                    t.version = v["application"]["version"].as_i64().expect("version");
                    acked.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(r.headers().contains_key("retry-after"), "503 without Retry-After");
                    tally.lock().expect("tally").away += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("PUT answered {other}: {}", r.text().await.unwrap_or_default()),
            }
        }
    }
}

/// The versions of `code` told by `api`'s event stream, as they come.
fn follow_events(http: reqwest::Client, api: String, token: String, seen: Arc<Mutex<HashMap<String, i64>>>) {
    tokio::spawn(async move {
        let r = http.get(format!("{api}/v1/events")).bearer_auth(&token).send().await.expect("events");
        assert_eq!(r.status(), StatusCode::OK);
        let mut stream = r.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find('\n') {
                let line: String = buf.drain(..=end).collect();
                let Some(data) = line.trim_end().strip_prefix("data:") else { continue };
                let Ok(v) = serde_json::from_str::<Value>(data.trim()) else { continue };
                if v["type"] == "application_changed"
                    && let (Some(code), Some(version)) = (v["code"].as_str(), v["version"].as_i64())
                {
                    let mut s = seen.lock().expect("seen");
                    let e = s.entry(code.to_string()).or_default();
                    *e = (*e).max(version);
                }
            }
        }
    });
}

async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    within: Duration,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (MADOGUCHI_TEST_DATABASE_URL) and root to restart it with pg_ctlcluster; .ci/run runs it"]
async fn r26_postgres_restarted_under_two_servers_fast_503_nothing_lost_both_recover_and_hear_each_other() {
    let Ok(base) = std::env::var(URL_VAR) else {
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{URL_VAR} is not set but CI=true");
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!! SKIPPED: {URL_VAR} is not set; the PostgreSQL outage was NOT tested !!!!!\n"
        );
        return;
    };
    // A database of its own: the restart test never touches other tests' schemas.
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {DATABASE}")).execute(&mut admin).await.expect("create");
    drop(admin);
    let (root, _) = base.rsplit_once('/').expect("a database URL");
    let db = format!("{root}/{DATABASE}");
    madoguchi(&["seed", "--institutions", "300"], &db);
    let token_a = madoguchi(&["operator", "add", "ops_a"], &db);
    let token_b = madoguchi(&["operator", "add", "ops_b"], &db);
    let a = Server::start(&db);
    let b = Server::start(&db);
    let http = reqwest::Client::new();
    for s in [&a, &b] {
        until("ready", Duration::from_secs(90), || async {
            s.readyz(&http).await.filter(|(st, _)| *st == StatusCode::OK)
        })
        .await;
    }

    // Two changeable institutions, one per writer, and the catalog.
    let found: LookupResponse = http
        .get(format!("{}/v1/institutions?q=%E8%96%AC%E5%B1%80&limit=100", a.api))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("lookup json");
    let codes: Vec<String> = found
        .results
        .iter()
        .filter(|r| matches!(r.reader_status, ReaderStatus::Selected | ReaderStatus::NotApplied))
        .map(|r| r.code.clone())
        .take(2)
        .collect();
    assert_eq!(codes.len(), 2, "two changeable pharmacies");
    let models: Vec<String> = http
        .get(format!("{}/v1/reader-models", a.api))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("models")
        .json::<Vec<Value>>()
        .await
        .expect("models json")
        .iter()
        .filter_map(|m| m["id"].as_str().map(String::from))
        .collect();

    // Each server's event stream, followed from before the outage.
    let heard_by_a = Arc::new(Mutex::new(HashMap::new()));
    let heard_by_b = Arc::new(Mutex::new(HashMap::new()));
    follow_events(http.clone(), a.api.clone(), token_a.clone(), heard_by_a.clone());
    follow_events(http.clone(), b.api.clone(), token_b.clone(), heard_by_b.clone());

    let stop = Arc::new(AtomicBool::new(false));
    let (tally_a, tally_b) = (Arc::new(Mutex::new(Tally::default())), Arc::new(Mutex::new(Tally::default())));
    let (acked_a, acked_b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let writers = [
        tokio::spawn(writer(Writer {
            http: http.clone(),
            api: a.api.clone(),
            token: token_a.clone(),
            code: codes[0].clone(),
            models: models.clone(),
            stop: stop.clone(),
            tally: tally_a.clone(),
            acked: acked_a.clone(),
        })),
        tokio::spawn(writer(Writer {
            http: http.clone(),
            api: b.api.clone(),
            token: token_b.clone(),
            code: codes[1].clone(),
            models: models.clone(),
            stop: stop.clone(),
            tally: tally_b.clone(),
            acked: acked_b.clone(),
        })),
    ];
    let both_past = |n: usize| {
        let (a, b) = (acked_a.clone(), acked_b.clone());
        move || {
            let ok = a.load(Ordering::Relaxed) >= n && b.load(Ordering::Relaxed) >= n;
            async move { ok.then_some(()) }
        }
    };
    until("changes before the outage", Duration::from_secs(60), both_past(3)).await;

    // The restart, under the lock others may take around their own PostgreSQL tests.
    let lock = PgLock::take();
    pg_ctl("stop");
    // While it is down: fast 503s with Retry-After for the writers, and /readyz says why.
    let (away_a, away_b) = (tally_a.clone(), tally_b.clone());
    until("503s while the database is down", Duration::from_secs(30), || {
        let ok = away_a.lock().expect("a").away > 0 && away_b.lock().expect("b").away > 0;
        async move { ok.then_some(()) }
    })
    .await;
    for s in [&a, &b] {
        let (status, body) = s.readyz(&http).await.expect("readyz answered while the database is down");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "database_unavailable", "{body}");
    }
    pg_ctl("start");
    drop(lock);
    // Both answer again within 5 s of the return, without a restart.
    for s in [&a, &b] {
        until("ready again within 5 s of the database's return", Duration::from_secs(5), || async {
            s.readyz(&http).await.filter(|(st, _)| *st == StatusCode::OK)
        })
        .await;
    }
    let after_return = (acked_a.load(Ordering::Relaxed), acked_b.load(Ordering::Relaxed));
    until("changes after the return", Duration::from_secs(60), || {
        let ok = acked_a.load(Ordering::Relaxed) >= after_return.0 + 3
            && acked_b.load(Ordering::Relaxed) >= after_return.1 + 3;
        async move { ok.then_some(()) }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("a writer failed");
    }

    // Nothing acknowledged is lost, nothing made twice; each hears the other's later changes.
    for (code, tally, api, token, writer) in
        [(&codes[0], &tally_a, &b.api, &token_b, "ops_a"), (&codes[1], &tally_b, &a.api, &token_a, "ops_b")]
    {
        let (receipts, version) = {
            let t = tally.lock().expect("tally");
            (t.receipts.clone(), t.version)
        };
        let audit: Value = http
            .get(format!("{api}/v1/audit?code={code}&limit=1000"))
            .bearer_auth(token)
            .send()
            .await
            .expect("audit")
            .json()
            .await
            .expect("audit json");
        let stored: BTreeSet<String> = audit
            .as_array()
            .expect("audit events")
            .iter()
            .filter(|e| e["operator"] == writer)
            .filter_map(|e| e["receipt_no"].as_str().map(String::from))
            .collect();
        let missing: Vec<&String> = receipts.difference(&stored).collect();
        assert!(missing.is_empty(), "acknowledged changes missing from the audit trail: {missing:?}");
        assert_eq!(
            stored.len(),
            receipts.len(),
            "changes made that nobody acknowledged (a retry made twice?)"
        );
        let app: Value = http
            .get(format!("{api}/v1/institutions/{code}/reader-application"))
            .bearer_auth(token)
            .send()
            .await
            .expect("application")
            .json()
            .await
            .expect("json");
        assert_eq!(app["version"].as_i64(), Some(version), "the version is the last acknowledged one");
    }
    for (heard, code, tally, who) in
        [(&heard_by_b, &codes[0], &tally_a, "B hears A"), (&heard_by_a, &codes[1], &tally_b, "A hears B")]
    {
        let last = tally.lock().expect("tally").version;
        until(who, Duration::from_secs(30), || {
            let got = heard.lock().expect("heard").get(code.as_str()).copied().unwrap_or(0);
            async move { (got >= last).then_some(()) }
        })
        .await;
    }

    drop(a);
    drop(b);
    if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
    }
}
