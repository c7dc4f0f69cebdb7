//! Reading matches, the last exact steps: reading starts and readings (kana, or romaji read as
//! kana, its last syllable maybe half typed), then the same in their voiceless form (たかた
//! finds 高田 たかだ), each a rank weaker.

use std::collections::HashMap;
use std::sync::OnceLock;

use memchr::memmem;

use crate::search::kana_code;
use crate::search::normalize::voiceless;
use crate::search::postings::{bigram, start_gram};

use super::InstitutionIndex;
use super::column::ALT_SEP;
use super::exact::pair_groups;
use super::rank::{Best, R_NONE, Rank};

/// Which form of the reading keys a reading is looked for in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Keys {
    /// The loose readings as indexed.
    Readings,
    /// Their voiceless form (たかた for 高田 たかだ).
    Voiceless,
}

impl InstitutionIndex {
    /// The readings (or their voiceless form) starting with `stem` (then one of `next`), at
    /// rank `rank`, from the lists of reading starts and pairs.
    pub(super) fn reading_starts(
        &self,
        keys: Keys,
        stem: &str,
        next: &[char],
        rank: Rank,
        stop: Option<usize>,
        best: &mut Best,
    ) -> bool {
        let forms: fn(char) -> Vec<char> = match keys {
            Keys::Readings => |c| vec![c],
            Keys::Voiceless => voiced_forms,
        };
        let cands = self.reading_candidates(stem, next, forms, true);
        let stem = kana_code::key(stem);
        let finder = memmem::Finder::new(&stem);
        self.check_readings(keys, &stem, next, &finder, &cands, [rank, R_NONE], stop, best)
    }

    /// The reading keys of `cands` (or their voiceless form) holding `stem` followed by one of
    /// `next` (when given): the starts of the alternatives first, then anywhere.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_readings(
        &self,
        keys: Keys,
        stem: &[u8],
        next: &[char],
        finder: &memmem::Finder<'_>,
        cands: &[u32],
        ranks: [Rank; 2],
        stop: Option<usize>,
        best: &mut Best,
    ) -> bool {
        let mut buf = Vec::new();
        let fits = |key: &[u8], at: usize| next.is_empty() || next_char_in(key, at + stem.len(), next);
        self.visit_in_order(cands, stop, best, |doc, best| {
            let key = match keys {
                Keys::Readings => self.readings.key(doc),
                Keys::Voiceless => {
                    buf.clear();
                    buf.extend(self.readings.key(doc).iter().map(|&b| voiceless_byte(b)));
                    &buf[..]
                }
            };
            let mut starts = std::iter::once(0).chain(memchr::memchr_iter(ALT_SEP, key).map(|p| p + 1));
            if starts.any(|p| key[p..].starts_with(stem) && fits(key, p)) {
                best.offer(doc, ranks[0]);
            } else if ranks[1] != R_NONE && finder.find_iter(key).any(|p| fits(key, p)) {
                best.offer(doc, ranks[1]);
            }
        })
    }

    /// Documents that may hold the reading `stem` (followed by one of `next` when given),
    /// where `forms` gives the characters of the reading keys a query character stands for
    /// (itself, or every voiced form of a voiceless one).
    pub(super) fn reading_candidates(
        &self,
        stem: &str,
        next: &[char],
        forms: fn(char) -> Vec<char>,
        starts_only: bool,
    ) -> Vec<u32> {
        let chars: Vec<char> = stem.chars().collect();
        let next_forms: Vec<char> = next.iter().flat_map(|&c| forms(c)).collect();
        let mut groups: Vec<Vec<u64>> = Vec::new();
        if starts_only && let Some(&first) = chars.first() {
            groups.push(forms(first).into_iter().map(start_gram).collect());
            groups.extend(pair_groups(&chars, forms));
        } else if chars.len() < 2 {
            // Only readings that begin so (see `match_reading`).
            match chars.first() {
                Some(&c) => groups.push(forms(c).into_iter().map(start_gram).collect()),
                None => groups.push(next_forms.iter().map(|&n| start_gram(n)).collect()),
            }
        } else {
            groups = pair_groups(&chars, forms);
        }
        if let (Some(&last), false) = (chars.last(), next_forms.is_empty()) {
            groups.push(
                forms(last).into_iter().flat_map(|l| next_forms.iter().map(move |&n| bigram(l, n))).collect(),
            );
        }
        self.reading_grams.intersect(&groups)
    }

    /// Calls `f(doc, position, key)` for every occurrence of `finder` in the voiceless form of
    /// the reading keys (computed per candidate: cheaper than keeping a second column).
    pub(super) fn scan_voiceless(
        &self,
        finder: &memmem::Finder<'_>,
        cands: Option<&[u32]>,
        mut f: impl FnMut(u32, usize, &[u8]),
    ) {
        let mut buf = Vec::new();
        let mut visit = |doc: u32| {
            buf.clear();
            buf.extend(self.readings.key(doc).iter().map(|&b| voiceless_byte(b)));
            for pos in finder.find_iter(&buf) {
                f(doc, pos, &buf);
            }
        };
        match cands {
            Some(cands) => cands.iter().for_each(|&d| visit(d)),
            None => (0..self.docs.len() as u32).for_each(visit),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn match_reading(
        &self,
        keys: Keys,
        stem: &str,
        next: &[char],
        cands: Option<&[u32]>,
        ranks: [Rank; 2],
        stop: Option<usize>,
        best: &mut Best,
    ) -> bool {
        let column = &self.readings;
        let mut visit = |needle: &str, check_next: bool| {
            let needle = kana_code::key(needle);
            let finder = memmem::Finder::new(&needle);
            if let Some(cands) = cands {
                let next = if check_next { next } else { &[] };
                return self.check_readings(keys, &needle, next, &finder, cands, ranks, stop, best);
            }
            let on_hit = |doc: u32, pos: usize, key: &[u8]| {
                let end = pos + needle.len();
                if check_next && !next_char_in(key, end, next) {
                    return;
                }
                let prefix = pos == 0 || key[pos - 1] == ALT_SEP;
                best.offer(doc, if prefix { ranks[0] } else { ranks[1] });
            };
            match keys {
                Keys::Readings => column.scan(&finder, cands, on_hit),
                Keys::Voiceless => self.scan_voiceless(&finder, cands, on_hit),
            }
            false
        };
        if stem.chars().count() < 2 {
            // One kana or a lone consonant (`い`, `k`, `ir`): only readings that begin so. A
            // substring that short is everywhere and tells the operator nothing.
            let first = stem.chars().next().map(kana_code::key_byte);
            let next_bytes: Vec<u8> = next.iter().map(|&c| kana_code::key_byte(c)).collect();
            let stem = kana_code::key(stem);
            let check = |doc: u32, best: &mut Best| {
                let firsts = self.docs[doc as usize].reading_firsts;
                let maybe = |b: u8| match first {
                    Some(f) => b == f,
                    None => next_bytes.contains(&b),
                };
                // Documents with more than two readings are checked in full.
                if !maybe(firsts[0]) && !maybe(firsts[1]) && firsts[1] == 0 {
                    return;
                }
                if first.is_none() && maybe(firsts[0]) {
                    best.offer(doc, ranks[0]);
                    return;
                }
                let key = column.key(doc);
                let starts = std::iter::once(0).chain(memchr::memchr_iter(ALT_SEP, key).map(|p| p + 1));
                let hit = |p: usize| {
                    key[p..].starts_with(&stem)
                        && (next.is_empty() || next_char_in(key, p + stem.len(), next))
                };
                if starts.into_iter().any(hit) {
                    best.offer(doc, ranks[0]);
                }
            };
            match cands {
                Some(cands) => self.visit_in_order(cands, stop, best, check),
                None => {
                    (0..self.docs.len() as u32).for_each(|d| check(d, best));
                    false
                }
            }
        } else {
            visit(stem, !next.is_empty())
        }
    }
}

/// [`voiceless`] of a reading-key byte ([`kana_code`]), through a table (it runs on every
/// candidate's key); separators and non-kana bytes stay as they are.
pub(super) fn voiceless_byte(b: u8) -> u8 {
    static TABLE: OnceLock<[u8; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        std::array::from_fn(|b| {
            let b = b as u8;
            match kana_code::key_char(b) {
                '\u{FFFD}' => b,
                c => kana_code::key_byte(voiceless(c)),
            }
        })
    });
    table[usize::from(b)]
}

/// The characters whose voiceless form is `c` (`c` itself first): か → か, が.
pub(super) fn voiced_forms(c: char) -> Vec<char> {
    static TABLE: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t: HashMap<char, Vec<char>> = HashMap::new();
        for x in '\u{3041}'..='\u{309F}' {
            let v = voiceless(x);
            if v != x {
                t.entry(v).or_insert_with(|| vec![v]).push(x);
            }
        }
        t
    });
    table.get(&c).cloned().unwrap_or_else(|| vec![c])
}

/// True when the character at `at` of `key` (reading-key bytes, one per character) is one
/// of `next`.
pub(super) fn next_char_in(key: &[u8], at: usize, next: &[char]) -> bool {
    key.get(at).is_some_and(|&b| next.contains(&kana_code::key_char(b)))
}
