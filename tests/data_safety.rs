//! A wrong `--db` costs nothing, and what madoguchi writes is the owner's only: a text file,
//! another program's SQLite database and a database of a newer madoguchi are refused in one
//! line that says what to do and left byte for byte as they were (hashes compared, no `-wal`
//! or `-shm` left beside them); new databases are 0600 in 0700 folders; a config file holding
//! a token that others can read is refused with the chmod to run; `backup` makes a copy that
//! verifies.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

fn madoguchi(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("madoguchi").expect("binary built");
    cmd.env_remove("MADOGUCHI_TOKEN").env("HOME", home).env("XDG_CONFIG_HOME", home.join("config"));
    cmd
}

fn hash(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    format!("{:x}", Sha256::digest(&bytes))
}

fn siblings(path: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", path.display())))
        .filter(|p| p.exists())
        .collect()
}

/// Runs `show` on `db` and checks: failure, one line containing `says`, the file untouched.
fn refused_untouched(home: &Path, db: &Path, says: &str) {
    let before = hash(db);
    for args in
        [&["show", "1331500016"][..], &["lookup", "yajima"], &["operator", "add", "x"], &["audit", "verify"]]
    {
        let out = madoguchi(home).args(args).arg("--db").arg(db).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} on {} succeeded", db.display());
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(stderr.contains(says), "{args:?}: says {says:?}: {stderr}");
        assert!(stderr.contains("--db") || stderr.contains("更新"), "{args:?}: says what to do: {stderr}");
        assert_eq!(hash(db), before, "{args:?} changed {}", db.display());
        assert_eq!(siblings(db), Vec::<PathBuf>::new(), "{args:?} left files beside {}", db.display());
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

#[test]
fn a_text_file_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "これはメモです\nnot a database\n").expect("write");
    refused_untouched(dir.path(), &db, "SQLite のデータベースではありません");
}

#[test]
fn another_programs_sqlite_file_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("other.db");
    runtime().block_on(async {
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
            .expect("url")
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete)
            .connect()
            .await
            .expect("create");
        sqlx::raw_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');")
            .execute(&mut conn)
            .await
            .expect("fill");
        conn.close().await.expect("close");
    });
    refused_untouched(dir.path(), &db, "別のプログラムの SQLite データベース");
}

#[test]
fn a_database_of_a_newer_madoguchi_is_refused_and_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("newer.db");
    let out = madoguchi(dir.path()).args(["operator", "add", "sato", "--db"]).arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    runtime().block_on(async {
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", db.display()))
            .expect("url")
            .connect()
            .await
            .expect("open");
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '2030-01-01')",
        )
        .execute(&mut conn)
        .await
        .expect("a future migration");
        // Back to a rollback journal, so the file alone is the whole database.
        sqlx::query("PRAGMA journal_mode = DELETE").execute(&mut conn).await.expect("journal mode");
        conn.close().await.expect("close");
    });
    assert_eq!(siblings(&db), Vec::<PathBuf>::new());
    refused_untouched(dir.path(), &db, "新しい版の madoguchi");
}

#[test]
fn a_new_database_is_owner_only_in_an_owner_only_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("data").join("sub").join("m.db");
    let out = madoguchi(dir.path()).args(["operator", "add", "sato", "--db"]).arg(&db).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600, "{}", db.display());
    assert_eq!(mode(db.parent().expect("folder")), 0o700);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    for s in siblings(&db) {
        assert_eq!(mode(&s) & 0o077, 0, "{} readable by others", s.display());
    }
}

#[test]
fn a_config_file_with_a_token_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config").join("madoguchi");
    std::fs::create_dir_all(&config).expect("mkdir");
    let file = config.join("config.toml");
    std::fs::write(&file, "server = \"http://127.0.0.1:9\"\ntoken = \"secret\"\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = madoguchi(dir.path()).args(["lookup", "yajima"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("chmod 600 {}", file.display())), "{stderr}");
    // Owner-only: used (and the unreachable server is what fails now).
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = madoguchi(dir.path()).args(["lookup", "yajima"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("chmod"), "{stderr}");
}

#[test]
fn backup_makes_a_consistent_owner_only_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("m.db");
    let out = madoguchi(dir.path())
        .args(["seed", "--institutions", "200", "--db"])
        .arg(&db)
        .output()
        .expect("seed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = dir.path().join("copy.db");
    let out = madoguchi(dir.path()).arg("backup").arg(&copy).arg("--db").arg(&db).output().expect("backup");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::metadata(&copy).expect("copy").permissions().mode() & 0o777, 0o600);
    let verify = madoguchi(dir.path()).args(["audit", "verify", "--db"]).arg(&copy).output().expect("verify");
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    let count = |p: &Path| -> serde_json::Value {
        let out = madoguchi(dir.path())
            .args(["lookup", "病院", "--json", "--limit", "5", "--db"])
            .arg(p)
            .output()
            .expect("lookup");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    assert_eq!(count(&copy)["results"], count(&db)["results"], "the copy answers as the original");
    // Never over an existing file.
    let before = hash(&copy);
    let again = madoguchi(dir.path()).arg("backup").arg(&copy).arg("--db").arg(&db).output().expect("backup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("すでにあります"));
    assert_eq!(hash(&copy), before);
}
