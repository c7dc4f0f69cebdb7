//! Effects: the I/O that `update()` asks for. The runner performs each through the client
//! and posts the answer back as an [`super::action::Action`]; `update()` itself never waits.

use chrono::NaiveDate;

use crate::api::{ChangeReaderApplication, NewCallBack, UpdateCall};
use crate::domain::CallBackOutcome;

/// One piece of I/O to perform.
#[derive(Debug, Clone)]
pub enum Effect {
    LoadMe,
    LoadModels,
    /// Subscribe (and keep resubscribing) to the server's live events.
    Subscribe,
    /// Look up institutions; only the latest `seq` matters (older ones may be abandoned).
    Lookup {
        seq: u64,
        query: String,
    },
    LoadInstitution {
        code: String,
    },
    LoadSubsidy {
        code: String,
    },
    LoadAudit {
        code: String,
    },
    LoadInstitutionCalls {
        code: String,
    },
    /// The fresh application (and version) for the change dialog.
    LoadApplication {
        code: String,
    },
    /// Send a change; a retry sends the same key and body.
    Change {
        code: String,
        if_match: i64,
        idempotency_key: String,
        body: ChangeReaderApplication,
    },
    /// Post `RetryChange` after a short pause (connection dropped).
    RetryChangeLater,
    Faq {
        seq: u64,
        query: String,
    },
    /// FAQ suggestions for the open call: its institution and its note so far (sent after a
    /// short pause; a newer request replaces one still waiting).
    Suggest {
        seq: u64,
        code: Option<String>,
        note: String,
    },
    StartCall {
        code: Option<String>,
    },
    UpdateCall {
        id: i64,
        update: UpdateCall,
    },
    LoadCalls,
    /// Put an FAQ answer read (or copied) to the caller on the open call's record.
    AttachFaq {
        call_id: i64,
        faq_id: String,
        copied: bool,
    },
    LoadDashboard,
    DeadlineBatch {
        dry_run: bool,
    },
    /// Open call-backs, overdue first.
    LoadCallBacks,
    /// Register a call-back (from the form, or the change dialog when `from_dialog`).
    CreateCallBack {
        from_dialog: bool,
        body: NewCallBack,
    },
    /// Take a call-back: the server starts a call on its institution, linked to it.
    TakeCallBack {
        id: i64,
    },
    CloseCallBack {
        id: i64,
        outcome: CallBackOutcome,
    },
    LoadReport {
        from: NaiveDate,
        to: NaiveDate,
    },
    /// Put text on the operator's clipboard (OSC 52: works over SSH).
    Copy(String),
    /// A campaign request (`tui/campaign.rs`).
    Campaign(super::campaign::CampaignEffect),
    LoadMyFloor,
    /// Sign in or out, 受付可, 離席 with a reason.
    SetAgentState(crate::api::SetAgentState),
    LoadFloor,
    RaiseHand {
        note: String,
    },
    LowerHand,
    AcknowledgeHand {
        id: i64,
    },
    /// Ask the server to begin watching an operator's console.
    StartWatch {
        operator: String,
    },
    /// Receive the frames of a watch the server began.
    OpenWatch {
        id: u64,
    },
    EndWatch {
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
