//! One kana dropped from a name as a caller says it (`はやしか` for 林歯科 はやししか): how
//! often the institution is still in the top 5.
//!
//! The names are those of the place-word set (`benches/relevance/places.tsv`): its demo
//! institutions without a corporation in their name (their reading is the name said), and its
//! real ones (the reading inferred for the name after the corporation, as at import). A name
//! said is taken when no other institution of the index has a reading starting with it (the
//! whole name names one); one kana is dropped at a place drawn from a hash of the code, where
//! that changes the reading key. Tuning and held-out halves by a hash of the code, as the
//! place-word set.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::relevance_places::{self, PlaceSet};
use super::relevance_typos::Half;
use crate::domain::Institution;
use crate::search::normalize::{fold, katakana_to_hiragana, reading_key};
use crate::search::reading;

/// One dropped-kana lookup.
#[derive(Debug, Clone)]
pub struct DropCase {
    /// The institution's code.
    pub code: String,
    /// The name as a caller says it (hiragana).
    pub said: String,
    /// The same with one kana dropped: what is typed.
    pub query: String,
    /// True for a real institution, false for a demo one.
    pub real: bool,
    /// Tuning or held-out half.
    pub half: Half,
}

/// The name as a caller says it (hiragana): the reading of a demo name without a corporation,
/// or the reading inferred for a real name's last word.
fn said(inst: &Institution, real: bool) -> Option<String> {
    let kana = if real {
        reading::infer_reading(inst.name.split_whitespace().last()?)?
    } else {
        if inst.name.contains(char::is_whitespace) {
            return None;
        }
        inst.name_kana.clone()?
    };
    Some(kana.chars().map(katakana_to_hiragana).collect())
}

/// The cases of `set` over `data` (the index's institutions).
pub fn cases(set: &PlaceSet, data: &[Institution]) -> Vec<DropCase> {
    let by_code: HashMap<&str, &Institution> = data.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut seen = HashSet::new();
    let mut picked: Vec<(DropCase, String)> = Vec::new();
    for c in &set.cases {
        if !seen.insert(c.code.clone()) {
            continue;
        }
        let Some(inst) = by_code.get(c.code.as_str()) else { continue };
        let Some(said) = said(inst, c.real) else { continue };
        let chars: Vec<char> = said.chars().collect();
        if chars.len() < 4 {
            continue;
        }
        let key = reading_key(&fold(&said));
        let mut h = c.code.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
        for _ in 0..8 {
            h = h.wrapping_mul(0x9E37_79B1).rotate_left(13);
            let i = h as usize % chars.len();
            if chars[i] == 'ー' {
                continue;
            }
            let query: String =
                chars.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &ch)| ch).collect();
            if reading_key(&fold(&query)) == key {
                continue;
            }
            let case =
                DropCase { code: c.code.clone(), said: said.clone(), query, real: c.real, half: c.half };
            picked.push((case, key));
            break;
        }
    }
    // The whole name must name one institution: no other reading starts with it.
    let keys: Vec<String> = picked.iter().map(|(_, k)| k.clone()).collect();
    let mut starts: HashMap<&str, usize> = HashMap::new();
    for inst in data {
        let mut readings: Vec<String> = inst.name_kana.iter().map(|k| reading_key(&fold(k))).collect();
        if inst.kana_inferred {
            readings.extend(reading::infer_readings(&inst.name).iter().map(|r| reading_key(&fold(r))));
            if let Some(last) = inst.name.split_whitespace().last() {
                readings.extend(reading::infer_readings(last).iter().take(2).map(|r| reading_key(&fold(r))));
            }
        }
        for k in &keys {
            if readings.iter().any(|r| r.starts_with(k.as_str())) {
                *starts.entry(k.as_str()).or_default() += 1;
            }
        }
    }
    picked
        .into_iter()
        .filter(|(_, k)| starts.get(k.as_str()).copied().unwrap_or(0) <= 1)
        .map(|(c, _)| c)
        .collect()
}

/// Top-5 share by (real, half), and the tuning half's misses.
#[derive(Debug, Clone)]
pub struct DropRelevance {
    /// Per (real, half): cases, share found first, share in the top 5.
    pub rows: Vec<(bool, Half, usize, f64, f64)>,
    /// Tuning-half misses: (typed, said, name ranked first).
    pub misses: Vec<(String, String, String)>,
}

impl DropRelevance {
    /// Top-5 share of one half over both sources.
    pub fn at5(&self, half: Half) -> f64 {
        let (n, hit) = self
            .rows
            .iter()
            .filter(|r| r.1 == half)
            .fold((0.0, 0.0), |(n, h), r| (n + r.2 as f64, h + r.4 * r.2 as f64));
        hit / f64::max(n, 1.0)
    }
}

impl fmt::Display for DropRelevance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "one kana dropped from the name as said (top 1 / top 5):")?;
        for &(real, half, n, a1, a5) in &self.rows {
            writeln!(
                f,
                "  {:<5} {:<9} {a1:.3} / {a5:.3} (n={n})",
                if real { "real" } else { "demo" },
                if half == Half::Tune { "tune" } else { "held out" }
            )?;
        }
        for (query, said, top) in self.misses.iter().take(8) {
            writeln!(f, "  tune miss: 「{query}」 for {said}; top: {top}")?;
        }
        Ok(())
    }
}

/// Measures the dropped-kana lookups of the shipped place-word set.
pub fn run_builtin() -> Result<DropRelevance, String> {
    let set = relevance_places::parse(relevance_places::BUILTIN_SET)?;
    let (data, index) = relevance_places::index_for(&set, relevance_places::DISTRACTORS);
    let cases = cases(&set, &data);
    let mut tally: HashMap<(bool, Half), (usize, usize, usize)> = HashMap::new();
    let mut misses = Vec::new();
    for c in &cases {
        let Some(doc) = index.doc_of_code(&c.code) else { continue };
        index.forget_recent();
        let hits = index.search(&c.query, 5);
        let rank = hits.iter().position(|h| h.doc == doc);
        let t = tally.entry((c.real, c.half)).or_default();
        t.0 += 1;
        t.1 += usize::from(rank == Some(0));
        t.2 += usize::from(rank.is_some());
        if rank.is_none() && c.half == Half::Tune {
            let top = hits.first().and_then(|h| index.name(h.doc)).unwrap_or("-").to_string();
            misses.push((c.query.clone(), c.said.clone(), top));
        }
    }
    let mut rows: Vec<(bool, Half, usize, f64, f64)> = tally
        .into_iter()
        .map(|((r, h), (n, a1, a5))| (r, h, n, a1 as f64 / n.max(1) as f64, a5 as f64 / n.max(1) as f64))
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    Ok(DropRelevance { rows, misses })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One kana dropped: a floor on both halves (measured 0.969 tuning / 0.970 held out; the
    /// misses left are drops that still start other names, `ふじがんか` for やふじがんか, and
    /// drops that leave another name's reading one kana put back just as well: `やまたいいん`
    /// for やまがたいいん is also 山下医院 やましたいいん, of which there are several).
    #[test]
    fn a_dropped_kana_is_still_found() {
        let r = run_builtin().expect("shipped set parses");
        println!("{r}");
        for half in [Half::Tune, Half::HeldOut] {
            let n: usize = r.rows.iter().filter(|x| x.1 == half).map(|x| x.2).sum();
            assert!(n >= 200, "{half:?}: {n} lookups");
            assert!(r.at5(half) >= 0.96, "{half:?}: {:.3}\n{r}", r.at5(half));
        }
    }
}
