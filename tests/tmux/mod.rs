//! A tmux server of the test's own (its own socket, killed on drop) to run the console or an
//! SSH client in a real terminal: type, read the screen, resize, kill. Plus /proc readers for
//! the processes it runs. Shared by the `ssh_*` tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The shell command running the console over `db` on the demo business date in a UTF-8,
/// 256-colour terminal, with `extra` options after it.
pub fn console_command(db: &Path, extra: &str) -> String {
    format!(
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color NO_COLOR= {} --db '{}' --as-of 2021-07-15 {extra}",
        env!("CARGO_BIN_EXE_madoguchi"),
        db.display()
    )
}

/// A demo database of `n` institutions in `dir` (`madoguchi seed`), for a console to open.
pub fn seeded_db(dir: &Path, n: usize) -> PathBuf {
    let db = dir.join("db.sqlite");
    let out = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["seed", "--db"])
        .arg(&db)
        .args(["--institutions", &n.to_string()])
        .output()
        .expect("run madoguchi seed");
    assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    db
}

pub fn have(program: &str, arg: &str) -> bool {
    Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success() || !o.stderr.is_empty())
}

pub fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// One tmux server of our own.
pub struct Tmux {
    pub socket: String,
}

fn unique() -> String {
    let t =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{}", std::process::id(), t % 1_000_000_007)
}

impl Tmux {
    /// Starts `command` in an 80×24 window of a new tmux server.
    pub fn start(command: &str) -> Tmux {
        let t = Tmux { socket: format!("madoguchi-test-{}", unique()) };
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "-s",
                "main",
            ])
            .arg(command)
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("run tmux")
    }

    /// Sends keys by tmux name (`Enter`, `F4`, `C-q`, `Down`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success());
    }

    /// Types text literally (like an IME commit: a burst of characters).
    pub fn type_text(&self, text: &str) {
        assert!(self.tmux(&["send-keys", "-t", "main", "-l", text]).status.success());
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "main"]).stdout).into_owned()
    }

    /// The screen with its colours and attributes as escape sequences (`capture-pane -e`).
    pub fn screen_with_escapes(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-e", "-p", "-t", "main"]).stdout).into_owned()
    }

    pub fn resize(&self, w: u16, h: u16) {
        let out = self.tmux(&["resize-window", "-t", "main", "-x", &w.to_string(), "-y", &h.to_string()]);
        assert!(out.status.success(), "resize-window: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn pane_pid(&self) -> Option<u32> {
        String::from_utf8_lossy(&self.tmux(&["display-message", "-p", "-t", "main", "#{pane_pid}"]).stdout)
            .trim()
            .parse()
            .ok()
    }

    /// Kills the session (the terminal goes away under whatever runs in it).
    pub fn kill_session(&self) {
        let _ = self.tmux(&["kill-session", "-t", "main"]);
    }

    /// Waits until the screen satisfies `pred`; panics with the last screen after `secs`.
    pub fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs}s waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// utime+stime of `pid` in clock ticks, or None once it is gone (or a zombie).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit(')').next()?;
    let f: Vec<&str> = after.split_whitespace().collect();
    if f.first() == Some(&"Z") {
        return None;
    }
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// VmRSS of `pid` in kB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// The children of `pid` whose command line contains `needle`.
pub fn children_named(pid: u32, needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for e in dir.flatten() {
        let Some(child) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        let ppid =
            stat.rsplit(')').next().and_then(|a| a.split_whitespace().nth(1)).and_then(|p| p.parse().ok());
        if ppid != Some(pid) {
            continue;
        }
        let cmd = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmd).contains(needle) {
            out.push(child);
        }
    }
    out
}

/// Waits (generously) for a child of `pid` named `needle`.
pub fn wait_for_child(pid: u32, needle: &str, secs: u64) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(&c) = children_named(pid, needle).first() {
            return c;
        }
        assert!(Instant::now() < deadline, "no child {needle} of {pid} after {secs}s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Watches `pid` until it is gone; returns how long that took and the CPU ticks it used
/// meanwhile (from the last reading before it went), or None if it outlived `limit`.
pub fn watch_exit(pid: u32, limit: Duration) -> Option<(Duration, u64)> {
    let start = Instant::now();
    let first = cpu_ticks(pid).unwrap_or(0);
    let mut last = first;
    while start.elapsed() < limit {
        match cpu_ticks(pid) {
            Some(t) => last = t,
            None => return Some((start.elapsed(), last - first)),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}
