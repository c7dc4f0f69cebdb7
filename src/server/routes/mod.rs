//! The routes of the API, one module per resource, merged in [`super::router`], plus the
//! small helpers they share (checking a limit and a query). Handlers parse the request, call
//! the workflow in `usecase/` and render its answer.

pub mod admin;
pub mod audit;
pub mod callbacks;
pub mod calls;
pub mod campaigns;
pub mod faq;
pub mod floor;
pub mod institutions;
pub mod operators;
pub mod reader;
pub mod reports;
pub mod screen_pops;
pub mod ssh_keys;

use super::error::ApiError;

/// A `limit` parameter within `1..=max` (default `default`), else 400.
pub(crate) fn limit(raw: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let n = raw.unwrap_or(default);
    if n == 0 || n > max {
        return Err(ApiError::BadRequest {
            code: "invalid_limit",
            message: format!("limit は 1 から {max} の間で指定してください（{n} でした）"),
        });
    }
    Ok(n)
}

/// A non-empty search query of reasonable length, else 400.
pub(crate) fn query(raw: Option<String>) -> Result<String, ApiError> {
    let q = raw.unwrap_or_default();
    let trimmed = q.trim();
    if trimmed.is_empty() {
        return Err(ApiError::BadRequest {
            code: "empty_query",
            message: "検索語が空です。名称・読み・コード・電話番号のどれかを入れてください".to_string(),
        });
    }
    if trimmed.chars().count() > 200 {
        return Err(ApiError::BadRequest {
            code: "query_too_long",
            message: "検索語が長すぎます（200文字まで）".to_string(),
        });
    }
    Ok(trimmed.to_string())
}
