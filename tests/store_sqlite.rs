//! The store suite (`store_common`) against SQLite on a temporary file, plus what only the
//! SQLite backend has: file creation, pragmas, migrations recorded once, reopening.

mod store_common;

use std::sync::Arc;

use madoguchi::domain::InstitutionKind;
use madoguchi::store::{ApplicationStore, AuditStore, SqliteStore, Store, open_store};
use sqlx::Connection;
use store_common::*;

/// A store on a fresh temporary file; the directory lives as long as the fixture.
struct SqliteFixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Arc<dyn Store>,
}

impl SqliteFixture {
    async fn new() -> SqliteFixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("madoguchi.db");
        let store = SqliteStore::open(path.to_str().expect("utf-8 path")).await.expect("opens");
        SqliteFixture { _dir: dir, path, store: Arc::new(store) }
    }

    async fn raw(&self) -> sqlx::SqliteConnection {
        sqlx::SqliteConnection::connect(&format!("sqlite:{}", self.path.display()))
            .await
            .expect("raw connection")
    }
}

#[async_trait::async_trait]
impl Fixture for SqliteFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn exec(&self, sql: &str) -> Result<u64, String> {
        let mut conn = self.raw().await;
        sqlx::query(sql).execute(&mut conn).await.map(|r| r.rows_affected()).map_err(|e| e.to_string())
    }

    fn drop_audit_triggers_sql(&self) -> Vec<&'static str> {
        vec!["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let f = SqliteFixture::new().await;
                store_common::$name(&f).await;
            }
        )*
    };
}

suite!(
    empty_database_is_migrated_not_seeded,
    seed_loads_and_reads_back,
    change_writes_state_audit_receipt_and_call,
    retry_with_same_key_replays_and_changes_nothing,
    same_key_with_other_body_is_a_mismatch,
    same_key_at_once_for_two_institutions,
    application_changes_are_counted_past_ten_thousand,
    stale_version_is_refused_with_current_state,
    refused_rule_writes_nothing,
    unknown_institution_model_or_call_is_refused,
    racing_changes_serialize,
    deadline_batch_dry_run_then_cancel,
    upsert_counts_and_keeps_corrected_readings,
    calls_start_update_and_list,
    live_call_reasons_handle_time_and_faq,
    callbacks_go_to_the_registered_number_only,
    call_counts_are_done_in_sql,
    faq_upsert_counts_and_audits_changes,
    operators_store_only_token_hashes,
    operators_are_unique_by_name_and_revocation_is_audited,
    audit_lists_latest_events_oldest_first,
    audit_rows_refuse_update_and_delete,
    verify_finds_the_first_tampered_event,
);

#[tokio::test]
async fn upsert_is_all_or_nothing() {
    let f = SqliteFixture::new().await;
    let poison = "CREATE TRIGGER poison BEFORE INSERT ON institutions WHEN NEW.code = '0199999999' \
                  BEGIN SELECT RAISE(ABORT, 'poisoned row'); END";
    store_common::upsert_is_all_or_nothing(&f, &[poison], "0199999999").await;
}

#[tokio::test]
async fn open_sets_wal_foreign_keys_and_records_migrations_once() {
    let f = SqliteFixture::new().await;
    assert!(f.path.exists(), "the file and its folder are created");
    // Reopening (a second process, a restart) applies nothing twice.
    let again = SqliteStore::open(f.path.to_str().expect("utf-8")).await.expect("reopens");
    drop(again);
    let store = open_store(&format!("sqlite:{}", f.path.display())).await.expect("opens by URL");
    assert!(store.all_institutions().await.expect("lists").is_empty());

    let mut conn = f.raw().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.expect("reads");
    assert_eq!(mode, "wal");
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .expect("reads");
    // Each migration once, in order (the floor's is 8).
    assert!(versions.starts_with(&[1, 2, 3, 4, 5, 6]) && versions.contains(&8), "{versions:?}");
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    // Foreign keys are enforced on the store's connections.
    seeded(&f).await;
    let bad = madoguchi::store::SeedData {
        applications: vec![(
            "0100000000".into(),
            applied(madoguchi::domain::ReaderStatus::Undecided, None, 1),
        )],
        ..Default::default()
    };
    assert!(f.store.load_seed(&bad, at(), &|_| {}).await.is_err(), "an application without its institution");
    assert_eq!(f.store.all_institutions().await.expect("lists").len(), 5, "the failed seed rolled back");
}

/// The WAL is moved into the database file by the store's own background task: the writer
/// does not do it inside a commit (a request would wait for it) and only checkpoints by itself
/// far past what this write leaves in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background_not_in_commits() {
    let f = SqliteFixture::new().await;
    let mut conn = f.raw().await;
    let wal = f.path.with_file_name("madoguchi.db-wal");
    let file_size = || std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
    let before = file_size();
    let institutions = (0..20_000)
        .map(|n| {
            institution(
                &format!("13{n:08}"),
                &format!("背景チェックポイント医院{n}"),
                InstitutionKind::MedicalClinic,
                "東京都",
            )
        })
        .collect();
    let data = madoguchi::store::SeedData { institutions, ..Default::default() };
    f.store.load_seed(&data, at(), &|_| {}).await.expect("seeds");
    let written = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(
        written > 4_000_000,
        "the seed wrote more than SQLite's own 1,000-page threshold: {written} bytes"
    );
    // Generous: the task runs every half second; a loaded machine may delay it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while file_size() < before + 2_000_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file stayed at {} bytes with {written} bytes of WAL: nothing checkpointed it",
            file_size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM institutions").fetch_one(&mut conn).await.expect("reads");
    assert_eq!(n, 20_000, "every row readable once moved into the file");
}

#[tokio::test]
async fn in_memory_database_works() {
    let store = open_store("sqlite::memory:").await.expect("opens");
    store.load_seed(&seed_data(), at(), &|_| {}).await.expect("seeds");
    store.change_application(select_model(CLINIC, 1, "k", "caora", None)).await.expect("changes");
    assert_eq!(store.verify_audit().await.expect("verifies").events, 1);
}

#[tokio::test]
async fn a_bad_path_is_a_clear_error() {
    let err = SqliteStore::open("").await.expect_err("empty path");
    assert!(err.to_string().contains("--db"), "{err}");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").expect("writes");
    // A folder that is a file cannot be created.
    let err = SqliteStore::open(file.join("db.sqlite").to_str().expect("utf-8")).await.expect_err("fails");
    assert!(err.to_string().contains("を作れません") && err.to_string().contains("--db"), "{err}");
}

/// The child side of `killed_writer_loses_no_acknowledged_change`: changes one application
/// over and over, printing `ACK <version>` after each commit, until it is killed. Ignored in
/// normal runs; the parent runs it with `MADOGUCHI_CHILD_DB` set.
#[tokio::test]
#[ignore = "run only as the child of killed_writer_loses_no_acknowledged_change"]
async fn child_writer() {
    use std::io::Write;
    let Ok(db) = std::env::var("MADOGUCHI_CHILD_DB") else { return };
    let store = SqliteStore::open(&db).await.expect("child opens");
    let mut version = store.application(CLINIC).await.expect("reads").version;
    loop {
        let model = if version % 2 == 0 { "caora" } else { "sample-a" };
        let out = store
            .change_application(select_model(CLINIC, version, &format!("kill-{version}"), model, None))
            .await
            .expect("child changes");
        version = out.after.version;
        let mut stdout = std::io::stdout();
        let _ = writeln!(stdout, "ACK {version}");
        let _ = stdout.flush();
    }
}

/// Killing the server process (SIGKILL, no chance to clean up) loses no acknowledged change:
/// every version the child reported as committed is in the file afterwards, and the audit
/// chain is intact.
#[tokio::test]
async fn killed_writer_loses_no_acknowledged_change() {
    use std::io::BufRead;
    let f = SqliteFixture::new().await;
    seeded(&f).await;
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "child_writer", "--ignored", "--nocapture", "--test-threads=1"])
        .env("MADOGUCHI_CHILD_DB", &f.path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns the child");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut last_ack = 0_i64;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("reads the child");
        if let Some(v) = line.strip_prefix("ACK ") {
            last_ack = v.trim().parse().expect("a version");
            if last_ack >= 200 {
                break;
            }
        }
    }
    child.kill().expect("kills the child");
    let _ = child.wait();
    assert!(last_ack >= 200, "the child stopped early at {last_ack}");
    let store = SqliteStore::open(f.path.to_str().expect("utf-8")).await.expect("reopens after the kill");
    let version = store.application(CLINIC).await.expect("reads").version;
    assert!(version >= last_ack, "acknowledged version {last_ack} lost: the file has {version}");
    let v = store.verify_audit().await.expect("verifies");
    assert_eq!(v.first_broken_seq, None);
    assert_eq!(v.events as i64, version - 1, "one event per committed change");
}

/// Two stores (two server processes) on one file: a change through one reaches the other's
/// change feed, polled from the audit log, so two embedded consoles see each other's changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_feed_reaches_a_second_store_on_the_same_file() {
    let f = SqliteFixture::new().await;
    let store = seeded(&f).await;
    let other = SqliteStore::open(f.path.to_str().expect("utf-8 path")).await.expect("opens again");
    let mut feed = other.listen_changes().await.expect("listens").expect("SQLite has a feed");
    let out =
        store.change_application(select_model(CLINIC, 1, "feed-1", "caora", None)).await.expect("changes");
    let event = tokio::time::timeout(std::time::Duration::from_secs(5), feed.recv())
        .await
        .expect("an event within 5 s")
        .expect("feed open");
    assert_eq!(
        event,
        madoguchi::api::ServerEvent::ApplicationChanged {
            code: CLINIC.to_string(),
            version: out.after.version,
            operator: "sato".to_string(),
            receipt_no: Some(out.receipt_no.clone()),
        }
    );
}
