//! The embedded place-name and surname tables (`data/demo/*.tsv`, rebuilt by
//! `scripts/derive_demo_tables.py` from Japan Post and faker data; see `data/demo/README.md`).
//! Parsed once on first use. The importer uses the municipality list to find an address's city.

use std::collections::HashMap;
use std::sync::OnceLock;

const PREFECTURES_TSV: &str = include_str!("../../data/demo/prefectures.tsv");
const MUNICIPALITIES_TSV: &str = include_str!("../../data/demo/municipalities.tsv");
const NEIGHBORHOODS_TSV: &str = include_str!("../../data/demo/neighborhoods.tsv");
const SURNAMES_TSV: &str = include_str!("../../data/demo/surnames.tsv");

/// One of the 47 prefectures with the figures the generator spreads institutions by.
#[derive(Debug, Clone)]
pub struct Prefecture {
    /// JIS code, 1..=47 (also the first two digits of an institution code).
    pub code: u8,
    /// Prefecture name (北海道, 青森県, ...).
    pub name: &'static str,
    /// Its reading, in katakana.
    pub kana: &'static str,
    /// Hospitals in 2022-01 (FACTS.md).
    pub hospitals: u32,
    /// Population in thousands (2020 census), for spreading clinics and pharmacies.
    pub population_thousands: u32,
}

/// A municipality (市区町村; wards of designated cities are listed one by one).
#[derive(Debug, Clone)]
pub struct Municipality {
    /// JIS X 0402 code (5 digits).
    pub jisx0402: &'static str,
    /// Prefecture name.
    pub prefecture: &'static str,
    /// City, ward, town or village.
    pub city: &'static str,
    /// Its reading, in katakana.
    pub city_kana: &'static str,
    /// A rough size weight (kind of municipality × number of neighbourhoods).
    pub weight: u32,
}

/// A neighbourhood (町域) with its postal code, for names and addresses.
#[derive(Debug, Clone)]
pub struct Neighborhood {
    /// Postal code, seven digits without a hyphen.
    pub postal_code: &'static str,
    /// Neighbourhood name.
    pub name: &'static str,
    /// Its reading, in katakana.
    pub kana: &'static str,
}

/// A common surname with its reading.
#[derive(Debug, Clone)]
pub struct Surname {
    /// The surname.
    pub name: &'static str,
    /// Its reading, in katakana.
    pub kana: &'static str,
}

/// Every table, parsed.
#[derive(Debug)]
pub struct Tables {
    /// The 47 prefectures, in JIS order.
    pub prefectures: Vec<Prefecture>,
    /// Every municipality.
    pub municipalities: Vec<Municipality>,
    /// Neighbourhoods per municipality, in the order of `municipalities`.
    pub neighborhoods: Vec<Vec<Neighborhood>>,
    /// Common surnames with readings.
    pub surnames: Vec<Surname>,
}

/// The embedded tables (parsed on first call).
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(parse)
}

/// The municipalities (shortcut for the importer).
pub fn municipalities() -> &'static [Municipality] {
    &tables().municipalities
}

/// Rows of a TSV without its header, split on tabs. Lines with too few fields are skipped
/// (the files are ours and tested, so none are).
fn rows(text: &'static str, fields: usize) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().skip(1).map(|l| l.split('\t').collect::<Vec<_>>()).filter(move |f| f.len() >= fields)
}

fn parse() -> Tables {
    let prefectures = rows(PREFECTURES_TSV, 5)
        .map(|f| Prefecture {
            code: f[0].parse().unwrap_or(0),
            name: f[1],
            kana: f[2],
            hospitals: f[3].parse().unwrap_or(0),
            population_thousands: f[4].parse().unwrap_or(0),
        })
        .collect();
    let municipalities: Vec<Municipality> = rows(MUNICIPALITIES_TSV, 5)
        .map(|f| Municipality {
            jisx0402: f[0],
            prefecture: f[1],
            city: f[2],
            city_kana: f[3],
            weight: f[4].parse().unwrap_or(1),
        })
        .collect();
    let index: HashMap<&str, usize> =
        municipalities.iter().enumerate().map(|(i, m)| (m.jisx0402, i)).collect();
    let mut neighborhoods = vec![Vec::new(); municipalities.len()];
    for f in rows(NEIGHBORHOODS_TSV, 4) {
        if let Some(&i) = index.get(f[0]) {
            neighborhoods[i].push(Neighborhood { postal_code: f[1], name: f[2], kana: f[3] });
        }
    }
    let surnames = rows(SURNAMES_TSV, 2).map(|f| Surname { name: f[0], kana: f[1] }).collect();
    Tables { prefectures, municipalities, neighborhoods, surnames }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_katakana(s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| ('ァ'..='ヶ').contains(&c) || c == 'ー')
    }

    #[test]
    fn tables_are_complete_and_readings_are_katakana() {
        let t = tables();
        assert_eq!(t.prefectures.len(), 47);
        assert_eq!(t.prefectures.iter().map(|p| p.hospitals).sum::<u32>(), 8_193);
        assert!((1..=47).all(|c| t.prefectures.iter().any(|p| p.code == c)));
        assert!(t.municipalities.len() > 1_800);
        assert!(t.surnames.len() >= 50);
        for (m, hoods) in t.municipalities.iter().zip(&t.neighborhoods) {
            assert!(is_katakana(m.city_kana), "{} {}", m.city, m.city_kana);
            assert!(!hoods.is_empty(), "{} has no neighbourhood", m.city);
            for h in hoods {
                assert!(is_katakana(h.kana), "{} {}", h.name, h.kana);
                assert!(h.postal_code.len() == 7 && h.postal_code.bytes().all(|b| b.is_ascii_digit()));
            }
        }
        for s in &t.surnames {
            assert!(is_katakana(s.kana), "{}", s.name);
        }
    }
}
