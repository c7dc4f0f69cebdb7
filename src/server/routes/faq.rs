//! `/v1/faq`: ranked FAQ search (also for the chatbot's read-only `service` token) and
//! supervisors' edits.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{limit, query};
use crate::api::{FaqEntry, FaqResponse};
use crate::server::auth::{FaqReader, Supervisor};
use crate::server::error::ApiError;
use crate::server::extract::{AppJson, AppPath, AppQuery};
use crate::server::state::AppState;
use crate::server::usecase;

/// Query of `GET /v1/faq`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FaqParams {
    /// The caller's question, as typed.
    pub q: Option<String>,
    /// 1..=50, default 10.
    pub limit: Option<u32>,
}

/// Ranked FAQ entries with scores. Any role, including `service`.
#[utoipa::path(get, path = "/v1/faq", tag = "faq", params(FaqParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ranked entries, best first", body = FaqResponse),
        (status = 400, description = "Empty or too long query, limit out of range", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "The telephony role may only post screen pops", body = crate::api::ErrorBody),
    ))]
pub async fn search(
    FaqReader(_caller): FaqReader,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<FaqParams>,
) -> Result<AppJson<FaqResponse>, ApiError> {
    let q = query(p.q)?;
    let n = limit(p.limit, 10, 50)?;
    Ok(AppJson(usecase::faq::search(&state, q, n as usize)?))
}

/// Adds or replaces one entry (supervisors); the id in the path wins over the body's.
#[utoipa::path(put, path = "/v1/faq/{id}", tag = "faq",
    params(("id" = String, Path, description = "FAQ entry id")),
    request_body = FaqEntry,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored entry", body = FaqEntry),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::ErrorBody),
        (status = 422, description = "Empty question or answer, a field too long, or JSON of the wrong shape", body = crate::api::ErrorBody),
    ))]
pub async fn put(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
    AppJson(entry): AppJson<FaqEntry>,
) -> Result<AppJson<FaqEntry>, ApiError> {
    Ok(AppJson(usecase::faq::edit(&state, &caller, &id, entry).await?))
}
