//! The SQLite backend: the embedded default, one file in the user's data folder.
//!
//! Two pools on one file: readers (several connections; WAL lets them read while a write is
//! in progress) and a single writer connection whose every transaction starts with
//! `BEGIN IMMEDIATE`, so a read-then-write takes the write lock before it reads and two
//! changes can never interleave — not in this process, and not with another process (a CLI
//! command) on the same file, which waits up to the busy timeout instead.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, SqliteConnection, Transaction};

use crate::api::ServerEvent;
use crate::store::{StoreError, sqlite_checkpoint, sqlite_file};

/// The shared SQL, compiled against this backend's types (see `sql/mod.rs`).
// Mounted by both backends on purpose: one text, compiled against each backend's types.
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

type Db = Sqlite;
type Conn = SqliteConnection;
type DbRow = sqlx::sqlite::SqliteRow;
type ThisStore = SqliteStore;
type Reader = Pool<Sqlite>;

/// How long a connection waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections; the write path has its own single connection.
const READERS: u32 = 4;

/// Rows a reader connection may buffer ahead of the task consuming them.
const READER_ROW_BUFFER: usize = 4096;

/// Ordered, embedded migrations: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/sqlite/0001_init.sql")),
    (2, "calls", include_str!("migrations/sqlite/0002_calls.sql")),
    (3, "ssh_keys", include_str!("migrations/sqlite/0003_ssh_keys.sql")),
    (4, "call_report", include_str!("migrations/sqlite/0004_call_report.sql")),
    (5, "institutions_version", include_str!("migrations/sqlite/0005_institutions_version.sql")),
    (6, "operator_names", include_str!("migrations/sqlite/0006_operator_names.sql")),
    (7, "campaigns", include_str!("migrations/sqlite/0007_campaigns.sql")),
    (8, "floor", include_str!("migrations/sqlite/0008_floor.sql")),
    (10, "campaign_progress", include_str!("migrations/sqlite/0010_campaign_progress.sql")),
];

/// The version of the institution rows: the counter the triggers bump on every write.
const INSTITUTIONS_VERSION_SQL: &str = "v.version";

/// SQLite has no row locks: `BEGIN IMMEDIATE` already holds the database's write lock.
const FOR_UPDATE: &str = "";

const CLEAR_SEED_SQL: &[&str] = &[
    "DELETE FROM campaign_attempts",
    "DELETE FROM campaign_members",
    "DELETE FROM campaigns",
    "DELETE FROM institution_do_not_call",
    "DELETE FROM subsidy_claims",
    "DELETE FROM applications",
    "DELETE FROM idempotency",
    "DELETE FROM institutions",
    "DELETE FROM reader_models",
    "DELETE FROM faq_entries",
];

/// The SQLite store. Cheap to clone (pools are handles).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    reader: Pool<Sqlite>,
    writer: Pool<Sqlite>,
    /// The database file (none in memory): the lookup index snapshot is kept beside it.
    path: Option<std::path::PathBuf>,
    /// Waits of write transactions to begin (for `/metrics`).
    writes: std::sync::Arc<crate::store::pool_stats::WaitTally>,
    /// The connection checkpointing the WAL in the background (none in memory).
    checkpointer: Option<Pool<Sqlite>>,
    /// Held by every clone, never read: the checkpoint task ends once the last one is dropped.
    #[allow(dead_code)]
    alive: std::sync::Arc<()>,
}

impl SqliteStore {
    /// Opens (creating the file and its folder if missing) and migrates the database at
    /// `path_or_url`: a path, `sqlite:PATH`, `sqlite://PATH` or `sqlite::memory:`. Never
    /// seeds: an empty database stays empty.
    ///
    /// Durability: WAL with `synchronous=NORMAL`. A commit is in the WAL file before it is
    /// acknowledged, so killing the server (even `kill -9`) loses nothing; only a power
    /// failure or OS crash can lose the last commits (never corrupt the file). `FULL` would
    /// fsync on every commit, which caps changes per second on ordinary disks far below what
    /// a call center needs, for a failure the server machine's UPS covers. The WAL is
    /// checkpointed by a background task, not inside commits (`sqlite_checkpoint`).
    pub async fn open(path_or_url: &str) -> Result<SqliteStore, StoreError> {
        let (options, in_memory) = connect_options(path_or_url)?;
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let file = (!in_memory).then(|| options.get_filename().to_path_buf());
        if !in_memory {
            let path = options.get_filename();
            let latest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
            if sqlite_file::check(path, latest).await? == sqlite_file::Found::New {
                sqlite_file::create_private(path)?;
            }
        }
        // An in-memory database exists per connection: one connection serves both roles.
        let writer_options =
            options.clone().pragma("wal_autocheckpoint", sqlite_checkpoint::BACKSTOP_PAGES.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(if in_memory { None } else { Some(Duration::from_secs(600)) })
            .max_lifetime(if in_memory { None } else { Some(Duration::from_secs(1800)) })
            .connect_with(writer_options)
            .await?;
        let store_writer = writer.clone();
        {
            let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
            sql::run_migrations(&mut tx).await?;
            tx.commit().await?;
        }
        let alive = std::sync::Arc::new(());
        let (reader, checkpointer) = if in_memory {
            (writer, None)
        } else {
            let checkpointer = SqlitePoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with(options.clone());
            sqlite_checkpoint::spawn(checkpointer.clone(), std::sync::Arc::downgrade(&alive));
            // Rows travel from SQLite's worker thread to the task through a bounded channel; a
            // deep one lets a 242,000-row read run ahead instead of switching threads every 50
            // rows (measured: far slower on a busy two-core machine).
            let options = options.row_buffer_size(READER_ROW_BUFFER);
            (
                SqlitePoolOptions::new().max_connections(READERS).connect_with(options).await?,
                Some(checkpointer),
            )
        };
        Ok(SqliteStore {
            reader,
            writer: store_writer,
            path: file,
            writes: Default::default(),
            checkpointer,
            alive,
        })
    }

    /// Writes a consistent copy of the whole database to the new file `path` (owner-only)
    /// while servers keep running: `VACUUM INTO` reads one snapshot, so the copy holds every
    /// change committed before it started and none after.
    pub async fn backup_into(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Unusable(format!(
                "{} はすでにあります。上書きはしません: 新しいファイル名を指定してください",
                path.display()
            )));
        }
        sqlite_file::create_private(path)?;
        let target = path.to_string_lossy().into_owned();
        if let Err(e) = sqlx::query("VACUUM INTO $1").bind(&target).execute(&self.reader).await {
            let _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        Ok(())
    }

    fn reader(&self) -> &Pool<Sqlite> {
        &self.reader
    }

    /// `DB.lookup-index` beside the database file.
    fn snapshot_path(&self) -> Option<std::path::PathBuf> {
        let path = self.path.as_ref()?;
        let mut name = path.file_name()?.to_os_string();
        name.push(".lookup-index");
        Some(path.with_file_name(name))
    }

    /// The pools as `/metrics` shows them (one for an in-memory database).
    fn pools(&self) -> Vec<crate::store::pool_stats::PoolStats> {
        let mut pools = vec![self.writes.stats("writer", &self.writer)];
        if self.path.is_some() {
            pools.push(crate::store::pool_stats::WaitTally::untallied("reader", &self.reader));
        }
        if let Some(checkpointer) = &self.checkpointer {
            pools.push(crate::store::pool_stats::WaitTally::untallied("checkpointer", checkpointer));
        }
        pools
    }

    /// A write transaction holding the database's write lock from its first statement.
    /// Dropped without commit (an error, a cancelled request), it rolls back.
    ///
    /// A commit that failed for a full disk leaves sqlx's count of open transactions on the
    /// writer connection at one, though SQLite has already rolled back (and so refuses the
    /// ROLLBACK on drop): every later BEGIN on that connection would fail ("begin_with at
    /// non-zero transaction depth") until a restart. Such a connection is closed and a fresh
    /// one opened, so writes resume as soon as the disk has room again.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        let started = std::time::Instant::now();
        let tx = self.begin_write_untimed().await;
        self.writes.record(started.elapsed());
        tx
    }

    async fn begin_write_untimed(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        match self.writer.begin_with("BEGIN IMMEDIATE").await {
            Err(sqlx::Error::InvalidSavePointStatement) => {
                tracing::warn!(
                    "the SQLite writer connection was left inside a failed transaction; reopening it"
                );
                let stuck = self.writer.acquire().await?;
                let _ = sqlx::Connection::close_hard(stuck.detach()).await;
                self.writer.begin_with("BEGIN IMMEDIATE").await
            }
            other => other,
        }
    }

    /// The audit-log feed carries only changes: an event that changes no row is this
    /// server's to tell its own subscribers.
    async fn announce_event(&self, _event: &ServerEvent) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// SQLite has no LISTEN/NOTIFY: the audit log is the change feed. A task polls it for
    /// events newer than the last one seen (every [`FEED_POLL`]), so that servers of several
    /// processes on one file (two embedded consoles) hear each other's changes. It ends when
    /// the receiver is dropped.
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        let (mut last,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetch_one(&self.reader).await?;
        let institutions_sql = "SELECT version FROM institutions_version WHERE id = 1";
        let mut institutions: Option<i64> =
            sqlx::query_scalar(institutions_sql).fetch_optional(&self.reader).await?;
        let pool = self.reader.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FEED_POLL).await;
                if tx.is_closed() {
                    return;
                }
                // Imports are not in the audit log: the institutions' version tells them.
                if let Ok(now) = sqlx::query_scalar::<_, i64>(institutions_sql).fetch_optional(&pool).await
                    && now != institutions
                {
                    institutions = now;
                    if tx.send(ServerEvent::InstitutionsChanged).await.is_err() {
                        return;
                    }
                }
                let rows: Vec<FeedRow> = match sqlx::query_as(
                    "SELECT seq, operator, action, code, receipt_no, detail FROM audit_events \
                     WHERE seq > $1 ORDER BY seq LIMIT 10000",
                )
                .bind(last)
                .fetch_all(&pool)
                .await
                {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::warn!("polling the audit log for changes failed: {e}");
                        continue;
                    }
                };
                // An FAQ import writes one audit entry per entry: its servers reload once.
                let mut faq_told = false;
                for (seq, operator, action, code, receipt_no, detail) in rows {
                    last = seq;
                    let Some(event) = feed_event(&operator, &action, code, receipt_no, &detail) else {
                        continue;
                    };
                    if matches!(event, ServerEvent::FaqChanged) && std::mem::replace(&mut faq_told, true) {
                        continue;
                    }
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}

/// One audit log entry as the change feed reads it: seq, operator, action, code, receipt, detail.
type FeedRow = (i64, String, String, Option<String>, Option<String>, String);

/// How often the SQLite change feed looks at the audit log.
const FEED_POLL: Duration = Duration::from_millis(300);

/// The event an audit log entry announces, if any (see `sql::announced_by`).
fn feed_event(
    operator: &str,
    action: &str,
    code: Option<String>,
    receipt_no: Option<String>,
    detail: &str,
) -> Option<ServerEvent> {
    let version = serde_json::from_str::<serde_json::Value>(detail)
        .ok()
        .and_then(|d| d.get("after")?.get("version")?.as_i64());
    sql::announced_by(operator, action, code, receipt_no, version)
}

/// Parses a path or `sqlite:` URL into connect options; true when the database is in memory.
fn connect_options(path_or_url: &str) -> Result<(SqliteConnectOptions, bool), StoreError> {
    let s = path_or_url.trim();
    if s.is_empty() {
        return Err(StoreError::Invalid("no database path given: pass --db PATH".into()));
    }
    if s == ":memory:" || s == "sqlite::memory:" || s == "sqlite://:memory:" {
        return Ok((SqliteConnectOptions::from_str("sqlite::memory:")?, true));
    }
    if s.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(s)
            .map_err(|e| StoreError::Invalid(format!("cannot read the database URL {s:?}: {e}")))?;
        return Ok((options, false));
    }
    Ok((SqliteConnectOptions::new().filename(Path::new(s)), false))
}

async fn lock_migrations(_conn: &mut Conn) -> Result<(), StoreError> {
    Ok(())
}

async fn lock_audit_chain(_conn: &mut Conn) -> Result<(), StoreError> {
    Ok(())
}

async fn notify(_conn: &mut Conn, _event: &ServerEvent) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer leaves checkpoints to the background task: SQLite's default (1,000 pages)
    /// would copy the log into the file inside a request's commit.
    #[tokio::test]
    async fn the_writer_checkpoints_only_past_the_backstop() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(path.to_str().expect("utf-8")).await.expect("opens");
        let on_writer: i64 =
            sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&store.writer).await.expect("reads");
        assert_eq!(on_writer, i64::from(sqlite_checkpoint::BACKSTOP_PAGES));
        let checkpointer = store.checkpointer.as_ref().expect("a file has a checkpointer");
        let done = sqlite_checkpoint::checkpoint(checkpointer).await.expect("checkpoints");
        assert_eq!(done.copied_frames, done.log_frames, "nothing reads: everything is copied");
    }
}
