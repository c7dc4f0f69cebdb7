//! The server under test of `bench ssh`: `madoguchi serve --ssh-listen` over the bench's
//! database, started as a child process of this binary on loopback ports of its own choosing,
//! so its CPU time and resident memory (read from `/proc/PID/…`) are the server's alone.
//! Stopped (SIGTERM, then kill) when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to open the database and build its index.
const STARTUP: Duration = Duration::from_secs(300);

/// A running `madoguchi serve --ssh-listen` child.
pub struct ServerProcess {
    child: Child,
    pub pid: u32,
    /// `127.0.0.1:PORT` of its SSH front door, and `http://127.0.0.1:PORT` of its API.
    pub ssh_addr: String,
    pub api: String,
    /// Its startup lines (institutions, index size), for the report.
    pub startup: Vec<String>,
}

impl ServerProcess {
    /// Starts the server over `db` with its host key at `host_key`, and waits until it
    /// listens (its index is built by then). `desks`: how many SSH clients the bench opens at
    /// once; they all come from 127.0.0.1, so the door lets that one address have as many
    /// handshakes at once as that many desks would (its default is 16 per address).
    pub fn start(
        db: &str,
        host_key: &Path,
        as_of: Option<&str>,
        desks: usize,
    ) -> Result<ServerProcess, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("この実行ファイルの場所がわかりません: {e}"))?;
        let mut command = Command::new(exe);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0", "--db", db])
            .arg("--ssh-host-key")
            .arg(host_key);
        if let Some(d) = as_of {
            command.args(["--as-of", d]);
        }
        let desks = desks.max(16).to_string();
        command.args(["--ssh-max-unauthenticated", &desks, "--ssh-max-unauthenticated-per-address", &desks]);
        let mut child = command
            .env("MADOGUCHI_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("madoguchi serve を起動できません: {e}"))?;
        let pid = child.id();
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            return Err("madoguchi serve の出力を読めません".into());
        };
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    // Nobody listens any more: keep draining so the server never blocks.
                    continue;
                }
            }
        });
        let mut server =
            ServerProcess { child, pid, ssh_addr: String::new(), api: String::new(), startup: Vec::new() };
        let deadline = Instant::now() + STARTUP;
        while server.ssh_addr.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).map_err(|_| {
                format!(
                    "madoguchi serve が {} s 以内に起動しませんでした: {}",
                    STARTUP.as_secs(),
                    server.startup.join(" / ")
                )
            })?;
            if let Some(port) = line.split("ssh -p ").nth(1).and_then(|r| r.split_whitespace().next()) {
                server.ssh_addr = format!("127.0.0.1:{port}");
            }
            if let Some(addr) = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()) {
                server.api = format!("http://{addr}");
            }
            server.startup.push(line);
        }
        // Later lines (warnings) are read and dropped by the thread above.
        drop(rx);
        Ok(server)
    }

    /// Waits (at most `within`) until the server's lookup index holds its institutions (it
    /// is built in the background after start; `GET /healthz` counts what it holds).
    pub async fn wait_until_indexed(&self, within: Duration) -> Result<u64, String> {
        #[derive(serde::Deserialize)]
        struct Health {
            institutions: u64,
        }
        let deadline = Instant::now() + within;
        let url = format!("{}/healthz", self.api);
        loop {
            if let Ok(r) = reqwest::get(&url).await
                && let Ok(h) = r.json::<Health>().await
                && h.institutions > 0
            {
                return Ok(h.institutions);
            }
            if Instant::now() > deadline {
                return Err(format!("索引が {} s 以内にできませんでした", within.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, then up to 10 s for it to finish, then kill.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: kill(2) on our own child process.
        unsafe { libc::kill(self.pid as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// CPU time (user + system) of process `pid` in seconds, from `/proc/PID/stat` (Linux).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = parse_stat_ticks(&stat)?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (per_second > 0).then(|| ticks as f64 / per_second as f64)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line; the command name in
/// parentheses may itself hold spaces and parentheses.
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// A scratch folder for the bench's host key, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("madoguchi-bench-ssh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{} を作れません: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_past_a_command_name_with_spaces() {
        let stat = "4242 (madoguchi (x) y) S 1 2 3 4 5 6 7 8 9 10 120 30 0 0 20 0 4 0 100";
        assert_eq!(parse_stat_ticks(stat), Some(150));
        assert_eq!(parse_stat_ticks("garbage"), None);
        assert!(cpu_seconds(std::process::id()).is_some_and(|s| s >= 0.0));
    }
}
