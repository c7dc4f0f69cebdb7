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

/// `next`: lease the first member in order that is due, callable (`kinds`) and free.
#[derive(Debug, Clone)]
pub struct NextRequest {
    pub campaign_id: i64,
    pub operator: String,
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    /// The kinds callable now.
    pub kinds: Vec<InstitutionKind>,
}

/// What `next` found.
#[derive(Debug, Clone)]
pub enum NextResult {
    Leased(Box<LeasedMember>),
    /// No member is due now: the earliest retry among callable kinds' open members, if any.
    NoneDue {
        next_try_at: Option<DateTime<Utc>>,
    },
}

/// The domain's rule for what follows an outcome, given the member's kind and its attempts
/// after this one (`domain::campaign::after_outcome` with the policy and the instant bound).
pub type OutcomeRule = Box<dyn FnOnce(InstitutionKind, u32) -> AfterOutcome + Send>;

/// One outcome to record, in one write transaction: the lessee and the receipt checked, the
/// attempt, the member's new state, the call closed with `wrap_up_reason`, the do-not-call
/// mark, the audit event.
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
}
