//! Watching a console (モニター) through the SSH door: each session's console has a tap its
//! state goes to after every frame while someone watches ([`Screens`] keeps a receiver per
//! session), and a supervisor's console gets those frames for a watch the server registered
//! (`POST /v1/floor/watches`, which checks the role, that the operator is signed in and that
//! this door draws their console, and audits it). Frames travel in-process, one way: nothing
//! the watching console does reaches the watched one.
//!
//! When a session ends, the watches its supervisor began end (audited with their end), and its
//! operator is signed out of the floor unless another of their sessions is still open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use crate::domain::floor::AgentEvent;
use crate::server::AppState;
use crate::server::usecase::floor as floor_usecase;
use crate::tui::floor::{Frames, Tap, WatchSource};
use crate::tui::input::Input;

/// One console drawn by this door, as watchers reach it.
struct Screen {
    operator: String,
    frames: Frames,
    /// The console's input, to ask for a first frame when a watch begins.
    redraw: mpsc::WeakSender<Input>,
}

/// The consoles this door draws, by session id.
pub struct Screens {
    state: AppState,
    open: Mutex<HashMap<u64, Screen>>,
}

impl Screens {
    pub fn new(state: AppState) -> Screens {
        Screens { state, open: Mutex::new(HashMap::new()) }
    }

    /// A session's console opened: the tap it publishes its frames on.
    pub fn opened(&self, session: u64, operator: &str, redraw: mpsc::WeakSender<Input>) -> Tap {
        let (tap, frames) = Tap::new();
        let screen = Screen { operator: operator.to_string(), frames, redraw };
        self.open.lock().unwrap_or_else(PoisonError::into_inner).insert(session, screen);
        tap
    }

    /// A session's console closed: its watchers see the end of its frames (once the console's
    /// tap is dropped too); its operator is signed out unless another session of theirs is open.
    pub async fn closed(&self, session: u64) {
        let operator = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(gone) = open.remove(&session) else { return };
            if open.values().any(|s| s.operator == gone.operator) {
                return;
            }
            gone.operator
        };
        if let Err(e) = floor_usecase::apply(&self.state, &operator, AgentEvent::SignOut).await {
            tracing::warn!("signing {operator} out of the floor after their SSH session failed: {e}");
        }
    }

    /// The frames of `operator`'s newest console here, with a redraw asked for.
    fn frames_of(&self, operator: &str) -> Option<Frames> {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (_, screen) = open.iter().filter(|(_, s)| s.operator == operator).max_by_key(|(id, _)| **id)?;
        if let Some(tx) = screen.redraw.upgrade() {
            let _ = tx.try_send(Input::Redraw);
        }
        Some(screen.frames.clone())
    }
}

/// One session's view of the door's screens: the watches it began, ended with it.
pub struct SessionWatches {
    screens: Arc<Screens>,
    begun: Mutex<Vec<u64>>,
}

impl SessionWatches {
    pub fn new(screens: Arc<Screens>) -> SessionWatches {
        SessionWatches { screens, begun: Mutex::new(Vec::new()) }
    }

    /// Ends (and audits the end of) every watch this session began that is still going.
    pub async fn end_all(&self) {
        let ids: Vec<u64> = std::mem::take(&mut *self.begun.lock().unwrap_or_else(PoisonError::into_inner));
        for id in ids {
            if let Err(e) = floor_usecase::finish_watch(&self.screens.state, id).await {
                tracing::warn!("ending watch {id} with its SSH session failed: {e}");
            }
        }
    }
}

impl WatchSource for SessionWatches {
    fn frames(&self, id: u64, supervisor: &str) -> Result<Frames, String> {
        let w =
            self.screens.state.watches.get(id).ok_or_else(|| format!("モニター #{id} は終了しています"))?;
        if w.supervisor != supervisor {
            return Err(format!("モニター #{id} は {} さんのものです", w.supervisor));
        }
        let frames = self.screens.frames_of(&w.operator).ok_or_else(|| {
            format!(
                "{} さんの画面はこのサーバーにありません（接続が切れたか、別のサーバーの画面です）",
                w.operator
            )
        })?;
        self.begun.lock().unwrap_or_else(PoisonError::into_inner).push(id);
        Ok(frames)
    }
}
