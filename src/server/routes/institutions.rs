//! `/v1/institutions`: lookup, the institution screen's header, reading corrections and the
//! subsidy view.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{limit, query};
use crate::api::{InstitutionDetail, LookupResponse, SetReading, SubsidyView};
use crate::server::auth::Staff;
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase::institutions;

/// Query of `GET /v1/institutions`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupParams {
    /// Name, reading (kana or romaji), code or phone number, as typed.
    pub q: Option<String>,
    /// 1..=200, default 20.
    pub limit: Option<u32>,
}

/// Ranked lookup over every institution.
#[utoipa::path(get, path = "/v1/institutions", tag = "institutions", params(LookupParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ranked results, best first", body = LookupResponse),
        (status = 400, description = "Empty or too long query, limit out of range", body = crate::api::ErrorBody),
        (status = 503, description = "The lookup index is still loading (just after start)", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not look up institutions", body = crate::api::ErrorBody),
    ))]
pub async fn lookup(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<LookupParams>,
) -> Result<AppJson<LookupResponse>, ApiError> {
    let q = query(p.q)?;
    let n = limit(p.limit, 20, 200)?;
    Ok(AppJson(institutions::lookup(&state, q, n as usize).await?))
}

/// One institution with its reader application as of the business date.
#[utoipa::path(get, path = "/v1/institutions/{code}", tag = "institutions",
    params(("code" = String, Path, description = "医療機関コード (10 digits; full-width and hyphens accepted)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The institution; `check_digit_warning` set when the check digit is off", body = InstitutionDetail),
        (status = 400, description = "Not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read institutions", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
    ))]
pub async fn detail(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
) -> Result<AppJson<InstitutionDetail>, ApiError> {
    Ok(AppJson(institutions::detail(&state, &code).await?))
}

/// An operator's correction of the katakana reading (replaces an inferred one).
#[utoipa::path(put, path = "/v1/institutions/{code}/reading", tag = "institutions",
    params(("code" = String, Path, description = "医療機関コード")),
    request_body = SetReading,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The institution with the new reading", body = InstitutionDetail),
        (status = 400, description = "Not an institution code, or bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not correct readings", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Empty reading, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn set_reading(
    Staff(caller): Staff,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
    AppJson(body): AppJson<SetReading>,
) -> Result<AppJson<InstitutionDetail>, ApiError> {
    Ok(AppJson(institutions::correct_reading_at(&state, &caller, &code, &body.name_kana).await?))
}

/// The institution's subsidy claim, if any, and what the calculator says applies to it.
#[utoipa::path(get, path = "/v1/institutions/{code}/subsidy", tag = "institutions",
    params(("code" = String, Path, description = "医療機関コード")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Claim and calculator answer", body = SubsidyView),
        (status = 400, description = "Not an institution code", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Role may not read subsidies", body = crate::api::ErrorBody),
        (status = 404, description = "No institution with this code", body = crate::api::ErrorBody),
    ))]
pub async fn subsidy(
    Staff(_caller): Staff,
    State(state): State<AppState>,
    AppPath(code): AppPath<String>,
) -> Result<AppJson<SubsidyView>, ApiError> {
    Ok(AppJson(institutions::subsidy(&state, &code).await?))
}
