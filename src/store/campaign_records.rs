//! The values crossing [`super::CampaignStore`]: a new campaign, a campaign row, a member row
//! with what the burn-down needs, the request of `next` and its answer, an outcome to record.

use chrono::{DateTime, Utc};

use crate::api::campaign::{CampaignMember, CampaignState, LeasedMember};
use crate::domain::InstitutionKind;
use crate::domain::campaign::{AfterOutcome, CampaignFilter, Outcome};

/// A campaign to create (its members are the institutions matching `filter` now).
#[derive(Debug, Clone)]
pub struct NewCampaignRecord {
    /// The name operators see.
    pub name: String,
    /// Which institutions become members.
    pub filter: CampaignFilter,
    /// Supervisor creating it.
    pub created_by: String,
    /// When it is created.
    pub at: DateTime<Utc>,
    /// Each kind's place in the policy's order (`CampaignPolicy::kind_rank`).
    pub kind_ranks: Vec<(InstitutionKind, i64)>,
}

/// A campaign as stored (its counts are read from its members).
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    /// Campaign id.
    pub id: i64,
    /// The name operators see.
    pub name: String,
    /// Which institutions it was filled from.
    pub filter: CampaignFilter,
    /// Whether operators may take members.
    pub state: CampaignState,
    /// Supervisor who created it.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was closed; `None` until then.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A member as it stands at the instant asked, with when it joined and (if it is no longer
/// open) when it finished, by whichever route.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// The member as it stands.
    pub member: CampaignMember,
    /// When it joined.
    pub added_at: DateTime<Utc>,
    /// When it stopped being open, by whichever route.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A campaign's members counted, not listed: what the counts, the prefectures and the
/// burn-down need, in a few hundred groups whatever the campaign's size (the database counts
/// them; each group's state is the domain's `member_state` of the facts it was grouped by).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignTally {
    /// Members by prefecture and state.
    pub by_prefecture: Vec<(String, crate::domain::campaign::MemberState, u64)>,
    /// Members by the hour they joined and (no longer open) the hour they finished; empty
    /// unless asked for.
    pub by_time: Vec<TallyTimes>,
}

/// One group of [`CampaignTally::by_time`]: instants to the hour (whole hours, so their Japan
/// day is exact).
#[derive(Debug, Clone, PartialEq)]
pub struct TallyTimes {
    /// The group's state.
    pub state: crate::domain::campaign::MemberState,
    /// When they joined, to the hour.
    pub added_at: DateTime<Utc>,
    /// When they finished, to the hour; `None` while open.
    pub finished_at: Option<DateTime<Utc>>,
    /// Members in the group.
    pub members: u64,
}

/// The floor's state machine for the operator once their call (this id) has started or
/// closed: run in the same transaction as the lease or the outcome.
pub type CallRule = Box<dyn FnOnce(i64) -> crate::store::AgentRule + Send>;

/// `next`: lease the first member in order that is due, callable (`kinds`) and free.
pub struct NextRequest {
    /// The campaign to take a member from.
    pub campaign_id: i64,
    /// Operator taking it.
    pub operator: String,
    /// The instant asked (the server's clock).
    pub now: DateTime<Utc>,
    /// When the lease ends.
    pub lease_until: DateTime<Utc>,
    /// The kinds callable now by the policy's hours (the campaign's own kinds are applied
    /// in the batch, which reads the campaign anyway).
    pub kinds: Vec<InstitutionKind>,
    /// The operator's floor state once the call has started (none: left as it is).
    pub started: Option<CallRule>,
}

/// What `next` found.
#[derive(Debug, Clone)]
pub enum NextResult {
    /// The member leased, what the call's start did to the operator's floor state, and the
    /// campaign's name (for the floor's view of the call).
    Leased(Box<LeasedMember>, Option<crate::store::AgentChange>, String),
    /// None of the campaign's kinds (`wanted`) is callable now.
    OutsideHours {
        /// The kinds the campaign calls (its filter's, or every kind).
        wanted: Vec<InstitutionKind>,
    },
    /// No member is due now: the earliest retry among callable kinds' open members, if any.
    NoneDue {
        /// The earliest retry among callable kinds' open members, if any.
        next_try_at: Option<DateTime<Utc>>,
    },
}

/// One request's answer in a batch of `next` (its own refusal, or what it found).
pub type NextAnswer = Result<NextResult, crate::store::StoreError>;

/// The domain's rule for what follows an outcome, given the member's kind and its attempts
/// after this one (`domain::campaign::after_outcome` with the policy and the instant bound).
pub type OutcomeRule = Box<dyn FnOnce(InstitutionKind, u32) -> AfterOutcome + Send>;

/// One outcome to record, in one write transaction (with the others of its batch): the lessee
/// and the receipt checked, the attempt, the member's new state, the call closed with
/// `wrap_up_reason`, the operator's floor state, the do-not-call mark, the call-back, the
/// audit event.
pub struct OutcomeCommand {
    /// Campaign id.
    pub campaign_id: i64,
    /// Member id.
    pub member_id: i64,
    /// Operator recording it (must hold the lease).
    pub operator: String,
    /// How the call ended.
    pub outcome: Outcome,
    /// 受付番号 of the change made in the call (機種選定済).
    pub receipt_no: Option<String>,
    /// When it is recorded.
    pub at: DateTime<Utc>,
    /// The domain rule for what follows the outcome.
    pub rule: OutcomeRule,
    /// The wrap-up reason id the call is closed with.
    pub wrap_up_reason: String,
    /// 折り返し予定: the call-back to make on the member's institution (its registered
    /// number), in the same transaction.
    pub call_back: Option<OutcomeCallBack>,
    /// The operator's floor state once the call has closed (none: left as it is).
    pub closed: Option<CallRule>,
}

/// The call-back a 折り返し予定 outcome makes: when it is due and why (the institution, its
/// number and the call it comes from are the member's).
#[derive(Debug, Clone)]
pub struct OutcomeCallBack {
    /// When it is due (checked against the deadline by the domain before).
    pub due_at: DateTime<Utc>,
    /// The reason the call-back list shows.
    pub reason: String,
}

/// An outcome recorded: the member after it, what closing the call did to the operator's
/// floor state, the closed call as the floor shows it, the call-back made.
#[derive(Debug, Clone)]
pub struct RecordedOutcomeRow {
    /// The member as read after the commit.
    pub member: CampaignMember,
    /// The operator's floor state change (none: the rule was not given or refused).
    pub floor: Option<crate::store::AgentChange>,
    /// The member's call, for the floor's view of the operator (none: no call was leased).
    pub call: Option<crate::api::FloorCall>,
    /// The call-back 折り返し予定 made.
    pub callback: Option<crate::domain::CallBack>,
}

/// One command's answer in a batch of outcomes (its own refusal, or what it recorded).
pub type OutcomeAnswer = Result<RecordedOutcomeRow, crate::store::StoreError>;

/// The demo's campaign under way (`demo/campaign.rs`), loaded in bulk after the demo data.
#[derive(Debug, Clone)]
pub struct DemoCampaign {
    /// The campaign's name.
    pub name: String,
    /// Supervisor named as its creator.
    pub created_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its members as the history left them.
    pub members: Vec<DemoMember>,
    /// The calls of that history.
    pub attempts: Vec<DemoAttempt>,
}

/// One member of the demo's campaign as its history left it.
#[derive(Debug, Clone)]
pub struct DemoMember {
    /// 医療機関コード.
    pub code: String,
    /// Institution kind.
    pub kind: InstitutionKind,
    /// Prefecture name.
    pub prefecture: String,
    /// Place in the calling order (lower first).
    pub rank: i64,
    /// Calls made so far.
    pub attempts: u32,
    /// Not to be handed out before this instant.
    pub next_try_at: DateTime<Utc>,
    /// The last call's outcome, if any.
    pub outcome: Option<Outcome>,
    /// When it finished (a final outcome, or its last allowed attempt).
    pub done_at: Option<DateTime<Utc>>,
    /// True when its attempts ran out.
    pub exhausted: bool,
}

/// One call of the demo's history; `member` indexes [`DemoCampaign::members`].
#[derive(Debug, Clone)]
pub struct DemoAttempt {
    /// Index into [`DemoCampaign::members`].
    pub member: usize,
    /// Operator who made the call.
    pub operator: String,
    /// How it ended.
    pub outcome: Outcome,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Length of the call, in seconds.
    pub handle_seconds: i64,
}
