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
    pub id: i64,
    pub started_at: DateTime<Utc>,
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
    pub operator: String,
    #[serde(flatten)]
    pub status: AgentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    pub on_call: u32,
    pub after_call: u32,
    pub available: u32,
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
    pub totals: FloorTotals,
    /// The longest call going on now (seconds), if any.
    pub longest_call_seconds: Option<i64>,
    /// Raised hands not yet acknowledged, oldest first.
    pub hands: Vec<HandRaise>,
    /// Signed-in operators: on a call longest first, then after-call, available, away.
    pub agents: Vec<FloorAgent>,
    /// The policy's limits, so the console can say what stands out and why.
    pub long_call_minutes: u32,
    pub after_call_limit_seconds: u32,
    pub away_reasons: Vec<AwayReason>,
}

/// `GET /v1/floor/me`: an operator's own state, their latest raised hand, who watches them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MyFloor {
    /// `None` while signed out.
    pub status: Option<AgentStatus>,
    pub hand: Option<HandRaise>,
    pub watched_by: Option<String>,
    pub away_reasons: Vec<AwayReason>,
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
    Away { reason: String },
}

/// `POST /v1/floor/hands`: raise a hand, with an optional short note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RaiseHand {
    #[serde(default)]
    pub note: String,
}

/// The answer to `POST /v1/floor/watches`: a watch begun, the handle to end it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WatchStarted {
    pub id: u64,
    pub operator: String,
    pub supervisor: String,
    pub from: DateTime<Utc>,
}

/// `POST /v1/floor/watches`: whose console to watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StartWatch {
    pub operator: String,
}
