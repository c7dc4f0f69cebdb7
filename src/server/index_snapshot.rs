//! The lookup index snapshot beside the database (`DB.lookup-index`): read at start instead of
//! building the index when it was made from these rows by this build's rules (caught up with
//! the rows changed since), and written a little after the index changes.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::index_lifecycle::{BuildFailure, MAX_CATCH_UP_ROWS, release_free_memory};
use super::state::AppState;
use crate::search::LookupIndex;
use crate::search::snapshot_codec::SnapshotError;
use crate::store::InstitutionsVersion;

/// How long after a change the lookup index snapshot is written (changes in a row, one write).
const SNAPSHOT_DELAY: Duration = Duration::from_secs(2);

impl AppState {
    /// The index of the snapshot at `path` when it was built from this database's rows, caught
    /// up with the rows changed since and given today's statuses; `None` (with a log line
    /// saying why) when it is missing, unreadable, of another database or out of date.
    pub(super) async fn load_snapshot(
        &self,
        path: &std::path::Path,
        now: &InstitutionsVersion,
    ) -> Result<Option<LookupIndex>, BuildFailure> {
        let t = Instant::now();
        if !path.exists() {
            tracing::info!("no lookup index snapshot at {} yet: building the index", path.display());
            return Ok(None);
        }
        let read_path = path.to_path_buf();
        let read = tokio::task::spawn_blocking(move || match std::fs::read(&read_path) {
            Ok(bytes) => Some(LookupIndex::from_snapshot(&bytes).map_err(|e| e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(Err(e.to_string())),
        });
        // This build's rules fingerprint is computed, and today's statuses are read, while the
        // file is decoded: all three stand between the start and the first lookup.
        let rules = tokio::task::spawn_blocking(crate::search::rules::fingerprint);
        let (read, rules, statuses) = tokio::join!(read, rules, self.store.reader_statuses());
        let read = read.map_err(|_| BuildFailure::Cancelled)?;
        let rules = rules.map_err(|_| BuildFailure::Cancelled)?;
        let (header, mut lookup) = match read {
            None => {
                tracing::info!("no lookup index snapshot at {} yet: building the index", path.display());
                return Ok(None);
            }
            Some(Err(e)) => {
                tracing::warn!(
                    "the lookup index snapshot {} is unusable ({e}): rebuilding it",
                    path.display()
                );
                return Ok(None);
            }
            Some(Ok(found)) => found,
        };
        if header.rules != rules {
            tracing::warn!(
                "the lookup index snapshot {} is unusable ({}): rebuilding it",
                path.display(),
                SnapshotError::OtherRules
            );
            return Ok(None);
        }
        if header.generation != now.generation || header.version > now.version {
            tracing::warn!(
                "the lookup index snapshot {} was made from another database (or a newer state of it): rebuilding it",
                path.display()
            );
            return Ok(None);
        }
        let changed = if header.version < now.version {
            self.store.institutions_changed_since(header.version).await.map_err(BuildFailure::Store)?
        } else {
            Vec::new()
        };
        if changed.len() > MAX_CATCH_UP_ROWS {
            tracing::info!(
                "{} institutions changed since the lookup index snapshot was written: rebuilding it",
                changed.len()
            );
            return Ok(None);
        }
        let statuses = statuses.map_err(BuildFailure::Store)?;
        for row in &changed {
            lookup.upsert(&row.institution, row.reader_status);
        }
        if lookup.len() as u64 != now.count {
            tracing::info!(
                "the lookup index snapshot holds {} institutions, the database {}: rebuilding it",
                lookup.len(),
                now.count
            );
            return Ok(None);
        }
        lookup.set_statuses(&statuses);
        lookup.built_from = Some(now.clone());
        tracing::info!(
            "lookup index of {} institutions loaded from {} in {:.0} ms ({} changed since it was written)",
            lookup.len(),
            path.display(),
            t.elapsed().as_secs_f64() * 1e3,
            changed.len()
        );
        if !changed.is_empty() {
            self.schedule_snapshot();
        }
        Ok(Some(lookup))
    }

    /// Writes the lookup index snapshot soon (a few changes in a row make one write), when
    /// the store has a place for it.
    pub fn schedule_snapshot(&self) {
        let Some(path) = self.store.index_snapshot_path() else { return };
        if self.index.snapshot_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SNAPSHOT_DELAY).await;
            state.index.snapshot_pending.store(false, Ordering::Release);
            let writer = state.clone();
            let target = path.clone();
            match tokio::task::spawn_blocking(move || writer.write_snapshot(&target)).await {
                Ok(Ok(bytes)) => tracing::info!(
                    "lookup index snapshot written to {} ({:.0} MB)",
                    path.display(),
                    bytes as f64 / 1e6
                ),
                Ok(Err(e)) => tracing::warn!(
                    "could not write the lookup index snapshot {} ({e}); the next start builds the index instead",
                    path.display()
                ),
                Err(_) => {}
            }
        });
    }

    /// Writes the snapshot now: to a new private file beside `path`, renamed over it.
    fn write_snapshot(&self, path: &std::path::Path) -> std::io::Result<usize> {
        let (head, payload) = {
            let lookup =
                self.lookup.read().map_err(|_| std::io::Error::other("the lookup index is poisoned"))?;
            let Some(built_from) = lookup.built_from.clone() else { return Ok(0) };
            lookup.snapshot_parts(&built_from)
        };
        let mut tmp = path.as_os_str().to_os_string();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = (|| {
            use std::io::Write;
            let mut file = options.open(&tmp)?;
            file.write_all(&head)?;
            file.write_all(&payload)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        let bytes = head.len() + payload.len();
        drop(payload);
        release_free_memory();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map(|()| bytes)
    }
}
