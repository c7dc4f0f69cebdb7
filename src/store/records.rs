//! The values that cross the store's traits: rows as the indexes need them, the commands of
//! the write transactions and what they report back.

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::{ChangeReaderApplication, FaqEntry, Role};
use crate::domain::{Institution, ReaderApplication, ReaderModel, ReaderStatus, RuleError, SubsidyClaim};

/// An institution row with its current reader status, as the search index needs it.
#[derive(Debug, Clone)]
pub struct InstitutionRow {
    /// The institution.
    pub institution: Institution,
    /// Where its reader application stands now.
    pub reader_status: ReaderStatus,
}

pub use crate::domain::InstitutionsVersion;

/// Rows counted by an upsert (institutions, FAQ entries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    /// Rows that were new.
    pub inserted: u64,
    /// Rows that existed and were replaced.
    pub updated: u64,
}

/// The pure domain rule a change runs inside the write transaction, given the current state.
pub type ChangeRule = Box<dyn FnOnce(&ReaderApplication) -> Result<ReaderApplication, RuleError> + Send>;

/// A request to change one reader application, with everything its one transaction needs:
/// the application, its 変更履歴 event with the 受付番号, the idempotency record and the
/// receipt on the call (`request.call_id`). `rule` is the pure domain rule, called inside the
/// write transaction with the current state.
pub struct ChangeCommand {
    /// 医療機関コード of the application to change.
    pub code: String,
    /// The version the operator saw (`If-Match`); a different one is stale.
    pub expected_version: i64,
    /// The request's Idempotency-Key.
    pub idempotency_key: String,
    /// SHA-256 hex of the canonical request body, to tell a retry from a misuse of the key.
    pub request_hash: String,
    /// Operator making the change.
    pub operator: String,
    /// The change as asked for.
    pub request: ChangeReaderApplication,
    /// The domain rule to apply to the current state.
    pub rule: ChangeRule,
    /// When the change happens (the server's clock): the audit time and the 受付番号's date.
    pub at: DateTime<Utc>,
}

/// The stored answer to a change, returned again verbatim when the same key is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcome {
    /// 受付番号 given to the change.
    pub receipt_no: String,
    /// The application before the change.
    pub before: ReaderApplication,
    /// The application after the change.
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
    /// The domain rule: the state after the batch, or `None` to leave it.
    pub rule: BatchRule,
    /// Why, in the operator's words, recorded in each audit event.
    pub reason: &'static str,
    /// The deadline named in each audit event.
    pub deadline: NaiveDate,
    /// Supervisor running the batch.
    pub operator: String,
    /// Only count; write nothing.
    pub dry_run: bool,
    /// When it runs (the audit time and the 受付番号's date).
    pub at: DateTime<Utc>,
}

/// The result of the deadline batch (機種未定 past the deadline → キャンセル).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineBatchReport {
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Applications cancelled (or that would be).
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
    /// Prefecture name.
    pub prefecture: String,
    /// 機種未定 applications left there.
    pub undecided: u64,
}

/// An operator's token row (only the hash is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Operator name.
    pub name: String,
    /// What the token may do.
    pub role: Role,
}

/// A cheap fingerprint of the operators table (rows, newest id, revoked rows) and of the SSH
/// keys (rows): any issue, revocation, key added or removed, or row deleted by hand changes
/// it, so a server that polls it knows when the tokens it trusts from its cache, and the
/// owners of its open SSH sessions, must be checked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OperatorGeneration {
    /// Operator rows.
    pub rows: i64,
    /// Highest operator id.
    pub max_id: i64,
    /// Revoked operator rows.
    pub revoked: i64,
    /// SSH key rows.
    pub keys: i64,
}

/// Outcome of checking the audit chain end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerification {
    /// Events checked.
    pub events: u64,
    /// The first sequence number whose hash or link is wrong.
    pub first_broken_seq: Option<i64>,
}

/// Everything bulk-loaded by `madoguchi seed` in one go (fast path, one transaction).
#[derive(Debug, Clone, Default)]
pub struct SeedData {
    /// Institutions to insert.
    pub institutions: Vec<Institution>,
    /// (code, application) for institutions that applied.
    pub applications: Vec<(String, ReaderApplication)>,
    /// (code, claim) for institutions that claimed the subsidy.
    pub subsidy_claims: Vec<(String, SubsidyClaim)>,
    /// The reader catalogue.
    pub reader_models: Vec<ReaderModel>,
    /// FAQ entries.
    pub faq: Vec<FaqEntry>,
}

/// A call to start with what the phone system or a call-back already knows.
#[derive(Debug, Clone, Default)]
pub struct NewCall {
    /// Operator taking the call.
    pub operator: String,
    /// The institution, when already known.
    pub code: Option<String>,
    /// When the call starts.
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
    /// 医療機関コード of the institution to call back.
    pub code: String,
    /// Why, in the operator's words.
    pub reason: String,
    /// When to call back.
    pub due_at: DateTime<Utc>,
    /// Operator who promised the call-back.
    pub created_by: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The call during which it was made, if any.
    pub origin_call_id: Option<i64>,
    /// A reader application change to make once the registered number verifies the caller.
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
    /// Status before (`None`: signed out).
    pub before: Option<crate::domain::floor::AgentStatus>,
    /// Status after (`None`: signed out).
    pub after: Option<crate::domain::floor::AgentStatus>,
    /// Whether anything was written.
    pub changed: bool,
}
