//! Institution names and their katakana readings, built from real place names and surnames
//! (the embedded tables) and a few words every Japanese clinic name is made of.

use super::rng::SplitMix64;
use super::tables::{Municipality, Neighborhood, Surname};
use crate::domain::InstitutionKind;

/// A word with its reading: the unit names are assembled from.
type Word = (&'static str, &'static str);

/// Gentle words common in clinic, pharmacy and corporation names.
const SOFT_WORDS: &[Word] = &[
    ("さくら", "サクラ"),
    ("ひまわり", "ヒマワリ"),
    ("あおば", "アオバ"),
    ("みどり", "ミドリ"),
    ("すずらん", "スズラン"),
    ("ひかり", "ヒカリ"),
    ("わかば", "ワカバ"),
    ("あおい", "アオイ"),
    ("なごみ", "ナゴミ"),
    ("こすもす", "コスモス"),
    ("たんぽぽ", "タンポポ"),
    ("つくし", "ツクシ"),
    ("かえで", "カエデ"),
    ("あさひ", "アサヒ"),
    ("いずみ", "イズミ"),
    ("けやき", "ケヤキ"),
    ("はなみずき", "ハナミズキ"),
    ("ほほえみ", "ホホエミ"),
    ("のぞみ", "ノゾミ"),
    ("つばさ", "ツバサ"),
    ("すみれ", "スミレ"),
    ("もみじ", "モミジ"),
    ("そよかぜ", "ソヨカゼ"),
    ("こもれび", "コモレビ"),
    ("めぐみ", "メグミ"),
    ("ふれあい", "フレアイ"),
    ("あすなろ", "アスナロ"),
    ("なのはな", "ナノハナ"),
];

/// Words of corporation (医療法人 ...会) names.
const CORP_WORDS: &[Word] = &[
    ("仁愛", "ジンアイ"),
    ("健生", "ケンセイ"),
    ("清和", "セイワ"),
    ("博愛", "ハクアイ"),
    ("慈恵", "ジケイ"),
    ("康生", "コウセイ"),
    ("清風", "セイフウ"),
    ("明和", "メイワ"),
    ("和光", "ワコウ"),
    ("協和", "キョウワ"),
    ("共立", "キョウリツ"),
    ("報徳", "ホウトク"),
    ("松柏", "ショウハク"),
    ("誠心", "セイシン"),
    ("緑風", "リョクフウ"),
    ("青葉", "アオバ"),
    ("光陽", "コウヨウ"),
    ("秀明", "シュウメイ"),
    ("厚生", "コウセイ"),
    ("昭仁", "ショウジン"),
    ("敬愛", "ケイアイ"),
    ("恵友", "ケイユウ"),
    ("啓仁", "ケイジン"),
    ("晴山", "セイザン"),
];

/// Legal-entity prefixes with readings; some names carry one, as real master data does.
const CLINIC_CORPS: &[Word] =
    &[("医療法人社団", "イリョウホウジンシャダン"), ("医療法人", "イリョウホウジン")];
const HOSPITAL_CORPS: &[Word] = &[
    ("医療法人社団", "イリョウホウジンシャダン"),
    ("医療法人", "イリョウホウジン"),
    ("社会医療法人", "シャカイイリョウホウジン"),
    ("一般財団法人", "イッパンザイダンホウジン"),
];

const CLINIC_SUFFIXES: &[Word] = &[
    ("クリニック", "クリニック"),
    ("内科医院", "ナイカイイン"),
    ("内科クリニック", "ナイカクリニック"),
    ("医院", "イイン"),
    ("整形外科", "セイケイゲカ"),
    ("眼科医院", "ガンカイイン"),
    ("眼科クリニック", "ガンカクリニック"),
    ("小児科", "ショウニカ"),
    ("こどもクリニック", "コドモクリニック"),
    ("皮膚科クリニック", "ヒフカクリニック"),
    ("耳鼻咽喉科", "ジビインコウカ"),
    ("産婦人科", "サンフジンカ"),
    ("消化器内科", "ショウカキナイカ"),
    ("メンタルクリニック", "メンタルクリニック"),
    ("ファミリークリニック", "ファミリークリニック"),
    ("診療所", "シンリョウジョ"),
];

const DENTAL_SUFFIXES: &[Word] = &[
    ("歯科医院", "シカイイン"),
    ("歯科", "シカ"),
    ("歯科クリニック", "シカクリニック"),
    ("デンタルクリニック", "デンタルクリニック"),
    ("矯正歯科", "キョウセイシカ"),
    ("こども歯科", "コドモシカ"),
];

const HOSPITAL_SUFFIXES: &[Word] = &[
    ("病院", "ビョウイン"),
    ("中央病院", "チュウオウビョウイン"),
    ("総合病院", "ソウゴウビョウイン"),
    ("記念病院", "キネンビョウイン"),
    ("第一病院", "ダイイチビョウイン"),
    ("リハビリテーション病院", "リハビリテーションビョウイン"),
    ("整形外科病院", "セイケイゲカビョウイン"),
    ("脳神経外科病院", "ノウシンケイゲカビョウイン"),
];

const PHARMACY_SUFFIXES: &[Word] =
    &[("薬局", "ヤッキョク"), ("調剤薬局", "チョウザイヤッキョク"), ("ファーマシー", "ファーマシー")];

/// Fictional pharmacy chains (clearly not real brands); their branches are named 〇〇店.
pub const CHAINS: &[Word] = &[
    ("まどぐち薬局", "マドグチヤッキョク"),
    ("ひだまり調剤薬局", "ヒダマリチョウザイヤッキョク"),
    ("あさがお薬局", "アサガオヤッキョク"),
    ("ことぶき調剤", "コトブキチョウザイ"),
];

/// Everything a name may be built from in one place.
pub struct Place<'a> {
    pub municipality: &'a Municipality,
    pub neighborhood: &'a Neighborhood,
    pub surnames: &'a [Surname],
}

/// A generated name and its reading; `chain` says whether it is a branch of a fictional chain.
pub struct GeneratedName {
    pub name: String,
    pub kana: String,
    pub chain: bool,
}

/// The city's name without its 市/区/町/村 (三鷹市 → 三鷹), with its reading, when that leaves
/// a usable word. Ward names of designated cities drop the city (札幌市中央区 → 中央).
fn city_stem(m: &Municipality) -> Option<Word> {
    let (city, city_kana): Word = (m.city, m.city_kana);
    if m.city.contains('郡') {
        return None; // 〇〇郡〇〇町: the county's reading cannot be cut off reliably.
    }
    let (city, kana) = match city.split_once('市') {
        // 札幌市中央区 / サッポロシチュウオウク: the ward's reading follows the first シ.
        Some((_, ward)) if !ward.is_empty() => (ward, city_kana.split_once('シ')?.1),
        _ => (city, city_kana),
    };
    let stem = city.strip_suffix(['市', '区', '町', '村'])?;
    let kana = ["シ", "ク", "マチ", "チョウ", "ムラ", "ソン"].iter().find_map(|s| kana.strip_suffix(s))?;
    (stem.chars().count() >= 2 && !kana.is_empty()).then_some((stem, kana))
}

fn katakana_to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| if ('ァ'..='ヶ').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap_or(c) } else { c })
        .collect()
}

/// The "who" of a name: a surname, a neighbourhood, the city, a soft word, or a surname in hiragana.
fn stem(rng: &mut SplitMix64, place: &Place, city: Option<Word>, kind: InstitutionKind) -> (String, String) {
    let roll = rng.below(100);
    let surname = rng.pick(place.surnames);
    let (surname_w, hood_w, city_w) = match kind {
        InstitutionKind::Hospital => (30, 35, 30),
        InstitutionKind::Pharmacy => (20, 40, 10),
        _ => (50, 25, 5),
    };
    if roll < surname_w {
        (surname.name.to_string(), surname.kana.to_string())
    } else if roll < surname_w + hood_w {
        (place.neighborhood.name.to_string(), place.neighborhood.kana.to_string())
    } else if roll < surname_w + hood_w + city_w
        && let Some((c, k)) = city
    {
        (c.to_string(), k.to_string())
    } else if roll.is_multiple_of(2) {
        let (w, k) = rng.pick(SOFT_WORDS);
        (w.to_string(), k.to_string())
    } else {
        (katakana_to_hiragana(surname.kana), surname.kana.to_string())
    }
}

/// A plausible name for an institution of `kind` in `place`.
pub fn institution_name(rng: &mut SplitMix64, kind: InstitutionKind, place: &Place) -> GeneratedName {
    let city = city_stem(place.municipality);
    let (stem_name, stem_kana) = stem(rng, place, city, kind);
    let (suffixes, corps, corp_chance) = match kind {
        InstitutionKind::Hospital => (HOSPITAL_SUFFIXES, HOSPITAL_CORPS, 0.45),
        InstitutionKind::MedicalClinic => (CLINIC_SUFFIXES, CLINIC_CORPS, 0.15),
        InstitutionKind::DentalClinic => (DENTAL_SUFFIXES, CLINIC_CORPS, 0.12),
        InstitutionKind::Pharmacy => (PHARMACY_SUFFIXES, &[][..], 0.0),
    };
    if kind == InstitutionKind::Pharmacy && rng.chance(0.25) {
        let (chain, chain_kana) = rng.pick(CHAINS);
        let branch = &place.neighborhood;
        return GeneratedName {
            name: format!("{chain} {}店", branch.name),
            kana: format!("{chain_kana}{}テン", branch.kana),
            chain: true,
        };
    }
    let (suffix, suffix_kana) = rng.pick(suffixes);
    let mut name = format!("{stem_name}{suffix}");
    let mut kana = format!("{stem_kana}{suffix_kana}");
    if !corps.is_empty() && rng.chance(corp_chance) {
        let (corp, corp_kana) = rng.pick(corps);
        let (word, word_kana) = rng.pick(CORP_WORDS);
        let kai = if *corp == "一般財団法人" { ("", "") } else { ("会", "カイ") };
        name = format!("{corp} {word}{} {name}", kai.0);
        kana = format!("{corp_kana}{word_kana}{}{kana}", kai.1);
    }
    GeneratedName { name, kana, chain: false }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::tables::tables;

    fn muni(city: &str) -> &'static Municipality {
        tables().municipalities.iter().find(|m| m.city == city).unwrap()
    }

    #[test]
    fn city_stems_cut_the_suffix_from_name_and_reading() {
        assert_eq!(city_stem(muni("三鷹市")), Some(("三鷹", "ミタカ")));
        assert_eq!(city_stem(muni("杉並区")), Some(("杉並", "スギナミ")));
        assert_eq!(city_stem(muni("札幌市中央区")), Some(("中央", "チュウオウ")));
        assert_eq!(city_stem(muni("酒田市")), Some(("酒田", "サカタ")));
    }

    #[test]
    fn names_have_katakana_readings() {
        let t = tables();
        let mut rng = SplitMix64::new(3);
        for (i, m) in t.municipalities.iter().enumerate().step_by(7) {
            let place =
                Place { municipality: m, neighborhood: &t.neighborhoods[i][0], surnames: &t.surnames };
            for kind in InstitutionKind::ALL {
                let n = institution_name(&mut rng, kind, &place);
                assert!(!n.name.is_empty());
                assert!(
                    n.kana.chars().all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー'),
                    "{} {}",
                    n.name,
                    n.kana
                );
            }
        }
    }
}
