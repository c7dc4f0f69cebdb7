//! The one `Action` enum: everything that can happen to the console — a bound key's
//! [`Command`], typing and editing, and what the runner posts back (answers, ticks).

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::{
    AuditEvent, Call, ChangeReceipt, Dashboard, DeadlineBatchResult, FaqResponse, FaqSuggestions,
    InstitutionDetail, LookupResponse, Me, ReaderApplicationView, ServerEvent, SubsidyView, TakenCallBack,
};
use crate::client::ClientError;
use crate::domain::{CallBack, CallReport, ReaderModel};

pub use super::command::Command;

/// An answer from the server as the console receives it.
pub type Reply<T> = Result<T, ClientError>;

/// Something the operator asked for, or something the runner reports back.
#[derive(Debug, Clone)]
pub enum Action {
    /// A bound key's command.
    Command(Command),
    /// A typed character for the focused text field.
    Insert(char),
    /// Pasted text (bracketed paste); newlines become spaces in one-line fields.
    Paste(String),
    /// Text editing keys for the focused field.
    Edit(EditKey),
    /// The terminal changed size.
    Resize(u16, u16),
    /// One second passed (call timer).
    Tick(DateTime<Utc>),
    /// Retry a change that hit a dropped connection (same Idempotency-Key).
    RetryChange,
    MeLoaded(Reply<Me>),
    LookupDone {
        seq: u64,
        reply: Reply<LookupResponse>,
    },
    InstitutionLoaded {
        code: String,
        reply: Reply<InstitutionDetail>,
    },
    SubsidyLoaded {
        code: String,
        reply: Reply<SubsidyView>,
    },
    AuditLoaded {
        code: String,
        reply: Reply<Vec<AuditEvent>>,
    },
    InstitutionCallsLoaded {
        code: String,
        reply: Reply<Vec<Call>>,
    },
    ModelsLoaded(Reply<Vec<ReaderModel>>),
    ApplicationLoaded {
        code: String,
        reply: Reply<ReaderApplicationView>,
    },
    ChangeDone {
        key: String,
        reply: Reply<ChangeReceipt>,
    },
    FaqDone {
        seq: u64,
        reply: Reply<FaqResponse>,
    },
    /// The FAQ suggestions for the open call (only the latest `seq` is shown).
    SuggestDone {
        seq: u64,
        reply: Reply<FaqSuggestions>,
    },
    CallSaved(Reply<Call>),
    CallsLoaded(Reply<Vec<Call>>),
    DashboardLoaded(Reply<Dashboard>),
    BatchDone(Reply<DeadlineBatchResult>),
    CallBacksLoaded(Reply<Vec<CallBack>>),
    /// A call-back registered from the form (`from_dialog` false) or the change dialog.
    CallBackCreated {
        from_dialog: bool,
        reply: Reply<CallBack>,
    },
    CallBackTaken(Reply<TakenCallBack>),
    CallBackClosed(Reply<CallBack>),
    ReportLoaded {
        from: NaiveDate,
        to: NaiveDate,
        reply: Reply<CallReport>,
    },
    /// The operator's own floor state (after a change, or at start).
    MyFloorLoaded(Reply<crate::api::MyFloor>),
    FloorLoaded(Reply<crate::api::Floor>),
    /// A hand raised, lowered or acknowledged.
    HandSaved(Reply<crate::domain::floor::HandRaise>),
    WatchStarted(Reply<crate::api::WatchStarted>),
    /// The watched console drew a new frame.
    WatchFrame(std::sync::Arc<super::state::State>),
    /// The watched console is gone (or could not be opened): why.
    WatchLost(String),
    /// The live-update stream connected (true) or dropped (false).
    EventsConnected(bool),
    ServerEvent(ServerEvent),
    /// A campaign request's answer (`tui/campaign.rs`).
    Campaign(Box<super::campaign::CampaignReply>),
}

/// Editing keys of a one-line text field (fixed, not remappable: they mean the same in every
/// terminal and IME).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: clear the field.
    Clear,
    /// Ctrl-W: delete the word before the caret.
    DeleteWord,
}
