//! The way back after a write. A use case writes through the store and shows its change in
//! this server's indexes at once (so the answer and the next lookup agree); consoles hear of
//! it from one publisher only, the store's change feed (PostgreSQL `LISTEN`, or SQLite's poll
//! of the audit log), which reports every change on the database — this server's and every
//! other's — as a [`ServerEvent`] made in one place (the store's `sql/audit.rs`). For each
//! event this module brings the indexes up to it (nothing when the use case already did) and
//! passes it to the `/v1/events` subscribers.
//!
//! Events that change no row (a screen pop) go through [`AppState::announce`].

use tokio::sync::broadcast;

use super::state::AppState;
use crate::api::ServerEvent;
use crate::store::StoreError;

/// Events a slow subscriber may fall behind by before it skips ahead.
const SUBSCRIBER_BACKLOG: usize = 256;

/// What `/v1/events` subscribers are told.
pub struct ChangeFeed {
    channel: broadcast::Sender<ServerEvent>,
}

impl Default for ChangeFeed {
    fn default() -> ChangeFeed {
        ChangeFeed { channel: broadcast::channel(SUBSCRIBER_BACKLOG).0 }
    }
}

impl ChangeFeed {
    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.channel.subscribe()
    }

    /// How many subscribers listen now (for `/metrics`).
    pub fn subscribers(&self) -> usize {
        self.channel.receiver_count()
    }

    /// Tells this server's subscribers (none listening is fine).
    fn send(&self, event: ServerEvent) {
        let _ = self.channel.send(event);
    }
}

impl AppState {
    /// Tells every server's subscribers about an event that changes no row (a screen pop):
    /// through the store's channel when it has one (PostgreSQL NOTIFY), else to this server's
    /// own. A failure is logged: the caller's request itself has done its work.
    pub async fn announce(&self, event: ServerEvent) {
        match self.store.announce(&event).await {
            Ok(true) => {}
            Ok(false) => self.events.send(event),
            Err(e) => {
                tracing::warn!(
                    "announcing {event:?} through the store failed ({e}); telling this server's consoles"
                );
                self.events.send(event);
            }
        }
    }

    /// Follows the store's change feed (changes by every server on the database, this one's
    /// included): brings the indexes up to each change and tells this server's subscribers.
    pub async fn follow_store_changes(&self) -> Result<(), StoreError> {
        let Some(mut feed) = self.store.listen_changes().await? else {
            tracing::warn!("this store has no change feed: consoles will not hear of changes");
            return Ok(());
        };
        let state = self.clone();
        tokio::spawn(async move {
            while let Some(event) = feed.recv().await {
                if let Err(e) = state.catch_up_with(&event).await {
                    tracing::warn!("refreshing after {event:?} failed: {e}");
                }
                state.events.send(event);
            }
            if !state.shutting_down() {
                tracing::error!("the store's change feed ended: consoles no longer hear of changes");
            }
        });
        Ok(())
    }

    /// Brings the indexes up to `event`: nothing when they hold it already (the use case that
    /// made it on this server updated them).
    async fn catch_up_with(&self, event: &ServerEvent) -> Result<(), StoreError> {
        match event {
            ServerEvent::ApplicationChanged { code, version, .. } => {
                // After the build (whose rows may predate this change), the index decides.
                if self.index_absent().await
                    || self.lookup.read().map(|l| l.holds_change(code, *version)).unwrap_or(false)
                {
                    return Ok(());
                }
                if let Some(row) = self.store.institution(code).await? {
                    self.show_application_change(code, *version, row.reader_status).await?;
                }
                Ok(())
            }
            ServerEvent::InstitutionsChanged => self.reload_institutions().await,
            ServerEvent::FaqChanged => self.reload_faq().await,
            ServerEvent::ScreenPop(_)
            | ServerEvent::AgentState { .. }
            | ServerEvent::Hand { .. }
            | ServerEvent::Watch { .. } => Ok(()),
        }
    }
}
