//! Slips of the keyboard and the ear: readings found although the query holds one slip (a
//! letter or kana dropped, two adjacent ones swapped, a wrong vowel or kana).
//!
//! Everything is read from posting lists the index already has (no memory of its own), and
//! the work is bounded. Two steps, the second only for a short query the first did not mend:
//!
//! - **Near the break**, any length (`iryouhoujnshadan...byouin`): the longest prefix of the
//!   query that still starts some reading is found (the readings starting with its first kana
//!   that make a short posting list are read once, and the longest start they share with the
//!   query is the break); the slip is at or a few letters before where that prefix breaks
//!   (when it lies among those first, common kana, the windows go back to the start). Only a small window there is mended (a letter put back, a swap undone, a
//!   vowel changed, a letter taken out), the unchanged prefix and tail name the candidates
//!   through their grams, and each candidate is checked for starting with the whole mended
//!   query. The work follows the window, not the query's length. Romaji `n` that Hepburn
//!   leaves open (shinichi しにち / しんいち, sannomiya さんのみや where the IME reads
//!   さんおみや) is read whichever way lets the prefix run on, and both ways in the tail.
//! - **Anywhere**, short queries ([`MAX_QUERY_ROMAJI`], [`MAX_QUERY`] for kana): romaji (`tnabe`, `tanbe`, `tanebe`): every
//!   spelling one letter edit away that reads as romaji is read as kana, and each distinct
//!   reading (at most [`MAX_STEMS`], the most selective first, within [`MAX_READ`] posting
//!   entries) is looked for as a reading start. Kana (`たべ`, `たべな`): for each place the
//!   slip may be, the documents holding the query's start and every kana pair away from that
//!   place are read, and each is checked for starting with the query one edit away.
//!
//! A slip is mended in the letters typed, then read as a key: a romaji slip of one letter can
//! be two kana (`tanbe` → たんべ for たなべ), and a kana swap can meet a long vowel the key
//! collapses (こうほくょびういん). At most [`MAX_CHECKED`] candidate documents are checked
//! per step. The index ranks these hits below every exact match and runs this step only when
//! the exact steps found too little.
//!
//! `near_break.rs` holds the first algorithm, `anywhere.rs` the second; their limits are in
//! `search::tuning::typo`.

mod anywhere;
mod near_break;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;

use super::kana_code;
use super::normalize::{lengthens, reading_key, voiceless};
use super::postings::{Postings, bigram, start_gram};
use crate::search::tuning::typo::{
    MAX_CHECKED, MAX_LETTERS, MAX_LIST, MAX_QUERY, MAX_QUERY_ROMAJI, MAX_READ, MAX_STEMS, MIN_KANA,
};
use anywhere::{kana_anywhere, kana_put_back, romaji_anywhere};
use near_break::Script;

/// Documents whose reading (one of its alternatives, separated by `sep` in `key(doc)`, in
/// [`kana_code`]'s reading-key bytes) starts with the query mended by one slip, ascending; at most [`MAX_CHECKED`] checked per way.
pub fn matches<'k>(folded: &str, grams: &Postings, key: &dyn Fn(u32) -> &'k [u8], sep: u8) -> Vec<u32> {
    matches_with(folded, grams, key, sep, true)
}

/// [`matches`]; with `put_back` false, a kana query's dropped kana is looked for at every
/// place only when the window found nothing (a query that starts some reading as typed: the
/// operator's start is likelier right, and that pass reads the most lists).
pub fn matches_with<'k>(
    folded: &str,
    grams: &Postings,
    key: &dyn Fn(u32) -> &'k [u8],
    sep: u8,
    put_back: bool,
) -> Vec<u32> {
    let readings = Readings { grams, key, sep, known: Default::default() };
    let letters: Vec<char> = folded.chars().collect();
    if letters.len() > MAX_LETTERS {
        return Vec::new();
    }
    let mut out = if letters.iter().all(|&c| is_kana(c)) {
        if reading_key(folded).chars().count() < MIN_KANA {
            return Vec::new();
        }
        match readings.near_break(Script::Kana, &letters) {
            // The window mends a kana dropped only in romaji (putting every kana back costs
            // too much there): a short query's dropped kana is looked for at every place too,
            // so a wrong or extra kana found near the break does not hide it — unless one of
            // those already makes a whole reading (the name as typed, one slip mended).
            mut found if !found.is_empty() => {
                if put_back && letters.len() <= MAX_QUERY && !readings.any_whole(folded, &found) {
                    found.extend(kana_put_back(&readings, folded));
                }
                found
            }
            _ if letters.len() <= MAX_QUERY => kana_anywhere(&readings, folded),
            _ => Vec::new(),
        }
    } else if letters.iter().all(|&c| c.is_ascii_lowercase() || c == '-' || c == '\'') {
        match readings.near_break(Script::Romaji, &letters) {
            found if !found.is_empty() => found,
            _ if letters.len() <= MAX_QUERY_ROMAJI => romaji_anywhere(&readings, folded),
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// How likely a reading alternative (`key`, reading-key characters) is what a kana `query`
/// meant, when `key` starts with the query mended by one kana (0 when it does not). A name
/// said aloud loses a kana far more often than it gains one: a kana put back is likeliest;
/// then one taken out, two swapped, or one changed within its row or voicing; a kana changed
/// for an unrelated one least. At each, a mend that makes the whole reading (the operator typed
/// the whole name as heard) is likelier than one that makes only its start. So a caller's
/// dropped kana (`ふくまがんか` for ふくしまがんか) ranks above a reading that differs in one
/// unrelated kana (ふくだがんか) or that only starts so.
pub fn closeness(query: &[char], key: &[char]) -> u32 {
    let n = query.len();
    let i = query.iter().zip(key).take_while(|(a, b)| a == b).count();
    // 1 + 2 × how likely the mend (0 unrelated, 1 likely, 2 a kana put back) + 1 when whole.
    let score = |likely: u32, whole: bool| 1 + 2 * likely + u32::from(whole);
    let mut best = 0;
    let mut offer = |s: u32| best = best.max(s);
    if i == n {
        offer(score(3, key.len() == n));
        return best;
    }
    if put_back_at(query, key, i) {
        offer(score(2, key.len() == n + 1 || (key.len() == n && lengthens(key[i], query[i]))));
    }
    // One taken out (the query has one too many).
    if key[i..].starts_with(&query[i + 1..]) {
        offer(score(1, key.len() + 1 == n));
    }
    // One changed; the vowel the query's kana lengthened (dropped from its key) may be heard
    // again after the right one (`あきいくりにっく` for あかいくりにっく).
    if i < key.len() {
        let (a, b) = (query[i], key[i]);
        let related = u32::from(voiceless(a) == voiceless(b) || near_break::row_mates(a).any(|m| m == b));
        if key[i + 1..].starts_with(&query[i + 1..]) {
            offer(score(related, key.len() == n));
        }
        if key.get(i + 1).is_some_and(|&v| lengthens(a, v)) && key[i + 2..].starts_with(&query[i + 1..]) {
            offer(score(related, key.len() == n + 1));
        }
    }
    // Two swapped.
    if i + 1 < n
        && i + 1 < key.len()
        && query[i] == key[i + 1]
        && query[i + 1] == key[i]
        && key[i + 2..].starts_with(&query[i + 2..])
    {
        offer(score(1, key.len() == n));
    }
    best
}

/// True when a score of [`closeness`] is of a mend making the whole reading.
pub fn is_whole(score: u32) -> bool {
    score > 0 && score.is_multiple_of(2)
}

/// True when `key` starts with `query` (reading keys, equal up to `i`) with one kana put back
/// at `i`: in the key, that kana and the rest; or, when the query's kana at `i` only
/// lengthens the one put back (`にしもいいん` for にしもりいいん: the key of the query holds
/// the い the key of the name drops after り), that kana in its place.
pub(crate) fn put_back_at(query: &[char], key: &[char], i: usize) -> bool {
    i < query.len()
        && i < key.len()
        && (key[i + 1..].starts_with(&query[i..])
            || (lengthens(key[i], query[i]) && key[i + 1..].starts_with(&query[i + 1..])))
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
const VOWELS: &str = "aiueo";

/// Everything the windowed step reads: the posting lists and each document's reading key.
struct Readings<'a, 'k> {
    grams: &'a Postings,
    key: &'a dyn Fn(u32) -> &'k [u8],
    sep: u8,
    /// [`Readings::prefix_docs`] read so far, by prefix.
    known: RefCell<HashMap<String, Vec<u32>>>,
}

impl Readings<'_, '_> {
    /// True when one of `docs` has a reading that the kana query `folded`, one slip mended
    /// not by a kana unrelated to the one typed, makes whole.
    fn any_whole(&self, folded: &str, docs: &[u32]) -> bool {
        let query: Vec<char> = reading_key(folded).chars().collect();
        let mut alt: Vec<char> = Vec::new();
        docs.iter().any(|&d| {
            alternatives((self.key)(d), self.sep).any(|a| {
                alt.clear();
                alt.extend(kana_code::key_chars(a));
                let score = closeness(&query, &alt);
                is_whole(score) && score >= 4
            })
        })
    }

    /// The documents whose reading starts with one of `stems` (reading keys), the most
    /// selective first, within [`MAX_STEMS`] stems, [`MAX_READ`] entries read and
    /// [`MAX_CHECKED`] documents checked.
    fn look_for(&self, stems: Vec<String>) -> Vec<u32> {
        let mut out = Vec::new();
        // The most selective readings first: the budget then cuts the costly ones.
        let mut stems: Vec<(usize, String, Vec<Vec<u64>>)> = stems
            .into_iter()
            .filter_map(|stem| {
                let chars: Vec<char> = stem.chars().collect();
                let groups = start_groups(&chars, None)?;
                let size = rarest(self.grams, &groups);
                (size > 0 && size <= MAX_LIST).then_some((size, stem, groups))
            })
            .collect();
        stems.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let (mut checked, mut read) = (0usize, 0usize);
        for (size, stem, groups) in stems.iter().take(MAX_STEMS) {
            read += size;
            if checked >= MAX_CHECKED || read > MAX_READ {
                break;
            }
            let needle = kana_code::key(stem);
            for doc in self.grams.intersect(groups) {
                if checked >= MAX_CHECKED {
                    break;
                }
                checked += 1;
                if alternatives((self.key)(doc), self.sep).any(|alt| alt.starts_with(&needle)) {
                    out.push(doc);
                }
            }
        }
        out
    }
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}

fn alternatives(key: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    key.split(move |&b| b == sep)
}

/// Length of the shortest list among `groups` (a group is a union of grams).
fn rarest(grams: &Postings, groups: &[Vec<u64>]) -> usize {
    groups.iter().map(|g| g.iter().map(|&x| grams.count(x)).sum::<usize>()).min().unwrap_or(usize::MAX)
}

/// The groups for "a reading starting with `chars`": its first kana as a start, and every pair,
/// leaving out `skip` = (d, width): the `width` pairs from the one ending at `d` on (the ones a
/// slip at `d` may have broken; the start too when `d` is 0). `None` when that leaves less
/// than two groups (too little to read few lists).
fn start_groups(chars: &[char], skip: Option<(usize, usize)>) -> Option<Vec<Vec<u64>>> {
    let mut groups = Vec::new();
    let first = *chars.first()?;
    if skip.is_none_or(|(d, _)| d > 0) {
        groups.push(vec![start_gram(first)]);
    }
    for j in 0..chars.len().saturating_sub(1) {
        // Pair j is chars[j], chars[j + 1]; the one ending at d is j = d - 1.
        if let Some((d, width)) = skip
            && j + 1 >= d
            && j + 1 < d + width
        {
            continue;
        }
        groups.push(vec![bigram(chars[j], chars[j + 1])]);
    }
    groups.sort();
    groups.dedup();
    (groups.len() >= 2).then_some(groups)
}
