//! The FAQ index. (Placeholder: substring count until the search issue.)

use crate::api::FaqEntry;

use super::normalize::fold;

/// Ranked FAQ search over question, answer, category and keywords.
pub struct FaqIndex {
    docs: Vec<String>,
}

impl FaqIndex {
    /// Builds the index; document `i` is `entries[i]`.
    pub fn build(entries: &[FaqEntry]) -> FaqIndex {
        FaqIndex {
            docs: entries
                .iter()
                .map(|e| {
                    fold(&format!("{} {} {} {}", e.question, e.answer, e.category, e.keywords.join(" ")))
                })
                .collect(),
        }
    }

    /// (document, score) pairs, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(usize, f64)> {
        let q = fold(query);
        let mut hits: Vec<(usize, f64)> = self
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| !q.is_empty() && d.contains(&q))
            .map(|(i, _)| (i, 1.0))
            .collect();
        hits.truncate(limit);
        hits
    }
}
