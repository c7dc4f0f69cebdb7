//! `madoguchi bench ssh`: real SSH sessions on loopback against `serve --ssh-listen` (a
//! child process, [`super::ssh_server`]), driven by a russh client in this process through
//! the server's SSH port like any operator's `ssh`: pty 80×24, `LANG=C.UTF-8`, a shell.
//!
//! Phases, each bounded in count and time:
//! 1. one session alone: connect → first frame, connect → first answered lookup (`yajima`
//!    typed, until 矢嶋歯科医院 is on the screen);
//! 2. the other sessions at once (the morning rush): the same two figures for each;
//! 3. all sessions idle: the server's CPU over `idle_seconds` and its resident memory per
//!    session (before the sessions, with them);
//! 4. keystrokes in one session while the others sit idle, then in every session at once:
//!    keystroke → first frame received and → last frame it caused (the answered lookup; a
//!    frame is taken as the last when nothing follows for [`QUIET`]), median and p99.
//!
//! The keys, the frames and the measure are pure and unit-tested here; what is measured is
//! whatever the real server does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{ChannelMsg, ChannelWriteHalf, Disconnect};
use serde::Serialize;
use tokio::sync::mpsc;

use super::query_mix::rss_bytes;
use super::ssh_server::{ServerProcess, cpu_seconds};

/// Silence after a frame that marks it as the last one a keystroke caused.
pub const QUIET: Duration = Duration::from_millis(150);
/// The longest a frame may take before the bench gives up on it.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);
/// What is typed to get the first answered lookup, and what the answer shows.
const FIRST_QUERY: &str = "yajima";
const FIRST_ANSWER: &str = "矢嶋歯科医院";

/// Queries typed in the keystroke phases: romaji and digits key by key, kana and kanji one
/// IME commit per word; each is erased again with Backspace (also measured).
pub(super) const QUERIES: &[&[&str]] = &[
    &["y", "a", "j", "i", "m", "a"],
    &["やしま"],
    &["矢嶋", "歯科"],
    &["s", "a", "k", "a", "t", "a"],
    &["1", "3", "3", "1", "5"],
    &["日本海", "総合"],
    &["h", "i", "r", "a", "m", "a", "t", "s", "u"],
    &["さっぽろ"],
    &["0", "4", "2", "2"],
    &["t", "o", "u", "k", "y", "o", "u"],
    &["杉並区", " ", "や"],
    &["c", "h", "u", "o"],
];

/// How big and how long.
#[derive(Debug, Clone)]
pub struct SshBenchOptions {
    /// Concurrent sessions.
    pub sessions: usize,
    /// Length of the idle phase.
    pub idle_seconds: u64,
    /// Keystrokes typed in the one-session phase (the all-sessions phase types a tenth of it
    /// in each session, at least 5).
    pub keystrokes: usize,
    /// The floor mix at the end, if asked for (see [`super::ssh_floor`]).
    pub floor: Option<FloorMixOptions>,
}

/// The floor mix: who types, who is watched and who watches, for how long.
#[derive(Debug, Clone)]
pub struct FloorMixOptions {
    /// Sessions typing at a person's pace (the watched one included).
    pub typists: usize,
    /// How long the floor mix runs.
    pub seconds: u64,
    /// The watched operator (its own name, so the supervisor can pick it) and its key.
    pub watched: String,
    /// The watched operator's private key.
    pub watched_key: PrivateKey,
    /// A supervisor's key.
    pub supervisor_key: PrivateKey,
}

/// Medians and tails of one measure.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Samples measured.
    pub count: usize,
    /// Median, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// Slowest, in milliseconds.
    pub max_ms: f64,
}

/// Everything `bench ssh` measured.
#[derive(Debug, Clone, Serialize)]
pub struct SshBenchReport {
    /// SSH sessions opened.
    pub sessions: usize,
    /// The server's own startup lines.
    pub server_startup: Vec<String>,
    /// From the server's start to its lookup index holding `institutions`.
    pub index_ready_ms: f64,
    /// Institutions in the server's lookup index.
    pub institutions: u64,
    /// One session alone: connect → first frame (ms).
    pub alone_first_frame_ms: f64,
    /// One session alone: connect → first answered lookup (ms).
    pub alone_first_lookup_ms: f64,
    /// The other sessions connecting at once.
    pub rush_first_frame: Figures,
    /// The rush: connect → first answered lookup, per session.
    pub rush_first_lookup: Figures,
    /// How long every session sat idle (seconds).
    pub idle_seconds: f64,
    /// Server CPU while every session sat idle, in % of one core.
    pub idle_cpu_percent: Option<f64>,
    /// The same server with no session, over as long (its own timers: the change feed, sweeps).
    pub idle_cpu_alone_percent: Option<f64>,
    /// Server resident memory before any session (bytes).
    pub rss_before_bytes: Option<u64>,
    /// Server resident memory with every session open (bytes).
    pub rss_with_sessions_bytes: Option<u64>,
    /// Server resident memory after they closed (bytes).
    pub rss_after_close_bytes: Option<u64>,
    /// Keystrokes in one session (the others idle): to the first frame, to the last.
    pub one_typing_first_frame: Figures,
    /// Keystroke → last frame it caused, one session typing.
    pub one_typing_answer: Figures,
    /// Keystrokes in every session at once.
    pub all_typing_first_frame: Figures,
    /// Keystroke → last frame it caused, every session typing.
    pub all_typing_answer: Figures,
    /// Keystrokes that got no frame within the timeout, and sessions that failed.
    pub missed_frames: usize,
    /// Sessions that failed to connect or broke off.
    pub failed_sessions: usize,
    /// The floor mix, when asked for.
    pub floor: Option<super::ssh_floor::FloorMixReport>,
}

impl Figures {
    /// Nearest-rank percentiles of `samples`.
    pub fn of(mut samples: Vec<Duration>) -> Figures {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let rank = |q: f64| -> f64 {
            if samples.is_empty() {
                return f64::NAN;
            }
            let i = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1;
            ms(samples[i])
        };
        Figures {
            count: samples.len(),
            p50_ms: rank(0.5),
            p99_ms: rank(0.99),
            max_ms: samples.last().map(|d| ms(*d)).unwrap_or(f64::NAN),
        }
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  (n={})",
            self.p50_ms, self.p99_ms, self.max_ms, self.count
        )
    }
}

impl std::fmt::Display for SshBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mb =
            |b: Option<u64>| b.map(|b| format!("{:.1} MB", b as f64 / 1e6)).unwrap_or_else(|| "?".into());
        writeln!(f, "bench ssh: {} sessions over loopback SSH", self.sessions)?;
        for l in &self.server_startup {
            writeln!(f, "  server: {l}")?;
        }
        writeln!(
            f,
            "  index of {} institutions ready {:.0} ms after the server started",
            self.institutions, self.index_ready_ms
        )?;
        writeln!(f, "one session alone: connect → first frame {:.1} ms", self.alone_first_frame_ms)?;
        writeln!(
            f,
            "                   connect → first answered lookup {:.1} ms",
            self.alone_first_lookup_ms
        )?;
        writeln!(
            f,
            "{} sessions at once: connect → first frame  {}",
            self.sessions - 1,
            self.rush_first_frame
        )?;
        writeln!(f, "                    connect → first lookup {}", self.rush_first_lookup)?;
        let cpu =
            self.idle_cpu_percent.map(|c| format!("{c:.2} % of one core")).unwrap_or_else(|| "?".into());
        let alone = self.idle_cpu_alone_percent.map(|c| format!("{c:.2} %")).unwrap_or_else(|| "?".into());
        writeln!(
            f,
            "idle {} sessions for {:.0} s: server CPU {cpu} (with no session: {alone})",
            self.sessions, self.idle_seconds
        )?;
        let per = match (self.rss_before_bytes, self.rss_with_sessions_bytes) {
            (Some(a), Some(b)) if self.sessions > 0 => {
                format!("{:.0} kB per session", (b as f64 - a as f64) / self.sessions as f64 / 1e3)
            }
            _ => "?".into(),
        };
        writeln!(
            f,
            "server RSS: {} before, {} with the sessions ({per}), {} after they closed",
            mb(self.rss_before_bytes),
            mb(self.rss_with_sessions_bytes),
            mb(self.rss_after_close_bytes)
        )?;
        writeln!(f, "keystroke, one session typing: → first frame {}", self.one_typing_first_frame)?;
        writeln!(f, "                               → answer      {}", self.one_typing_answer)?;
        writeln!(f, "keystroke, all typing at once: → first frame {}", self.all_typing_first_frame)?;
        writeln!(f, "                               → answer      {}", self.all_typing_answer)?;
        write!(f, "missed frames {}, failed sessions {}", self.missed_frames, self.failed_sessions)?;
        match &self.floor {
            Some(floor) => write!(f, "\n{floor}"),
            None => Ok(()),
        }
    }
}

/// What one keystroke caused: the first frame and the last, measured from the send.
#[derive(Debug, Clone, Copy, PartialEq)]
struct KeyTiming {
    first: Duration,
    last: Duration,
}

/// The russh client handler: the bench trusts the host key of the server it started.
pub(super) struct Trusting;

impl client::Handler for Trusting {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One open session: its connection, where to type, and the frames as they arrive.
pub(super) struct Session {
    handle: Handle<Trusting>,
    pub(super) write: ChannelWriteHalf<client::Msg>,
    pub(super) frames: mpsc::UnboundedReceiver<(Instant, Vec<u8>)>,
    /// Characters typed into the lookup line (what Backspace must erase).
    typed: usize,
}

/// Connects, logs in with `key`, asks for a pty and a shell; returns the session and the
/// time to its first frame (measured from before the TCP connect).
pub(super) async fn open(addr: &str, key: &Arc<PrivateKey>) -> Result<(Session, Duration), String> {
    let start = Instant::now();
    let config = Arc::new(client::Config { nodelay: true, ..Default::default() });
    let mut handle =
        client::connect(config, addr, Trusting).await.map_err(|e| format!("SSH に接続できません: {e}"))?;
    let auth = handle
        .authenticate_publickey("bench", PrivateKeyWithHashAlg::new(key.clone(), None))
        .await
        .map_err(|e| format!("SSH の認証に失敗しました: {e}"))?;
    if !auth.success() {
        return Err("ベンチ用の鍵が受け付けられませんでした".into());
    }
    let channel = handle.channel_open_session().await.map_err(|e| format!("セッションを開けません: {e}"))?;
    let (mut read, write) = channel.split();
    let fail = |e: russh::Error| format!("端末を要求できません: {e}");
    write.request_pty(false, "xterm-256color", 80, 24, 0, 0, &[]).await.map_err(fail)?;
    write.set_env(false, "LANG", "C.UTF-8").await.map_err(fail)?;
    write.request_shell(false).await.map_err(fail)?;
    let (tx, frames) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(msg) = read.wait().await {
            let gone = match msg {
                ChannelMsg::Data { data } => tx.send((Instant::now(), data.to_vec())).is_err(),
                ChannelMsg::Close | ChannelMsg::Eof => true,
                _ => false,
            };
            if gone {
                return;
            }
        }
    });
    let mut s = Session { handle, write, frames, typed: 0 };
    let first = match tokio::time::timeout(FRAME_TIMEOUT, s.frames.recv()).await {
        Ok(Some((at, _))) => at.duration_since(start),
        _ => return Err("最初の画面が届きませんでした".into()),
    };
    Ok((s, first))
}

impl Session {
    /// Types `text` and waits until the screen text (escape sequences removed) holds
    /// `expect`; returns when that frame arrived.
    async fn type_until(&mut self, text: &str, expect: &str) -> Result<Instant, String> {
        self.write.data(text.as_bytes()).await.map_err(|e| format!("送れません: {e}"))?;
        self.typed += text.chars().count();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + FRAME_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some((at, bytes))) => {
                    seen.extend_from_slice(&bytes);
                    if screen_text(&seen).contains(expect) {
                        return Ok(at);
                    }
                }
                _ => {
                    let text = screen_text(&seen);
                    let tail: String =
                        text.chars().rev().take(200).collect::<Vec<_>>().into_iter().rev().collect();
                    return Err(format!("「{expect}」が画面に出ませんでした（最後に届いた文字: {tail}）"));
                }
            }
        }
    }

    /// Sends one keystroke and times the frames it causes (None: no frame at all).
    async fn keystroke(&mut self, key: &[u8]) -> Result<Option<KeyTiming>, String> {
        // Whatever an earlier key still causes is not this key's.
        while self.frames.try_recv().is_ok() {}
        let sent = Instant::now();
        self.write.data(key).await.map_err(|e| format!("送れません: {e}"))?;
        let first = match tokio::time::timeout(FRAME_TIMEOUT, self.frames.recv()).await {
            Ok(Some((at, _))) => at,
            Ok(None) => return Err("セッションが閉じられました".into()),
            Err(_) => return Ok(None),
        };
        let mut last = first;
        while let Ok(Some((at, _))) = tokio::time::timeout(QUIET, self.frames.recv()).await {
            last = at;
        }
        Ok(Some(KeyTiming { first: first.duration_since(sent), last: last.duration_since(sent) }))
    }

    /// Types `count` keystrokes from [`QUERIES`] (starting at query `offset`), erasing each
    /// query after it; returns the timings and how many keys got no frame.
    async fn type_queries(&mut self, count: usize, offset: usize) -> Result<(Vec<KeyTiming>, usize), String> {
        let keys = keystrokes(count, offset, self.typed);
        let mut timings = Vec::with_capacity(keys.len());
        let mut missed = 0;
        for key in keys {
            if key == BACKSPACE {
                self.typed = self.typed.saturating_sub(1);
            } else {
                self.typed += std::str::from_utf8(&key).map(|s| s.chars().count()).unwrap_or(1);
            }
            match self.keystroke(&key).await? {
                Some(t) => timings.push(t),
                None => missed += 1,
            }
        }
        Ok((timings, missed))
    }

    pub(super) async fn close(self) {
        let _ = self.handle.disconnect(Disconnect::ByApplication, "bench done", "").await;
    }
}

const BACKSPACE: &[u8] = b"\x7f";

/// The keys to send: first Backspaces for what is already in the line, then the queries in
/// turn, each followed by as many Backspaces as it typed characters; `count` keys in all.
fn keystrokes(count: usize, offset: usize, already_typed: usize) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = vec![BACKSPACE.to_vec(); already_typed];
    let mut q = offset;
    while keys.len() < count {
        let query = QUERIES[q % QUERIES.len()];
        q += 1;
        let mut chars = 0;
        for k in query {
            keys.push(k.as_bytes().to_vec());
            chars += k.chars().count();
        }
        keys.extend(std::iter::repeat_n(BACKSPACE.to_vec(), chars));
    }
    keys.truncate(count.max(already_typed));
    keys
}

/// The text of a stream of terminal output with its escape sequences removed (CSI, OSC and
/// two-byte escapes): what a frame wrote, cells in the order it wrote them. Characters in
/// neighbouring cells stay neighbours even when a cursor move sits between them.
pub fn screen_text(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b {
            if bytes[i] >= 0x20 {
                out.push(bytes[i]);
            }
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'[') => {
                i += 2;
                while i < bytes.len() && !(0x40..=0x7e).contains(&bytes[i]) {
                    i += 1;
                }
                i += 1;
            }
            Some(b']') => {
                i += 2;
                while i < bytes.len()
                    && bytes[i] != 0x07
                    && !(bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'\\'))
                {
                    i += 1;
                }
                i += if bytes.get(i) == Some(&0x1b) { 2 } else { 1 };
            }
            _ => i += 2,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A fresh Ed25519 key for the bench operator (in memory only).
pub fn bench_key() -> Result<PrivateKey, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("乱数を得られません: {e}"))?;
    Ok(PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed)))
}

/// The server's CPU over `seconds` of waiting, as a percentage of one core.
async fn idle_cpu(pid: u32, seconds: u64) -> Option<f64> {
    let cpu0 = cpu_seconds(pid);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let waited = start.elapsed().as_secs_f64();
    match (cpu0, cpu_seconds(pid)) {
        (Some(a), Some(b)) if waited > 0.0 => Some((b - a) / waited * 100.0),
        _ => None,
    }
}

/// Runs every phase against `server`, session `i` logging in with `keys[i]` (each registered
/// to an operator of its own, as on a floor: one desk, one operator).
pub async fn run(
    server: &ServerProcess,
    started: Instant,
    keys: Vec<PrivateKey>,
    options: &SshBenchOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SshBenchReport, String> {
    let keys: Vec<Arc<PrivateKey>> = keys.into_iter().map(Arc::new).collect();
    let addr = server.ssh_addr.clone();
    let n = options.sessions.clamp(1, keys.len().max(1));
    let Some(key) = keys.first().cloned() else {
        return Err("ベンチ用の鍵がありません".into());
    };
    // "A running server": its index is built before the first session connects.
    let institutions = server.wait_until_indexed(Duration::from_secs(300)).await?;
    let index_ready = started.elapsed();
    // The server's own idle cost, before any session, over as long as the sessions' idle phase.
    let idle_alone = idle_cpu(server.pid, options.idle_seconds).await;
    // The floor mix's two sessions sign in first, so the watched operator heads the floor's
    // 受付可 rows (longest in state first) where the supervisor's session finds it; both are
    // in before the first memory reading, so the figures per session are the bench's own.
    let floor_sessions = match &options.floor {
        Some(mix) => {
            let watched = open(&addr, &Arc::new(mix.watched_key.clone())).await?.0;
            let sv = open(&addr, &Arc::new(mix.supervisor_key.clone())).await?.0;
            Some((watched, sv))
        }
        None => None,
    };
    let rss_before = rss_bytes(server.pid);

    progress("1 セッションで接続しています…");
    let t0 = Instant::now();
    let (mut first, alone_frame) = open(&addr, &key).await?;
    let answered = first.type_until(FIRST_QUERY, FIRST_ANSWER).await?;
    let alone_lookup = answered.duration_since(t0);

    progress(&format!("残り {} セッションで同時に接続しています…", n - 1));
    let mut tasks = Vec::new();
    for key in keys.iter().take(n).skip(1) {
        let (addr, key) = (addr.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let (mut s, frame) = open(&addr, &key).await?;
            let at = s.type_until(FIRST_QUERY, FIRST_ANSWER).await?;
            Ok::<_, String>((s, frame, at.duration_since(t0)))
        }));
    }
    let (mut sessions, mut frames, mut lookups, mut failed) = (vec![first], Vec::new(), Vec::new(), 0);
    for t in tasks {
        match t.await {
            Ok(Ok((s, frame, lookup))) => {
                sessions.push(s);
                frames.push(frame);
                lookups.push(lookup);
            }
            Ok(Err(e)) => {
                failed += 1;
                progress(&format!("セッションが失敗しました: {e}"));
            }
            Err(e) => {
                failed += 1;
                progress(&format!("セッションが失敗しました: {e}"));
            }
        }
    }

    progress(&format!("{} セッションが {} 秒間待機しています…", sessions.len(), options.idle_seconds));
    // Let the rush's last frames and requests settle before measuring idleness.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_with = rss_bytes(server.pid);
    let idle_start = Instant::now();
    let idle_cpu = idle_cpu(server.pid, options.idle_seconds).await;
    let idle = idle_start.elapsed().as_secs_f64();

    progress(&format!("1 セッションで {} 打鍵しています（ほかは待機）…", options.keystrokes));
    let mut missed = 0;
    let (one, m) = sessions[0].type_queries(options.keystrokes, 0).await?;
    missed += m;

    let per = (options.keystrokes / 10).max(5);
    progress(&format!("{} セッションで同時に {per} 打鍵ずつしています…", sessions.len()));
    let mut typing = Vec::new();
    for (i, mut s) in sessions.into_iter().enumerate() {
        typing.push(tokio::spawn(async move {
            let r = s.type_queries(per, i).await;
            (s, r)
        }));
    }
    let (mut sessions, mut all) = (Vec::new(), Vec::new());
    for t in typing {
        match t.await {
            Ok((s, Ok((timings, m)))) => {
                all.extend(timings);
                missed += m;
                sessions.push(s);
            }
            Ok((s, Err(e))) => {
                failed += 1;
                progress(&format!("打鍵中にセッションが失敗しました: {e}"));
                sessions.push(s);
            }
            Err(e) => {
                failed += 1;
                progress(&format!("打鍵中にセッションが失敗しました: {e}"));
            }
        }
    }

    let open_sessions = sessions.len();
    let mut floor = None;
    if let (Some(mix), Some((watched, sv))) = (&options.floor, floor_sessions) {
        progress(&format!(
            "フロア: {} セッションが人の速さで {} 秒打鍵し、監督者が1人をモニターしています…",
            mix.typists, mix.seconds
        ));
        let (report, back) =
            super::ssh_floor::run(sessions, watched, &mix.watched, sv, mix.typists, mix.seconds).await;
        sessions = back;
        floor = Some(report);
    }
    for s in sessions {
        s.close().await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_bytes(server.pid);

    let firsts = |t: &[KeyTiming]| Figures::of(t.iter().map(|k| k.first).collect());
    let lasts = |t: &[KeyTiming]| Figures::of(t.iter().map(|k| k.last).collect());
    Ok(SshBenchReport {
        sessions: open_sessions,
        server_startup: server.startup.clone(),
        index_ready_ms: index_ready.as_secs_f64() * 1e3,
        institutions,
        alone_first_frame_ms: alone_frame.as_secs_f64() * 1e3,
        alone_first_lookup_ms: alone_lookup.as_secs_f64() * 1e3,
        rush_first_frame: Figures::of(frames),
        rush_first_lookup: Figures::of(lookups),
        idle_seconds: idle,
        idle_cpu_percent: idle_cpu,
        idle_cpu_alone_percent: idle_alone,
        rss_before_bytes: rss_before,
        rss_with_sessions_bytes: rss_with,
        rss_after_close_bytes: rss_after,
        one_typing_first_frame: firsts(&one),
        one_typing_answer: lasts(&one),
        all_typing_first_frame: firsts(&all),
        all_typing_answer: lasts(&all),
        missed_frames: missed,
        failed_sessions: failed,
        floor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_text_drops_escapes_and_joins_cells_across_cursor_moves() {
        let frame =
            "\x1b[?1049h\x1b[H\x1b[2J\x1b[6;3H\x1b[38;5;2m矢\x1b[6;5H嶋\x1b[0m歯科医院\x1b]52;c;eA==\x07!";
        assert_eq!(screen_text(frame.as_bytes()), "矢嶋歯科医院!");
        assert_eq!(screen_text(b"a\x1b]0;title\x1b\\b\x1b7c"), "abc");
        assert_eq!(screen_text(b"cut \x1b[3"), "cut ");
    }

    #[test]
    fn keystrokes_erase_what_each_query_typed_and_stop_at_the_count() {
        let keys = keystrokes(9, 1, 2);
        let text: Vec<String> = keys.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect();
        assert_eq!(text, ["\x7f", "\x7f", "やしま", "\x7f", "\x7f", "\x7f", "矢嶋", "歯科", "\x7f"]);
        assert_eq!(keystrokes(0, 0, 0).len(), 0);
        // Every query is erased as far as it typed.
        let all = keystrokes(1000, 0, 0);
        let typed: isize = all
            .iter()
            .map(|k| if k == BACKSPACE { -1 } else { String::from_utf8_lossy(k).chars().count() as isize })
            .sum();
        assert!((0..=12).contains(&typed), "{typed}");
    }

    #[test]
    fn figures_are_nearest_rank() {
        let f = Figures::of((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(f.count, 100);
        assert!((f.p50_ms - 50.0).abs() < 1e-9);
        assert!((f.p99_ms - 99.0).abs() < 1e-9);
        assert!((f.max_ms - 100.0).abs() < 1e-9);
        assert!(Figures::of(Vec::new()).p50_ms.is_nan());
    }
}
