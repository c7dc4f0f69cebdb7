//! Persistence: one trait per resource (the "what"), combined into [`Store`], which the
//! server holds as `Arc<dyn Store>`; two backends implement them all.
//!
//! - `sqlite.rs`: the embedded default (pools, pragmas, the audit-log change feed), with
//!   `sqlite_checkpoint.rs` moving the WAL into the file in the background, not in commits;
//!   `postgres.rs`: shared by several servers (pool, advisory locks, LISTEN/NOTIFY).
//! - `sql/`: the SQL both engines accept, one file per resource (`institutions.rs`,
//!   `applications.rs`, `models.rs`, `deadline_batch.rs`, `subsidy.rs`, `calls.rs`,
//!   `call_details.rs`, `callbacks.rs`, `reports.rs`, `faq.rs`, `operators.rs`, `ssh_keys.rs`,
//!   `audit.rs`, `seed.rs`, `migrate.rs`). Each backend mounts that one
//!   folder as its own module (`#[path = "sql/mod.rs"] mod sql;`), so the text is shared and
//!   compiled against each backend's types; `sql/mod.rs` lists what a backend must provide.
//! - `records.rs`: the values crossing the traits; `error.rs`: [`StoreError`];
//!   `audit_chain.rs`: the hash chain and the 受付番号 format (pure).
//!
//! Every read-then-write runs in one transaction that takes the write lock first (SQLite
//! `BEGIN IMMEDIATE`, PostgreSQL `SELECT ... FOR UPDATE`), so two operators racing on one
//! application serialize in the database, never in a process. Every instant written comes
//! from the caller (the server's clock), never from the store.

pub mod audit_chain;
mod campaign_records;
mod error;
pub mod outage;
pub mod pg_gate;
pub mod pool_stats;
mod postgres;
mod records;
mod sqlite;
mod sqlite_checkpoint;
pub mod sqlite_file;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::api::{AuditEvent, Call, FaqEntry, Role, ServerEvent, SshKey};
use crate::domain::call::CallCounts;
use crate::domain::{CallBack, CallBackOutcome, Institution, ReaderApplication, ReaderModel, SubsidyClaim};

pub use campaign_records::{
    CallRule, CampaignRow, CampaignTally, DemoAttempt, DemoCampaign, DemoMember, MemberRow,
    NewCampaignRecord, NextAnswer, NextRequest, NextResult, OutcomeAnswer, OutcomeCallBack, OutcomeCommand,
    OutcomeRule, RecordedOutcomeRow, TallyTimes,
};
pub use error::StoreError;
pub use postgres::{CHANGES_CHANNEL, PostgresStore};
pub use records::{
    AgentChange, AgentRule, ApplicationChange, AuditVerification, BatchRule, ChangeCommand, ChangeOutcome,
    ChangeRule, DeadlineBatch, DeadlineBatchReport, InstitutionRow, InstitutionsVersion, NewCall,
    NewCallBackRecord, OperatorGeneration, OperatorRecord, PrefectureCount, SeedData, UpsertCounts,
};
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

/// The whole persistence seam: every resource, plus the change feed. Implementations:
/// `SqliteStore`, `PostgresStore`.
#[async_trait::async_trait]
pub trait Store:
    InstitutionStore
    + ApplicationStore
    + SubsidyStore
    + CallStore
    + CallBackStore
    + ReportStore
    + FaqStore
    + OperatorStore
    + SshKeyStore
    + AuditStore
    + SeedStore
    + CampaignStore
    + FloorStore
{
    /// Changes made by any server sharing this database (PostgreSQL `LISTEN`, SQLite a poll
    /// of the audit log), for refreshing indexes and telling consoles; `None` where the
    /// backend has no such channel.
    async fn listen_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        Ok(None)
    }

    /// Announces an event that changes no row (a screen pop) to every server on this database
    /// (PostgreSQL `NOTIFY`). False where the backend has no such channel: the caller then
    /// tells its own subscribers.
    async fn announce(&self, _event: &ServerEvent) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// How busy the connection pools are (for `/metrics`).
    fn pool_stats(&self) -> Vec<pool_stats::PoolStats> {
        Vec::new()
    }
}

/// 医療機関: the code list, its readings (`sql/institutions.rs`).
#[async_trait::async_trait]
pub trait InstitutionStore: Send + Sync {
    /// Upserts institutions by code in one transaction (all or nothing).
    async fn upsert_institutions(&self, rows: &[Institution]) -> Result<UpsertCounts, StoreError>;
    /// How many institutions there are (cheap: tells an empty database without loading it).
    async fn institution_count(&self) -> Result<u64, StoreError>;
    /// Every institution with its reader status, for building the search index.
    async fn all_institutions(&self) -> Result<Vec<InstitutionRow>, StoreError>;
    /// The institution with `code` and its reader status, if stored.
    async fn institution(&self, code: &str) -> Result<Option<InstitutionRow>, StoreError>;
    /// Where the institution rows stand (generation, version, count): cheap, no row is read.
    async fn institutions_version(&self) -> Result<InstitutionsVersion, StoreError>;
    /// The institutions inserted or changed after `version`, with their reader status, oldest
    /// change first (deletions are not listed: the count tells them).
    async fn institutions_changed_since(&self, version: i64) -> Result<Vec<InstitutionRow>, StoreError>;
    /// Every reader status other than 未申込, by code (what the lookup index shows beside a
    /// snapshot of the institutions, which holds no status).
    async fn reader_statuses(&self) -> Result<Vec<(String, crate::domain::ReaderStatus)>, StoreError>;
    /// Where the lookup index snapshot of this database is kept: beside a SQLite file; none
    /// for an in-memory database or PostgreSQL.
    fn index_snapshot_path(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// Operator's correction of a reading (clears `kana_inferred`), audited at `at`.
    async fn set_reading(
        &self,
        code: &str,
        name_kana: &str,
        operator: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// 顔認証付きカードリーダー申込 and the model catalog (`sql/applications.rs`,
/// `sql/deadline_batch.rs`).
#[async_trait::async_trait]
pub trait ApplicationStore: Send + Sync {
    /// The reader catalogue (機種).
    async fn reader_models(&self) -> Result<Vec<ReaderModel>, StoreError>;
    /// Adds or replaces catalogue entries by id.
    async fn upsert_reader_models(&self, models: &[ReaderModel]) -> Result<(), StoreError>;
    /// The application (or `ReaderApplication::not_applied()` with version 0).
    async fn application(&self, code: &str) -> Result<ReaderApplication, StoreError>;
    /// Checks version and idempotency, runs the rule, writes the new state, one audit event,
    /// the idempotency record and the call's receipt, all in one write transaction.
    async fn change_application(&self, cmd: ChangeCommand) -> Result<ChangeOutcome, StoreError>;
    /// Runs the deadline batch's rule over its candidates (or counts what it would change).
    async fn run_deadline_batch(&self, batch: DeadlineBatch) -> Result<DeadlineBatchReport, StoreError>;
    /// 機種未定 applications left per prefecture (dashboard).
    async fn undecided_by_prefecture(&self) -> Result<Vec<PrefectureCount>, StoreError>;
}

/// 補助金 claims (`sql/subsidy.rs`).
#[async_trait::async_trait]
pub trait SubsidyStore: Send + Sync {
    /// The subsidy claim of `code`, if any.
    async fn subsidy_claim(&self, code: &str) -> Result<Option<SubsidyClaim>, StoreError>;
}

/// 応対記録 (`sql/calls.rs`; its reasons and FAQ answers in `sql/call_details.rs`).
#[async_trait::async_trait]
pub trait CallStore: Send + Sync {
    /// Starts a call by `operator`, attached to `code` when given.
    async fn start_call(
        &self,
        operator: &str,
        code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError>;
    /// Sets what is given of call `id` (institution, note, end), keeping the rest.
    async fn update_call(
        &self,
        id: i64,
        code: Option<&str>,
        note: Option<&str>,
        ended_at: Option<DateTime<Utc>>,
    ) -> Result<Call, StoreError>;
    /// Calls started at or after `since`, optionally for one institution, newest first.
    async fn calls(&self, code: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<Call>, StoreError>;
    /// One call with its receipts, wrap-up reasons and FAQ answers.
    async fn call(&self, id: i64) -> Result<Option<Call>, StoreError>;
    /// Starts a call with what a screen pop or a call-back already knows.
    async fn start_new_call(&self, call: NewCall) -> Result<Call, StoreError>;
    /// Replaces a call's wrap-up reasons (checked by the caller against the policy).
    async fn set_reasons(&self, id: i64, reasons: &[String]) -> Result<Call, StoreError>;
    /// Closes a call: end instant and handle time (a call closed already keeps its first end).
    async fn close_call(&self, id: i64, at: DateTime<Utc>) -> Result<Call, StoreError>;
    /// Attaches an FAQ entry, in its current version, to a call.
    async fn attach_faq(
        &self,
        call_id: i64,
        faq_id: &str,
        copied: bool,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError>;
}

/// 折り返し: call-backs to an institution's registered phone (`sql/callbacks.rs`).
#[async_trait::async_trait]
pub trait CallBackStore: Send + Sync {
    /// Records a call-back to the institution's registered phone, read inside the write
    /// transaction; refused (`Rule`) when it has none, `NotFound` when there is no institution.
    async fn create_callback(
        &self,
        new: NewCallBackRecord,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError>;
    /// Open call-backs (or all with `all`), by due time; optionally one institution's.
    async fn callbacks(
        &self,
        all: bool,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CallBack>, StoreError>;
    /// Call-back `id` with its state at `now`, if it exists.
    async fn callback(&self, id: i64, now: DateTime<Utc>) -> Result<Option<CallBack>, StoreError>;
    /// Takes an open call-back: starts a call on its institution linked to it.
    async fn take_callback(
        &self,
        id: i64,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<(CallBack, Call), StoreError>;
    /// Records how an open call-back ended.
    async fn close_callback(
        &self,
        id: i64,
        outcome: CallBackOutcome,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError>;
}

/// The counts behind the call report, done in SQL (`sql/reports.rs`).
#[async_trait::async_trait]
pub trait ReportStore: Send + Sync {
    /// Calls started in [start, end) by Japan hour, reason and operator; call-backs due in it,
    /// judged at `now`.
    async fn call_counts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<CallCounts, StoreError>;
}

/// The FAQ (`sql/faq.rs`).
#[async_trait::async_trait]
pub trait FaqStore: Send + Sync {
    /// Upserts entries by id; each real change is audited at `at`.
    async fn upsert_faq(
        &self,
        entries: &[FaqEntry],
        operator: &str,
        at: DateTime<Utc>,
    ) -> Result<UpsertCounts, StoreError>;
    /// Every FAQ entry.
    async fn faq_entries(&self) -> Result<Vec<FaqEntry>, StoreError>;
}

/// Operators and their token hashes (`sql/operators.rs`). One token in force per name.
#[async_trait::async_trait]
pub trait OperatorStore: Send + Sync {
    /// Issues a token under `name`, audited as done by `by`; `Conflict` when the name already
    /// has a token in force, `Invalid` for an empty name or a hash already issued.
    async fn add_operator(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Revokes the token in force under `name` (audited as done by `by`) and returns what it
    /// was; `NotFound` when the name has none.
    async fn revoke_operator(
        &self,
        name: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<OperatorRecord, StoreError>;
    /// The operator of a token in force (a revoked one is `None`).
    async fn operator_by_token_hash(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// The operator with a token in force under `name`, if any.
    async fn operator_named(&self, name: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// The table's fingerprint, polled to notice revocations made by another server.
    async fn operator_generation(&self) -> Result<OperatorGeneration, StoreError>;
}

/// The SSH public keys operators log in with (`sql/ssh_keys.rs`).
#[async_trait::async_trait]
pub trait SshKeyStore: Send + Sync {
    /// Registers `key` (its `public_key` is the canonical OpenSSH text) for an operator that
    /// has been issued a token; `Invalid` with what to do when the operator is unknown or the
    /// key is already registered. Audited as done by `by`, in the same transaction.
    async fn add_ssh_key(&self, key: &SshKey, public_key: &str, by: &str) -> Result<(), StoreError>;
    /// Every registered key, by operator then date.
    async fn ssh_keys(&self) -> Result<Vec<SshKey>, StoreError>;
    /// Removes a key by fingerprint and returns it, audited as done by `by` at `at`;
    /// `NotFound` when there is none.
    async fn remove_ssh_key(
        &self,
        fingerprint: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<SshKey, StoreError>;
    /// Who logs in with this key: its operator, with the role of the operator's newest
    /// token; `None` for an unknown key (or an operator with no token left).
    async fn operator_by_ssh_key(&self, fingerprint: &str) -> Result<Option<OperatorRecord>, StoreError>;
}

/// 変更履歴, the hash-chained audit log (`sql/audit.rs`).
#[async_trait::async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one event that goes with no other write of the store (a supervisor's change
    /// of another operator's call record), in its own transaction.
    async fn record_event(
        &self,
        operator: &str,
        action: &str,
        code: Option<&str>,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Audit events, optionally for one institution, oldest first.
    async fn audit(&self, code: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>, StoreError>;
    /// Checks the audit hash chain end to end.
    async fn verify_audit(&self) -> Result<AuditVerification, StoreError>;
    /// Changes to reader applications (any kind) audited in `from..until`, counted in SQL.
    async fn application_changes_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// 架電キャンペーン: campaigns, their members, leases and attempts (`sql/campaigns.rs`). A
/// member's state is read at the instant asked, joining its institution's current application:
/// a change from any route makes it leave without this trait being told.
#[async_trait::async_trait]
pub trait CampaignStore: Send + Sync {
    /// Creates a campaign with every institution matching its filter now (skipping those
    /// marked do-not-call), audited; returns its id and how many members it got.
    async fn create_campaign(&self, new: NewCampaignRecord) -> Result<(i64, u64), StoreError>;
    /// Adds the institutions matching the campaign's filter now that are not members yet.
    async fn add_campaign_members(
        &self,
        id: i64,
        kind_ranks: &[(crate::domain::InstitutionKind, i64)],
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Every campaign.
    async fn campaigns(&self) -> Result<Vec<CampaignRow>, StoreError>;
    /// Campaign `id`, if it exists.
    async fn campaign(&self, id: i64) -> Result<Option<CampaignRow>, StoreError>;
    /// Pauses, resumes or closes a campaign (a closed one stays closed), audited.
    async fn set_campaign_state(
        &self,
        id: i64,
        state: crate::api::campaign::CampaignState,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<CampaignRow, StoreError>;
    /// Every member as it stands at `now`.
    async fn campaign_members(&self, id: i64, now: DateTime<Utc>) -> Result<Vec<MemberRow>, StoreError>;
    /// The members counted at `now` by prefecture and state, and (`with_times`) by the hours
    /// they joined and finished: the counts and the burn-down without reading every member.
    async fn campaign_tally(
        &self,
        id: i64,
        now: DateTime<Utc>,
        with_times: bool,
    ) -> Result<CampaignTally, StoreError>;
    /// The members whose attempts ran out, in full.
    async fn exhausted_members(&self, id: i64, now: DateTime<Utc>) -> Result<Vec<MemberRow>, StoreError>;
    /// Every attempt of a campaign, by member then time.
    async fn campaign_attempts(
        &self,
        id: i64,
    ) -> Result<Vec<crate::api::campaign::MemberAttempt>, StoreError>;
    /// Attempts by operator (reached = one of `reached`, changed = with a 受付番号).
    async fn campaign_operator_progress(
        &self,
        id: i64,
        reached: &[crate::domain::campaign::Outcome],
    ) -> Result<Vec<crate::api::campaign::OperatorProgress>, StoreError>;
    /// Leases one member to each request's operator and starts its call, in one transaction
    /// for the whole batch: never the same member to two operators (PostgreSQL `FOR UPDATE
    /// SKIP LOCKED`, SQLite `BEGIN IMMEDIATE`). One answer per request, in order; `Err` only
    /// when the transaction itself failed.
    async fn next_members(&self, reqs: Vec<NextRequest>) -> Result<Vec<NextAnswer>, StoreError>;
    /// Records a batch of outcomes (see [`OutcomeCommand`]) in one write transaction: one
    /// answer per command, in order (a command refused — someone else's lease, no receipt —
    /// writes nothing of its own); `Err` only when the transaction itself failed.
    async fn record_outcomes(&self, cmds: Vec<OutcomeCommand>) -> Result<Vec<OutcomeAnswer>, StoreError>;
    /// Ends at `now` every lease in force of `operator` (their console closed), audited.
    async fn release_leases(&self, operator: &str, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Loads the demo's campaign under way in bulk (after the demo data; no audit events, like
    /// the rest of the demo data); returns its id.
    async fn load_demo_campaign(&self, demo: &DemoCampaign) -> Result<i64, StoreError>;
    /// The institution's 架電不要 mark, if it has one.
    async fn do_not_call(
        &self,
        code: &str,
    ) -> Result<Option<crate::api::campaign::DoNotCallMark>, StoreError>;
    /// One member of a campaign as it stands at `now`.
    async fn member(
        &self,
        campaign_id: i64,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<MemberRow>, StoreError>;
}

/// The demo data's bulk load (`sql/seed.rs`).
#[async_trait::async_trait]
pub trait SeedStore: Send + Sync {
    /// Replaces the demo data wholesale (institutions, applications, claims, models, FAQ),
    /// calling `progress` with a short line now and then (e.g. "institutions 120000/242187").
    async fn load_seed(
        &self,
        data: &SeedData,
        at: DateTime<Utc>,
        progress: &(dyn for<'p> Fn(&'p str) + Sync),
    ) -> Result<(), StoreError>;
}

/// The floor (live): operators' states and their log, raised hands (`sql/floor.rs`).
#[async_trait::async_trait]
pub trait FloorStore: Send + Sync {
    /// Runs `rule` (the state machine) on the operator's status inside one write transaction;
    /// when it leads somewhere, writes the new status (none: signed out) and a log row.
    async fn change_agent_state(
        &self,
        operator: &str,
        at: DateTime<Utc>,
        rule: AgentRule,
    ) -> Result<AgentChange, StoreError>;
    /// Every signed-in operator with the call they are on and its institution, by name.
    async fn floor_agents(&self) -> Result<Vec<crate::api::FloorAgent>, StoreError>;
    /// One signed-in operator with their call, if signed in.
    async fn floor_agent(&self, operator: &str) -> Result<Option<crate::api::FloorAgent>, StoreError>;
    /// Operators in after-call work and since when (cheap: read every second to end it on time).
    async fn after_call_since(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// The state log of `[from, until)`, each operator's last change before `from` first,
    /// ordered by operator then time.
    async fn state_log(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(String, crate::domain::floor::StateChange)>, StoreError>;
    /// Raises the operator's hand (a hand already up gets the new note).
    async fn raise_hand(
        &self,
        operator: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<crate::domain::floor::HandRaise, StoreError>;
    /// Lowers the operator's hand still waiting, if any.
    async fn lower_hand(
        &self,
        operator: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<crate::domain::floor::HandRaise>, StoreError>;
    /// Marks a hand seen by supervisor `by` (a hand acknowledged already keeps its first);
    /// `NotFound` for an unknown id.
    async fn acknowledge_hand(
        &self,
        id: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<crate::domain::floor::HandRaise, StoreError>;
    /// Hands waiting for a supervisor, oldest first.
    async fn open_hands(&self) -> Result<Vec<crate::domain::floor::HandRaise>, StoreError>;
    /// The operator's latest hand not lowered (waiting or acknowledged), for their status bar.
    async fn latest_hand(
        &self,
        operator: &str,
    ) -> Result<Option<crate::domain::floor::HandRaise>, StoreError>;
}
