//! Persistence of the live call: closing a call with its wrap-up reasons and handle time, FAQ
//! answers given during a call, call-backs (折り返し), a call started by a screen pop, and the
//! counts behind the call report. A supertrait of [`Store`](super::Store), implemented by both
//! backends from `live_call_sql.rs`.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::api::Call;
use crate::domain::call::CallCounts;
use crate::domain::{CallBack, CallBackOutcome};

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
}

/// The live call's storage. Every method that writes runs in one write transaction.
#[async_trait::async_trait]
pub trait CallStore: Send + Sync {
    /// One call with its receipts, reasons and FAQ answers.
    async fn call(&self, id: i64) -> Result<Option<Call>, StoreError>;
    /// Starts a call (optionally on an institution, with a caller's number or for a call-back).
    async fn start_new_call(&self, call: NewCall) -> Result<Call, StoreError>;
    /// Sets a call's wrap-up reasons (checked by the caller against the policy).
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

    /// Records a call-back to the institution's registered phone; refused (`Rule`) when it
    /// has none, `NotFound` when there is no such institution.
    async fn create_callback(
        &self,
        new: NewCallBackRecord,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError>;
    /// Open call-backs (or all with `all`), overdue first then by due time; optionally one institution's.
    async fn callbacks(
        &self,
        all: bool,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CallBack>, StoreError>;
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

    /// The counts of a report period [start, end), call-backs judged at `now`.
    async fn call_counts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<CallCounts, StoreError>;
}
