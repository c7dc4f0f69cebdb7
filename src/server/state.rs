//! `AppState`: what every handler shares — the store, the policy, the business clock, the
//! in-memory search indexes, the event channel, tokens, SSH sessions and the shutdown signal.
//! It holds them; what is done with them lives beside it: the indexes' build, catch-up and
//! snapshot in `index_lifecycle.rs` and `index_snapshot.rs`, the way changes come back in
//! `change_feed.rs`, tokens in `tokens.rs`, SSH sessions in `ssh_sessions.rs`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::watch;

use super::change_feed::ChangeFeed;
pub use super::clock::{Clock, JST};
use super::index_lifecycle::IndexLifecycle;
pub use super::index_lifecycle::{IndexBuild, IndexStatus};
use super::ssh_sessions::SshSessions;
pub use super::tokens::REVOCATION_POLL;
use super::tokens::Tokens;
use crate::domain::Policy;
use crate::search::{FaqCorpus, LookupIndex};
use crate::store::{OperatorRecord, Store, StoreError};

/// Everything the handlers share; cloned cheaply into each one.
#[derive(Clone)]
pub struct AppState {
    pub(super) inner: Arc<Shared>,
}

/// The shared part of [`AppState`].
pub struct Shared {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Dates, quotas and wrap-up reasons.
    pub policy: Policy,
    /// Every "now" and the business date.
    pub clock: Clock,
    /// The institution lookup; whether it holds every institution yet is in `index`.
    pub lookup: RwLock<LookupIndex>,
    /// The FAQ entries and their index.
    pub faq: RwLock<FaqCorpus>,
    /// Where the lookup index's build stands, and its snapshot and catch-up in progress.
    pub(super) index: IndexLifecycle,
    /// What `/v1/events` subscribers are told.
    pub events: ChangeFeed,
    /// Local tokens and the cache of tokens that checked out.
    pub(super) tokens: Tokens,
    /// Open console sessions of this process's SSH server.
    pub(super) ssh: SshSessions,
    /// The watches (モニター) begun on this server.
    pub watches: super::watch::Watches,
    /// 架電キャンペーン: `next` requests arriving together, leased in one transaction.
    pub campaign_next: super::usecase::campaigns::NextQueue,
    /// Campaign outcomes recorded in batches (group commit).
    pub campaign_outcomes: super::usecase::campaigns::OutcomeQueue,
    /// What `/metrics` reports (see `metrics.rs`).
    pub metrics: super::metrics::Metrics,
    /// Set when the server begins to stop: `/readyz` answers 503 `draining`.
    draining: std::sync::atomic::AtomicBool,
    shutdown: watch::Sender<bool>,
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
        let (shutdown, _) = watch::channel(false);
        let state = AppState {
            inner: Arc::new(Shared {
                store,
                policy,
                clock,
                lookup: RwLock::new(LookupIndex::build(Vec::new())),
                faq: RwLock::new(FaqCorpus::build(faq)),
                index: IndexLifecycle::default(),
                events: ChangeFeed::default(),
                tokens: Tokens::new(local_tokens),
                ssh: SshSessions::default(),
                watches: Default::default(),
                campaign_next: super::usecase::campaigns::next_queue(),
                campaign_outcomes: super::usecase::campaigns::outcome_queue(),
                metrics: Default::default(),
                draining: Default::default(),
                shutdown,
            }),
        };
        if build == IndexBuild::AtStart {
            state.start_index_build();
        }
        Ok(state)
    }

    /// The server is about to stop (SIGTERM): `/readyz` answers 503 `draining` from now on,
    /// while requests are still answered.
    pub fn begin_drain(&self) {
        self.draining.store(true, std::sync::atomic::Ordering::Release);
    }

    /// True once [`AppState::begin_drain`] was called.
    pub fn draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Tells long-lived responses (SSE) and background tasks to end, so graceful shutdown
    /// can finish.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// True once shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves when shutdown has begun.
    pub fn shutdown_signal(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }
}
