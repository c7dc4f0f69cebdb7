//! 顔認証付きカードリーダー申込 over HTTP: the model catalog, reading an application with its
//! ETag, and changing it under `If-Match` and `Idempotency-Key`.

use crate::api::{ChangeReaderApplication, ChangeReceipt, ReaderApplicationView};
use crate::domain::ReaderModel;
use crate::server::auth::Staff;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath};
use crate::server::state::AppState;
use crate::server::usecase::applications::{self, ChangeRequest};
use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The reader model catalog.
#[utoipa::path(get, path = "/v1/reader-models", tag = "reader",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every model, each with an `id`", body = Vec<ReaderModel>),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read the catalog", body = crate::api::ErrorBody),
    ))]
pub async fn models(
    Staff(_caller): Staff,
    State(state): State<AppState>,
) -> Result<AppJson<Vec<ReaderModel>>, ApiError> {
    Ok(AppJson(applications::models(&state).await?))
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
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
) -> Result<Response, ApiError> {
    let view = applications::read(&state, &code).await?;
    Ok(([(ETAG, etag(view.application.version))], AppJson(view)).into_response())
}

/// Reads `If-Match`: missing or `*` → 428. A tag that is not one of ours (not a version number, or
/// not readable) cannot match the current one, so it is a stale tag (412), as HTTP says. So is a
/// weak tag (`W/"3"`): If-Match compares strongly, and a weak tag never matches (RFC 9110 13.1.1).
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let Some(raw) = headers.get(IF_MATCH) else {
        return Err(ApiError::PreconditionRequired(
            "If-Match ヘッダー（読み込んだときの ETag）が必要です。申込を読み直してから変更してください"
                .into(),
        ));
    };
    let s = raw.to_str().unwrap_or("").trim();
    if s == "*" {
        // "any version" is no precondition for a change made on what the operator read.
        return Err(ApiError::PreconditionRequired(
            "If-Match: * では変更できません。申込を読み込んだときの ETag を指定してください".into(),
        ));
    }
    if s.starts_with("W/") {
        return Ok(NO_VERSION);
    }
    let s = s.trim_matches('"');
    Ok(s.parse::<i64>().ok().filter(|v| *v >= 0).unwrap_or(NO_VERSION))
}

/// The version an unreadable `If-Match` stands for: below every real version (0 and up).
const NO_VERSION: i64 = -1;

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

/// Changes the model (and units) of an application on the caller's word.
#[utoipa::path(put, path = "/v1/institutions/{code}/reader-application", tag = "reader",
    params(
        ("code" = String, Path, description = "医療機関コード"),
        ("If-Match" = String, Header, description = "The ETag read with GET; missing or * → 428, stale or not ours → 412"),
        ("Idempotency-Key" = String, Header, description = "Unique per change, the same on a retry; missing → 428, empty → 400"),
    ),
    request_body = ChangeReaderApplication,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed (or the first answer again on a retry); 受付番号 in `receipt_no`", body = ChangeReceipt,
            headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Not a code, bad JSON or empty Idempotency-Key", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not change applications, or call_id is another operator's call", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
        (status = 409, description = "A rule refuses the change; the message is the rule, for the operator to read aloud", body = crate::api::ErrorBody),
        (status = 412, description = "Changed since read, or an If-Match that is not a tag of ours: the current state is in `current`", body = crate::api::StaleBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Unknown model or call_id, empty or too long (over 100 characters) caller name or role, zero units, Idempotency-Key reused with another body, or JSON of the wrong shape", body = crate::api::ErrorBody),
        (status = 428, description = "If-Match or Idempotency-Key missing", body = crate::api::ErrorBody),
    ))]
pub async fn change_application(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
    headers: HeaderMap,
    body: Result<AppJson<ChangeReaderApplication>, ApiError>,
) -> Result<Response, ApiError> {
    // The institution, then the preconditions, then the body: a client that sent neither
    // If-Match nor a valid body learns first that it must read the application (428).
    let req = (|| {
        let expected_version = if_match(&headers)?;
        let idempotency_key = idempotency_key(&headers)?;
        let AppJson(body) = body?;
        Ok(ChangeRequest { expected_version, idempotency_key, body })
    })();
    let receipt = applications::change_at(&state, &caller, &code, req).await?;
    Ok(([(ETAG, etag(receipt.application.application.version))], AppJson(receipt)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_quoted_and_bare_versions_and_no_other_tag_matches() {
        let mut h = HeaderMap::new();
        assert!(matches!(if_match(&h), Err(ApiError::PreconditionRequired(_))));
        for (raw, v) in [("\"3\"", 3), ("5", 5)] {
            h.insert(IF_MATCH, HeaderValue::from_static(raw));
            assert_eq!(if_match(&h).ok(), Some(v));
        }
        // Not a tag of ours: it cannot match the current one (412 later), whatever it is.
        // A weak tag never matches for If-Match (r26), even one naming the current version.
        for raw in ["\"abc\"", "\"-2\"", "W/\"x\"", "W/\"4\""] {
            h.insert(IF_MATCH, HeaderValue::from_static(raw));
            assert_eq!(if_match(&h).ok(), Some(NO_VERSION), "{raw}");
        }
        h.insert(IF_MATCH, HeaderValue::from_static("*"));
        assert!(matches!(if_match(&h), Err(ApiError::PreconditionRequired(_))));
    }
}
