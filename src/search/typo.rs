//! Slips of the keyboard and the ear: readings found although the query holds one slip (a
//! letter or kana dropped, two adjacent ones swapped, a wrong vowel or kana).
//!
//! Two ways, one per script, both reading only posting lists the index already has (no memory
//! of its own) and both bounded in work:
//!
//! - **Romaji** (`tnabe`, `tanbe`, `tanebe`): every spelling one letter edit away from the
//!   query (a letter put back, two swapped back, a vowel changed) that reads as romaji is read
//!   as kana; each distinct reading (at most [`MAX_STEMS`], the most selective first, within [`MAX_READ`]
//!   posting entries) is looked for as the start of a
//!   reading, exactly as an exact query would be. A slip in romaji is one letter, but it can
//!   turn into two kana (`tanbe` → たんべ for たなべ), so mending the letters is surer than
//!   comparing kana.
//! - **Kana** (`たべ`, `たべな`, `たねべ`): for each place the slip may be, the documents holding
//!   the query's start and every kana pair away from that place are read from the posting
//!   lists (a place whose rarest list is too long is skipped), and each candidate's reading
//!   alternatives are checked for starting with the query one edit away (drop, insertion,
//!   substitution, adjacent swap): a linear check, not a full edit-distance table.
//!
//! At most [`MAX_CHECKED`] candidate documents are checked per query. The index ranks these
//! hits below every exact match and runs this step only when the exact steps found too little.

use std::collections::HashSet;

use super::normalize::{fold, reading_key};
use super::postings::{Postings, bigram, start_gram};
use super::romaji;

/// Queries shorter than this (in kana of the reading key) are not mended: too many readings
/// are one slip away from two kana.
pub const MIN_KANA: usize = 3;
/// Longer queries (in characters) are not mended: nobody types a reading that long, and the
/// work grows with the length.
pub const MAX_QUERY: usize = 40;
/// At most this many distinct mended readings of a romaji query are looked for (the most
/// selective first: most mended spellings are read by no institution, and cost little).
pub const MAX_STEMS: usize = 160;
/// At most this many posting entries are read for the mended readings of a romaji query
/// (their rarest lists, summed).
pub const MAX_READ: usize = 30_000;
/// At most this many candidate documents are checked per query.
pub const MAX_CHECKED: usize = 6_000;
/// A place of the slip whose rarest posting list is longer than this is not looked at.
pub const MAX_LIST: usize = 6_000;

/// Documents whose reading (one of its alternatives, separated by `sep` in `key(doc)`) starts
/// with the query mended by one slip, ascending; at most [`MAX_CHECKED`] checked.
pub fn matches<'k>(folded: &str, grams: &Postings, key: &dyn Fn(u32) -> &'k [u8], sep: u8) -> Vec<u32> {
    let mut out = Vec::new();
    if folded.chars().count() > MAX_QUERY {
        return out;
    }
    if folded.chars().all(is_kana) {
        let stem: Vec<char> = reading_key(folded).chars().collect();
        if stem.len() < MIN_KANA {
            return out;
        }
        let mut cands: Vec<u32> = Vec::new();
        let mut tried: HashSet<Vec<Vec<u64>>> = HashSet::new();
        // The pairs a slip at `d` breaks: one for a kana dropped before it, two for a wrong or
        // extra one, three for a swap with the next.
        for d in 0..stem.len() {
            for width in 1..=3 {
                let Some(groups) = start_groups(&stem, Some((d, width))) else { continue };
                if tried.insert(groups.clone()) && rarest(grams, &groups) <= MAX_LIST {
                    cands.extend(grams.intersect(&groups));
                }
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let mut buf: Vec<char> = Vec::new();
        for doc in cands.into_iter().take(MAX_CHECKED) {
            let ok = alternatives(key(doc), sep).any(|alt| {
                buf.clear();
                buf.extend(String::from_utf8_lossy(alt).chars());
                starts_within_one(&stem, &buf)
            });
            if ok {
                out.push(doc);
            }
        }
    } else if folded.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '\'') {
        let exact = romaji::to_kana(folded).map(|r| reading_key(&r.kana));
        // The most selective readings first: the budget then cuts the costly ones.
        let mut stems: Vec<(usize, String, Vec<Vec<u64>>)> = romaji_stems(folded, exact.as_deref())
            .into_iter()
            .filter_map(|stem| {
                let chars: Vec<char> = stem.chars().collect();
                let groups = start_groups(&chars, None)?;
                let size = rarest(grams, &groups);
                (size > 0 && size <= MAX_LIST).then_some((size, stem, groups))
            })
            .collect();
        stems.sort_by_key(|s| s.0);
        let (mut checked, mut read) = (0usize, 0usize);
        for (size, stem, groups) in stems.iter().take(MAX_STEMS) {
            read += size;
            if checked >= MAX_CHECKED || read > MAX_READ {
                break;
            }
            let needle = stem.as_bytes();
            for doc in grams.intersect(groups) {
                if checked >= MAX_CHECKED {
                    break;
                }
                checked += 1;
                if alternatives(key(doc), sep).any(|alt| alt.starts_with(needle)) {
                    out.push(doc);
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
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

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
const VOWELS: &str = "aiueo";

/// The reading keys of the spellings one letter edit from `folded` that read as romaji, most
/// likely slips first (a letter put back, a swap undone, a vowel changed, a letter too many),
/// without `exact` (already looked for), shorter than [`MIN_KANA`], or repeats.
pub fn romaji_stems(folded: &str, exact: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let letters: Vec<char> = folded.chars().collect();
    // Hepburn without the apostrophe: `n` before a vowel or `y` read as ん too (shinichi
    // しんいち), as a second spelling to mend.
    let mut bases = vec![letters.clone()];
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
    for letters in &bases {
        mend(letters, exact, &mut seen, &mut out);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_from_a_prefix() {
        let key = chars("たなべいん");
        assert!(starts_within_one(&chars("たなべ"), &key));
        assert!(starts_within_one(&chars("たべい"), &key), "drop");
        assert!(starts_within_one(&chars("なたべ"), &key), "swap");
        assert!(starts_within_one(&chars("たねべ"), &key), "wrong kana");
        assert!(starts_within_one(&chars("たななべ"), &key), "one too many");
        assert!(!starts_within_one(&chars("たねび"), &key), "two edits");
        assert!(!starts_within_one(&chars("やまだ"), &key));
        assert!(starts_within_one(&chars("たなべいんx"), &key), "last one extra");
    }

    #[test]
    fn romaji_slips_are_mended() {
        for slip in ["tnabe", "tanbe", "tnaabe", "tanebe", "taanabe"] {
            let stems = romaji_stems(slip, None);
            assert!(stems.contains(&"たなべ".to_string()), "{slip}: {stems:?}");
        }
        assert!(romaji_stems("ab", None).is_empty());
        // The query as typed is not a mended reading.
        assert!(!romaji_stems("tanabe", Some("たなべ")).contains(&"たなべ".to_string()));
        // Hepburn without the apostrophe, alone and with a slip.
        assert!(romaji_stems("shinichi", Some("しにち")).contains(&"しんいち".to_string()));
        assert!(romaji_stems("shinicih", Some("しにち")).contains(&"しんいち".to_string()));
    }

    #[test]
    fn finds_through_postings_within_bounds() {
        let keys = ["たなべいん", "やまだびよいん", "たなかいん\u{1}いりようほうじん"];
        let mut grams = Postings::default();
        for (doc, k) in keys.iter().enumerate() {
            for alt in k.split('\u{1}') {
                let cs: Vec<char> = alt.chars().collect();
                if let Some(&c) = cs.first() {
                    grams.add(start_gram(c), doc as u32);
                }
                for w in cs.windows(2) {
                    grams.add(bigram(w[0], w[1]), doc as u32);
                }
            }
        }
        grams.freeze();
        let key = |d: u32| keys[d as usize].as_bytes();
        assert_eq!(matches("たなべいn", &grams, &key, 1), Vec::<u32>::new(), "not all kana, not romaji");
        assert_eq!(matches("たべいん", &grams, &key, 1), vec![0]);
        assert_eq!(matches("やまびよいん", &grams, &key, 1), vec![1]);
        assert_eq!(matches("tnabeiin", &grams, &key, 1), vec![0]);
        assert_eq!(matches("yamdabyouin", &grams, &key, 1), vec![1]);
        assert!(matches("", &grams, &key, 1).is_empty());
        assert!(matches("病院", &grams, &key, 1).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(q in "\\PC{0,24}") {
            let grams = {
                let mut g = Postings::default();
                g.freeze();
                g
            };
            let key = |_d: u32| b"".as_slice();
            let _ = matches(&fold(&q), &grams, &key, 1);
            let _ = romaji_stems(&fold(&q), None);
        }
    }
}
