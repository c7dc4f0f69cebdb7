//! `madoguchi backup FILE [--db PATH]`: a consistent copy of the embedded SQLite database,
//! taken while servers and consoles keep using it, created owner-only. PostgreSQL has its own
//! tools (`pg_dump`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::target::default_db;
use crate::store::SqliteStore;

/// Options of `backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The new file to write (refused if it exists).
    pub file: PathBuf,
    /// The SQLite database to copy (default: the user's data folder).
    #[arg(long, value_name = "PATH")]
    pub db: Option<String>,
}

/// Copies the database and prints the copy's path and size.
pub async fn run(a: BackupArgs) -> anyhow::Result<()> {
    let db = match &a.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        bail!("PostgreSQL のデータベースは pg_dump でバックアップしてください（backup は SQLite 用です）");
    }
    if !std::path::Path::new(db.trim_start_matches("sqlite://").trim_start_matches("sqlite:")).exists() {
        bail!("データベース {db} がありません。--db でバックアップするデータベースを指定してください");
    }
    let store = SqliteStore::open(&db).await.with_context(|| format!("データベース {db} を開けません"))?;
    store
        .backup_into(&a.file)
        .await
        .with_context(|| format!("{} にバックアップできません", a.file.display()))?;
    let bytes = std::fs::metadata(&a.file).map(|m| m.len()).unwrap_or(0);
    println!("{} ({:.1} MB)", a.file.display(), bytes as f64 / 1e6);
    Ok(())
}
