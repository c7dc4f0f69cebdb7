//! Extractors wrapping axum's own (`Json`, `Query`, `Path`) so that their rejections come
//! out in the one error shape, in words an operator can act on.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// `Json` whose rejection is an [`ApiError`], and that refuses a body that is not UTF-8
/// anywhere (serde_json checks only the strings it keeps: invalid bytes inside a field it
/// skips would pass).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::BadRequest {
                code: "content_type",
                message: "Content-Type: application/json で送ってください".to_string(),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::bad_request(format!("リクエスト本文を読めません: {}", r.body_text()))
            }
        })?;
        if let Err(e) = std::str::from_utf8(&bytes) {
            return Err(ApiError::BadRequest {
                code: "invalid_json",
                message: format!(
                    "JSON として読めません: {} バイト目が UTF-8 ではありません",
                    e.valid_up_to()
                ),
            });
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(AppJson(value))
    }
}

/// `application/json` or `application/…+json`, parameters (`; charset=utf-8`) aside: what
/// axum's own `Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query` whose rejection is an [`ApiError`], and that refuses a query string whose
/// percent-escapes are not UTF-8 (`q=%FF`): axum's own would read it as U+FFFD and answer
/// as if the caller had typed that.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AppQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if !query_is_utf8(parts.uri.query().unwrap_or("")) {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                message: "検索条件の文字が UTF-8 ではありません（%FF など）。UTF-8 でパーセントエンコードして送ってください"
                    .to_string(),
            });
        }
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(AppQuery(value))
    }
}

/// Whether every name and value of a query string decodes to UTF-8.
fn query_is_utf8(query: &str) -> bool {
    query
        .split('&')
        .flat_map(|pair| pair.split('='))
        .all(|part| percent_encoding::percent_decode_str(part).decode_utf8().is_ok())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_json_suffixed_types_are_json_with_or_without_parameters() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static(v));
            json_content_type(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/problem+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!json_content_type(&HeaderMap::new()));
    }

    #[test]
    fn a_query_is_utf8_only_when_every_escape_decodes() {
        assert!(query_is_utf8(""));
        assert!(query_is_utf8("q=%E3%81%95%E3%81%8F%E3%82%89&limit=5"));
        assert!(query_is_utf8("q=a+b&x"));
        assert!(query_is_utf8("q=%"), "a lone % is kept as it is, not an escape");
        assert!(!query_is_utf8("q=%FF"));
        assert!(!query_is_utf8("q=ok&%E3%81=x"), "a name counts too");
        assert!(!query_is_utf8("q=%E3%81"), "a cut-off character");
    }
}
