//! 架電キャンペーン end to end through a real terminal (tmux, 80×24; issue 25): a supervisor
//! makes a campaign with the CLI, an operator's console takes the next member with one key
//! (Ctrl-E) and its institution opens with the number to dial, Ctrl-X picks 担当者不在 and
//! records it — and the attempt is read back through the CLI's export. Skipped, loudly, when
//! tmux is not installed.
//!
//! The console runs on the demo business date at the real time of day, so the test's policy
//! file makes every hour callable: nothing depends on when the test runs.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_madoguchi");

mod tmux;

use tmux::{Tmux, console_command, have_tmux, seeded_db};

fn run(args: &[&str], db: &Path) -> String {
    let out = Command::new(BIN).args(args).arg("--db").arg(db).output().expect("run madoguchi");
    assert!(out.status.success(), "madoguchi {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The shipped policy with every campaign hour around the clock, every day.
fn all_day_policy(dir: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policy/default.toml"))
        .expect("policy/default.toml");
    let mut out = String::new();
    let mut in_campaign = false;
    for line in shipped.lines() {
        if line.starts_with('[') {
            in_campaign = line.starts_with("[campaign") || line.starts_with("[[campaign");
        }
        let key = line.split('=').next().unwrap_or("").trim();
        if in_campaign && matches!(key, "weekdays" | "saturday" | "sunday" | "closed_days") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if in_campaign && (line == "[campaign.centre_hours]" || line == "[[campaign.institution_hours]]") {
            out.push_str(
                "weekdays = [\"00:00-24:00\"]\nsaturday = [\"00:00-24:00\"]\nsunday = [\"00:00-24:00\"]\n",
            );
        }
    }
    let path = dir.join("all-day.toml");
    std::fs::write(&path, out).expect("write policy");
    path
}

#[test]
fn r25_ctrl_e_takes_a_member_its_institution_opens_and_ctrl_x_records_the_outcome() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed; the campaign end-to-end console test did not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = seeded_db(dir.path(), 3000);
    let policy = all_day_policy(dir.path());
    let created =
        run(&["campaign", "create", "--name", "東京 機種未定", "--prefecture", "東京都", "--json"], &db);
    let campaign: serde_json::Value = serde_json::from_str(&created).expect("campaign json");
    let id = campaign["id"].as_i64().expect("campaign id");
    assert!(campaign["counts"]["members"].as_u64().unwrap_or(0) > 0, "{campaign}");

    let t = Tmux::start(&console_command(&db, &format!("--policy '{}'", policy.display())));
    t.wait_for("the lookup screen", 30, |s| s.contains("検索") && s.contains("embedded"));

    // One key: the next member, leased to this console, its institution open with a call.
    t.keys(&["C-e"]);
    let s = t.wait_for("the member's institution with its call", 30, |s| {
        s.contains("医療機関 ") && s.contains("東京都") && s.contains("通話#") && !s.contains("読み込み中")
    });
    let code: String = s
        .lines()
        .find_map(|l| l.split("医療機関 ").nth(1))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_digit()).collect())
        .expect("code in the header");
    assert_eq!(code.len(), 10, "code {code:?} in\n{s}");
    assert!(code.starts_with("13"), "a 東京都 institution: {code}\n{s}");

    // Wrap-up: the outcome picker; 2 = 担当者不在, Enter records it and closes the call.
    t.keys(&["C-x"]);
    t.wait_for("the outcome picker", 20, |s| s.contains("架電結果") && s.contains("担当者不在"));
    t.type_text("2");
    t.keys(&["Enter"]);
    t.wait_for("the outcome recorded", 30, |s| s.contains("担当者不在") && !s.contains("Enter 記録して"));
    t.keys(&["C-q"]);
    t.wait_for("the console to exit", 20, |s| !s.contains("embedded"));

    let csv = run(&["campaign", "export", &id.to_string()], &db);
    let row =
        csv.lines().find(|l| l.contains(&code)).unwrap_or_else(|| panic!("{code} in the export:\n{csv}"));
    assert!(row.contains("担当者不在"), "the attempt on the record: {row}");
}
