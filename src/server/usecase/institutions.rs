//! Institutions: finding one by a code typed any way, an operator's reading correction and
//! importing a file's rows.

use super::ApiError;
use crate::api::{InstitutionDetail, ServerEvent};
use crate::domain::{CodeCheck, Institution, InstitutionCode};
use crate::server::auth::Caller;
use crate::server::state::AppState;
use crate::server::views::{application_view, institution_detail};
use crate::store::{InstitutionRow, UpsertCounts};

/// An institution found by code, with how the code checked out.
pub type Found = (CodeCheck, InstitutionRow);

/// Parses a code from a URL or body: 400 with the parser's own words if it is not a code.
pub fn parse_code(raw: &str) -> Result<CodeCheck, ApiError> {
    InstitutionCode::parse(raw)
        .map_err(|e| ApiError::BadRequest { code: "invalid_code", message: e.to_string() })
}

/// Parses a code and loads its institution: 400 if malformed, 404 if unknown.
pub async fn find(state: &AppState, raw: &str) -> Result<Found, ApiError> {
    let check = parse_code(raw)?;
    match state.store.institution(check.code.as_str()).await? {
        Some(row) => Ok((check, row)),
        None => Err(ApiError::NotFound(format!(
            "医療機関コード {} の医療機関は登録されていません。コードを確かめるか、名称で検索してください",
            check.code
        ))),
    }
}

/// The institution screen's header with its application as of the business date.
pub async fn detail(state: &AppState, found: Found) -> Result<InstitutionDetail, ApiError> {
    let (check, row) = found;
    let app = state.store.application(check.code.as_str()).await?;
    let models = state.store.reader_models().await?;
    let view = application_view(&state.policy, state.clock.today(), row.institution.kind, app, &models);
    Ok(institution_detail(&check, row.institution, view))
}

/// An operator's correction of the katakana reading: replaces an inferred one, is audited,
/// and is what lookups match from now on.
pub async fn correct_reading(
    state: &AppState,
    caller: &Caller,
    found: Found,
    name_kana: &str,
) -> Result<InstitutionDetail, ApiError> {
    let kana = name_kana.trim();
    if kana.is_empty() || kana.chars().count() > 200 {
        return Err(ApiError::unprocessable("invalid_reading", "読みを1〜200文字で入れてください"));
    }
    let code = found.0.code.as_str().to_string();
    state.store.set_reading(&code, kana, &caller.name, state.clock.now()).await?;
    let found = find(state, &code).await?;
    state.reload_institutions().await?;
    state.publish(ServerEvent::InstitutionsChanged);
    detail(state, found).await
}

/// Upserts a file's institutions by code, all or nothing, then brings the lookup index (if
/// this process has one) up to date with the rows it changed, and tells consoles.
pub async fn import(state: &AppState, rows: &[Institution]) -> Result<UpsertCounts, ApiError> {
    let counts = state.store.upsert_institutions(rows).await?;
    if !rows.is_empty() {
        state.reload_institutions().await?;
        state.publish(ServerEvent::InstitutionsChanged);
    }
    Ok(counts)
}
