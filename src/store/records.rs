//! The values that cross the store's traits: rows as the indexes need them, the commands of
//! the write transactions and what they report back.

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::{ChangeReaderApplication, FaqEntry, Role};
use crate::domain::{Institution, ReaderApplication, ReaderModel, ReaderStatus, RuleError, SubsidyClaim};

/// An institution row with its current reader status, as the search index needs it.
#[derive(Debug, Clone)]
pub struct InstitutionRow {
    pub institution: Institution,
    pub reader_status: ReaderStatus,
}

pub use crate::domain::InstitutionsVersion;

/// Rows counted by an upsert (institutions, FAQ entries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// The pure domain rule a change runs inside the write transaction, given the current state.
pub type ChangeRule = Box<dyn FnOnce(&ReaderApplication) -> Result<ReaderApplication, RuleError> + Send>;

/// A request to change one reader application, with everything its one transaction needs:
/// the application, its 変更履歴 event with the 受付番号, the idempotency record and the
/// receipt on the call (`request.call_id`). `rule` is the pure domain rule, called inside the
/// write transaction with the current state.
pub struct ChangeCommand {
    pub code: String,
    pub expected_version: i64,
    pub idempotency_key: String,
    /// SHA-256 hex of the canonical request body, to tell a retry from a misuse of the key.
    pub request_hash: String,
    pub operator: String,
    pub request: ChangeReaderApplication,
    pub rule: ChangeRule,
    /// When the change happens (the server's clock): the audit time and the 受付番号's date.
    pub at: DateTime<Utc>,
}

/// The stored answer to a change, returned again verbatim when the same key is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcome {
    pub receipt_no: String,
    pub before: ReaderApplication,
    pub after: ReaderApplication,
    /// True when this is a replay of an earlier request with the same Idempotency-Key.
    pub replayed: bool,
}

/// The deadline batch's rule, from `domain::reader`: the state after the batch, or `None` to
/// leave the application alone.
pub type BatchRule = Box<dyn Fn(&ReaderApplication) -> Option<ReaderApplication> + Send + Sync>;

/// One run of the deadline batch as the store carries it out: every application in
/// `candidates` is locked and passed to `rule`; those it changes are written, each with an
/// audit event and a 受付番号, in one transaction (a dry run only counts them).
pub struct DeadlineBatch {
    /// The only status the rule can change (`domain::reader::DEADLINE_BATCH_CANDIDATES`).
    pub candidates: ReaderStatus,
    pub rule: BatchRule,
    /// Why, in the operator's words, recorded in each audit event.
    pub reason: &'static str,
    /// The deadline named in each audit event.
    pub deadline: NaiveDate,
    pub operator: String,
    pub dry_run: bool,
    pub at: DateTime<Utc>,
}

/// The result of the deadline batch (機種未定 past the deadline → キャンセル).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineBatchReport {
    pub dry_run: bool,
    pub cancelled: u64,
    /// A few of the affected codes, for the supervisor to check.
    pub sample_codes: Vec<String>,
    /// Every application the batch changed (none on a dry run), for the lookup index.
    pub changed: Vec<ApplicationChange>,
}

/// One committed change of a reader application: what the lookup index shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationChange {
    /// The institution's code.
    pub code: String,
    /// The application's version after the change.
    pub version: i64,
    /// Its status after the change.
    pub status: ReaderStatus,
}

/// Undecided applications left in one prefecture (dashboard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefectureCount {
    pub prefecture: String,
    pub undecided: u64,
}

/// An operator's token row (only the hash is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    pub name: String,
    pub role: Role,
}

/// A cheap fingerprint of the operators table (rows, newest id, revoked rows) and of the SSH
/// keys (rows): any issue, revocation, key added or removed, or row deleted by hand changes
/// it, so a server that polls it knows when the tokens it trusts from its cache, and the
/// owners of its open SSH sessions, must be checked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OperatorGeneration {
    pub rows: i64,
    pub max_id: i64,
    pub revoked: i64,
    pub keys: i64,
}

/// Outcome of checking the audit chain end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    pub events: u64,
    /// The first sequence number whose hash or link is wrong.
    pub first_broken_seq: Option<i64>,
}

/// Everything bulk-loaded by `madoguchi seed` in one go (fast path, one transaction).
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    pub institutions: Vec<Institution>,
    /// (code, application) for institutions that applied.
    pub applications: Vec<(String, ReaderApplication)>,
    pub subsidy_claims: Vec<(String, SubsidyClaim)>,
    pub reader_models: Vec<ReaderModel>,
    pub faq: Vec<FaqEntry>,
}

/// A call to start with what the phone system or a call-back already knows.
#[derive(Debug, Clone, Default)]
pub struct NewCall {
    pub operator: String,
    pub code: Option<String>,
    pub at: DateTime<Utc>,
    /// The caller's number from a screen pop.
    pub caller_phone: Option<String>,
    /// The call-back this call makes.
    pub callback_id: Option<i64>,
}

/// A call-back to record; its phone number is read from the institution inside the write
/// transaction, never passed in.
#[derive(Debug, Clone)]
pub struct NewCallBackRecord {
    pub code: String,
    pub reason: String,
    pub due_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub origin_call_id: Option<i64>,
    pub change: Option<crate::domain::call::PendingChange>,
}

/// The floor's state machine as a state change runs it inside its write transaction, given
/// the operator's status now (`None`: signed out).
pub type AgentRule = Box<
    dyn FnOnce(
            Option<&crate::domain::floor::AgentStatus>,
        ) -> Result<crate::domain::floor::Transition, RuleError>
        + Send,
>;

/// What a state change did: the status before and after (`None`: signed out), and whether
/// anything was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentChange {
    pub before: Option<crate::domain::floor::AgentStatus>,
    pub after: Option<crate::domain::floor::AgentStatus>,
    pub changed: bool,
}
