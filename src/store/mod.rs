//! Persistence: the [`Store`] trait the server holds as `Arc<dyn Store>`, and its SQLite
//! (`sqlite.rs`, the embedded default) and PostgreSQL (`postgres.rs`, shared by several
//! servers) implementations. SQL lives only in those two files and their migrations.
//!
//! Every read-then-write runs in one transaction that takes the write lock first (SQLite
//! `BEGIN IMMEDIATE`, PostgreSQL `SELECT ... FOR UPDATE`), so two operators racing on one
//! application serialize in the database, never in a process.

pub mod audit_chain;
pub mod live_call;
mod postgres;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::{AuditEvent, Call, ChangeReaderApplication, FaqEntry, Role, ServerEvent};
use crate::domain::{Institution, ReaderApplication, ReaderModel, ReaderStatus, RuleError, SubsidyClaim};

pub use live_call::{CallStore, NewCall, NewCallBackRecord};
pub use postgres::{CHANGES_CHANNEL, PostgresStore};
pub use sqlite::SqliteStore;

/// Opens the store named by `db`: `postgres://` or `postgresql://` → PostgreSQL, anything
/// else → a SQLite path or `sqlite:` URL. Creates and migrates a missing database; never seeds.
pub async fn open_store(db: &str) -> Result<Arc<dyn Store>, StoreError> {
    let db = db.trim();
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(db).await?))
    } else {
        Ok(Arc::new(SqliteStore::open(db).await?))
    }
}

/// Errors of the store layer. `Conflict`/`Rule`/`Idempotency*` carry what the API needs to
/// answer 412, 409 and 422; `Database` is an internal failure, logged and never shown raw.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    /// The application changed since the client read it (`If-Match` is stale).
    #[error("stale version: expected {expected}, current {current}")]
    StaleVersion { expected: i64, current: i64, current_state: Box<ReaderApplication> },
    /// A domain rule refused the change.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The same Idempotency-Key was used before with a different request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    #[error("invalid data: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// An institution row with its current reader status, as the search index needs it.
#[derive(Debug, Clone)]
pub struct InstitutionRow {
    pub institution: Institution,
    pub reader_status: ReaderStatus,
}

/// Rows counted by an upsert of institutions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

/// The pure domain rule a change runs inside the write transaction, given the current state.
pub type ChangeRule = Box<dyn FnOnce(&ReaderApplication) -> Result<ReaderApplication, RuleError> + Send>;

/// A request to change one reader application, with everything the transaction needs.
/// `rule` is the pure domain rule, called inside the write transaction with the current state.
pub struct ChangeCommand {
    pub code: String,
    pub expected_version: i64,
    pub idempotency_key: String,
    /// SHA-256 hex of the canonical request body, to tell a retry from a misuse of the key.
    pub request_hash: String,
    pub operator: String,
    pub request: ChangeReaderApplication,
    pub rule: ChangeRule,
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

/// The result of the deadline batch (機種未定 past the deadline → キャンセル).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineBatchReport {
    pub dry_run: bool,
    pub cancelled: u64,
    /// A few of the affected codes, for the supervisor to check.
    pub sample_codes: Vec<String>,
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

/// The persistence seam. Implementations: `SqliteStore`, `PostgresStore`.
#[async_trait::async_trait]
pub trait Store: CallStore + Send + Sync {
    /// Replaces the demo data wholesale (institutions, applications, claims, models, FAQ),
    /// calling `progress` with a short line now and then (e.g. "institutions 120000/242187").
    async fn load_seed(
        &self,
        data: &SeedData,
        progress: &(dyn for<'p> Fn(&'p str) + Sync),
    ) -> Result<(), StoreError>;
    /// Upserts institutions by code in one transaction (all or nothing).
    async fn upsert_institutions(&self, rows: &[Institution]) -> Result<UpsertCounts, StoreError>;
    /// How many institutions there are (cheap: tells an empty database without loading it).
    async fn institution_count(&self) -> Result<u64, StoreError>;
    /// Every institution with its reader status, for building the search index.
    async fn all_institutions(&self) -> Result<Vec<InstitutionRow>, StoreError>;
    async fn institution(&self, code: &str) -> Result<Option<InstitutionRow>, StoreError>;
    /// Operator's correction of a reading (clears `kana_inferred`).
    async fn set_reading(&self, code: &str, name_kana: &str, operator: &str) -> Result<(), StoreError>;

    async fn reader_models(&self) -> Result<Vec<ReaderModel>, StoreError>;
    async fn upsert_reader_models(&self, models: &[ReaderModel]) -> Result<(), StoreError>;
    /// The application (or `ReaderApplication::not_applied()` with version 0).
    async fn application(&self, code: &str) -> Result<ReaderApplication, StoreError>;
    /// Checks version and idempotency, runs the rule, writes the new state, one audit event
    /// and the idempotency record, all in one write transaction.
    async fn change_application(&self, cmd: ChangeCommand) -> Result<ChangeOutcome, StoreError>;
    /// Cancels 機種未定 applications when `today` is past `deadline` (or counts them on a dry run).
    async fn run_deadline_batch(
        &self,
        deadline: NaiveDate,
        operator: &str,
        dry_run: bool,
    ) -> Result<DeadlineBatchReport, StoreError>;
    async fn undecided_by_prefecture(&self) -> Result<Vec<PrefectureCount>, StoreError>;

    async fn subsidy_claim(&self, code: &str) -> Result<Option<SubsidyClaim>, StoreError>;

    async fn start_call(
        &self,
        operator: &str,
        code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError>;
    async fn update_call(
        &self,
        id: i64,
        code: Option<&str>,
        note: Option<&str>,
        ended_at: Option<DateTime<Utc>>,
    ) -> Result<Call, StoreError>;
    /// Attaches a 受付番号 to a call.
    async fn attach_receipt(&self, id: i64, receipt_no: &str) -> Result<(), StoreError>;
    /// Calls started at or after `since`, optionally for one institution, newest first.
    async fn calls(&self, code: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<Call>, StoreError>;

    async fn upsert_faq(&self, entries: &[FaqEntry], operator: &str) -> Result<UpsertCounts, StoreError>;
    async fn faq_entries(&self) -> Result<Vec<FaqEntry>, StoreError>;

    async fn add_operator(&self, name: &str, role: Role, token_hash: &str) -> Result<(), StoreError>;
    async fn operator_by_token_hash(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError>;

    /// Audit events, optionally for one institution, oldest first.
    async fn audit(&self, code: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
    async fn verify_audit(&self) -> Result<AuditVerification, StoreError>;

    /// Changes made by any server sharing this database (PostgreSQL `LISTEN madoguchi_changes`),
    /// for refreshing indexes and telling consoles. `None` where the backend has no such
    /// channel (SQLite: one server, which knows its own changes).
    async fn listen_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        Ok(None)
    }

    /// Announces an event that changes no row (a screen pop) to every server on this database
    /// (PostgreSQL `NOTIFY`). False where the backend has no such channel: the caller then tells
    /// its own subscribers.
    async fn announce(&self, _event: &ServerEvent) -> Result<bool, StoreError> {
        Ok(false)
    }
}
