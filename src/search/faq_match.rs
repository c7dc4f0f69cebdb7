//! Why an FAQ entry matched, for the operator: the words of the question an entry contains,
//! and where a question's words stand in an answer (to highlight them).
//!
//! Works on the literal terms of `faq_tokens` that say something on their own (kanji pairs,
//! katakana runs and pairs, letters and digits; no single kanji, no hiragana, no synonyms), so
//! what is shown is what the operator can see in both texts. Positions are in characters of the
//! original text: normalisation is applied one character at a time, and a character that
//! normalises to nothing (a long vowel mark) joins the span around it.

use std::collections::HashSet;
use std::ops::Range;

use crate::api::FaqEntry;

use super::faq_tokens::{Synonyms, TokenOptions, normalize, tokenize};

/// The token families that can be shown: no hiragana, no bridges, no counters.
const SHOWN: TokenOptions = TokenOptions {
    hiragana_bigrams: false,
    katakana_bigrams: true,
    okurigana_bigrams: false,
    mixed_kana: false,
    kana_bridge: false,
    counters: false,
};

/// The literal terms of `text` worth showing (two characters or more).
pub fn terms(text: &str) -> HashSet<String> {
    tokenize(text, &Synonyms::new(&[]), SHOWN).into_iter().filter(|t| t.chars().count() >= 2).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Kanji,
    Katakana,
    Alnum,
    Other,
}

fn kind(c: char) -> Kind {
    match c {
        '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々' => Kind::Kanji,
        'ァ'..='ヺ' => Kind::Katakana,
        c if c.is_ascii_alphanumeric() => Kind::Alnum,
        _ => Kind::Other,
    }
}

/// Character ranges of `text` covered by any of `terms` (sorted, not overlapping).
pub fn spans(text: &str, terms: &HashSet<String>) -> Vec<Range<usize>> {
    let original: Vec<char> = text.chars().collect();
    // Normalised characters, each with the index of the original character it came from.
    let mut norm: Vec<(char, usize)> = Vec::with_capacity(original.len());
    for (i, c) in original.iter().enumerate() {
        let mut buf = [0u8; 4];
        norm.extend(normalize(c.encode_utf8(&mut buf)).chars().map(|n| (n, i)));
    }
    let mut covered = vec![false; original.len()];
    let mut cover = |from: usize, to: usize| {
        for slot in &mut covered[norm[from].1..=norm[to].1] {
            *slot = true;
        }
    };
    let mut i = 0;
    while i < norm.len() {
        let k = kind(norm[i].0);
        let start = i;
        while i < norm.len() && kind(norm[i].0) == k {
            i += 1;
        }
        if k == Kind::Other {
            continue;
        }
        let run: String = norm[start..i].iter().map(|p| p.0).collect();
        if k != Kind::Kanji && terms.contains(&run) {
            cover(start, i - 1);
            continue;
        }
        if k == Kind::Alnum {
            continue;
        }
        for j in start..i.saturating_sub(1) {
            let pair: String = [norm[j].0, norm[j + 1].0].iter().collect();
            if terms.contains(&pair) {
                cover(j, j + 1);
            }
        }
    }
    // A character that normalises to nothing (ー, a half-width voicing mark) extends a covered
    // character before it.
    for j in 1..original.len() {
        if !covered[j] && covered[j - 1] && normalize(&original[j].to_string()).is_empty() {
            covered[j] = true;
        }
    }
    let mut out: Vec<Range<usize>> = Vec::new();
    for (j, &c) in covered.iter().enumerate() {
        if !c {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.end == j => last.end = j + 1,
            _ => out.push(j..j + 1),
        }
    }
    out
}

/// The words of `query` that `entry` contains (in its question, answer, category or keywords),
/// in the order they stand in the query, each once.
pub fn matched_words(query: &str, entry: &FaqEntry) -> Vec<String> {
    let mut entry_terms = terms(&entry.question);
    entry_terms.extend(terms(&entry.answer));
    entry_terms.extend(terms(&entry.category));
    for k in &entry.keywords {
        entry_terms.extend(terms(k));
    }
    let chars: Vec<char> = query.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for r in spans(query, &entry_terms) {
        let word: String = chars[r].iter().collect();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(q: &str, a: &str) -> FaqEntry {
        FaqEntry {
            id: "x".into(),
            question: q.into(),
            answer: a.into(),
            category: String::new(),
            keywords: vec![],
        }
    }

    fn marked(text: &str, query: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        spans(text, &terms(query)).into_iter().map(|r| chars[r].iter().collect()).collect()
    }

    #[test]
    fn words_of_the_question_are_found_in_the_answer() {
        assert_eq!(
            marked("暗証番号は3回続けて間違えるとロックされます。", "暗証番号がロックされた"),
            ["暗証番号", "ロック"]
        );
        // Width and long vowels do not matter; the original characters are marked.
        assert_eq!(marked("顔認証付きカードリーダーで", "ｶｰﾄﾞﾘｰﾀﾞｰ"), ["カードリーダー"]);
        // Single kanji and hiragana are not shown.
        assert!(marked("日に出してください", "日曜に出して").is_empty());
    }

    #[test]
    fn matched_words_say_why() {
        let e = entry("マイナンバーカードをなくしました", "警察に遺失届を出してください。");
        assert_eq!(matched_words("カードをなくした、警察に届ける？", &e), ["カード", "警察"]);
        assert!(matched_words("天気", &e).is_empty());
        assert!(matched_words("", &e).is_empty());
    }

    #[test]
    fn odd_text_never_panics() {
        for s in ["", "ー", "ーー", "🙂ー🙂", "ｶﾞｰ", "\u{301}", "a-1"] {
            let _ = spans(s, &terms("カード"));
            let _ = matched_words(s, &entry(s, s));
        }
    }
}
