//! End to end through a real terminal (tmux, 80×24): the console on a small seeded database,
//! a romaji query, the institution, the change dialog, the receipt — and the change checked
//! through the CLI. Skipped, loudly, when tmux is not installed.
//!
//! Also `console_idle_cpu_and_rss` (ignored; `cargo test --release --test tui_tmux -- --ignored
//! --nocapture`): the console's idle CPU and RSS measured from /proc.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

mod tmux;

use tmux::{Tmux, have_tmux};

fn seeded_db(dir: &Path, n: usize) -> PathBuf {
    let db = dir.join("db.sqlite");
    let out = Command::new(BIN)
        .args(["seed", "--db"])
        .arg(&db)
        .args(["--institutions", &n.to_string()])
        .output()
        .expect("run madoguchi seed");
    assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    db
}

fn console_command(db: &Path) -> String {
    format!(
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color NO_COLOR= {} --db '{}' --as-of 2021-07-15",
        BIN,
        db.display()
    )
}

/// The lookup row index (0 = the first result) of the line containing `name`, and of the
/// selected row (marked with ▶).
fn row_of(screen: &str, name: &str) -> Option<(usize, usize)> {
    let rows: Vec<&str> = screen.lines().skip(5).collect();
    let target = rows.iter().position(|l| l.contains(name))?;
    let selected = rows.iter().position(|l| l.contains('▶'))?;
    Some((target, selected))
}

#[test]
fn r4_lookup_open_change_receipt_through_tmux() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed; the end-to-end console test did not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path(), 3000);
    let t = Tmux::start(&console_command(&db));
    t.wait_for("the lookup screen", 30, |s| s.contains("検索") && s.contains("embedded"));

    t.type_text("yajima");
    let s = t.wait_for("矢嶋歯科医院 in the results", 20, |s| s.contains("矢嶋歯科医院"));
    let (target, selected) = row_of(&s, "矢嶋歯科医院").expect("rows");
    for _ in selected..target {
        t.keys(&["Down"]);
    }
    t.wait_for("矢嶋歯科医院 selected", 5, |s| {
        s.lines().any(|l| l.contains('▶') && l.contains("矢嶋歯科医院"))
    });
    t.keys(&["Enter"]);
    let s = t.wait_for("the institution screen", 20, |s| s.contains("医療機関 ") && s.contains("杉並区"));
    let code: String = s
        .lines()
        .find_map(|l| l.split("医療機関 ").nth(1))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_digit()).collect())
        .expect("code in the header");
    assert_eq!(code.len(), 10, "code {code:?} in\n{s}");

    t.keys(&["F4"]);
    let s = t.wait_for("the change dialog with models", 20, |s| {
        s.contains("カードリーダー申込の変更") && s.contains("機種") && !s.contains("読み込み中")
    });
    // Choose the second model of the list.
    t.keys(&["Down"]);
    let s2 = t.wait_for("the model selection to move", 5, |x| x != s);
    let chosen = s2
        .lines()
        .find(|l| l.contains('▶'))
        .map(|l| l.split('▶').nth(1).unwrap_or("").trim().trim_end_matches('│').trim().to_string())
        .expect("a chosen model");
    t.keys(&["Tab"]);
    t.type_text("矢嶋花子");
    t.wait_for("the caller name", 5, |s| s.contains("矢嶋花子"));
    t.keys(&["Tab", "Tab", "Down"]);
    t.wait_for("a verification chosen", 5, |s| s.contains("(*)"));
    t.keys(&["Enter"]);
    t.wait_for("the confirmation", 10, |s| s.contains("この内容で変更します"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the receipt", 20, |s| s.contains("受付番号:"));
    let receipt = s
        .lines()
        .find_map(|l| l.split("受付番号: ").nth(1))
        .map(|r| r.split_whitespace().next().unwrap_or("").trim_end_matches('│').to_string())
        .expect("receipt number");
    assert!(!receipt.is_empty(), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("the institution again", 10, |s| !s.contains("カードリーダー申込の変更"));
    t.keys(&["C-q"]);
    std::thread::sleep(Duration::from_millis(500));

    let out = Command::new(BIN).args(["show", &code, "--json", "--db"]).arg(&db).output().expect("show");
    assert!(out.status.success(), "show failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ra = &v["reader_application"];
    assert_eq!(ra["status"], "selected", "{v:#}");
    let model = &ra["model"];
    let label = format!("{} {}", model["maker"].as_str().unwrap_or(""), model["name"].as_str().unwrap_or(""));
    assert!(chosen.starts_with(&label), "chose {chosen:?}, server has {label:?} ({v:#})");
    eprintln!("changed {code} to {label}, receipt {receipt}");
}

/// Reads utime+stime (clock ticks) and VmRSS (kB) of `pid`.
fn cpu_and_rss(pid: u32) -> Option<(u64, u64)> {
    Some((tmux::cpu_ticks(pid)?, tmux::rss_kb(pid)?))
}

#[test]
#[ignore = "measurement: cargo test --release --test tui_tmux -- --ignored --nocapture"]
fn console_idle_cpu_and_rss() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let n: usize =
        std::env::var("MADOGUCHI_BENCH_INSTITUTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let db = match std::env::var("MADOGUCHI_BENCH_DB") {
        Ok(p) => PathBuf::from(p),
        Err(_) => seeded_db(dir.path(), n),
    };
    let started = Instant::now();
    // exec so the pane's pid is the console itself
    let t = Tmux::start(&format!("exec {}", console_command(&db)));
    t.wait_for("the first frame", 120, |s| s.contains("検索") && s.contains("embedded"));
    let first_frame = started.elapsed();
    let pid = t.pane_pid().expect("pane pid");
    std::thread::sleep(Duration::from_secs(2));
    let (c0, _) = cpu_and_rss(pid).expect("proc");
    let idle = Duration::from_secs(10);
    std::thread::sleep(idle);
    let (c1, rss) = cpu_and_rss(pid).expect("proc");
    let hz = 100.0;
    let cpu_pct = (c1 - c0) as f64 / hz / idle.as_secs_f64() * 100.0;
    t.type_text("yajima");
    t.wait_for("results", 20, |s| s.contains("矢嶋"));
    let (_, rss_after) = cpu_and_rss(pid).expect("proc");
    eprintln!(
        "console (embedded server in-process): first frame {:.0} ms (process start → lookup screen in tmux), \
         idle CPU {cpu_pct:.2}% over {}s, RSS idle {} MB, after a lookup {} MB",
        first_frame.as_secs_f64() * 1000.0,
        idle.as_secs(),
        rss / 1024,
        rss_after / 1024
    );
    t.keys(&["C-q"]);
}
