//! 顔認証付きカードリーダー申込 over HTTP: the model catalog, reading an application with its
//! ETag, and changing it under `If-Match` and `Idempotency-Key`.

use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::find_institution;
use crate::api::Role;
use crate::api::{ChangeReaderApplication, ChangeReceipt, ReaderApplicationView, ServerEvent};
use crate::domain::reader::{ReaderChange, apply_change, reinstate};
use crate::domain::{InstitutionKind, ReaderApplication, ReaderModel, ReaderStatus};
use crate::server::auth::{Caller, hex};
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath};
use crate::server::state::AppState;
use crate::server::views::application_view;
use crate::store::{ChangeCommand, StoreError};

/// The reader model catalog.
#[utoipa::path(get, path = "/v1/reader-models", tag = "reader",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every model, each with an `id`", body = Vec<ReaderModel>),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read the catalog", body = crate::api::ErrorBody),
    ))]
pub async fn models(
    caller: Caller,
    State(state): State<AppState>,
) -> Result<AppJson<Vec<ReaderModel>>, ApiError> {
    caller.staff()?;
    Ok(AppJson(state.store.reader_models().await?))
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// The application with `ETag: "<version>"` for a later `If-Match`.
#[utoipa::path(get, path = "/v1/institutions/{code}/reader-application", tag = "reader",
    params(("code" = String, Path, description = "医療機関コード")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The application; `ETag` holds its version", body = ReaderApplicationView,
            headers(("ETag" = String, description = "The version, quoted"))),
        (status = 400, description = "Not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read applications", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
    ))]
pub async fn get_application(
    caller: Caller,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
) -> Result<Response, ApiError> {
    caller.staff()?;
    let (check, row) = find_institution(&state, &code).await?;
    let app = state.store.application(check.code.as_str()).await?;
    let models = state.store.reader_models().await?;
    let version = app.version;
    let view = application_view(&state.policy, state.clock.today(), row.institution.kind, app, &models);
    Ok(([(ETAG, etag(version))], AppJson(view)).into_response())
}

/// Reads `If-Match`: missing → 428, unreadable → 400.
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(raw) = headers.get(IF_MATCH) else {
        return Err(ApiError::PreconditionRequired(
            "If-Match ヘッダー（読み込んだときの ETag）が必要です。申込を読み直してから変更してください"
                .into(),
        ));
    };
    let s = raw.to_str().unwrap_or("").trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    let s = s.trim_matches('"');
    s.parse::<i64>().map_err(|_| ApiError::BadRequest {
        code: "invalid_if_match",
        message: format!("If-Match は ETag の値（例: \"3\"）で指定してください（{s} でした）"),
    })
}

/// Reads `Idempotency-Key`: missing → 428, empty or longer than 200 → 400.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Err(ApiError::PreconditionRequired(
            "Idempotency-Key ヘッダーが必要です（変更ごとに新しい値、再送では同じ値）".into(),
        ));
    };
    let key = raw.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 200 {
        return Err(ApiError::BadRequest {
            code: "invalid_idempotency_key",
            message: "Idempotency-Key は1〜200文字の ASCII で指定してください".into(),
        });
    }
    Ok(key.to_string())
}

/// Body checks a rule cannot make: the model exists, a caller is named.
fn validate(body: &ChangeReaderApplication, models: &[ReaderModel]) -> Result<(), ApiError> {
    if !models.iter().any(|m| m.id == body.model_id) {
        return Err(ApiError::unprocessable(
            "unknown_model",
            format!("機種「{}」はカタログにありません。機種一覧から選んでください", body.model_id),
        ));
    }
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

/// Changes the model (and units) of an application on the caller's word.
#[utoipa::path(put, path = "/v1/institutions/{code}/reader-application", tag = "reader",
    params(
        ("code" = String, Path, description = "医療機関コード"),
        ("If-Match" = String, Header, description = "The ETag read with GET; missing → 428, stale → 412"),
        ("Idempotency-Key" = String, Header, description = "Unique per change, the same on a retry; missing → 428, empty → 400"),
    ),
    request_body = ChangeReaderApplication,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed (or the first answer again on a retry); 受付番号 in `receipt_no`", body = ChangeReceipt,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Not a code, bad JSON, bad If-Match or empty Idempotency-Key", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not change applications", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
        (status = 409, description = "A rule refuses the change; the message is the rule, for the operator to read aloud", body = crate::api::ErrorBody),
        (status = 412, description = "Changed since read: the current state is in `current`", body = crate::api::StaleBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Unknown model, empty caller name or role, zero units, or Idempotency-Key reused with another body", body = crate::api::ErrorBody),
        (status = 428, description = "If-Match or Idempotency-Key missing", body = crate::api::ErrorBody),
    ))]
pub async fn change_application(
    caller: Caller,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<ChangeReaderApplication>,
) -> Result<Response, ApiError> {
    caller.staff()?;
    let (check, row) = find_institution(&state, &code).await?;
    let expected_version = if_match(&headers)?;
    let key = idempotency_key(&headers)?;
    let models = state.store.reader_models().await?;
    validate(&body, &models)?;

    let code = check.code.as_str().to_string();
    let kind: InstitutionKind = row.institution.kind;
    let today = state.clock.today();
    let policy = state.policy.clone();
    let change = ReaderChange { model_id: body.model_id.clone(), units: body.units };
    let supervisor = caller.role == Role::Supervisor;
    let cmd = ChangeCommand {
        code: code.clone(),
        expected_version,
        idempotency_key: key,
        request_hash: request_hash(&code, &caller.name, &body)?,
        operator: caller.name.clone(),
        request: body.clone(),
        at: state.clock.now(),
        rule: Box::new(move |current: &ReaderApplication| {
            // Only a supervisor may reopen a cancelled application.
            if supervisor && current.status == ReaderStatus::Cancelled {
                reinstate(&policy, today, kind, current, &change)
            } else {
                apply_change(&policy, today, kind, current, &change)
            }
        }),
    };
    let outcome = match state.store.change_application(cmd).await {
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
        Err(e) => return Err(e.into()),
    };
    let version = outcome.after.version;
    if !outcome.replayed {
        state.update_index(|index| index.set_status(&code, outcome.after.status)).await;
        state.publish(ServerEvent::ApplicationChanged {
            code: code.clone(),
            version,
            operator: caller.name.clone(),
            receipt_no: Some(outcome.receipt_no.clone()),
        });
    }
    let receipt = ChangeReceipt {
        receipt_no: outcome.receipt_no,
        before: outcome.before,
        application: application_view(&state.policy, today, kind, outcome.after, &models),
    };
    Ok(([(ETAG, etag(version))], AppJson(receipt)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_quoted_weak_and_bare_versions() {
        let mut h = HeaderMap::new();
        assert!(matches!(if_match(&h), Err(ApiError::PreconditionRequired(_))));
        for (raw, v) in [("\"3\"", 3), ("W/\"4\"", 4), ("5", 5)] {
            h.insert(IF_MATCH, HeaderValue::from_static(raw));
            assert_eq!(if_match(&h).ok(), Some(v));
        }
        h.insert(IF_MATCH, HeaderValue::from_static("\"abc\""));
        assert!(matches!(if_match(&h), Err(ApiError::BadRequest { .. })));
    }

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
