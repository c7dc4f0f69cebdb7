//! The floor in the console: the operator's own state (受付可, 通話中, 後処理, 離席) and raised
//! hand as the status bar shows them, the state picker and the hand's note, the supervisors'
//! floor view, and watching another console (モニター).
//!
//! Watching works in-process: a console drawn by the SSH door publishes its state after every
//! frame on a [`Tap`] (only while someone watches), and a supervisor's console on the same
//! server receives it through a [`WatchSource`] and draws it with the pure `view` at its own
//! size. The supervisor's keys never leave the supervisor's console.

use std::sync::Arc;

use tokio::sync::watch;

use crate::api::{Floor, MyFloor};

use super::field::TextField;
use super::state::{Loadable, State};

/// The latest state of a watched console (`None` until its first frame).
pub type Frames = watch::Receiver<Option<Arc<State>>>;

/// Where a console publishes its state for watchers. The door that registered it keeps one
/// receiver (to hand out copies), so someone watches when there are more.
#[derive(Debug)]
pub struct Tap {
    tx: watch::Sender<Option<Arc<State>>>,
}

impl Tap {
    /// A tap and the receiver its door keeps.
    pub fn new() -> (Tap, Frames) {
        let (tx, rx) = watch::channel(None);
        (Tap { tx }, rx)
    }

    /// True while a supervisor watches (beyond the door's own receiver).
    pub fn watched(&self) -> bool {
        self.tx.receiver_count() > 1
    }

    /// Publishes a copy of `state`; a console that is itself watching another is published
    /// without that other's frame (two consoles watching each other would otherwise nest
    /// their frames without end).
    pub fn publish(&self, state: &State) {
        let mut copy = state.clone();
        if let Some(w) = copy.floor.watch.as_mut() {
            w.frame = None;
        }
        self.tx.send_replace(Some(Arc::new(copy)));
    }
}

/// Hands a supervisor's console the frames of a watch the server has registered.
pub trait WatchSource: Send + Sync {
    /// The frames of watch `id`, begun by `supervisor`; `Err` in the supervisor's words when
    /// there is no such watch or the console is gone.
    fn frames(&self, id: u64, supervisor: &str) -> Result<Frames, String>;
}

/// What a console drawn by the SSH door has beyond a local one: its own tap, and a way to
/// watch the other consoles of the same server.
#[derive(Default)]
pub struct Live {
    pub tap: Option<Tap>,
    pub source: Option<Arc<dyn WatchSource>>,
    /// The door signs the operator out when its last session ends (the console does not).
    pub door_signs_out: bool,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("tap", &self.tap.is_some())
            .field("source", &self.source.is_some())
            .finish()
    }
}

/// The state picker (the away key): 1 is 受付可, then the policy's away reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    pub selected: usize,
}

/// A watch as the supervisor's console holds it.
#[derive(Debug, Clone)]
pub struct WatchView {
    pub operator: String,
    /// The server's id of the watch, once begun.
    pub id: Option<u64>,
    /// The watched console as last drawn (with this console's display settings).
    pub frame: Option<Arc<State>>,
}

/// Everything the console knows of the floor.
#[derive(Debug, Clone, Default)]
pub struct FloorState {
    /// The operator's own state, hand and watcher (`None` until loaded).
    pub mine: Option<MyFloor>,
    /// The supervisors' floor view.
    pub view: Loadable<Floor>,
    /// Selected row of the floor view: raised hands first, then operators.
    pub selected: usize,
    pub picker: Option<Picker>,
    /// The raised hand's note, being typed.
    pub hand_note: Option<TextField>,
    pub watch: Option<WatchView>,
    /// This console signed its operator in (and signs them out when it ends).
    pub signed_in: bool,
}

impl FloorState {
    /// Rows of the floor view: raised hands, then operators.
    pub fn rows(&self) -> usize {
        self.view.get().map(|f| f.hands.len() + f.agents.len()).unwrap_or(0)
    }

    /// True while a popup of the floor (picker, note) takes the keys.
    pub fn popup_open(&self) -> bool {
        self.picker.is_some() || self.hand_note.is_some()
    }
}
