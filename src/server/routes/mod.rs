//! The routes of the API, one module per resource, merged in [`super::router`], plus the
//! small helpers they share (parsing a code, finding an institution, checking a limit).

pub mod admin;
pub mod audit;
pub mod calls;
pub mod faq;
pub mod institutions;
pub mod reader;
pub mod ssh_keys;

use super::error::ApiError;
use super::state::AppState;
use crate::domain::{CodeCheck, InstitutionCode};
use crate::store::InstitutionRow;

/// Parses a code from a URL or body: 400 with the parser's own words if it is not a code.
pub(crate) fn parse_code(raw: &str) -> Result<CodeCheck, ApiError> {
    InstitutionCode::parse(raw)
        .map_err(|e| ApiError::BadRequest { code: "invalid_code", message: e.to_string() })
}

/// Parses a code and loads its institution: 400 if malformed, 404 if unknown.
pub(crate) async fn find_institution(
    state: &AppState,
    raw: &str,
) -> Result<(CodeCheck, InstitutionRow), ApiError> {
    let check = parse_code(raw)?;
    match state.store.institution(check.code.as_str()).await? {
        Some(row) => Ok((check, row)),
        None => Err(ApiError::NotFound(format!(
            "医療機関コード {} の医療機関は登録されていません。コードを確かめるか、名称で検索してください",
            check.code
        ))),
    }
}

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
