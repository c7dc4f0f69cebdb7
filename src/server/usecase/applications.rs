//! Changing a reader application (one transaction: state, 変更履歴 with the 受付番号,
//! idempotency record, the call's receipt) and the deadline batch.

use sha2::{Digest, Sha256};

use super::ApiError;
use super::institutions::{Found, find};
use crate::api::{ChangeReaderApplication, ChangeReceipt, DeadlineBatchResult, ReaderApplicationView, Role};
use crate::domain::ReaderModel;
use crate::domain::call::check_callback_verification;
use crate::domain::reader::{
    DEADLINE_BATCH_CANDIDATES, DEADLINE_CANCEL_REASON, ReaderChange, cancel_past_deadline, change_rule,
    deadline_batch_date,
};
use crate::server::auth::{Caller, hex};
use crate::server::state::AppState;
use crate::server::views::application_view;
use crate::store::{ChangeCommand, DeadlineBatch, StoreError};

/// A change as the caller asked for it: the version they read, their key, the body.
pub struct ChangeRequest {
    /// The version the caller read (`If-Match`).
    pub expected_version: i64,
    /// Unique per change, the same on a retry (`Idempotency-Key`).
    pub idempotency_key: String,
    /// What to change.
    pub body: ChangeReaderApplication,
}

/// `PUT /v1/institutions/{code}/reader-application` in the order the API answers it: the
/// institution (400, 404), then the request's preconditions and body as the route read them
/// (428, 400, 422), then the change.
pub async fn change_at(
    state: &AppState,
    caller: &Caller,
    raw_code: &str,
    req: Result<ChangeRequest, ApiError>,
) -> Result<ChangeReceipt, ApiError> {
    let answer = async { change(state, caller, &find(state, raw_code).await?, req?).await }.await;
    if let Err(e) = &answer {
        state.metrics.change_refused(e.code());
    }
    answer
}

/// Checks the body, runs the domain's rule inside the store's transaction (which also checks
/// the model against the catalog), then shows the change in lookups; consoles hear of it from
/// the store's change feed. A replay (same key, same body) returns the first answer and
/// changes nothing.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    institution: &Found,
    req: ChangeRequest,
) -> Result<ChangeReceipt, ApiError> {
    let (check, row) = institution;
    validate(&req.body)?;
    // The receipt goes on the call's record: only its operator or a supervisor may put it
    // there (an unknown call is the store's 422, inside the transaction).
    let call = match req.body.call_id {
        Some(call_id) => state.store.call(call_id).await?,
        None => None,
    };
    if let Some(call) = &call {
        super::calls::editor(call, caller)?;
    }
    if req.body.verification == crate::api::Verification::CallbackRegisteredPhone
        && (req.body.call_id.is_none() || call.is_some())
    {
        check_callback_verification(
            check.code.as_str(),
            call.as_ref().map(|c| (c.code.as_deref(), c.callback_id)),
        )?;
    }
    let code = check.code.as_str().to_string();
    let kind = row.institution.kind;
    let today = state.clock.today();
    let policy = state.policy.clone();
    let model_id = req.body.model_id.clone();
    let change = ReaderChange { model_id: req.body.model_id.clone(), units: req.body.units };
    let may_reinstate = caller.role == Role::Supervisor;
    let cmd = ChangeCommand {
        code: code.clone(),
        expected_version: req.expected_version,
        idempotency_key: req.idempotency_key,
        request_hash: request_hash(&code, &caller.name, &req.body)?,
        operator: caller.name.clone(),
        request: req.body,
        at: state.clock.now(),
        rule: Box::new(move |current| change_rule(&policy, today, kind, current, &change, may_reinstate)),
    };
    let changed = state.store.change_application(cmd).await;
    // The catalog names the model in the answer, and says why an unknown one was refused.
    let models = state.store.reader_models().await?;
    let outcome = match changed {
        Ok(o) => o,
        Err(StoreError::StaleVersion { current_state, .. }) => {
            let current = application_view(&state.policy, today, kind, *current_state, &models);
            return Err(ApiError::Stale {
                message: format!(
                    "この申込は読み込んだ後に変更されています（今は{}、版 {}）。最新の内容を確かめてからやり直してください",
                    current.application.status.label_ja(),
                    current.application.version
                ),
                current: Box::new(current),
            });
        }
        Err(StoreError::Invalid(_)) if !models.iter().any(|m| m.id == model_id) => {
            return Err(unknown_model(&model_id));
        }
        Err(e) => return Err(e.into()),
    };
    if !outcome.replayed {
        state.metrics.change_committed();
        state.show_application_change(&code, outcome.after.version, outcome.after.status).await?;
    }
    Ok(ChangeReceipt {
        receipt_no: outcome.receipt_no,
        before: outcome.before,
        application: application_view(&state.policy, today, kind, outcome.after, &models),
    })
}

/// The answer to a model the catalog does not hold.
fn unknown_model(model_id: &str) -> ApiError {
    ApiError::unprocessable(
        "unknown_model",
        format!("機種「{model_id}」はカタログにありません。機種一覧から選んでください"),
    )
}

/// The application of an institution as of the business date, with its version (the ETag).
pub async fn read(state: &AppState, raw_code: &str) -> Result<ReaderApplicationView, ApiError> {
    let (check, row) = find(state, raw_code).await?;
    let app = state.store.application(check.code.as_str()).await?;
    let models = state.store.reader_models().await?;
    Ok(application_view(&state.policy, state.clock.today(), row.institution.kind, app, &models))
}

/// The reader model catalog.
pub async fn models(state: &AppState) -> Result<Vec<ReaderModel>, ApiError> {
    Ok(state.store.reader_models().await?)
}

/// Body checks a rule cannot make: a caller is named, units given, fields within their caps.
/// (The model is checked against the catalog inside the change's transaction.)
fn validate(body: &ChangeReaderApplication) -> Result<(), ApiError> {
    use super::text::{CALLER_MAX_CHARS, NAME_MAX_CHARS, bounded};
    bounded("model_id", "機種", &body.model_id, NAME_MAX_CHARS)?;
    bounded("caller_name", "お電話の相手のお名前", &body.caller_name, CALLER_MAX_CHARS)?;
    bounded("caller_role", "お電話の相手の立場", &body.caller_role, CALLER_MAX_CHARS)?;
    if body.caller_name.trim().is_empty() {
        return Err(ApiError::unprocessable("caller_name_required", "お電話の相手のお名前を入れてください"));
    }
    if body.caller_role.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "caller_role_required",
            "お電話の相手の立場（事務長、院長など）を入れてください",
        ));
    }
    if body.units == 0 {
        return Err(ApiError::unprocessable("invalid_units", "台数は1台以上で指定してください"));
    }
    Ok(())
}

/// SHA-256 of what identifies a request for idempotency: code, operator and body.
fn request_hash(code: &str, operator: &str, body: &ChangeReaderApplication) -> Result<String, ApiError> {
    let json = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut h = Sha256::new();
    h.update(code.as_bytes());
    h.update([0]);
    h.update(operator.as_bytes());
    h.update([0]);
    h.update(&json);
    Ok(hex(&h.finalize()))
}

/// The deadline batch (supervisors): the domain says as of which date it runs (refusing a
/// real run before the deadline) and which applications it cancels; the store writes them
/// in one transaction; lookups then show the new statuses (consoles hear of each change from
/// the store's change feed).
pub async fn deadline_batch(
    state: &AppState,
    caller: &Caller,
    dry_run: bool,
) -> Result<DeadlineBatchResult, ApiError> {
    let as_of = deadline_batch_date(&state.policy, state.clock.today(), dry_run)?;
    let policy = state.policy.clone();
    let batch = DeadlineBatch {
        candidates: DEADLINE_BATCH_CANDIDATES,
        rule: Box::new(move |app| cancel_past_deadline(&policy, as_of, app)),
        reason: DEADLINE_CANCEL_REASON,
        deadline: state.policy.selection_deadline,
        operator: caller.name.clone(),
        dry_run,
        at: state.clock.now(),
    };
    let report = state.store.run_deadline_batch(batch).await?;
    for changed in &report.changed {
        state.show_application_change(&changed.code, changed.version, changed.status).await?;
    }
    let message = if dry_run {
        format!("試算: 機種未定の申込 {} 件がキャンセルの対象です", report.cancelled)
    } else {
        format!("機種未定の申込 {} 件をキャンセルしました", report.cancelled)
    };
    Ok(DeadlineBatchResult {
        dry_run: report.dry_run,
        cancelled: report.cancelled,
        sample_codes: report.sample_codes,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_hash_differs_by_body_and_code() {
        let body = ChangeReaderApplication {
            model_id: "m1".into(),
            units: 1,
            caller_name: "山田".into(),
            caller_role: "事務長".into(),
            verification: crate::api::Verification::RegisteredDetails,
            call_id: None,
        };
        let mut other = body.clone();
        other.units = 2;
        let a = request_hash("1", "op", &body).expect("hash");
        assert_eq!(a, request_hash("1", "op", &body).expect("hash"));
        assert_ne!(a, request_hash("2", "op", &body).expect("hash"));
        assert_ne!(a, request_hash("1", "op", &other).expect("hash"));
    }
}
