//! `AppState`: what every handler shares — the store, the policy, the business clock, the
//! in-memory search indexes with the rows they were built from, the event channel and the
//! shutdown signal.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};

pub use super::clock::{Clock, jst};
use crate::api::{FaqEntry, InstitutionSummary, MatchSpan, ServerEvent};
use crate::domain::{Institution, InstitutionKind, Policy, ReaderStatus};
use crate::search::snapshot_codec::{Reader, SnapshotError, SnapshotHeader, Writer};
use crate::search::{FaqIndex, InstitutionIndex, index_order_key};
use crate::store::{InstitutionRow, InstitutionsVersion, OperatorRecord, Store, StoreError};

/// What a lookup row shows beyond what the index itself keeps (name, reading and code come
/// from the index): four bytes of place and one of kind, the place strings shared.
#[derive(Debug, Clone, Copy)]
struct Summary {
    kind: InstitutionKind,
    place: u32,
    reader_status: ReaderStatus,
}

/// The institution index plus, per document, the rest of the summary it answers with; kept
/// current after every change so a lookup shows the reader status of now.
pub struct LookupIndex {
    index: InstitutionIndex,
    rows: Vec<Summary>,
    /// (prefecture, city) of every place, by id.
    places: Vec<(Arc<str>, Arc<str>)>,
    place_ids: HashMap<(Arc<str>, Arc<str>), u32>,
    /// The institution rows this index holds every change of (see [`InstitutionsVersion`]);
    /// `None` for an index not built from a store.
    pub(crate) built_from: Option<InstitutionsVersion>,
    /// True when this index was read from a snapshot file rather than built from rows.
    from_snapshot: bool,
}

/// The snapshot format this build writes and reads; a file of another is rebuilt.
const SNAPSHOT_FORMAT: u32 = 4;

const KINDS: [InstitutionKind; 4] = [
    InstitutionKind::Hospital,
    InstitutionKind::MedicalClinic,
    InstitutionKind::DentalClinic,
    InstitutionKind::Pharmacy,
];

impl LookupIndex {
    /// Builds the index from every institution row (consumed: the index keeps what it needs).
    pub fn build(mut rows: Vec<InstitutionRow>) -> LookupIndex {
        rows.sort_by_cached_key(|r| index_order_key(&r.institution));
        let (institutions, statuses): (Vec<Institution>, Vec<ReaderStatus>) =
            rows.into_iter().map(|r| (r.institution, r.reader_status)).unzip();
        let index = InstitutionIndex::build(&institutions);
        let mut me = LookupIndex {
            index,
            rows: Vec::new(),
            places: Vec::new(),
            place_ids: HashMap::new(),
            built_from: None,
            from_snapshot: false,
        };
        me.rows.reserve_exact(institutions.len());
        for (inst, status) in institutions.into_iter().zip(statuses) {
            let summary = me.summary(inst, status);
            me.rows.push(summary);
        }
        release_free_memory();
        me
    }

    fn place_of(&mut self, prefecture: String, city: String) -> u32 {
        let key: (Arc<str>, Arc<str>) = (Arc::from(prefecture), Arc::from(city));
        if let Some(&id) = self.place_ids.get(&key) {
            return id;
        }
        let id = self.places.len() as u32;
        self.places.push(key.clone());
        self.place_ids.insert(key, id);
        id
    }

    fn summary(&mut self, inst: Institution, reader_status: ReaderStatus) -> Summary {
        Summary { kind: inst.kind, place: self.place_of(inst.prefecture, inst.city), reader_status }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when this index was read from the snapshot file beside the database.
    pub fn loaded_from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// What the search index holds in memory (bytes), for the startup log.
    pub fn index_bytes(&self) -> usize {
        self.index.memory().total + self.rows.capacity() * std::mem::size_of::<Summary>()
    }

    /// Adds or replaces one institution after an import or a reading correction.
    pub fn upsert(&mut self, inst: &Institution, reader_status: ReaderStatus) {
        let doc = self.index.upsert(inst) as usize;
        let summary = self.summary(inst.clone(), reader_status);
        if doc < self.rows.len() {
            self.rows[doc] = summary;
        } else {
            self.rows.push(summary);
        }
    }

    /// Records a new reader status (after a change) so lookups show it.
    pub fn set_status(&mut self, code: &str, status: ReaderStatus) {
        if let Some(doc) = self.index.doc_of_code(code)
            && let Some(row) = self.rows.get_mut(doc as usize)
        {
            row.reader_status = status;
        }
    }

    /// Sets every reader status: `statuses` lists those other than 未申込.
    pub fn set_statuses(&mut self, statuses: &[(String, ReaderStatus)]) {
        for row in &mut self.rows {
            row.reader_status = ReaderStatus::NotApplied;
        }
        for (code, status) in statuses {
            self.set_status(code, *status);
        }
    }

    /// The snapshot file of this index (statuses are not in it: they change all day and are
    /// read from the store when the snapshot is loaded).
    pub fn snapshot_parts(&self, built_from: &InstitutionsVersion) -> (Vec<u8>, Vec<u8>) {
        let mut w = Writer::default();
        self.index.write_to(&mut w);
        w.len(self.places.len());
        for (prefecture, city) in &self.places {
            w.str(prefecture);
            w.str(city);
        }
        w.len(self.rows.len());
        for row in &self.rows {
            w.u8(KINDS.iter().position(|k| *k == row.kind).unwrap_or(0) as u8);
            w.u32(row.place);
        }
        let header = SnapshotHeader {
            generation: built_from.generation.clone(),
            version: built_from.version,
            count: self.rows.len() as u64,
            rules: crate::search::rules::fingerprint(),
        };
        w.into_parts(SNAPSHOT_FORMAT, &header)
    }

    /// Reads a snapshot file: what it was built from (the caller checks it against the database
    /// and this build's rules), and the index with every status 未申込.
    pub fn from_snapshot(file: &[u8]) -> Result<(SnapshotHeader, LookupIndex), SnapshotError> {
        let (header, mut r) = Reader::open(file, SNAPSHOT_FORMAT)?;
        let index = InstitutionIndex::read_from(&mut r)?;
        let n = r.len(16)?;
        let mut places = Vec::with_capacity(n);
        let mut place_ids = HashMap::with_capacity(n);
        for i in 0..n {
            let key: (Arc<str>, Arc<str>) = (Arc::from(r.string()?), Arc::from(r.string()?));
            places.push(key.clone());
            place_ids.insert(key, i as u32);
        }
        let rows_n = r.len(5)?;
        if rows_n != index.len() || header.count != rows_n as u64 {
            return Err(SnapshotError::Damaged("row count"));
        }
        let mut rows = Vec::with_capacity(rows_n);
        for _ in 0..rows_n {
            let kind = *KINDS.get(r.u8()? as usize).ok_or(SnapshotError::Damaged("kind"))?;
            let place = r.u32()?;
            if place as usize >= places.len() {
                return Err(SnapshotError::Damaged("place"));
            }
            rows.push(Summary { kind, place, reader_status: ReaderStatus::NotApplied });
        }
        if !r.is_done() {
            return Err(SnapshotError::Damaged("trailing bytes"));
        }
        let built_from = Some(InstitutionsVersion {
            generation: header.generation.clone(),
            version: header.version,
            count: header.count,
        });
        Ok((header, LookupIndex { index, rows, places, place_ids, built_from, from_snapshot: true }))
    }

    /// Ranked lookup results.
    pub fn search(&self, query: &str, limit: usize) -> Vec<InstitutionSummary> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let row = self.rows.get(hit.doc as usize)?;
                let (prefecture, city) = self.places.get(row.place as usize)?;
                Some(InstitutionSummary {
                    code: self.index.code(hit.doc)?.to_string(),
                    name: self.index.name(hit.doc)?.to_string(),
                    name_kana: self.index.name_kana(hit.doc),
                    kind: row.kind,
                    prefecture: prefecture.to_string(),
                    city: city.to_string(),
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

    /// Makes the corpus hold `entries` (the store's, by id), tokenising only the entries that
    /// changed; returns how many were. An edit of one entry, or the same import seen again
    /// from another server's notification, costs one entry or none, not a rebuild.
    pub fn update(&mut self, entries: Vec<FaqEntry>) -> usize {
        let tokenised = self.index.update(&self.entries, &entries);
        self.entries = entries;
        tokenised
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

/// Past this many changed institutions a catch-up rebuilds the whole index instead (re-keyed
/// rows go to the posting lists' overflow, which is slower to read than a fresh build).
const MAX_CATCH_UP_ROWS: usize = 20_000;

/// How long after a change the lookup index snapshot is written (changes in a row, one write).
const SNAPSHOT_DELAY: Duration = Duration::from_secs(2);

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
    /// A snapshot of the lookup index is due to be written (see [`AppState::schedule_snapshot`]).
    snapshot_pending: AtomicBool,
    /// One catch-up of the lookup index with the store at a time.
    catching_up: tokio::sync::Mutex<()>,
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
                snapshot_pending: AtomicBool::new(false),
                catching_up: tokio::sync::Mutex::new(()),
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

    /// Where the lookup index is now (for `/healthz` and the start line).
    pub fn lookup_readiness(&self) -> crate::api::LookupReadiness {
        use crate::api::LookupReadiness;
        match &*self.index_status.borrow() {
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

    /// Brings the lookup index up to the store after institutions changed (an import, a
    /// reading correction, a change another server made): only the rows changed since the
    /// version the index holds are read and re-keyed; a big batch, deleted rows or another
    /// database mean a full rebuild. Nothing when the index is not built yet (its build will
    /// read the rows as they are).
    pub async fn reload_institutions(&self) -> Result<(), StoreError> {
        if *self.index_status.borrow() == IndexStatus::NotStarted || self.wait_for_index().await.is_err() {
            return Ok(());
        }
        let _one = self.catching_up.lock().await;
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

    /// Reads every reader status again (after a batch that changed many, such as the deadline
    /// batch); the institutions themselves are unchanged.
    pub async fn reload_statuses(&self) -> Result<(), StoreError> {
        if *self.index_status.borrow() == IndexStatus::NotStarted || self.wait_for_index().await.is_err() {
            return Ok(());
        }
        let statuses = self.store.reader_statuses().await?;
        self.update_index(|index| index.set_statuses(&statuses)).await
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

    /// At start: the snapshot beside the database when it was built from these rows (caught
    /// up with the rows changed since, if a few), else a build from every row; later: a build.
    async fn try_build_index(&self) -> Result<(), BuildFailure> {
        let now = self.store.institutions_version().await.map_err(BuildFailure::Store)?;
        if *self.index_status.borrow() == IndexStatus::Loading
            && let Some(path) = self.store.index_snapshot_path()
            && let Some(lookup) = self.load_snapshot(&path, &now).await?
        {
            *self.lookup.write().unwrap_or_else(PoisonError::into_inner) = lookup;
            self.lookup.clear_poison();
            return Ok(());
        }
        let t = Instant::now();
        let rows = self.store.all_institutions().await.map_err(BuildFailure::Store)?;
        let mut lookup =
            tokio::task::spawn_blocking(move || LookupIndex::build(rows)).await.map_err(|e| {
                if e.is_cancelled() {
                    BuildFailure::Cancelled
                } else {
                    BuildFailure::Store(StoreError::internal(format!(
                        "building the lookup index failed: {e}"
                    )))
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
        self.schedule_snapshot();
        Ok(())
    }

    /// The index of the snapshot at `path` when it was built from this database's rows, caught
    /// up with the rows changed since and given today's statuses; `None` (with a log line
    /// saying why) when it is missing, unreadable, of another database or out of date.
    async fn load_snapshot(
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
        if self.snapshot_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SNAPSHOT_DELAY).await;
            state.snapshot_pending.store(false, Ordering::Release);
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

    /// Brings the FAQ index up to the store's entries (only the changed entries are tokenised).
    pub async fn reload_faq(&self) -> Result<(), StoreError> {
        let entries = self.store.faq_entries().await?;
        let mut corpus = self.faq.write().unwrap_or_else(PoisonError::into_inner);
        let tokenised = corpus.update(entries);
        drop(corpus);
        self.faq.clear_poison();
        tracing::debug!(tokenised, "FAQ index updated");
        Ok(())
    }
}
