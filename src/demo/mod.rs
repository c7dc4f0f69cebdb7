//! Deterministic demo data for the whole of Japan: institutions with realistic names,
//! readings, addresses, valid codes and phone numbers; the reader catalog; reader applications
//! and subsidy claims in the proportions of June 2021; the built-in FAQ. See [`generate`].
//!
//! Everything comes from the embedded tables (`data/demo/`) and our own PRNG ([`rng`]), so the
//! same seed gives the same data on every machine and with every library version.

pub(crate) mod applications;
pub mod campaign;
pub(crate) mod names;
pub(crate) mod rng;
pub mod tables;

use std::collections::{HashMap, HashSet};

use crate::domain::institution::expected_check_digit;
use crate::domain::{Institution, InstitutionCode, InstitutionKind, ReaderModel};
use crate::store::SeedData;

use names::{GeneratedName, Place};
use rng::SplitMix64;
use tables::{Municipality, Neighborhood, Tables, tables};

/// The seed used when the user gives none (the date of the seed notice).
pub const DEFAULT_SEED: u64 = 20_210_630;

/// Institutions of each kind at full national scale: hospitals, medical and dental clinics
/// (2021-10-01) and pharmacies (end of FY2021), about 242,000 in all.
pub const FULL_SCALE: [(InstitutionKind, usize); 4] = [
    (InstitutionKind::Hospital, 8_205),
    (InstitutionKind::MedicalClinic, 104_292),
    (InstitutionKind::DentalClinic, 67_899),
    (InstitutionKind::Pharmacy, 61_791),
];

/// Reader-model ids of the catalog (stable: tests, docs and demos refer to them). PFU's Caora
/// (a real product).
pub const MODEL_CAORA: &str = "pfu-caora";
/// アルメックス's Sma-pa マイナタッチ (a real product).
pub const MODEL_SMAPA: &str = "almex-smapa";
/// A fictional sample model (`sample: true`).
pub const MODEL_SAMPLE_C: &str = "sample-c";
/// A second fictional sample model (`sample: true`).
pub const MODEL_SAMPLE_D: &str = "sample-d";

/// The reader catalog: the two products confirmed by public sources under their real names,
/// and two clearly fictional samples (`sample: true`) with no model numbers at all.
pub fn reader_models() -> Vec<ReaderModel> {
    let model = |id: &str, maker: &str, name: &str, sample: bool| ReaderModel {
        id: id.to_string(),
        maker: maker.to_string(),
        name: name.to_string(),
        sample,
    };
    vec![
        model(MODEL_CAORA, "PFU", "Caora（カオラ）", false),
        model(MODEL_SMAPA, "アルメックス", "Sma-pa マイナタッチ", false),
        model(MODEL_SAMPLE_C, "サンプルメーカーC（架空）", "サンプル機種C（架空）", true),
        model(MODEL_SAMPLE_D, "サンプルメーカーD（架空）", "サンプル機種D（架空）", true),
    ]
}

/// One of the four institutions named in the seed notice, always present in the demo data.
pub struct SeedInstitution {
    /// Its name.
    pub name: &'static str,
    /// Its reading.
    pub kana: &'static str,
    /// Its kind.
    pub kind: InstitutionKind,
    /// Prefecture name.
    pub prefecture: &'static str,
    /// City, ward, town or village.
    pub city: &'static str,
}

/// The adopters quoted in the seed notice (事務連絡 2021-06-30).
pub const SEED_INSTITUTIONS: [SeedInstitution; 4] = [
    SeedInstitution {
        name: "日本海総合病院",
        kana: "ニホンカイソウゴウビョウイン",
        kind: InstitutionKind::Hospital,
        prefecture: "山形県",
        city: "酒田市",
    },
    SeedInstitution {
        name: "あかいクリニック",
        kana: "アカイクリニック",
        kind: InstitutionKind::MedicalClinic,
        prefecture: "東京都",
        city: "三鷹市",
    },
    SeedInstitution {
        name: "矢嶋歯科医院",
        kana: "ヤジマシカイイン",
        kind: InstitutionKind::DentalClinic,
        prefecture: "東京都",
        city: "杉並区",
    },
    SeedInstitution {
        name: "さなえ薬局",
        kana: "サナエヤッキョク",
        kind: InstitutionKind::Pharmacy,
        prefecture: "東京都",
        city: "足立区",
    },
];

/// Generates the demo data set: `institutions` in all (default [`FULL_SCALE`], ≈ 242,000;
/// never fewer than the four seed institutions), spread over the prefectures (hospitals by the
/// real per-prefecture counts, the other kinds by population), with applications, subsidy claims,
/// the reader catalog and the built-in FAQ. Deterministic in `seed`. `progress` receives a short
/// line now and then ("demo: institutions 50000/242187").
///
/// The four seed institutions come first and their codes do not depend on `seed` or the size.
pub fn generate(institutions: Option<usize>, seed: u64, progress: &dyn Fn(&str)) -> SeedData {
    let t = tables();
    let counts = kind_counts(institutions);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    // The seed institutions are drawn with a fixed PRNG, so they look the same whatever `seed`.
    let mut generator = Generator::new(t, DEFAULT_SEED);
    let mut rows: Vec<Institution> = Vec::with_capacity(total);
    for s in &SEED_INSTITUTIONS {
        rows.push(generator.seed_institution(s));
    }
    generator.rng = SplitMix64::new(seed);
    let by_prefecture = prefecture_index(t);
    for (kind, count) in counts {
        let already = SEED_INSTITUTIONS.iter().filter(|s| s.kind == kind).count();
        let weights: Vec<u64> = t
            .prefectures
            .iter()
            .map(|p| {
                u64::from(if kind == InstitutionKind::Hospital {
                    p.hospitals
                } else {
                    p.population_thousands
                })
            })
            .collect();
        let per_prefecture = apportion(count.saturating_sub(already), &weights);
        for (p, n) in t.prefectures.iter().zip(per_prefecture) {
            let Some((munis, cumulative)) = by_prefecture.get(p.name) else { continue };
            for _ in 0..n {
                let m = munis[generator.rng.weighted(cumulative)];
                rows.push(generator.institution(kind, m));
                if rows.len().is_multiple_of(50_000) {
                    progress(&format!("demo: institutions {}/{total}", rows.len()));
                }
            }
        }
    }
    progress(&format!("demo: institutions {}/{total}", rows.len()));

    let (applications, subsidy_claims) = applications::generate(&rows, seed);
    progress(&format!("demo: applications {}, subsidy claims {}", applications.len(), subsidy_claims.len()));
    SeedData {
        institutions: rows,
        applications,
        subsidy_claims,
        reader_models: reader_models(),
        faq: crate::import::faq::builtin_entries(),
    }
}

/// How many institutions of each kind for a requested total (full scale by default),
/// proportional to [`FULL_SCALE`], each kind at least its seed institution.
fn kind_counts(institutions: Option<usize>) -> Vec<(InstitutionKind, usize)> {
    let full: usize = FULL_SCALE.iter().map(|(_, n)| n).sum();
    let total = institutions.unwrap_or(full).max(SEED_INSTITUTIONS.len());
    let weights: Vec<u64> = FULL_SCALE.iter().map(|(_, n)| *n as u64).collect();
    let mut counts = apportion(total - SEED_INSTITUTIONS.len(), &weights);
    for c in &mut counts {
        *c += 1; // the seed institution of that kind
    }
    FULL_SCALE.iter().map(|(k, _)| *k).zip(counts).collect()
}

/// Splits `total` into parts proportional to `weights` that add up exactly (largest remainder).
fn apportion(total: usize, weights: &[u64]) -> Vec<usize> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<u128> = weights.iter().map(|&w| u128::from(w) * total as u128).collect();
    let mut parts: Vec<usize> = exact.iter().map(|e| (e / u128::from(sum)) as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % u128::from(sum)));
    let short = total - parts.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        parts[i] += 1;
    }
    parts
}

/// Municipalities of each prefecture with cumulative weights, for weighted picks.
type PrefectureMunicipalities<'a> = HashMap<&'a str, (Vec<usize>, Vec<u64>)>;

fn prefecture_index(t: &Tables) -> PrefectureMunicipalities<'_> {
    let mut map: PrefectureMunicipalities = HashMap::new();
    for (i, m) in t.municipalities.iter().enumerate() {
        let entry = map.entry(m.prefecture).or_default();
        let last = entry.1.last().copied().unwrap_or(0);
        entry.0.push(i);
        entry.1.push(last + u64::from(m.weight.max(1)));
    }
    map
}

/// The state of one generation run: the PRNG and what must stay unique.
struct Generator<'t> {
    t: &'t Tables,
    rng: SplitMix64,
    /// Last 番号 used per (prefecture number, 点数表, 郡市区).
    numbers: HashMap<(u8, u8, u8), u16>,
    /// 郡市区 number of each municipality (its place within its prefecture, 01..=99).
    district: Vec<u8>,
    phones: HashSet<String>,
}

impl<'t> Generator<'t> {
    fn new(t: &'t Tables, seed: u64) -> Generator<'t> {
        let mut district = Vec::with_capacity(t.municipalities.len());
        let mut seen: HashMap<&str, u8> = HashMap::new();
        for m in &t.municipalities {
            let n = seen.entry(m.prefecture).or_insert(0);
            district.push(*n % 99 + 1);
            *n = n.wrapping_add(1);
        }
        Generator { t, rng: SplitMix64::new(seed), numbers: HashMap::new(), district, phones: HashSet::new() }
    }

    /// A fresh, valid code in municipality `m` for `kind`: prefecture, 点数表 (1 医科, 3 歯科,
    /// 4 調剤), 郡市区, 番号, and the check digit of the prefecture's rule. When a district runs
    /// out of numbers the prefecture number + 50 is used, as real prefectures did.
    fn code(&mut self, kind: InstitutionKind, m: usize, step: u16) -> InstitutionCode {
        let pref: u8 = self.t.municipalities[m].jisx0402[..2].parse().unwrap_or(1);
        let table = match kind {
            InstitutionKind::Hospital | InstitutionKind::MedicalClinic => 1,
            InstitutionKind::DentalClinic => 3,
            InstitutionKind::Pharmacy => 4,
        };
        let district = self.district[m];
        let mut key = (pref, table, district);
        let mut number = self.numbers.get(&key).copied().unwrap_or(0) + step;
        if number > 9_999 {
            key.0 = pref + 50;
            number = self.numbers.get(&key).copied().unwrap_or(0) + step;
        }
        self.numbers.insert(key, number);
        let body = format!("{:02}{}{:02}{:04}", key.0, table, district, number);
        let digit = expected_check_digit(&format!("{body}0"));
        let code = format!("{body}{digit}");
        InstitutionCode::from_digits(&code)
            .unwrap_or_else(|| unreachable!("ten digits by construction: {code}"))
    }

    /// A phone number unique in the data set, with a plausible area code for the place.
    fn phone(&mut self, m: usize) -> String {
        let muni = &self.t.municipalities[m];
        let pref: u32 = muni.jisx0402[..2].parse().unwrap_or(1);
        let two_digit_area =
            (muni.prefecture == "東京都" && muni.city.ends_with('区') && !muni.city.contains('市'))
                || muni.city.starts_with("大阪市");
        loop {
            let phone = if two_digit_area {
                let area = if muni.prefecture == "東京都" { "03" } else { "06" };
                format!("{area}-{:04}-{:04}", self.rng.range(3000, 6999), self.rng.below(10_000))
            } else {
                // 0 + the region's digit (01 北海道 … 09 九州) + two digits, never 050/070/080/090
                // (IP and mobile) nor 0120 (toll free).
                let region = match pref {
                    1 => 1,
                    2..=7 => 2,
                    8..=14 => 4,
                    15..=24 => 5,
                    25..=30 => 7,
                    31..=39 => 8,
                    _ => 9,
                };
                let area = 22 + (pref * 7 + u32::from(self.district[m]) * 13) % 78;
                format!("0{region}{area}-{:02}-{:04}", self.rng.range(20, 99), self.rng.below(10_000))
            };
            if self.phones.insert(phone.clone()) {
                return phone;
            }
        }
    }

    /// A street address inside the municipality and the neighbourhood's postal code.
    fn address(&mut self, muni: &Municipality, hood: &Neighborhood) -> (String, String) {
        let postal = format!("{}-{}", &hood.postal_code[..3], &hood.postal_code[3..]);
        let street = if self.rng.chance(0.6) {
            format!("{}丁目{}-{}", self.rng.range(1, 5), self.rng.range(1, 30), self.rng.range(1, 25))
        } else {
            format!("{}番地{}", self.rng.range(1, 2500), if self.rng.chance(0.3) { "の1" } else { "" })
        };
        let city = muni.city.split_once('郡').map_or(muni.city, |(_, town)| town);
        (postal, format!("{city}{}{street}", hood.name))
    }

    fn institution(&mut self, kind: InstitutionKind, m: usize) -> Institution {
        let t = self.t;
        let muni = &t.municipalities[m];
        let hoods = &t.neighborhoods[m];
        let hood = self.rng.pick(hoods);
        let place = Place { municipality: muni, neighborhood: hood, surnames: &t.surnames };
        let GeneratedName { name, kana, chain } = names::institution_name(&mut self.rng, kind, &place);
        let step = self.rng.range(1, 3) as u16;
        let code = self.code(kind, m, step);
        let (postal_code, address) = self.address(muni, hood);
        let phone = self.phone(m);
        Institution {
            code,
            name,
            name_kana: Some(kana),
            kana_inferred: false,
            kind,
            prefecture: muni.prefecture.to_string(),
            city: muni.city.to_string(),
            postal_code,
            address,
            phone: Some(phone),
            large_chain: chain,
        }
    }

    /// One of the seed notice's institutions. Its code is the first number of its district,
    /// so it never depends on the seed or the size of the data set.
    fn seed_institution(&mut self, s: &SeedInstitution) -> Institution {
        let t = self.t;
        let m = t
            .municipalities
            .iter()
            .position(|m| m.prefecture == s.prefecture && m.city == s.city)
            .unwrap_or_else(|| unreachable!("{} {} is in the embedded table (tested)", s.prefecture, s.city));
        let code = self.code(s.kind, m, 1);
        let muni = &t.municipalities[m];
        let hood = &t.neighborhoods[m][0];
        let (postal_code, address) = self.address(muni, hood);
        let phone = self.phone(m);
        Institution {
            code,
            name: s.name.to_string(),
            name_kana: Some(s.kana.to_string()),
            kana_inferred: false,
            kind: s.kind,
            prefecture: s.prefecture.to_string(),
            city: s.city.to_string(),
            postal_code,
            address,
            phone: Some(phone),
            large_chain: false,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
