//! Place words as callers say them: every prefecture, city, ward, town and village of Japan
//! (`data/demo/prefectures.tsv`, `municipalities.tsv`: the Japan Post list with its readings,
//! the same one the importer finds an address's city in), under every way an operator may type
//! it — kanji, or its reading in kana or romaji (a query's reading key, so hiragana, katakana,
//! half-width kana, Hepburn and kunrei all meet), with or without 市/区/町/村/県/都/府
//! (`mitaka`, `みたかし`, `たかはしちょう` and `たかはしまち` alike).
//!
//! A designated city's ward is a place word by itself (`中央区`, `ちゅうおう`: every 中央区 of
//! the country), with its city (`さっぽろ ちゅうおう`) and as the city (`さっぽろ`: every
//! ward). A town in a 郡 is its own name (`とうべつ`), or the county's (`いしかりぐん`).
//! A word naming several places names them all (府中: 東京都 and 広島県 府中市, 広島県 府中町).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::normalize::{fold, reading_key};
use super::romaji;

const PREFECTURES_TSV: &str = include_str!("../../data/demo/prefectures.tsv");
const MUNICIPALITIES_TSV: &str = include_str!("../../data/demo/municipalities.tsv");

/// One place a word may name: a whole prefecture (`city` none) or one municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceEntry {
    pub prefecture: &'static str,
    pub city: Option<&'static str>,
}

/// Every spelling of every place, by key (a reading key, or a folded kanji form), and the
/// places each names.
pub struct PlaceTable {
    entries: Vec<PlaceEntry>,
    by_key: HashMap<String, Vec<u32>>,
    /// The longest key, in characters: a query's start is looked up only so far.
    longest: usize,
}

/// The suffixes a kanji place name ends in, with the readings each may be said with.
const SUFFIXES: &[(char, &[&str])] = &[
    ('市', &["シ"]),
    ('区', &["ク"]),
    ('町', &["マチ", "チョウ"]),
    ('村', &["ムラ", "ソン"]),
    ('都', &["ト"]),
    ('府', &["フ"]),
    ('県', &["ケン"]),
];

/// Words shorter than this (in characters typed) are not place words: one kana (津 つ) names
/// too much.
const MIN_KEY_CHARS: usize = 2;

impl PlaceTable {
    /// The shipped table, built on first use (a few milliseconds).
    pub fn shipped() -> &'static PlaceTable {
        static TABLE: OnceLock<PlaceTable> = OnceLock::new();
        TABLE.get_or_init(|| PlaceTable::parse(PREFECTURES_TSV, MUNICIPALITIES_TSV))
    }

    fn parse(prefectures: &'static str, municipalities: &'static str) -> PlaceTable {
        let mut table = PlaceTable { entries: Vec::new(), by_key: HashMap::new(), longest: 0 };
        for cols in rows(prefectures) {
            let (Some(&name), Some(&kana)) = (cols.get(1), cols.get(2)) else { continue };
            let id = table.entry(PlaceEntry { prefecture: name, city: None });
            table.add_name(id, name, kana);
        }
        let munis: Vec<(&'static str, &'static str, &'static str)> =
            rows(municipalities).filter_map(|c| Some((*c.get(1)?, *c.get(2)?, *c.get(3)?))).collect();
        // A designated city's own reading: what all its wards' readings start with, up to the
        // シ of 市 (札幌市 サッポロシ, from サッポロシチュウオウク, サッポロシキタク ...).
        let mut city_kana: HashMap<(&str, &str), String> = HashMap::new();
        for &(pref, city, kana) in &munis {
            if let Some((c, _)) = designated(city) {
                let e = city_kana.entry((pref, c)).or_insert_with(|| kana.to_string());
                let common: usize =
                    e.chars().zip(kana.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
                e.truncate(common);
            }
        }
        for &(pref, city, kana) in &munis {
            let id = table.entry(PlaceEntry { prefecture: pref, city: Some(city) });
            if let Some((county, town)) = county_town(city) {
                // 石狩郡当別町 イシカリグントウベツチョウ: the town, and the county.
                if let Some((county_kana, town_kana)) = kana.split_once("グン") {
                    table.add_name(id, town, town_kana);
                    table.add_key(id, &fold(&format!("{county}郡")));
                    table.add_reading(id, &format!("{county_kana}グン"));
                }
                table.add_key(id, &fold(city));
                table.add_reading(id, kana);
            } else if let Some((c, ward)) = designated(city) {
                // 札幌市中央区: the ward, the city, and both together.
                let whole = city_kana.get(&(pref, c)).cloned().unwrap_or_default();
                let Some(stem_end) = whole.rfind('シ') else { continue };
                let (c_kana, ward_kana) =
                    (&kana[..stem_end + 'シ'.len_utf8()], &kana[stem_end + 'シ'.len_utf8()..]);
                let city_name = format!("{c}市");
                table.add_name(id, &city_name, c_kana);
                table.add_name(id, ward, ward_kana);
                table.add_key(id, &fold(city));
                table.add_reading(id, kana);
                for (cn, ck) in table.forms(&city_name, c_kana) {
                    for (wn, wk) in table.forms(ward, ward_kana) {
                        table.add_key(id, &fold(&format!("{cn}{wn}")));
                        table.add_reading(id, &format!("{ck}{wk}"));
                    }
                }
            } else {
                table.add_name(id, city, kana);
            }
        }
        for ids in table.by_key.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        table.longest = table.by_key.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        table
    }

    fn entry(&mut self, entry: PlaceEntry) -> u32 {
        self.entries.push(entry);
        (self.entries.len() - 1) as u32
    }

    /// `name` (kanji) and `kana` (katakana) with and without their suffix, each suffix said
    /// every way it may be (町 まち or ちょう).
    fn forms(&self, name: &str, kana: &str) -> Vec<(String, String)> {
        let mut out = vec![(name.to_string(), kana.to_string())];
        if let Some(last) = name.chars().last()
            && let Some((_, said)) = SUFFIXES.iter().find(|(s, _)| *s == last)
            && let Some(stem_kana) = said.iter().find_map(|s| kana.strip_suffix(s))
        {
            let stem = &name[..name.len() - last.len_utf8()];
            if stem.chars().count() >= 2 || !stem_kana.is_empty() {
                out.push((stem.to_string(), stem_kana.to_string()));
            }
            for s in said.iter() {
                out.push((name.to_string(), format!("{stem_kana}{s}")));
            }
        }
        out
    }

    /// Every form of `name` read `kana`, as kanji and as reading.
    fn add_name(&mut self, id: u32, name: &str, kana: &str) {
        for (n, k) in self.forms(name, kana) {
            if n.chars().count() >= 2 {
                self.add_key(id, &fold(&n));
            }
            self.add_reading(id, &k);
        }
    }

    /// The reading `kana` as a query's reading key would be, and as Hepburn's open `n` reads
    /// back (はんのう typed `hannou` reads はんおう).
    fn add_reading(&mut self, id: u32, kana: &str) {
        let folded = fold(kana);
        if folded.chars().count() < MIN_KEY_CHARS {
            return;
        }
        let key = reading_key(&folded);
        if let Some(read) = romaji::to_kana(&romaji::to_romaji(&key)) {
            let mut alt = read.kana;
            if read.rest == "n" {
                alt.push('ん');
            }
            let alt = reading_key(&alt);
            if alt != key {
                self.by_key.entry(alt).or_default().push(id);
            }
        }
        // A reading of two kana or more whose key is one (曽於 そお → そ) still names it.
        if !key.is_empty() {
            self.by_key.entry(key).or_default().push(id);
        }
    }

    /// A written form (kanji), two characters or more.
    fn add_key(&mut self, id: u32, key: &str) {
        if key.chars().count() >= MIN_KEY_CHARS {
            self.by_key.entry(key.to_string()).or_default().push(id);
        }
    }

    /// The places `key` names (a reading key or a folded kanji form), if any.
    pub fn named_by(&self, key: &str) -> Option<&[u32]> {
        self.by_key.get(key).map(Vec::as_slice)
    }

    /// The place of an entry number.
    pub fn entry_of(&self, id: u32) -> PlaceEntry {
        self.entries[id as usize]
    }

    /// The longest key, in characters.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// The places a query word names: a kana or romaji word by its reading key, any other
    /// by its folded form; a trailing の (`みたかの`, `mitakano`) is let go.
    pub fn word(&self, word: &str) -> Option<&[u32]> {
        let folded = fold(word);
        if folded.chars().count() < MIN_KEY_CHARS {
            return None;
        }
        let key = word_key(&folded)?;
        self.named_by(&key).or_else(|| self.named_by(key.strip_suffix('の')?))
    }
}

/// The key a folded query word is looked up by: its reading key when it is all kana or reads
/// as whole romaji syllables, else itself (kanji).
pub fn word_key(folded: &str) -> Option<String> {
    if folded.is_empty() {
        return None;
    }
    if folded.chars().all(is_kana) {
        return Some(reading_key(folded));
    }
    if folded.chars().all(is_romaji) {
        let read = romaji::to_kana(folded)?;
        let mut kana = read.kana;
        match read.rest.as_str() {
            "" => {}
            "n" => kana.push('ん'),
            _ => return None,
        }
        return Some(reading_key(&kana));
    }
    Some(folded.to_string())
}

/// A town or village of a county (石狩郡当別町) as (county without 郡, town); not 大和郡山市.
fn county_town(city: &str) -> Option<(&str, &str)> {
    let (county, town) = city.split_once('郡')?;
    (!county.is_empty() && town.chars().count() >= 2 && city.ends_with(['町', '村']))
        .then_some((county, town))
}

/// A designated city's ward (札幌市中央区) as (city without 市, ward); not 四日市市 or 市川市.
fn designated(city: &str) -> Option<(&str, &str)> {
    let (c, ward) = city.split_once('市')?;
    (!c.is_empty() && ward.ends_with('区') && ward.chars().count() >= 2 && !c.contains('郡'))
        .then_some((c, ward))
}

/// True for a word that is only a place suffix (`市`, `shi`, `く`, `machi`...): after a place
/// word it says nothing more.
pub fn is_suffix_word(folded: &str) -> bool {
    matches!(
        folded,
        "市" | "区"
            | "町"
            | "村"
            | "県"
            | "都"
            | "府"
            | "し"
            | "く"
            | "まち"
            | "ちょう"
            | "むら"
            | "そん"
            | "けん"
            | "と"
            | "ふ"
            | "shi"
            | "si"
            | "ku"
            | "machi"
            | "chou"
            | "cho"
            | "tyou"
            | "tyo"
            | "mura"
            | "son"
            | "ken"
            | "to"
            | "fu"
            | "hu"
            | "の"
            | "no"
    )
}

/// A letter romaji is typed with (macron and circumflex vowels too: `tōkyō`).
pub fn is_romaji(c: char) -> bool {
    c.is_ascii() || matches!(c, 'ā' | 'ī' | 'ū' | 'ē' | 'ō' | 'â' | 'î' | 'û' | 'ê' | 'ô')
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().skip(1).map(|l| l.split('\t').collect::<Vec<_>>()).filter(|f| f.len() >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(words: &str) -> Vec<(String, String)> {
        let t = PlaceTable::shipped();
        let mut out: Vec<(String, String)> = t
            .word(words)
            .unwrap_or(&[])
            .iter()
            .map(|&id| {
                let e = t.entry_of(id);
                (e.prefecture.to_string(), e.city.unwrap_or("").to_string())
            })
            .collect();
        out.sort();
        out
    }

    fn one(pref: &str, city: &str) -> Vec<(String, String)> {
        vec![(pref.to_string(), city.to_string())]
    }

    #[test]
    fn a_city_in_every_script_with_and_without_its_suffix() {
        for w in [
            "三鷹",
            "三鷹市",
            "みたか",
            "みたかし",
            "ミタカ",
            "ﾐﾀｶ",
            "ﾐﾀｶｼ",
            "mitaka",
            "mitakashi",
            "mitaka-shi",
            "MITAKA",
            "みたかの",
        ] {
            assert_eq!(names(w), one("東京都", "三鷹市"), "{w}");
        }
        for w in ["sakata", "さかたし", "酒田"] {
            assert_eq!(names(w), one("山形県", "酒田市"), "{w}");
        }
        for w in ["suginami", "suginamiku", "すぎなみく", "杉並区"] {
            assert_eq!(names(w), one("東京都", "杉並区"), "{w}");
        }
        assert_eq!(names("adachi"), one("東京都", "足立区"));
    }

    #[test]
    fn long_vowels_any_way_and_kunrei() {
        for w in ["tokyo", "toukyou", "tōkyō", "tookyoo", "とうきょうと", "東京都", "tokyoto"] {
            assert_eq!(names(w), one("東京都", ""), "{w}");
        }
        // 府中: two cities and a town, typed any way.
        for w in ["fuchu", "fuchuu", "huchuu", "ふちゅう"] {
            let n = names(w);
            assert!(n.contains(&("東京都".into(), "府中市".into())), "{w} {n:?}");
            assert!(n.contains(&("広島県".into(), "府中市".into())), "{w} {n:?}");
            assert!(n.contains(&("広島県".into(), "安芸郡府中町".into())), "{w} {n:?}");
        }
        assert_eq!(names("fuchushi").len(), 2);
        assert_eq!(names("fuchuuchou"), one("広島県", "安芸郡府中町"));
        assert_eq!(names("fuchumachi"), one("広島県", "安芸郡府中町"));
    }

    #[test]
    fn wards_and_counties() {
        let chuo = names("ちゅうおうく");
        assert!(chuo.len() >= 10 && chuo.contains(&("東京都".into(), "中央区".into())), "{chuo:?}");
        assert!(names("中央区").len() >= 10);
        assert_eq!(names("さっぽろ").len(), 10);
        assert_eq!(names("sapporoshichuouku"), one("北海道", "札幌市中央区"));
        assert_eq!(names("札幌中央"), one("北海道", "札幌市中央区"));
        assert_eq!(names("とうべつ"), one("北海道", "石狩郡当別町"));
        assert!(names("いしかりぐん").len() >= 2);
        // Hiroshima's wards: the city reading holds a シ of its own.
        assert_eq!(names("ひろしまなかく"), one("広島県", "広島市中区"));
        assert!(names("ひろしま").len() >= 9, "{:?}", names("ひろしま"));
    }

    #[test]
    fn not_place_words() {
        for w in ["あかい", "akai", "にほんかい", "sanae", "やじま", "つ", "", "クリニック"]
        {
            assert!(names(w).is_empty(), "{w}: {:?}", names(w));
        }
        assert!(is_suffix_word("shi") && is_suffix_word("市") && !is_suffix_word("みたか"));
    }
}
