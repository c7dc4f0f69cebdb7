//! The wire types of `/v1/campaigns` (架電キャンペーン), shared by server and client: a campaign
//! and its counts, a member with its attempts, the answer of `next` (the member leased to the
//! caller and the call it started), an outcome to record, and the progress (burn-down).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Call;
use crate::domain::campaign::{BurnDown, CampaignFilter, MemberState, Outcome};
use crate::domain::{InstitutionKind, ReaderStatus};

/// `POST /v1/campaigns` (supervisors): a name and the filter (default: every 機種未定).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewCampaign {
    pub name: String,
    #[serde(flatten)]
    pub filter: CampaignFilter,
}

/// Whether operators may take members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    Active,
    Paused,
    Closed,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Active => "active",
            CampaignState::Paused => "paused",
            CampaignState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CampaignState> {
        [CampaignState::Active, CampaignState::Paused, CampaignState::Closed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            CampaignState::Active => "実施中",
            CampaignState::Paused => "一時停止",
            CampaignState::Closed => "終了",
        }
    }
}

/// 架電不要 kept on an institution: it asked not to be called, so every later campaign skips
/// it. Shown on the institution screen so an operator on an inbound call knows it too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DoNotCallMark {
    pub marked_at: DateTime<Utc>,
    /// The operator who recorded the outcome 架電不要.
    pub marked_by: String,
    /// The campaign whose call it was recorded in.
    pub campaign_id: Option<i64>,
}

/// Members by state (see [`MemberState`]); `left` counts those done by another route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignCounts {
    pub members: u64,
    pub open: u64,
    pub leased: u64,
    pub done: u64,
    pub exhausted: u64,
    pub left: u64,
    pub cancelled_by_deadline: u64,
    pub do_not_call: u64,
}

impl CampaignCounts {
    /// Adds one member in `state`.
    pub fn add(&mut self, state: MemberState) {
        self.add_many(state, 1);
    }

    /// Adds `n` members in `state`.
    pub fn add_many(&mut self, state: MemberState, n: u64) {
        self.members += n;
        let count = match state {
            MemberState::Open => &mut self.open,
            MemberState::Leased => &mut self.leased,
            MemberState::Done => &mut self.done,
            MemberState::Exhausted => &mut self.exhausted,
            MemberState::Left => &mut self.left,
            MemberState::CancelledByDeadline => &mut self.cancelled_by_deadline,
            MemberState::DoNotCall => &mut self.do_not_call,
        };
        *count += n;
    }

    /// Members still to be worked.
    pub fn remaining(&self) -> u64 {
        self.open + self.leased
    }
}

/// A campaign with its filter and counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub filter: CampaignFilter,
    pub state: CampaignState,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counts: CampaignCounts,
}

/// One institution of a campaign, as it stands now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignMember {
    pub id: i64,
    pub campaign_id: i64,
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
    pub prefecture: String,
    /// The registered number to dial.
    pub phone: Option<String>,
    pub state: MemberState,
    /// Its application's status now (a member leaves when it stops matching the filter).
    pub application_status: ReaderStatus,
    pub attempts: u32,
    pub next_try_at: DateTime<Utc>,
    pub last_outcome: Option<Outcome>,
    /// The operator it was last handed to (the only one who may record its outcome).
    pub leased_by: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    /// The call started when it was last handed out.
    pub call_id: Option<i64>,
}

/// One call of a campaign member and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberAttempt {
    pub member_id: i64,
    pub at: DateTime<Utc>,
    pub operator: String,
    pub outcome: Outcome,
    pub receipt_no: Option<String>,
    pub call_id: Option<i64>,
    pub handle_seconds: Option<i64>,
}

/// A member with its attempts (the members export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberWithAttempts {
    #[serde(flatten)]
    pub member: CampaignMember,
    pub attempts_list: Vec<MemberAttempt>,
}

/// `POST /v1/campaigns/{id}/next`: the member leased to the caller, and the ordinary call it
/// started (timer, notes, FAQ, the change dialog all work on it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeasedMember {
    pub member: CampaignMember,
    pub call: Call,
    pub lease_until: DateTime<Utc>,
}

/// `POST /v1/campaigns/{id}/members/{member}/outcome`: how the call ended, in one step (the
/// call is closed with the campaign's wrap-up reason).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordOutcome {
    pub outcome: Outcome,
    /// 機種選定済: the 受付番号 of the change made in this call.
    #[serde(default)]
    pub receipt_no: Option<String>,
    /// 折り返し予定: when to call back (default: the policy's interval; before the deadline).
    #[serde(default)]
    pub call_back_due_at: Option<DateTime<Utc>>,
}

/// The member after its outcome, with the call-back 折り返し予定 made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordedOutcome {
    pub member: CampaignMember,
    pub callback: Option<crate::domain::CallBack>,
}

/// `POST /v1/campaigns/{id}/members`: members added from the campaign's own filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddedMembers {
    pub added: u64,
}

/// Members left and finished in one prefecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrefectureProgress {
    pub prefecture: String,
    pub members: u64,
    pub left: u64,
    pub done: u64,
}

/// One operator's calls in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperatorProgress {
    pub operator: String,
    pub attempts: u64,
    /// Calls that reached someone (機種選定済, 辞退, 架電不要, 折り返し予定).
    pub reached: u64,
    /// Calls in which the application was changed (機種選定済).
    pub changed: u64,
    pub average_handle_seconds: Option<f64>,
}

/// `GET /v1/campaigns/{id}/progress`: will we make it?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignProgress {
    pub campaign: Campaign,
    pub today: NaiveDate,
    pub burn_down: BurnDown,
    pub by_prefecture: Vec<PrefectureProgress>,
    pub by_operator: Vec<OperatorProgress>,
    /// Members whose attempts are used up, for the supervisor.
    pub exhausted: Vec<CampaignMember>,
}

/// Query of `GET /v1/campaigns/{id}/members`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
pub struct MembersParams {
    /// Only members in this state.
    pub state: Option<MemberState>,
    /// `csv`: the export as CSV text (`text/csv`), one row per attempt.
    pub format: Option<String>,
}
