//! Inferring a katakana reading for a name that came without one (the real code lists have
//! none), so that it can still be found by kana and romaji.
//!
//! A word → reading table (`data/reading/table.tsv`, ≈ 145,000 words: IPAdic's nouns, person
//! and place names, suffixes and prefixes, Japan Post's municipalities and neighbourhoods, and
//! this domain's words; licence and sources in `data/reading/`, rebuilt by
//! `scripts/build_reading_table.py`) is compiled into the binary: nothing is downloaded at
//! build or run time. A name is segmented into the fewest table words (kana, digits and
//! letters stand for themselves); every word's first reading gives the best reading, and a
//! word's second reading (高田 タカダ / タカタ, 三瓶 サンベ / ミカメ) gives alternatives, all
//! of which the index holds. A word is looked up as written and with its variant kanji folded
//! (廣島 as 広島); Latin letters are read by their names (JA ジェイエー / ジェイエイ). A name with a kanji no word covers gets no reading at all rather
//! than a wrong one.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::variants;

/// The table as shipped: `word<TAB>reading[,reading]` lines sorted by word.
const TABLE: &str = include_str!("../../data/reading/table.tsv");

/// Longest word in the table, in characters (the build script's `MAX_LEN`).
const MAX_WORD: usize = 12;

/// At most this many readings per name.
const MAX_READINGS: usize = 4;

/// (word, readings) sorted by word, parsed once on first use.
fn table() -> &'static [(&'static str, &'static str)] {
    static PARSED: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    PARSED.get_or_init(|| {
        TABLE.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t')).collect()
    })
}

/// The readings of `word`, best first, if the table has it.
fn lookup(word: &str) -> Option<&'static str> {
    let t = table();
    t.binary_search_by(|(w, _)| (*w).cmp(word)).ok().map(|i| t[i].1)
}

/// Number of words in the table (for the coverage report).
pub fn table_words() -> usize {
    table().len()
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々' | '〆' | 'ヶ')
}

/// A plausible katakana reading of `name`, or `None` when nothing sensible can be said.
pub fn infer_reading(name: &str) -> Option<String> {
    infer_readings(name).into_iter().next()
}

/// Every plausible katakana reading of `name`, best first (empty when none).
pub fn infer_readings(name: &str) -> Vec<String> {
    let text: String = name.nfkc().filter(|c| !c.is_whitespace() && *c != '・').collect();
    if text.is_empty() {
        return Vec::new();
    }
    let words = segment(&text).or_else(|| {
        let folded: String = text.chars().map(variants::fold_char).collect();
        segment(&folded)
    });
    let Some(words) = words else {
        return Vec::new();
    };
    let first = |w: &Word| w.readings.split(',').next().unwrap_or("").to_string();
    let best: Vec<String> = words.iter().map(first).collect();
    let mut out = vec![best.concat()];
    for (i, w) in words.iter().enumerate() {
        if out.len() >= MAX_READINGS {
            break;
        }
        if let Some(second) = w.readings.split(',').nth(1) {
            let mut alt = best.clone();
            alt[i] = second.to_string();
            let alt = alt.concat();
            if !out.contains(&alt) {
                out.push(alt);
            }
        }
    }
    out
}

/// One segment of a name and its readings (comma separated, best first).
struct Word {
    readings: String,
}

/// The fewest-words segmentation of `text` (the same algorithm as the build script's
/// `segment`, which drops words this rebuilds from shorter ones); `None` when a kanji is in
/// no word.
fn segment(text: &str) -> Option<Vec<Word>> {
    let chars: Vec<char> = text.chars().collect();
    let offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    // The same text with variant kanji folded (廣島 → 広島), offset by offset: a word the table
    // has only in its current form is still found.
    let folded: String = chars.iter().map(|&c| variants::fold_char(c)).collect();
    let folded_offsets: Vec<usize> = folded.char_indices().map(|(i, _)| i).chain([folded.len()]).collect();
    let n = chars.len();
    let mut best = vec![usize::MAX; n + 1];
    let mut back: Vec<Option<(usize, String)>> = vec![None; n + 1];
    best[0] = 0;
    for i in 0..n {
        if best[i] == usize::MAX {
            continue;
        }
        for j in (i + 1..=n.min(i + MAX_WORD)).rev() {
            let word = &text[offsets[i]..offsets[j]];
            let found = lookup(word).or_else(|| {
                let f = &folded[folded_offsets[i]..folded_offsets[j]];
                (f != word).then(|| lookup(f)).flatten()
            });
            let readings = match found {
                Some(r) => r.to_string(),
                None if j == i + 1 && !is_kanji(chars[i]) => passthrough(chars[i]),
                None => continue,
            };
            if best[i] + 1 < best[j] {
                best[j] = best[i] + 1;
                back[j] = Some((i, readings));
            }
        }
    }
    if best[n] == usize::MAX {
        return None;
    }
    let mut words = Vec::with_capacity(best[n]);
    let mut j = n;
    while j > 0 {
        let (i, readings) = back[j].take()?;
        words.push(Word { readings });
        j = i;
    }
    words.reverse();
    Some(words)
}

/// A character that stands for itself: hiragana as katakana, a Latin letter as its name
/// (JA ジェイエー / ジェイエイ, NTT エヌティーティー: how callers and official readings say
/// them; the usual second name as an alternative), anything else unchanged.
fn passthrough(c: char) -> String {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c).to_string(),
        'A'..='Z' | 'a'..='z' => LETTER_NAMES[(c.to_ascii_uppercase() as u8 - b'A') as usize].to_string(),
        _ => c.to_string(),
    }
}

/// The katakana names of A to Z (best first, comma separated like the table's readings).
const LETTER_NAMES: [&str; 26] = [
    "エー,エイ",
    "ビー",
    "シー",
    "ディー",
    "イー",
    "エフ",
    "ジー",
    "エイチ,エッチ",
    "アイ",
    "ジェイ,ジェー",
    "ケー,ケイ",
    "エル",
    "エム",
    "エヌ",
    "オー",
    "ピー",
    "キュー",
    "アール",
    "エス",
    "ティー",
    "ユー",
    "ブイ",
    "ダブリュー",
    "エックス",
    "ワイ",
    "ゼット",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_loads() {
        let t = table();
        assert!(t.len() > 50_000, "{} words", t.len());
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "table.tsv must be sorted by word");
    }

    #[test]
    fn reads_the_seed_institutions() {
        assert_eq!(infer_reading("日本海総合病院").as_deref(), Some("ニホンカイソウゴウビョウイン"));
        assert_eq!(infer_reading("矢嶋歯科医院").as_deref(), Some("ヤジマシカイイン"));
        assert_eq!(infer_reading("さなえ薬局").as_deref(), Some("サナエヤッキョク"));
        assert_eq!(infer_reading("あかいクリニック").as_deref(), Some("アカイクリニック"));
    }

    #[test]
    fn keeps_alternatives_for_names_read_two_ways() {
        let r = infer_readings("高田内科");
        assert!(r.contains(&"タカダナイカ".to_string()) && r.contains(&"タカタナイカ".to_string()), "{r:?}");
        let r = infer_readings("副島医院");
        assert_eq!(r.first().map(String::as_str), Some("ソエジマイイン"), "{r:?}");
    }

    #[test]
    fn variant_kanji_and_latin_letters_are_read() {
        assert_eq!(infer_reading("廣島総合病院").as_deref(), Some("ヒロシマソウゴウビョウイン"));
        let r = infer_readings("JA広島総合病院");
        assert!(r.contains(&"ジェイエイヒロシマソウゴウビョウイン".to_string()), "{r:?}");
        assert_eq!(infer_reading("ｎｔｔ").as_deref(), Some("エヌティーティー"));
    }

    #[test]
    fn no_reading_rather_than_a_wrong_one() {
        assert_eq!(infer_reading("\u{2A6B2}\u{2A6B2}"), None);
        assert_eq!(infer_reading(""), None);
    }

    /// Real names (the seed's, `real_codes.tsv`'s and real clinics from the public code lists)
    /// with their official or hand-checked readings.
    const HAND_CHECKED: &[(&str, &str)] = &[
        ("日本海総合病院", "ニホンカイソウゴウビョウイン"),
        ("矢嶋歯科医院", "ヤジマシカイイン"),
        ("さなえ薬局", "サナエヤッキョク"),
        ("あかいクリニック", "アカイクリニック"),
        ("NTT東日本札幌病院", "エヌティーティーヒガシニホンサッポロビョウイン"),
        ("石巻赤十字病院", "イシノマキセキジュウジビョウイン"),
        ("杉田病院", "スギタビョウイン"),
        ("中電病院", "チュウデンビョウイン"),
        ("オリブ山病院", "オリブヤマビョウイン"),
        ("大阪大学歯学部附属病院", "オオサカダイガクシガクブフゾクビョウイン"),
        ("虎の門病院", "トラノモンビョウイン"),
        ("聖路加国際病院", "セイロカコクサイビョウイン"),
        ("浜田病院", "ハマダビョウイン"),
        ("平和病院", "ヘイワビョウイン"),
        ("与野中央病院", "ヨノチュウオウビョウイン"),
        ("中村古峡記念病院", "ナカムラコキョウキネンビョウイン"),
        ("窪田医院", "クボタイイン"),
        ("へきなん中村眼科", "ヘキナンナカムラガンカ"),
        ("帯屋町ハートクリニック", "オビヤマチハートクリニック"),
        ("細部眼科医院", "ホソベガンカイイン"),
        ("川崎クリニック", "カワサキクリニック"),
        ("浅井クリニック", "アサイクリニック"),
        ("鶴見皮膚科", "ツルミヒフカ"),
        ("わだ内科外科クリニック", "ワダナイカゲカクリニック"),
        ("細谷医院", "ホソヤイイン"),
        ("堀井耳鼻咽喉科", "ホリイジビインコウカ"),
        ("松永眼科", "マツナガガンカ"),
        ("菜の花マタニティクリニック", "ナノハナマタニティクリニック"),
        ("城北公園クリニック", "ジョウホクコウエンクリニック"),
        ("上土整形外科", "アゲツチセイケイゲカ"),
        ("松川クリニック", "マツカワクリニック"),
        ("川嵜耳鼻咽喉科", "カワサキジビインコウカ"),
        ("片山耳鼻咽喉科", "カタヤマジビインコウカ"),
        ("田辺医院", "タナベイイン"),
        ("生田病院", "イクタビョウイン"),
        ("青木眼科", "アオキガンカ"),
        ("富沢あおき内科クリニック", "トミザワアオキナイカクリニック"),
        ("松の木こどもクリニック", "マツノキコドモクリニック"),
        ("糖尿病クリニック堅田", "トウニョウビョウクリニックカタタ"),
        ("宮内整形外科", "ミヤウチセイケイゲカ"),
        ("西村泌尿器科", "ニシムラヒニョウキカ"),
        ("浜松町眼科", "ハママツチョウガンカ"),
        ("田村産婦人科", "タムラサンフジンカ"),
        ("栗原整形外科", "クリハラセイケイゲカ"),
        ("奥村医院", "オクムライイン"),
        ("さくらクリニック江戸川橋", "サクラクリニックエドガワバシ"),
        ("木村眼科クリニック", "キムラガンカクリニック"),
        ("夏目整形外科", "ナツメセイケイゲカ"),
        ("曽山医院", "ソヤマイイン"),
        ("副島医院", "ソエジマイイン"),
        ("出水総合医療センター", "イズミソウゴウイリョウセンター"),
        ("市民病院", "シミンビョウイン"),
    ];

    #[test]
    fn accuracy_on_hand_checked_real_names() {
        use crate::search::normalize::{fold, reading_key, voiceless_key};
        let loose = |s: &str| voiceless_key(&reading_key(&fold(s)));
        let (mut exact, mut any, mut read) = (0, 0, 0);
        for (name, want) in HAND_CHECKED {
            let got = infer_readings(name);
            if !got.is_empty() {
                read += 1;
            }
            if got.first().map(String::as_str) == Some(*want) {
                exact += 1;
            } else {
                println!("{name}: want {want}, got {got:?}");
            }
            if got.iter().any(|g| loose(g) == loose(want)) {
                any += 1;
            }
        }
        let n = HAND_CHECKED.len() as f64;
        println!(
            "reading inference on {} hand-checked names: best exact {:.2}, some reading matches loosely {:.2}, read at all {:.2}",
            HAND_CHECKED.len(),
            exact as f64 / n,
            any as f64 / n,
            read as f64 / n
        );
        assert!(exact as f64 / n >= 0.75, "exact {exact}/{n}");
        assert!(any as f64 / n >= 0.85, "any {any}/{n}");
    }

    /// Coverage on the real 医科 list when the shared data folder is present.
    #[test]
    fn coverage_on_the_real_list_when_present() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/real_medical_institutions_2025-08.csv");
        let path = if path.exists() {
            path
        } else {
            std::path::PathBuf::from("/work/shared/data/real_medical_institutions_2025-08.csv")
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("SKIPPED: {} not present; reading coverage on real names not measured", path.display());
            return;
        };
        let names: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
        let t = std::time::Instant::now();
        let read = names.iter().filter(|n| !infer_readings(n).is_empty()).count();
        let share = read as f64 / names.len().max(1) as f64;
        println!(
            "reading inference: {read}/{} real names read ({:.1}%), {:.1} µs a name",
            names.len(),
            share * 100.0,
            t.elapsed().as_secs_f64() * 1e6 / names.len().max(1) as f64
        );
        assert!(share >= 0.9, "only {share:.3} of real names got a reading");
    }
}
