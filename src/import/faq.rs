//! FAQ entries: the built-in set shipped in `faq/*.jsonl`, and parsing of JSONL files.

use crate::api::FaqEntry;

/// The FAQ entries shipped with the product (loaded by `madoguchi seed`).
/// (Placeholder until the FAQ content lands.)
pub fn builtin_entries() -> Vec<FaqEntry> {
    Vec::new()
}
