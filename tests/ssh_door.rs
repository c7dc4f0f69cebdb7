//! The SSH door before and around a login (issue 26), against `madoguchi serve --ssh-listen`
//! as a child process on loopback, driven by a russh client in this process (connections from
//! several loopback addresses, 127.0.0.x, where a finding is about addresses): connections
//! that never log in are closed at the deadline while an honest client gets in; held
//! connections meet the cap before the file-handle limit; no costly Diffie-Hellman group is
//! offered and a burst of key exchanges leaves HTTP lookups fast; a thousand logins and
//! logouts leave no connection open; closes without a key lock nobody out and a key that
//! logs in takes back its connection's refused keys; an absurd window costs what the
//! largest real one does; the `none` probe is answered at once; the sessions per operator
//! are capped by the policy. Every wait has a deadline; nothing leaves loopback.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use madoguchi::bench::ssh::{bench_key, screen_text};
use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, ChannelWriteHalf, Disconnect, Preferred, kex};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

/// The timing test runs alone (write), the others beside each other (read): on two cores, a
/// thousand logins next door would be measured as the key exchanges' cost.
static ALONE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
/// The login deadline the servers here run with (`--ssh-login-timeout`).
const LOGIN_TIMEOUT: u64 = 3;

fn madoguchi(args: &[&str], db: &Path) -> std::process::Output {
    let out = Command::new(BIN).args(args).arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A seeded database with operator `sato` holding a key, and the server over it.
struct Door {
    _dir: tempfile::TempDir,
    key: Arc<PrivateKey>,
    /// sato's API token.
    token: String,
    server: Server,
}

struct Server {
    child: Child,
    api: String,
    ssh: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Door {
    /// `extra` serve options; `nofile`: the child's file-handle limit (soft and hard).
    fn open(extra: &[&str], policy: Option<&str>, nofile: Option<u64>) -> Door {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db.sqlite");
        madoguchi(&["seed", "--institutions", "2000"], &db);
        let token =
            String::from_utf8_lossy(&madoguchi(&["operator", "add", "sato"], &db).stdout).trim().to_string();
        let key = bench_key().expect("key");
        let public = key.public_key().to_openssh().expect("openssh");
        madoguchi(&["operator", "key", "add", "sato", public.trim()], &db);
        let mut cmd = Command::new(BIN);
        let timeout = LOGIN_TIMEOUT.to_string();
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ssh-listen",
            "127.0.0.1:0",
            "--as-of",
            "2021-07-15",
        ])
        .args(["--ssh-login-timeout", &timeout])
        .args(extra)
        .arg("--db")
        .arg(&db)
        .arg("--ssh-host-key")
        .arg(dir.path().join("host_key"))
        .env("MADOGUCHI_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        if let Some(text) = policy {
            let p = dir.path().join("policy.toml");
            let builtin =
                std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policy/default.toml"))
                    .expect("policy");
            // `text` is `key = value`: it replaces the line of that key.
            let key = text.split('=').next().unwrap_or_default().trim();
            let edited: Vec<String> = builtin
                .lines()
                .map(|l| if l.starts_with(&format!("{key} =")) { text.to_string() } else { l.to_string() })
                .collect();
            std::fs::write(&p, edited.join("\n")).expect("write policy");
            cmd.arg("--policy").arg(p);
        }
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit between fork and exec touches only the child.
            unsafe {
                cmd.pre_exec(move || {
                    let r = libc::rlimit { rlim_cur: n, rlim_max: n };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &r) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let server = Server::start(cmd);
        Door { _dir: dir, key: Arc::new(key), token, server }
    }

    fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// Open file handles of the server.
    fn handles(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map(|d| d.count()).unwrap_or(0)
    }

    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    }

    fn log(&self) -> Vec<String> {
        self.server.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until `pred` holds, polling; panics with `what` after `secs`.
    async fn until(&self, what: &str, secs: u64, mut pred: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !pred() {
            assert!(
                Instant::now() < deadline,
                "timed out after {secs} s waiting for {what}; log:\n{}",
                self.log().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One lookup over HTTP; its duration.
    async fn lookup(&self, http: &reqwest::Client) -> Duration {
        let t = Instant::now();
        let r = http
            .get(format!("{}/v1/institutions?q=yajima", self.server.api))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("lookup answered");
        assert!(r.status().is_success(), "lookup: {}", r.status());
        let _ = r.bytes().await;
        t.elapsed()
    }
}

impl Server {
    fn start(mut cmd: Command) -> Server {
        let child = cmd.spawn().expect("start madoguchi serve");
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        // Killed on drop from here on, whatever happens while it starts.
        let mut server =
            Server { child, api: String::new(), ssh: SocketAddr::from(([127, 0, 0, 1], 0)), log };
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
            let lines = server.log.lock().map(|l| l.clone()).unwrap_or_default();
            let api = lines
                .iter()
                .find_map(|l| l.split("http://").nth(1)?.split_whitespace().next().map(String::from));
            let port = lines
                .iter()
                .find_map(|l| l.split("ssh -p ").nth(1)?.split_whitespace().next()?.parse::<u16>().ok());
            if let (Some(api), Some(port)) = (api, port) {
                server.api = format!("http://{api}");
                server.ssh = SocketAddr::from(([127, 0, 0, 1], port));
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not start:\n{}", lines.join("\n"));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The russh client's handler: trusts the server these tests started.
struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// A TCP connection to `to` from the loopback address `from` (127.0.0.x).
async fn tcp_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

fn client_config() -> Arc<client::Config> {
    Arc::new(client::Config { nodelay: true, ..Default::default() })
}

/// Key exchange done, nobody logged in.
async fn handshake(from: [u8; 4], to: SocketAddr) -> Result<Handle<Trusting>, russh::Error> {
    let stream = tcp_from(from, to).await?;
    client::connect_stream(client_config(), stream, Trusting).await
}

/// Logged in with `key`.
async fn login(from: [u8; 4], to: SocketAddr, key: &Arc<PrivateKey>) -> Result<Handle<Trusting>, String> {
    let mut h = handshake(from, to).await.map_err(|e| format!("handshake: {e}"))?;
    let auth = h
        .authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(key.clone(), None))
        .await
        .map_err(|e| format!("auth: {e}"))?;
    if !auth.success() {
        return Err("key refused".into());
    }
    Ok(h)
}

/// A console over SSH: where to type and what it has drawn so far.
struct Console {
    handle: Handle<Trusting>,
    write: ChannelWriteHalf<client::Msg>,
    frames: mpsc::UnboundedReceiver<Vec<u8>>,
    /// Extended data (stderr) and the exit status, when the server refuses.
    seen: Vec<u8>,
}

impl Console {
    async fn open(from: [u8; 4], to: SocketAddr, key: &Arc<PrivateKey>) -> Result<Console, String> {
        let handle = login(from, to, key).await?;
        let channel = handle.channel_open_session().await.map_err(|e| format!("channel: {e}"))?;
        let (mut read, write) = channel.split();
        write.request_pty(false, "xterm-256color", 80, 24, 0, 0, &[]).await.map_err(|e| e.to_string())?;
        write.set_env(false, "LANG", "C.UTF-8").await.map_err(|e| e.to_string())?;
        write.request_shell(false).await.map_err(|e| e.to_string())?;
        let (tx, frames) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(msg) = read.wait().await {
                let bytes = match msg {
                    ChannelMsg::Data { data } => data.to_vec(),
                    ChannelMsg::ExtendedData { data, .. } => data.to_vec(),
                    ChannelMsg::Close | ChannelMsg::Eof => return,
                    _ => continue,
                };
                if tx.send(bytes).is_err() {
                    return;
                }
            }
        });
        Ok(Console { handle, write, frames, seen: Vec::new() })
    }

    /// Waits until the text drawn since the last call holds `expect`; the bytes that came.
    async fn wait_for(&mut self, expect: &str, secs: u64) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut got = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some(b)) => {
                    got.extend_from_slice(&b);
                    self.seen.extend_from_slice(&b);
                    if screen_text(&got).contains(expect) {
                        return got;
                    }
                }
                _ => panic!("「{expect}」 never came; got: {}", screen_text(&got)),
            }
        }
    }

    /// Bytes drawn until nothing more comes for a while.
    async fn drain(&mut self) -> usize {
        let mut n = 0;
        while let Ok(Some(b)) = tokio::time::timeout(Duration::from_millis(400), self.frames.recv()).await {
            n += b.len();
        }
        n
    }

    async fn close(self) {
        let _ = self.handle.disconnect(Disconnect::ByApplication, "done", "").await;
    }
}

/// True once the server has closed `stream` (a read ends or fails).
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

fn percentile(mut v: Vec<Duration>, q: f64) -> Duration {
    v.sort();
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_silent_connections_are_closed_at_the_deadline_while_an_honest_client_gets_in() {
    let _beside = ALONE.read().await;
    let door = Door::open(&["--ssh-max-unauthenticated", "400"], None, None);
    let to = door.server.ssh;
    // 150 silent TCP connections and 150 that finish the key exchange but never log in, from
    // twenty addresses (15 each, under the per-address cap of 16).
    let mut silent = Vec::new();
    let mut mute = Vec::new();
    for i in 0..300u32 {
        let from = [127, 0, 1, 2 + (i % 20) as u8];
        if i % 2 == 0 {
            silent.push(tcp_from(from, to).await.expect("connect"));
        } else {
            mute.push(tokio::spawn(async move { handshake(from, to).await }));
        }
    }
    let mut mute_handles = Vec::new();
    for h in mute {
        mute_handles.push(h.await.expect("join").expect("key exchange"));
    }
    let held = Instant::now();
    let mut honest = Console::open([127, 0, 0, 1], to, &door.key).await.expect("the honest client gets in");
    honest.wait_for("検索", 30).await;
    // Every connection that did not log in is closed by the deadline (plus a margin for a
    // loaded machine), the honest one stays.
    let within = Duration::from_secs(LOGIN_TIMEOUT + 20);
    for s in &mut silent {
        assert!(
            closed_by_server(s, within.saturating_sub(held.elapsed())).await,
            "a silent connection is still open"
        );
    }
    door.until("the key-exchanged connections closed", LOGIN_TIMEOUT + 20, || {
        mute_handles.iter().all(|h| h.is_closed())
    })
    .await;
    assert!(!honest.handle.is_closed(), "the logged-in session outlives the deadline");
    honest.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_held_connections_meet_the_cap_before_the_file_handle_limit() {
    let _beside = ALONE.read().await;
    let door = Door::open(&[], None, Some(512));
    assert!(door.log().iter().any(|l| l.contains("ファイルハンドル上限 512")), "{:?}", door.log());
    let to = door.server.ssh;
    let http = reqwest::Client::new();
    // A thousand connections held from fifty addresses: the door takes a few dozen and
    // closes the rest at once; the server keeps well below its 512 handles.
    let mut held = Vec::new();
    for i in 0..1000u32 {
        let from = [127, 0, 2, 1 + (i % 50) as u8];
        if let Ok(s) = tcp_from(from, to).await {
            held.push(s);
        }
    }
    let handles = door.handles();
    assert!(handles < 400, "the server holds {handles} handles of 512");
    let t = door.lookup(&http).await;
    assert!(t < Duration::from_secs(2), "a lookup took {t:?} while connections were held");
    let health = http.get(format!("{}/healthz", door.server.api)).send().await.expect("healthz answers");
    assert!(health.status().is_success());
    assert!(
        !door.log().iter().any(|l| l.contains("Too many open files")),
        "the process ran out of handles:\n{}",
        door.log().join("\n")
    );
    drop(held);
    // Once the flood is gone (or timed out), an honest client gets in.
    door.until("the door's slots freed", LOGIN_TIMEOUT + 20, || door.handles() < 100).await;
    let mut c = Console::open([127, 0, 0, 1], to, &door.key).await.expect("honest login after the flood");
    c.wait_for("検索", 30).await;
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_no_costly_group_is_offered_and_a_burst_of_key_exchanges_keeps_lookups_fast() {
    let _alone = ALONE.write().await;
    let door = Door::open(&[], None, None);
    let to = door.server.ssh;
    // A client that wants only group18 (or any finite-field group) finds no common method.
    for group in [kex::DH_G18_SHA512, kex::DH_G16_SHA512, kex::DH_G14_SHA256, kex::DH_GEX_SHA256] {
        let preferred = Preferred { kex: Cow::Owned(vec![group]), ..Preferred::DEFAULT };
        let config = Arc::new(client::Config { preferred, ..Default::default() });
        let stream = tcp_from([127, 0, 0, 1], to).await.expect("connect");
        let r = client::connect_stream(config, stream, Trusting).await;
        assert!(r.is_err(), "{group:?} was negotiated");
    }
    let http = reqwest::Client::builder().pool_max_idle_per_host(4).build().expect("http");
    let mut quiet = Vec::new();
    for _ in 0..120 {
        quiet.push(door.lookup(&http).await);
    }
    let quiet = (percentile(quiet.clone(), 0.5), percentile(quiet, 0.99));
    // Nine addresses doing key exchanges back to back for the length of the lookups.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut burst = Vec::new();
    for i in 0..9u8 {
        let stop = stop.clone();
        burst.push(tokio::spawn(async move {
            let mut n = 0u32;
            // Each address asks for group18 (or group16) a hundred times a second, and for what it can
            // get (an honest key exchange) once a second: the rate of the finding (nine in a
            // second from nine addresses), whose group18 cost the API a second.
            let from = [127, 0, 3, 1 + i];
            let group = if i % 2 == 0 { kex::DH_G18_SHA512 } else { kex::DH_G16_SHA512 };
            let greedy = Preferred { kex: Cow::Owned(vec![group]), ..Preferred::DEFAULT };
            let greedy = Arc::new(client::Config { preferred: greedy, ..Default::default() });
            let mut honest_at = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && n < 5000 {
                if let Ok(stream) = tcp_from(from, to).await {
                    let _ = client::connect_stream(greedy.clone(), stream, Trusting).await;
                }
                if honest_at.elapsed() >= Duration::from_secs(1) {
                    honest_at = Instant::now();
                    if let Ok(h) = handshake(from, to).await {
                        let _ = h.disconnect(Disconnect::ByApplication, "", "").await;
                    }
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n
        }));
    }
    let mut times = Vec::new();
    for _ in 0..300 {
        times.push(door.lookup(&http).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut exchanges = 0;
    for b in burst {
        exchanges += b.await.expect("join");
    }
    let p50 = percentile(times.clone(), 0.5);
    let p99 = percentile(times, 0.99);
    eprintln!(
        "lookups before: median {:?}, p99 {:?}; during {exchanges} key exchanges: median {p50:?}, p99 {p99:?}",
        quiet.0, quiet.1
    );
    assert!(exchanges >= 9, "the burst ran");
    // Key exchanges on the runtime's threads stalled lookups for about a second each (p99
    // 1,062 ms, max 3.95 s when found); a loaded CI machine stays far below 300 ms without that
    // defect, and this test's figures are printed above for a closer look.
    assert!(p99 < Duration::from_millis(300), "lookup p99 {p99:?} during the key exchanges");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_a_thousand_logins_and_logouts_leave_no_connection_open() {
    let _beside = ALONE.read().await;
    // Eight at a time, one operator: no cap per operator here.
    let door = Door::open(&[], Some("max_sessions_per_operator = 0"), None);
    let to = door.server.ssh;
    // One session first so that everything a session shares (the HTTP pool's first
    // connections, the host key) is in place before counting.
    let mut first = Console::open([127, 0, 0, 1], to, &door.key).await.expect("login");
    first.wait_for("接続中", 30).await;
    first.close().await;
    door.until("the first session gone", 20, || {
        door.log().iter().any(|l| l.contains("SSH session of sato ended"))
    })
    .await;
    let baseline = door.handles();
    let logins: usize =
        std::env::var("MADOGUCHI_TEST_SSH_LOGINS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let started = Instant::now();
    let workers = 8;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let key = door.key.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (w..logins).step_by(workers) {
                let mut c = Console::open([127, 0, 0, 1], to, &key).await.expect("login");
                // The event stream is up once the status line says 接続中.
                c.wait_for("接続中", 30).await;
                c.close().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("sessions");
    }
    eprintln!("{logins} logins and logouts in {:?}", started.elapsed());
    // A client's close returns before the server has ended the session, and the handle
    // count may fall within its slack while one is still ending: wait for the server to say
    // each one ended, then count the handles.
    let ended = || door.log().iter().filter(|l| l.contains("SSH session of sato ended")).count();
    door.until("every session ended", 60, || ended() == logins + 1).await;
    door.until("every session's handles released", 60, || door.handles() <= baseline + 2).await;
    assert_eq!(ended(), logins + 1, "every session ended, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_closes_without_a_key_lock_nobody_out_and_a_login_takes_back_refused_keys() {
    let _beside = ALONE.read().await;
    let door = Door::open(&[], None, None);
    let to = door.server.ssh;
    let here = [127, 0, 0, 1];
    // A port scan or a load balancer's check: connect, close; and clients that exchange keys
    // and leave without trying one. Far more than the ten failures an address may have.
    for _ in 0..30 {
        drop(tcp_from(here, to).await.expect("connect"));
        let h = handshake(here, to).await.expect("key exchange");
        let _ = h.disconnect(Disconnect::ByApplication, "", "").await;
    }
    // An agent offering six other keys before the operator's: twice in a row, 12 refused
    // keys from this address, yet each login takes its own back.
    let strangers: Vec<Arc<PrivateKey>> = (0..6).map(|_| Arc::new(bench_key().expect("key"))).collect();
    for _ in 0..2 {
        let mut h = handshake(here, to).await.expect("key exchange");
        for k in &strangers {
            let r = h.authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(k.clone(), None)).await;
            assert!(!r.expect("answered").success(), "a stranger's key got in");
        }
        let r = h.authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(door.key.clone(), None)).await;
        assert!(r.expect("answered").success(), "the operator's key after six others");
        let _ = h.disconnect(Disconnect::ByApplication, "", "").await;
    }
    let mut c = Console::open(here, to, &door.key).await.expect("the registered key still gets in");
    c.wait_for("検索", 30).await;
    c.close().await;
    // Refused keys that nothing takes back do lock the address out (another address here).
    let there = [127, 0, 4, 1];
    for _ in 0..2 {
        let Ok(mut h) = handshake(there, to).await else { break };
        for k in &strangers {
            let _ = h.authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(k.clone(), None)).await;
        }
    }
    assert!(handshake(there, to).await.is_err(), "an address with twelve refused keys is turned away");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_an_absurd_window_costs_what_the_largest_real_one_does() {
    let _beside = ALONE.read().await;
    let door = Door::open(&[], None, None);
    let to = door.server.ssh;
    let (cols, rows) = (madoguchi::ssh::term_env::MAX_COLS, madoguchi::ssh::term_env::MAX_ROWS);
    let mut c = Console::open([127, 0, 0, 1], to, &door.key).await.expect("login");
    c.wait_for("接続中", 30).await;
    c.drain().await;
    c.write.window_change(cols.into(), rows.into(), 0, 0).await.expect("resize");
    let at_cap = c.drain().await;
    c.write.window_change(80, 24, 0, 0).await.expect("resize");
    c.drain().await;
    let before = door.rss_bytes();
    c.write.window_change(65535, 65535, 0, 0).await.expect("resize");
    let absurd = c.drain().await;
    assert!(
        at_cap > 0 && absurd <= at_cap + at_cap / 10,
        "65535×65535 drew {absurd} bytes, {cols}×{rows} {at_cap}"
    );
    // A storm of huge and zero sizes, then a lookup is still answered.
    for i in 0..400u32 {
        let (w, h) = if i % 2 == 0 { (65535, 65535) } else { (0, 0) };
        c.write.window_change(w, h, 0, 0).await.expect("resize");
    }
    c.write.window_change(80, 24, 0, 0).await.expect("resize");
    c.drain().await;
    c.write.data(&b"yajima"[..]).await.expect("type");
    c.wait_for("矢嶋歯科医院", 20).await;
    let grown = door.rss_bytes().saturating_sub(before);
    assert!(grown < 40_000_000, "the server grew {grown} bytes for one absurd window");
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r26_the_none_probe_is_answered_at_once_and_sessions_per_operator_are_capped() {
    let _beside = ALONE.read().await;
    let door = Door::open(&[], Some("max_sessions_per_operator = 1"), None);
    let to = door.server.ssh;
    let mut waits = Vec::new();
    for _ in 0..3 {
        let mut h = handshake([127, 0, 0, 1], to).await.expect("key exchange");
        let t = Instant::now();
        let r = h.authenticate_none("anyone").await.expect("none answered");
        waits.push(t.elapsed());
        assert!(!r.success());
    }
    let median = percentile(waits, 0.5);
    assert!(median < Duration::from_millis(500), "the none probe waited {median:?}");
    let mut first = Console::open([127, 0, 0, 1], to, &door.key).await.expect("first session");
    first.wait_for("検索", 30).await;
    let mut second = Console::open([127, 0, 0, 1], to, &door.key).await.expect("login");
    second.wait_for("1 個のコンソールを開いています", 30).await;
    first.close().await;
}
