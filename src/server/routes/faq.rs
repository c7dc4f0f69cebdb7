//! `/v1/faq`: ranked FAQ search (also for the chatbot's read-only `service` token) and
//! supervisors' edits.

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{limit, query};
use crate::api::{FaqEntry, FaqImport, FaqImportResult, FaqResponse, FaqSuggestions};
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

/// Adds or replaces many entries in one step (supervisors): all are checked first, then
/// written in one transaction with one audit event per changed entry; an import with any bad
/// entry writes nothing (422 naming each by position and id).
#[utoipa::path(post, path = "/v1/faq/import", tag = "faq",
    request_body = FaqImport,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "How many entries were added and replaced", body = FaqImportResult),
        (status = 400, description = "Bad JSON", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "Not a supervisor", body = crate::api::ErrorBody),
        (status = 413, description = "Body too large (32 MiB)", body = crate::api::ErrorBody),
        (status = 422, description = "No entries, or bad entries (each named); nothing was written", body = crate::api::ErrorBody),
    ))]
pub async fn import(
    Supervisor(caller): Supervisor,
    State(state): State<AppState>,
    AppJson(body): AppJson<FaqImport>,
) -> Result<AppJson<FaqImportResult>, ApiError> {
    Ok(AppJson(usecase::faq::import(&state, &caller, body.entries).await?))
}

/// Query of `GET /v1/faq/suggest`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestParams {
    /// The open institution's code (its state makes some questions likely).
    pub code: Option<String>,
    /// The call's note as typed so far (the caller's own words).
    pub note: Option<String>,
}

/// The note's length that suggestions read, at most (a call note's cap).
const NOTE_MAX_CHARS: usize = 2000;

/// The three entries a caller is most likely to ask about, from the institution's state and
/// the call's note. `confident` false means a guess: show it as weak.
#[utoipa::path(get, path = "/v1/faq/suggest", tag = "faq", params(SuggestParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "At most three entries, best first", body = FaqSuggestions),
        (status = 400, description = "Malformed code, or a note too long", body = crate::api::ErrorBody),
        (status = 401, description = "No or unknown token", body = crate::api::ErrorBody),
        (status = 403, description = "The telephony role may only post screen pops", body = crate::api::ErrorBody),
        (status = 404, description = "No institution has that code", body = crate::api::ErrorBody),
    ))]
pub async fn suggest(
    FaqReader(_caller): FaqReader,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<SuggestParams>,
) -> Result<AppJson<FaqSuggestions>, ApiError> {
    let note = p.note.unwrap_or_default();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(ApiError::BadRequest {
            code: "note_too_long",
            message: format!("メモが長すぎます（{NOTE_MAX_CHARS}文字まで）"),
        });
    }
    let code = p.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    Ok(AppJson(usecase::faq::suggest(&state, code, &note).await?))
}
