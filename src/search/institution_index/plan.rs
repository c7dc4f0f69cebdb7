//! How one query term is looked for (its folded form, its name form, digits, reading), and
//! when one plan narrows another (the operator typed on).

use crate::search::normalize::{self, fold, reading_key};
use crate::search::romaji;

/// How one query term is looked for; also the cache key for incremental narrowing.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// The folded query.
    pub(super) folded: String,
    /// The folded query with a leading legal-entity prefix removed.
    pub(super) name: String,
    pub(super) digits: Option<String>,
    pub(super) reading: Option<ReadingPlan>,
}

/// A query read as a reading: the loose key of what is certain, and the characters the next
/// one may be when the last romaji syllable is half typed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ReadingPlan {
    pub(super) stem: String,
    pub(super) next: Vec<char>,
}

impl Plan {
    pub(super) fn new(term: &str) -> Option<Plan> {
        let folded = fold(term);
        if folded.is_empty() {
            return None;
        }
        let start = normalize::legal_prefix_end(&folded);
        let name = folded[start..].to_string();
        let digits = normalize::query_digits(term);
        let reading = if folded.chars().all(is_kana) {
            Some(ReadingPlan { stem: reading_key(&folded), next: Vec::new() })
        } else {
            romaji::to_kana(&folded).map(|r| ReadingPlan {
                stem: reading_key(&r.kana),
                next: if r.rest.is_empty() { Vec::new() } else { romaji::next_kana(&r.rest) },
            })
        }
        .filter(|r| !r.stem.is_empty() || !r.next.is_empty());
        Some(Plan { folded, name, digits, reading })
    }

    /// True when every document this plan matches was matched by `old` (the query grew).
    pub(super) fn narrows(&self, old: &Plan) -> bool {
        if !self.folded.starts_with(&old.folded) || !self.name.starts_with(&old.name) {
            return false;
        }
        let digits_ok = match (&self.digits, &old.digits) {
            (None, _) => true,
            (Some(_), None) => false,
            // Phones are only looked at from four digits on: before that, nothing to narrow.
            (Some(new), Some(old)) => new.starts_with(old.as_str()) && (old.len() >= 4 || new.len() < 4),
        };
        let reading_ok = match (&self.reading, &old.reading) {
            (None, _) => true,
            (Some(_), None) => false,
            // An empty stem matched reading starts only: nothing to narrow a substring search.
            (Some(new), Some(old)) if old.stem.is_empty() && !new.stem.is_empty() => false,
            // Voiceless matches start at two kana: a one-kana query did not look for them.
            (Some(new), Some(old)) if old.stem.chars().count() < 2 && new.stem.chars().count() >= 2 => false,
            (Some(new), Some(old)) => {
                new.stem.starts_with(&old.stem)
                    && (old.next.is_empty()
                        || match new.stem[old.stem.len()..].chars().next() {
                            Some(c) => old.next.contains(&c),
                            None => !new.next.is_empty() && new.next.iter().all(|c| old.next.contains(c)),
                        })
            }
        };
        digits_ok && reading_ok
    }
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}
