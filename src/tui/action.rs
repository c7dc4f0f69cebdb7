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
    /// The answer to [`Effect::LoadMe`](super::Effect::LoadMe).
    MeLoaded(Reply<Me>),
    /// The answer to a lookup.
    LookupDone {
        /// The request number it answers.
        seq: u64,
        /// The answer.
        reply: Reply<LookupResponse>,
    },
    /// The institution screen's header.
    InstitutionLoaded {
        /// 医療機関コード asked for.
        code: String,
        /// The answer.
        reply: Reply<InstitutionDetail>,
    },
    /// The institution's subsidy claim and calculation.
    SubsidyLoaded {
        /// 医療機関コード asked for.
        code: String,
        /// The answer.
        reply: Reply<SubsidyView>,
    },
    /// The institution's 変更履歴.
    AuditLoaded {
        /// 医療機関コード asked for.
        code: String,
        /// The answer.
        reply: Reply<Vec<AuditEvent>>,
    },
    /// The calls about the institution.
    InstitutionCallsLoaded {
        /// 医療機関コード asked for.
        code: String,
        /// The answer.
        reply: Reply<Vec<Call>>,
    },
    /// The reader catalogue.
    ModelsLoaded(Reply<Vec<ReaderModel>>),
    /// The fresh application for the change dialog.
    ApplicationLoaded {
        /// 医療機関コード asked for.
        code: String,
        /// The answer.
        reply: Reply<ReaderApplicationView>,
    },
    /// The answer to a change.
    ChangeDone {
        /// The Idempotency-Key it was sent with.
        key: String,
        /// The answer.
        reply: Reply<ChangeReceipt>,
    },
    /// The answer to an FAQ search.
    FaqDone {
        /// The request number it answers.
        seq: u64,
        /// The answer.
        reply: Reply<FaqResponse>,
    },
    /// The FAQ suggestions for the open call (only the latest `seq` is shown).
    SuggestDone {
        /// The request number it answers.
        seq: u64,
        /// The answer.
        reply: Reply<FaqSuggestions>,
    },
    /// A call started or changed.
    CallSaved(Reply<Call>),
    /// Today's calls.
    CallsLoaded(Reply<Vec<Call>>),
    /// The supervisor's dashboard.
    DashboardLoaded(Reply<Dashboard>),
    /// What the deadline batch did (or would do).
    BatchDone(Reply<DeadlineBatchResult>),
    /// Open call-backs.
    CallBacksLoaded(Reply<Vec<CallBack>>),
    /// A call-back registered from the form (`from_dialog` false) or the change dialog.
    CallBackCreated {
        /// True when registered from the change dialog.
        from_dialog: bool,
        /// The answer.
        reply: Reply<CallBack>,
    },
    /// A call-back taken, with the call started for it.
    CallBackTaken(Reply<TakenCallBack>),
    /// A call-back closed.
    CallBackClosed(Reply<CallBack>),
    /// The call report.
    ReportLoaded {
        /// First day asked for.
        from: NaiveDate,
        /// Last day asked for.
        to: NaiveDate,
        /// The answer.
        reply: Reply<CallReport>,
    },
    /// The operator's own floor state (after a change, or at start).
    MyFloorLoaded(Reply<crate::api::MyFloor>),
    /// The floor view (supervisors).
    FloorLoaded(Reply<crate::api::Floor>),
    /// A hand raised, lowered or acknowledged.
    HandSaved(Reply<crate::domain::floor::HandRaise>),
    /// A watch begun, or why not.
    WatchStarted(Reply<crate::api::WatchStarted>),
    /// The watched console drew a new frame.
    WatchFrame(std::sync::Arc<super::state::State>),
    /// The watched console is gone (or could not be opened): why.
    WatchLost(String),
    /// The live-update stream connected (true) or dropped (false).
    EventsConnected(bool),
    /// A live event from the server.
    ServerEvent(ServerEvent),
    /// A campaign request's answer (`tui/campaign.rs`).
    Campaign(Box<super::campaign::CampaignReply>),
}

/// Editing keys of a one-line text field (fixed, not remappable: they mean the same in every
/// terminal and IME).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    /// Delete the character before the caret.
    Backspace,
    /// Delete the character after the caret.
    Delete,
    /// Move the caret one character left.
    Left,
    /// Move the caret one character right.
    Right,
    /// Move the caret to the start.
    Home,
    /// Move the caret to the end.
    End,
    /// Ctrl-U: clear the field.
    Clear,
    /// Ctrl-W: delete the word before the caret.
    DeleteWord,
}
