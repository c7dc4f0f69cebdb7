//! The one normalisation pipeline applied to every key and every query, so that what an
//! operator types and what the master data holds meet in the same form.
//!
//! - [`fold`]: NFKC (full/half width), katakana → hiragana, lower case, spaces, 中黒, control and
//!   format characters dropped, variant kanji folded ([`super::variants`]). Strict: keeps
//!   ー, small kana and voicing, so a whole-name match means what it says.
//! - [`reading_key`]: a looser key for readings: small kana → large, ー dropped, ヴ → ブ,
//!   ぢ/づ → じ/ず, を → お, long vowels collapsed (おう/おお/お, ゆう/ゆ), so every way of
//!   writing a reading heard on the phone meets. [`voiceless`] drops voicing for the weaker
//!   match (高田 たかた / たかだ).
//! - [`legal_prefix_end`]: where a name starts once 医療法人社団, (医), 株式会社 ... are skipped.
//! - [`query_digits`]: the digits of a code or phone query typed in any format.
//!
//! Every function works character by character with a map back to the original text, so a hit
//! can be highlighted in the field the operator sees.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::variants;

/// Folds text for matching: NFKC, katakana → hiragana, lower case, spaces and 中黒 dropped,
/// variant kanji folded. Idempotent: `fold(&fold(s)) == fold(s)`.
pub fn fold(s: &str) -> String {
    fold_mapped(s).0
}

/// [`fold`] plus, for every output character, the range of original characters (start, end)
/// it came from.
pub fn fold_mapped(s: &str) -> (String, Vec<(u32, u32)>) {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(chars.len());
    let mut i = 0;
    let mut cluster = String::new();
    while i < chars.len() {
        // A cluster is one base character and the marks that follow it, so that half-width
        // ｼﾞ and combining voiced marks compose the way NFKC composes them.
        let start = i;
        i += 1;
        while i < chars.len() && is_mark(chars[i]) {
            i += 1;
        }
        if i == start + 1
            && let Some(c) = fold_unchanged(chars[start])
        {
            // Most characters of a name: NFKC and lower case leave them as they are.
            if !is_ignorable(c) {
                out.push(variants::fold_char(katakana_to_hiragana(c)));
                map.push((start as u32, i as u32));
            }
            continue;
        }
        cluster.clear();
        cluster.extend(&chars[start..i]);
        let lowered: String = cluster.nfkc().flat_map(char::to_lowercase).nfkc().collect();
        let mut has_base = false;
        for c in lowered.chars() {
            if is_ignorable(c) {
                continue;
            }
            if is_mark(c) && !has_base {
                // A mark with nothing to sit on (lone combining mark, or one left after a
                // dropped space): dropped, or a second pass would attach it elsewhere.
                continue;
            }
            has_base = true;
            out.push(variants::fold_char(katakana_to_hiragana(c)));
            map.push((start as u32, i as u32));
        }
    }
    (out, map)
}

/// Combining marks, including the half-width voiced sound marks ﾞ ﾟ that NFKC turns into
/// combining ones.
/// `c` lower-cased when it stands alone and NFKC (then lower case, then NFKC) leaves it so:
/// ASCII, kana, and the unified ideographs. `None`: take the full path.
fn fold_unchanged(c: char) -> Option<char> {
    match c {
        _ if c.is_ascii() => Some(c.to_ascii_lowercase()),
        // ゟ (U+309F) and ヿ (U+30FF) are compatibility ligatures: outside these ranges.
        '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー' => Some(c),
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => Some(c),
        _ => None,
    }
}

fn is_mark(c: char) -> bool {
    matches!(c, '\u{FF9E}' | '\u{FF9F}') || (is_combining_mark(c) && !is_variation_selector(c))
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}')
}

/// Characters that never matter for matching: spaces, 中黒, controls, invisible format
/// characters and variation selectors (葛󠄀 and 葛 are the same name).
fn is_ignorable(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_variation_selector(c)
        || matches!(
            c,
            '・' | '·' | '･' | '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// Katakana (full width, after NFKC) → hiragana; other characters unchanged.
pub fn katakana_to_hiragana(c: char) -> char {
    match c {
        'ァ'..='ヶ' | 'ヽ' | 'ヾ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Hiragana → katakana (for readings shown to operators, which are katakana).
pub fn hiragana_to_katakana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The vowel a hiragana syllable ends in, if it is one.
fn vowel_of(c: char) -> Option<char> {
    const ROWS: [(char, &str); 5] = [
        ('a', "あかさたなはまやらわがざだばぱ"),
        ('i', "いきしちにひみりぎじぢびぴ"),
        ('u', "うくすつぬふむゆるぐずづぶぷゔ"),
        ('e', "えけせてねへめれげぜでべぺ"),
        ('o', "おこそとのほもよろをごぞどぼぽ"),
    ];
    ROWS.iter().find(|(_, row)| row.contains(c)).map(|(v, _)| *v)
}

/// True when the kana `c` after `prev` only lengthens its vowel (おう, おお, ゆう, しい ...): a
/// reading key drops it.
pub fn lengthens(prev: char, c: char) -> bool {
    matches!(
        (vowel_of(prev), c),
        (Some('o'), 'う' | 'お')
            | (Some('u'), 'う')
            | (Some('a'), 'あ')
            | (Some('i'), 'い')
            | (Some('e'), 'え')
    )
}

/// The large, plainly spelt kana a reading key uses for `c` (ぁ → あ, っ → つ, づ → ず, を → お).
fn loose_kana(c: char) -> char {
    match c {
        'ぁ' => 'あ',
        'ぃ' => 'い',
        'ぅ' => 'う',
        'ぇ' => 'え',
        'ぉ' => 'お',
        'っ' => 'つ',
        'ゃ' => 'や',
        'ゅ' => 'ゆ',
        'ょ' => 'よ',
        'ゎ' => 'わ',
        'ゕ' => 'か',
        'ゖ' => 'け',
        'ぢ' => 'じ',
        'づ' => 'ず',
        'を' => 'お',
        'ゐ' => 'い',
        'ゑ' => 'え',
        other => other,
    }
}

/// The loose reading key of already folded text (see the module doc), with the map of each
/// key character to its position in `folded` (in characters).
pub fn reading_key_mapped(folded: &str) -> (String, Vec<u32>) {
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    let mut map = Vec::with_capacity(chars.len());
    let mut prev: Option<char> = None;
    let mut emitted_prev = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let pos = i as u32;
        i += 1;
        if is_mark(c) {
            // A mark stays only on the character it followed: on a dropped one (ー, a long
            // vowel) it would land on another and a second pass would compose it there.
            if emitted_prev {
                out.push(c);
                map.push(pos);
            }
            continue;
        }
        emitted_prev = false;
        let c = match c {
            'ー' | '-' | '〜' | '~' | '‐' | '―' | '—' | '−' => continue,
            // ヴァ ヴィ ヴェ ヴォ are how バ ビ ベ ボ are written in loan words.
            'ゔ' => match next {
                Some('ぁ') => {
                    i += 1;
                    'ば'
                }
                Some('ぃ') => {
                    i += 1;
                    'び'
                }
                Some('ぇ') => {
                    i += 1;
                    'べ'
                }
                Some('ぉ') => {
                    i += 1;
                    'ぼ'
                }
                _ => 'ぶ',
            },
            other => loose_kana(other),
        };
        // A voicing mark that could not sit on a small kana (ぅ゛) composes with the large
        // one it became (ゔ → ぶ), as `fold` would compose it: the key stays a fixed point.
        let c = match next.and_then(|m| unicode_normalization::char::compose(c, m)) {
            Some(composed) if c != chars[i - 1] => {
                i += 1;
                if composed == 'ゔ' { 'ぶ' } else { loose_kana(composed) }
            }
            _ => c,
        };
        // Long vowels: おう / おお / お, ゆう / ゆ, ああ / あ ... all collapse to the short vowel.
        if prev.is_some_and(|p| lengthens(p, c)) {
            continue;
        }
        out.push(c);
        map.push(pos);
        prev = Some(c);
        emitted_prev = true;
    }
    (out, map)
}

/// The loose reading key of already folded text.
pub fn reading_key(folded: &str) -> String {
    reading_key_mapped(folded).0
}

/// The voiceless form of a hiragana syllable (が → か, ぱ → は); others unchanged.
pub fn voiceless(c: char) -> char {
    if !('\u{3041}'..='\u{309F}').contains(&c) {
        return c;
    }
    let mut first = None;
    unicode_normalization::char::decompose_canonical(c, |d| {
        if first.is_none() {
            first = Some(d);
        }
    });
    first.unwrap_or(c)
}

/// [`voiceless`] over a whole key.
pub fn voiceless_key(key: &str) -> String {
    key.chars().map(voiceless).collect()
}

/// Legal-entity prefixes in folded form, longest first where one begins another.
const LEGAL_PREFIXES: &[&str] = &[
    "地方独立行政法人",
    "独立行政法人",
    "国立大学法人",
    "公立大学法人",
    "社会医療法人",
    "医療法人社団",
    "医療法人財団",
    "医療法人",
    "社会福祉法人",
    "一般財団法人",
    "公益財団法人",
    "一般社団法人",
    "公益社団法人",
    "財団法人",
    "社団法人",
    "学校法人",
    "宗教法人",
    "生活協同組合",
    "有限会社",
    "株式会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "(医社)",
    "(医財)",
    "(社医)",
    "(医)",
    "(社)",
    "(財)",
    "(福)",
    "(株)",
    "(有)",
    "(合)",
    "(学)",
    "(独)",
    "(一財)",
    "(公財)",
    "(一社)",
    "(公社)",
];

/// The byte offset in folded text where the name proper starts, after any leading legal-entity
/// prefixes (医療法人社団, (医), 株式会社 ...). 0 when there is none.
pub fn legal_prefix_end(folded: &str) -> usize {
    let mut pos = 0;
    'outer: loop {
        for p in LEGAL_PREFIXES {
            if folded[pos..].starts_with(p) && folded.len() > pos + p.len() {
                pos += p.len();
                continue 'outer;
            }
        }
        return pos;
    }
}

/// The digits of a query that is a code or a phone number typed in any format (full- or
/// half-width, hyphens, spaces, brackets). `None` when the query holds anything else.
pub fn query_digits(query: &str) -> Option<String> {
    let folded: String = query.nfkc().collect();
    let mut digits = String::new();
    for c in folded.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | 'ー' | '‐' | '‑' | '–' | '—' | '−' | '(' | ')' | '+' | '.' | '/' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    (!digits.is_empty()).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_folds_as_the_full_one() {
        for (c, fast) in ('\0'..='\u{FFFF}').filter_map(|c| fold_unchanged(c).map(|f| (c, f))) {
            let full: String = c.to_string().nfkc().flat_map(char::to_lowercase).nfkc().collect();
            assert_eq!(full, fast.to_string(), "{c:?}");
        }
    }

    #[test]
    fn fold_handles_width_case_kana_spaces_and_variants() {
        assert_eq!(fold("ﾔｼﾞﾏ"), "やじま");
        assert_eq!(fold("ヤジマ"), "やじま");
        assert_eq!(fold("矢嶋 歯科・医院"), "矢島歯科医院");
        assert_eq!(fold("ＡＢＣ　１２３"), "abc123");
        assert_eq!(fold("㈱さなえ薬局"), "(株)さなえ薬局");
        assert_eq!(fold("葛\u{E0100}飾"), "葛飾");
        assert_eq!(fold("\u{3099}か"), "か");
    }

    #[test]
    fn fold_map_points_at_original_characters() {
        let (key, map) = fold_mapped("ﾔｼﾞﾏ 歯科");
        assert_eq!(key, "やじま歯科");
        assert_eq!(map, vec![(0, 1), (1, 3), (3, 4), (5, 6), (6, 7)]);
    }

    #[test]
    fn reading_key_meets_spellings_heard_alike() {
        let k = |s: &str| reading_key(&fold(s));
        assert_eq!(k("キャノン"), k("キヤノン"));
        assert_eq!(k("ヴァイオリン"), k("バイオリン"));
        assert_eq!(k("センター"), k("センタ"));
        assert_eq!(k("とうきょう"), k("ときょ"));
        assert_eq!(k("おおの"), k("おの"));
        assert_eq!(k("ゆうこ"), k("ゆこ"));
        assert_eq!(k("ちぢみ"), k("ちじみ"));
        assert_ne!(k("たかだ"), k("たかた"));
        assert_eq!(voiceless_key(&k("たかだ")), voiceless_key(&k("たかた")));
        assert_eq!(voiceless_key("ぱぴぷ"), "はひふ");
    }

    #[test]
    fn legal_prefixes_are_skipped_but_never_the_whole_name() {
        let f = fold("医療法人社団 あかいクリニック");
        assert_eq!(&f[legal_prefix_end(&f)..], "あかいくりにっく");
        let f = fold("（医）社団　さなえ");
        assert_eq!(&f[legal_prefix_end(&f)..], "社団さなえ");
        let f = fold("㈱ほし薬局");
        assert_eq!(&f[legal_prefix_end(&f)..], "ほし薬局");
        let f = fold("医療法人");
        assert_eq!(legal_prefix_end(&f), 0);
    }

    #[test]
    fn digits_in_any_format() {
        assert_eq!(query_digits("０３－１２３４－５６７８").as_deref(), Some("0312345678"));
        assert_eq!(query_digits("(03) 1234 5678").as_deref(), Some("0312345678"));
        assert_eq!(query_digits("13-1-1234"), Some("1311234".to_string()));
        assert_eq!(query_digits("あかい"), None);
        assert_eq!(query_digits(" - "), None);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Japanese-heavy text: kana of both widths, marks (combining and half-width voicing),
        /// ideographs and their variants, spaces, 中黒, ASCII, controls and emoji.
        const JAPANESE: &str = "[\\u{3000}-\\u{30FF}\\u{FF61}-\\u{FF9F}\\u{4E00}-\\u{4E80}嶋髙﨑邊齋澤 　・･\\u{0300}-\\u{036F}\\u{3099}\\u{309A}\\u{FE00}-\\u{FE0F}a-zA-Zａ-ｚ０-９\\u{0000}-\\u{001F}\\u{1F600}-\\u{1F64F}\\u{200B}-\\u{200F}㈱㍿¨]{0,40}";

        proptest! {
            #[test]
            fn fold_is_idempotent_on_any_unicode(s in any::<String>()) {
                let once = fold(&s);
                prop_assert_eq!(fold(&once), once);
            }

            #[test]
            fn fold_is_idempotent_on_japanese_text(s in JAPANESE) {
                let once = fold(&s);
                prop_assert_eq!(fold(&once), once);
            }

            #[test]
            fn fold_map_stays_inside_the_original(s in JAPANESE) {
                let (key, map) = fold_mapped(&s);
                let n = s.chars().count() as u32;
                prop_assert_eq!(key.chars().count(), map.len());
                prop_assert!(map.iter().all(|&(a, b)| a < b && b <= n));
            }

            #[test]
            fn reading_key_and_digits_never_panic(s in any::<String>()) {
                let (key, map) = reading_key_mapped(&fold(&s));
                prop_assert_eq!(key.chars().count(), map.len());
                let _ = voiceless_key(&key);
                let _ = legal_prefix_end(&fold(&s));
                let _ = query_digits(&s);
            }
        }

        #[test]
        fn long_and_hostile_queries_fold_without_panicking() {
            let long: String = "ﾔｼﾞﾏ歯科\u{0301}😀\u{0007}".repeat(1_500);
            assert!(long.chars().count() >= 10_000);
            let once = fold(&long);
            assert_eq!(fold(&once), once);
            let marks: String = "\u{0301}".repeat(10_000);
            assert_eq!(fold(&marks), "");
        }
    }
}
