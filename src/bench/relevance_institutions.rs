//! Institution lookup relevance: recall@1 and recall@5 of `InstitutionIndex` on our own set of
//! lookups as operators type what callers say (`benches/relevance/institutions.tsv`).
//!
//! The set carries its own institutions (`I` rows: real names copied from the public code
//! lists, without readings, so readings are inferred exactly as at import; and a few
//! synthetic ones with phones), indexed beside the demo data as distractors; `Q` rows are the
//! lookups with the code expected (`@name` for the demo's seed institutions). Nothing here
//! needs the shared data folder.
//!
//! `run_builtin()` is what `madoguchi bench relevance` prints; a test asserts floors.

use std::collections::HashMap;
use std::fmt;

use crate::domain::{Institution, InstitutionCode, InstitutionKind};
use crate::search::InstitutionIndex;
use crate::search::reading;

/// The relevance set shipped with the project.
pub const BUILTIN_SET: &str = include_str!("../../benches/relevance/institutions.tsv");

/// Demo institutions indexed beside the set's own as distractors.
pub const DISTRACTORS: usize = 30_000;

/// One lookup and the institution it must find.
#[derive(Debug, Clone)]
pub struct Case {
    /// 1-based line in the set file.
    pub line: usize,
    /// What the operator types.
    pub query: String,
    /// A code, or `@name` of a demo seed institution.
    pub expected: String,
    /// Why the case is in the set (free text).
    pub note: String,
}

/// The parsed set.
#[derive(Debug, Clone, Default)]
pub struct RelevanceSet {
    /// The set's own institutions (`I` rows), indexed beside the demo data.
    pub institutions: Vec<Institution>,
    /// The lookups (`Q` rows).
    pub cases: Vec<Case>,
}

/// Why the relevance set could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RelevanceError {
    #[error("institutions relevance set line {line}: {reason}")]
    /// A line of the set file is malformed.
    BadLine {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A lookup that missed (for reading the figures).
#[derive(Debug, Clone)]
pub struct Miss {
    /// What was typed.
    pub query: String,
    /// A code, or `@name` of a demo seed institution.
    pub expected: String,
    /// Why the case is in the set.
    pub note: String,
    /// Rank (1-based) where it was found within the first 20, if at all.
    pub rank: Option<usize>,
    /// What was ranked first instead (code, name, match kind), if anything.
    pub top: Option<String>,
}

/// recall@1 and recall@5 over the set.
#[derive(Debug, Clone)]
pub struct InstitutionRelevance {
    /// Lookups made.
    pub cases: usize,
    /// Institutions in the index (the set's and the distractors).
    pub indexed: usize,
    /// Share found first.
    pub recall_at_1: f64,
    /// Share found in the top 5.
    pub recall_at_5: f64,
    /// Lookups not found first.
    pub misses: Vec<Miss>,
}

impl fmt::Display for InstitutionRelevance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "institution lookup: {} lookups over {} institutions: recall@1 {:.3}, recall@5 {:.3}",
            self.cases, self.indexed, self.recall_at_1, self.recall_at_5
        )?;
        for m in self.misses.iter().filter(|m| m.rank != Some(1)) {
            writeln!(
                f,
                "  {} 「{}」 → {} ({}); top: {}",
                m.rank.map_or("miss".to_string(), |r| format!("rank {r}")),
                m.query,
                m.expected,
                m.note,
                m.top.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}

/// Parses the TSV (`I` and `Q` rows, `#` comments).
pub fn parse(text: &str) -> Result<RelevanceSet, RelevanceError> {
    let mut set = RelevanceSet::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let bad = |reason: &str| RelevanceError::BadLine { line: line_no, reason: reason.to_string() };
        match cols.first().copied() {
            Some("I") if cols.len() >= 8 => {
                let code =
                    InstitutionCode::from_digits(cols[1]).ok_or_else(|| bad("code is not 10 digits"))?;
                let kind = InstitutionKind::parse(cols[4]).ok_or_else(|| bad("unknown kind"))?;
                let given = (!cols[3].is_empty()).then(|| cols[3].to_string());
                let inferred = given.is_none();
                let name_kana = given.or_else(|| reading::infer_reading(cols[2]));
                set.institutions.push(Institution {
                    code,
                    name: cols[2].to_string(),
                    kana_inferred: inferred && name_kana.is_some(),
                    name_kana,
                    kind,
                    prefecture: cols[5].to_string(),
                    city: cols[6].to_string(),
                    postal_code: String::new(),
                    address: String::new(),
                    phone: (!cols[7].is_empty()).then(|| cols[7].to_string()),
                    large_chain: false,
                });
            }
            Some("Q") if cols.len() >= 3 => set.cases.push(Case {
                line: line_no,
                query: cols[1].to_string(),
                expected: cols[2].to_string(),
                note: cols.get(3).unwrap_or(&"").to_string(),
            }),
            _ => return Err(bad("expected `I` with 8 columns or `Q` with 3 or 4")),
        }
    }
    Ok(set)
}

/// Measures the shipped set over `distractors` demo institutions plus the set's own.
pub fn run(set: &RelevanceSet, distractors: usize) -> InstitutionRelevance {
    let mut data =
        crate::demo::generate(Some(distractors.max(4)), crate::demo::DEFAULT_SEED, &|_| {}).institutions;
    let seed_codes: HashMap<String, String> =
        data.iter().take(4).map(|i| (i.name.clone(), i.code.as_str().to_string())).collect();
    let own: std::collections::HashSet<&str> = set.institutions.iter().map(|i| i.code.as_str()).collect();
    data.retain(|i| !own.contains(i.code.as_str()));
    data.extend(set.institutions.iter().cloned());
    let index = InstitutionIndex::build(&data);

    let (mut at1, mut at5) = (0usize, 0usize);
    let mut misses = Vec::new();
    for case in &set.cases {
        let expected = match case.expected.strip_prefix('@') {
            Some(name) => seed_codes.get(name).cloned().unwrap_or_default(),
            None => case.expected.clone(),
        };
        let hits = index.search(&case.query, 20);
        let rank = hits.iter().position(|h| index.code(h.doc) == Some(expected.as_str())).map(|r| r + 1);
        if rank == Some(1) {
            at1 += 1;
        }
        if rank.is_some_and(|r| r <= 5) {
            at5 += 1;
        }
        if rank != Some(1) {
            misses.push(Miss {
                query: case.query.clone(),
                expected: format!("{expected} {}", name_of(&data, &expected)),
                note: case.note.clone(),
                rank,
                top: hits.first().map(|h| {
                    format!(
                        "{} {} ({})",
                        index.code(h.doc).unwrap_or(""),
                        index.name(h.doc).unwrap_or(""),
                        h.kind.as_str()
                    )
                }),
            });
        }
    }
    let n = set.cases.len().max(1) as f64;
    InstitutionRelevance {
        cases: set.cases.len(),
        indexed: data.len(),
        recall_at_1: at1 as f64 / n,
        recall_at_5: at5 as f64 / n,
        misses,
    }
}

fn name_of(data: &[Institution], code: &str) -> String {
    data.iter().find(|i| i.code.as_str() == code).map(|i| i.name.clone()).unwrap_or_default()
}

/// What `madoguchi bench relevance` prints for institutions: the shipped set, shipped
/// distractor count.
pub fn run_builtin() -> Result<InstitutionRelevance, RelevanceError> {
    Ok(run(&parse(BUILTIN_SET)?, DISTRACTORS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_is_large_enough_and_parses() {
        let set = parse(BUILTIN_SET).expect("shipped set parses");
        assert!(set.cases.len() >= 100, "{} lookups", set.cases.len());
        assert!(set.institutions.len() >= 100);
        assert!(parse("X\tbad").is_err());
    }

    #[test]
    fn recall_floors() {
        let set = parse(BUILTIN_SET).expect("shipped set parses");
        let r = run(&set, 5_000);
        println!("{r}");
        assert!(r.recall_at_1 >= 0.80, "recall@1 {:.3}\n{r}", r.recall_at_1);
        assert!(r.recall_at_5 >= 0.90, "recall@5 {:.3}\n{r}", r.recall_at_5);
    }

    /// The figures `bench relevance` prints (30,000 distractors):
    /// `cargo test --lib relevance_institutions -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement over 30,000 demo institutions"]
    fn builtin_figures() {
        let r = run_builtin().expect("shipped set parses");
        println!("{r}");
    }
}
