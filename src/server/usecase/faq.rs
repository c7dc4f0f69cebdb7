//! The FAQ: supervisors' edits (one entry, or a whole file in one step), stored and audited,
//! then searchable at once; and the suggestions shown to an operator during a call.

use std::collections::HashMap;

use super::ApiError;
use super::institutions;
use crate::api::{FaqEntry, FaqImportResult, FaqResponse, FaqSuggestions};
use crate::domain::faq_context::{FaqContext, context_query};
use crate::server::auth::Caller;
use crate::server::state::AppState;

/// Problems listed in one refused import's message, at most.
const IMPORT_PROBLEMS_SHOWN: usize = 20;

/// Suggestions shown during a call.
pub const SUGGESTIONS: usize = 3;

/// The best `limit` entries for `query`, and whether the first answers it confidently.
pub fn search(state: &AppState, query: String, limit: usize) -> Result<FaqResponse, ApiError> {
    let corpus = state.faq.read().map_err(|_| ApiError::Internal("faq index poisoned".into()))?;
    let started = std::time::Instant::now();
    let (results, confident) = corpus.search(&query, limit);
    state.metrics.observe_faq(started.elapsed().as_secs_f64());
    Ok(FaqResponse { query, results, confident })
}

/// `entry` with `id` as its id, if every field is within bounds and the required ones are
/// there; else 422 saying which field.
fn checked(id: &str, mut entry: FaqEntry) -> Result<FaqEntry, ApiError> {
    use super::text::{FAQ_ANSWER_MAX_CHARS, FAQ_KEYWORDS_MAX, FAQ_SHORT_MAX_CHARS, NAME_MAX_CHARS, bounded};
    bounded("id", "FAQ の id", id.trim(), NAME_MAX_CHARS)?;
    bounded("question", "質問", &entry.question, FAQ_SHORT_MAX_CHARS)?;
    bounded("answer", "回答", &entry.answer, FAQ_ANSWER_MAX_CHARS)?;
    bounded("category", "分類", &entry.category, FAQ_SHORT_MAX_CHARS)?;
    if entry.keywords.len() > FAQ_KEYWORDS_MAX {
        return Err(ApiError::unprocessable(
            "field_too_long",
            format!("キーワード（keywords）は{FAQ_KEYWORDS_MAX}個までです"),
        ));
    }
    for k in &entry.keywords {
        bounded("keywords", "キーワード", k, NAME_MAX_CHARS)?;
    }
    entry.id = id.trim().to_string();
    if entry.id.is_empty() || entry.question.trim().is_empty() || entry.answer.trim().is_empty() {
        return Err(ApiError::unprocessable("invalid_faq", "FAQ には id・質問・回答がすべて必要です"));
    }
    Ok(entry)
}

/// Adds or replaces one entry; `id` (from the URL) wins over the body's.
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    entry: FaqEntry,
) -> Result<FaqEntry, ApiError> {
    let entry = checked(id, entry)?;
    state.store.upsert_faq(std::slice::from_ref(&entry), &caller.name, state.clock.now()).await?;
    state.reload_faq().await?;
    Ok(entry)
}

/// Adds or replaces many entries in one step: every entry is checked first (422 listing each
/// bad one by position and id, nothing written), then all are written in one transaction
/// with one audit event per entry that changed, and the FAQ index is updated once.
pub async fn import(
    state: &AppState,
    caller: &Caller,
    entries: Vec<FaqEntry>,
) -> Result<FaqImportResult, ApiError> {
    if entries.is_empty() {
        return Err(ApiError::unprocessable("empty_import", "取り込む FAQ がありません（entries が空です）"));
    }
    let mut problems = Vec::new();
    let mut first_of: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut good = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let id = entry.id.trim().to_string();
        if let Some(first) = first_of.insert(id.clone(), i + 1) {
            problems.push(format!("{} 件目（id `{id}`）: {first} 件目と同じ id です", i + 1));
            continue;
        }
        match checked(&id, entry) {
            Ok(e) => good.push(e),
            Err(e) => problems.push(format!("{} 件目（id `{id}`）: {e}", i + 1)),
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(IMPORT_PROBLEMS_SHOWN);
        let more = if n > IMPORT_PROBLEMS_SHOWN {
            format!("\nほか {} 件", n - IMPORT_PROBLEMS_SHOWN)
        } else {
            String::new()
        };
        return Err(ApiError::unprocessable(
            "invalid_faq_import",
            format!(
                "{n} 件の FAQ が不正なので、何も登録していません。直してからもう一度取り込んでください:\n{}{more}",
                problems.join("\n")
            ),
        ));
    }
    let counts = state.store.upsert_faq(&good, &caller.name, state.clock.now()).await?;
    state.reload_faq().await?;
    Ok(FaqImportResult { inserted: counts.inserted, updated: counts.updated })
}

/// The entries the caller of institution `code` is most likely to ask about, from its state
/// and the call's `note` (either may be missing; with neither, nothing is suggested).
pub async fn suggest(state: &AppState, code: Option<&str>, note: &str) -> Result<FaqSuggestions, ApiError> {
    let context = match code {
        Some(raw) => {
            let detail = institutions::detail(state, raw).await?;
            let claim = state.store.subsidy_claim(detail.institution.code.as_str()).await?;
            let app = &detail.reader_application;
            context_query(&FaqContext {
                kind: detail.institution.kind,
                large_chain: detail.institution.large_chain,
                status: app.application.status,
                units: app.application.units,
                days_left: app.days_left,
                subsidy: claim.map(|c| c.status),
            })
        }
        None => String::new(),
    };
    let corpus = state.faq.read().map_err(|_| ApiError::Internal("faq index poisoned".into()))?;
    let (results, confident) = corpus.suggest(note, &context, SUGGESTIONS);
    let query = [note.trim(), context.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" / ");
    Ok(FaqSuggestions { query, results, confident })
}
