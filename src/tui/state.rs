//! The console's whole state: what every screen shows, owned in one value that `update()`
//! changes and `view()` draws. No I/O, no channels, no clocks (time arrives as actions).

use chrono::{DateTime, Utc};

use crate::api::{
    AuditEvent, Call, ChangeReceipt, Dashboard, DeadlineBatchResult, FaqHit, InstitutionDetail,
    InstitutionSummary, Me, ReaderApplicationView, SubsidyView, Verification,
};
use crate::client::ClientError;
use crate::domain::{CallBack, CallBackOutcome, CallReport, ReaderModel};

use super::command::Command;
use super::field::TextField;
use super::keymap::{Context, HelpSection, Hints};
use super::period::ReportSpan;
use super::search_pane::SearchPane;

/// Data that arrives from the server: not asked yet, on its way, here, or failed.
#[derive(Debug, Clone, Default)]
pub enum Loadable<T> {
    #[default]
    Idle,
    Loading,
    Loaded(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Loadable::Loaded(t) => Some(t),
            _ => None,
        }
    }
    pub fn from_reply(reply: Result<T, ClientError>) -> Loadable<T> {
        match reply {
            Ok(t) => Loadable::Loaded(t),
            Err(e) => Loadable::Failed(e.to_string()),
        }
    }
}

/// The screen on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Lookup,
    Institution,
    Faq,
    Calls,
    Dashboard,
    Help,
    /// Watching another operator's console (モニター), read only.
    Watch,
}

/// Tabs of the institution screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Reader,
    Subsidy,
    History,
    Calls,
}

impl Tab {
    pub const ALL: [Tab; 5] = [Tab::Overview, Tab::Reader, Tab::Subsidy, Tab::History, Tab::Calls];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "概要",
            Tab::Reader => "カードリーダー",
            Tab::Subsidy => "補助金",
            Tab::History => "履歴",
            Tab::Calls => "応対",
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// How serious a status-line message is (colour and wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The lookup screen: the query, the answer to the latest query, the selection.
pub type LookupState = SearchPane<InstitutionSummary>;

/// The institution screen: header and one pane per tab, each loaded on its own.
#[derive(Debug, Clone)]
pub struct InstitutionState {
    pub code: String,
    pub detail: Loadable<InstitutionDetail>,
    pub subsidy: Loadable<SubsidyView>,
    pub audit: Loadable<Vec<AuditEvent>>,
    pub calls: Loadable<Vec<Call>>,
    pub tab: Tab,
    pub scroll: u16,
    /// Said when another operator changed this institution while it was open.
    pub notice: Option<String>,
}

/// Fields of the change dialog, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogField {
    Model,
    Units,
    CallerName,
    CallerRole,
    Verification,
}

/// Where the change dialog stands.
#[derive(Debug, Clone)]
pub enum DialogStage {
    /// Filling in the fields.
    Editing,
    /// Before → after shown; Enter commits, Esc goes back.
    Confirm,
    /// Sent; waiting for the answer.
    Submitting { attempt: u32 },
    /// The connection dropped; the same request (same Idempotency-Key) is retried.
    Offline { attempt: u32, error: String },
    /// The server refused (409 and other errors), in its words; Esc goes back to editing.
    Refused { message: String },
    /// Someone else changed the application meanwhile (412): what it is now. Enter redoes
    /// the change on the fresh state, Esc cancels.
    Stale { message: String, current: Option<Box<ReaderApplicationView>> },
    /// Done: the receipt.
    Receipt(Box<ChangeReceipt>),
    /// Verification by calling back: the call-back (with the change) is being registered.
    RegisteringCallBack,
    /// The call-back is registered; the change waits for it.
    CallBackRegistered(Box<CallBack>),
}

/// The change dialog (F4): the fields, the state it was opened on, and the stage.
#[derive(Debug, Clone)]
pub struct ChangeDialog {
    pub code: String,
    pub institution_name: String,
    /// The application as read when the dialog opened (its version is the If-Match).
    pub current: ReaderApplicationView,
    pub field: DialogField,
    pub model_idx: usize,
    pub units: u32,
    pub caller: TextField,
    pub role_idx: usize,
    pub verification: Option<Verification>,
    pub stage: DialogStage,
    /// The Idempotency-Key of the change being sent; the same key on every retry.
    pub idempotency_key: Option<String>,
    /// A validation message (missing caller name, no verification chosen).
    pub problem: Option<String>,
    /// The call-back this dialog completes (its pending change filled the fields): set when
    /// the current call was started by taking it.
    pub from_callback: Option<i64>,
    /// The model to preselect once the catalog is known (a call-back's pending change).
    pub preset_model: Option<String>,
}

impl ChangeDialog {
    /// True when confirming registers a call-back instead of changing: verification by calling
    /// back the registered number, and this is not yet that call-back's call.
    pub fn needs_callback(&self) -> bool {
        self.verification == Some(Verification::CallbackRegisteredPhone) && self.from_callback.is_none()
    }

    /// The fields shown: units only when more than one free unit is allowed.
    pub fn fields(&self) -> Vec<DialogField> {
        let mut f = vec![DialogField::Model];
        if self.current.free_units > 1 {
            f.push(DialogField::Units);
        }
        f.extend([DialogField::CallerName, DialogField::CallerRole, DialogField::Verification]);
        f
    }
}

/// The FAQ screen: the search pane of questions, and how far the selected answer is scrolled.
#[derive(Debug, Clone, Default)]
pub struct FaqState {
    pub search: SearchPane<FaqHit>,
    pub answer_scroll: u16,
    /// `Some(confident)` while the list shows the open call's suggestions (query empty)
    /// instead of a search's answer.
    pub suggested: Option<bool>,
}

/// The FAQ screen reads as its search pane (`state.faq.results`, `state.faq.input`, ...).
impl std::ops::Deref for FaqState {
    type Target = SearchPane<FaqHit>;
    fn deref(&self) -> &SearchPane<FaqHit> {
        &self.search
    }
}

impl std::ops::DerefMut for FaqState {
    fn deref_mut(&mut self) -> &mut SearchPane<FaqHit> {
        &mut self.search
    }
}

/// The call log: the open call (timer), its note, and today's calls.
#[derive(Debug, Clone, Default)]
pub struct CallsState {
    pub current: Option<Call>,
    pub note: TextField,
    pub today: Loadable<Vec<Call>>,
    pub selected: usize,
    /// A start/attach/close request is on its way.
    pub saving: bool,
    /// The wrap-up picker, open while closing a call: the reason ids chosen so far.
    pub wrap_up: Option<Vec<String>>,
    /// The call-back the current call makes (it was started by taking it).
    pub callback: Option<CallBack>,
    /// The new call-back form, open over the call log.
    pub callback_form: Option<CallBackForm>,
}

/// Due times the call-back form offers: minutes from now (`None`: the policy's default).
pub const CALLBACK_DUE_CHOICES: [(Option<i64>, &str); 5] = [
    (None, "標準（ポリシーの既定）"),
    (Some(30), "30分後"),
    (Some(60), "1時間後"),
    (Some(120), "2時間後"),
    (Some(240), "4時間後"),
];

/// The new call-back form: for which institution (its registered number shown, never typed),
/// the reason, and when.
#[derive(Debug, Clone)]
pub struct CallBackForm {
    pub code: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub reason: TextField,
    /// Index into [`CALLBACK_DUE_CHOICES`].
    pub due_idx: usize,
    /// Sent; waiting for the answer.
    pub sending: bool,
    pub problem: Option<String>,
}

/// The deadline batch as a supervisor runs it: dry run first, then confirm.
#[derive(Debug, Clone, Default)]
pub enum BatchStage {
    #[default]
    Idle,
    DryRunning,
    /// The dry run's answer; Enter runs it for real, Esc forgets it.
    DryRun(DeadlineBatchResult),
    Running,
    Done(DeadlineBatchResult),
    Failed(String),
}

/// Tabs of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DashboardTab {
    /// 機種未定 by prefecture, the deadline batch.
    #[default]
    Overview,
    /// Call-backs due and overdue.
    CallBacks,
    /// The supervisors' call report.
    Report,
    /// The floor (live): operators' states, raised hands, watching a console.
    Floor,
    /// 架電キャンペーン: the burn-down, by prefecture and operator (`tui/campaign.rs`).
    Campaign,
}

impl DashboardTab {
    pub const ALL: [DashboardTab; 5] = [
        DashboardTab::Overview,
        DashboardTab::CallBacks,
        DashboardTab::Report,
        DashboardTab::Floor,
        DashboardTab::Campaign,
    ];
    pub fn label(self) -> &'static str {
        match self {
            DashboardTab::Overview => "概況",
            DashboardTab::CallBacks => "折り返し",
            DashboardTab::Report => "応対レポート",
            DashboardTab::Floor => "フロア",
            DashboardTab::Campaign => "架電",
        }
    }
    pub fn index(self) -> usize {
        DashboardTab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The call-back list: open call-backs, overdue first, and the outcome picker.
#[derive(Debug, Clone, Default)]
pub struct CallBacksState {
    pub list: Loadable<Vec<CallBack>>,
    pub selected: usize,
    /// The outcome picker, open on one call-back: its id and the outcome chosen.
    pub closing: Option<(i64, CallBackOutcome)>,
    /// A take or close request is on its way.
    pub busy: bool,
}

/// The call report: its period (anchor day and span) and the answer.
#[derive(Debug, Clone, Default)]
pub struct ReportState {
    pub span: ReportSpan,
    /// The day the period is built around; `None` until the business date is known.
    pub anchor: Option<chrono::NaiveDate>,
    pub data: Loadable<CallReport>,
    /// The period the data (or the request on its way) is for.
    pub range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    pub scroll: u16,
}

/// The dashboard.
#[derive(Debug, Clone, Default)]
pub struct DashboardState {
    pub data: Loadable<Dashboard>,
    pub scroll: u16,
    pub batch: BatchStage,
    pub tab: DashboardTab,
    pub callbacks: CallBacksState,
    pub report: ReportState,
}

/// Everything the console shows.
#[derive(Debug, Clone)]
pub struct State {
    /// The screen shown.
    pub screen: Screen,
    /// Screens to return to with Esc.
    pub back_stack: Vec<Screen>,
    /// The lookup screen.
    pub lookup: LookupState,
    /// The institution screen, once one was opened.
    pub institution: Option<InstitutionState>,
    /// The change dialog, while open.
    pub dialog: Option<ChangeDialog>,
    /// The FAQ screen.
    pub faq: FaqState,
    /// The call log and the open call.
    pub calls: CallsState,
    /// The supervisor's dashboard.
    pub dashboard: DashboardState,
    /// The floor: the operator's own state and hand, the supervisors' view, a watch.
    pub floor: super::floor::FloorState,
    /// 架電キャンペーン: the campaign worked, the member leased, the picker, the burn-down.
    pub campaign: super::campaign::CampaignConsole,
    /// The help screen's sections, built from the keymap.
    pub help: Vec<HelpSection>,
    /// Lines scrolled on the help screen.
    pub help_scroll: u16,
    /// Short hint keys for the footer, per context: (key, label).
    pub hints: Hints,
    /// Who the token belongs to and the business date (`/v1/me`).
    pub me: Loadable<Me>,
    /// The reader catalogue for the change dialog.
    pub models: Loadable<Vec<ReaderModel>>,
    /// `embedded` or the server's URL, for the status bar.
    pub server_label: String,
    /// The live-update stream is connected (the best sign the server is reachable).
    pub connected: bool,
    /// ASCII borders and symbols (for terminals that draw ambiguous-width characters two cells wide).
    pub ascii: bool,
    /// Whether to draw in colour.
    pub color: bool,
    /// Now on the server's clock: the runner's real time plus [`State::clock_offset`].
    pub now: DateTime<Utc>,
    /// The server's clock minus this machine's (days under `--as-of`), learned from `/v1/me`:
    /// call timers and due times compare the server's instants with [`State::now`].
    pub clock_offset: chrono::TimeDelta,
    /// The status line's message and how serious it is.
    pub message: Option<(Level, String)>,
    /// Quit was asked while a dialog or call is open: the next Quit / Enter quits.
    pub confirm_quit: bool,
    /// Set when the console should end.
    pub quit: bool,
    /// Prefix of Idempotency-Keys (random per console session, set by the runner).
    pub session_id: String,
    /// Counter for the next Idempotency-Key of this session.
    pub next_key: u64,
    /// What was last copied (OSC 52), said in the status line.
    pub last_copied: Option<String>,
    /// FAQ entries the caller of the open call is likely to ask about.
    pub suggestions: Suggestions,
}

/// The FAQ suggestions of the open call: what was asked last (a request goes out only when
/// the call, its institution or its note changes) and the latest answer.
#[derive(Debug, Clone, Default)]
pub struct Suggestions {
    /// (call id, institution code, note) of the latest request.
    pub asked: Option<(i64, Option<String>, String)>,
    pub seq: u64,
    pub latest: Option<crate::api::FaqSuggestions>,
}

impl State {
    /// A fresh console. `help` and `hints` come from the active keymap.
    pub fn new(server_label: &str, ascii: bool, color: bool, session_id: &str, now: DateTime<Utc>) -> State {
        State {
            screen: Screen::Lookup,
            back_stack: Vec::new(),
            lookup: LookupState::default(),
            institution: None,
            dialog: None,
            faq: FaqState::default(),
            calls: CallsState::default(),
            dashboard: DashboardState::default(),
            floor: Default::default(),
            campaign: Default::default(),
            help: Vec::new(),
            help_scroll: 0,
            hints: Hints::default(),
            me: Loadable::Idle,
            models: Loadable::Idle,
            server_label: server_label.to_string(),
            connected: false,
            ascii,
            color,
            now,
            clock_offset: chrono::TimeDelta::zero(),
            message: None,
            confirm_quit: false,
            quit: false,
            session_id: session_id.to_string(),
            next_key: 0,
            last_copied: None,
            suggestions: Suggestions::default(),
        }
    }

    /// The keymap context of what has focus now.
    pub fn context(&self) -> Context {
        if self.dialog.is_some() && self.screen == Screen::Institution {
            return Context::Dialog;
        }
        match self.screen {
            Screen::Lookup => Context::Lookup,
            Screen::Institution => Context::Institution,
            Screen::Faq => Context::Faq,
            Screen::Calls => Context::Calls,
            Screen::Dashboard => Context::Dashboard,
            Screen::Help => Context::Help,
            Screen::Watch => Context::Global,
        }
    }

    /// True when typed characters go to a text field (so keys must not be taken as commands).
    pub fn text_focus(&self) -> bool {
        // The floor's popups take digits (the picker) and text (the hand's note).
        if self.floor.popup_open() || self.campaign.popup_open() {
            return true;
        }
        match self.context() {
            Context::Lookup | Context::Faq => true,
            Context::Calls => self.calls.current.is_some() || self.calls.callback_form.is_some(),
            // Digits pick an outcome while the picker is open.
            Context::Dashboard => self.dashboard.callbacks.closing.is_some(),
            Context::Dialog => self.dialog.as_ref().is_some_and(|d| {
                matches!(d.stage, DialogStage::Editing) && d.field == DialogField::CallerName
            }),
            _ => false,
        }
    }

    /// Seconds the open call has lasted.
    pub fn call_seconds(&self) -> Option<i64> {
        self.calls.current.as_ref().map(|c| (self.now - c.started_at).num_seconds())
    }

    /// The key bound to `command` on this screen (global first), for every hint, prompt and
    /// message that names one; `None` when the user's keymap leaves it unbound.
    pub fn key_for(&self, command: Command) -> Option<&str> {
        self.hints.key(self.context(), command)
    }

    /// [`State::key_for`] for a sentence: the key, or 「（キー未割当）」 when none is bound.
    pub fn key_name(&self, command: Command) -> &str {
        self.key_for(command).unwrap_or("（キー未割当）")
    }

    /// [`State::key_name`] on another screen: for a sentence that tells what to press there
    /// (F4 on the institution screen, said while the dashboard is shown).
    pub fn key_name_in(&self, ctx: Context, command: Command) -> &str {
        self.hints.key(ctx, command).unwrap_or("（キー未割当）")
    }
}
