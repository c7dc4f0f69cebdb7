//! Finding things the way operators type them. Pure code, no I/O.
//!
//! - `normalize`: one pipeline for keys and queries (NFKC, kana, width, case, variants).
//! - `institution_index`: the in-memory institution lookup (codes, phones, names, readings,
//!   romaji, fuzzy), ranked.
//! - `faq_tokens`: the script-preserving normaliser, synonyms and tokens the FAQ index uses.
//! - `faq_index`: BM25 over dictionary-free Japanese tokens for the FAQ.

pub mod faq_index;
pub mod faq_tokens;
pub mod institution_index;
pub mod normalize;
pub mod reading;

pub use faq_index::FaqIndex;
pub use institution_index::{InstitutionIndex, MatchKind, SearchHit};
