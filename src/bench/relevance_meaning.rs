//! Meaning beyond shared characters, measured (issue 24, item 5): the FAQ ranking with and
//! without concept terms (`search::faq_concepts`), beside a plain character-trigram BM25 in
//! the same run, on two public Japanese sets built from JGLUE (`benches/faq/jsts.*`: caption
//! pairs judged paraphrases; `benches/faq/jsquad.*`: reading-comprehension questions against
//! their paragraphs), each split into a tuning half and a held-out half.

use std::collections::HashMap;
use std::fmt;

use crate::import::faq::parse_faq_jsonl;
use crate::search::faq_index::{FaqIndex, FaqParams};
use crate::search::faq_tokens::normalize;

use super::relevance_faq::{FaqSet, Metrics, RelevanceError, parse_cases, score_rankings};

/// The public meaning sets: (name, entries as JSONL, questions as TSV).
const MEANING_SETS: &[(&str, &str, &str)] = &[
    ("jsts", include_str!("../../benches/faq/jsts.jsonl"), include_str!("../../benches/faq/jsts.tsv")),
    ("jsquad", include_str!("../../benches/faq/jsquad.jsonl"), include_str!("../../benches/faq/jsquad.tsv")),
];

/// The JGLUE-derived sets.
pub fn meaning_sets() -> Result<Vec<FaqSet>, RelevanceError> {
    MEANING_SETS
        .iter()
        .map(|&(name, jsonl, tsv)| {
            let parse = parse_faq_jsonl(jsonl.as_bytes());
            if let Some(bad) = parse.bad_lines.first() {
                return Err(RelevanceError::BadEntries { set: name.into(), reason: bad.to_string() });
            }
            Ok(FaqSet { name: name.into(), entries: parse.entries, cases: parse_cases(tsv)? })
        })
        .collect()
}

/// The baseline: BM25 (k1 1.2, b 0.75) over the character 3-grams of each entry's normalised
/// question and answer, nothing else.
pub struct TrigramBm25 {
    postings: HashMap<String, Vec<(usize, f64)>>,
    lens: Vec<f64>,
    avg: f64,
}

fn trigrams(text: &str) -> Vec<String> {
    let chars: Vec<char> = normalize(text).chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 3 {
        return if chars.is_empty() { vec![] } else { vec![chars.iter().collect()] };
    }
    chars.windows(3).map(|w| w.iter().collect()).collect()
}

impl TrigramBm25 {
    /// Indexes `texts` (one per entry).
    pub fn new(texts: &[String]) -> TrigramBm25 {
        let mut postings: HashMap<String, HashMap<usize, f64>> = HashMap::new();
        let mut lens = Vec::with_capacity(texts.len());
        for (doc, text) in texts.iter().enumerate() {
            let grams = trigrams(text);
            lens.push(grams.len() as f64);
            for g in grams {
                *postings.entry(g).or_default().entry(doc).or_default() += 1.0;
            }
        }
        let avg = lens.iter().sum::<f64>() / lens.len().max(1) as f64;
        let postings = postings.into_iter().map(|(g, m)| (g, m.into_iter().collect())).collect();
        TrigramBm25 { postings, lens, avg }
    }

    /// Entries by score, best first (the top `k`).
    pub fn rank(&self, query: &str, k: usize) -> Vec<usize> {
        let (k1, b) = (1.2, 0.75);
        let n = self.lens.len() as f64;
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for g in trigrams(query) {
            let Some(list) = self.postings.get(&g) else { continue };
            let df = list.len() as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(doc, tf) in list {
                let norm = 1.0 - b + b * self.lens[doc] / self.avg.max(1.0);
                *scores.entry(doc).or_default() += idf * tf * (k1 + 1.0) / (tf + k1 * norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.into_iter().take(k).map(|(d, _)| d).collect()
    }
}

/// One set's figures: the baseline, our ranking without and with concept terms.
#[derive(Debug, Clone)]
pub struct MeaningRow {
    pub name: String,
    pub entries: usize,
    /// (tuning half, held out) of each ranker.
    pub trigram: (Metrics, Metrics),
    pub lexical: (Metrics, Metrics),
    pub concepts: (Metrics, Metrics),
}

/// Ranks every set three ways with `params` (concepts switched off for the second).
pub fn compare(params: FaqParams) -> Result<Vec<MeaningRow>, RelevanceError> {
    let mut rows = Vec::new();
    for set in meaning_sets()? {
        let texts: Vec<String> = set.entries.iter().map(|e| format!("{} {}", e.question, e.answer)).collect();
        let baseline = TrigramBm25::new(&texts);
        let ours = |p: FaqParams| {
            let index = FaqIndex::build_with(&set.entries, p);
            score_rankings(&set, |q| index.rank(q, 10).hits.into_iter().map(|h| h.0).collect())
        };
        rows.push(MeaningRow {
            name: set.name.clone(),
            entries: set.entries.len(),
            trigram: score_rankings(&set, |q| baseline.rank(q, 10)),
            lexical: ours(FaqParams { concepts: false, ..params }),
            concepts: ours(FaqParams { concepts: true, ..params }),
        });
    }
    Ok(rows)
}

impl fmt::Display for MeaningRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "FAQ meaning, set `{}` ({} entries), held out (tuning half):", self.name, self.entries)?;
        for (label, (tune, held)) in [
            ("character-trigram BM25 ", self.trigram),
            ("ours, lexical only     ", self.lexical),
            ("ours + concept terms   ", self.concepts),
        ] {
            writeln!(
                f,
                "  {label} Recall@10 {:.3} nDCG@10 {:.3} Hit@1 {:.3}  ({:.3} / {:.3} / {:.3}; {} + {} q)",
                held.recall10,
                held.ndcg10,
                held.hit1,
                tune.recall10,
                tune.ndcg10,
                tune.hit1,
                tune.queries,
                held.queries
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sets_parse_and_are_split() {
        let sets = meaning_sets().expect("the JGLUE sets parse");
        for set in &sets {
            let held =
                set.cases.iter().filter(|c| c.split == super::super::relevance_faq::Split::Heldout).count();
            assert!(set.entries.len() >= 200, "{}", set.name);
            assert!(held >= 200 && held < set.cases.len(), "{}: {held}", set.name);
        }
    }

    #[test]
    fn the_baseline_ranks_an_exact_text_first() {
        let texts = vec!["犬が公園を走っています".to_string(), "猫がベッドで寝ています".to_string()];
        let bm = TrigramBm25::new(&texts);
        assert_eq!(bm.rank("猫がベッドで寝ています", 2).first(), Some(&1));
        assert!(bm.rank("", 2).is_empty());
    }

    /// Concept terms must win on the held-out halves of both sets, or not be kept.
    #[test]
    fn concept_terms_win_on_held_out_and_beat_the_trigram_baseline() {
        for row in compare(FaqParams::default()).expect("sets") {
            let (lex, con, tri) = (row.lexical.1, row.concepts.1, row.trigram.1);
            assert!(con.ndcg10 >= lex.ndcg10, "{}: concepts {con} vs lexical {lex}", row.name);
            assert!(con.recall10 >= tri.recall10, "{}: concepts {con} vs trigram {tri}", row.name);
        }
    }

    /// `cargo test --release --lib relevance_meaning::tests::sweep -- --ignored --nocapture`:
    /// the concept weight on the tuning halves only.
    #[test]
    #[ignore = "a sweep for tuning, prints figures"]
    fn sweep() {
        for w in [0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0] {
            let rows = compare(FaqParams { w_concept: w, ..FaqParams::default() }).expect("sets");
            let line: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} tune nDCG {:.3} R@10 {:.3}",
                        r.name, r.concepts.0.ndcg10, r.concepts.0.recall10
                    )
                })
                .collect();
            println!("w_concept {w}: {}", line.join("; "));
        }
    }
}
