//! The one `Action` enum: everything that can happen to the console. Keymap files name the
//! bindable actions (snake_case); the rest are internal (results posted back by the runner,
//! text editing, ticks) and `#[serde(skip)]` so no keymap can bind them.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::api::{
    AuditEvent, Call, ChangeReceipt, Dashboard, DeadlineBatchResult, FaqResponse, InstitutionDetail,
    LookupResponse, Me, ReaderApplicationView, ServerEvent, SubsidyView,
};
use crate::client::ClientError;
use crate::domain::ReaderModel;

/// An answer from the server as the console receives it.
pub type Reply<T> = Result<T, ClientError>;

/// Something the operator asked for, or something the runner reports back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Show the key list (F1).
    Help,
    /// Go to the lookup screen, focus and clear the query (F2).
    Lookup,
    /// Open the FAQ (F3).
    Faq,
    /// Change the reader application of the open institution (F4).
    Change,
    /// Open the call log.
    Calls,
    /// Open the dashboard.
    Dashboard,
    /// Quit (asks first when a dialog or a call is open).
    Quit,
    /// Go back / cancel.
    Back,
    /// Open / confirm.
    Confirm,
    /// Next tab or field.
    Next,
    /// Previous tab or field.
    Prev,
    Up,
    Down,
    PageUp,
    PageDown,
    /// Copy the receipt number or the FAQ answer to the clipboard (OSC 52).
    Copy,
    /// Start a call (the timer in the status bar starts).
    StartCall,
    /// Attach the open institution to the current call.
    AttachCall,
    /// Close the current call (saves the note).
    CloseCall,
    /// Reload what the screen shows.
    Refresh,
    /// Supervisors: run the deadline batch as a dry run (then Enter runs it for real).
    DeadlineBatch,

    /// A typed character for the focused text field.
    #[serde(skip)]
    Insert(char),
    /// Pasted text (bracketed paste); newlines become spaces in one-line fields.
    #[serde(skip)]
    Paste(String),
    /// Text editing keys for the focused field.
    #[serde(skip)]
    Edit(EditKey),
    /// The terminal changed size.
    #[serde(skip)]
    Resize(u16, u16),
    /// One second passed (call timer).
    #[serde(skip)]
    Tick(DateTime<Utc>),
    /// Retry a change that hit a dropped connection (same Idempotency-Key).
    #[serde(skip)]
    RetryChange,
    #[serde(skip)]
    MeLoaded(Reply<Me>),
    #[serde(skip)]
    LookupDone {
        seq: u64,
        reply: Reply<LookupResponse>,
    },
    #[serde(skip)]
    InstitutionLoaded {
        code: String,
        reply: Reply<InstitutionDetail>,
    },
    #[serde(skip)]
    SubsidyLoaded {
        code: String,
        reply: Reply<SubsidyView>,
    },
    #[serde(skip)]
    AuditLoaded {
        code: String,
        reply: Reply<Vec<AuditEvent>>,
    },
    #[serde(skip)]
    InstitutionCallsLoaded {
        code: String,
        reply: Reply<Vec<Call>>,
    },
    #[serde(skip)]
    ModelsLoaded(Reply<Vec<ReaderModel>>),
    #[serde(skip)]
    ApplicationLoaded {
        code: String,
        reply: Reply<ReaderApplicationView>,
    },
    #[serde(skip)]
    ChangeDone {
        key: String,
        reply: Reply<ChangeReceipt>,
    },
    #[serde(skip)]
    FaqDone {
        seq: u64,
        reply: Reply<FaqResponse>,
    },
    #[serde(skip)]
    CallSaved(Reply<Call>),
    #[serde(skip)]
    CallsLoaded(Reply<Vec<Call>>),
    #[serde(skip)]
    DashboardLoaded(Reply<Dashboard>),
    #[serde(skip)]
    BatchDone(Reply<DeadlineBatchResult>),
    /// The live-update stream connected (true) or dropped (false).
    #[serde(skip)]
    EventsConnected(bool),
    #[serde(skip)]
    ServerEvent(ServerEvent),
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

impl Action {
    /// Parses a bindable action name from a keymap file; `None` for unknown or internal names.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(name)).ok()
    }

    /// Every bindable action with its name and the line the help screen shows for it.
    pub const BINDABLE: &'static [(&'static str, &'static str)] = &[
        ("help", "キー一覧"),
        ("lookup", "検索へ（入力をクリア）"),
        ("faq", "FAQ"),
        ("change", "カードリーダー申込を変更"),
        ("calls", "応対記録"),
        ("dashboard", "ダッシュボード"),
        ("quit", "終了"),
        ("back", "戻る・取消"),
        ("confirm", "開く・確定"),
        ("next", "次のタブ・項目"),
        ("prev", "前のタブ・項目"),
        ("up", "上へ"),
        ("down", "下へ"),
        ("page_up", "前のページ"),
        ("page_down", "次のページ"),
        ("copy", "コピー（受付番号・回答）"),
        ("start_call", "応対開始（タイマー）"),
        ("attach_call", "表示中の医療機関を応対に紐付け"),
        ("close_call", "応対を終了（メモ保存）"),
        ("refresh", "再読み込み"),
        ("deadline_batch", "期限処理（試行→確定, 管理者）"),
    ];

    /// The keymap name of a bindable action.
    pub fn name(&self) -> Option<&'static str> {
        let n = match self {
            Action::Help => "help",
            Action::Lookup => "lookup",
            Action::Faq => "faq",
            Action::Change => "change",
            Action::Calls => "calls",
            Action::Dashboard => "dashboard",
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Confirm => "confirm",
            Action::Next => "next",
            Action::Prev => "prev",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Copy => "copy",
            Action::StartCall => "start_call",
            Action::AttachCall => "attach_call",
            Action::CloseCall => "close_call",
            Action::Refresh => "refresh",
            Action::DeadlineBatch => "deadline_batch",
            _ => return None,
        };
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bindable_name_round_trips() {
        for (name, _) in Action::BINDABLE {
            let a = Action::from_name(name).unwrap_or_else(|| panic!("{name} does not parse"));
            assert_eq!(a.name(), Some(*name));
        }
    }

    #[test]
    fn internal_actions_cannot_be_named() {
        assert!(Action::from_name("insert").is_none());
        assert!(Action::from_name("tick").is_none());
        assert!(Action::from_name("lookup_done").is_none());
        assert!(Action::from_name("no_such_thing").is_none());
    }
}
