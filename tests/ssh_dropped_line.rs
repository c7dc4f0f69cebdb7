//! A console whose line drops must end, promptly and cheaply, with nothing half done.
//!
//! The console runs in tmux under `sh -c 'trap "" HUP; …'` (as under `nohup`, `screen` or an
//! SSH setup that keeps SIGHUP from the child): killing the tmux session takes the terminal
//! away without any signal reaching the console, which must see the end of its input and
//! exit within 1 s, using only a few CPU ticks meanwhile (it used to spin on the dead tty).
//! SIGTERM must end it as promptly. Either way the exit status is non-zero, and a change
//! sent at that moment is on the server once or not at all. Skipped, loudly, without tmux.
//! Waits for screens are generous (a loaded machine); only the exit has the 1 s bound.

mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tmux::{Tmux, have_tmux, wait_for_child, watch_exit};

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");
/// 矢嶋歯科医院, one of the seed notice's institutions that every demo database has.
const YAJIMA: &str = "1331500016";
/// The one bound that matters: from the terminal's end (or the signal) to the process gone.
const EXIT_WITHIN: Duration = Duration::from_secs(1);
/// CPU the console may use while leaving (clock ticks, 1/100 s): a few, not a spinning core.
const EXIT_TICKS: u64 = 30;

fn seeded_db(dir: &Path) -> PathBuf {
    let db = dir.join("db.sqlite");
    let out = Command::new(BIN)
        .args(["seed", "--db"])
        .arg(&db)
        .args(["--institutions", "2000"])
        .output()
        .expect("run madoguchi seed");
    assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
    db
}

/// The console under a shell that ignores SIGHUP and writes the console's exit status to
/// `exit_file` once it has ended.
fn start_console(db: &Path, exit_file: &Path) -> (Tmux, u32) {
    let cmd = format!(
        "sh -c 'trap \"\" HUP; env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color {BIN} --db {} --as-of 2021-07-15; echo $? > {}'",
        db.display(),
        exit_file.display()
    );
    let t = Tmux::start(&cmd);
    let shell = t.pane_pid().expect("pane pid");
    let console = wait_for_child(shell, "madoguchi", 30);
    t.wait_for("the lookup screen", 60, |s| s.contains("検索") && s.contains("embedded"));
    (t, console)
}

/// Opens 矢嶋歯科医院 and its change dialog with the models loaded.
fn open_change_dialog(t: &Tmux) {
    t.type_text(YAJIMA);
    t.wait_for("矢嶋歯科医院 in the results", 30, |s| {
        s.lines().any(|l| l.contains('▶') && l.contains("矢嶋歯科医院"))
    });
    t.keys(&["Enter"]);
    t.wait_for("the institution screen", 30, |s| s.contains("医療機関 ") && s.contains("杉並区"));
    t.keys(&["F4"]);
    t.wait_for("the change dialog with models", 30, |s| {
        s.contains("カードリーダー申込の変更") && s.contains("機種") && !s.contains("読み込み中")
    });
}

/// Fills the dialog (a model, the caller, the verification) up to the confirmation.
fn fill_to_confirmation(t: &Tmux) {
    t.keys(&["Down", "Tab"]);
    t.type_text("矢嶋花子");
    t.wait_for("the caller name", 20, |s| s.contains("矢嶋花子"));
    t.keys(&["Tab", "Tab", "Down"]);
    t.wait_for("a verification chosen", 20, |s| s.contains("(*)"));
    t.keys(&["Enter"]);
    t.wait_for("the confirmation", 20, |s| s.contains("この内容で変更します"));
}

fn exit_status(file: &Path) -> i32 {
    // The shell writes it right after the console ends; give it a moment on a busy machine.
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(file)
            && let Ok(code) = s.trim().parse()
        {
            return code;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the shell never wrote the console's exit status to {}", file.display());
}

fn cli_json(db: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN).args(args).arg("--json").arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// (reader status of 矢嶋歯科医院, number of its audit events), and the chain is intact.
fn yajima_state(db: &Path) -> (String, usize) {
    let verify = cli_json(db, &["audit", "verify"]);
    assert_eq!(verify["ok"], true, "{verify:#}");
    let show = cli_json(db, &["show", YAJIMA]);
    let status = show["reader_application"]["status"].as_str().unwrap_or("").to_string();
    let events = cli_json(db, &["audit", "list", "--code", YAJIMA]);
    (status, events.as_array().map_or(0, Vec::len))
}

fn assert_prompt_cheap_exit(console: u32, what: &str) {
    let (took, ticks) = watch_exit(console, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the console was still running 20 s after {what}"));
    eprintln!("{what}: console gone after {} ms, {ticks} CPU ticks", took.as_millis());
    assert!(took <= EXIT_WITHIN, "the console took {took:?} to end after {what}");
    assert!(ticks <= EXIT_TICKS, "the console used {ticks} ticks of CPU while ending after {what}");
}

#[test]
fn killing_the_terminal_ends_the_console_even_with_sighup_ignored() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed; the dropped-terminal test did not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path());
    let before = yajima_state(&db);
    let exit_file = dir.path().join("exit");
    let (t, console) = start_console(&db, &exit_file);
    open_change_dialog(&t);
    fill_to_confirmation(&t);
    // Commit and drop the line at once: the change is in flight, or not yet sent.
    t.keys(&["Enter"]);
    t.kill_session();
    assert_prompt_cheap_exit(console, "the tmux session was killed");
    assert_ne!(exit_status(&exit_file), 0, "a console that lost its terminal must exit non-zero");
    let after = yajima_state(&db);
    let unchanged = after == before;
    let changed_once = after.0 == "selected" && after.1 == before.1 + 1;
    assert!(
        unchanged || changed_once,
        "before {before:?}, after {after:?}: neither untouched nor changed once"
    );
    eprintln!("after the drop: {}", if unchanged { "not changed" } else { "changed once" });
}

#[test]
fn sigterm_ends_the_console_with_a_dialog_open() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed; the SIGTERM test did not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path());
    let before = yajima_state(&db);
    let exit_file = dir.path().join("exit");
    let (_t, console) = start_console(&db, &exit_file);
    open_change_dialog(&_t);
    // SAFETY: kill(2) on a pid we just found as our child's child; no memory involved.
    let sent = unsafe { libc::kill(console as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0, "kill -TERM {console}");
    assert_prompt_cheap_exit(console, "SIGTERM");
    assert_ne!(exit_status(&exit_file), 0, "a console stopped by SIGTERM must exit non-zero");
    assert_eq!(yajima_state(&db), before, "an unsent dialog changed nothing");
}
