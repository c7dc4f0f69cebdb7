//! Step 1, for a query of one word that found less than a screen: a place run into the name
//! (`みたかのあかい`, `mitakanoakai`, `あかいみたか`, `三鷹のあかい`). The starts of the query
//! naming a place and its ends (the two longest of each: `つしまるの` is 津島市 まるの… or
//! 津市 まるの…), each with the rest (two kana or more) looked for there. Each part is read
//! as a key of its own, so a long vowel across the join (`narutoshi|ishii`) does not hide the
//! place. A guess: its hits rank after every exact hit of the query as typed, so it only
//! fills a screen the query as typed left short.

use crate::search::normalize::{fold, reading_key};
use crate::search::places::{self, PlaceTable};
use crate::search::romaji;

use super::InstitutionIndex;
use super::place_scope::{PlaceScope, Reading};
use super::plan::Plan;

/// Places looked for at each end of the query (the longest first).
const PER_END: usize = 2;

/// One way to split the query: the places named, the place's key, the rest.
type Split = (Vec<u32>, String, String);

impl PlaceScope {
    /// Every reading of the one-word `query` as a place run into a name.
    pub(super) fn run_in(index: &InstitutionIndex, query: &str) -> Vec<Reading> {
        let folded = fold(query);
        if folded.is_empty() || folded.chars().any(|c| c.is_ascii_digit()) {
            return Vec::new();
        }
        let splits =
            if folded.chars().all(places::is_romaji) { romaji_splits(&folded) } else { text_splits(&folded) };
        splits
            .into_iter()
            .filter_map(|(ids, key, rest)| {
                let plan = Plan::new(&rest)?;
                Some(Reading { place: PlaceScope::named_places(index, &key, &ids), plan })
            })
            .collect()
    }
}

/// Kana, kanji or both: a part all kana is read as a reading key, any other as written.
fn text_splits(folded: &str) -> Vec<Split> {
    let table = PlaceTable::shipped();
    let chars: Vec<char> = folded.chars().collect();
    let n = chars.len();
    let key_of = |part: &[char]| -> String {
        let s: String = part.iter().collect();
        if part.iter().all(|&c| is_kana(c)) { reading_key(&s) } else { s }
    };
    // A rest of one kanji says something; of one kana, too little.
    let enough = |rest: &[char]| rest.len() >= 2 || rest.iter().any(|&c| !is_kana(c));
    let longest = 2 * table.longest();
    let mut out = Vec::new();
    let mut found = 0;
    for p in (2..n).rev().filter(|&p| p <= longest) {
        let key = key_of(&chars[..p]);
        let Some(ids) = table.named_by(&key) else { continue };
        let at = if chars[p] == 'の' && n > p + 1 { p + 1 } else { p };
        if enough(&chars[at..]) {
            out.push((ids.to_vec(), key, chars[at..].iter().collect()));
            found += 1;
            if found == PER_END {
                break;
            }
        }
    }
    let mut found = 0;
    for p in (1..n.saturating_sub(1)).filter(|&p| n - p <= longest) {
        let key = key_of(&chars[p..]);
        let Some(ids) = table.named_by(&key) else { continue };
        if enough(&chars[..p]) {
            out.push((ids.to_vec(), key, chars[..p].iter().collect()));
            found += 1;
            if found == PER_END {
                break;
            }
        }
    }
    out
}

/// Romaji: the query read as kana is split, and each split found again in the letters typed
/// (the longest start spelling the place's kana, or the shortest end).
fn romaji_splits(folded: &str) -> Vec<Split> {
    let table = PlaceTable::shipped();
    let Some(read) = romaji::to_kana(folded) else { return Vec::new() };
    let kana: Vec<char> = read.kana.chars().collect();
    let n = kana.len();
    let bounds: Vec<usize> = folded.char_indices().map(|(i, _)| i).chain([folded.len()]).collect();
    // Whole syllables only (a last `n` is ん: `hannan`).
    let whole = |text: &str| {
        romaji::to_kana(text).and_then(|r| match r.rest.as_str() {
            "" => Some(r.kana),
            "n" => Some(format!("{}ん", r.kana)),
            _ => None,
        })
    };
    let longest = 2 * table.longest();
    let mut out = Vec::new();
    let mut found = 0;
    for p in (2..n).rev().filter(|&p| p <= longest) {
        let part: String = kana[..p].iter().collect();
        let key = reading_key(&part);
        let Some(ids) = table.named_by(&key) else { continue };
        let Some(i) =
            bounds.iter().rev().copied().find(|&i| i > 0 && whole(&folded[..i]).as_deref() == Some(&part))
        else {
            continue;
        };
        let mut rest = &folded[i..];
        if kana[p] == 'の' && rest.len() > 2 && rest.starts_with("no") {
            rest = &rest[2..];
        }
        if rest.len() >= 3 {
            out.push((ids.to_vec(), key, rest.to_string()));
            found += 1;
            if found == PER_END {
                break;
            }
        }
    }
    // A half-typed last syllable ends no place.
    if !read.rest.is_empty() {
        return out;
    }
    let mut found = 0;
    for p in (2..n.saturating_sub(1)).filter(|&p| n - p <= longest) {
        let part: String = kana[p..].iter().collect();
        let key = reading_key(&part);
        let Some(ids) = table.named_by(&key) else { continue };
        let split = bounds[1..bounds.len() - 1]
            .iter()
            .copied()
            .find(|&s| whole(&folded[s..]).as_deref() == Some(&part) && whole(&folded[..s]).is_some());
        if let Some(s) = split.filter(|&s| s >= 3) {
            out.push((ids.to_vec(), key, folded[..s].to_string()));
            found += 1;
            if found == PER_END {
                break;
            }
        }
    }
    out
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}
