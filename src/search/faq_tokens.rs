//! Dictionary-free Japanese tokens for the FAQ index.
//!
//! Owns the script-preserving normaliser (`normalize`), the synonym table (`Synonyms`) and the
//! tokenizer (`tokenize`). Unlike `super::normalize::fold`, which turns katakana into hiragana
//! (right for names), this keeps scripts apart: a katakana run is a loan word and a good term on
//! its own, while hiragana is mostly grammar.
//!
//! Tokens, after normalisation:
//! - kanji: every character and every adjacent pair (1- and 2-grams), plus a pair that skips
//!   short okurigana (申し込み, 申込み and 申込 all give 申込; 問い合わせ gives 問合);
//! - katakana: the whole run and its 2-grams (long vowel marks dropped, small kana made large,
//!   ヴ read as ブ, so ｶｰﾄﾞﾘｰﾀﾞｰ, カードリーダ and カードリーダー meet);
//! - ASCII letters and digits: each run, plus digit groups joined across hyphens
//!   (0800-080-4583 also gives 08000804583);
//! - hiragana: 2-grams only when `TokenOptions::hiragana_bigrams` is set (measured: see
//!   `crate::bench::relevance_faq`).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// The script a normalised character belongs to; runs of one script make tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Kanji,
    Katakana,
    Hiragana,
    Alnum,
    Other,
}

fn script(c: char) -> Script {
    match c {
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '々' | '〆' => {
            Script::Kanji
        }
        '\u{20000}'..='\u{2FFFF}' => Script::Kanji,
        'ァ'..='ヺ' => Script::Katakana,
        'ぁ'..='ゖ' => Script::Hiragana,
        c if c.is_ascii_alphanumeric() => Script::Alnum,
        c if c.is_alphanumeric() && !c.is_ascii() && (c as u32) < 0x3000 => Script::Alnum,
        _ => Script::Other,
    }
}

/// Small kana read as their large forms, so ウェブ/ウエブ and キャンセル/キヤンセル meet.
fn large_kana(c: char) -> char {
    match c {
        'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' | 'ぁ' | 'ぃ' | 'ぅ' | 'ぇ'
        | 'ぉ' | 'っ' | 'ゃ' | 'ゅ' | 'ょ' | 'ゎ' => char::from_u32(c as u32 + 1).unwrap_or(c),
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヴ' => 'ブ',
        _ => c,
    }
}

/// Normalises text for FAQ matching without changing its script: NFKC (full-width ASCII and
/// half-width katakana become standard), lower case, small kana made large, ヴ→ブ, and long
/// vowel marks (ー, and a hyphen or wave dash right after kana) dropped after kana.
/// Thousands separators inside numbers are dropped (2,101,000 → 2101000). Everything else that
/// is not a letter, digit or kana becomes a single space.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_kana = false;
    let mut prev_space = true;
    let chars: Vec<char> = s.nfkc().flat_map(char::to_lowercase).collect();
    for (i, &c) in chars.iter().enumerate() {
        // A thousands separator inside a number goes: 2,101,000 is one number, 2101000.
        if c == ',' && out.ends_with(|p: char| p.is_ascii_digit()) {
            let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
            if digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4) {
                continue;
            }
        }
        let is_long_mark = matches!(c, 'ー' | '〜' | '~' | '‐' | '－' | '-' | '―' | '−');
        if is_long_mark && prev_kana {
            continue;
        }
        let c = large_kana(c);
        match script(c) {
            Script::Other if c == '-' => {
                // Kept between digits so phone numbers can be joined; otherwise a separator.
                out.push('-');
                prev_space = false;
                prev_kana = false;
            }
            Script::Other => {
                if !prev_space {
                    out.push(' ');
                    prev_space = true;
                }
                prev_kana = false;
            }
            sc => {
                out.push(c);
                prev_space = false;
                prev_kana = matches!(sc, Script::Katakana | Script::Hiragana);
            }
        }
    }
    out.trim_end().to_string()
}

/// The hiragana for a katakana letter (ヷ-ヺ have none and stay as they are).
fn to_hiragana(c: char) -> char {
    match c {
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Which optional token families to emit (the knobs the relevance bench measures).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenOptions {
    /// Hiragana 2-grams (the public-set evidence says they hurt; measured again on ours).
    pub hiragana_bigrams: bool,
    /// Katakana 2-grams besides whole runs (the evidence says they help partial loan words).
    pub katakana_bigrams: bool,
    /// Kanji pairs that skip short okurigana (申し込み → 申込).
    pub okurigana_bigrams: bool,
    /// Hiragana typed against katakana (カードりーだー) also gives katakana 2-grams.
    pub mixed_kana: bool,
    /// Katakana runs also give their 2-grams in hiragana (with `hiragana_bigrams`), so ごみ and
    /// ゴミ, しかく and シカク meet at the low weight of hiragana terms.
    pub kana_bridge: bool,
    /// A number with its counter is one more term (3台, 8月, 14日, 300円; 3だい and 3ヶ月 read
    /// as 3台 and 3か月), which the index weighs as a strong term.
    pub counters: bool,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            hiragana_bigrams: true,
            katakana_bigrams: true,
            okurigana_bigrams: true,
            kana_bridge: true,
            counters: true,
            // Measured neutral to slightly worse on our set (more カードリーダー matches crowd
            // out the rest of the question): available, not on by default.
            mixed_kana: false,
        }
    }
}

/// Single hiragana that are particles, never okurigana: a pair is not formed across them.
fn is_particle(c: char) -> bool {
    matches!(c, 'を' | 'が' | 'は' | 'の' | 'に' | 'へ' | 'と' | 'で' | 'も' | 'や' | 'か' | 'よ' | 'ね')
}

/// Splits already-normalised text into tokens (see the module doc for the families).
pub fn tokenize_normalized(text: &str, opts: TokenOptions, out: &mut Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let sc = if chars[i] == '-' { Script::Other } else { script(chars[i]) };
        let start = i;
        while i < chars.len() && chars[i] != '-' && script(chars[i]) == sc {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let run = &chars[start..i];
        match sc {
            Script::Kanji => {
                for (k, c) in run.iter().enumerate() {
                    out.push(c.to_string());
                    if let Some(next) = run.get(k + 1) {
                        out.push([*c, *next].iter().collect());
                    }
                }
                if opts.okurigana_bigrams {
                    okurigana_pair(&chars, i, out);
                }
            }
            Script::Katakana => {
                out.push(run.iter().collect());
                if opts.katakana_bigrams && run.len() > 2 {
                    for w in run.windows(2) {
                        out.push(w.iter().collect());
                    }
                }
                if opts.kana_bridge && opts.hiragana_bigrams {
                    let hira: Vec<char> = run.iter().map(|&c| to_hiragana(c)).collect();
                    for w in hira.windows(2) {
                        out.push(w.iter().collect());
                    }
                }
            }
            Script::Hiragana => {
                if opts.hiragana_bigrams {
                    for w in run.windows(2) {
                        out.push(w.iter().collect());
                    }
                }
                if opts.mixed_kana {
                    mixed_kana_bigrams(&chars, start, i, out);
                }
            }
            Script::Alnum => {
                out.push(run.iter().collect());
                joined_digits(&chars, start, i, out);
                if opts.counters && run.iter().all(char::is_ascii_digit) {
                    counter_term(run, &chars[i..], out);
                }
            }
            Script::Other => {}
        }
    }
}

/// A hiragana run `start..end` typed against katakana (カードりーだー, where the IME converted
/// only part of a word) also gives its 2-grams in katakana, across the boundary too, so they
/// meet the katakana word's own 2-grams (ドリ, リダ).
fn mixed_kana_bigrams(chars: &[char], start: usize, end: usize, out: &mut Vec<String>) {
    let is_kata = |k: usize| chars.get(k).is_some_and(|&c| script(c) == Script::Katakana);
    let before = start > 0 && is_kata(start - 1);
    let after = is_kata(end);
    if !before && !after {
        return;
    }
    let from = if before { start - 1 } else { start };
    let to = if after { end + 1 } else { end };
    let folded: Vec<char> = chars[from..to].iter().map(|&c| to_katakana(c)).collect();
    for w in folded.windows(2) {
        out.push(w.iter().collect());
    }
}

fn to_katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// After a kanji run ending at `end`, if one or two hiragana (not a particle) and then a kanji
/// follow, emits the pair of kanji around them: the okurigana-free spelling.
fn okurigana_pair(chars: &[char], end: usize, out: &mut Vec<String>) {
    let mut j = end;
    while j < chars.len() && j - end < 3 && script(chars[j]) == Script::Hiragana {
        j += 1;
    }
    let gap = j - end;
    if (1..=2).contains(&gap)
        && !is_particle(chars[end])
        && j < chars.len()
        && script(chars[j]) == Script::Kanji
    {
        out.push([chars[end - 1], chars[j]].iter().collect());
    }
}

/// Counters typed in hiragana, and the kanji they stand for.
const KANA_COUNTERS: &[(&str, &str)] = &[
    ("かげつ", "か月"),
    ("だい", "台"),
    ("かい", "回"),
    ("まい", "枚"),
    ("にん", "人"),
    ("えん", "円"),
    ("ねん", "年"),
    ("がつ", "月"),
    ("にち", "日"),
    ("さい", "歳"),
    ("つう", "通"),
    ("わり", "割"),
    ("じ", "時"),
];

/// After a run of digits, the number with its counter: a kanji (3台, 8月, 300円), a month
/// count in any spelling (3か月, 3ヶ月, 3カ月, 3箇月 → 3か月) or a counter typed in hiragana
/// (3だい → 3台).
fn counter_term(digits: &[char], rest: &[char], out: &mut Vec<String>) {
    let number: String = digits.iter().collect();
    let month_mark = |c: &char| matches!(c, 'か' | 'カ' | 'ケ' | '箇' | '个');
    if rest.first().is_some_and(month_mark) && rest.get(1) == Some(&'月') {
        out.push(format!("{number}か月"));
        return;
    }
    match rest.first() {
        Some(&c) if script(c) == Script::Kanji => out.push(format!("{number}{c}")),
        Some(&c) if script(c) == Script::Hiragana => {
            for (kana, kanji) in KANA_COUNTERS {
                if rest.starts_with(&kana.chars().collect::<Vec<_>>()) {
                    out.push(format!("{number}{kanji}"));
                    return;
                }
            }
        }
        _ => {}
    }
}

/// For a digit run that starts a hyphenated group of digit runs (0800-080-4583), emits the
/// digits joined, so a number typed with or without hyphens meets.
fn joined_digits(chars: &[char], start: usize, end: usize, out: &mut Vec<String>) {
    let is_digits = |r: &[char]| !r.is_empty() && r.iter().all(char::is_ascii_digit);
    if !is_digits(&chars[start..end]) || (start > 0 && chars[start - 1] == '-') {
        return;
    }
    let mut joined: String = chars[start..end].iter().collect();
    let mut parts = 1;
    let mut i = end;
    while i < chars.len() && chars[i] == '-' {
        let s = i + 1;
        let mut e = s;
        while e < chars.len() && chars[e].is_ascii_digit() {
            e += 1;
        }
        if e == s {
            break;
        }
        joined.extend(&chars[s..e]);
        parts += 1;
        i = e;
    }
    if parts > 1 {
        out.push(joined);
    }
}

/// Groups of words that mean the same thing to a caller; each variant is rewritten to the
/// group's first word before tokenising, in entries and queries alike.
pub const SYNONYM_GROUPS: &[&[&str]] = &[
    // The product's own words (issue 3).
    &["カードリーダー", "読み取り機", "読取機", "読み取り装置", "読取装置", "読み取り端末", "リーダー機"],
    &["補助", "助成", "補てん", "補填"],
    &[
        "未定",
        "まだ決まっていない",
        "決まっていない",
        "まだ決めていない",
        "決めていない",
        "未選択",
        "選んでいない",
    ],
    // Callers' words for the same institution kinds.
    &["診療所", "クリニック", "医院"],
    &["歯科", "歯医者"],
    &["薬局", "ドラッグストア", "調剤薬局"],
    // Everyday words for administrative ones.
    &["無償", "無料", "タダ", "ただで"],
    &["期限", "締め切り", "締切", "しめきり", "〆切", "いつまで"],
    &["キャンセル", "取り消し", "取消", "取りやめ", "取り下げ"],
    &["支払", "振込", "振り込み", "入金", "支給", "もらえる", "受け取れる"],
    &["金額", "いくら", "何円"],
    &["個人番号", "マイナンバー"],
    &["保険証", "被保険者証"],
    &["レセコン", "レセプトコンピュータ", "レセプトコンピューター"],
    &["電子カルテ", "電カル"],
    &["コールセンター", "問い合わせ窓口", "問合せ窓口", "サポートセンター", "ヘルプデスク"],
    &["説明会", "セミナー", "ウェビナー"],
    &["アーカイブ", "録画", "見逃し配信", "後から見"],
    &["メール", "eメール", "e-mail", "email"],
    &["ログイン", "サインイン"],
    &["変更", "変え", "切り替え", "切替"],
];

/// The synonym table, normalised once, longest variant first so that the longest match wins.
pub struct Synonyms {
    /// First character → (normalised variant, normalised canonical form), longest first.
    rules: HashMap<char, Vec<(Vec<char>, String)>>,
}

impl Synonyms {
    /// Builds the table from groups of words (the first word of a group is its canonical form).
    pub fn new(groups: &[&[&str]]) -> Synonyms {
        let mut rules: HashMap<char, Vec<(Vec<char>, String)>> = HashMap::new();
        for group in groups {
            let Some(first) = group.first() else { continue };
            let canonical = normalize(first);
            for variant in group.iter().skip(1) {
                let v = normalize(variant);
                let chars: Vec<char> = v.chars().collect();
                if let Some(&first) = chars.first()
                    && v != canonical
                {
                    rules.entry(first).or_default().push((chars, canonical.clone()));
                }
            }
        }
        for list in rules.values_mut() {
            list.sort_by_key(|r| std::cmp::Reverse(r.0.len()));
        }
        Synonyms { rules }
    }

    /// Rewrites every variant in normalised `text` to its canonical form, left to right,
    /// longest match first.
    pub fn apply(&self, text: &str) -> String {
        if self.rules.is_empty() {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'outer: while i < chars.len() {
            for (variant, canonical) in self.rules.get(&chars[i]).map_or(&[][..], Vec::as_slice) {
                if chars[i..].starts_with(variant) {
                    out.push_str(canonical);
                    i += variant.len();
                    continue 'outer;
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }
}

impl Default for Synonyms {
    fn default() -> Self {
        Synonyms::new(SYNONYM_GROUPS)
    }
}

/// Normalises, applies synonyms and tokenises `text`.
pub fn tokenize(text: &str, synonyms: &Synonyms, opts: TokenOptions) -> Vec<String> {
    let mut out = Vec::new();
    tokenize_normalized(&synonyms.apply(&normalize(text)), opts, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokenize(s, &Synonyms::new(&[]), TokenOptions::default())
    }

    #[test]
    fn card_reader_spellings_meet() {
        let a = normalize("ｶｰﾄﾞﾘｰﾀﾞｰ");
        assert_eq!(a, normalize("カードリーダ"));
        assert_eq!(a, normalize("カードリーダー"));
        assert_eq!(a, normalize("カ－ドリ－ダ－"));
        assert_eq!(a, "カドリダ");
    }

    #[test]
    fn normalize_keeps_scripts_and_folds_width() {
        assert_eq!(normalize("ＡＢＣ１２３　テスト"), "abc123 テスト");
        assert_eq!(normalize("ひらがな・カタカナ"), "ひらがな カタカナ");
        assert_eq!(normalize("ウェブ"), normalize("ウエブ"));
        assert_eq!(normalize("ヴィ"), "ブイ");
        assert_eq!(normalize("2,101,000円、3,4,1234"), "2101000円 3 4 1234");
    }

    #[test]
    fn kanji_unigrams_and_bigrams() {
        assert_eq!(toks("補助金"), ["補", "補助", "助", "助金", "金"]);
    }

    #[test]
    fn okurigana_variants_share_a_pair() {
        for s in ["申込", "申し込み", "申込み"] {
            assert!(toks(s).contains(&"申込".to_string()), "{s}: {:?}", toks(s));
        }
        assert!(toks("問い合わせ").contains(&"問合".to_string()));
        // A particle is not okurigana: 機種を選ぶ gives no 種選.
        assert!(!toks("機種を選ぶ").contains(&"種選".to_string()));
    }

    #[test]
    fn katakana_runs_and_bigrams() {
        let t = toks("シカクです");
        assert!(t.contains(&"シカク".to_string()));
        assert!(t.contains(&"シカ".to_string()));
        assert!(t.contains(&"です".to_string()));
        // The kana bridge: シカク also gives しか/かく, so しかく typed in hiragana meets it.
        assert!(t.contains(&"かく".to_string()));
        let off = TokenOptions { kana_bridge: false, ..TokenOptions::default() };
        assert!(!tokenize("シカク", &Synonyms::new(&[]), off).contains(&"かく".to_string()));
    }

    #[test]
    fn half_converted_words_meet_their_katakana() {
        let opts = TokenOptions { mixed_kana: true, ..TokenOptions::default() };
        let doc = tokenize("カードリーダー", &Synonyms::new(&[]), opts);
        let query = tokenize("カードりーだーの申し込み", &Synonyms::new(&[]), opts);
        for bigram in ["ドリ", "リダ"] {
            assert!(doc.contains(&bigram.to_string()) && query.contains(&bigram.to_string()), "{bigram}");
        }
        assert_eq!(normalize("すごーい"), "すごい");
    }

    #[test]
    fn numbers_with_counters_are_terms() {
        for (text, term) in [
            ("病院で3台", "3台"),
            ("8月1日まで", "8月"),
            ("8月1日まで", "1日"),
            ("びょういん3だいの補助", "3台"),
            ("3ヶ月", "3か月"),
            ("3カ月", "3か月"),
            ("３か月後", "3か月"),
            ("1通300円", "300円"),
        ] {
            assert!(toks(text).contains(&term.to_string()), "{text}: {:?}", toks(text));
        }
        assert!(!toks("3 台").contains(&"3台".to_string()));
        let off = TokenOptions { counters: false, ..TokenOptions::default() };
        assert!(!tokenize("3台", &Synonyms::new(&[]), off).contains(&"3台".to_string()));
    }

    #[test]
    fn phone_numbers_join_across_hyphens() {
        let t = toks("0800-080-4583");
        assert!(t.contains(&"08000804583".to_string()));
        assert!(t.contains(&"0800".to_string()));
        assert!(toks("０８００－０８０４５８３").contains(&"08000804583".to_string()));
        assert!(toks("08000804583").contains(&"08000804583".to_string()));
    }

    #[test]
    fn hiragana_bigrams_only_when_asked() {
        let opts = TokenOptions { hiragana_bigrams: true, ..TokenOptions::default() };
        let t = tokenize("いつまで", &Synonyms::new(&[]), opts);
        assert_eq!(t, ["いつ", "つま", "まで"]);
        let off = TokenOptions { hiragana_bigrams: false, ..TokenOptions::default() };
        assert!(tokenize("いつまで", &Synonyms::new(&[]), off).is_empty());
    }

    #[test]
    fn synonyms_rewrite_to_canonical() {
        let s = Synonyms::default();
        assert_eq!(s.apply(&normalize("読み取り機")), normalize("カードリーダー"));
        assert_eq!(s.apply(&normalize("助成金")), "補助金");
        assert_eq!(s.apply(&normalize("機種がまだ決まっていない")), "機種が未定");
        assert_eq!(s.apply(&normalize("機種未定")), "機種未定");
    }

    #[test]
    fn odd_input_never_panics() {
        for s in ["", " ", "\u{301}", "ー", "-", "--1-", "🙂🙂", "\u{0}\u{7f}", "々々", "a-", "1-"] {
            let _ = tokenize(s, &Synonyms::default(), TokenOptions::default());
        }
        let long = "あ".repeat(10_000);
        assert_eq!(toks(&long).len(), 9_999);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Japanese-heavy text with the awkward cases mixed in: combining marks, long vowel
        /// marks, half-width kana, separators, digits with commas and hyphens, emoji, controls.
        fn text() -> impl Strategy<Value = String> {
            let pieces = prop_oneof![
                "[ぁ-ゖァ-ヺー・ｦ-ﾟ一-龠々]{1,6}",
                "[0-9０-９,，\\-－ー〜~ .]{1,6}",
                "[a-zA-Zａ-ｚ]{1,4}",
                any::<char>().prop_map(|c| c.to_string()),
                Just("\u{301}\u{3099}".to_string()),
                Just("🙂\u{0}\u{7f}\t\n".to_string()),
            ];
            proptest::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
        }

        proptest! {
            #[test]
            fn normalize_is_idempotent(s in text()) {
                let once = normalize(&s);
                prop_assert_eq!(normalize(&once), once);
            }

            #[test]
            fn tokenize_never_panics_and_gives_no_empty_token(s in text()) {
                for opts in [TokenOptions::default(), TokenOptions { hiragana_bigrams: false, ..TokenOptions::default() }] {
                    let toks = tokenize(&s, &Synonyms::default(), opts);
                    prop_assert!(toks.iter().all(|t| !t.is_empty() && !t.contains(' ')));
                }
            }

            #[test]
            fn any_string_never_panics(s in any::<String>()) {
                let _ = tokenize(&s, &Synonyms::default(), TokenOptions::default());
            }
        }

        #[test]
        fn a_10000_character_query_is_fine() {
            let q = "機種未定のカードリーダー、0800-080-4583に電話🙂".repeat(400);
            assert!(q.chars().count() >= 10_000);
            assert!(!tokenize(&q, &Synonyms::default(), TokenOptions::default()).is_empty());
        }
    }
}
