//! The lookup index's life in a server: built in the background at start (or from the
//! snapshot file, see `index_snapshot.rs`), waited for by the first lookups, kept current after
//! every change (a change's status, a catch-up with the rows changed since), rebuilt when a
//! panic poisoned it. The FAQ index is rebuilt from the store when its entries change.

use std::sync::PoisonError;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::state::AppState;
use crate::domain::ReaderStatus;
use crate::search::LookupIndex;
use crate::store::StoreError;

/// Where the background build of the lookup index stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    /// Built on the first lookup only ([`IndexBuild::OnFirstLookup`]) and none came yet.
    NotStarted,
    /// Being built (or read from the snapshot).
    Loading,
    /// Holds every institution.
    Ready,
    /// Could not be built: why.
    Failed(String),
}

/// When the lookup index is built: a server builds it at start so that lookups are fast from
/// the first call; a one-shot CLI command (`show`, `change`) never needs it, and reading every
/// row for it would only slow the command down and leave a build to cancel at exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexBuild {
    /// In the background as the server starts.
    AtStart,
    /// When the first lookup asks for it.
    OnFirstLookup,
}

/// Why a build of the lookup index did not finish: cancelled (the runtime is shutting down)
/// is not an error to report.
pub(super) enum BuildFailure {
    Store(StoreError),
    Cancelled,
}

/// Past this many changed institutions a catch-up rebuilds the whole index instead (re-keyed
/// rows go to the posting lists' overflow, which is slower to read than a fresh build).
pub(super) const MAX_CATCH_UP_ROWS: usize = 20_000;

/// How long a lookup waits for the index still being built before it answers 503.
const INDEX_WAIT: Duration = Duration::from_secs(12);

/// The lookup index's build status, and the work on it in progress.
pub(super) struct IndexLifecycle {
    /// Whether `lookup` holds every institution yet: it is built in the background so that
    /// the server (and the console on it) is up at once, not after reading 242,000 rows.
    status: watch::Sender<IndexStatus>,
    /// A snapshot of the lookup index is due to be written (see [`AppState::schedule_snapshot`]).
    pub(super) snapshot_pending: AtomicBool,
    /// One catch-up of the lookup index with the store at a time.
    catching_up: tokio::sync::Mutex<()>,
}

impl Default for IndexLifecycle {
    fn default() -> IndexLifecycle {
        IndexLifecycle {
            status: watch::channel(IndexStatus::NotStarted).0,
            snapshot_pending: AtomicBool::new(false),
            catching_up: tokio::sync::Mutex::new(()),
        }
    }
}

/// Hands memory freed after a bulk load back to the operating system. Loading every
/// institution allocates a few hundred MB of short-lived rows across allocator arenas; glibc
/// keeps such freed memory mapped, so without this the server's RSS stays at the peak.
pub(super) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

impl AppState {
    /// Starts the background build of the lookup index unless it has started already.
    pub(super) fn start_index_build(&self) {
        let started = self.index.status.send_if_modified(|s| {
            let first = *s == IndexStatus::NotStarted;
            if first {
                *s = IndexStatus::Loading;
            }
            first
        });
        if !started {
            return;
        }
        let loader = self.clone();
        tokio::spawn(async move {
            let status = match loader.try_build_index().await {
                Ok(()) => IndexStatus::Ready,
                // The process is ending (a one-shot command done, Ctrl-C): not an error.
                Err(BuildFailure::Cancelled) => IndexStatus::Failed("cancelled".to_string()),
                Err(BuildFailure::Store(e)) if loader.shutting_down() => {
                    tracing::debug!("building the lookup index stopped at shutdown: {e}");
                    IndexStatus::Failed(e.to_string())
                }
                Err(BuildFailure::Store(e)) => {
                    tracing::error!("building the lookup index failed: {e}");
                    IndexStatus::Failed(e.to_string())
                }
            };
            loader.index.status.send_replace(status);
        });
    }

    /// True when the lookup index was never asked for, or could not be built: then there
    /// is nothing to keep current (its build reads the rows as they are).
    pub(super) async fn index_absent(&self) -> bool {
        *self.index.status.borrow() == IndexStatus::NotStarted || self.wait_for_index().await.is_err()
    }

    /// Applies `change` to the lookup index once it holds every institution; nothing when
    /// the index is not built yet (its build reads the rows as committed, this change
    /// included) or could not be built (lookups say so). Waiting also covers an index whose
    /// rows were read before this change. An index left half-updated by a panic is rebuilt
    /// from the store, never updated blindly nor skipped.
    pub async fn update_index(&self, change: impl FnOnce(&mut LookupIndex)) -> Result<(), StoreError> {
        if self.index_absent().await {
            return Ok(());
        }
        let poisoned = match self.lookup.write() {
            Ok(mut index) => {
                change(&mut index);
                false
            }
            Err(_) => true,
        };
        if !poisoned {
            return Ok(());
        }
        tracing::error!("the lookup index was poisoned by a panic; rebuilding it from the store");
        self.build_index().await
    }

    /// Shows a committed change of the application of `code` (now at `version`, `status`) in
    /// lookups; whichever comes first of the use case that made it and the change feed that
    /// reports it updates the index, the other finds it done.
    pub async fn show_application_change(
        &self,
        code: &str,
        version: i64,
        status: ReaderStatus,
    ) -> Result<(), StoreError> {
        self.update_index(|index| index.record_change(code, version, status)).await
    }

    /// Where the lookup index is now (for `/healthz` and the start line).
    pub fn lookup_readiness(&self) -> crate::api::LookupReadiness {
        use crate::api::LookupReadiness;
        match &*self.index.status.borrow() {
            IndexStatus::NotStarted => LookupReadiness::NotStarted,
            IndexStatus::Loading => LookupReadiness::Loading,
            IndexStatus::Ready => LookupReadiness::Ready,
            IndexStatus::Failed(_) => LookupReadiness::Failed,
        }
    }

    /// Waits until the lookup index holds every institution (at most a few seconds after
    /// start, building it now if it was left for the first lookup); `Err` with a message
    /// for the operator when it is still loading or failed.
    pub async fn wait_for_index(&self) -> Result<(), String> {
        self.start_index_build();
        let mut rx = self.index.status.subscribe();
        let waited = tokio::time::timeout(
            INDEX_WAIT,
            rx.wait_for(|s| !matches!(s, IndexStatus::Loading | IndexStatus::NotStarted)),
        )
        .await;
        match waited.ok().and_then(|r| r.ok()).map(|s| s.clone()) {
            Some(IndexStatus::Ready) => Ok(()),
            Some(IndexStatus::Failed(e)) => Err(format!(
                "検索の索引を作れませんでした（{e}）。サーバーのログを確かめ、再起動してください"
            )),
            _ => Err("起動直後のため検索の準備中です。数秒後にもう一度お試しください".to_string()),
        }
    }

    /// Brings the lookup index up to the store after institutions changed (an import, a
    /// reading correction, a change another server made): only the rows changed since the
    /// version the index holds are read and re-keyed; a big batch, deleted rows or another
    /// database mean a full rebuild. Nothing when the index is not built yet (its build will
    /// read the rows as they are), nor when it holds the store's version already.
    pub async fn reload_institutions(&self) -> Result<(), StoreError> {
        if self.index_absent().await {
            return Ok(());
        }
        let _one = self.index.catching_up.lock().await;
        let now = self.store.institutions_version().await?;
        let have = self.lookup.read().ok().and_then(|l| l.built_from.clone());
        let Some(have) = have.filter(|h| h.generation == now.generation && h.version <= now.version) else {
            return self.build_index().await;
        };
        let len = self.lookup.read().map(|l| l.len() as u64).unwrap_or(0);
        if have.version == now.version && len == now.count {
            return Ok(());
        }
        let rows = self.store.institutions_changed_since(have.version).await?;
        if rows.len() > MAX_CATCH_UP_ROWS {
            tracing::info!("{} institutions changed: rebuilding the lookup index", rows.len());
            return self.build_index().await;
        }
        let mut complete = false;
        self.update_index(|index| {
            for row in &rows {
                index.upsert(&row.institution, row.reader_status);
            }
            complete = index.len() as u64 == now.count;
            index.built_from = Some(now.clone());
        })
        .await?;
        if !complete {
            tracing::info!("institutions were removed: rebuilding the lookup index");
            return self.build_index().await;
        }
        self.schedule_snapshot();
        Ok(())
    }

    /// Builds the lookup index from every row, replacing the one there.
    pub(super) async fn build_index(&self) -> Result<(), StoreError> {
        match self.try_build_index().await {
            Ok(()) => Ok(()),
            Err(BuildFailure::Store(e)) => Err(e),
            Err(BuildFailure::Cancelled) => {
                Err(StoreError::internal("building the lookup index was cancelled"))
            }
        }
    }

    /// At start: the snapshot beside the database when it was built from these rows (caught
    /// up with the rows changed since, if a few), else a build from every row; later: a build.
    async fn try_build_index(&self) -> Result<(), BuildFailure> {
        let now = self.store.institutions_version().await.map_err(BuildFailure::Store)?;
        if *self.index.status.borrow() == IndexStatus::Loading
            && let Some(path) = self.store.index_snapshot_path()
            && let Some(lookup) = self.load_snapshot(&path, &now).await?
        {
            *self.lookup.write().unwrap_or_else(PoisonError::into_inner) = lookup;
            self.lookup.clear_poison();
            self.metrics.index_built();
            return Ok(());
        }
        let t = Instant::now();
        let rows = self.store.all_institutions().await.map_err(BuildFailure::Store)?;
        let build = move || {
            let index =
                LookupIndex::build(rows.into_iter().map(|r| (r.institution, r.reader_status)).collect());
            release_free_memory();
            index
        };
        let mut lookup = tokio::task::spawn_blocking(build).await.map_err(|e| {
            if e.is_cancelled() {
                BuildFailure::Cancelled
            } else {
                BuildFailure::Store(StoreError::internal(format!("building the lookup index failed: {e}")))
            }
        })?;
        // Rows changed while they were read are read again by the next catch-up.
        lookup.built_from = Some(now);
        tracing::info!(
            "lookup index built from {} institutions in {:.1} s",
            lookup.len(),
            t.elapsed().as_secs_f64()
        );
        // A new index replaces whatever a panic left behind.
        *self.lookup.write().unwrap_or_else(PoisonError::into_inner) = lookup;
        self.lookup.clear_poison();
        self.metrics.index_built();
        self.schedule_snapshot();
        Ok(())
    }

    /// Rebuilds the FAQ index from the store, unless it holds these entries already (a change
    /// this server made and indexed, reported again by the change feed).
    pub async fn reload_faq(&self) -> Result<(), StoreError> {
        let entries = self.store.faq_entries().await?;
        let same = self.faq.read().map(|corpus| corpus.entries == entries).unwrap_or(false);
        if same {
            return Ok(());
        }
        // Only the entries that changed are tokenised again (an edit costs one entry).
        let mut corpus = self.faq.write().unwrap_or_else(PoisonError::into_inner);
        let tokenised = corpus.update(entries);
        drop(corpus);
        self.faq.clear_poison();
        tracing::debug!(tokenised, "FAQ index updated");
        Ok(())
    }
}
