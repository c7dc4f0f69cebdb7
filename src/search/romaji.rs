//! Romaji typed with the IME off, read as kana so it can be matched against readings.
//!
//! Hepburn and kunrei spellings (shi/si, tsu/tu, chi/ti, fu/hu, ja/zya/jya), IME spellings
//! (nn, n', doubled consonants for っ, `-` for ー), Hepburn's m before b/p/m (shimbashi),
//! long vowels written ou/oo/o/ō/oh (ohno). A half-typed last syllable (`yajim`) is kept as
//! `rest`: [`next_kana`] says which kana it can begin, so `yajim` finds やじま.
//!
//! Why not the `wana_kana` crate: matching needs the half-typed tail kept apart from the
//! complete syllables (so `kan` can still become かな), which a whole-word converter does not
//! give; this table is small and does exactly what matching needs, with no dependency.

/// A query read as romaji: the kana of the complete syllables and the letters left over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomajiReading {
    /// Hiragana of the complete syllables (not yet a reading key).
    pub kana: String,
    /// Trailing letters that only begin a syllable (`m` of `yajim`, `sh`, `ky`, `n`).
    pub rest: String,
}

/// Romaji → hiragana, Hepburn, kunrei and IME spellings. Longest keys first is not needed:
/// the converter tries 3, 2, then 1 letters.
#[rustfmt::skip]
const TABLE: &[(&str, &str)] = &[
    ("a", "あ"), ("i", "い"), ("u", "う"), ("e", "え"), ("o", "お"),
    ("ka", "か"), ("ki", "き"), ("ku", "く"), ("ke", "け"), ("ko", "こ"),
    ("kya", "きゃ"), ("kyu", "きゅ"), ("kyo", "きょ"), ("kye", "きぇ"),
    ("ca", "か"), ("cu", "く"), ("co", "こ"),
    ("sa", "さ"), ("si", "し"), ("shi", "し"), ("su", "す"), ("se", "せ"), ("so", "そ"),
    ("sya", "しゃ"), ("syu", "しゅ"), ("syo", "しょ"), ("sye", "しぇ"),
    ("sha", "しゃ"), ("shu", "しゅ"), ("sho", "しょ"), ("she", "しぇ"),
    ("ta", "た"), ("ti", "ち"), ("chi", "ち"), ("tu", "つ"), ("tsu", "つ"), ("te", "て"), ("to", "と"),
    ("tya", "ちゃ"), ("tyu", "ちゅ"), ("tyo", "ちょ"), ("tye", "ちぇ"),
    ("cha", "ちゃ"), ("chu", "ちゅ"), ("cho", "ちょ"), ("che", "ちぇ"),
    ("cya", "ちゃ"), ("cyu", "ちゅ"), ("cyo", "ちょ"),
    ("thi", "てぃ"), ("tsa", "つぁ"),
    ("na", "な"), ("ni", "に"), ("nu", "ぬ"), ("ne", "ね"), ("no", "の"),
    ("nya", "にゃ"), ("nyu", "にゅ"), ("nyo", "にょ"), ("nn", "ん"), ("n'", "ん"),
    ("ha", "は"), ("hi", "ひ"), ("hu", "ふ"), ("fu", "ふ"), ("he", "へ"), ("ho", "ほ"),
    ("hya", "ひゃ"), ("hyu", "ひゅ"), ("hyo", "ひょ"),
    ("fa", "ふぁ"), ("fi", "ふぃ"), ("fe", "ふぇ"), ("fo", "ふぉ"),
    ("ma", "ま"), ("mi", "み"), ("mu", "む"), ("me", "め"), ("mo", "も"),
    ("mya", "みゃ"), ("myu", "みゅ"), ("myo", "みょ"),
    ("ya", "や"), ("yu", "ゆ"), ("yo", "よ"), ("ye", "いぇ"),
    ("ra", "ら"), ("ri", "り"), ("ru", "る"), ("re", "れ"), ("ro", "ろ"),
    ("rya", "りゃ"), ("ryu", "りゅ"), ("ryo", "りょ"),
    ("wa", "わ"), ("wi", "うぃ"), ("we", "うぇ"), ("wo", "を"),
    ("ga", "が"), ("gi", "ぎ"), ("gu", "ぐ"), ("ge", "げ"), ("go", "ご"),
    ("gya", "ぎゃ"), ("gyu", "ぎゅ"), ("gyo", "ぎょ"),
    ("za", "ざ"), ("zi", "じ"), ("zu", "ず"), ("ze", "ぜ"), ("zo", "ぞ"),
    ("zya", "じゃ"), ("zyu", "じゅ"), ("zyo", "じょ"),
    ("ja", "じゃ"), ("ji", "じ"), ("ju", "じゅ"), ("je", "じぇ"), ("jo", "じょ"),
    ("jya", "じゃ"), ("jyu", "じゅ"), ("jyo", "じょ"),
    ("da", "だ"), ("di", "ぢ"), ("du", "づ"), ("de", "で"), ("do", "ど"),
    ("dya", "ぢゃ"), ("dyu", "ぢゅ"), ("dyo", "ぢょ"), ("dhi", "でぃ"),
    ("ba", "ば"), ("bi", "び"), ("bu", "ぶ"), ("be", "べ"), ("bo", "ぼ"),
    ("bya", "びゃ"), ("byu", "びゅ"), ("byo", "びょ"),
    ("pa", "ぱ"), ("pi", "ぴ"), ("pu", "ぷ"), ("pe", "ぺ"), ("po", "ぽ"),
    ("pya", "ぴゃ"), ("pyu", "ぴゅ"), ("pyo", "ぴょ"),
    ("va", "ゔぁ"), ("vi", "ゔぃ"), ("vu", "ゔ"), ("ve", "ゔぇ"), ("vo", "ゔぉ"),
    ("-", "ー"),
];

fn lookup(key: &str) -> Option<&'static str> {
    // A map, not a scan: the typo step reads hundreds of mended spellings per query.
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for &(k, v) in TABLE {
            m.entry(k).or_insert(v);
        }
        m
    })
    .get(key)
    .copied()
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'i' | 'u' | 'e' | 'o')
}

fn is_consonant(c: char) -> bool {
    c.is_ascii_lowercase() && !is_vowel(c)
}

/// Reads folded text (lower case, no spaces) as romaji. `None` when it holds anything but
/// letters, `-`, `'` and macron vowels, or a letter sequence no Japanese syllable spells.
pub fn to_kana(text: &str) -> Option<RomajiReading> {
    // Macrons and circumflexes are long vowels: ō → o-, which the reading key drops.
    let mut s: Vec<char> = Vec::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            'ā' | 'â' => s.extend(['a', '-']),
            'ī' | 'î' => s.extend(['i', '-']),
            'ū' | 'û' => s.extend(['u', '-']),
            'ē' | 'ê' => s.extend(['e', '-']),
            'ō' | 'ô' => s.extend(['o', '-']),
            'a'..='z' | '-' | '\'' => s.push(c),
            _ => return None,
        }
    }
    if !s.iter().any(|c| c.is_ascii_lowercase()) {
        return None;
    }
    let mut kana = String::new();
    let mut key = String::with_capacity(3);
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        // Hepburn "oh" before a consonant is a long o (Ohno, Ohta).
        if c == 'h'
            && i > 0
            && s[i - 1] == 'o'
            && next.is_some_and(|n| is_consonant(n) && n != 'y' && n != 'h')
        {
            i += 1;
            continue;
        }
        // っ: a doubled consonant (kk, ss, tt, pp ...) or t before ch (Hepburn "tch").
        if is_consonant(c) && c != 'n' && (next == Some(c) || (c == 't' && next == Some('c'))) {
            kana.push('っ');
            i += 1;
            continue;
        }
        // ん: n before a consonant other than y (and not nn, which the table reads), and
        // Hepburn's m before b, p, m.
        if c == 'n' && next.is_some_and(|n| is_consonant(n) && n != 'y' && n != 'n') {
            kana.push('ん');
            i += 1;
            continue;
        }
        if c == 'm' && matches!(next, Some('b' | 'p' | 'm')) {
            kana.push('ん');
            i += 1;
            continue;
        }
        let mut matched = false;
        for len in (1..=3).rev() {
            if i + len > s.len() {
                continue;
            }
            key.clear();
            key.extend(&s[i..i + len]);
            if let Some(k) = lookup(&key) {
                kana.push_str(k);
                i += len;
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        if c == '\'' {
            i += 1;
            continue;
        }
        // No syllable here: the rest must be the beginning of one, typed last.
        let rest: String = s[i..].iter().collect();
        if TABLE.iter().any(|(k, _)| k.len() > rest.len() && k.starts_with(&rest)) {
            return Some(RomajiReading { kana, rest });
        }
        return None;
    }
    Some(RomajiReading { kana, rest: String::new() })
}

/// The first character of the reading key of every syllable `rest` can begin (`m` → ま み む
/// め も; `n` → な ... の and ん; a lone consonant also → つ, the start of a っ).
pub fn next_kana(rest: &str) -> Vec<char> {
    let mut out: Vec<char> = TABLE
        .iter()
        .filter(|(k, _)| k.len() > rest.len() && k.starts_with(rest))
        .filter_map(|(_, v)| super::normalize::reading_key(v).chars().next())
        .collect();
    let mut chars = rest.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && is_consonant(c)
        && c != 'n'
    {
        out.push('つ');
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Kunrei and IME-only spellings, skipped when writing Hepburn.
const NOT_HEPBURN: &[&str] = &[
    "si", "ti", "tu", "hu", "zi", "zya", "zyu", "zyo", "sya", "syu", "syo", "sye", "tya", "tyu", "tyo",
    "tye", "cya", "cyu", "cyo", "ca", "cu", "co", "jya", "jyu", "jyo", "di", "du", "dya", "dyu", "dyo", "nn",
    "n'", "-",
];

/// Hepburn romaji of a kana reading (hiragana or katakana), as a caller would spell it with
/// the IME off: long vowels as written (おう → ou), っ doubling the next consonant, ー dropped.
/// Characters that are not kana pass through.
pub fn to_romaji(kana: &str) -> String {
    let hira: Vec<char> = kana.chars().map(super::normalize::katakana_to_hiragana).collect();
    let spell = |k: &str| -> Option<&'static str> {
        match k {
            "ぢ" => Some("ji"),
            "づ" => Some("zu"),
            "ん" => Some("n"),
            _ => TABLE.iter().find(|(r, v)| *v == k && !NOT_HEPBURN.contains(r)).map(|(r, _)| *r),
        }
    };
    let mut out = String::new();
    let mut double = false;
    let mut i = 0;
    while i < hira.len() {
        let c = hira[i];
        if c == 'っ' {
            double = true;
            i += 1;
            continue;
        }
        if c == 'ー' {
            i += 1;
            continue;
        }
        let two: String = hira[i..(i + 2).min(hira.len())].iter().collect();
        let (syllable, used) = match spell(&two) {
            Some(r) if two.chars().count() == 2 => (Some(r), 2),
            _ => (spell(&c.to_string()), 1),
        };
        match syllable {
            Some(r) => {
                if double {
                    let first = if r.starts_with("ch") { 't' } else { r.chars().next().unwrap_or('t') };
                    out.push(first);
                }
                out.push_str(r);
            }
            None => out.push(c),
        }
        double = false;
        i += used;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kana(s: &str) -> String {
        to_kana(s).map(|r| format!("{}|{}", r.kana, r.rest)).unwrap_or_else(|| "NONE".into())
    }

    #[test]
    fn hepburn_and_kunrei_spell_the_same_kana() {
        assert_eq!(kana("shinjuku"), kana("sinzyuku"));
        assert_eq!(kana("tsuchiya"), kana("tutiya"));
        assert_eq!(kana("fukuda"), kana("hukuda"));
        assert_eq!(kana("jouhoku"), "じょうほく|");
        assert_eq!(kana("shimbashi"), "しんばし|");
        assert_eq!(kana("kan'ichi"), "かんいち|");
        assert_eq!(kana("kannichi"), "かんいち|");
        assert_eq!(kana("hattori"), "はっとり|");
        assert_eq!(kana("matcha"), "まっちゃ|");
        assert_eq!(kana("ohno"), "おの|");
        assert_eq!(kana("ōno"), "おーの|");
        assert_eq!(kana("sentā"), "せんたー|");
    }

    #[test]
    fn half_typed_last_syllable_is_kept() {
        assert_eq!(kana("yajim"), "やじ|m");
        assert_eq!(kana("yajimash"), "やじま|sh");
        assert_eq!(kana("kan"), "か|n");
        assert_eq!(kana("ky"), "|ky");
        assert_eq!(next_kana("m"), vec!['つ', 'ま', 'み', 'む', 'め', 'も']);
        assert!(next_kana("n").contains(&'ん'));
        assert_eq!(next_kana("sh"), vec!['し']);
        assert_eq!(next_kana("ts"), vec!['つ']);
    }

    #[test]
    fn hepburn_out_reads_back_in() {
        assert_eq!(to_romaji("ヤジマシカイイン"), "yajimashikaiin");
        assert_eq!(to_romaji("さなえやっきょく"), "sanaeyakkyoku");
        assert_eq!(to_romaji("マッチャ"), "matcha");
        assert_eq!(to_romaji("チヅル"), "chizuru");
        for k in ["にほんかいそうごうびょういん", "しんじゅくくりにっく", "ふじたでんたる"]
        {
            // A final n stays `rest`: it may still become な or ん.
            let back = to_kana(&to_romaji(k)).map(|r| r.kana + if r.rest == "n" { "ん" } else { "" });
            assert_eq!(back, Some(k.to_string()), "{k}");
        }
    }

    #[test]
    fn not_romaji() {
        assert_eq!(kana("病院"), "NONE");
        assert_eq!(kana("123"), "NONE");
        assert_eq!(kana("xq"), "NONE");
        assert_eq!(kana("--"), "NONE");
    }
}
