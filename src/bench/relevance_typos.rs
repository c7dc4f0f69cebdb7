//! Typo tolerance: how often an institution is still found in the top 5 when its reading is
//! typed with one slip (a letter dropped, two adjacent letters swapped, a wrong vowel), in
//! romaji and in hiragana.
//!
//! The set is made, not written: from the demo data (whose readings the index holds exactly),
//! institutions whose reading no other one shares are taken, and each kind of slip is applied
//! at a position drawn from a generator seeded by the institution's code. Institutions are
//! split into a tuning half and a held-out half by a hash of their code; the typo step was
//! tuned on the first only, and both are reported. Slips that leave the loose reading key
//! unchanged (`byouin` → `byoin`, a long vowel) are skipped: they are not typos to the index.

use std::collections::HashMap;
use std::fmt;

use super::query_mix::thread_cpu_ns;
use crate::domain::Institution;
use crate::search::InstitutionIndex;
use crate::search::normalize::{fold, katakana_to_hiragana, reading_key};
use crate::search::romaji;

/// Demo institutions indexed (and drawn from) by `bench relevance`.
pub const INSTITUTIONS: usize = 30_000;
/// Institutions whose readings are slipped, per half.
pub const PER_HALF: usize = 300;
/// Misses of the tuning half printed per kind (the held-out half's are not looked at).
const MISSES_SHOWN: usize = 6;
/// Slowest lookups of the tuning half printed.
const SLOWEST_SHOWN: usize = 4;

/// One kind of slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slip {
    /// Romaji with one letter dropped.
    RomajiDrop,
    /// Romaji with two adjacent letters swapped.
    RomajiSwap,
    /// Romaji with one wrong vowel.
    RomajiVowel,
    /// Hiragana with one kana dropped.
    KanaDrop,
    /// Hiragana with two adjacent kana swapped.
    KanaSwap,
    /// Hiragana with one kana of the wrong vowel.
    KanaVowel,
}

impl Slip {
    /// Every slip, in the order the figures are printed.
    pub const ALL: [Slip; 6] = [
        Slip::RomajiDrop,
        Slip::RomajiSwap,
        Slip::RomajiVowel,
        Slip::KanaDrop,
        Slip::KanaSwap,
        Slip::KanaVowel,
    ];

    /// The slip in words, for the printed figures.
    pub fn as_str(self) -> &'static str {
        match self {
            Slip::RomajiDrop => "romaji, one letter dropped",
            Slip::RomajiSwap => "romaji, two adjacent letters swapped",
            Slip::RomajiVowel => "romaji, one wrong vowel",
            Slip::KanaDrop => "hiragana, one kana dropped",
            Slip::KanaSwap => "hiragana, two adjacent kana swapped",
            Slip::KanaVowel => "hiragana, one kana with the wrong vowel",
        }
    }
}

/// Which half of the set an institution is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Half {
    /// The tuning half.
    Tune,
    /// The held-out half (never used for tuning).
    HeldOut,
}

/// The half of `code`: a hash, so the split does not follow the demo generator's order.
pub fn half_of(code: &str) -> Half {
    if fnv(code.as_bytes()).is_multiple_of(2) { Half::Tune } else { Half::HeldOut }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// SplitMix64 step: the position of each slip, from the code.
fn mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One slipped lookup.
#[derive(Debug, Clone)]
pub struct TypoCase {
    /// The institution's code.
    pub code: String,
    /// Its reading as held (katakana).
    pub reading: String,
    /// What is typed, with the slip.
    pub query: String,
    /// Which slip was made.
    pub slip: Slip,
    /// Which half the institution is in.
    pub half: Half,
}

const VOWELS: [char; 5] = ['a', 'i', 'u', 'e', 'o'];

/// The kana rows, by vowel (あ い う え お).
const ROWS: &[[char; 5]] = &[
    ['あ', 'い', 'う', 'え', 'お'],
    ['か', 'き', 'く', 'け', 'こ'],
    ['が', 'ぎ', 'ぐ', 'げ', 'ご'],
    ['さ', 'し', 'す', 'せ', 'そ'],
    ['ざ', 'じ', 'ず', 'ぜ', 'ぞ'],
    ['た', 'ち', 'つ', 'て', 'と'],
    ['だ', 'ぢ', 'づ', 'で', 'ど'],
    ['な', 'に', 'ぬ', 'ね', 'の'],
    ['は', 'ひ', 'ふ', 'へ', 'ほ'],
    ['ば', 'び', 'ぶ', 'べ', 'ぼ'],
    ['ぱ', 'ぴ', 'ぷ', 'ぺ', 'ぽ'],
    ['ま', 'み', 'む', 'め', 'も'],
    ['ら', 'り', 'る', 'れ', 'ろ'],
];

/// `text` with one slip of `slip`'s kind at a position drawn from `state`, or `None` when the
/// text has no place for it.
fn slip_text(text: &str, slip: Slip, state: &mut u64) -> Option<String> {
    let mut chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    if n < 3 {
        return None;
    }
    let pick = |state: &mut u64, places: &[usize]| -> Option<usize> {
        (!places.is_empty()).then(|| places[(mix(state) % places.len() as u64) as usize])
    };
    match slip {
        Slip::RomajiDrop | Slip::KanaDrop => {
            let places: Vec<usize> = (0..n).filter(|&i| chars[i] != 'ー').collect();
            let i = pick(state, &places)?;
            chars.remove(i);
        }
        Slip::RomajiSwap | Slip::KanaSwap => {
            let places: Vec<usize> = (0..n - 1).filter(|&i| chars[i] != chars[i + 1]).collect();
            let i = pick(state, &places)?;
            chars.swap(i, i + 1);
        }
        Slip::RomajiVowel => {
            let places: Vec<usize> = (0..n).filter(|&i| VOWELS.contains(&chars[i])).collect();
            let i = pick(state, &places)?;
            let others: Vec<char> = VOWELS.iter().copied().filter(|&v| v != chars[i]).collect();
            chars[i] = others[(mix(state) % others.len() as u64) as usize];
        }
        Slip::KanaVowel => {
            let places: Vec<usize> =
                (0..n).filter(|&i| ROWS.iter().any(|row| row.contains(&chars[i]))).collect();
            let i = pick(state, &places)?;
            let row = ROWS.iter().find(|row| row.contains(&chars[i]))?;
            let others: Vec<char> = row.iter().copied().filter(|&k| k != chars[i]).collect();
            chars[i] = others[(mix(state) % others.len() as u64) as usize];
        }
    }
    Some(chars.into_iter().collect())
}

/// The slipped lookups for `institutions`: those whose loose reading is unique, at most
/// `per_half` per half, every kind of slip for each.
pub fn cases(institutions: &[Institution], per_half: usize) -> Vec<TypoCase> {
    let key = |i: &Institution| i.name_kana.as_deref().map(|k| reading_key(&fold(k)));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in institutions {
        if let Some(k) = key(i) {
            *seen.entry(k).or_default() += 1;
        }
    }
    let mut taken: HashMap<Half, usize> = HashMap::new();
    let mut out = Vec::new();
    for inst in institutions {
        let (Some(kana), Some(k)) = (inst.name_kana.as_deref(), key(inst)) else { continue };
        if seen.get(&k) != Some(&1) || inst.kana_inferred {
            continue;
        }
        let code = inst.code.as_str().to_string();
        let half = half_of(&code);
        let count = taken.entry(half).or_default();
        if *count >= per_half {
            continue;
        }
        *count += 1;
        let hira: String = kana.chars().map(katakana_to_hiragana).collect();
        let roma = romaji::to_romaji(kana);
        for slip in Slip::ALL {
            let mut state = fnv(code.as_bytes()) ^ (slip as u64).wrapping_mul(0x9E37_79B9);
            let base = match slip {
                Slip::RomajiDrop | Slip::RomajiSwap | Slip::RomajiVowel => &roma,
                _ => &hira,
            };
            // A few draws: a slip that leaves the loose key as it was is not a typo.
            for _ in 0..8 {
                let Some(query) = slip_text(base, slip, &mut state) else { break };
                let loose = match romaji::to_kana(&query) {
                    Some(r) if base == &roma => reading_key(&r.kana),
                    _ => reading_key(&fold(&query)),
                };
                if loose == k {
                    continue;
                }
                out.push(TypoCase { code: code.clone(), reading: kana.to_string(), query, slip, half });
                break;
            }
        }
    }
    out
}

/// Top-5 share per (kind, half).
#[derive(Debug, Clone)]
pub struct TypoRelevance {
    /// Institutions in the index.
    pub indexed: usize,
    /// Per (slip, half): lookups, share found first, share in the top 5.
    pub rows: Vec<(Slip, Half, usize, f64, f64)>,
    /// Misses: (slip, half, typed, reading, name ranked first).
    pub misses: Vec<(Slip, Half, String, String, Option<String>)>,
    /// CPU time of each slipped lookup, in microseconds, sorted.
    pub cpu_us: Vec<f64>,
    /// The slowest lookups of the tuning half: CPU microseconds and query.
    pub slowest: Vec<(f64, String)>,
}

impl TypoRelevance {
    /// The top-5 share of one kind and half.
    pub fn at5(&self, slip: Slip, half: Half) -> f64 {
        self.rows.iter().find(|r| r.0 == slip && r.1 == half).map_or(0.0, |r| r.4)
    }
}

impl fmt::Display for TypoRelevance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "typo tolerance: readings held exactly, one slip each, over {} demo institutions (top 1 / top 5):",
            self.indexed
        )?;
        for slip in Slip::ALL {
            let cell = |half: Half| {
                self.rows
                    .iter()
                    .find(|r| r.0 == slip && r.1 == half)
                    .map_or("-".to_string(), |r| format!("{:.3} / {:.3} (n={})", r.3, r.4, r.2))
            };
            writeln!(
                f,
                "  {:<42} tune {}   held out {}",
                slip.as_str(),
                cell(Half::Tune),
                cell(Half::HeldOut)
            )?;
        }
        let pick = |q: f64| {
            let i = ((self.cpu_us.len() as f64 * q) as usize).min(self.cpu_us.len().saturating_sub(1));
            self.cpu_us.get(i).copied().unwrap_or(0.0)
        };
        writeln!(
            f,
            "  slipped lookups CPU: median {:.0} µs, p99 {:.0} µs, max {:.0} µs (n={})",
            pick(0.5),
            pick(0.99),
            self.cpu_us.last().copied().unwrap_or(0.0),
            self.cpu_us.len()
        )?;
        for (us, query) in &self.slowest {
            writeln!(f, "  slow (tune): {us:.0} µs 「{query}」")?;
        }
        for slip in Slip::ALL {
            for (_, _, query, reading, top) in
                self.misses.iter().filter(|m| m.0 == slip && m.1 == Half::Tune).take(MISSES_SHOWN)
            {
                writeln!(
                    f,
                    "  tune miss ({}): 「{query}」 for {reading}; top: {}",
                    slip.as_str(),
                    top.as_deref().unwrap_or("-")
                )?;
            }
        }
        Ok(())
    }
}

/// Measures the slipped lookups over `institutions` demo institutions.
pub fn run(institutions: usize, per_half: usize) -> TypoRelevance {
    let data = crate::demo::generate(Some(institutions), crate::demo::DEFAULT_SEED, &|_| {}).institutions;
    let index = InstitutionIndex::build(&data);
    let cases = cases(&data, per_half);
    let mut tally: HashMap<(Slip, Half), (usize, usize, usize)> = HashMap::new();
    let mut misses = Vec::new();
    let mut cpu_us = Vec::with_capacity(cases.len());
    let mut slowest: Vec<(f64, String)> = Vec::new();
    for case in &cases {
        index.forget_recent();
        let cpu = thread_cpu_ns();
        let hits = index.search(&case.query, 5);
        let us = thread_cpu_ns().saturating_sub(cpu) as f64 / 1_000.0;
        cpu_us.push(us);
        if case.half == Half::Tune {
            slowest.push((us, case.query.clone()));
        }
        let rank = hits.iter().position(|h| index.code(h.doc) == Some(case.code.as_str()));
        let t = tally.entry((case.slip, case.half)).or_default();
        t.0 += 1;
        if rank == Some(0) {
            t.1 += 1;
        }
        if rank.is_some() {
            t.2 += 1;
        } else {
            let top = hits.first().and_then(|h| index.name(h.doc)).map(str::to_string);
            misses.push((case.slip, case.half, case.query.clone(), case.reading.clone(), top));
        }
    }
    let mut rows: Vec<(Slip, Half, usize, f64, f64)> = tally
        .into_iter()
        .map(|((s, h), (n, a1, a5))| (s, h, n, a1 as f64 / n.max(1) as f64, a5 as f64 / n.max(1) as f64))
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    cpu_us.sort_by(f64::total_cmp);
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    slowest.truncate(SLOWEST_SHOWN);
    TypoRelevance { indexed: data.len(), rows, misses, cpu_us, slowest }
}

/// What `madoguchi bench relevance` prints for typos: over [`INSTITUTIONS`] demo institutions,
/// or as many as `MADOGUCHI_BENCH_TYPO_INSTITUTIONS` says (the step's cost at the country's
/// size, 242000).
pub fn run_builtin() -> TypoRelevance {
    let institutions = std::env::var("MADOGUCHI_BENCH_TYPO_INSTITUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INSTITUTIONS);
    run(institutions, PER_HALF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slips_are_deterministic_and_change_the_key() {
        let data = crate::demo::generate(Some(600), crate::demo::DEFAULT_SEED, &|_| {}).institutions;
        let a = cases(&data, 20);
        let b = cases(&data, 20);
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(x, y)| x.query == y.query));
        assert!(a.iter().any(|c| c.half == Half::Tune) && a.iter().any(|c| c.half == Half::HeldOut));
        for slip in Slip::ALL {
            assert!(a.iter().filter(|c| c.slip == slip).count() >= 20, "{slip:?}");
        }
    }

    #[test]
    fn slip_kinds_do_what_they_say() {
        let mut s = 1;
        let d = slip_text("tanabe", Slip::RomajiDrop, &mut s).unwrap();
        assert_eq!(d.len(), 5);
        let w = slip_text("tanabe", Slip::RomajiSwap, &mut s).unwrap();
        assert_eq!(w.len(), 6);
        assert_ne!(w, "tanabe");
        let v = slip_text("たなべ", Slip::KanaVowel, &mut s).unwrap();
        assert_eq!(v.chars().count(), 3);
        assert_ne!(v, "たなべ");
    }

    /// Floors on the held-out half (a smaller index than `bench relevance`'s, same making): a
    /// guard against losing the typo step, well below what `bench relevance` prints.
    #[test]
    fn typo_floors() {
        let r = run(6_000, 120);
        println!("{r}");
        for slip in Slip::ALL {
            assert!(r.at5(slip, Half::HeldOut) >= 0.45, "{slip:?}: {:.3}\n{r}", r.at5(slip, Half::HeldOut));
        }
    }
}
