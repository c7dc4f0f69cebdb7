//! Sino-Japanese readings of kanji runs, character by character: the fallback of reading
//! inference for runs the word table does not know, or knows only with a name's kun reading
//! (愛生 アイオイ where a corporation's 愛生会 is アイセイカイ).
//!
//! The per-kanji on'yomi (`data/reading/onyomi.tsv`: Unihan's `kJapaneseOn` for the kanji of
//! JIS X 0208, joyo and jinmeiyo kanji, best first as ranked by IPAdic's two-kanji words; source
//! and licence in `data/reading/`, rebuilt by `scripts/build_onyomi_table.py`) is compiled in
//! and parsed once on first use. Readings are joined with the one sound change that is regular
//! in on'yomi compounds: a final ツ/チ becomes a small ッ before k, s, t and h (h turning p:
//! 一 イチ + 派 ハ = イッパ), a final ク or キ before k (学 ガク + 校 コウ = ガッコウ, 石 セキ + 灰 カイ = セッカイ). On IPAdic's
//! two-kanji words, the best readings so joined spell 0.723 of them, 0.684 without the change.

use std::sync::OnceLock;

use super::super::variants;

/// The table as shipped: `kanji<TAB>reading[,reading]` lines sorted by kanji.
pub(crate) static TABLE: &str = include_str!("../../../data/reading/onyomi.tsv");

/// (kanji, readings) sorted by kanji, parsed once on first use.
fn table() -> &'static [(char, &'static str)] {
    static PARSED: OnceLock<Vec<(char, &'static str)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .filter_map(|(k, r)| {
                let mut chars = k.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !r.is_empty() => Some((c, r)),
                    _ => None,
                }
            })
            .collect()
    })
}

/// Two- and three-kanji words IPAdic has only as given names, as the word table reads them
/// (`data/reading/given_names.txt`, one a line, sorted; built with the on'yomi table).
pub(crate) static GIVEN_NAMES: &str = include_str!("../../../data/reading/given_names.txt");

/// Whether the word table's reading of `word` is only a given name's (成仁 シゲヒト).
pub fn is_given_name(word: &str) -> bool {
    static PARSED: OnceLock<Vec<&'static str>> = OnceLock::new();
    let names = PARSED.get_or_init(|| GIVEN_NAMES.lines().filter(|l| !l.starts_with('#')).collect());
    names.binary_search(&word).is_ok()
}

/// The on'yomi of `kanji`, best first, as written or with its variant folded (廣 as 広).
pub fn readings(kanji: char) -> impl Iterator<Item = &'static str> {
    let t = table();
    let find = |c: char| t.binary_search_by_key(&c, |&(k, _)| k).ok().map(|i| t[i].1);
    let found = find(kanji).or_else(|| {
        let folded = variants::fold_char(kanji);
        (folded != kanji).then(|| find(folded)).flatten()
    });
    found.into_iter().flat_map(|r| r.split(','))
}

/// The best on'yomi of `kanji`, if it has one.
pub fn best(kanji: char) -> Option<&'static str> {
    readings(kanji).next()
}

/// Whether a kana starts with k, s, t or h (the sounds a preceding ツ/チ doubles before).
fn voiceless_onset(c: char) -> bool {
    "カキクケコサシスセソタチツテトハヒフヘホ".contains(c)
}

/// `first` as it is said before `second` in one word, and `second` after it: ツ/チ at the end
/// of a reading of two or more kana becomes ッ before k, s, t, h (h then p), ク or キ before k.
pub fn join_pair(first: &str, second: &str) -> (String, String) {
    let mut f: Vec<char> = first.chars().collect();
    let mut s: Vec<char> = second.chars().collect();
    if let (Some(&last), Some(&onset)) = (f.last(), s.first())
        && f.len() >= 2
        && voiceless_onset(onset)
    {
        let k_row = "カキクケコ".contains(onset);
        if matches!(last, 'ツ' | 'チ') {
            f.pop();
            f.push('ッ');
            if "ハヒフヘホ".contains(onset) {
                // ハ → パ: the p forms sit two code points further on.
                s[0] = char::from_u32(onset as u32 + 2).unwrap_or(onset);
            }
        } else if matches!(last, 'ク' | 'キ') && k_row {
            f.pop();
            f.push('ッ');
        }
    }
    (f.into_iter().collect(), s.into_iter().collect())
}

/// Readings (one per kanji, in order) spoken as one word.
pub fn join(parts: &[&str]) -> String {
    let mut parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    for i in 1..parts.len() {
        let (f, s) = join_pair(&parts[i - 1], &parts[i]);
        parts[i - 1] = f;
        parts[i] = s;
    }
    parts.concat()
}

/// `text` (kanji only) read as one sino-Japanese word, by each kanji's best on'yomi; `None` if a
/// character has none.
pub fn compound(text: &str) -> Option<String> {
    let parts: Option<Vec<&str>> = text.chars().map(best).collect();
    parts.filter(|p| !p.is_empty()).map(|p| join(&p))
}

/// Whether `reading` is an on'yomi reading of `text`: some choice of each kanji's on'yomi,
/// joined with or without the sound change, spells it (セイジン for 成仁, not シゲヒト).
pub fn is_sino_reading(text: &str, reading: &str) -> bool {
    let options: Vec<Vec<&str>> = text.chars().map(|c| readings(c).collect()).collect();
    if options.is_empty() || options.iter().any(Vec::is_empty) || options.len() > 4 {
        return false;
    }
    let mut pick = vec![0usize; options.len()];
    loop {
        let parts: Vec<&str> = pick.iter().zip(&options).map(|(&i, o)| o[i]).collect();
        if parts.concat() == reading || join(&parts) == reading {
            return true;
        }
        // Next choice, like an odometer.
        let mut k = 0;
        while k < pick.len() {
            pick[k] += 1;
            if pick[k] < options[k].len() {
                break;
            }
            pick[k] = 0;
            k += 1;
        }
        if k == pick.len() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_small() {
        let t = table();
        assert!(t.len() > 5_000, "{} kanji", t.len());
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "onyomi.tsv must be sorted by kanji");
        assert!(TABLE.len() < 200_000, "{} bytes", TABLE.len());
    }

    #[test]
    fn given_names_are_known() {
        let names: Vec<&str> = GIVEN_NAMES.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "given_names.txt must be sorted");
        assert!(is_given_name("成仁"));
        assert!(!is_given_name("田中"), "a surname");
        assert!(!is_given_name("平和"));
        assert!(!is_given_name(""));
    }

    #[test]
    fn best_readings_come_first() {
        assert_eq!(best('愛'), Some("アイ"));
        assert_eq!(best('生'), Some("セイ"));
        assert_eq!(best('大'), Some("ダイ"));
        assert!(readings('生').any(|r| r == "ショウ"));
        assert_eq!(best('廣'), best('広'), "variant kanji are folded");
        assert_eq!(best('あ'), None);
        assert_eq!(best('\u{2A6B2}'), None);
    }

    #[test]
    fn gemination_before_voiceless_sounds() {
        assert_eq!(join(&["イチ", "ハ"]), "イッパ");
        assert_eq!(join(&["ガク", "コウ"]), "ガッコウ");
        assert_eq!(join(&["ハツ", "テン"]), "ハッテン");
        assert_eq!(join(&["ニチ", "ジョウ"]), "ニチジョウ", "no change before a voiced sound");
        assert_eq!(join(&["ガク", "セイ"]), "ガクセイ", "ク only doubles before k");
        assert_eq!(join(&["ツ", "カ"]), "ツカ", "a one-kana reading stays");
        assert_eq!(join(&["セイ"]), "セイ");
        assert_eq!(join(&[]), "");
    }

    #[test]
    fn compounds_read_kanji_by_kanji() {
        assert_eq!(compound("愛生").as_deref(), Some("アイセイ"));
        assert_eq!(compound("成仁").as_deref(), Some("セイジン"));
        assert_eq!(compound("学校").as_deref(), Some("ガッコウ"));
        assert_eq!(compound("愛あ"), None);
        assert_eq!(compound(""), None);
    }

    #[test]
    fn sino_readings_are_recognised() {
        assert!(is_sino_reading("成仁", "セイジン"));
        assert!(is_sino_reading("生成", "ショウジョウ"), "any choice of readings");
        assert!(is_sino_reading("一派", "イッパ"));
        assert!(!is_sino_reading("成仁", "シゲヒト"));
        assert!(!is_sino_reading("", ""));
        assert!(!is_sino_reading("愛あ", "アイア"));
    }
}
