//! The second way, for short queries: the slip looked for at every place. Romaji: every
//! spelling one letter edit away that reads as romaji, read as kana, each distinct reading
//! looked for as a reading start. Kana: for each place the slip may be, the documents holding
//! the query's start and every kana pair away from that place, each checked for starting with
//! the query one edit away.

use std::collections::HashSet;

use crate::search::kana_code;
use crate::search::normalize::{fold, reading_key};
use crate::search::romaji;
use crate::search::tuning::typo::{MAX_CHECKED, MAX_LIST, MIN_KANA};

use super::{LETTERS, Readings, VOWELS, alternatives, rarest, start_groups};

/// The kana step for a short query: every place of the slip (see the module doc).
pub(super) fn kana_anywhere(r: &Readings<'_, '_>, folded: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let stem: Vec<char> = reading_key(folded).chars().collect();
    let mut cands: Vec<u32> = Vec::new();
    let mut tried: HashSet<Vec<Vec<u64>>> = HashSet::new();
    // The pairs a slip at `d` breaks: one for a kana dropped before it, two for a wrong or
    // extra one, three for a swap with the next.
    for d in 0..stem.len() {
        for width in 1..=3 {
            let Some(groups) = start_groups(&stem, Some((d, width))) else { continue };
            if tried.insert(groups.clone()) && rarest(r.grams, &groups) <= MAX_LIST {
                cands.extend(r.grams.intersect(&groups));
            }
        }
    }
    cands.sort_unstable();
    cands.dedup();
    let mut buf: Vec<char> = Vec::new();
    for doc in cands.into_iter().take(MAX_CHECKED) {
        if any_reading(r, doc, &mut buf, |key| starts_within_one(&stem, key)) {
            out.push(doc);
        }
    }
    out
}

/// True when one of `doc`'s reading alternatives, as reading-key characters (decoded into
/// `buf`, reused across calls), passes `check`.
fn any_reading(r: &Readings<'_, '_>, doc: u32, buf: &mut Vec<char>, check: impl Fn(&[char]) -> bool) -> bool {
    alternatives((r.key)(doc), r.sep).any(|alt| {
        buf.clear();
        buf.extend(kana_code::key_chars(alt));
        check(buf)
    })
}

/// The readings starting with the kana query with one kana put back (the caller's kana the
/// operator did not hear), at every place: for each place, the documents holding the query's
/// start and every kana pair but the one the dropped kana split. A third of
/// [`kana_anywhere`]'s lists, for the commonest slip of a name said aloud.
pub(super) fn kana_put_back(r: &Readings<'_, '_>, folded: &str) -> Vec<u32> {
    let stem: Vec<char> = reading_key(folded).chars().collect();
    let mut places: Vec<(usize, Vec<Vec<u64>>)> = Vec::new();
    let mut tried: HashSet<Vec<Vec<u64>>> = HashSet::new();
    // A kana put back at the end only extends the query: the exact steps found those.
    // A kana put back before `d` splits one pair; one that a vowel at `d` lengthens takes its
    // place in the key (にしもりいん: the query's key holds that い), two.
    for d in 0..stem.len() {
        let widths: &[usize] = if "あいうえお".contains(stem[d]) { &[1, 2] } else { &[1] };
        for &width in widths {
            let Some(groups) = start_groups(&stem, Some((d, width))) else { continue };
            let size = rarest(r.grams, &groups);
            if size <= MAX_LIST && tried.insert(groups.clone()) {
                places.push((size, groups));
            }
        }
    }
    // The most selective places first: the budget then cuts the places of common kana, not
    // the documents numbered last (the longest names).
    places.sort_by_key(|p| p.0);
    let mut checked: HashSet<u32> = HashSet::new();
    let mut out = Vec::new();
    let mut buf: Vec<char> = Vec::new();
    for (_, groups) in &places {
        for doc in r.grams.intersect(groups) {
            if checked.len() >= MAX_CHECKED {
                return out;
            }
            if !checked.insert(doc) {
                continue;
            }
            if any_reading(r, doc, &mut buf, |key| starts_put_back(&stem, key)) {
                out.push(doc);
            }
        }
    }
    out
}

/// True when `key` starts with `query` with one kana put back inside it (see
/// [`super::put_back_at`]).
fn starts_put_back(query: &[char], key: &[char]) -> bool {
    let i = query.iter().zip(key).take_while(|(a, b)| a == b).count();
    super::put_back_at(query, key, i)
}

/// The romaji step for a short query: every spelling one edit away (see the module doc).
pub(super) fn romaji_anywhere(r: &Readings<'_, '_>, folded: &str) -> Vec<u32> {
    let exact = romaji::to_kana(folded).map(|r| reading_key(&r.kana));
    r.look_for(romaji_stems(folded, exact.as_deref()))
}

/// True when some prefix of `key` is `query` with one edit undone (a character dropped from
/// the query, one too many, one wrong, or two adjacent ones swapped), or `query` itself.
pub fn starts_within_one(query: &[char], key: &[char]) -> bool {
    let n = query.len();
    let i = query.iter().zip(key).take_while(|(a, b)| a == b).count();
    if i == n {
        return true;
    }
    let prefix = |q: &[char], k: &[char]| k.len() >= q.len() && k[..q.len()] == *q;
    // One dropped from the query: the key has an extra character at i.
    (i < key.len() && prefix(&query[i..], &key[i + 1..]))
        // One too many in the query.
        || prefix(&query[i + 1..], &key[i..])
        // One wrong.
        || (i < key.len() && prefix(&query[i + 1..], &key[i + 1..]))
        // Two swapped.
        || (i + 1 < n && i + 1 < key.len() && query[i] == key[i + 1] && query[i + 1] == key[i]
            && prefix(&query[i + 2..], &key[i + 2..]))
}

/// The reading keys of the spellings one letter edit from `folded` that read as romaji, most
/// likely slips first (a letter put back, a swap undone, a vowel changed, a letter too many),
/// without `exact` (already looked for), shorter than [`MIN_KANA`], or repeats.
pub fn romaji_stems(folded: &str, exact: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let letters: Vec<char> = folded.chars().collect();
    for letters in &romaji_bases(&letters) {
        mend(letters, exact, &mut seen, &mut out);
    }
    out
}

/// The spellings a romaji query may stand for: as typed, and (Hepburn without the apostrophe)
/// with `n` before a vowel or `y` read as ん too (shinichi しんいち) when it holds one.
pub fn romaji_bases(letters: &[char]) -> Vec<Vec<char>> {
    let mut bases = vec![letters.to_vec()];
    let ambiguous = |i: usize| {
        letters[i] == 'n'
            && (i == 0 || letters[i - 1] != 'n')
            && letters.get(i + 1).is_some_and(|&c| VOWELS.contains(c) || c == 'y')
    };
    if (0..letters.len()).any(ambiguous) {
        let mut doubled = Vec::with_capacity(letters.len() + 4);
        for (i, &c) in letters.iter().enumerate() {
            doubled.push(c);
            if i > 0 && ambiguous(i) {
                doubled.push('n');
            }
        }
        if doubled.len() > letters.len() {
            bases.push(doubled);
        }
    }
    bases
}

/// [`romaji_stems`] of one spelling: itself, then one edit away.
fn mend(letters: &[char], exact: Option<&str>, seen: &mut HashSet<String>, out: &mut Vec<String>) {
    let n = letters.len();
    let mut spelling = String::with_capacity(n + 1);
    let mut push = |spelling: &str, out: &mut Vec<String>| {
        let Some(r) = romaji::to_kana(spelling) else { return };
        let stem = reading_key(&fold(&r.kana));
        if stem.chars().count() < MIN_KANA || Some(stem.as_str()) == exact || !seen.insert(stem.clone()) {
            return;
        }
        out.push(stem);
    };
    spelling.extend(letters);
    push(&spelling, out);
    // A letter put back (the query dropped one).
    for i in 0..=n {
        for c in LETTERS.chars() {
            spelling.clear();
            spelling.extend(&letters[..i]);
            spelling.push(c);
            spelling.extend(&letters[i..]);
            push(&spelling, out);
        }
    }
    // Two adjacent letters swapped back.
    for i in 0..n.saturating_sub(1) {
        if letters[i] == letters[i + 1] {
            continue;
        }
        spelling.clear();
        spelling.extend(&letters[..i]);
        spelling.push(letters[i + 1]);
        spelling.push(letters[i]);
        spelling.extend(&letters[i + 2..]);
        push(&spelling, out);
    }
    // A wrong vowel.
    for i in 0..n {
        if !VOWELS.contains(letters[i]) {
            continue;
        }
        for v in VOWELS.chars().filter(|&v| v != letters[i]) {
            spelling.clear();
            spelling.extend(&letters[..i]);
            spelling.push(v);
            spelling.extend(&letters[i + 1..]);
            push(&spelling, out);
        }
    }
    // A letter too many.
    for i in 0..n {
        spelling.clear();
        spelling.extend(&letters[..i]);
        spelling.extend(&letters[i + 1..]);
        push(&spelling, out);
    }
}
