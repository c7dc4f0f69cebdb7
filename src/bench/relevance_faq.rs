//! FAQ relevance: how well `FaqIndex` ranks answers to questions phrased by callers and
//! residents, on three shipped sets: the built-in FAQ (`benches/relevance/faq.tsv`) and two sets
//! built from public Japanese FAQ pages (`benches/faq/`: マイナ保険証, a city hall's FAQ). Each
//! set is reported separately for the half the ranking parameters may be tuned on and the
//! held-out half that never is; the confidence flag is measured on the held-out questions and on
//! out-of-domain questions (`benches/faq/out_of_domain.txt`).
//!
//! Figures: Hit@1/@5/@10 (an expected entry within the first k), Recall@10 (share of the
//! expected entries within the first 10), nDCG@10 (binary gains) and MRR (within the first 10).
//! `run_builtin()` is what `madoguchi bench relevance` prints; the tests below assert floors and
//! hold the sweep that chose `FaqParams::default()`.

use std::collections::HashSet;
use std::fmt;

use crate::api::FaqEntry;
use crate::import::faq::{builtin_entries, parse_faq_jsonl};
use crate::search::faq_index::{FaqIndex, FaqParams};

/// The relevance set of the built-in FAQ.
pub const BUILTIN_SET: &str = include_str!("../../benches/relevance/faq.tsv");

/// The public sets: (name, entries as JSONL, questions as TSV).
const PUBLIC_SETS: &[(&str, &str, &str)] = &[
    ("myna", include_str!("../../benches/faq/myna.jsonl"), include_str!("../../benches/faq/myna.tsv")),
    ("city", include_str!("../../benches/faq/city.jsonl"), include_str!("../../benches/faq/city.tsv")),
];

/// Questions no shipped FAQ answers, one a line (`#` comments).
pub const OUT_OF_DOMAIN: &str = include_str!("../../benches/faq/out_of_domain.txt");

/// Which half of a set a question belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// May be used to choose the ranking parameters.
    Tune,
    /// Never used for tuning: the honest figure.
    Heldout,
}

/// One caller's question and the entries that answer it (any one counts as a hit).
#[derive(Debug, Clone)]
pub struct Case {
    /// 1-based line in the set file.
    pub line: usize,
    /// Tuning or held-out half.
    pub split: Split,
    /// The caller's question.
    pub query: String,
    /// Ids of the entries that answer it.
    pub expected: Vec<String>,
}

/// Why a relevance set could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RelevanceError {
    #[error("relevance set line {line}: {reason}")]
    /// A line of the set file is malformed.
    BadLine {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    #[error("relevance set line {line}: no FAQ entry has id `{id}`; fix the id or add the entry")]
    /// A case names an entry id the FAQ does not have.
    UnknownId {
        /// 1-based line.
        line: usize,
        /// The unknown id.
        id: String,
    },
    #[error("FAQ set `{set}` has bad entries: {reason}")]
    /// The set's FAQ file has bad lines.
    BadEntries {
        /// The set's name.
        set: String,
        /// The first bad line and why.
        reason: String,
    },
}

/// Parses the TSV set: `split<TAB>query<TAB>id[,id...]`; `#` comments, blank lines and the
/// header line (`split ...`) are skipped.
pub fn parse_cases(tsv: &str) -> Result<Vec<Case>, RelevanceError> {
    let mut cases = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("split\t") {
            continue;
        }
        let bad = |reason: &str| RelevanceError::BadLine { line: line_no, reason: reason.to_string() };
        let cols: Vec<&str> = line.split('\t').collect();
        let [split, query, expected] = cols[..] else {
            return Err(bad("expected three tab-separated columns: split, query, expected ids"));
        };
        let split = match split.trim() {
            "tune" => Split::Tune,
            "heldout" => Split::Heldout,
            _ => return Err(bad("the split must be `tune` or `heldout`")),
        };
        let expected: Vec<String> =
            expected.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if query.trim().is_empty() || expected.is_empty() {
            return Err(bad("the query and the expected ids must not be empty"));
        }
        cases.push(Case { line: line_no, split, query: query.trim().to_string(), expected });
    }
    Ok(cases)
}

/// The out-of-domain questions, alternately in the tuning and the held-out half (first line
/// tuning), so a confidence threshold can be chosen on one half and checked on the other.
pub fn out_of_domain() -> Vec<(Split, String)> {
    OUT_OF_DOMAIN
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, q)| (if i % 2 == 0 { Split::Tune } else { Split::Heldout }, q.to_string()))
        .collect()
}

/// One FAQ with its questions.
#[derive(Debug, Clone)]
pub struct FaqSet {
    /// `builtin`, `myna`, `city` or `pooled`.
    pub name: String,
    /// The FAQ searched.
    pub entries: Vec<FaqEntry>,
    /// The questions asked of it.
    pub cases: Vec<Case>,
}

/// The shipped sets: `builtin`, `myna`, `city`, and `pooled` (every entry of the three in one
/// index, every question: a FAQ of several topics, where the others are distractors).
pub fn shipped_sets() -> Result<Vec<FaqSet>, RelevanceError> {
    let mut sets =
        vec![FaqSet { name: "builtin".into(), entries: builtin_entries(), cases: parse_cases(BUILTIN_SET)? }];
    for &(name, jsonl, tsv) in PUBLIC_SETS {
        let parse = parse_faq_jsonl(jsonl.as_bytes());
        if let Some(bad) = parse.bad_lines.first() {
            return Err(RelevanceError::BadEntries { set: name.into(), reason: bad.to_string() });
        }
        sets.push(FaqSet { name: name.into(), entries: parse.entries, cases: parse_cases(tsv)? });
    }
    let pooled = FaqSet {
        name: "pooled".into(),
        entries: sets.iter().flat_map(|s| s.entries.iter().cloned()).collect(),
        cases: sets.iter().flat_map(|s| s.cases.iter().cloned()).collect(),
    };
    sets.push(pooled);
    Ok(sets)
}

/// Ranking figures over a number of questions (fractions of 1).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Questions counted.
    pub queries: usize,
    /// Share with an expected entry first.
    pub hit1: f64,
    /// Share with an expected entry in the top 5.
    pub hit5: f64,
    /// Share with an expected entry in the top 10.
    pub hit10: f64,
    /// Share of expected entries found in the top 10, averaged per question.
    pub recall10: f64,
    /// nDCG over the top 10.
    pub ndcg10: f64,
    /// Mean reciprocal rank of the first expected entry.
    pub mrr: f64,
}

/// Sums behind `Metrics`, added question by question.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    queries: usize,
    hit: [usize; 3],
    recall10: f64,
    ndcg10: f64,
    rr: f64,
}

impl Sums {
    /// Adds one question whose expected entries sit at these 1-based `ranks` of the top 10.
    fn add(&mut self, ranks: &[usize], expected: usize) {
        self.queries += 1;
        let first = ranks.iter().min().copied();
        for (slot, k) in [1, 5, 10].into_iter().enumerate() {
            if first.is_some_and(|r| r <= k) {
                self.hit[slot] += 1;
            }
        }
        self.rr += first.map_or(0.0, |r| 1.0 / r as f64);
        self.recall10 += ranks.len() as f64 / expected.max(1) as f64;
        let dcg: f64 = ranks.iter().map(|&r| 1.0 / (r as f64 + 1.0).log2()).sum();
        let ideal: f64 = (1..=expected.min(10)).map(|r| 1.0 / (r as f64 + 1.0).log2()).sum();
        self.ndcg10 += if ideal > 0.0 { dcg / ideal } else { 0.0 };
    }

    fn merge(self, o: Sums) -> Sums {
        Sums {
            queries: self.queries + o.queries,
            hit: [self.hit[0] + o.hit[0], self.hit[1] + o.hit[1], self.hit[2] + o.hit[2]],
            recall10: self.recall10 + o.recall10,
            ndcg10: self.ndcg10 + o.ndcg10,
            rr: self.rr + o.rr,
        }
    }

    fn metrics(self) -> Metrics {
        let n = self.queries.max(1) as f64;
        Metrics {
            queries: self.queries,
            hit1: self.hit[0] as f64 / n,
            hit5: self.hit[1] as f64 / n,
            hit10: self.hit[2] as f64 / n,
            recall10: self.recall10 / n,
            ndcg10: self.ndcg10 / n,
            mrr: self.rr / n,
        }
    }
}

/// A question whose answer was not ranked first: what was expected and what came first.
#[derive(Debug, Clone)]
pub struct Miss {
    /// Tuning or held-out half.
    pub split: Split,
    /// The caller's question.
    pub query: String,
    /// Ids of the entries that answer it.
    pub expected: Vec<String>,
    /// 1-based rank of the first expected entry, if within the top 10.
    pub rank: Option<usize>,
    /// The id ranked first instead, if any.
    pub top: Option<String>,
}

/// How the confidence flag behaved on one set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Confidence {
    /// Held-out questions answered with confidence (share of all held-out questions).
    pub heldout_confident: f64,
    /// Of those, the share whose top answer was an expected one.
    pub heldout_precision: f64,
    /// Held-out out-of-domain questions answered with confidence (should be near 0).
    pub ood_confident: f64,
}

/// The result of one set's evaluation.
#[derive(Debug, Clone)]
pub struct FaqRelevance {
    /// The set's name.
    pub name: String,
    /// Entries in its FAQ.
    pub entries: usize,
    /// Figures on the tuning half.
    pub tune: Metrics,
    /// Figures on the held-out half (the honest figure).
    pub heldout: Metrics,
    /// Figures on both halves together.
    pub all: Metrics,
    /// How the confidence flag behaved.
    pub confidence: Confidence,
    /// Questions whose first answer was not an expected entry.
    pub misses: Vec<Miss>,
}

/// Ranks every case of `set` (and the out-of-domain questions) with `params`.
pub fn evaluate(set: &FaqSet, params: FaqParams) -> Result<FaqRelevance, RelevanceError> {
    let entries = &set.entries;
    let ids: HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    for case in &set.cases {
        if let Some(id) = case.expected.iter().find(|id| !ids.contains(id.as_str())) {
            return Err(RelevanceError::UnknownId { line: case.line, id: id.clone() });
        }
    }
    let index = FaqIndex::build_with(entries, params);
    let mut sums = [Sums::default(); 2];
    let (mut held, mut held_confident, mut held_right) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for case in &set.cases {
        let ranking = index.rank(&case.query, 10);
        let ranks: Vec<usize> = ranking
            .hits
            .iter()
            .enumerate()
            .filter(|(_, h)| case.expected.contains(&entries[h.0].id))
            .map(|(r, _)| r + 1)
            .collect();
        let half = usize::from(case.split == Split::Heldout);
        sums[half].add(&ranks, case.expected.len());
        let first = ranks.first().copied();
        if case.split == Split::Heldout {
            held += 1;
            if ranking.confident {
                held_confident += 1;
                held_right += usize::from(first == Some(1));
            }
        }
        if first != Some(1) {
            misses.push(Miss {
                split: case.split,
                query: case.query.clone(),
                expected: case.expected.clone(),
                rank: first,
                top: ranking.hits.first().map(|&(doc, _)| entries[doc].id.clone()),
            });
        }
    }
    let ood: Vec<String> =
        out_of_domain().into_iter().filter(|(s, _)| *s == Split::Heldout).map(|(_, q)| q).collect();
    let ood_confident = ood.iter().filter(|q| index.rank(q, 10).confident).count();
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(FaqRelevance {
        name: set.name.clone(),
        entries: entries.len(),
        tune: sums[0].metrics(),
        heldout: sums[1].metrics(),
        all: sums[0].merge(sums[1]).metrics(),
        confidence: Confidence {
            heldout_confident: share(held_confident, held),
            heldout_precision: share(held_right, held_confident),
            ood_confident: share(ood_confident, ood.len()),
        },
        misses,
    })
}

/// Tuning-half and held-out figures of any ranker over `set` (`rank` gives entry positions,
/// best first): the same measure for a baseline as for `FaqIndex`.
pub fn score_rankings(set: &FaqSet, rank: impl Fn(&str) -> Vec<usize>) -> (Metrics, Metrics) {
    let mut sums = [Sums::default(); 2];
    for case in &set.cases {
        let ranks: Vec<usize> = rank(&case.query)
            .into_iter()
            .take(10)
            .enumerate()
            .filter(|(_, doc)| case.expected.contains(&set.entries[*doc].id))
            .map(|(r, _)| r + 1)
            .collect();
        sums[usize::from(case.split == Split::Heldout)].add(&ranks, case.expected.len());
    }
    (sums[0].metrics(), sums[1].metrics())
}

/// Every shipped set with the default parameters, and the search latency at 2,000 entries.
#[derive(Debug, Clone)]
pub struct FaqBench {
    /// Each shipped set's figures.
    pub sets: Vec<FaqRelevance>,
    /// Search time at about 2,000 entries.
    pub latency: SearchLatency,
}

/// What `madoguchi bench relevance` prints for the FAQ.
pub fn run_builtin() -> Result<FaqBench, RelevanceError> {
    let sets = shipped_sets()?;
    let results = sets.iter().map(|s| evaluate(s, FaqParams::default())).collect::<Result<Vec<_>, _>>()?;
    let (entries, cases) = at_scale(&sets, 2_000);
    Ok(FaqBench { sets: results, latency: measure_latency(&entries, &cases, 5) })
}

/// Every shipped entry, repeated under new ids up to at least `n` entries (a municipal FAQ's
/// size), and every shipped question.
pub fn at_scale(sets: &[FaqSet], n: usize) -> (Vec<FaqEntry>, Vec<Case>) {
    let sets: Vec<&FaqSet> = sets.iter().filter(|s| s.name != "pooled").collect();
    let all: Vec<&FaqEntry> = sets.iter().flat_map(|s| &s.entries).collect();
    let copies = n / all.len().max(1) + 1;
    let entries = (0..copies)
        .flat_map(|k| all.iter().map(move |e| FaqEntry { id: format!("{}-{k}", e.id), ..(*e).clone() }))
        .collect();
    let cases = sets.iter().flat_map(|s| s.cases.iter().cloned()).collect();
    (entries, cases)
}

/// Time per FAQ search, in microseconds, over every question of the set (warm index).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchLatency {
    /// Entries indexed.
    pub entries: usize,
    /// Searches timed.
    pub searches: usize,
    /// Time to build the index (ms).
    pub build_ms: f64,
    /// Median search time (µs).
    pub median_us: f64,
    /// 99th percentile search time (µs).
    pub p99_us: f64,
}

/// Builds an index over `entries` and times `rounds` passes of every case's query (top 10,
/// with the confidence flag, as `/v1/faq` asks).
pub fn measure_latency(entries: &[FaqEntry], cases: &[Case], rounds: usize) -> SearchLatency {
    let started = std::time::Instant::now();
    let index = FaqIndex::build(entries);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut times: Vec<f64> = Vec::with_capacity(cases.len() * rounds);
    for _ in 0..rounds {
        for case in cases {
            let t = std::time::Instant::now();
            std::hint::black_box(index.rank(std::hint::black_box(&case.query), 10));
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    SearchLatency {
        entries: entries.len(),
        searches: times.len(),
        build_ms,
        median_us: pick(0.5),
        p99_us: pick(0.99),
    }
}

impl fmt::Display for SearchLatency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FAQ search over {} entries: build {:.1} ms; {} searches median {:.0} µs, p99 {:.0} µs",
            self.entries, self.build_ms, self.searches, self.median_us, self.p99_us
        )
    }
}

impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>3} q  Recall@10 {:.3}  nDCG@10 {:.3}  Hit@1 {:.3}  Hit@5 {:.3}  MRR {:.3}",
            self.queries, self.recall10, self.ndcg10, self.hit1, self.hit5, self.mrr
        )
    }
}

impl fmt::Display for FaqRelevance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FAQ relevance, set `{}` ({} entries)", self.name, self.entries)?;
        writeln!(f, "  tuned on  {}", self.tune)?;
        writeln!(f, "  held out  {}", self.heldout)?;
        let c = self.confidence;
        writeln!(
            f,
            "  confident: {:.0}% of held-out questions, {:.0}% of those right; \
             {:.0}% of out-of-domain questions",
            c.heldout_confident * 100.0,
            c.heldout_precision * 100.0,
            c.ood_confident * 100.0
        )?;
        for m in &self.misses {
            let rank = m.rank.map_or("not in top 10".to_string(), |r| format!("rank {r}"));
            let split = if m.split == Split::Tune { "tune" } else { "held" };
            writeln!(
                f,
                "  miss [{split}] {}: {rank}, wanted {}, got {}",
                m.query,
                m.expected.join("|"),
                m.top.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for FaqBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for set in &self.sets {
            write!(f, "{set}")?;
        }
        write!(f, "{}", self.latency)
    }
}

#[cfg(test)]
mod tests;
