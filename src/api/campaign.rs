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
    /// The name operators see in the campaign list.
    pub name: String,
    #[serde(flatten)]
    /// Which institutions become members.
    pub filter: CampaignFilter,
}

/// Whether operators may take members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// 実施中: operators may take members.
    Active,
    /// 一時停止: no member is handed out until it resumes.
    Paused,
    /// 終了: finished; no member is handed out again.
    Closed,
}

impl CampaignState {
    /// The state as the API spells it (`active`, `paused`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Active => "active",
            CampaignState::Paused => "paused",
            CampaignState::Closed => "closed",
        }
    }

    /// The state spelled `s` as [`CampaignState::as_str`] writes it, if any.
    pub fn parse(s: &str) -> Option<CampaignState> {
        [CampaignState::Active, CampaignState::Paused, CampaignState::Closed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The state's name on the console (実施中, 一時停止, 終了).
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
    /// When the outcome 架電不要 was recorded.
    pub marked_at: DateTime<Utc>,
    /// The operator who recorded the outcome 架電不要.
    pub marked_by: String,
    /// The campaign whose call it was recorded in.
    pub campaign_id: Option<i64>,
}

/// Members by state (see [`MemberState`]); `left` counts those done by another route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CampaignCounts {
    /// Members in all states.
    pub members: u64,
    /// Waiting for their (next) call.
    pub open: u64,
    /// Handed to an operator, lease in force.
    pub leased: u64,
    /// Finished with a final outcome.
    pub done: u64,
    /// Attempts used up.
    pub exhausted: u64,
    /// Done by another route (no longer matching the filter).
    pub left: u64,
    /// Cancelled by the deadline batch while in the campaign.
    pub cancelled_by_deadline: u64,
    /// 架電不要: asked not to be called.
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
    /// Campaign id.
    pub id: i64,
    /// The name operators see.
    pub name: String,
    /// Which institutions it was filled from.
    pub filter: CampaignFilter,
    /// Whether operators may take members now.
    pub state: CampaignState,
    /// Supervisor who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was closed; `None` until then.
    pub closed_at: Option<DateTime<Utc>>,
    /// Members by state.
    pub counts: CampaignCounts,
}

/// One institution of a campaign, as it stands now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignMember {
    /// Member id (the `{member}` of its routes).
    pub id: i64,
    /// The campaign it belongs to.
    pub campaign_id: i64,
    /// 医療機関コード.
    pub code: String,
    /// Institution name.
    pub name: String,
    /// 病院, 診療所, 歯科診療所 or 薬局.
    pub kind: InstitutionKind,
    /// Prefecture name.
    pub prefecture: String,
    /// The registered number to dial.
    pub phone: Option<String>,
    /// Where it stands in the campaign.
    pub state: MemberState,
    /// Its application's status now (a member leaves when it stops matching the filter).
    pub application_status: ReaderStatus,
    /// Calls made to it so far.
    pub attempts: u32,
    /// Not to be handed out before this instant (retry interval, callable hours).
    pub next_try_at: DateTime<Utc>,
    /// How its last call ended.
    pub last_outcome: Option<Outcome>,
    /// The operator it was last handed to (the only one who may record its outcome).
    pub leased_by: Option<String>,
    /// When the current lease ends.
    pub lease_until: Option<DateTime<Utc>>,
    /// The call started when it was last handed out.
    pub call_id: Option<i64>,
}

/// One call of a campaign member and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberAttempt {
    /// The member called.
    pub member_id: i64,
    /// When the outcome was recorded.
    pub at: DateTime<Utc>,
    /// Operator who made the call.
    pub operator: String,
    /// How the call ended.
    pub outcome: Outcome,
    /// 受付番号 of the change made in the call (機種選定済).
    pub receipt_no: Option<String>,
    /// The call it was made in.
    pub call_id: Option<i64>,
    /// Length of the call, in seconds.
    pub handle_seconds: Option<i64>,
}

/// A member with its attempts (the members export).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemberWithAttempts {
    #[serde(flatten)]
    /// The member as it stands now.
    pub member: CampaignMember,
    /// Its calls, oldest first.
    pub attempts_list: Vec<MemberAttempt>,
}

/// `POST /v1/campaigns/{id}/next`: the member leased to the caller, and the ordinary call it
/// started (timer, notes, FAQ, the change dialog all work on it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeasedMember {
    /// The member now leased to the caller.
    pub member: CampaignMember,
    /// The call started for it.
    pub call: Call,
    /// When the lease ends (the member goes back to others then).
    pub lease_until: DateTime<Utc>,
}

/// `POST /v1/campaigns/{id}/members/{member}/outcome`: how the call ended, in one step (the
/// call is closed with the campaign's wrap-up reason).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordOutcome {
    /// How the call ended.
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
    /// The member after the outcome.
    pub member: CampaignMember,
    /// The call-back made for 折り返し予定, if any.
    pub callback: Option<crate::domain::CallBack>,
}

/// `POST /v1/campaigns/{id}/members`: members added from the campaign's own filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AddedMembers {
    /// Members added (those already in are not counted).
    pub added: u64,
}

/// Members left and finished in one prefecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrefectureProgress {
    /// Prefecture name.
    pub prefecture: String,
    /// Members in the prefecture.
    pub members: u64,
    /// Still to be worked (open or leased).
    pub left: u64,
    /// Finished in any other state.
    pub done: u64,
}

/// One operator's calls in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OperatorProgress {
    /// Operator name.
    pub operator: String,
    /// Calls made in the campaign.
    pub attempts: u64,
    /// Calls that reached someone (機種選定済, 辞退, 架電不要, 折り返し予定).
    pub reached: u64,
    /// Calls in which the application was changed (機種選定済).
    pub changed: u64,
    /// Average length of those calls, in seconds (`None` when none was timed).
    pub average_handle_seconds: Option<f64>,
}

/// `GET /v1/campaigns/{id}/progress`: will we make it?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignProgress {
    /// The campaign with its counts.
    pub campaign: Campaign,
    /// The business date the figures are for.
    pub today: NaiveDate,
    /// Members left per day up to today, the pace, and where it leads.
    pub burn_down: BurnDown,
    /// Per prefecture, most left first.
    pub by_prefecture: Vec<PrefectureProgress>,
    /// Per operator.
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
