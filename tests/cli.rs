//! The command line through the real binary (assert_cmd) over temporary databases: seed,
//! operator tokens, lookup/show/change as JSON, code check exit codes, the subsidy
//! calculator, imports (all or nothing, and --skip-bad-rows), audit verify, and a query
//! command against `madoguchi serve` in another process.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// A database seeded once for the tests that only read (and change their own rows).
fn seeded_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cli.db");
        let out = madoguchi()
            .args(["seed", "--db"])
            .arg(&path)
            .args(["--institutions", "500"])
            .output()
            .expect("run");
        assert!(out.status.success(), "seed failed: {}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("秒"), "seed reports the time taken: {stderr}");
        (dir, path)
    });
    path
}

fn madoguchi() -> Command {
    let mut cmd = Command::cargo_bin("madoguchi").expect("binary built");
    cmd.env_remove("MADOGUCHI_TOKEN")
        .env("HOME", std::env::temp_dir())
        .env("XDG_CONFIG_HOME", std::env::temp_dir());
    cmd
}

/// Runs with `--db <seeded>` appended; returns stdout parsed as JSON after checking success.
fn json(args: &[&str]) -> Value {
    let out = madoguchi().args(args).arg("--db").arg(seeded_db()).output().expect("run");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    // Nothing but the answer: no log line (a cancelled index build, a slow statement).
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}: standard error stays empty");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// A code of `kind` whose application may be changed, found through `lookup`.
fn changeable(word: &str, kind: &str, skip: usize) -> String {
    let found = json(&["lookup", word, "--limit", "200", "--json"]);
    found["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| {
            r["kind"] == kind && (r["reader_status"] == "selected" || r["reader_status"] == "not_applied")
        })
        .nth(skip)
        .and_then(|r| r["code"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no changeable {kind} for {word}"))
}

#[test]
fn operator_add_prints_the_token_alone() {
    let out = madoguchi()
        .args(["operator", "add", "佐藤", "--role", "operator", "--db"])
        .arg(seeded_db())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stdout:?}");
    assert!(lines[0].len() >= 32 && !lines[0].contains(' '), "a bare token: {stdout:?}");
}

#[test]
fn lookup_show_and_change_as_json() {
    let code = changeable("クリニック", "medical_clinic", 0);
    let found = json(&["lookup", &code, "--json"]);
    assert_eq!(found["results"][0]["code"], code.as_str());
    let detail = json(&["show", &code, "--json"]);
    assert_eq!(detail["code"], code.as_str());
    let current = detail["reader_application"]["model_id"].as_str().map(str::to_string);
    let models = json(&["models", "--json"]);
    let model = models
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .find(|id| Some(id.to_string()) != current)
        .expect("another model")
        .to_string();
    let receipt =
        json(&["change", &code, "--model", &model, "--caller", "鈴木一郎", "--role", "院長", "--json"]);
    assert!(receipt["receipt_no"].as_str().is_some_and(|r| !r.is_empty()), "{receipt}");
    let after = json(&["show", &code, "--json"]);
    assert_eq!(after["reader_application"]["model_id"], model.as_str());
    assert_eq!(after["reader_application"]["status"], "selected");
}

#[test]
fn change_refused_by_a_rule_fails_with_the_rules_words() {
    let code = changeable("クリニック", "medical_clinic", 1);
    let models = json(&["models", "--json"]);
    let model = models[0]["id"].as_str().expect("id").to_string();
    let out = madoguchi()
        .args(["change", &code, "--model", &model, "--caller", "鈴木", "--units", "2", "--db"])
        .arg(seeded_db())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("1台まで"), "{stderr}");
}

#[test]
fn code_check_exit_codes() {
    // Real codes from the regional bureaus' lists (DESIGN.md rules): ten-digit Luhn and 11–14.
    for code in ["0110113719", "1310314732"] {
        let out = madoguchi().args(["code", "check", code, "--json"]).output().expect("run");
        assert!(out.status.success());
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(report["check_digit_ok"], true, "{code}");
    }
    let out = madoguchi().args(["code", "check", "0110113710", "--json"]).output().expect("run");
    assert!(out.status.success(), "a wrong check digit is only a warning");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["expected_check_digit"], 9);
    let wrong = madoguchi().args(["code", "check", "12345"]).output().expect("run");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("10桁"));
    madoguchi().args(["code", "check", "abcdefghij"]).assert().failure();
    // Full-width digits with hyphens are a code.
    madoguchi().args(["code", "check", "０１１−０１１−３７１９"]).assert().code(0);
}

#[test]
fn code_check_warns_naming_the_expected_digit() {
    // Any prefix: exactly one last digit is right, so some other digit must warn.
    let body = "471234567";
    let mut warned = 0;
    for d in 0..10 {
        let code = format!("{body}{d}");
        let out = madoguchi().args(["code", "check", &code, "--json"]).output().expect("run");
        assert!(out.status.success(), "{code} is well-formed");
        let r: Value = serde_json::from_slice(&out.stdout).expect("json");
        if let Some(expected) = r["expected_check_digit"].as_u64() {
            warned += 1;
            assert!(r["warning"].as_str().is_some_and(|w| w.contains(&expected.to_string())), "{r}");
        }
    }
    assert_eq!(warned, 9);
}

#[test]
fn subsidy_calc_reproduces_the_table() {
    let run = |args: &[&str]| -> Value {
        let out = madoguchi().args(["subsidy", "calc", "--json"]).args(args).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    assert_eq!(
        run(&["--kind", "medical-clinic", "--units", "1", "--cost", "429000"])["payable_yen"],
        321_000
    );
    // The API's and the CSV's spelling is accepted too.
    assert_eq!(
        run(&["--kind", "medical_clinic", "--units", "1", "--cost", "429000"])["payable_yen"],
        321_000
    );
    assert_eq!(run(&["--kind", "dental_clinic", "--units", "1", "--cost", "429000"])["payable_yen"], 321_000);
    assert_eq!(run(&["--kind", "hospital", "--units", "1", "--cost", "3000000"])["payable_yen"], 1_050_000);
    assert_eq!(
        run(&["--kind", "pharmacy", "--units", "1", "--cost", "429000", "--large-chain"])["payable_yen"],
        214_000
    );
    madoguchi()
        .args(["subsidy", "calc", "--kind", "pharmacy", "--units", "2", "--cost", "1"])
        .assert()
        .failure();
}

#[test]
fn audit_verify_succeeds_on_an_untouched_chain() {
    let v = json(&["audit", "verify", "--json"]);
    assert_eq!(v["ok"], true);
}

#[test]
fn a_missing_database_is_created_not_seeded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("new.db");
    let out = madoguchi().args(["lookup", "病院", "--json", "--db"]).arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("seed"), "says how to seed");
    assert!(db.exists());
}

/// A console option before a subcommand (`madoguchi --db X operator add N`) used to leave
/// the subcommand on the default database without a word: it is refused, naming the option
/// and where it goes, and nothing is written.
#[test]
fn an_option_before_the_subcommand_is_refused_saying_where_it_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("x.db");
    let out = madoguchi().arg("--db").arg(&db).args(["operator", "add", "before"]).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--db がサブコマンドの前にあります") && err.contains("operator add"), "{err}");
    assert!(out.stdout.is_empty(), "no token printed");
    assert!(!db.exists(), "nothing written");
    // After the subcommand it works.
    let out = madoguchi().args(["operator", "add", "after", "--db"]).arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

const CSV_HEADER: &str = "code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain\n";

fn write_csv(dir: &Path, rows: &str) -> PathBuf {
    let path = dir.join("in.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(CSV_HEADER.as_bytes()).expect("write");
    f.write_all(rows.as_bytes()).expect("write");
    path
}

#[test]
fn import_is_all_or_nothing_unless_skip_bad_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("import.db");
    let csv = write_csv(
        dir.path(),
        "4710000012,インポート第一病院,インポートダイイチビョウイン,hospital,沖縄県,900-0001,那覇市港町1-1,098-000-0001,\n\
         4710000020,インポート第二医院,,medical_clinic,沖縄県,900-0002,那覇市港町2-2,,\n\
         12345,壊れた行,,hospital,沖縄県,900-0003,那覇市,,\n",
    );
    let out =
        madoguchi().args(["import", "institutions"]).arg(&csv).arg("--db").arg(&db).output().expect("run");
    assert!(!out.status.success(), "a bad row refuses the file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains('4'), "names the bad line (4): {stderr}");
    let none: Value = {
        let out =
            madoguchi().args(["lookup", "インポート", "--json", "--db"]).arg(&db).output().expect("run");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    assert_eq!(none["results"].as_array().map(Vec::len), Some(0), "nothing imported");

    let out = madoguchi()
        .args(["import", "institutions", "--skip-bad-rows", "--json"])
        .arg(&csv)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["imported"], 2, "{report}");
    assert_eq!(report["rejected"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report["rejected"][0]["line"], 4, "{report}");
    let some: Value = {
        let out =
            madoguchi().args(["lookup", "インポート第一", "--json", "--db"]).arg(&db).output().expect("run");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    assert_eq!(some["results"][0]["code"], "4710000012");
}

/// `madoguchi serve` in a child process, killed on drop.
struct ServeProcess {
    child: Child,
    base: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path) -> ServeProcess {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("madoguchi"))
        .args(["serve", "--listen", "127.0.0.1:0", "--as-of", "2021-07-15", "--db"])
        .arg(db)
        .env("MADOGUCHI_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(start) = line.find("http://") {
                let url: String = line[start..].chars().take_while(|c| !c.is_whitespace()).collect();
                let _ = tx.send(url);
            }
        }
    });
    let base = rx.recv_timeout(Duration::from_secs(60)).expect("serve prints its address");
    ServeProcess { child, base }
}

#[test]
fn query_commands_work_against_a_server_with_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("served.db");
    madoguchi().args(["seed", "--institutions", "200", "--db"]).arg(&db).assert().success();
    let out = madoguchi()
        .args(["operator", "add", "田中", "--role", "operator", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    let token = String::from_utf8(out.stdout).expect("utf-8").trim().to_string();
    let server = serve(&db);
    let out = madoguchi()
        .args(["lookup", "病院", "--json", "--server", &server.base, "--token", &token])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(!v["results"].as_array().expect("results").is_empty());
    // A bad token: non-zero, one line that says so.
    let out = madoguchi()
        .args(["lookup", "病院", "--server", &server.base, "--token", "wrong"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
    // The token from the environment works too.
    madoguchi()
        .args(["lookup", "病院", "--server", &server.base])
        .env("MADOGUCHI_TOKEN", &token)
        .assert()
        .success();
    // A second token under the same name is refused in one line saying what to do.
    let out = madoguchi().args(["operator", "add", "田中", "--db"]).arg(&db).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("operator revoke 田中"), "{err}");
    // Revoked by another process (the CLI's own embedded server): the running server refuses
    // the token once its poll sees it (within seconds; waited for generously).
    let out = madoguchi().args(["operator", "revoke", "田中", "--db"]).arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("取り消しました"));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let out = madoguchi()
            .args(["lookup", "病院", "--server", &server.base, "--token", &token])
            .output()
            .expect("run");
        if !out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the revoked token still works");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Revoking a name with no token in force: non-zero, one line.
    let out = madoguchi().args(["operator", "revoke", "田中", "--db"]).arg(&db).output().expect("run");
    assert!(!out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim().lines().count(), 1);
}

#[test]
fn serve_warns_when_it_listens_off_loopback_without_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("open.db");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("madoguchi"))
        .args(["serve", "--listen", "0.0.0.0:0", "--db"])
        .arg(&db)
        .env("MADOGUCHI_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut warned = false;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        if line.contains("警告") && line.contains("TLS") && line.contains("--behind-tls") {
            warned = true;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(warned, "serve on 0.0.0.0 warns about TLS");
}

#[test]
fn an_unreachable_server_is_one_line_saying_what_to_do() {
    let out = madoguchi()
        .args(["lookup", "病院", "--server", "http://127.0.0.1:9", "--token", "t"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("接続できません"), "{stderr}");
}

/// The real list of 96,488 医科 institutions, imported through the binary, when present.
#[test]
fn import_the_real_medical_institutions_list() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real_medical_institutions_2025-08.csv");
    let path = path.as_path();
    if !path.exists() {
        eprintln!(
            "\n!!! SKIPPED import_the_real_medical_institutions_list: {} is not present !!!\n",
            path.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("real.db");
    let started = std::time::Instant::now();
    let out = madoguchi()
        .args(["import", "institutions", "--json"])
        .arg(path)
        .arg("--db")
        .arg(&db)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    eprintln!(
        "real list: {} imported, {} rejected, {} check-digit warnings in {:.1?}",
        report["imported"],
        report["rejected"].as_array().map_or(0, Vec::len),
        report["check_digit_warnings"].as_array().map_or(0, Vec::len),
        started.elapsed()
    );
    let imported = report["imported"].as_u64().expect("count");
    let rejected = report["rejected"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(imported + rejected, 96_488);
    assert!(imported > 96_000, "{report}");
    assert!(
        report["check_digit_warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "a few real codes fail the check"
    );
    assert_eq!(report["inserted"].as_u64(), Some(imported), "a fresh database: every row is new");
}

#[test]
fn report_calls_as_csv_for_the_spreadsheet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("report.db");
    let out = madoguchi()
        .args(["report", "calls", "--from", "2021-07-01", "--to", "2021-07-31", "--csv", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "section,key,label,calls,avg_handle_seconds");
    assert_eq!(lines[1], "total,2021-07-01..2021-07-31,応対件数,0,");
    assert_eq!(lines.iter().filter(|l| l.starts_with("hour,")).count(), 24);
    assert!(lines.contains(&"reason,subsidy,補助金,0,"), "{csv}");
    assert!(lines.contains(&"callbacks,overdue,期限超過,0,"), "{csv}");

    let out = madoguchi()
        .args(["report", "calls", "--from", "2021-07-16", "--to", "2021-07-15", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("より前"), "says what is wrong: {stderr}");
}

#[test]
fn logs_written_to_a_file_or_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("plain.db");
    madoguchi().args(["seed", "--institutions", "50", "--db"]).arg(&db).assert().success();
    let out = madoguchi()
        .args(["lookup", "病院", "--db"])
        .arg(&db)
        .env("MADOGUCHI_LOG", "info")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("INFO"), "asked for info logs: {stderr}");
    assert!(!stderr.contains('\x1b'), "plain text when standard error is not a terminal: {stderr:?}");
}

/// `faq import` (issue 24): a file with a bad line imports nothing and names the line; a
/// good file goes in one request, and an entry the server refuses is named with its line.
#[test]
fn faq_import_is_one_step_and_names_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("faq.db");
    let file = dir.path().join("faq.jsonl");
    let line = |i: usize| {
        format!(
            "{{\"id\": \"cli-{i}\", \"question\": \"れんげ制度の質問{i}\", \"answer\": \"れんげ制度の回答{i}\", \"category\": \"テスト\"}}\n"
        )
    };
    let good: String = (0..30).map(line).collect();
    std::fs::write(&file, format!("{good}{{\"id\": \"cli-bad\", \"question\": \"質問\"}}\n")).expect("write");
    let out = madoguchi().args(["faq", "import"]).arg(&file).arg("--db").arg(&db).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("faq.jsonl:31") && err.contains("何も取り込みませんでした"), "{err}");

    std::fs::write(&file, &good).expect("write");
    let out =
        madoguchi().args(["faq", "import", "--json"]).arg(&file).arg("--db").arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["imported"], 30);
    let found =
        madoguchi().args(["faq", "れんげ制度の質問7", "--json", "--db"]).arg(&db).output().expect("run");
    let v: Value = serde_json::from_slice(&found.stdout).expect("json");
    assert_eq!(v["results"][0]["id"], "cli-7");

    // A line the parser accepts but the server refuses (a question over 500 characters).
    let long = format!(
        "{good}{{\"id\": \"cli-long\", \"question\": \"{}\", \"answer\": \"回答\", \"category\": \"テスト\"}}\n",
        "長".repeat(501)
    );
    std::fs::write(&file, long).expect("write");
    let out = madoguchi().args(["faq", "import"]).arg(&file).arg("--db").arg(&db).output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("faq.jsonl:31: id `cli-long`") && err.contains("何も登録していません"), "{err}");
}

#[test]
fn r26_admin_audit_events_carry_the_real_time_even_on_the_demo_date() {
    // The CLI's --db commands run on the demo business date (2021-07-15); issuing and revoking
    // a token, adding and removing a key happen today all the same, and the trail says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("admin.db");
    madoguchi().args(["seed", "--institutions", "50", "--db"]).arg(&db).assert().success();
    let run = |args: &[&str]| {
        let out = madoguchi().args(args).arg("--db").arg(&db).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(5);
    run(&["operator", "add", "鈴木"]);
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE suzuki@desk";
    run(&["operator", "key", "add", "鈴木", key]);
    let listed: Value = serde_json::from_str(&run(&["operator", "key", "list", "--json"])).expect("json");
    let fingerprint = listed
        .as_array()
        .and_then(|a| a.first())
        .and_then(|k| k["fingerprint"].as_str())
        .expect("key")
        .to_string();
    run(&["operator", "key", "remove", &fingerprint]);
    run(&["operator", "revoke", "鈴木"]);
    let after = chrono::Utc::now() + chrono::TimeDelta::seconds(5);
    let events: Value = serde_json::from_str(&run(&["audit", "list", "--json"])).expect("json");
    let admin: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["action"].as_str().is_some_and(|a| a.starts_with("operator.") || a.starts_with("ssh_key."))
        })
        .collect();
    assert_eq!(admin.len(), 4, "{events}");
    for e in admin {
        let at: chrono::DateTime<chrono::Utc> = e["at"].as_str().and_then(|t| t.parse().ok()).expect("at");
        assert!(before <= at && at <= after, "{} stamped {at}, not now", e["action"]);
    }
}
