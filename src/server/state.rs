//! `AppState`: what every handler shares — the store, the policy, the business clock, the
//! in-memory search indexes with the rows they were built from, the event channel and the
//! shutdown signal.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

pub use super::clock::{Clock, jst};
use crate::api::{FaqEntry, InstitutionSummary, MatchSpan, ServerEvent};
use crate::domain::{Institution, InstitutionKind, Policy, ReaderStatus};
use crate::search::{FaqIndex, InstitutionIndex};
use crate::store::{InstitutionRow, OperatorRecord, Store, StoreError};

/// What a lookup row shows beyond what the index itself keeps (name and code come from the
/// index): kept compact, prefecture and city strings shared.
#[derive(Debug, Clone)]
struct Summary {
    name_kana: Option<Box<str>>,
    kind: InstitutionKind,
    prefecture: Arc<str>,
    city: Arc<str>,
    reader_status: ReaderStatus,
}

/// The institution index plus, per document, the rest of the summary it answers with; kept
/// current after every change so a lookup shows the reader status of now.
pub struct LookupIndex {
    index: InstitutionIndex,
    rows: Vec<Summary>,
    by_code: HashMap<[u8; 10], u32>,
    places: HashSet<Arc<str>>,
}

/// A code as the fixed-size key of `by_code` (codes are ten ASCII digits).
fn code_key(code: &str) -> Option<[u8; 10]> {
    code.as_bytes().try_into().ok()
}

impl LookupIndex {
    /// Builds the index from every institution row (consumed: the index keeps what it needs).
    pub fn build(rows: Vec<InstitutionRow>) -> LookupIndex {
        let (institutions, statuses): (Vec<Institution>, Vec<ReaderStatus>) =
            rows.into_iter().map(|r| (r.institution, r.reader_status)).unzip();
        let index = InstitutionIndex::build(&institutions);
        let mut me = LookupIndex { index, rows: Vec::new(), by_code: HashMap::new(), places: HashSet::new() };
        me.rows.reserve_exact(institutions.len());
        me.by_code.reserve(institutions.len());
        for (doc, (inst, status)) in institutions.into_iter().zip(statuses).enumerate() {
            if let Some(key) = code_key(inst.code.as_str()) {
                me.by_code.insert(key, doc as u32);
            }
            let summary = me.summary(inst, status);
            me.rows.push(summary);
        }
        release_free_memory();
        me
    }

    fn intern(&mut self, s: String) -> Arc<str> {
        if let Some(k) = self.places.get(s.as_str()) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(s);
        self.places.insert(k.clone());
        k
    }

    fn summary(&mut self, inst: Institution, reader_status: ReaderStatus) -> Summary {
        Summary {
            name_kana: inst.name_kana.map(String::into_boxed_str),
            kind: inst.kind,
            prefecture: self.intern(inst.prefecture),
            city: self.intern(inst.city),
            reader_status,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What the search index holds in memory (bytes), for the startup log.
    pub fn index_bytes(&self) -> usize {
        self.index.memory().total
    }

    /// Adds or replaces one institution after an import or a reading correction.
    pub fn upsert(&mut self, inst: &Institution, reader_status: ReaderStatus) {
        let doc = self.index.upsert(inst) as usize;
        if let Some(key) = code_key(inst.code.as_str()) {
            self.by_code.insert(key, doc as u32);
        }
        let summary = self.summary(inst.clone(), reader_status);
        if doc < self.rows.len() {
            self.rows[doc] = summary;
        } else {
            self.rows.push(summary);
        }
    }

    /// Records a new reader status (after a change) so lookups show it.
    pub fn set_status(&mut self, code: &str, status: ReaderStatus) {
        if let Some(&doc) = code_key(code).and_then(|k| self.by_code.get(&k))
            && let Some(row) = self.rows.get_mut(doc as usize)
        {
            row.reader_status = status;
        }
    }

    /// Ranked lookup results.
    pub fn search(&self, query: &str, limit: usize) -> Vec<InstitutionSummary> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let row = self.rows.get(hit.doc as usize)?;
                Some(InstitutionSummary {
                    code: self.index.code(hit.doc)?.to_string(),
                    name: self.index.name(hit.doc)?.to_string(),
                    name_kana: row.name_kana.as_deref().map(str::to_string),
                    kind: row.kind,
                    prefecture: row.prefecture.to_string(),
                    city: row.city.to_string(),
                    reader_status: row.reader_status,
                    match_kind: hit.kind.as_str().to_string(),
                    score: hit.score,
                    highlights: hit
                        .highlights
                        .iter()
                        .map(|&(field, start, end)| MatchSpan { field: field.to_string(), start, end })
                        .collect(),
                })
            })
            .collect()
    }
}

/// Hands memory freed after a bulk load back to the operating system. Loading every
/// institution allocates a few hundred MB of short-lived rows across allocator arenas; glibc
/// keeps such freed memory mapped, so without this the server's RSS stays at the peak.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The FAQ entries and their index (document `i` is `entries[i]`).
pub struct FaqCorpus {
    pub entries: Vec<FaqEntry>,
    pub index: FaqIndex,
}

impl FaqCorpus {
    pub fn build(entries: Vec<FaqEntry>) -> FaqCorpus {
        let index = FaqIndex::build(&entries);
        FaqCorpus { entries, index }
    }
}

/// Where the background build of the lookup index stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    /// Built on the first lookup only ([`IndexBuild::OnFirstLookup`]) and none came yet.
    NotStarted,
    Loading,
    Ready,
    Failed(String),
}

/// When the lookup index is built: a server builds it at start so that lookups are fast from
/// the first call; a one-shot CLI command (`show`, `change`) never needs it, and reading every
/// row for it would only slow the command down and leave a build to cancel at exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexBuild {
    AtStart,
    OnFirstLookup,
}

/// Why a build of the lookup index did not finish: cancelled (the runtime is shutting down)
/// is not an error to report.
enum BuildFailure {
    Store(StoreError),
    Cancelled,
}

/// How long a lookup waits for the index still being built before it answers 503.
const INDEX_WAIT: Duration = Duration::from_secs(12);

/// How long a token that checked out is trusted without asking the store again (unless the
/// operators table changes first: see [`REVOCATION_POLL`]).
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(60);

/// How often a server reads the operators table's generation (one small query): a token
/// revoked on any server sharing the database stops working here within about this long,
/// whatever the token cache holds.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);

/// Everything the handlers share; cloned cheaply into each one.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

/// The shared part of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub policy: Policy,
    pub clock: Clock,
    pub lookup: RwLock<LookupIndex>,
    /// Whether `lookup` holds every institution yet: it is built in the background so that
    /// the server (and the console on it) is up at once, not after reading 242,000 rows.
    index_status: watch::Sender<IndexStatus>,
    pub faq: RwLock<FaqCorpus>,
    pub events: broadcast::Sender<ServerEvent>,
    /// Tokens that live only in this process (the embedded server's local supervisor, one
    /// per open SSH console session).
    local_tokens: RwLock<HashMap<String, OperatorRecord>>,
    /// Open console sessions of this process's SSH server, by session id.
    ssh_sessions: RwLock<HashMap<u64, crate::api::SshSession>>,
    /// Tokens that checked out: operator, when, and the [`Shared::token_epoch`] they were
    /// read in (an entry of an older epoch is not trusted).
    token_cache: Mutex<HashMap<String, (OperatorRecord, Instant, u64)>>,
    /// Moves on whenever the operators table may have changed (a token issued or revoked
    /// here, or a new generation seen by the poll), invalidating every cached token at once.
    token_epoch: AtomicU64,
    shutdown: watch::Sender<bool>,
    /// True while the store's change feed (PostgreSQL NOTIFY) delivers every change, ours
    /// included: events are then published from the feed only, never twice.
    following_store: AtomicBool,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    /// Loads the FAQ and starts building the lookup index in the background (see
    /// [`AppState::wait_for_index`]); `local_tokens` maps token hashes to operators that
    /// exist only in this process.
    pub async fn load(
        store: Arc<dyn Store>,
        policy: Policy,
        clock: Clock,
        local_tokens: HashMap<String, OperatorRecord>,
    ) -> Result<AppState, StoreError> {
        AppState::load_with(store, policy, clock, local_tokens, IndexBuild::AtStart).await
    }

    /// [`AppState::load`], building the lookup index when `build` says.
    pub async fn load_with(
        store: Arc<dyn Store>,
        policy: Policy,
        clock: Clock,
        local_tokens: HashMap<String, OperatorRecord>,
        build: IndexBuild,
    ) -> Result<AppState, StoreError> {
        let faq = store.faq_entries().await?;
        let (events, _) = broadcast::channel(256);
        let (shutdown, _) = watch::channel(false);
        let (index_status, _) = watch::channel(IndexStatus::NotStarted);
        let state = AppState {
            inner: Arc::new(Shared {
                store,
                policy,
                clock,
                lookup: RwLock::new(LookupIndex::build(Vec::new())),
                index_status,
                faq: RwLock::new(FaqCorpus::build(faq)),
                events,
                local_tokens: RwLock::new(local_tokens),
                ssh_sessions: RwLock::new(HashMap::new()),
                token_cache: Mutex::new(HashMap::new()),
                token_epoch: AtomicU64::new(0),
                shutdown,
                following_store: AtomicBool::new(false),
            }),
        };
        if build == IndexBuild::AtStart {
            state.start_index_build();
        }
        Ok(state)
    }

    /// Starts the background build of the lookup index unless it has started already.
    fn start_index_build(&self) {
        let started = self.index_status.send_if_modified(|s| {
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
                Err(BuildFailure::Store(e)) if *loader.shutdown.borrow() => {
                    tracing::debug!("building the lookup index stopped at shutdown: {e}");
                    IndexStatus::Failed(e.to_string())
                }
                Err(BuildFailure::Store(e)) => {
                    tracing::error!("building the lookup index failed: {e}");
                    IndexStatus::Failed(e.to_string())
                }
            };
            loader.index_status.send_replace(status);
        });
    }

    /// Applies `change` to the lookup index once it holds every institution; nothing when
    /// the index is not built yet (its build reads the rows as committed, this change
    /// included) or could not be built (lookups say so). Waiting also covers an index whose
    /// rows were read before this change. An index left half-updated by a panic is rebuilt
    /// from the store, never updated blindly nor skipped.
    pub async fn update_index(&self, change: impl FnOnce(&mut LookupIndex)) -> Result<(), StoreError> {
        if *self.index_status.borrow() == IndexStatus::NotStarted || self.wait_for_index().await.is_err() {
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

    /// Waits until the lookup index holds every institution (at most a few seconds after
    /// start, building it now if it was left for the first lookup); `Err` with a message
    /// for the operator when it is still loading or failed.
    pub async fn wait_for_index(&self) -> Result<(), String> {
        self.start_index_build();
        let mut rx = self.index_status.subscribe();
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

    /// Broadcasts an event of this server's own making to every `/v1/events` subscriber
    /// (none listening is fine). When the store's change feed is followed, the feed
    /// delivers it instead (see [`AppState::follow_store_changes`]).
    pub fn publish(&self, event: ServerEvent) {
        if !self.following_store.load(Ordering::Relaxed) {
            let _ = self.events.send(event);
        }
    }

    /// Tells every server's subscribers about an event that changes no row (a screen pop):
    /// through the store's channel when it has one (PostgreSQL NOTIFY), else to this server's
    /// own. A failure is logged: the caller's request itself has done its work.
    pub async fn announce(&self, event: ServerEvent) {
        match self.store.announce(&event).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = self.events.send(event);
            }
            Err(e) => {
                tracing::warn!(
                    "announcing {event:?} through the store failed ({e}); telling this server's consoles"
                );
                let _ = self.events.send(event);
            }
        }
    }

    /// Follows the store's change feed, if it has one (PostgreSQL: changes by every server on
    /// the database): refreshes the indexes and tells this server's subscribers.
    pub async fn follow_store_changes(&self) -> Result<(), StoreError> {
        let Some(mut feed) = self.store.listen_changes().await? else { return Ok(()) };
        self.following_store.store(true, Ordering::Relaxed);
        let state = self.clone();
        tokio::spawn(async move {
            while let Some(event) = feed.recv().await {
                if let Err(e) = state.apply_feed_event(&event).await {
                    tracing::warn!("refreshing after {event:?} failed: {e}");
                }
                let _ = state.events.send(event);
            }
            tracing::warn!("the store's change feed ended; this server now announces only its own changes");
            state.following_store.store(false, Ordering::Relaxed);
        });
        Ok(())
    }

    async fn apply_feed_event(&self, event: &ServerEvent) -> Result<(), StoreError> {
        match event {
            ServerEvent::ApplicationChanged { code, .. } => {
                if let Some(row) = self.store.institution(code).await? {
                    self.update_index(|index| index.set_status(code, row.reader_status)).await?;
                }
                Ok(())
            }
            ServerEvent::InstitutionsChanged => self.reload_institutions().await,
            ServerEvent::FaqChanged => self.reload_faq().await,
            ServerEvent::ScreenPop(_) => Ok(()),
        }
    }

    /// Tells long-lived responses (SSE) to end, so graceful shutdown can finish.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when shutdown has begun.
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// Adds a token that lives only in this process (an SSH session's console).
    pub fn add_local_token(&self, token_hash: String, operator: OperatorRecord) {
        // A map insert cannot be left half-done: a panic elsewhere must not lock anyone out.
        self.local_tokens.write().unwrap_or_else(PoisonError::into_inner).insert(token_hash, operator);
    }

    /// Withdraws a token added by [`AppState::add_local_token`]; requests with it fail (401)
    /// from now on.
    pub fn remove_local_token(&self, token_hash: &str) {
        self.local_tokens.write().unwrap_or_else(PoisonError::into_inner).remove(token_hash);
    }

    /// Records an open SSH console session (see `crate::ssh`).
    pub fn ssh_session_opened(&self, id: u64, session: crate::api::SshSession) {
        if let Ok(mut s) = self.ssh_sessions.write() {
            s.insert(id, session);
        }
    }

    /// Forgets an SSH session that has ended.
    pub fn ssh_session_closed(&self, id: u64) {
        if let Ok(mut s) = self.ssh_sessions.write() {
            s.remove(&id);
        }
    }

    /// The open SSH console sessions, oldest first.
    pub fn ssh_sessions(&self) -> Vec<crate::api::SshSession> {
        let mut v: Vec<_> =
            self.ssh_sessions.read().map(|s| s.values().cloned().collect()).unwrap_or_default();
        v.sort_by(|a: &crate::api::SshSession, b| {
            a.since.cmp(&b.since).then_with(|| a.operator.cmp(&b.operator))
        });
        v
    }

    /// The operator a token hash belongs to: local tokens, then a short cache, then the store.
    pub async fn operator_for(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError> {
        if let Some(op) =
            self.local_tokens.read().unwrap_or_else(PoisonError::into_inner).get(token_hash).cloned()
        {
            return Ok(Some(op));
        }
        let epoch = self.token_epoch.load(Ordering::Acquire);
        if let Ok(cache) = self.token_cache.lock()
            && let Some((op, at, read_in)) = cache.get(token_hash)
            && *read_in == epoch
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(Some(op.clone()));
        }
        let found = self.store.operator_by_token_hash(token_hash).await?;
        // Cached under the epoch read *before* the store: a revocation that committed while
        // we read moves the epoch on, and this entry is then never trusted.
        if let (Some(op), Ok(mut cache)) = (&found, self.token_cache.lock()) {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(token_hash.to_string(), (op.clone(), Instant::now(), epoch));
        }
        Ok(found)
    }

    /// The operators table changed (or may have): no cached token is trusted any more.
    pub fn operators_changed(&self) {
        self.token_epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.token_cache.lock() {
            cache.clear();
        }
    }

    /// Polls the operators table's generation every [`REVOCATION_POLL`] and forgets cached
    /// tokens when it moves: how a revocation made by another server (or a row deleted by
    /// hand) reaches this one. A failed poll is retried; the cache's TTL still bounds it.
    pub async fn watch_operators(&self) -> Result<(), StoreError> {
        let mut last = self.store.operator_generation().await?;
        let state = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REVOCATION_POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(shared) = state.upgrade() else { return };
                let state = AppState { inner: shared };
                if *state.shutdown.borrow() {
                    return;
                }
                match state.store.operator_generation().await {
                    Ok(now) if now != last => {
                        last = now;
                        state.operators_changed();
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!("reading the operators' generation failed: {e}"),
                }
            }
        });
        Ok(())
    }

    /// Rebuilds the lookup index from the store (after a bulk change such as the deadline
    /// batch); nothing when it is not built yet (its build will read the rows as they are).
    pub async fn reload_institutions(&self) -> Result<(), StoreError> {
        if *self.index_status.borrow() == IndexStatus::NotStarted {
            return Ok(());
        }
        self.build_index().await
    }

    async fn build_index(&self) -> Result<(), StoreError> {
        match self.try_build_index().await {
            Ok(()) => Ok(()),
            Err(BuildFailure::Store(e)) => Err(e),
            Err(BuildFailure::Cancelled) => {
                Err(StoreError::internal("building the lookup index was cancelled"))
            }
        }
    }

    async fn try_build_index(&self) -> Result<(), BuildFailure> {
        let rows = self.store.all_institutions().await.map_err(BuildFailure::Store)?;
        let lookup = tokio::task::spawn_blocking(move || LookupIndex::build(rows)).await.map_err(|e| {
            if e.is_cancelled() {
                BuildFailure::Cancelled
            } else {
                BuildFailure::Store(StoreError::internal(format!("building the lookup index failed: {e}")))
            }
        })?;
        // A new index replaces whatever a panic left behind.
        *self.lookup.write().unwrap_or_else(PoisonError::into_inner) = lookup;
        self.lookup.clear_poison();
        Ok(())
    }

    /// Rebuilds the FAQ index from the store.
    pub async fn reload_faq(&self) -> Result<(), StoreError> {
        let entries = self.store.faq_entries().await?;
        let corpus = FaqCorpus::build(entries);
        *self.faq.write().unwrap_or_else(PoisonError::into_inner) = corpus;
        self.faq.clear_poison();
        Ok(())
    }
}
