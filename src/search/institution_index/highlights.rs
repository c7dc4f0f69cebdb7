//! Step 6 of a search: where a hit matched, in characters of its original fields.

use crate::search::normalize::{fold_mapped, reading_key_mapped, voiceless, voiceless_key};

use super::InstitutionIndex;
use super::plan::Plan;
use super::rank::{
    R_CODE_PREFIX, R_EXACT_CODE, R_EXACT_PHONE, R_NAME_PREFIX, R_NAME_SUB, R_PHONE_PART, R_READING_PREFIX,
    R_READING_SUB, R_WEAK_PREFIX, R_WEAK_SUB, R_WHOLE_NAME, Rank,
};

impl InstitutionIndex {
    /// Where the query matched, in characters of the original fields.
    pub(super) fn highlights(&self, doc: u32, rank: Rank, plan: &Plan) -> Vec<(&'static str, usize, usize)> {
        let d = &self.docs[doc as usize];
        let mut out = Vec::new();
        match rank {
            R_EXACT_CODE | R_CODE_PREFIX => {
                if let Some(q) = &plan.digits {
                    let code = std::str::from_utf8(&d.code).unwrap_or("");
                    let start = if code.starts_with(q.as_str()) { 0 } else { 3 };
                    out.push(("code", start, (start + q.len()).min(10)));
                }
            }
            R_EXACT_PHONE | R_PHONE_PART => {
                let phone = self.phone(doc);
                if let (Some(q), false) = (&plan.digits, phone.is_empty()) {
                    let (folded, map) = fold_mapped(phone);
                    let digit_pos: Vec<usize> = folded
                        .chars()
                        .enumerate()
                        .filter(|(_, c)| c.is_ascii_digit())
                        .map(|(i, _)| i)
                        .collect();
                    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
                    if let Some(p) = digits.find(q.as_str()) {
                        let first = map[digit_pos[p]].0 as usize;
                        let last = map[digit_pos[p + q.len() - 1]].1 as usize;
                        out.push(("phone", first, last));
                    }
                }
            }
            R_WHOLE_NAME | R_NAME_PREFIX | R_NAME_SUB => {
                let needle = if plan.name.is_empty() { &plan.folded } else { &plan.name };
                if let Some(span) = span_in(self.name(doc).unwrap_or(""), needle, false, &[]) {
                    out.push(("name", span.0, span.1));
                }
            }
            R_READING_PREFIX | R_READING_SUB | R_WEAK_PREFIX | R_WEAK_SUB => {
                let kana = self.name_kana(doc).unwrap_or_default();
                if let (Some(r), false) = (&plan.reading, kana.is_empty()) {
                    let weak = rank >= R_WEAK_PREFIX;
                    if let Some(span) = span_in(&kana, &r.stem, weak, &r.next) {
                        out.push(("name_kana", span.0, span.1));
                    }
                }
            }
            _ => {}
        }
        out
    }
}

/// The span (in characters of `original`) where `needle` (a folded name key, or a reading key
/// when `next` or `reading` says so) occurs in `original`'s key.
fn span_in(original: &str, needle: &str, weak: bool, next: &[char]) -> Option<(usize, usize)> {
    let (folded, fold_map) = fold_mapped(original);
    let reading = weak || !next.is_empty() || !folded.contains(needle);
    let (key, key_map): (String, Vec<u32>) = if reading {
        let (k, m) = reading_key_mapped(&folded);
        if weak { (voiceless_key(&k), m) } else { (k, m) }
    } else {
        (folded.clone(), (0..folded.chars().count() as u32).collect())
    };
    let needle = if weak { voiceless_key(needle) } else { needle.to_string() };
    let next: Vec<char> = next.iter().map(|&c| if weak { voiceless(c) } else { c }).collect();
    let key_chars: Vec<char> = key.chars().collect();
    let needle_chars: Vec<char> = needle.chars().collect();
    let n = needle_chars.len();
    let extra = usize::from(!next.is_empty());
    // The match may be in a longer alternative reading than the one shown.
    if n + extra > key_chars.len() {
        return None;
    }
    let start = (0..=key_chars.len() - (n + extra)).find(|&i| {
        key_chars[i..i + n] == needle_chars[..]
            && (extra == 0 || key_chars.get(i + n).is_some_and(|c| next.contains(c)))
    })?;
    let end = start + n + extra;
    if end == 0 || end > key_map.len() {
        return None;
    }
    let first = fold_map.get(key_map[start] as usize)?.0 as usize;
    let last = fold_map.get(key_map[end - 1] as usize)?.1 as usize;
    Some((first, last))
}
