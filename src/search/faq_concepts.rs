//! Concept terms: words that mean the same thing meet even when they share no character
//! (バイク ↔ オートバイ, 男性 ↔ 男の人, 乳母車 ↔ ベビーカー).
//!
//! The groups are SudachiDict's synonym dictionary (Apache-2.0), reduced to words that may
//! trigger an expansion and stored in the repository (`data/faq/synonyms.tsv`, built by
//! `scripts/faq-meaning-data.py`): nothing is downloaded at build or run time. Every word of a
//! normalised text found in the table (leftmost-longest, so 株式会社 wins over 会社) gives one
//! term per group it belongs to, marked with [`CONCEPT`] so that concept terms only ever meet
//! each other. They are added to the lexical terms at a low weight (`FaqParams::w_concept`):
//! the lexical BM25 still decides, and a shared meaning adds to it (fusion, not replacement).

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::faq_tokens::normalize;

/// First character of every concept term (a private-use character no text contains).
pub const CONCEPT: char = '\u{E003}';

/// The shipped synonym groups: one group per line, its words tab-separated; `#` comments.
const SYNONYMS: &str = include_str!("../../data/faq/synonyms.tsv");

/// The synonym table, ready to scan a text: an automaton over every word, and for each word
/// (pattern) the groups it belongs to, and whether it may stand for them in a question.
pub struct Concepts {
    automaton: Option<AhoCorasick>,
    groups: Vec<Vec<u32>>,
    /// Sudachi's "no trigger" words (`~` in the table): in an entry they meet a question's
    /// word of their group; in a question they stand only for themselves (バイク asked finds
    /// バイク, not every オートバイ; オートバイ asked also finds an entry's バイク).
    trigger: Vec<bool>,
}

impl Concepts {
    /// Builds the table from lines of tab-separated words (each line one group; `~` before a
    /// word: no trigger). Words are normalised as FAQ text is; a word too short to mean
    /// something alone once normalised (one character) is left out.
    pub fn new(table: &str) -> Concepts {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut words: Vec<String> = Vec::new();
        let mut groups: Vec<Vec<u32>> = Vec::new();
        let mut trigger: Vec<bool> = Vec::new();
        let lines = table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        for (g, line) in lines.enumerate() {
            for word in line.split('\t') {
                let (word, triggers) = match word.strip_prefix('~') {
                    Some(w) => (w, false),
                    None => (word, true),
                };
                let w = normalize(word).trim().to_string();
                if w.chars().count() < 2 || w.contains(' ') {
                    continue;
                }
                let i = *index.entry(w.clone()).or_insert_with(|| {
                    words.push(w);
                    groups.push(Vec::new());
                    trigger.push(false);
                    groups.len() - 1
                });
                trigger[i] |= triggers;
                let g = g as u32;
                if !groups[i].contains(&g) {
                    groups[i].push(g);
                }
            }
        }
        let automaton = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&words).ok();
        Concepts { automaton, groups, trigger }
    }

    /// Appends the concept terms of an entry's normalised `text`.
    pub fn entry_terms(&self, normalized: &str, out: &mut Vec<String>) {
        self.terms(normalized, false, out);
    }

    /// Appends the concept terms of a question's normalised `text` (trigger words only).
    pub fn question_terms(&self, normalized: &str, out: &mut Vec<String>) {
        self.terms(normalized, true, out);
    }

    fn terms(&self, normalized: &str, question: bool, out: &mut Vec<String>) {
        let Some(automaton) = &self.automaton else { return };
        for m in automaton.find_iter(normalized) {
            let word = m.pattern().as_usize();
            if question && !self.trigger[word] {
                continue;
            }
            for g in &self.groups[word] {
                out.push(format!("{CONCEPT}{g:x}"));
            }
        }
    }

    /// How many distinct words the table holds.
    pub fn words(&self) -> usize {
        self.groups.len()
    }
}

/// The shipped table, built on first use (about 63,000 words).
pub static SHIPPED: LazyLock<Concepts> = LazyLock::new(|| Concepts::new(SYNONYMS));

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(c: &Concepts, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        c.entry_terms(&normalize(text), &mut out);
        out
    }

    fn asked(c: &Concepts, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        c.question_terms(&normalize(text), &mut out);
        out
    }

    #[test]
    fn words_of_one_group_meet_and_others_do_not() {
        let c = Concepts::new(
            "# a comment\nバイク\tオートバイ\t単車\n男性\t男の人\n会社\t企業\n株式会社\tカブシキガイシャ\n",
        );
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(sorted(terms(&c, "バイクに乗る男性")), sorted(terms(&c, "男の人がオートバイに乗る")));
        assert!(terms(&c, "自転車").is_empty());
        // Leftmost-longest: 株式会社 is one word, not 会社 inside it.
        assert_eq!(terms(&c, "株式会社"), vec![format!("{CONCEPT}3")]);
        assert_eq!(terms(&c, "ｵｰﾄﾊﾞｲ"), terms(&c, "単車"), "normalised like FAQ text");
    }

    #[test]
    fn a_word_in_two_groups_gives_both_and_one_character_words_are_left_out() {
        let c = Concepts::new("先生\t教師\n先生\t医師\n木\t樹木\n");
        assert_eq!(terms(&c, "先生"), vec![format!("{CONCEPT}0"), format!("{CONCEPT}1")]);
        assert!(terms(&c, "木").is_empty());
        assert_eq!(terms(&c, "樹木"), vec![format!("{CONCEPT}2")]);
    }

    #[test]
    fn a_word_that_is_no_trigger_is_found_but_does_not_stand_for_its_group() {
        let c = Concepts::new("オートバイ\t~バイク\n");
        assert_eq!(asked(&c, "オートバイ"), terms(&c, "バイクで来た"));
        assert!(asked(&c, "バイク").is_empty());
    }

    #[test]
    fn the_shipped_table_loads_and_knows_everyday_paraphrases() {
        assert!(SHIPPED.words() > 30_000, "{}", SHIPPED.words());
        let a = asked(&SHIPPED, "オートバイ");
        let b = terms(&SHIPPED, "バイク");
        assert!(a.iter().any(|t| b.contains(t)), "{a:?} {b:?}");
    }
}
