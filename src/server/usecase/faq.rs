//! The FAQ: searching it, and edits (supervisors): stored and audited, then searchable at once.

use super::ApiError;
use crate::api::{FaqEntry, FaqResponse};
use crate::server::auth::Caller;
use crate::server::state::AppState;

/// The best `limit` entries for `query`, and whether the first answers it confidently.
pub fn search(state: &AppState, query: String, limit: usize) -> Result<FaqResponse, ApiError> {
    let corpus = state.faq.read().map_err(|_| ApiError::Internal("faq index poisoned".into()))?;
    let (results, confident) = corpus.search(&query, limit);
    Ok(FaqResponse { query, results, confident })
}

/// Adds or replaces one entry; `id` (from the URL) wins over the body's.
pub async fn edit(
    state: &AppState,
    caller: &Caller,
    id: &str,
    mut entry: FaqEntry,
) -> Result<FaqEntry, ApiError> {
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
    state.store.upsert_faq(std::slice::from_ref(&entry), &caller.name, state.clock.now()).await?;
    state.reload_faq().await?;
    Ok(entry)
}
