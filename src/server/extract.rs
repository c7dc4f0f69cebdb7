//! Extractors wrapping axum's own (`Json`, `Query`, `Path`) so that their rejections come
//! out in the one error shape, in words an operator can act on.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// `Json` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// `Path` whose rejection is an [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::unprocessable(
                "invalid_body",
                format!("リクエストの内容が正しくありません: {}", e.body_text()),
            ),
            JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest {
                code: "invalid_json",
                message: format!("JSON として読めません: {}", e.body_text()),
            },
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest {
                code: "content_type",
                message: "Content-Type: application/json で送ってください".to_string(),
            },
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            other => ApiError::bad_request(format!("リクエスト本文を読めません: {}", other.body_text())),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::BadRequest {
            code: "invalid_query",
            message: format!("検索条件が正しくありません: {}", r.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        ApiError::BadRequest {
            code: "invalid_path",
            message: format!("URLが正しくありません: {}", r.body_text()),
        }
    }
}
