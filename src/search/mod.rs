//! Finding things the way operators type them. Pure code, no I/O.
//!
//! - `normalize`: one pipeline for keys and queries (NFKC, kana, width, case, variants).
//! - `variants`: the variant kanji table (嶋/島, 髙/高 ...) with its sources.
//! - `romaji`: romaji typed with the IME off, read as kana.
//! - `places`: every prefecture, city, ward, town and village under each way it is typed
//!   (kanji, kana, romaji, with or without 市/区/町…): what makes a query word a place word.
//! - `reading`: readings inferred for names imported without one.
//! - `typo`: readings found through one slip (a letter dropped, swapped or a wrong vowel).
//! - `institution_index`: the in-memory institution lookup (codes, phones, names, readings,
//!   romaji, fuzzy), ranked.
//! - `lookup`: the lookup index the server answers from: the institution index with each
//!   institution's kind and reader status, and its snapshot payload.
//! - `tuning`: the lookup's tuning constants, each with what it trades.
//! - `kana_code`: one byte per kana for the readings that index keeps.
//! - `snapshot_codec`: the byte format of the lookup index snapshot file (header, checksum).
//! - `rules`: the fingerprint of this build's keying rules, so a snapshot keyed by another
//!   build is rebuilt, not served.
//! - `faq_tokens`: the script-preserving normaliser, synonyms and tokens the FAQ index uses.
//! - `faq_readings`, `faq_answer_types`, `faq_concepts`: reading terms (hiragana meets kanji),
//!   question-word → answer-type terms and concept terms (synonyms meet) for the FAQ index.
//! - `faq_index`: BM25F over those terms for the FAQ, with the confidence of the top answer.
//! - `faq_match`: why an FAQ entry matched (words to show and highlight).

pub(crate) mod faq_answer_types;
pub mod faq_concepts;
pub(crate) mod faq_index;
pub(crate) mod faq_match;
pub mod faq_readings;
pub(crate) mod faq_suggest;
pub(crate) mod faq_tokens;
pub(crate) mod institution_index;
pub(crate) mod kana_code;
pub(crate) mod lookup;
pub mod normalize;
pub(crate) mod places;
pub(crate) mod postings;
pub(crate) mod reading;
pub(crate) mod romaji;
pub mod rules;
pub(crate) mod snapshot_codec;
pub(crate) mod tuning;
pub mod typo;
pub(crate) mod variants;

pub use faq_index::{FaqCorpus, FaqIndex};
pub use institution_index::{IndexMemory, InstitutionIndex, MatchKind, SearchHit, index_order_key};
pub use lookup::LookupIndex;
