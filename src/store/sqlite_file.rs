//! What madoguchi checks and sets on a SQLite file before it opens it for writing, so that a
//! wrong `--db` costs nothing: a file that is not SQLite, another program's database, or a
//! database of a newer madoguchi is refused with one line saying what to do, and left byte
//! for byte as it was (read with `immutable=1`: no lock, no journal, no write; through its WAL,
//! read-only, when one is left beside it). A new
//! database is created owner-only (0600, its new folders 0700): it holds caller names, call
//! notes and the audit trail. SQLite gives the `-wal` and `-shm` files the database's mode.

use std::io::Read;
use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::StoreError;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Tables that only a madoguchi database has together.
const OUR_TABLES: [&str; 3] = ["schema_migrations", "institutions", "audit_events"];

/// What is at the path given to `--db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// Nothing yet, or an empty file: madoguchi creates its tables.
    New,
    /// A madoguchi database at this schema version or older.
    Ours,
}

/// Checks the file at `path` (nothing is written); `latest` is the newest schema version
/// this build knows.
pub(crate) async fn check(path: &Path, latest: i64) -> Result<Found, StoreError> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        // A missing folder, or a file where a folder should be: creating it will say which.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Ok(Found::New);
        }
        Err(e) => {
            return Err(refused(format!("{shown} を読めません（{e}）。--db のパスと権限を確かめてください")));
        }
    };
    if meta.is_dir() {
        return Err(refused(format!(
            "{shown} はフォルダーです。--db にはデータベースのファイル名（例: {shown}/madoguchi.db）を指定してください"
        )));
    }
    if meta.len() == 0 {
        return Ok(Found::New);
    }
    let mut magic = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic));
    if read.is_err() || &magic != SQLITE_MAGIC {
        return Err(refused(format!(
            "{shown} は SQLite のデータベースではありません（触らずにそのままにしました）。--db には madoguchi のデータベースか、新しく作るファイルのパスを指定してください"
        )));
    }
    // A database left with a `-wal` file (a server or console that ended without its last
    // checkpoint, e.g. killed) is only whole with that WAL: the main file alone may miss
    // committed pages or be half-checkpointed, and `immutable=1` would read it as malformed.
    // Such a file is already a WAL database in use by SQLite, so it is read through the WAL
    // (read-only: the main file is still never written).
    let options = SqliteConnectOptions::new().filename(path).read_only(true).immutable(!has_wal(path));
    let mut conn = options.connect().await.map_err(|e| {
        refused(format!(
            "{shown} を開けません（{e}）。壊れていないか、別のプログラムが使っていないか確かめてください"
        ))
    })?;
    let tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| refused(format!("{shown} を読めません（{e}）。壊れていないか確かめてください")))?;
    let found = if tables.is_empty() {
        Found::New
    } else if OUR_TABLES.iter().all(|t| tables.iter().any(|n| n == t)) {
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| refused(format!("{shown} の版を読めません（{e}）")))?;
        if let Some(v) = version.filter(|v| *v > latest) {
            let _ = conn.close().await;
            return Err(newer(&shown.to_string(), v, latest));
        }
        Found::Ours
    } else {
        let _ = conn.close().await;
        return Err(refused(format!(
            "{shown} は別のプログラムの SQLite データベースです（madoguchi の表がありません。触らずにそのままにしました）。--db には madoguchi 用の新しいファイルのパスを指定してください"
        )));
    };
    let _ = conn.close().await;
    Ok(found)
}

/// Whether a non-empty `-wal` file lies beside the database at `path`.
fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// The refusal for a database whose schema is newer than this build's.
pub(crate) fn newer(shown: &str, found: i64, latest: i64) -> StoreError {
    refused(format!(
        "{shown} は新しい版の madoguchi で作られています（スキーマ {found}、この madoguchi は {latest} まで）。触らずにそのままにしました。madoguchi を更新してから開いてください"
    ))
}

fn refused(message: String) -> StoreError {
    StoreError::Unusable(message)
}

/// Creates the missing folders of `path` owner-only (0700) and an empty database file
/// owner-only (0600), unless the file exists already (its mode is then left alone).
pub(crate) fn create_private(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    match open.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(refused(format!(
            "{} を作れません（{e}）。--db で書き込める場所を指定してください",
            path.display()
        ))),
    }
}

/// `mkdir -p` with mode 0700 for the folders it creates.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        refused(format!(
            "フォルダー {} を作れません（{e}）。--db で書き込める場所を指定してください",
            dir.display()
        ))
    })
}
