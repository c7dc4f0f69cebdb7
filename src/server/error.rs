//! `ApiError`: every way a request can fail, turned into a status and the one JSON error
//! shape in one place. Messages are in Japanese, fit to show an operator; internal failures
//! are logged with tracing and never sent.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::{ErrorBody, ErrorDetail, ReaderApplicationView, StaleBody};
use crate::domain::RuleError;
use crate::store::StoreError;
use crate::store::outage::Outage;

/// What `Retry-After` says while the database is away: a restart takes seconds.
const RETRY_AFTER_SECONDS: &str = "2";

/// Why a request failed, one variant per status the API documents.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request itself is malformed (bad code, bad query, bad JSON).
    #[error("{message}")]
    BadRequest {
        /// Stable code for programs (`bad_request`, ...).
        code: &'static str,
        /// What is wrong, for the operator.
        message: String,
    },
    /// 401: no token, or a token nobody issued.
    #[error("認証が必要です")]
    Unauthorized,
    /// 403: the token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such institution, call, route...
    #[error("{0}")]
    NotFound(String),
    /// 409: a domain rule refused the change; the message is the rule's own words.
    #[error("{0}")]
    Refused(String),
    /// 409: the change collides with what exists (an operator name in use).
    #[error("{0}")]
    Conflict(String),
    /// 412: `If-Match` is stale; the body carries the current state.
    #[error("{message}")]
    Stale {
        /// What happened, for the operator.
        message: String,
        /// The application as it stands now.
        current: Box<ReaderApplicationView>,
    },
    /// 413: the body is larger than the limit.
    #[error("リクエストが大きすぎます")]
    TooLarge,
    /// 422: well-formed but unacceptable (unknown model, empty caller name, reused key).
    #[error("{message}")]
    Unprocessable {
        /// Stable code for programs (`invalid_reading`, `invalid_faq`, ...).
        code: &'static str,
        /// What is wrong, for the operator.
        message: String,
    },
    /// 428: a required precondition header is missing.
    #[error("{0}")]
    PreconditionRequired(String),
    /// 503: the server is up but not ready for this yet (the lookup index is still loading).
    #[error("{0}")]
    Unavailable(String),
    /// 503: the server is draining before it stops (a rolling restart): `/readyz` says so, so
    /// the load balancer sends work elsewhere.
    #[error("このサーバーは停止の準備中です（ローリング再起動）。別のサーバーを使ってください")]
    Draining,
    /// 503 with `Retry-After`: the database is away (down, restarting, its disk full); the
    /// same request succeeds once it is back, and nothing of this one was done.
    #[error("{}", .0.message())]
    DatabaseAway(Outage),
    /// 500: something broke inside; the detail is logged, not sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// 400 with the code `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest { code: "bad_request", message: message.into() }
    }

    /// 422 with `code`.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Unprocessable { code, message: message.into() }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Refused(_) | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Unavailable(_) | ApiError::Draining | ApiError::DatabaseAway(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the error shape.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } | ApiError::Unprocessable { code, .. } => code,
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Refused(_) => "rule_refused",
            ApiError::Conflict(_) => "conflict",
            ApiError::Stale { .. } => "stale",
            ApiError::TooLarge => "payload_too_large",
            ApiError::PreconditionRequired(_) => "precondition_required",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Draining => "draining",
            ApiError::DatabaseAway(Outage::DiskFull) => "database_full",
            ApiError::DatabaseAway(_) => "database_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// The one error body for a status with no richer error: used for axum's own rejections
/// and for the responses of tower layers (timeout, panic, 405) rewritten by middleware.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody { error: ErrorDetail { code: code.to_string(), message: message.to_string() } };
    (status, Json(body)).into_response()
}

/// The operator-facing message for a bare status (no handler error to say more).
pub fn message_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "そのURLはありません"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "このURLではその操作はできません"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "リクエストが大きすぎます"),
        StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "サーバーの処理が時間内に終わりませんでした。しばらくしてからやり直してください")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "Content-Type: application/json で送ってください")
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            ("unavailable", "サーバーが混み合っています。しばらくしてからやり直してください")
        }
        s if s.is_server_error() => (
            "internal",
            "サーバー内部でエラーが起きました。時間をおいてやり直し、続くなら管理者に連絡してください",
        ),
        _ => ("error", "リクエストを処理できませんでした"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        match self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                let (code, message) = message_for_status(status);
                error_response(status, code, message)
            }
            ApiError::DatabaseAway(outage) => {
                tracing::warn!(?outage, "database away: answered 503");
                let mut r = error_response(status, code, outage.message());
                r.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
                r
            }
            ApiError::Stale { message, current } => {
                let body =
                    StaleBody { error: ErrorDetail { code: code.to_string(), message }, current: *current };
                (status, Json(body)).into_response()
            }
            other => error_response(status, code, &other.to_string()),
        }
    }
}

impl From<RuleError> for ApiError {
    fn from(rule: RuleError) -> ApiError {
        ApiError::Refused(rule.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("見つかりません: {what}")),
            StoreError::Rule(rule) => ApiError::Refused(rule.to_string()),
            StoreError::Conflict(msg) => ApiError::Conflict(msg),
            StoreError::IdempotencyMismatch => ApiError::unprocessable(
                "idempotency_key_reused",
                "この Idempotency-Key は別の内容の変更に使われています。新しいキーでやり直してください",
            ),
            StoreError::Invalid(msg) => ApiError::unprocessable("invalid", msg),
            // The caller that can answer a 412 with the current state maps this itself.
            StoreError::StaleVersion { expected, current, .. } => {
                ApiError::Internal(format!("unmapped stale version (expected {expected}, current {current})"))
            }
            StoreError::Internal(e) | StoreError::Unusable(e) => ApiError::Internal(e),
            StoreError::Database(e) => match crate::store::outage::outage_of(&e) {
                Some(outage) => ApiError::DatabaseAway(outage),
                None => ApiError::Internal(e.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_store_failures_are_500_and_bad_requests_422() {
        // An index build that failed (a task's JoinError) is the server's fault, not the request's.
        let e = ApiError::from(StoreError::internal("building the lookup index failed: task panicked"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let e = ApiError::from(StoreError::Invalid("unknown reader model".into()));
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn a_database_away_is_503_with_retry_after() {
        let r = ApiError::from(StoreError::Database(sqlx::Error::PoolTimedOut)).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()), Some(RETRY_AFTER_SECONDS));
    }
}
