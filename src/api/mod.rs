//! Wire types of the HTTP API, shared by the server (which serialises them) and the client
//! (which deserialises them): one definition, so the two sides cannot drift apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    Institution, InstitutionKind, ReaderApplication, ReaderModel, ReaderStatus, SubsidyClaim, WrapUpReason,
};

pub mod campaign;
mod faq;
mod floor;
mod live_call;
pub use faq::*;
pub use floor::*;
pub use live_call::*;

/// The one error shape of every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// `code` is stable for programs; `message` is fit to show an operator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`not_found`, `stale`, `rule_refused`, ...).
    pub code: String,
    /// What went wrong, in words fit for an operator.
    pub message: String,
}

/// Which part of a field matched a query, as character (not byte) ranges, for highlighting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MatchSpan {
    /// `name`, `name_kana`, `code` or `phone`.
    pub field: String,
    /// First character of the match (0-based, counted in characters).
    pub start: usize,
    /// One past the last character of the match.
    pub end: usize,
}

/// One row of a lookup: enough to pick the right institution while the caller talks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstitutionSummary {
    /// 医療機関コード, 10 digits.
    pub code: String,
    /// Registered name.
    pub name: String,
    /// Katakana reading of the name, when known.
    pub name_kana: Option<String>,
    /// 病院, 診療所, 歯科診療所 or 薬局.
    pub kind: InstitutionKind,
    /// Prefecture name (都道府県).
    pub prefecture: String,
    /// City, ward, town or village (市区町村).
    pub city: String,
    /// Where its reader application stands.
    pub reader_status: ReaderStatus,
    /// Why it matched (`exact_code`, `name_prefix`, `reading_substring`, `fuzzy`, ...).
    pub match_kind: String,
    /// Ranking score: 1 for an exact code, lower for weaker matches; higher is better.
    pub score: f64,
    /// Spans to highlight in the row.
    pub highlights: Vec<MatchSpan>,
}

/// The answer to `GET /v1/institutions?q=`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LookupResponse {
    /// The query as sent.
    pub query: String,
    /// The matches, best first.
    pub results: Vec<InstitutionSummary>,
}

/// `GET /v1/institutions/{code}`: the header of the institution screen.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstitutionDetail {
    /// The stored institution, its fields at the top level of the JSON object.
    #[serde(flatten)]
    pub institution: Institution,
    /// Set when the code's check digit is not the one the rules expect.
    pub check_digit_warning: Option<String>,
    /// The reader application with what the rules say about it today.
    pub reader_application: ReaderApplicationView,
    /// 架電不要: set when the institution asked not to be called (campaigns skip it).
    #[serde(default)]
    pub do_not_call: Option<campaign::DoNotCallMark>,
}

/// A reader application as the operator sees it, with what the rules say about it today.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReaderApplicationView {
    #[serde(flatten)]
    /// The stored application, its fields at the top level of the JSON object.
    pub application: ReaderApplication,
    /// The selected 機種, if one is chosen and in the catalogue.
    pub model: Option<ReaderModel>,
    /// Readers given free for this institution's kind (the policy's 3 for a hospital, 1 otherwise).
    pub free_units: u32,
    /// Last day to choose the model of a 機種未定 application.
    pub selection_deadline: NaiveDate,
    /// Days from the business date to the selection deadline (negative once past).
    pub days_left: i64,
    /// A sentence for the operator about what the rules say now (deadline, what happens).
    pub rule_note: String,
}

/// Who called and how the operator made sure it was them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The operator called back the registered phone number.
    CallbackRegisteredPhone,
    /// The caller read back the registered details (address, code, ...).
    RegisteredDetails,
}

/// `PUT /v1/institutions/{code}/reader-application`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeReaderApplication {
    /// The 機種 chosen (an id from the catalogue).
    pub model_id: String,
    /// Number of readers wanted.
    pub units: u32,
    /// Who at the institution asked for the change.
    pub caller_name: String,
    /// Their role at the institution (事務長, 薬剤師, ...).
    pub caller_role: String,
    /// How the operator made sure it was them.
    pub verification: Verification,
    /// The open call to attach the change to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<i64>,
}

/// The answer to a successful change: the new state and the 受付番号 to read back.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeReceipt {
    /// 受付番号 to read back to the caller.
    pub receipt_no: String,
    /// The application as it was before the change.
    pub before: ReaderApplication,
    /// The application as it is now.
    pub application: ReaderApplicationView,
}

/// `GET /v1/institutions/{code}/subsidy`: the claim, if any, and the calculator's answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubsidyView {
    /// The claim on file, if any.
    pub claim: Option<SubsidyClaim>,
    /// The institution's kind, which picks the subsidy row.
    pub kind: InstitutionKind,
    /// Whether it is a 大型チェーン薬局 (changes the share paid).
    pub large_chain: bool,
    /// Readers the row is picked for: the claim's, else the application's (at least 1).
    pub units: u32,
    /// The cap of the row that applies, and the payable amount at that cap.
    pub cost_cap_yen: u64,
    /// The amount payable at that cap, in yen.
    pub max_payable_yen: u64,
    /// What the rules say, in a sentence for the operator.
    pub rule_note: String,
}

/// One FAQ entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FaqEntry {
    /// Stable id of the entry.
    pub id: String,
    /// The question as callers ask it.
    pub question: String,
    /// The answer operators read out.
    pub answer: String,
    /// The FAQ's section the entry belongs to.
    pub category: String,
    #[serde(default)]
    /// Extra search words (synonyms, abbreviations).
    pub keywords: Vec<String>,
}

/// One ranked FAQ answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaqHit {
    #[serde(flatten)]
    /// The entry that matched.
    pub entry: FaqEntry,
    /// Ranking score (higher is better; only comparable within one response).
    pub score: f64,
}

/// The answer to `GET /v1/faq?q=`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FaqResponse {
    /// The question as sent.
    pub query: String,
    /// The matching entries, best first.
    pub results: Vec<FaqHit>,
    /// Whether the first result answers the question well enough to be given without a person
    /// (a chatbot should hand over to an operator when false). True when the first entry holds
    /// at least 40% of the question's idf-weighted terms (terms no entry has count against it)
    /// and its score leads the second's by at least 10% of its own; calibrated on the tuning
    /// halves of the shipped relevance sets. Measured on their held-out halves (`madoguchi
    /// bench relevance`): about 9 in 10 confident answers are right, and about 1 in 20
    /// out-of-domain questions is answered with confidence. False when there is no result.
    #[serde(default)]
    pub confident: bool,
}

/// One 変更履歴 event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the hash chain (1 for the first event).
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Operator who did it.
    pub operator: String,
    /// `reader_application.change`, `reader_application.cancel_deadline`, `faq.edit`, ...
    pub action: String,
    /// The institution it concerns, if any.
    pub code: Option<String>,
    /// 受付番号 of the change, if it made one.
    pub receipt_no: Option<String>,
    /// Free-form details: caller, verification, before, after.
    pub detail: serde_json::Value,
    /// Hash of the event before it (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 hex of `prev_hash` and this event's fields.
    pub hash: String,
}

/// 応対記録 as listed and shown.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Call {
    /// Call id.
    pub id: i64,
    /// The operator who took the call.
    pub operator: String,
    /// When the call began.
    pub started_at: DateTime<Utc>,
    /// When the call was closed; `None` while open.
    pub ended_at: Option<DateTime<Utc>>,
    /// The institution the call is about, once attached.
    pub code: Option<String>,
    /// The operator's free-text note.
    pub note: String,
    /// 受付番号 of the changes made during the call.
    pub receipts: Vec<String>,
    /// Wrap-up reason ids (応対の理由), in the policy's order; set when the call closes.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The caller's number as the phone system reported it (screen pop).
    #[serde(default)]
    pub caller_phone: Option<String>,
    /// The call-back this call makes, when it was started by taking one.
    #[serde(default)]
    pub callback_id: Option<i64>,
    /// FAQ answers shown or copied during the call.
    #[serde(default)]
    pub faq: Vec<CallFaq>,
}

/// Roles of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes calls, looks up and changes applications.
    Operator,
    /// Operator rights plus the supervisors' actions (the deadline batch, tokens, SSH keys, reinstating).
    Supervisor,
    /// Read-only FAQ access for the portal chatbot.
    Service,
    /// The phone system: may post screen pops and nothing else.
    Telephony,
}

impl Role {
    /// The role's name as tokens and the API spell it (`operator`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Service => "service",
            Role::Telephony => "telephony",
        }
    }
    /// Every role, for parsing and for tests that try each role on each route.
    pub const ALL: [Role; 4] = [Role::Operator, Role::Supervisor, Role::Service, Role::Telephony];
    /// The role spelled `s` as [`Role::as_str`] writes it, if any.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// `GET /v1/me`: who the token belongs to and the server's business date, for the status bar.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// Operator name the token was issued to.
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// Today's business date (JST, or the `--as-of` date).
    pub business_date: NaiveDate,
    /// True when the date is fixed by `--as-of` (the console says "demo date").
    pub date_fixed: bool,
    /// Last day to choose the model of a 機種未定 application.
    pub selection_deadline: NaiveDate,
    /// The policy's wrap-up reasons (応対の理由), in the order the console numbers them.
    #[serde(default)]
    pub wrap_up_reasons: Vec<WrapUpReason>,
    /// The server's "now" when it answered (under `--as-of`, that date at the real time of
    /// day): the console counts its timers on the server's clock, whose instants it shows.
    #[serde(default)]
    pub server_now: Option<DateTime<Utc>>,
}

/// `POST /v1/calls`: start a call, optionally already attached to an institution.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct StartCall {
    /// Institution code to attach the call to.
    pub code: Option<String>,
}

/// `PATCH /v1/calls/{id}`: attach an institution, set the note or the wrap-up reasons, close
/// the call (which needs at least one reason, given now or before).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateCall {
    /// Institution code to attach the call to.
    pub code: Option<String>,
    /// New note; replaces the one before when given.
    pub note: Option<String>,
    /// Wrap-up reason ids from the policy list; replaces those set before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
    #[serde(default)]
    /// Close the call.
    pub close: bool,
}

/// `GET /v1/dashboard`: what a supervisor watches.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// Today's business date.
    pub business_date: NaiveDate,
    /// Last day to choose the model of a 機種未定 application.
    pub selection_deadline: NaiveDate,
    /// Days from the business date to the selection deadline (negative once past).
    pub days_left: i64,
    /// 機種未定 applications left, all prefectures.
    pub undecided_total: u64,
    /// 機種未定 applications left per prefecture.
    pub undecided_by_prefecture: Vec<PrefectureUndecided>,
    /// Reader applications changed today.
    pub changes_today: u64,
}

/// Undecided (機種未定) applications left in one prefecture.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrefectureUndecided {
    /// Prefecture name.
    pub prefecture: String,
    /// 機種未定 applications left there.
    pub undecided: u64,
}

/// `POST /v1/batch/deadline` (supervisors): cancel 機種未定 applications past the deadline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineBatchRequest {
    /// Count and sample without cancelling anything.
    pub dry_run: bool,
}

/// What the deadline batch did (or would do, on a dry run).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineBatchResult {
    /// Whether this was a dry run (nothing cancelled).
    pub dry_run: bool,
    /// Applications cancelled (or that would be).
    pub cancelled: u64,
    /// Up to 10 of their institution codes.
    pub sample_codes: Vec<String>,
    /// A sentence for the operator saying what happened.
    pub message: String,
}

/// One server-sent event of `/v1/events` (`data:` is this JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A reader application changed (by anyone, including the deadline batch).
    ApplicationChanged {
        /// Institution code.
        code: String,
        /// The application's new version (its ETag).
        version: i64,
        /// Operator who changed it (the supervisor who ran the deadline batch).
        operator: String,
        /// 受付番号 of the change, when it made one.
        receipt_no: Option<String>,
    },
    /// Institutions were imported or corrected; search results may have changed.
    InstitutionsChanged,
    /// The FAQ changed.
    FaqChanged,
    /// The phone system says who is calling one operator: only that operator's streams get it.
    ScreenPop(ScreenPop),
    /// An operator's state changed (signed in or out, a call, after-call, away): that
    /// operator's streams and supervisors' get it. `agent` is `None` once signed out.
    AgentState {
        /// Operator the state is about.
        operator: String,
        /// Their state now; `None` once signed out.
        agent: Option<FloorAgent>,
    },
    /// A hand was raised (or its note changed), acknowledged or lowered; `open` while it waits.
    Hand {
        /// The hand raised.
        hand: crate::domain::floor::HandRaise,
        /// True while it waits for a supervisor.
        open: bool,
    },
    /// A supervisor began (`watching`) or stopped watching an operator's console.
    Watch {
        /// Operator being watched.
        operator: String,
        /// Supervisor watching.
        supervisor: String,
        /// True when watching begins, false when it ends.
        watching: bool,
    },
}

impl ServerEvent {
    /// Whether a `/v1/events` subscriber signed in as `operator` should receive this event.
    pub fn is_for(&self, operator: &str) -> bool {
        match self {
            ServerEvent::ScreenPop(pop) => pop.operator == operator,
            _ => true,
        }
    }

    /// [`ServerEvent::is_for`], knowing the subscriber's role: the floor's events (a state, a
    /// hand, a watch) go to the operator they are about and to supervisors, no one else.
    pub fn is_for_role(&self, operator: &str, role: Role) -> bool {
        let about = match self {
            ServerEvent::AgentState { operator: who, .. } | ServerEvent::Watch { operator: who, .. } => who,
            ServerEvent::Hand { hand, .. } => &hand.operator,
            _ => return self.is_for(operator),
        };
        role == Role::Supervisor || about == operator
    }
}

/// The body of a 412 answer: the error, and the application as it stands now, so the
/// console can show what changed and offer to redo the change on the fresh state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaleBody {
    /// The error (code `stale`).
    pub error: ErrorDetail,
    /// The application as it stands now.
    pub current: ReaderApplicationView,
}

/// `PUT /v1/institutions/{code}/reading`: an operator's correction of the katakana reading.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SetReading {
    /// The corrected katakana reading.
    pub name_kana: String,
}

/// `POST /v1/operators` (supervisors): issue a token for a new operator.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewOperator {
    /// Operator name.
    pub name: String,
    /// Role the token grants.
    pub role: Role,
}

/// The answer to `POST /v1/operators`: the token, shown once (only its hash is stored).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    /// Operator name.
    pub name: String,
    /// Role the token grants.
    pub role: Role,
    /// The token itself; shown only here, never again.
    pub token: String,
}

/// `POST /v1/operators/revoke` (supervisors): whose token to revoke.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevokeOperator {
    /// Operator name.
    pub name: String,
}

/// The answer to `POST /v1/operators/revoke`: the token no longer works on any server
/// (within seconds), and the operator's SSH sessions end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevokedOperator {
    /// Operator name.
    pub name: String,
    /// Role the revoked token granted.
    pub role: Role,
    /// When the token was revoked.
    pub revoked_at: DateTime<Utc>,
}

/// `POST /v1/ssh-keys` (supervisors): a public key an operator logs in with over SSH (the
/// line of an `id_ed25519.pub`, as `ssh-keygen` writes it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewSshKey {
    /// Operator the key logs in as.
    pub operator: String,
    /// The public key line, as in `id_ed25519.pub` (algorithm, base64 key, optional comment).
    pub public_key: String,
}

/// A registered SSH public key (`GET /v1/ssh-keys`); sessions opened with it act as
/// `operator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SshKey {
    /// Operator the key logs in as.
    pub operator: String,
    /// `SHA256:…`, as `ssh-keygen -lf KEY.pub` prints it.
    pub fingerprint: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, …
    pub algorithm: String,
    /// The key line's comment (often `user@host`).
    pub comment: String,
    /// When it was registered.
    pub added_at: DateTime<Utc>,
}

/// An open console session over the built-in SSH server (`GET /v1/ssh-sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SshSession {
    /// Operator the session acts as.
    pub operator: String,
    /// The key it logged in with.
    pub fingerprint: String,
    /// The client's address.
    pub peer: String,
    /// When the session opened.
    pub since: DateTime<Utc>,
}

/// `GET /v1/audit/verify` (supervisors): the hash chain checked end to end.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerifyResult {
    /// True when every link and hash checks out.
    pub ok: bool,
    /// Events checked.
    pub events: u64,
    /// The first sequence number whose hash or link is wrong.
    pub first_broken_seq: Option<i64>,
}

/// `GET /readyz` when the server can take work: lookups answered, the database reached.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
    /// Where the lookup index is (`ready` here).
    pub lookup: LookupReadiness,
    /// How long the database took to answer the check, in milliseconds.
    pub database_ms: u64,
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` while the process answers.
    pub status: String,
    /// Institutions in the lookup index (0 until it has loaded).
    pub institutions: u64,
    /// Whether lookups can be answered yet: a load balancer or a script waits for `ready`
    /// rather than reading `institutions: 0` as an empty database.
    #[serde(default)]
    pub lookup: LookupReadiness,
}

/// Where the lookup index is, from `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LookupReadiness {
    /// Built on the first lookup, and none came yet.
    NotStarted,
    /// Loading the snapshot or building from the rows: lookups answer 503 for a few seconds.
    Loading,
    #[default]
    /// Built and answering lookups.
    Ready,
    /// The build failed: the log says why; restart after fixing it.
    Failed,
}
