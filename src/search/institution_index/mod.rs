//! The in-memory institution lookup: every way an operator types what a caller says (code,
//! phone, kanji name or part of it, reading in kana or romaji, a place word to narrow) meets
//! one index of normalised keys, ranked best first.
//!
//! Layout: one [`Column`](column::Column) per key kind (folded names, loose readings, phone
//! digits), each a single byte buffer (the voiceless form of a reading is computed per
//! candidate); beside them [`Postings`] of characters and character pairs (names, readings), of
//! reading starts and of four-digit runs (phones), and the documents sorted by code
//! (`build.rs` makes them, `snapshot.rs` writes and reads them). A query reads the lists of its
//! rarest grams and checks only the documents they name against their keys
//! (`memchr::memmem`), so its cost follows the matches, not the size of the country.
//!
//! [`InstitutionIndex::search`] is a pipeline, one file per step:
//!
//! 1. `place_scope.rs`: words naming a prefecture or city (kanji, kana, romaji: the place
//!    table of `search::places`) narrow the others to it, and `run_in.rs` finds a place run
//!    into a one-word query (`みたかのあかい`); each reading's rest, and the query as typed,
//!    are read into a [`Plan`](plan::Plan) (`plan.rs`: folded, name, digits, reading).
//!    `sources.rs` runs the steps below for each reading and ranks them together.
//! 2. `exact.rs`: the exact steps, best rank first — codes (`codes.rs`) and phones, name starts
//!    and names (`names.rs`), reading starts and readings, then their voiceless forms
//!    (`readings.rs`) — stopping once no later step could change the results. When a query
//!    extends one seen just before (the operator typing on), only the previous candidates are
//!    checked again (`narrowing.rs`: a small cache keyed by the plan).
//! 3. `typo_step.rs`: when the exact steps found too little, the reading with one slip mended
//!    (`search::typo`), ranked below every exact match.
//! 4. `fuzzy.rs`: then nucleo over the documents holding every character of the query.
//! 5. `rank.rs`: the best `limit` by rank, fuzzy score and name length.
//! 6. `highlights.rs`: where each hit matched, in characters of its original fields.
//!
//! What each step may cost, and when it runs, is set in `search::tuning`.

mod build;
mod codes;
mod column;
mod exact;
mod fuzzy;
mod highlights;
mod names;
mod narrowing;
mod place_scope;
mod plan;
mod rank;
mod readings;
mod run_in;
mod snapshot;
mod sources;
mod typo_step;

#[cfg(test)]
mod place_tests;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::domain::Institution;

use super::kana_code;
use super::postings::Postings;
use build::code_bytes;
use column::Column;
use narrowing::Narrowing;
use place_scope::PlaceScope;

/// Why a document matched, best first in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The query is the whole 医療機関コード.
    ExactCode,
    /// The query is the whole registered phone number.
    ExactPhone,
    /// The query starts a code.
    CodePrefix,
    /// Part of a phone number (at least four digits), e.g. the last digits only.
    PhonePart,
    /// The query is the whole name (or the name after its corporation, 医療法人 …).
    WholeName,
    /// The query starts the name.
    NamePrefix,
    /// The query is inside the name.
    NameSubstring,
    /// The query's reading starts the name's reading.
    ReadingPrefix,
    /// The query's reading is inside the name's reading.
    ReadingSubstring,
    /// A near match: one slip of the query, or the fuzzy matcher's.
    Fuzzy,
}

impl MatchKind {
    /// The wire name (`exact_code`, `name_prefix`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::ExactCode => "exact_code",
            MatchKind::ExactPhone => "exact_phone",
            MatchKind::CodePrefix => "code_prefix",
            MatchKind::PhonePart => "phone_part",
            MatchKind::WholeName => "whole_name",
            MatchKind::NamePrefix => "name_prefix",
            MatchKind::NameSubstring => "name_substring",
            MatchKind::ReadingPrefix => "reading_prefix",
            MatchKind::ReadingSubstring => "reading_substring",
            MatchKind::Fuzzy => "fuzzy",
        }
    }
}

/// One ranked hit. `doc` is the position of the institution in the slice the index was built
/// from (or last upserted); `highlights` are (field, start, end) in characters of the original
/// field text, field one of `name`, `name_kana`, `code`, `phone`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Position of the institution in the slice the index was built from.
    pub doc: u32,
    /// Why it matched (its best match).
    pub kind: MatchKind,
    /// Ranking score: 1 for an exact code, lower for weaker matches.
    pub score: f64,
    /// (field, start, end) spans to highlight, in characters.
    pub highlights: Vec<(&'static str, usize, usize)>,
}

/// What the index keeps per document besides its keys.
struct Doc {
    code: [u8; 10],
    /// Characters in the original name: ties go to the shorter name.
    name_chars: u16,
    /// Byte offsets in the folded name where the name proper starts: after legal-entity
    /// prefixes, and after the corporation's own name (医療法人社団 慈藻会 平松記念病院).
    legal_start: u16,
    facility_start: u16,
    place: u32,
    /// First character of the first two readings as [`kana_code`] bytes (0 when none): a
    /// one-letter query checks these instead of every key.
    reading_firsts: [u8; 2],
}

/// One (prefecture, city) as imported, and its folded key.
struct Place {
    key: String,
    prefecture: String,
    city: String,
}

/// Separates the original name, reading and phone of a document in `originals`.
const FIELD_SEP: char = '\u{1F}';

/// The in-memory lookup over every institution.
pub struct InstitutionIndex {
    docs: Vec<Doc>,
    names: Column,
    readings: Column,
    phones: Column,
    /// The original name, reading and phone of every document (for highlights), one
    /// buffer for all rather than three allocations per document.
    originals: Column,
    /// Every (prefecture, city) of the documents, by place number, with its folded key (what
    /// place words are matched against); several spellings folding to one key are several places.
    places: Vec<Place>,
    /// Place numbers by [`place_id_key`].
    place_ids: HashMap<String, u32>,
    /// Characters and character pairs of the folded names.
    name_grams: Postings,
    /// Characters, character pairs and first characters of every reading alternative.
    reading_grams: Postings,
    /// Every run of four digits of the phone numbers.
    phone_grams: Postings,
    /// The documents of each place (by place number): a place word reads its places' lists
    /// rather than every document.
    place_docs: Postings,
    /// Documents sorted by code, and by the code's last seven digits (code prefixes, and the
    /// seven-digit form operators read off a card, are ranges here).
    by_code: Vec<u32>,
    by_tail: Vec<u32>,
    /// The name length of each entry of `by_code` and `by_tail`: a long code range (`0`) is
    /// ranked from these, read in order, instead of from every document it names.
    code_chars: Vec<u16>,
    tail_chars: Vec<u16>,
    /// Documents below this number were built in name-length order (see [`index_order_key`]):
    /// within one rank, the first `limit` met in document order are the best, so a step of
    /// a fresh query can stop there.
    ordered: u32,
    /// Documents below `ordered` whose name changed since (ascending): always checked.
    disordered: Vec<u32>,
    recent: Mutex<VecDeque<Narrowing>>,
}

/// Memory held by the index, by part, in bytes (approximate: capacities, not allocator
/// overhead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMemory {
    /// The folded names, reading keys and phone digits.
    pub keys: usize,
    /// The posting lists (names, readings, phones, places).
    pub postings: usize,
    /// Per-document data: codes, lookups by code and phone tail, places.
    pub docs: usize,
    /// The original names, readings and phones (for display and highlights).
    pub originals: usize,
    /// All of the above.
    pub total: usize,
}

/// The order institutions are best given to [`InstitutionIndex::build`] in: by name length,
/// then code. Ties in a rank go to the shorter name, so with documents numbered so, the first
/// matches met in document order are the best and a fresh query can stop early (see
/// `InstitutionIndex::ordered`); any other order gives the same answers, only slower.
pub fn index_order_key(inst: &Institution) -> (u16, [u8; 10]) {
    (inst.name.chars().count().min(u16::MAX as usize) as u16, code_bytes(inst))
}

impl InstitutionIndex {
    /// Ranked hits for `query`, best first, at most `limit`.
    ///
    /// Words that name a prefecture or city, in kanji, kana or romaji (`三鷹 あかい`,
    /// `mitaka akai`, `みたかのあかい`), narrow the others to institutions there, ranked beside
    /// the query as typed; when that leaves nothing the place words are ignored.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        if limit == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let Some(readings) = PlaceScope::read(self, query) else {
            return Vec::new();
        };
        let sources = if readings.placed.is_empty() {
            self.search_as_typed(query, readings.literal, limit)
        } else {
            self.search_placed(readings, limit)
        };
        self.merge(sources, limit)
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when no institution is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// What the index holds in memory.
    pub fn memory(&self) -> IndexMemory {
        let keys = self.names.bytes() + self.readings.bytes() + self.phones.bytes();
        let postings = self.name_grams.bytes()
            + self.reading_grams.bytes()
            + self.phone_grams.bytes()
            + self.place_docs.bytes();
        let docs = self.docs.capacity() * std::mem::size_of::<Doc>()
            + (self.by_code.capacity() + self.by_tail.capacity()) * 4
            + (self.code_chars.capacity() + self.tail_chars.capacity()) * 2
            + self
                .places
                .iter()
                .map(|p| p.key.capacity() + 2 * (p.prefecture.capacity() + p.city.capacity()) + 96)
                .sum::<usize>();
        let originals = self.originals.bytes();
        IndexMemory { keys, postings, docs, originals, total: keys + postings + docs + originals }
    }

    /// The (prefecture, city) of a document as imported.
    pub fn place(&self, doc: u32) -> Option<(&str, &str)> {
        let place = self.places.get(self.docs.get(doc as usize)?.place as usize)?;
        Some((&place.prefecture, &place.city))
    }

    /// The document holding `code`, if any.
    fn doc_of(&self, code: &[u8; 10]) -> Option<u32> {
        let i = self.by_code.partition_point(|&d| self.docs[d as usize].code < *code);
        self.by_code.get(i).copied().filter(|&d| self.docs[d as usize].code == *code)
    }

    /// The document holding the institution with `code`, if any.
    pub fn doc_of_code(&self, code: &str) -> Option<u32> {
        let code: [u8; 10] = code.as_bytes().try_into().ok()?;
        self.doc_of(&code)
    }

    /// The code of a document as indexed.
    pub fn code(&self, doc: u32) -> Option<&str> {
        self.docs.get(doc as usize).and_then(|d| std::str::from_utf8(&d.code).ok())
    }

    /// The original name, reading (still in the kana code: see [`Self::name_kana`]) and phone
    /// of a document (empty when absent).
    fn original_parts(&self, doc: u32) -> (&str, &[u8], &str) {
        let mut parts = self.originals.key(doc).splitn(3, |&b| b == FIELD_SEP as u8);
        let name = std::str::from_utf8(parts.next().unwrap_or(b"")).unwrap_or("");
        let kana = parts.next().unwrap_or(b"");
        let phone = std::str::from_utf8(parts.next().unwrap_or(b"")).unwrap_or("");
        (name, kana, phone)
    }

    /// The original institution's name as indexed.
    pub fn name(&self, doc: u32) -> Option<&str> {
        ((doc as usize) < self.docs.len()).then(|| self.original_parts(doc).0)
    }

    /// The original reading of a document as indexed (None when it has none).
    pub fn name_kana(&self, doc: u32) -> Option<String> {
        ((doc as usize) < self.docs.len())
            .then(|| self.original_parts(doc).1)
            .filter(|k| !k.is_empty())
            .map(kana_code::text)
    }

    /// The original phone of a document as indexed ("" when it has none).
    fn phone(&self, doc: u32) -> &str {
        self.original_parts(doc).2
    }
}
