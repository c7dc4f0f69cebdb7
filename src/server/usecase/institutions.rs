//! Institutions: the lookup, finding one by a code typed any way, its detail and subsidy
//! view, an operator's reading correction and importing a file's rows.

use super::ApiError;
use crate::api::{InstitutionDetail, InstitutionSummary, LookupResponse, SubsidyView};
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

/// Parses an optional code filter (`?code=`) into the code's ten digits: 400 if malformed.
pub fn parse_code_filter(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|raw| Ok(parse_code(raw)?.code.as_str().to_string())).transpose()
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

/// Ranked lookup over every institution (no SQL: the in-memory index); 503 while the index
/// is still being built just after start.
pub async fn lookup(state: &AppState, query: String, limit: usize) -> Result<LookupResponse, ApiError> {
    let results = search_index(state, &query, limit).await?;
    Ok(LookupResponse { query, results })
}

/// The best `limit` institutions for `query` from the lookup index, once it is ready.
pub(super) async fn search_index(
    state: &AppState,
    query: &str,
    limit: usize,
) -> Result<Vec<InstitutionSummary>, ApiError> {
    state.wait_for_index().await.map_err(ApiError::Unavailable)?;
    let index = state.lookup.read().map_err(|_| ApiError::Internal("lookup index poisoned".into()))?;
    let started = std::time::Instant::now();
    let results = index.search(query, limit);
    state.metrics.observe_lookup(started.elapsed().as_secs_f64());
    Ok(results)
}

/// The institution screen's header for a code typed any way: 400 if malformed, 404 if unknown.
pub async fn detail(state: &AppState, raw_code: &str) -> Result<InstitutionDetail, ApiError> {
    detail_of(state, find(state, raw_code).await?).await
}

/// The institution's subsidy claim, if any, and what the calculator says applies to it.
pub async fn subsidy(state: &AppState, raw_code: &str) -> Result<SubsidyView, ApiError> {
    let (check, row) = find(state, raw_code).await?;
    let claim = state.store.subsidy_claim(check.code.as_str()).await?;
    let app = state.store.application(check.code.as_str()).await?;
    let inst = &row.institution;
    let units = claim.as_ref().map(|c| c.units).unwrap_or(app.units).max(1);
    Ok(crate::server::subsidy::subsidy_view(&state.policy, inst.kind, inst.large_chain, units, claim))
}

/// The institution screen's header with its application as of the business date.
async fn detail_of(state: &AppState, found: Found) -> Result<InstitutionDetail, ApiError> {
    let (check, row) = found;
    let app = state.store.application(check.code.as_str()).await?;
    let models = state.store.reader_models().await?;
    let view = application_view(&state.policy, state.clock.today(), row.institution.kind, app, &models);
    let mut detail = institution_detail(&check, row.institution, view);
    detail.do_not_call = state.store.do_not_call(check.code.as_str()).await?;
    Ok(detail)
}

/// [`correct_reading`] of the institution with a code typed any way (400, 404 first).
pub async fn correct_reading_at(
    state: &AppState,
    caller: &Caller,
    raw_code: &str,
    name_kana: &str,
) -> Result<InstitutionDetail, ApiError> {
    correct_reading(state, caller, find(state, raw_code).await?, name_kana).await
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
    detail_of(state, found).await
}

/// Upserts a file's institutions by code, all or nothing, then brings the lookup index (if
/// this process has one) up to date with the rows it changed (consoles hear of it from the
/// store's change feed).
pub async fn import(state: &AppState, rows: &[Institution]) -> Result<UpsertCounts, ApiError> {
    let counts = state.store.upsert_institutions(rows).await?;
    if !rows.is_empty() {
        state.reload_institutions().await?;
    }
    Ok(counts)
}
