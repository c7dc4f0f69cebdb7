//! The values crossing [`super::CampaignStore`]: a new campaign, a campaign row, a member row
//! with what the burn-down needs, the request of `next` and its answer, an outcome to record.

use chrono::{DateTime, Utc};

use crate::api::campaign::{CampaignMember, CampaignState, LeasedMember};
use crate::domain::InstitutionKind;
use crate::domain::campaign::{AfterOutcome, CampaignFilter, Outcome};

/// A campaign to create (its members are the institutions matching `filter` now).
#[derive(Debug, Clone)]
pub struct NewCampaignRecord {
    pub name: String,
    pub filter: CampaignFilter,
    pub created_by: String,
    pub at: DateTime<Utc>,
    /// Each kind's place in the policy's order (`CampaignPolicy::kind_rank`).
    pub kind_ranks: Vec<(InstitutionKind, i64)>,
}

/// A campaign as stored (its counts are read from its members).
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub filter: CampaignFilter,
    pub state: CampaignState,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A member as it stands at the instant asked, with when it joined and (if it is no longer
/// open) when it finished, by whichever route.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub member: CampaignMember,
    pub added_at: DateTime<Utc>,
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
    pub state: crate::domain::campaign::MemberState,
    pub added_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub members: u64,
}

/// The floor's state machine for the operator once their call (this id) has started or
/// closed: run in the same transaction as the lease or the outcome.
pub type CallRule = Box<dyn FnOnce(i64) -> crate::store::AgentRule + Send>;

/// `next`: lease the first member in order that is due, callable (`kinds`) and free.
pub struct NextRequest {
    pub campaign_id: i64,
    pub operator: String,
    pub now: DateTime<Utc>,
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
    OutsideHours { wanted: Vec<InstitutionKind> },
    /// No member is due now: the earliest retry among callable kinds' open members, if any.
    NoneDue { next_try_at: Option<DateTime<Utc>> },
}

/// One request's answer in a batch of `next` (its own refusal, or what it found).
pub type NextAnswer = Result<NextResult, crate::store::StoreError>;

/// The domain's rule for what follows an outcome, given the member's kind and its attempts
/// after this one (`domain::campaign::after_outcome` with the policy and the instant bound).
pub type OutcomeRule = Box<dyn FnOnce(InstitutionKind, u32) -> AfterOutcome + Send>;

/// One outcome to record, in one write transaction: the lessee and the receipt checked, the
/// attempt, the member's new state, the call closed with `wrap_up_reason`, the operator's
/// floor state, the do-not-call mark, the audit event.
pub struct OutcomeCommand {
    pub campaign_id: i64,
    pub member_id: i64,
    pub operator: String,
    pub outcome: Outcome,
    pub receipt_no: Option<String>,
    pub at: DateTime<Utc>,
    pub rule: OutcomeRule,
    pub wrap_up_reason: String,
    /// The call-back 折り返し予定 made, named in the audit event.
    pub callback_id: Option<i64>,
    /// The operator's floor state once the call has closed (none: left as it is).
    pub closed: Option<CallRule>,
}

/// The demo's campaign under way (`demo/campaign.rs`), loaded in bulk after the demo data.
#[derive(Debug, Clone)]
pub struct DemoCampaign {
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub members: Vec<DemoMember>,
    pub attempts: Vec<DemoAttempt>,
}

/// One member of the demo's campaign as its history left it.
#[derive(Debug, Clone)]
pub struct DemoMember {
    pub code: String,
    pub kind: InstitutionKind,
    pub prefecture: String,
    pub rank: i64,
    pub attempts: u32,
    pub next_try_at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
    /// When it finished (a final outcome, or its last allowed attempt).
    pub done_at: Option<DateTime<Utc>>,
    pub exhausted: bool,
}

/// One call of the demo's history; `member` indexes [`DemoCampaign::members`].
#[derive(Debug, Clone)]
pub struct DemoAttempt {
    pub member: usize,
    pub operator: String,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub handle_seconds: i64,
}
