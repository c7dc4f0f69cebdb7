//! Effects: the I/O that `update()` asks for. The runner performs each through the client
//! and posts the answer back as an [`super::action::Action`]; `update()` itself never waits.

use chrono::NaiveDate;

use crate::api::{ChangeReaderApplication, NewCallBack, UpdateCall};
use crate::domain::CallBackOutcome;

/// One piece of I/O to perform.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Load who the token belongs to and the business date (`GET /v1/me`).
    LoadMe,
    /// Load the reader catalogue for the change dialog.
    LoadModels,
    /// Subscribe (and keep resubscribing) to the server's live events.
    Subscribe,
    /// Look up institutions; only the latest `seq` matters (older ones may be abandoned).
    Lookup {
        /// Request number; answers to older ones are dropped.
        seq: u64,
        /// The text typed.
        query: String,
    },
    /// Load the institution screen's header.
    LoadInstitution {
        /// 医療機関コード.
        code: String,
    },
    /// Load the institution's subsidy claim and the calculator's answer.
    LoadSubsidy {
        /// 医療機関コード.
        code: String,
    },
    /// Load the institution's 変更履歴.
    LoadAudit {
        /// 医療機関コード.
        code: String,
    },
    /// Load the calls about the institution.
    LoadInstitutionCalls {
        /// 医療機関コード.
        code: String,
    },
    /// The fresh application (and version) for the change dialog.
    LoadApplication {
        /// 医療機関コード.
        code: String,
    },
    /// Send a change; a retry sends the same key and body.
    Change {
        /// 医療機関コード.
        code: String,
        /// The application version the operator saw (412 if it moved on).
        if_match: i64,
        /// Same key on a retry, so the server makes the change once.
        idempotency_key: String,
        /// The change itself.
        body: ChangeReaderApplication,
    },
    /// Post `RetryChange` after a short pause (connection dropped).
    RetryChangeLater,
    /// Search the FAQ; only the latest `seq` matters.
    Faq {
        /// Request number; answers to older ones are dropped.
        seq: u64,
        /// The text typed.
        query: String,
    },
    /// FAQ suggestions for the open call: its institution and its note so far (sent after a
    /// short pause; a newer request replaces one still waiting).
    Suggest {
        /// Request number; answers to older ones are dropped.
        seq: u64,
        /// The call's institution, if attached.
        code: Option<String>,
        /// The call's note so far.
        note: String,
    },
    /// Start a call (an operator picks up).
    StartCall {
        /// The institution to attach it to, if one is open.
        code: Option<String>,
    },
    /// Change a call: institution, note, wrap-up reasons, close.
    UpdateCall {
        /// Call id.
        id: i64,
        /// What to change.
        update: UpdateCall,
    },
    /// Load today's calls (応対記録).
    LoadCalls,
    /// Put an FAQ answer read (or copied) to the caller on the open call's record.
    AttachFaq {
        /// The open call.
        call_id: i64,
        /// The FAQ entry given.
        faq_id: String,
        /// True when copied, false when only shown.
        copied: bool,
    },
    /// Load the supervisor's dashboard.
    LoadDashboard,
    /// Run the deadline batch (supervisors).
    DeadlineBatch {
        /// Count without cancelling.
        dry_run: bool,
    },
    /// Open call-backs, overdue first.
    LoadCallBacks,
    /// Register a call-back (from the form, or the change dialog when `from_dialog`).
    CreateCallBack {
        /// True when registered from the change dialog (its answer goes back there).
        from_dialog: bool,
        /// The call-back to register.
        body: NewCallBack,
    },
    /// Take a call-back: the server starts a call on its institution, linked to it.
    TakeCallBack {
        /// Call-back id.
        id: i64,
    },
    /// Close a call-back with its outcome.
    CloseCallBack {
        /// Call-back id.
        id: i64,
        /// How it ended.
        outcome: CallBackOutcome,
    },
    /// Load the call report for a period.
    LoadReport {
        /// First day (Japan date).
        from: NaiveDate,
        /// Last day (Japan date, inclusive).
        to: NaiveDate,
    },
    /// Put text on the operator's clipboard (OSC 52: works over SSH).
    Copy(String),
    /// A campaign request (`tui/campaign.rs`).
    Campaign(super::campaign::CampaignEffect),
    /// Load the operator's own floor state.
    LoadMyFloor,
    /// Sign in or out, 受付可, 離席 with a reason.
    SetAgentState(crate::api::SetAgentState),
    /// Load the floor view (supervisors).
    LoadFloor,
    /// Raise a hand (挙手).
    RaiseHand {
        /// Short note for the supervisor.
        note: String,
    },
    /// Lower the operator's hand.
    LowerHand,
    /// Acknowledge a raised hand (supervisors).
    AcknowledgeHand {
        /// Hand id.
        id: i64,
    },
    /// Ask the server to begin watching an operator's console.
    StartWatch {
        /// Operator whose console to watch.
        operator: String,
    },
    /// Receive the frames of a watch the server began.
    OpenWatch {
        /// Watch id the server gave.
        id: u64,
    },
    /// End a watch.
    EndWatch {
        /// Watch id.
        id: u64,
    },
}

impl Effect {
    /// Loads every pane of the institution screen for `code` (header, subsidy, history, calls).
    pub fn load_institution(code: &str) -> Vec<Effect> {
        vec![
            Effect::LoadInstitution { code: code.to_string() },
            Effect::LoadSubsidy { code: code.to_string() },
            Effect::LoadAudit { code: code.to_string() },
            Effect::LoadInstitutionCalls { code: code.to_string() },
        ]
    }
}
