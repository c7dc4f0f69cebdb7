//! The one normalisation pipeline applied to every key and every query.

use unicode_normalization::UnicodeNormalization;

/// Folds text for matching: NFKC, katakana → hiragana, lower case, spaces and 中黒 dropped.
pub fn fold(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '・')
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}
