//! Suggestions during a call: the FAQ entries a caller is most likely to ask about, from two
//! rankings of the same FAQ index fused by reciprocal rank — the call's note as the operator
//! types it (the caller's own words, so it leads), and the question words the institution's
//! state makes likely (`domain::faq_context`).
//!
//! Reciprocal rank fusion uses ranks, not BM25 scores, so a long context query cannot drown a
//! two-word note; and a note the FAQ answers confidently keeps its first entry first (the
//! caller said what they want), the state filling the other places. The suggestions are confident only when the note's own ranking is confident
//! and its first entry is the first suggestion: a guess from the state alone is always weak.

use std::collections::HashMap;

use super::faq_index::{FaqIndex, FaqRanking};

/// How deep each ranking is read before fusing.
const DEPTH: usize = 10;
/// The RRF constant: how flat the rank weights are (60 in the literature; a FAQ has fewer
/// good candidates, so the head counts more).
const RRF_K: f64 = 10.0;
/// Weight of the state's ranking against the note's (1): the state guesses, the note says.
/// Chosen on the tuning half of `benches/relevance/faq_notes.tsv`: the largest weight that
/// loses no tuning note (0.5 lost one, 1.0 two).
pub const CONTEXT_WEIGHT: f64 = 0.3;

/// The best `limit` entries for a call with this `note` (may be empty) and this state's
/// `context` words (may be empty).
pub fn suggest(index: &FaqIndex, note: &str, context: &str, limit: usize) -> FaqRanking {
    suggest_with(index, note, context, limit, CONTEXT_WEIGHT)
}

/// As [`suggest`], with the context's weight given (the relevance bench tries several).
pub fn suggest_with(
    index: &FaqIndex,
    note: &str,
    context: &str,
    limit: usize,
    context_weight: f64,
) -> FaqRanking {
    let by_note = if note.trim().is_empty() { None } else { Some(index.rank(note, DEPTH)) };
    let by_context = if context.trim().is_empty() { None } else { Some(index.rank(context, DEPTH)) };
    let mut fused: HashMap<usize, f64> = HashMap::new();
    for (ranking, weight) in [(&by_note, 1.0), (&by_context, context_weight)] {
        if let Some(r) = ranking {
            for (rank, &(doc, _)) in r.hits.iter().enumerate() {
                *fused.entry(doc).or_insert(0.0) += weight / (RRF_K + rank as f64 + 1.0);
            }
        }
    }
    // A note the FAQ answers confidently leads as it is; the state only fills the places after.
    let lead = by_note.as_ref().filter(|n| n.confident).and_then(|n| n.hits.first()).map(|h| h.0);
    let mut hits: Vec<(usize, f64)> = fused.into_iter().collect();
    hits.sort_by(|a, b| {
        (Some(b.0) == lead).cmp(&(Some(a.0) == lead)).then(b.1.total_cmp(&a.1)).then(a.0.cmp(&b.0))
    });
    hits.truncate(limit);
    let (coverage, margin, confident) = match &by_note {
        Some(n) => {
            let leads = n.hits.first().map(|h| h.0) == hits.first().map(|h| h.0);
            (n.coverage, n.margin, n.confident && leads)
        }
        None => (0.0, 0.0, false),
    };
    FaqRanking { hits, coverage, margin, confident }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::FaqEntry;

    fn entry(id: &str, q: &str, a: &str) -> FaqEntry {
        FaqEntry {
            id: id.into(),
            question: q.into(),
            answer: a.into(),
            category: String::new(),
            keywords: vec![],
        }
    }

    fn index() -> FaqIndex {
        FaqIndex::build(&[
            entry("deadline", "機種未定はいつまでに機種を選べばよいですか", "2021年8月1日までです。"),
            entry("login", "ポータルサイトにログインできません", "アカウントを確認してください。"),
            entry("hospital", "病院は何台まで無償ですか", "3台までです。"),
        ])
    }

    #[test]
    fn the_note_leads_and_the_state_fills_in() {
        let index = index();
        let s = suggest(&index, "ログインできない", "機種未定 いつまで", 3);
        assert_eq!(s.hits.first().map(|h| h.0), Some(1));
        assert!(s.hits.iter().any(|h| h.0 == 0), "the state's guess is still offered");
        let guess = suggest(&index, "", "機種未定 いつまで", 3);
        assert_eq!(guess.hits.first().map(|h| h.0), Some(0));
        assert!(!guess.confident, "a guess from the state alone is weak");
        assert!(suggest(&index, "", "", 3).hits.is_empty());
    }
}
