//! WAL checkpoints off the request path.
//!
//! SQLite's default moves the write-ahead log back into the database file from inside the
//! commit that grows it past 1,000 pages: that one commit copies the pages and syncs the file,
//! and the request it belongs to (a 次へ, a change with its 受付番号) waits 5–10 ms instead of
//! 0.3 (measured with `bench campaign` on this project's two-core machine: 12 of 386 commits
//! over 2 ms, all of them checkpoints). So the writer connection only checkpoints as a
//! backstop ([`BACKSTOP_PAGES`], for a process whose background task is not running), and a
//! task checkpoints every [`EVERY`] on a connection of its own, `PASSIVE`: it copies what no
//! reader still needs and never waits for, nor blocks, the writer or a reader.

use std::sync::Weak;
use std::time::Duration;

use sqlx::{Pool, Sqlite};

/// How often the background task checkpoints.
pub(crate) const EVERY: Duration = Duration::from_millis(500);

/// The writer's own checkpoint threshold, in pages (`wal_autocheckpoint`): far above what
/// [`EVERY`] lets the log reach, so it only fires when nothing else checkpoints (a one-shot
/// command's bulk write while no server runs on the file).
pub(crate) const BACKSTOP_PAGES: u32 = 16_384;

/// What one `PRAGMA wal_checkpoint(PASSIVE)` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpointed {
    /// Frames in the log.
    pub log_frames: i64,
    /// Frames now in the database file (fewer than the log's while a reader still needs some).
    pub copied_frames: i64,
}

/// Checkpoints once, without waiting for anyone.
pub(crate) async fn checkpoint(pool: &Pool<Sqlite>) -> Result<Checkpointed, sqlx::Error> {
    let (_busy, log_frames, copied_frames): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
    Ok(Checkpointed { log_frames, copied_frames })
}

/// Checkpoints every [`EVERY`] until the store is gone (`alive` no longer upgrades), then
/// closes its connection. A failed checkpoint is logged and tried again next time: the
/// writer's backstop still bounds the log.
pub(crate) fn spawn(pool: Pool<Sqlite>, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            tokio::time::sleep(EVERY).await;
            if alive.upgrade().is_none() {
                break;
            }
            match checkpoint(&pool).await {
                Ok(done) => {
                    if std::mem::replace(&mut failing, false) {
                        tracing::info!(?done, "WAL checkpoints work again");
                    }
                }
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(
                        "a background WAL checkpoint failed ({e}); retrying every {EVERY:?}, \
                         the writer checkpoints by itself past {BACKSTOP_PAGES} pages"
                    );
                }
                Err(_) => {}
            }
        }
        pool.close().await;
    });
}
