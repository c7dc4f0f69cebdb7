//! Reading terms, so a word typed in hiragana meets its kanji (びょういん ↔ 病院).
//!
//! An entry's kanji runs of two or more characters get their readings from the built-in word →
//! reading table (`super::reading`, the one used for institution names); each reading, in
//! hiragana and normalised like the rest of the FAQ text (small kana large), gives its 3-grams.
//! A question's hiragana runs give their 3-grams the same way. Both carry the `READING` mark, so
//! they only ever meet each other: an entry's grammar (hiragana) never makes reading terms, and
//! a question's kanji is already matched by its kanji terms.

use std::collections::HashMap;

use super::faq_tokens::normalize;
use super::reading::infer_readings;

/// First character of every reading term (a private-use character no text contains).
pub const READING: char = '\u{E001}';

/// At most this many readings of one kanji run are indexed.
const MAX_READINGS: usize = 2;

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々')
}

fn is_hiragana(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ')
}

/// Appends the marked 3-grams of a hiragana string (already normalised).
fn trigrams(hira: &[char], out: &mut Vec<String>) {
    for w in hira.windows(3) {
        let mut t = String::with_capacity(10);
        t.push(READING);
        t.extend(w);
        out.push(t);
    }
}

/// Runs of characters of one kind in normalised `text`.
fn runs(text: &str, kind: fn(char) -> bool) -> impl Iterator<Item = Vec<char>> + '_ {
    text.split(move |c: char| !kind(c)).filter(|r| !r.is_empty()).map(|r| r.chars().collect())
}

/// Reading terms of an entry's normalised text: the readings of its kanji runs.
pub fn entry_reading_terms(normalized: &str, out: &mut Vec<String>) {
    ReadingCache::default().entry_terms(normalized, out);
}

/// The reading terms of kanji runs already seen while building one index: a FAQ repeats its
/// words, and inferring a reading is the costly part of indexing.
#[derive(Debug, Default)]
pub struct ReadingCache {
    terms: HashMap<String, Vec<String>>,
}

impl ReadingCache {
    /// As `entry_reading_terms`, remembering each run's terms.
    pub fn entry_terms(&mut self, normalized: &str, out: &mut Vec<String>) {
        for run in runs(normalized, is_kanji) {
            if run.len() < 2 {
                continue;
            }
            let word: String = run.iter().collect();
            let terms = self.terms.entry(word).or_insert_with_key(|word| {
                let mut terms = Vec::new();
                for reading in infer_readings(word).into_iter().take(MAX_READINGS) {
                    let hira: Vec<char> = normalize(&katakana_to_hiragana(&reading)).chars().collect();
                    trigrams(&hira, &mut terms);
                }
                terms
            });
            out.extend(terms.iter().cloned());
        }
    }
}

/// Reading terms of a question's normalised text: its hiragana runs.
pub fn query_reading_terms(normalized: &str, out: &mut Vec<String>) {
    for run in runs(normalized, is_hiragana) {
        trigrams(&run, out);
    }
}

fn katakana_to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        entry_reading_terms(&normalize(s), &mut out);
        out
    }

    fn query(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        query_reading_terms(&normalize(s), &mut out);
        out
    }

    #[test]
    fn hiragana_meets_kanji() {
        let doc = entry("病院で受付");
        let q = query("びょういんです");
        assert!(q.iter().any(|t| doc.contains(t)), "{doc:?} / {q:?}");
        let doc = entry("住民票の写し");
        assert!(query("じゅうみんひょう").iter().all(|t| doc.contains(t)), "{doc:?}");
    }

    #[test]
    fn only_marked_terms_and_no_grammar() {
        assert!(entry("病院").iter().all(|t| t.starts_with(READING)));
        // An entry's hiragana and single kanji make no reading terms.
        assert!(entry("ですから病").is_empty());
        assert!(query("病院").is_empty());
        assert!(query("あい").is_empty());
    }
}
