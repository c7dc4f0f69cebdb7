//! Place words: how often an institution is found (top 1 / top 5) when the caller's town is
//! typed with the first part of its name, the way operators type what they hear: the town in
//! kanji, hiragana, katakana, half-width kana, Hepburn or kunrei romaji (long vowels written,
//! dropped or with macrons), with or without 市/区/町/村, before or after the name, with a
//! space, with の or run in (`みたか あかい`, `akai mitaka-shi`, `ﾐﾀｶﾉｱｶｲ`).
//!
//! The set (`benches/relevance/places.tsv`) is written, not made at run time: lookups of demo
//! institutions (the demo data is deterministic: codes are stable for [`DISTRACTORS`]), and of
//! real institutions from the regional health bureaus' lists (their `I` rows, without readings:
//! inferred at indexing exactly as at import). [`generate`] wrote it from the team's shared
//! data folder (`madoguchi` itself never reads that folder): each institution's town is the
//! importer's city of its address, and its name's first part is the reading of the first two
//! or three kanji (or its leading kana) when the indexed reading holds it. An institution is
//! taken only when at most one other in the towns its town word names (府中: three) has a
//! reading holding that part (a caller's words that name one institution). Institutions are split into a tuning half and a held-out
//! half by a hash of their code; the place words were tuned on the first only.

use std::collections::HashMap;
use std::fmt;

use super::relevance_readings::Form;
use super::relevance_typos::{Half, half_of};
use crate::domain::{Institution, InstitutionCode, InstitutionKind};
use crate::search::InstitutionIndex;
use crate::search::normalize::{fold, katakana_to_hiragana, legal_prefix_end, reading_key};
use crate::search::places::{PlaceEntry, PlaceTable};
use crate::search::reading;

/// The set shipped with the project.
pub const BUILTIN_SET: &str = include_str!("../../benches/relevance/places.tsv");

/// Demo institutions indexed beside the set's own (and drawn from).
pub const DISTRACTORS: usize = 30_000;

/// Institutions per source (demo, real) and half.
pub const PER_HALF: usize = 220;

/// How the town is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    /// 漢字, as written.
    Kanji,
    /// ひらがな.
    Hiragana,
    /// カタカナ.
    Katakana,
    /// Half-width katakana (ｶﾀｶﾅ).
    HalfWidth,
    /// Hepburn romaji.
    Hepburn,
    /// Kunrei romaji.
    Kunrei,
}

impl Script {
    /// Every script, in the order the figures are printed.
    pub const ALL: [Script; 6] = [
        Script::Kanji,
        Script::Hiragana,
        Script::Katakana,
        Script::HalfWidth,
        Script::Hepburn,
        Script::Kunrei,
    ];

    /// The script's name in the set file (`kanji`, `half-width`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Script::Kanji => "kanji",
            Script::Hiragana => "hiragana",
            Script::Katakana => "katakana",
            Script::HalfWidth => "half-width",
            Script::Hepburn => "hepburn",
            Script::Kunrei => "kunrei",
        }
    }

    fn parse(s: &str) -> Option<Script> {
        Script::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One lookup and the institution it must find.
#[derive(Debug, Clone)]
pub struct PlaceCase {
    /// True for a real institution, false for a demo one.
    pub real: bool,
    /// Tuning or held-out half.
    pub half: Half,
    /// How the town is typed.
    pub script: Script,
    /// `before|after`, `suffix|bare`, `space|no|runin`, joined by `-`.
    pub shape: String,
    /// What is typed.
    pub query: String,
    /// The code expected.
    pub code: String,
}

/// The parsed set.
#[derive(Debug, Clone, Default)]
pub struct PlaceSet {
    /// The set's own institutions (`I` rows).
    pub institutions: Vec<Institution>,
    /// The lookups (`Q` rows).
    pub cases: Vec<PlaceCase>,
}

/// Parses the TSV (`I`, `Q` rows, `#` comments).
pub fn parse(text: &str) -> Result<PlaceSet, String> {
    let mut set = PlaceSet::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| format!("places relevance set line {}: {why}", i + 1);
        let c: Vec<&str> = line.split('\t').collect();
        match c.first().copied() {
            Some("I") if c.len() >= 6 => set.institutions.push(Institution {
                code: InstitutionCode::from_digits(c[1]).ok_or_else(|| bad("code is not 10 digits"))?,
                name: c[2].to_string(),
                name_kana: reading::infer_reading(c[2]),
                kana_inferred: true,
                kind: InstitutionKind::parse(c[3]).ok_or_else(|| bad("unknown kind"))?,
                prefecture: c[4].to_string(),
                city: c[5].to_string(),
                postal_code: String::new(),
                address: String::new(),
                phone: None,
                large_chain: false,
            }),
            Some("Q") if c.len() >= 7 => set.cases.push(PlaceCase {
                real: c[1] == "real",
                half: if c[2] == "tune" { Half::Tune } else { Half::HeldOut },
                script: Script::parse(c[3]).ok_or_else(|| bad("unknown script"))?,
                shape: c[4].to_string(),
                query: c[5].to_string(),
                code: c[6].to_string(),
            }),
            _ => return Err(bad("expected `I` with 6 columns or `Q` with 7")),
        }
    }
    Ok(set)
}

/// Counts of one group: lookups, found first, found in the top 5.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Lookups.
    pub n: usize,
    /// Found first.
    pub at1: usize,
    /// Found in the top 5.
    pub at5: usize,
}

impl Tally {
    /// Share found in the top 5.
    pub fn at5(&self) -> f64 {
        self.at5 as f64 / self.n.max(1) as f64
    }
    fn cell(&self) -> String {
        format!("{:.3} / {:.3} (n={})", self.at1 as f64 / self.n.max(1) as f64, self.at5(), self.n)
    }
}

/// What `bench relevance` prints for place words.
#[derive(Debug, Clone)]
pub struct PlaceRelevance {
    /// Institutions in the index (the set's and the distractors).
    pub indexed: usize,
    /// By (real, script, half).
    pub by_script: HashMap<(bool, Script, Half), Tally>,
    /// By shape part (`before`, `bare`, `runin` ...) and half, both sources.
    pub by_shape: HashMap<(String, Half), Tally>,
    /// Misses of the tuning half: query, expected name, top hit.
    pub misses: Vec<(String, String, String)>,
    /// CPU time of each lookup, in microseconds, sorted.
    pub cpu_us: Vec<f64>,
}

impl PlaceRelevance {
    /// Top-5 share of one script and half over both sources.
    pub fn at5(&self, script: Script, half: Half) -> f64 {
        let t = [false, true]
            .iter()
            .filter_map(|&r| self.by_script.get(&(r, script, half)))
            .fold(Tally::default(), |a, t| Tally { n: a.n + t.n, at1: a.at1 + t.at1, at5: a.at5 + t.at5 });
        t.at5()
    }
}

impl fmt::Display for PlaceRelevance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "place words: town and the first part of the name, over {} institutions (top 1 / top 5):",
            self.indexed
        )?;
        for real in [false, true] {
            for script in Script::ALL {
                let cell = |half| self.by_script.get(&(real, script, half)).map_or("-".into(), Tally::cell);
                writeln!(
                    f,
                    "  {:<5} town in {:<11} tune {}   held out {}",
                    if real { "real" } else { "demo" },
                    script.as_str(),
                    cell(Half::Tune),
                    cell(Half::HeldOut)
                )?;
            }
        }
        let mut shapes: Vec<&String> = self.by_shape.keys().map(|(s, _)| s).collect();
        shapes.sort();
        shapes.dedup();
        for s in shapes {
            let cell = |half| self.by_shape.get(&(s.clone(), half)).map_or("-".into(), Tally::cell);
            writeln!(f, "  {:<17} tune {}   held out {}", s, cell(Half::Tune), cell(Half::HeldOut))?;
        }
        let pick = |q: f64| {
            let i = ((self.cpu_us.len() as f64 * q) as usize).min(self.cpu_us.len().saturating_sub(1));
            self.cpu_us.get(i).copied().unwrap_or(0.0)
        };
        writeln!(
            f,
            "  lookups CPU: median {:.0} µs, p99 {:.0} µs, max {:.0} µs (n={})",
            pick(0.5),
            pick(0.99),
            self.cpu_us.last().copied().unwrap_or(0.0),
            self.cpu_us.len()
        )?;
        let shown = std::env::var("MADOGUCHI_BENCH_MISSES").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
        for (query, expected, top) in self.misses.iter().take(shown) {
            writeln!(f, "  tune miss: 「{query}」 for {expected}; top: {top}")?;
        }
        Ok(())
    }
}

/// The index the set is measured on: `distractors` demo institutions and the set's own.
pub fn index_for(set: &PlaceSet, distractors: usize) -> (Vec<Institution>, InstitutionIndex) {
    let mut data = crate::demo::generate(Some(distractors), crate::demo::DEFAULT_SEED, &|_| {}).institutions;
    let own: std::collections::HashSet<&str> = set.institutions.iter().map(|i| i.code.as_str()).collect();
    data.retain(|i| !own.contains(i.code.as_str()));
    data.extend(set.institutions.iter().cloned());
    let index = InstitutionIndex::build(&data);
    (data, index)
}

/// Measures `set` over `distractors` demo institutions plus the set's own; lookups whose
/// institution is not indexed (a smaller demo than the set was written for) are skipped.
pub fn run(set: &PlaceSet, distractors: usize) -> PlaceRelevance {
    let (data, index) = index_for(set, distractors);
    let mut r = PlaceRelevance {
        indexed: data.len(),
        by_script: HashMap::new(),
        by_shape: HashMap::new(),
        misses: Vec::new(),
        cpu_us: Vec::new(),
    };
    for case in &set.cases {
        let Some(doc) = index.doc_of_code(&case.code) else { continue };
        index.forget_recent();
        let cpu = super::query_mix::thread_cpu_ns();
        let hits = index.search(&case.query, 5);
        r.cpu_us.push(super::query_mix::thread_cpu_ns().saturating_sub(cpu) as f64 / 1_000.0);
        let rank = hits.iter().position(|h| h.doc == doc);
        let add = |t: &mut Tally| {
            t.n += 1;
            t.at1 += usize::from(rank == Some(0));
            t.at5 += usize::from(rank.is_some());
        };
        add(r.by_script.entry((case.real, case.script, case.half)).or_default());
        for part in case.shape.split('-') {
            add(r.by_shape.entry((part.to_string(), case.half)).or_default());
        }
        if rank.is_none() && case.half == Half::Tune {
            let top = hits.first().map_or("-".to_string(), |h| {
                let (p, c) = index.place(h.doc).unwrap_or(("", ""));
                format!("{} ({p}{c})", index.name(h.doc).unwrap_or(""))
            });
            let (p, c) = index.place(doc).unwrap_or(("", ""));
            r.misses.push((case.query.clone(), format!("{} ({p}{c})", index.name(doc).unwrap_or("")), top));
        }
    }
    r.cpu_us.sort_by(f64::total_cmp);
    r
}

/// What `madoguchi bench relevance` prints for place words.
pub fn run_builtin() -> Result<PlaceRelevance, String> {
    Ok(run(&parse(BUILTIN_SET)?, DISTRACTORS))
}

// ---- Writing the set ----

/// SplitMix64 from a code: the shape of each lookup.
struct Draw(u64);

impl Draw {
    fn new(code: &str, salt: u64) -> Draw {
        Draw(
            code.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ salt, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }),
        )
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// The reading keys an institution is indexed under (given, or inferred as at import).
fn reading_keys(inst: &Institution) -> Vec<String> {
    let mut out: Vec<String> = inst.name_kana.iter().map(|k| reading_key(&fold(k))).collect();
    if inst.name_kana.is_none() || inst.kana_inferred {
        out.extend(reading::infer_readings(&inst.name).iter().map(|r| reading_key(&fold(r))));
        if let Some(last) = inst.name.split_whitespace().last() {
            out.extend(reading::infer_readings(last).iter().take(2).map(|r| reading_key(&fold(r))));
        }
    }
    out
}

/// The first part of the name as a caller says it (hiragana), when the indexed readings hold
/// it: its leading kana, or the reading of its first two or three kanji.
fn name_part(inst: &Institution, keys: &[String]) -> Option<String> {
    let facility = inst.name.split_whitespace().last()?;
    let folded = fold(facility);
    let proper: Vec<char> = folded[legal_prefix_end(&folded)..].chars().collect();
    let kana = |c: char| matches!(c, '\u{3041}'..='\u{309F}');
    let mut candidates: Vec<String> = Vec::new();
    if proper.first().is_some_and(|&c| kana(c)) {
        candidates.push(proper.iter().take_while(|&&c| kana(c)).take(6).collect());
    } else {
        for n in [2, 3] {
            if proper.len() > n {
                let part: String = proper[..n].iter().collect();
                candidates.extend(reading::infer_readings(&part).into_iter().take(2));
            }
        }
    }
    candidates.into_iter().map(|c| c.chars().map(katakana_to_hiragana).collect::<String>()).find(|c| {
        let key = reading_key(c);
        c.chars().count() >= 2 && key.chars().count() >= 2 && keys.iter().any(|k| k.contains(&key))
    })
}

/// The town of a municipality as a caller names it: (kanji, katakana, suffix kanji, suffix
/// katakana) — a county's town by its own name; `None` for a designated city's ward.
fn town(city: &str, kana: &str) -> Option<Town> {
    let county = city.split_once('郡').filter(|_| city.ends_with(['町', '村']));
    let (name, reading) = if let (Some((_, t)), Some((_, tk))) = (county, kana.split_once("グン")) {
        (t.to_string(), tk.to_string())
    } else if city.split_once('市').is_some_and(|(c, w)| !c.is_empty() && w.ends_with('区')) {
        return None; // a designated city's ward: `designated_town`
    } else {
        (city.to_string(), kana.to_string())
    };
    split_suffix(&name, &reading)
}

/// (stem, stem reading, suffix, suffix reading).
fn split_suffix(name: &str, kana: &str) -> Option<Town> {
    let last = name.chars().last()?;
    let said: &[&str] = match last {
        '市' => &["シ"],
        '区' => &["ク"],
        '町' => &["マチ", "チョウ"],
        '村' => &["ムラ", "ソン"],
        _ => return Some((name.to_string(), kana.to_string(), String::new(), String::new())),
    };
    let s = said.iter().find(|s| kana.ends_with(**s))?;
    Some((
        name[..name.len() - last.len_utf8()].to_string(),
        kana[..kana.len() - s.len()].to_string(),
        last.to_string(),
        s.to_string(),
    ))
}

/// `kana` (katakana) typed in `script`, long vowels of romaji written one of three ways.
fn spell(script: Script, kana: &str, vowels: u64) -> String {
    let romaji = |s: String| match vowels {
        0 => s,
        1 => s.replace("ou", "o").replace("uu", "u"),
        _ => s.replace("ou", "ō").replace("uu", "ū"),
    };
    match script {
        Script::Kanji | Script::Hiragana => kana.chars().map(katakana_to_hiragana).collect(),
        Script::Katakana => kana.to_string(),
        Script::HalfWidth => Form::HalfWidth.spell(kana),
        Script::Hepburn => romaji(Form::Hepburn.spell(kana)),
        Script::Kunrei => romaji(Form::Kunrei.spell(kana)),
    }
}

/// The town of an institution as its caller names it (see [`town`]): (kanji stem, its
/// reading, suffix, suffix reading).
type Town = (String, String, String, String);

fn town_of(inst: &Institution, town_kana: &HashMap<(String, String), String>) -> Option<Town> {
    let kana = town_kana.get(&(inst.prefecture.clone(), inst.city.clone()))?;
    let mut d = Draw::new(inst.code.as_str(), 0);
    town(&inst.city, kana).or_else(|| designated_town(&inst.city, kana, &mut d))
}

/// The lookups of one institution in `town`, one per script.
fn lookups(inst: &Institution, town: &Town, part: &str) -> Vec<(Script, String, String)> {
    let code = inst.code.as_str();
    let (stem, stem_kana, suffix, suffix_kana) = town;
    let mut out = Vec::new();
    for script in Script::ALL {
        let mut d = Draw::new(code, script as u64 + 1);
        let keep_suffix =
            suffix.is_empty() || d.below(2) == 0 || stem.chars().count() < 2 || stem_kana.chars().count() < 2;
        let after = d.below(4) == 0;
        let joint = match d.below(20) {
            0..=13 => "space",
            14..=16 if !after => "no",
            _ => "runin",
        };
        let vowels = d.below(3);
        let place = match script {
            Script::Kanji => format!("{stem}{}", if keep_suffix { suffix.as_str() } else { "" }),
            _ => {
                let hyphen = matches!(script, Script::Hepburn | Script::Kunrei) && d.below(3) == 0;
                let s = spell(script, stem_kana, vowels);
                if keep_suffix && !suffix_kana.is_empty() {
                    format!("{s}{}{}", if hyphen { "-" } else { "" }, spell(script, suffix_kana, vowels))
                } else {
                    s
                }
            }
        };
        let name = match script {
            Script::Kanji => part.to_string(),
            _ => spell(script, &crate::search::normalize::hiragana_to_katakana(part), vowels),
        };
        let no = match script {
            Script::Kanji | Script::Hiragana => "の",
            Script::Katakana => "ノ",
            Script::HalfWidth => "ﾉ",
            Script::Hepburn | Script::Kunrei => "no",
        };
        let query = match (after, joint) {
            (false, "space") => format!("{place} {name}"),
            (false, "no") => format!("{place}{no}{name}"),
            (false, _) => format!("{place}{name}"),
            (true, "space") => format!("{name} {place}"),
            (true, _) => format!("{name}{place}"),
        };
        let shape = format!(
            "{}-{}-{joint}",
            if after { "after" } else { "before" },
            if keep_suffix && !suffix.is_empty() { "suffix" } else { "bare" }
        );
        out.push((script, shape, query));
    }
    out
}

/// A designated city's ward named by its city or by itself, readings split as the place
/// table splits them (the city's reading is what its wards' readings share).
fn designated_town(city: &str, kana: &str, d: &mut Draw) -> Option<Town> {
    let (c, ward) = city.split_once('市').filter(|(c, w)| !c.is_empty() && w.ends_with('区'))?;
    let munis = crate::demo::tables::municipalities();
    let mut common: Option<String> = None;
    for m in munis.iter().filter(|m| m.city.starts_with(&format!("{c}市")) && m.city.ends_with('区')) {
        let e = common.get_or_insert_with(|| m.city_kana.to_string());
        let n: usize =
            e.chars().zip(m.city_kana.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
        e.truncate(n);
    }
    let common = common?;
    let end = common.rfind('シ')? + 'シ'.len_utf8();
    let (city_kana, ward_kana) = (&kana[..end], &kana[end..]);
    if d.below(2) == 0 { split_suffix(&format!("{c}市"), city_kana) } else { split_suffix(ward, ward_kana) }
}

/// Writes the set from the shared data folder (`real_medical_institutions_2025-08.csv`): see
/// the module doc.
pub fn generate(shared: &std::path::Path) -> Result<String, String> {
    let file = std::fs::File::open(shared.join("real_medical_institutions_2025-08.csv"))
        .map_err(|e| e.to_string())?;
    let real: Vec<Institution> = crate::import::institutions::parse_institutions(file)
        .map_err(|e| e.to_string())?
        .rows
        .into_iter()
        .map(|r| r.institution)
        .collect();
    let demo = crate::demo::generate(Some(DISTRACTORS), crate::demo::DEFAULT_SEED, &|_| {}).institutions;
    let town_kana: HashMap<(String, String), String> = crate::demo::tables::municipalities()
        .iter()
        .map(|m| ((m.prefecture.to_string(), m.city.to_string()), m.city_kana.to_string()))
        .collect();
    // Real candidates: a spread of the list by a hash of the code.
    let mut real_order: Vec<&Institution> = real.iter().collect();
    real_order.sort_by_key(|i| Draw::new(i.code.as_str(), 7).below(u64::MAX));
    real_order.truncate(PER_HALF * 12);
    let mut keys_by_town: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
    for inst in demo.iter().chain(real_order.iter().copied()) {
        keys_by_town
            .entry((inst.prefecture.clone(), inst.city.clone()))
            .or_default()
            .push(reading_keys(inst));
    }
    let mut text = String::from(
        "# Place-word lookup set (src/bench/relevance_places.rs; written by its `generate` from the team's shared data).\n\
         # I rows: real institutions (regional health bureaus' code lists, August 2025) indexed beside the demo data, readings inferred: code, name, kind, prefecture, city.\n\
         # Q rows: source (demo: DEFAULT_SEED, 30,000 institutions; real: the I rows), half, how the town is typed, shape (position-suffix-joint), query, expected code.\n",
    );
    let mut rows = String::new();
    for (real_source, pool) in [(false, demo.iter().collect::<Vec<_>>()), (true, real_order)] {
        let mut taken: HashMap<Half, usize> = HashMap::new();
        let mut order = pool.clone();
        order.sort_by_key(|i| Draw::new(i.code.as_str(), 11).below(u64::MAX));
        for inst in order {
            let half = half_of(inst.code.as_str());
            if taken.get(&half).copied().unwrap_or(0) >= PER_HALF {
                continue;
            }
            let keys = reading_keys(inst);
            let Some(part) = name_part(inst, &keys) else { continue };
            let Some(town) = town_of(inst, &town_kana) else { continue };
            // Every town the bare town word names (府中: three; 京都: the prefecture).
            let part_key = reading_key(&part);
            let scope: Vec<PlaceEntry> = PlaceTable::shipped()
                .word(&town.0)
                .unwrap_or(&[])
                .iter()
                .map(|&id| PlaceTable::shipped().entry_of(id))
                .collect();
            let same: usize = keys_by_town
                .iter()
                .filter(|((p, c), _)| {
                    scope.iter().any(|e| e.prefecture == p && e.city.is_none_or(|ec| ec == c))
                        || (*p == inst.prefecture && *c == inst.city)
                })
                .map(|(_, all)| all.iter().filter(|ks| ks.iter().any(|k| k.contains(&part_key))).count())
                .sum();
            if same > 2 {
                continue;
            }
            let lookups = lookups(inst, &town, &part);
            if lookups.len() < Script::ALL.len() {
                continue;
            }
            *taken.entry(half).or_default() += 1;
            let code = inst.code.as_str();
            if real_source {
                text.push_str(&format!(
                    "I\t{code}\t{}\t{}\t{}\t{}\n",
                    inst.name,
                    inst.kind.as_str(),
                    inst.prefecture,
                    inst.city
                ));
            }
            for (script, shape, query) in lookups {
                rows.push_str(&format!(
                    "Q\t{}\t{}\t{}\t{shape}\t{query}\t{code}\n",
                    if real_source { "real" } else { "demo" },
                    if half == Half::Tune { "tune" } else { "held" },
                    script.as_str()
                ));
            }
        }
    }
    text.push_str(&rows);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_parses_and_has_200_lookups_per_kind_and_half() {
        let set = parse(BUILTIN_SET).expect("shipped set parses");
        for script in Script::ALL {
            for half in [Half::Tune, Half::HeldOut] {
                let n = set.cases.iter().filter(|c| c.script == script && c.half == half).count();
                assert!(n >= 200, "{script:?} {half:?}: {n}");
            }
        }
        assert!(set.institutions.len() >= 200);
        assert!(parse("Q\tbad").is_err());
    }

    /// Recall@5 ≥ 0.95 for the town typed each way, on the held-out half and the tuning half.
    #[test]
    fn place_words_find_the_institution_in_every_script() {
        let r = run_builtin().expect("shipped set parses");
        println!("{r}");
        for script in Script::ALL {
            for half in [Half::Tune, Half::HeldOut] {
                assert!(r.at5(script, half) >= 0.95, "{script:?} {half:?}: {:.3}\n{r}", r.at5(script, half));
            }
        }
    }

    /// Rewrites `benches/relevance/places.tsv` from the shared data folder (`MADOGUCHI_SHARED_DATA`,
    /// default `../shared/data`): `cargo test --lib write_place_set -- --ignored`.
    #[test]
    #[ignore = "writes the shipped set from the team's shared data folder"]
    fn write_place_set() {
        let dir = std::env::var("MADOGUCHI_SHARED_DATA").unwrap_or_else(|_| "../shared/data".into());
        let dir = std::path::Path::new(&dir);
        if !dir.join("real_medical_institutions_2025-08.csv").exists() {
            println!("no shared data at {}: nothing written", dir.display());
            return;
        }
        let text = generate(dir).expect("set written");
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/relevance/places.tsv"), text)
            .expect("write");
    }
}
