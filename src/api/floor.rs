//! Wire types of the floor (live): operators' states as supervisors see them (`GET /v1/floor`),
//! an operator's own state, state changes, raised hands (挙手) and watches (モニター). Shared by
//! server and client.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::floor::{AgentState, AgentStatus, Attention, AwayReason, HandRaise};

/// The call an operator is on (or wrapping up), with its institution when one is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FloorCall {
    /// The call's id.
    pub id: i64,
    /// When the call began.
    pub started_at: DateTime<Utc>,
    /// The institution attached to the call, if any.
    pub code: Option<String>,
    /// The institution's name (医療機関名).
    pub name: Option<String>,
    /// The campaign (架電キャンペーン) this call works, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

/// One signed-in operator on the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FloorAgent {
    /// Operator name.
    pub operator: String,
    #[serde(flatten)]
    /// The state (受付可, 通話中, 後処理, 離席) and since when.
    pub status: AgentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The call they are on or wrapping up, if any.
    pub call: Option<FloorCall>,
    /// Past a policy limit at the answer's `now` (a long call, long after-call work).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention: Option<Attention>,
    /// Whether the server that answered draws this operator's console (an SSH session on it):
    /// only such a console can be watched from there.
    #[serde(default)]
    pub console_here: bool,
    /// The supervisor watching this operator's console now, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watched_by: Option<String>,
}

/// How many operators are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FloorTotals {
    /// 通話中.
    pub on_call: u32,
    /// 後処理.
    pub after_call: u32,
    /// 受付可.
    pub available: u32,
    /// 離席.
    pub away: u32,
}

impl FloorTotals {
    /// Counts the states of `agents`.
    pub fn of<'a>(agents: impl IntoIterator<Item = &'a FloorAgent>) -> FloorTotals {
        let mut t = FloorTotals::default();
        for a in agents {
            match a.status.state {
                AgentState::OnCall => t.on_call += 1,
                AgentState::AfterCall => t.after_call += 1,
                AgentState::Available => t.available += 1,
                AgentState::Away => t.away += 1,
            }
        }
        t
    }
}

/// `GET /v1/floor` (supervisors): every signed-in operator, raised hands first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Floor {
    /// The server's clock when it answered (times in state are counted from it).
    pub now: DateTime<Utc>,
    /// Operators in each state.
    pub totals: FloorTotals,
    /// The longest call going on now (seconds), if any.
    pub longest_call_seconds: Option<i64>,
    /// Raised hands not yet acknowledged, oldest first.
    pub hands: Vec<HandRaise>,
    /// Signed-in operators: on a call longest first, then after-call, available, away.
    pub agents: Vec<FloorAgent>,
    /// The policy's limits, so the console can say what stands out and why.
    pub long_call_minutes: u32,
    /// After-call work longer than this stands out (seconds).
    pub after_call_limit_seconds: u32,
    /// The policy's reasons for 離席.
    pub away_reasons: Vec<AwayReason>,
}

/// `GET /v1/floor/me`: an operator's own state, their latest raised hand, who watches them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MyFloor {
    /// `None` while signed out.
    pub status: Option<AgentStatus>,
    /// The operator's latest raised hand, if any.
    pub hand: Option<HandRaise>,
    /// The supervisor watching this console now, if any.
    pub watched_by: Option<String>,
    /// The policy's reasons for 離席, for the state picker.
    pub away_reasons: Vec<AwayReason>,
    /// After-call work ends by itself after this long (seconds): the operator is 受付可 again.
    pub after_call_max_seconds: u32,
}

/// `PUT /v1/floor/me`: what the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum SetAgentState {
    /// A console opened: 受付可 unless already signed in.
    SignIn,
    /// The console closed.
    SignOut,
    /// 受付可 now (ends after-call work or an absence).
    Available,
    /// 離席, with a reason id from the policy's list.
    Away {
        /// A reason id from the policy's list.
        reason: String,
    },
}

/// `POST /v1/floor/hands`: raise a hand, with an optional short note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RaiseHand {
    #[serde(default)]
    /// Short note for the supervisor (may be empty).
    pub note: String,
}

/// The answer to `POST /v1/floor/watches`: a watch begun, the handle to end it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WatchStarted {
    /// Handle to end the watch with.
    pub id: u64,
    /// Operator being watched.
    pub operator: String,
    /// Supervisor watching.
    pub supervisor: String,
    /// When the watch began.
    pub from: DateTime<Utc>,
}

/// `POST /v1/floor/watches`: whose console to watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StartWatch {
    /// Operator name.
    pub operator: String,
}
