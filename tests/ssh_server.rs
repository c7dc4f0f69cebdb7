//! The built-in SSH server end to end, with the real OpenSSH client in tmux at 80×24 against
//! `madoguchi serve --ssh-listen` on a loopback port, keys made by `ssh-keygen` in a temp dir
//! (no agent, no ~/.ssh, host keys recorded in the temp dir): lookup → institution → change
//! dialog → receipt, the change read back with `madoguchi show`; a resize reaches the
//! console; an unknown key is refused, a removed key can no longer log in and its open
//! session ends; killing the client mid-dialog ends the session on the server within 1 s with
//! the change made once or not at all; the embedded console's `--ssh-listen` serves sessions of
//! their own that end with it. Skipped, loudly, without tmux, ssh or ssh-keygen.

mod tmux;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use madoguchi::client::Client;
use tmux::{Tmux, have_tmux, wait_for_child};
use unicode_width::UnicodeWidthStr;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");
const YAJIMA: &str = "1331500016";

fn have_openssh() -> bool {
    let ok = |p: &str| Command::new(p).arg("-V").output().is_ok();
    ok("ssh") && Command::new("ssh-keygen").arg("-?").output().is_ok()
}

fn skip(what: &str) -> bool {
    if !have_tmux() || !have_openssh() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run {what}: .ci/run installs tmux and openssh-client"
        );
        eprintln!("SKIPPED: tmux or the OpenSSH client is not installed; {what} did not run");
        return true;
    }
    false
}

fn madoguchi(args: &[&str], db: &Path) -> std::process::Output {
    let out = Command::new(BIN).args(args).arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
    key
}

/// A seeded database, an operator `sato` with a key, a supervisor token, and the server.
struct Fixture {
    dir: tempfile::TempDir,
    db: PathBuf,
    key: PathBuf,
    supervisor: String,
    server: Server,
}

/// `madoguchi serve --ssh-listen` on loopback ports of its own choosing; killed on drop.
struct Server {
    child: Child,
    api: String,
    ssh_port: u16,
    /// `SHA256:…` of the host key, from the startup line.
    host_fingerprint: String,
    /// Every line the server has logged so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(db: &Path, host_key: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--ssh-listen",
                "127.0.0.1:0",
                "--as-of",
                "2021-07-15",
            ])
            .arg("--db")
            .arg(db)
            .arg("--ssh-host-key")
            .arg(host_key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start madoguchi serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut api, mut ssh_port, mut host_fingerprint) = (None, None, String::new());
        let deadline = Instant::now() + Duration::from_secs(90);
        while api.is_none() || ssh_port.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).expect("the server's startup lines");
            if let Some(rest) = line.split("http://").nth(1) {
                api = rest.split_whitespace().next().map(|a| format!("http://{a}"));
            }
            if let Some(rest) = line.split("ssh -p ").nth(1) {
                ssh_port = rest.split_whitespace().next().and_then(|p| p.parse().ok());
            }
            if let Some(fp) = line.split("ホスト鍵 ").nth(1).and_then(|r| r.split_whitespace().next()) {
                host_fingerprint = fp.to_string();
            }
        }
        // Keep draining stderr so the server never blocks on a full pipe, and keep its lines.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            while let Ok(line) = rx.recv() {
                if let Ok(mut l) = kept.lock() {
                    l.push(line);
                }
            }
        });
        Server { child, api: api.expect("api"), ssh_port: ssh_port.expect("port"), host_fingerprint, log }
    }

    /// Waits until the server has logged a line satisfying `pred`; returns it.
    fn wait_for_log(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let lines = self.log.lock().map(|l| l.clone()).unwrap_or_default();
            if let Some(line) = lines.iter().find(|l| pred(l)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {secs}s waiting for {what}; log:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Server {
    /// SIGTERM, and waits until the server has finished what was in flight and exited.
    fn stop(&mut self) {
        // SAFETY: kill(2) on our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("db.sqlite");
        madoguchi(&["seed", "--institutions", "2000"], &db);
        madoguchi(&["operator", "add", "sato"], &db);
        let supervisor = String::from_utf8_lossy(
            &madoguchi(&["operator", "add", "boss", "--role", "supervisor"], &db).stdout,
        )
        .trim()
        .to_string();
        let key = keygen(dir.path(), "sato");
        let pubkey = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
        madoguchi(&["operator", "key", "add", "sato", pubkey.trim()], &db);
        let server = Server::start(&db, &dir.path().join("host_key"));
        Fixture { dir, db, key, supervisor, server }
    }

    /// The ssh command line for `key`: nothing from ~/.ssh or an agent, host key kept here.
    fn ssh_command(&self, key: &Path) -> String {
        format!(
            "ssh -p {} -i {} -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
             -o StrictHostKeyChecking=no -o UserKnownHostsFile={} -o LogLevel=ERROR anyone@127.0.0.1",
            self.server.ssh_port,
            key.display(),
            self.dir.path().join("known_hosts").display()
        )
    }

    /// An interactive session in tmux (80×24, UTF-8); the pane shows ssh's exit status after.
    fn session(&self) -> (Tmux, u32) {
        self.session_with("")
    }

    /// The same, with extra ssh `options` (`-o SetEnv=…`).
    fn session_with(&self, options: &str) -> (Tmux, u32) {
        let cmd = format!(
            "env LANG=C.UTF-8 TERM=xterm-256color {} -t {options}; echo SSH_EXIT=$?; sleep 60",
            self.ssh_command(&self.key)
        );
        let t = Tmux::start(&cmd);
        let shell = t.pane_pid().expect("pane pid");
        let ssh = wait_for_child(shell, "ssh", 30);
        t.wait_for("the lookup screen over SSH", 60, |s| s.contains("検索") && s.contains("sato"));
        (t, ssh)
    }

    /// Runs ssh without a terminal (`ssh … true`): its exit status and stderr.
    fn ssh_batch(&self, key: &Path) -> (i32, String) {
        self.ssh_with(key, "", "true")
    }

    /// Runs ssh without a terminal with extra `options` before the host and `command` after.
    fn ssh_with(&self, key: &Path, options: &str, command: &str) -> (i32, String) {
        let cmd = self.ssh_command(key).replace(" anyone@", &format!(" {options} anyone@"));
        let out =
            Command::new("sh").arg("-c").arg(format!("{cmd} {command} </dev/null")).output().expect("ssh");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    fn sessions(&self) -> usize {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let client = Client::new(&self.server.api, Some(self.supervisor.clone())).expect("client");
        rt.block_on(client.ssh_sessions()).expect("GET /v1/ssh-sessions").len()
    }

    fn show(&self, code: &str) -> serde_json::Value {
        let out = madoguchi(&["show", code, "--json"], &self.db);
        serde_json::from_slice(&out.stdout).expect("json")
    }

    fn audit_count(&self, code: &str) -> usize {
        let out = madoguchi(&["audit", "list", "--code", code, "--json"], &self.db);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v.as_array().map_or(0, Vec::len)
    }
}

/// From the lookup screen: yajima, Enter on 矢嶋歯科医院, F4, a model, the caller, the
/// verification, up to the confirmation. Returns the chosen model's line.
fn fill_change(t: &Tmux) -> String {
    t.type_text("yajima");
    let s = t.wait_for("矢嶋歯科医院 in the results", 30, |s| s.contains("矢嶋歯科医院"));
    let rows: Vec<&str> = s.lines().skip(5).collect();
    let target = rows.iter().position(|l| l.contains("矢嶋歯科医院")).expect("row");
    let selected = rows.iter().position(|l| l.contains('▶')).expect("selection");
    for _ in selected..target {
        t.keys(&["Down"]);
    }
    t.wait_for("矢嶋歯科医院 selected", 20, |s| {
        s.lines().any(|l| l.contains('▶') && l.contains("矢嶋歯科医院"))
    });
    t.keys(&["Enter"]);
    t.wait_for("the institution screen", 30, |s| {
        s.contains(&format!("医療機関 {YAJIMA}")) && s.contains("杉並区")
    });
    t.keys(&["F4"]);
    let s = t.wait_for("the change dialog with models", 30, |s| {
        s.contains("カードリーダー申込の変更") && s.contains("機種") && !s.contains("読み込み中")
    });
    t.keys(&["Down"]);
    let s2 = t.wait_for("the model selection to move", 20, |x| x != s);
    let chosen = s2
        .lines()
        .find(|l| l.contains('▶'))
        .map(|l| l.split('▶').nth(1).unwrap_or("").trim().trim_end_matches('│').trim().to_string())
        .expect("a chosen model");
    t.keys(&["Tab"]);
    t.type_text("矢嶋花子");
    t.wait_for("the caller name (IME text over SSH)", 20, |s| s.contains("矢嶋花子"));
    t.keys(&["Tab", "Tab", "Down"]);
    t.wait_for("a verification chosen", 20, |s| s.contains("(*)"));
    t.keys(&["Enter"]);
    t.wait_for("the confirmation", 20, |s| s.contains("この内容で変更します"));
    chosen
}

#[test]
fn ssh_lookup_change_receipt_resize_and_quit() {
    if skip("the SSH end-to-end test") {
        return;
    }
    let f = Fixture::new();
    let (t, _ssh) = f.session();
    let chosen = fill_change(&t);
    t.keys(&["Enter"]);
    let s = t.wait_for("the receipt", 30, |s| s.contains("受付番号:"));
    assert!(s.contains("R-210715-"), "{s}");

    let v = f.show(YAJIMA);
    let ra = &v["reader_application"];
    assert_eq!(ra["status"], "selected", "{v:#}");
    let label = format!(
        "{} {}",
        ra["model"]["maker"].as_str().unwrap_or(""),
        ra["model"]["name"].as_str().unwrap_or("")
    );
    assert!(chosen.starts_with(&label), "chose {chosen:?}, server has {label:?}");
    let audit = madoguchi(&["audit", "list", "--code", YAJIMA, "--json"], &f.db);
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains("\"sato\""),
        "the audit trail names the key's operator"
    );

    // The console follows the client's window.
    t.keys(&["Enter"]);
    t.resize(100, 30);
    t.wait_for("the console at 100 columns", 30, |s| {
        s.lines().next().is_some_and(|l| l.trim_end().width() == 100)
    });
    t.resize(80, 24);
    t.wait_for("the console back at 80 columns", 30, |s| {
        s.lines().next().is_some_and(|l| l.trim_end().width() == 80)
    });

    t.keys(&["C-q"]);
    let s = t.wait_for("ssh to exit", 30, |s| s.contains("SSH_EXIT="));
    assert!(s.contains("SSH_EXIT=0"), "quitting ends the session cleanly:\n{s}");
}

#[test]
fn only_registered_keys_get_in_and_nothing_but_the_console() {
    if skip("the SSH key test") {
        return;
    }
    let f = Fixture::new();
    let stranger = keygen(f.dir.path(), "stranger");
    let (code, err) = f.ssh_batch(&stranger);
    assert_eq!(code, 255, "an unknown key is refused: {err}");
    assert!(err.contains("Permission denied"), "{err}");

    // The registered key logs in, but a command is refused: no exec, no shell.
    let (code, err) = f.ssh_batch(&f.key);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("コマンドを実行できません"), "logged in, exec refused: {err}");
    // No file transfer, no port forwarding either way (the API port is there to be reached).
    let (code, err) = f.ssh_with(&f.key, "-s", "sftp");
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("サブシステム"), "sftp refused: {err}");
    let api_port = f.server.api.rsplit(':').next().unwrap_or("1").to_string();
    let (code, err) = f.ssh_with(&f.key, &format!("-W 127.0.0.1:{api_port}"), "");
    assert_eq!(code, 255, "a direct-tcpip forward is refused: {err}");
    assert!(err.contains("forwarding failed"), "{err}");
    let (code, err) = f.ssh_with(&f.key, "-N -o ExitOnForwardFailure=yes -R 0:127.0.0.1:1", "");
    assert_eq!(code, 255, "a remote forward is refused: {err}");
    assert!(err.contains("forwarding failed"), "{err}");

    // An open session ends when its key is removed; the key no longer gets in.
    let (t, _ssh) = f.session();
    let list = madoguchi(&["operator", "key", "list", "--json"], &f.db);
    let keys: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let fp = keys[0]["fingerprint"].as_str().expect("fingerprint").to_string();
    assert_eq!(keys[0]["operator"], "sato");
    madoguchi(&["operator", "key", "remove", &fp], &f.db);
    let removed = Instant::now();
    let s = t.wait_for("the session to end", 30, |s| s.contains("SSH_EXIT="));
    eprintln!("session ended {} ms after its key was removed", removed.elapsed().as_millis());
    assert!(s.contains("取り消された"), "the console says why it ended:\n{s}");
    let (code, err) = f.ssh_batch(&f.key);
    assert_eq!(code, 255, "a removed key is refused: {err}");
    assert!(err.contains("Permission denied"), "{err}");
}

#[test]
fn killing_the_client_mid_dialog_ends_the_session_with_the_change_once_or_not_at_all() {
    if skip("the dropped-SSH-client test") {
        return;
    }
    let mut f = Fixture::new();
    let before = (f.show(YAJIMA)["reader_application"]["status"].clone(), f.audit_count(YAJIMA));
    let (t, ssh) = f.session();
    assert_eq!(f.sessions(), 1);
    fill_change(&t);
    // Commit and kill the client at once: the change is in flight, or not yet sent.
    t.keys(&["Enter"]);
    // SAFETY: kill(2) on the ssh client we started (found as our tmux pane's child).
    assert_eq!(unsafe { libc::kill(ssh as libc::pid_t, libc::SIGKILL) }, 0);
    let killed = Instant::now();
    let mut open = f.sessions();
    while open > 0 && killed.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
        open = f.sessions();
    }
    let took = killed.elapsed();
    eprintln!("session gone on the server {} ms after the client was killed", took.as_millis());
    // The goal is 1 s (printed above); the CI machine is busy, so only the end is asserted.
    assert_eq!(open, 0, "the session outlived its client");
    // Stopping the server lets whatever was in flight finish (one transaction) and nothing
    // new start: what the database holds then is final.
    f.server.stop();
    let after = (f.show(YAJIMA)["reader_application"]["status"].clone(), f.audit_count(YAJIMA));
    let unchanged = after == before;
    let once = after.0 == "selected" && after.1 == before.1 + 1;
    assert!(unchanged || once, "before {before:?}, after {after:?}: neither untouched nor changed once");
    let v = madoguchi(&["audit", "verify", "--json"], &f.db);
    assert!(String::from_utf8_lossy(&v.stdout).contains("\"ok\": true"));
}

/// SGR parameters of `screen` (a `capture-pane -e` capture) that set a colour.
fn colour_codes(screen: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in screen.split("\x1b[").skip(1) {
        let Some(end) = part.find(|c: char| c.is_ascii_alphabetic()) else { continue };
        if !part[end..].starts_with('m') {
            continue;
        }
        for p in part[..end].split(';') {
            let colour = p.parse::<u32>().is_ok_and(|n| matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107));
            if colour {
                out.push(p.to_string());
            }
        }
    }
    out
}

#[test]
fn each_session_takes_its_locale_and_colour_from_the_client() {
    if skip("the SSH terminal settings test") {
        return;
    }
    let f = Fixture::new();
    let (t, _ssh) = f.session();
    let s = t.screen_with_escapes();
    assert!(t.screen().contains('─'), "UTF-8 by default: box drawing\n{}", t.screen());
    assert!(!colour_codes(&s).is_empty(), "colour by default");
    t.keys(&["C-q"]);
    t.wait_for("ssh to exit", 30, |s| s.contains("SSH_EXIT="));

    // The same key, a client that sends LANG=C and NO_COLOR: ASCII borders, no colour, in its
    // session only.
    let (plain, _ssh) = f.session_with("-o SetEnv='LANG=C NO_COLOR=1'");
    let (fancy, _ssh2) = f.session();
    let s = plain.screen();
    assert!(!s.contains('─') && !s.contains('│'), "LANG=C: ASCII borders\n{s}");
    assert!(s.contains('-') && s.contains('|'), "{s}");
    let codes = colour_codes(&plain.screen_with_escapes());
    assert!(codes.is_empty(), "NO_COLOR: no colour, got SGR {codes:?}");
    assert!(fancy.screen().contains('─'), "the other session keeps its own settings");
}

#[test]
fn failed_logins_are_logged_with_the_fingerprint_and_limited_per_address() {
    if skip("the SSH failed-login test") {
        return;
    }
    let f = Fixture::new();
    let stranger = keygen(f.dir.path(), "stranger");
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(stranger.with_extension("pub"))
        .output()
        .expect("keygen -l");
    let fp = String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).expect("fingerprint").to_string();
    assert!(fp.starts_with("SHA256:"), "{fp}");
    let (code, err) = f.ssh_batch(&stranger);
    assert_eq!(code, 255, "{err}");
    let line = f.server.wait_for_log("the refused login", 30, |l| l.contains("refused") && l.contains(&fp));
    assert!(line.contains("127.0.0.1"), "the source address is logged: {line}");

    // Keep failing: after the limit, connections from this address are dropped before any key
    // is looked at, whatever the key (the limit is per address, not per key).
    let mut refused_by_key = 1;
    let mut dropped = None;
    for _ in 0..40 {
        let (code, err) = f.ssh_batch(&stranger);
        assert_eq!(code, 255, "{err}");
        if err.contains("Permission denied") {
            refused_by_key += 1;
        } else {
            dropped = Some(err);
            break;
        }
    }
    let dropped = dropped.expect("connections from a failing address are eventually dropped");
    assert!(refused_by_key >= 10, "dropped after only {refused_by_key} failures: {dropped}");
    f.server.wait_for_log("the limit being logged", 30, |l| {
        l.contains("failed to log in") && l.contains("127.0.0.1")
    });
    let (code, err) = f.ssh_batch(&f.key);
    assert_eq!(code, 255, "even a registered key is refused from this address for now: {err}");
    assert!(!err.contains("コマンドを実行できません"), "{err}");
    let logged = f.server.log.lock().map(|l| l.iter().filter(|l| l.contains(&fp)).count()).unwrap_or(0);
    assert!(logged <= 2 * refused_by_key, "the log is bounded: {logged} lines for {refused_by_key} failures");
}

/// The SSH port a `madoguchi` process printed to the stderr file `log` ("ssh -p PORT").
fn ssh_port_in(log: &Path, secs: u64) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(port) = text.split("ssh -p ").nth(1).and_then(|r| r.split_whitespace().next()) {
            return port.parse().expect("a port number");
        }
        assert!(Instant::now() < deadline, "no `ssh -p PORT` line within {secs}s:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_embedded_console_serves_ssh_sessions_that_end_with_it() {
    if skip("the embedded --ssh-listen test") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db.sqlite");
    madoguchi(&["seed", "--institutions", "2000"], &db);
    madoguchi(&["operator", "add", "sato"], &db);
    let key = keygen(dir.path(), "sato");
    let pubkey = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    madoguchi(&["operator", "key", "add", "sato", pubkey.trim()], &db);

    // The operator's own console, with the in-process server also listening for SSH.
    let log = dir.path().join("embedded.log");
    let local = Tmux::start(&format!(
        "env LANG=C.UTF-8 TERM=xterm-256color {BIN} --db {} --ssh-listen 127.0.0.1:0 --ssh-host-key {} \
         2>{}; echo LOCAL_EXIT=$?; sleep 60",
        db.display(),
        dir.path().join("host_key").display(),
        log.display()
    ));
    let port = ssh_port_in(&log, 90);
    local.wait_for("the local console's lookup screen", 60, |s| s.contains("検索"));

    // A second operator comes in over SSH and gets a console of their own on the same server.
    let remote = Tmux::start(&format!(
        "env LANG=C.UTF-8 TERM=xterm-256color ssh -t -p {port} -i {} -F /dev/null -o IdentitiesOnly=yes \
         -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile={} \
         -o LogLevel=ERROR anyone@127.0.0.1; echo SSH_EXIT=$?; sleep 60",
        key.display(),
        dir.path().join("known_hosts").display()
    ));
    remote.wait_for("sato's console over SSH", 60, |s| s.contains("検索") && s.contains("sato"));
    remote.type_text("yajima");
    remote.wait_for("a lookup answered over SSH", 30, |s| {
        s.contains("矢嶋") && !s.contains("入力してください")
    });
    // The local console still shows its empty lookup's hint: the sessions are separate consoles.
    let local_screen = local.screen();
    assert!(local_screen.contains("入力してください"), "the sessions are separate consoles:\n{local_screen}");

    // Quitting the local console ends the server, and with it the SSH session, told why.
    local.keys(&["C-q"]);
    let s = local.wait_for("the local console to exit", 30, |s| s.contains("LOCAL_EXIT="));
    assert!(s.contains("LOCAL_EXIT=0"), "{s}");
    remote.wait_for("the SSH session to end with the console", 30, |s| s.contains("SSH_EXIT="));
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// Skips (loudly; never under CI, whose `.ci/run` installs it) without `program`.
fn skip_without(program: &str, package: &str, what: &str) -> bool {
    if skip(what) {
        return true;
    }
    if !have(program, "-V") && !have(program, "--help") {
        assert!(std::env::var_os("CI").is_none(), "CI must run {what}: .ci/run installs {package}");
        eprintln!("SKIPPED: {program} ({package}) is not installed; {what} did not run");
        return true;
    }
    false
}

#[test]
fn r26_putty_plink_walks_a_lookup() {
    if skip_without("plink", "putty-tools", "the PuTTY (plink) test") {
        return;
    }
    let f = Fixture::new();
    // PuTTY reads its own key format: the OpenSSH key converted by puttygen.
    let ppk = f.key.with_extension("ppk");
    let out = Command::new("puttygen")
        .arg(&f.key)
        .args(["-O", "private", "-o"])
        .arg(&ppk)
        .output()
        .expect("puttygen");
    assert!(out.status.success(), "puttygen: {}", String::from_utf8_lossy(&out.stderr));
    let cmd = format!(
        "env TERM=xterm plink -ssh -batch -t -P {} -i {} -hostkey {} anyone@127.0.0.1; echo PLINK_EXIT=$?; sleep 60",
        f.server.ssh_port,
        ppk.display(),
        f.server.host_fingerprint
    );
    let t = Tmux::start(&cmd);
    t.wait_for("the lookup screen over plink", 60, |s| {
        (s.contains("検索") && s.contains("sato")) || s.contains("PLINK_EXIT=")
    });
    t.type_text("yajima");
    t.wait_for("矢嶋歯科医院 over plink", 30, |s| s.contains("矢嶋歯科医院"));
    t.keys(&["C-q"]);
    let s = t.wait_for("plink to exit", 30, |s| s.contains("PLINK_EXIT="));
    assert!(s.contains("PLINK_EXIT=0"), "quitting ends the plink session cleanly:\n{s}");
}

/// A current ssh-audit: `.ci/run` installs a pinned release from PyPI into target/ssh-audit
/// (Debian's 2.5.0 predates strict key exchange and ML-KEM, and flags both as unknown).
fn ssh_audit() -> Option<PathBuf> {
    let pinned = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ssh-audit/bin/ssh-audit");
    pinned.exists().then_some(pinned)
}

#[test]
fn r26_ssh_audit_finds_nothing_to_warn_about() {
    if skip("the ssh-audit test") {
        return;
    }
    let Some(audit) = ssh_audit() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the ssh-audit test: .ci/run installs it");
        eprintln!("SKIPPED: target/ssh-audit is not installed (see .ci/run); the ssh-audit test did not run");
        return;
    };
    let f = Fixture::new();
    let out = Command::new(audit)
        .args(["--no-colors", "-p"])
        .arg(f.server.ssh_port.to_string())
        .arg("127.0.0.1")
        .output()
        .expect("ssh-audit");
    let report = String::from_utf8_lossy(&out.stdout);
    // Nothing flagged but one thing: since ssh-audit 3.4, curve25519 is warned about as not
    // post-quantum. It stays, for Windows' OpenSSH 8.1 and PuTTY 0.76, which speak no ML-KEM
    // hybrid; mlkem768x25519 is offered first, so every client that has it uses it. (Hence
    // the content is checked, not the exit status, which those warnings make 2.)
    let flagged: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("[warn]") || l.contains("[fail]"))
        .filter(|l| !(l.starts_with("(kex) curve25519-sha256") && l.contains("post-quantum")))
        .collect();
    assert!(report.contains("mlkem768x25519-sha256"), "{report}");
    assert!(flagged.is_empty(), "ssh-audit flagged: {flagged:#?}\n{report}");
}

/// Issue 21: a supervisor watches an operator's console over SSH (モニター), read only. A types
/// `yajima`, S (its own SSH session) sees 矢嶋歯科医院 on its copy; A's status bar says it is
/// watched; S's keys never reach A; A disconnects and S is told and returns to the floor; the
/// audit trail has the watch (who, whom, from, to).
#[test]
fn r21_a_supervisor_watches_a_console_read_only() {
    if skip("the SSH watch test") {
        return;
    }
    let f = Fixture::new();
    madoguchi(&["operator", "add", "kudo", "--role", "supervisor"], &f.db);
    let sv_key = keygen(f.dir.path(), "kudo");
    let pubkey = std::fs::read_to_string(sv_key.with_extension("pub")).expect("pub");
    madoguchi(&["operator", "key", "add", "kudo", pubkey.trim()], &f.db);

    let (a, _a_ssh) = f.session();
    let s = Tmux::start(&format!(
        "env LANG=C.UTF-8 TERM=xterm-256color {} -t; echo SSH_EXIT=$?; sleep 60",
        f.ssh_command(&sv_key)
    ));
    s.wait_for("the supervisor's console", 60, |x| x.contains("検索") && x.contains("kudo"));

    // The floor tab: the dashboard, then Tab until フロア shows sato.
    s.keys(&["C-d"]);
    s.wait_for("the dashboard", 30, |x| x.contains("フロア"));
    for _ in 0..3 {
        s.keys(&["Tab"]);
    }
    let floor =
        s.wait_for("sato on the floor", 30, |x| x.contains("フロア（リアルタイム）") && x.contains("sato"));
    let rows: Vec<&str> = floor.lines().collect();
    let target = rows.iter().position(|l| l.contains(" sato ")).expect("sato's row");
    let selected = rows.iter().position(|l| l.contains('▶')).expect("a selected row");
    for _ in selected..target {
        s.keys(&["Down"]);
    }
    s.wait_for("sato selected", 20, |x| x.lines().any(|l| l.contains('▶') && l.contains(" sato ")));
    s.keys(&["Enter"]);
    s.wait_for("the watch screen", 30, |x| x.contains("モニター中: sato"));
    a.wait_for("A's status bar says it is watched", 30, |x| x.contains("モニター中（kudo）"));

    // A types; S's copy shows it.
    a.type_text("yajima");
    a.wait_for("矢嶋歯科医院 on A", 30, |x| x.contains("矢嶋歯科医院"));
    let typed = Instant::now();
    s.wait_for("矢嶋歯科医院 on S's copy", 30, |x| x.contains("矢嶋歯科医院") && x.contains("yajima"));
    eprintln!("S's copy showed A's lookup {} ms after A's screen did", typed.elapsed().as_millis());

    // S's keys go nowhere near A: what S types first never shows on A, what A types next does.
    s.type_text("zzz");
    s.keys(&["F2", "C-o", "Enter"]);
    a.type_text("x");
    let after = a.wait_for("A's own next key", 30, |x| x.contains("yajimax"));
    assert!(!after.contains("zzz") && !after.contains("通話#"), "S's keys reached A:\n{after}");
    s.wait_for("S's copy follows A", 30, |x| x.contains("yajimax"));

    // A disconnects: S is told and is back on the floor.
    a.keys(&["C-q"]);
    a.wait_for("A's ssh to exit", 30, |x| x.contains("SSH_EXIT="));
    let told = s.wait_for("S told the watched console closed", 30, |x| x.contains("接続が切れました"));
    assert!(told.contains("フロア（リアルタイム）"), "back on the floor:\n{told}");

    // The audit trail: who watched whom, from when to when.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = madoguchi(&["audit", "list", "--json"], &f.db);
        let events: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let watch = events.as_array().into_iter().flatten().find(|e| e["action"] == "floor.watch");
        if let Some(w) = watch {
            assert_eq!(w["operator"], "kudo", "{w:#}");
            assert_eq!(w["detail"]["operator"], "sato", "{w:#}");
            assert!(w["detail"]["from"].is_string() && w["detail"]["to"].is_string(), "{w:#}");
            break;
        }
        assert!(Instant::now() < deadline, "no floor.watch event in the audit trail");
        std::thread::sleep(Duration::from_millis(100));
    }
    s.keys(&["C-q"]);
    s.wait_for("S's ssh to exit", 30, |x| x.contains("SSH_EXIT="));
}
