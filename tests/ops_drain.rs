//! A rolling restart (issue 26): `madoguchi serve --drain-seconds` as a child process on
//! loopback, sent SIGTERM while an operator's console is open over SSH. The console is told
//! and closed, the SSH door takes no new connection, `/readyz` answers 503 `draining` while
//! lookups are still answered, and a second SIGTERM stops the server cleanly. Every wait has a
//! deadline; nothing leaves loopback.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use madoguchi::bench::ssh::{bench_key, screen_text};
use reqwest::StatusCode;
use russh::ChannelMsg;
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

fn madoguchi(args: &[&str], db: &Path) -> String {
    let out = Command::new(BIN).args(args).arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Server {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill");
    }
}

/// The russh client's handler: trusts the server this test started.
struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn config() -> Arc<client::Config> {
    Arc::new(client::Config { nodelay: true, ..Default::default() })
}

/// Polls `f` until it returns `Some`, at most `secs`.
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    secs: u64,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r26_sigterm_drains_consoles_told_door_closed_readyz_503_lookups_still_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db.sqlite");
    madoguchi(&["seed", "--institutions", "300"], &db);
    let token = madoguchi(&["operator", "add", "sato"], &db);
    let key = bench_key().expect("key");
    let public = key.public_key().to_openssh().expect("openssh");
    madoguchi(&["operator", "key", "add", "sato", public.trim()], &db);
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0", "--as-of", "2021-07-15"])
        // Long enough never to end by itself here: the second SIGTERM ends it.
        .args(["--drain-seconds", "600"])
        .arg("--ssh-host-key")
        .arg(dir.path().join("host_key"))
        .arg("--db")
        .arg(&db)
        .env("MADOGUCHI_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let server = Server { child, log: Arc::new(Mutex::new(Vec::new())) };
    let kept = server.log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(mut l) = kept.lock() {
                l.push(line);
            }
        }
    });
    let (api, ssh) = until("the start lines", 90, || {
        let lines = server.lines();
        async move {
            let api = lines
                .iter()
                .find_map(|l| l.split("http://").nth(1)?.split_whitespace().next().map(String::from))?;
            let port = lines
                .iter()
                .find_map(|l| l.split("ssh -p ").nth(1)?.split_whitespace().next()?.parse::<u16>().ok())?;
            Some((format!("http://{api}"), SocketAddr::from(([127, 0, 0, 1], port))))
        }
    })
    .await;
    let http = reqwest::Client::new();
    let readyz = |http: reqwest::Client, api: String| async move {
        let r = http.get(format!("{api}/readyz")).send().await.ok()?;
        let status = r.status();
        Some((status, r.json::<Value>().await.unwrap_or_default()))
    };
    until("ready", 90, || {
        let f = readyz(http.clone(), api.clone());
        async move { f.await.filter(|(s, _)| *s == StatusCode::OK) }
    })
    .await;

    // An operator's console.
    let mut h = client::connect(config(), ssh, Trusting).await.expect("handshake");
    let auth = h.authenticate_publickey("sato", PrivateKeyWithHashAlg::new(Arc::new(key), None)).await;
    assert!(auth.expect("auth").success());
    let channel = h.channel_open_session().await.expect("channel");
    let (mut read, write) = channel.split();
    write.request_pty(false, "xterm-256color", 80, 24, 0, 0, &[]).await.expect("pty");
    write.request_shell(false).await.expect("shell");
    let (tx, mut frames) = tokio::sync::mpsc::unbounded_channel::<Option<Vec<u8>>>();
    tokio::spawn(async move {
        while let Some(msg) = read.wait().await {
            match msg {
                ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. } => {
                    let _ = tx.send(Some(data.to_vec()));
                }
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        let _ = tx.send(None);
    });
    let first = tokio::time::timeout(Duration::from_secs(30), frames.recv()).await;
    assert!(matches!(first, Ok(Some(Some(_)))), "the console drew nothing");

    // SIGTERM: the console is told and closed.
    server.signal(libc::SIGTERM);
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Some(b)) = frames.recv().await {
            seen.extend_from_slice(&b);
        }
    })
    .await;
    assert!(closed.is_ok(), "the console was not closed: {}", screen_text(&seen));
    assert!(screen_text(&seen).contains("サーバーを停止するため"), "told why: {}", screen_text(&seen));

    // /readyz says draining; lookups are still answered; the SSH door takes nobody.
    let (_, body) = until("/readyz 503 draining", 30, || {
        let f = readyz(http.clone(), api.clone());
        async move { f.await.filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE) }
    })
    .await;
    assert_eq!(body["error"]["code"], "draining", "{body}");
    let lookup = http
        .get(format!("{api}/v1/institutions?q=yajima"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("lookup during the drain");
    assert_eq!(lookup.status(), StatusCode::OK);
    until("the SSH door closed", 30, || async move {
        match tokio::time::timeout(Duration::from_secs(5), client::connect(config(), ssh, Trusting)).await {
            Ok(Ok(_)) => None,
            _ => Some(()),
        }
    })
    .await;

    // A second SIGTERM stops it now, cleanly.
    server.signal(libc::SIGTERM);
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no exit after the second SIGTERM; log:\n{}",
            server.lines().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit: {status:?}; log:\n{}", server.lines().join("\n"));
    until("the last line", 10, || {
        let done = server.lines().iter().any(|l| l.contains("停止しました"));
        async move { done.then_some(()) }
    })
    .await;
}
