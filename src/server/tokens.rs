//! Whose a bearer token is: tokens that live only in this process (the embedded server's local
//! supervisor, one per open SSH console session), a short cache of tokens that checked out,
//! and the revocation watch that empties it when the operators table changes on any server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::state::AppState;
use crate::store::{OperatorRecord, StoreError};

/// How long a token that checked out is trusted without asking the store again (unless the
/// operators table changes first: see [`REVOCATION_POLL`]).
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(60);

/// How often a server reads the operators table's generation (one small query): a token
/// revoked on any server sharing the database stops working here within about this long,
/// whatever the token cache holds.
pub const REVOCATION_POLL: Duration = Duration::from_secs(1);

/// Past this many cached tokens the cache starts again empty.
const MAX_CACHED_TOKENS: usize = 10_000;

/// The tokens this server knows without asking the store.
pub(super) struct Tokens {
    /// Tokens that live only in this process, by hash.
    local: RwLock<HashMap<String, OperatorRecord>>,
    /// Tokens that checked out: operator, when, and the [`Tokens::epoch`] they were read in
    /// (an entry of an older epoch is not trusted).
    cache: Mutex<HashMap<String, (OperatorRecord, Instant, u64)>>,
    /// Moves on whenever the operators table may have changed (a token issued or revoked
    /// here, or a new generation seen by the poll), invalidating every cached token at once.
    epoch: AtomicU64,
}

impl Tokens {
    /// The tokens of this process (`local`: hash → operator), none cached yet.
    pub(super) fn new(local: HashMap<String, OperatorRecord>) -> Tokens {
        Tokens { local: RwLock::new(local), cache: Mutex::new(HashMap::new()), epoch: AtomicU64::new(0) }
    }
}

impl AppState {
    /// The operator a token hash belongs to: local tokens, then a short cache, then the store.
    pub async fn operator_for(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let tokens = &self.tokens;
        if let Some(op) = tokens.local.read().unwrap_or_else(PoisonError::into_inner).get(token_hash).cloned()
        {
            return Ok(Some(op));
        }
        let epoch = tokens.epoch.load(Ordering::Acquire);
        if let Ok(cache) = tokens.cache.lock()
            && let Some((op, at, read_in)) = cache.get(token_hash)
            && *read_in == epoch
            && at.elapsed() < TOKEN_CACHE_TTL
        {
            return Ok(Some(op.clone()));
        }
        let found = self.store.operator_by_token_hash(token_hash).await?;
        // Cached under the epoch read *before* the store: a revocation that committed while
        // we read moves the epoch on, and this entry is then never trusted.
        if let (Some(op), Ok(mut cache)) = (&found, tokens.cache.lock()) {
            if cache.len() > MAX_CACHED_TOKENS {
                cache.clear();
            }
            cache.insert(token_hash.to_string(), (op.clone(), Instant::now(), epoch));
        }
        Ok(found)
    }

    /// Moves on whenever the operators or their SSH keys may have changed (see
    /// [`AppState::operators_changed`]): what the SSH door's sweep compares to know when the
    /// owners of its open sessions must be read again.
    pub fn operators_epoch(&self) -> u64 {
        self.tokens.epoch.load(Ordering::Acquire)
    }

    /// The operators table changed (or may have): no cached token is trusted any more.
    pub fn operators_changed(&self) {
        self.tokens.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.tokens.cache.lock() {
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
                if state.shutting_down() {
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

    /// Adds a token that lives only in this process (an SSH session's console).
    pub fn add_local_token(&self, token_hash: String, operator: OperatorRecord) {
        // A map insert cannot be left half-done: a panic elsewhere must not lock anyone out.
        self.tokens.local.write().unwrap_or_else(PoisonError::into_inner).insert(token_hash, operator);
    }

    /// Withdraws a token added by [`AppState::add_local_token`]; requests with it fail (401)
    /// from now on.
    pub fn remove_local_token(&self, token_hash: &str) {
        self.tokens.local.write().unwrap_or_else(PoisonError::into_inner).remove(token_hash);
    }
}
