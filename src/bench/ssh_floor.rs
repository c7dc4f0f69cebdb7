//! The floor mix of `madoguchi bench ssh --typists N`: while every session of the bench sits
//! open, N of them type at a person's pace (a key every 150–300 ms, a name's words as IME
//! commits), one of those (`bench-watched`, its own operator) is watched by a supervisor's
//! session (`bench-sv`: dashboard → フロア → Enter on it, as a supervisor would). Measured:
//! keystroke → first frame at the typists, and how far the watcher's copy is behind the watched
//! typist's own frame.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ssh::{Figures, QUERIES, Session, screen_text};

/// Keys the supervisor's console understands (the default keymap).
const CTRL_D: &[u8] = b"\x04";
const TAB: &[u8] = b"\t";
const ENTER: &[u8] = b"\r";

/// What the floor mix measured.
#[derive(Debug, Clone, Serialize)]
pub struct FloorMixReport {
    pub typists: usize,
    pub seconds: f64,
    /// Keystroke → first frame at the typing operators' clients (the watched one included).
    pub typing_first_frame: Figures,
    /// The watcher's frame after the watched typist's own frame, per keystroke of the latter.
    pub watcher_lag: Figures,
    pub missed_frames: usize,
    /// Why the watch could not be set up, if it could not.
    pub watch_problem: Option<String>,
}

impl std::fmt::Display for FloorMixReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "floor mix: {} typing at a person's pace for {:.0} s, one watched by a supervisor",
            self.typists, self.seconds
        )?;
        writeln!(f, "  keystroke → first frame at the typists {}", self.typing_first_frame)?;
        writeln!(f, "  watcher's copy behind the watched typist {}", self.watcher_lag)?;
        match &self.watch_problem {
            Some(p) => write!(f, "  watch not set up: {p}"),
            None => write!(f, "  missed frames {}", self.missed_frames),
        }
    }
}

/// A small deterministic generator for the typing pace (no need for a crate).
struct Pace(u64);

impl Pace {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo + 1)
    }
}

/// Reads frames until their text holds `want` (or the deadline passes).
async fn wait_text(s: &mut Session, want: &str, within: Duration) -> Result<(), String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.frames.recv()).await {
            Ok(Some((_, bytes))) => {
                seen.extend_from_slice(&bytes);
                if screen_text(&seen).contains(want) {
                    return Ok(());
                }
            }
            _ => return Err(format!("監督者の画面に「{want}」が出ませんでした")),
        }
    }
}

/// The supervisor's session: dashboard, the floor tab, the watched operator's row, Enter.
async fn start_watch(sv: &mut Session, watched: &str) -> Result<(), String> {
    async fn send(s: &Session, k: &[u8]) -> Result<(), String> {
        s.write.data(k).await.map_err(|e| format!("送れません: {e}"))
    }
    send(sv, CTRL_D).await?;
    wait_text(sv, "フロア", Duration::from_secs(10)).await?;
    for _ in 0..3 {
        send(sv, TAB).await?;
    }
    wait_text(sv, watched, Duration::from_secs(10)).await?;
    // Rows by state, then time in state: the watched operator signed in first (see
    // `ssh::run`), so it is the first row, where the selection starts.
    send(sv, ENTER).await?;
    wait_text(sv, &format!("モニター中: {watched}"), Duration::from_secs(10)).await
}

/// One typist: keys at a person's pace until `until`; (sent, first frame) of each key.
async fn type_like_a_person(
    s: &mut Session,
    seed: u64,
    until: Instant,
) -> Result<(Vec<(Instant, Instant)>, usize), String> {
    let mut pace = Pace(seed | 1);
    let mut out = Vec::new();
    let mut missed = 0;
    let mut q = seed as usize;
    while Instant::now() < until {
        let query = QUERIES[q % QUERIES.len()];
        q += 1;
        let mut keys: Vec<&[u8]> = query.iter().map(|k| k.as_bytes()).collect();
        let typed: usize = query.iter().map(|k| k.chars().count()).sum();
        keys.extend(std::iter::repeat_n(&b"\x7f"[..], typed));
        for key in keys {
            while s.frames.try_recv().is_ok() {}
            let sent = Instant::now();
            s.write.data(key).await.map_err(|e| format!("送れません: {e}"))?;
            match tokio::time::timeout(Duration::from_secs(10), s.frames.recv()).await {
                Ok(Some((at, _))) => out.push((sent, at)),
                Ok(None) => return Err("セッションが閉じられました".into()),
                Err(_) => missed += 1,
            }
            let next = sent + Duration::from_millis(pace.next_ms(150, 300));
            tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
        }
    }
    Ok((out, missed))
}

/// Runs the mix: `typists` of `sessions` and the `watched` session type for `seconds` while
/// `sv` watches `watched_name`.
pub(super) async fn run(
    mut sessions: Vec<Session>,
    mut watched: Session,
    watched_name: &str,
    mut sv: Session,
    typists: usize,
    seconds: u64,
) -> (FloorMixReport, Vec<Session>) {
    let watch_problem = start_watch(&mut sv, watched_name).await.err();
    // The watcher's frames, as they arrive, for the whole phase.
    let seen: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::new()));
    let mut frames = std::mem::replace(&mut sv.frames, tokio::sync::mpsc::unbounded_channel().1);
    let collector = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some((at, _)) = frames.recv().await {
                if let Ok(mut s) = seen.lock() {
                    s.push(at);
                }
            }
        })
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let others = typists.saturating_sub(1).min(sessions.len());
    let mut rest = sessions.split_off(others);
    let mut tasks = Vec::new();
    // The typing sessions go to their tasks and come back with their timings.
    for (i, mut s) in sessions.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let r = type_like_a_person(&mut s, 0x9e37_79b9 + i as u64 * 7919, until).await;
            (s, r)
        }));
    }
    let watched_r = type_like_a_person(&mut watched, 0x5eed, until).await;
    let mut firsts = Vec::new();
    let mut missed = 0;
    for t in tasks {
        if let Ok((s, r)) = t.await {
            if let Ok((keys, m)) = r {
                firsts.extend(keys.iter().map(|(sent, at)| at.duration_since(*sent)));
                missed += m;
            }
            rest.push(s);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    collector.abort();
    let watcher: Vec<Instant> = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut lags = Vec::new();
    if let Ok((keys, m)) = &watched_r {
        missed += m;
        firsts.extend(keys.iter().map(|(sent, at)| at.duration_since(*sent)));
        if watch_problem.is_none() {
            lags = watcher_lags(keys, &watcher);
        }
    }
    rest.push(watched);
    rest.push(sv);
    let report = FloorMixReport {
        typists: others + 1,
        seconds,
        typing_first_frame: Figures::of(firsts),
        watcher_lag: Figures::of(lags),
        missed_frames: missed,
        watch_problem,
    };
    (report, rest)
}

/// For each of the watched typist's keystrokes (sent, its first frame), how far behind that
/// frame the watcher's first frame after the keystroke came (zero when it came first; none
/// before the next keystroke: not counted).
fn watcher_lags(keys: &[(Instant, Instant)], watcher: &[Instant]) -> Vec<Duration> {
    let mut out = Vec::new();
    for (i, (sent, frame)) in keys.iter().enumerate() {
        let next_key = keys.get(i + 1).map(|(s, _)| *s);
        if let Some(w) = watcher.iter().find(|w| **w >= *sent)
            && next_key.is_none_or(|n| *w < n)
        {
            out.push(w.saturating_duration_since(*frame));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_stays_within_a_persons() {
        let mut p = Pace(42);
        for _ in 0..1000 {
            let ms = p.next_ms(150, 300);
            assert!((150..=300).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn lags_are_measured_from_the_watched_frame() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let keys = vec![(ms(0), ms(5)), (ms(200), ms(206)), (ms(400), ms(404))];
        let watcher = vec![ms(9), ms(215), ms(402)];
        let lags = watcher_lags(&keys, &watcher);
        // The third: the watcher's frame came before the typist's own (no lag).
        assert_eq!(lags, vec![Duration::from_millis(4), Duration::from_millis(9), Duration::ZERO]);
    }
}
