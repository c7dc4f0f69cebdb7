//! Steps 2–5 for each way a query is read (`place_scope.rs`, `run_in.rs`), and the readings
//! ranked together: by rank, and on a tie in turn, so a word that is both a place and the
//! start of a name (`たかはし いいん`: 高梁市's いいん…, and たかはし医院) keeps both on the
//! first screen. Spaced place words rank first on a tie (the operator set the place apart);
//! a place run into one word ranks after every exact hit of the query as typed, in turn with
//! its mended slips, before fuzzy hits.

use std::collections::{HashMap, HashSet};

use super::exact::{Scope, Wanted};
use super::place_scope::{PlaceScope, QueryReadings, Reading};
use super::plan::Plan;
use super::rank::{self, R_FUZZY, R_TYPO, Rank, kind_of};
use super::{InstitutionIndex, SearchHit};

/// What one reading of the query found, and how it is highlighted.
pub(super) struct Source {
    plan: Plan,
    found: Vec<(Rank, u32)>,
    /// The fuzzy hits' scores, and how close each mended slip is (see `rank.rs`).
    fuzzy: HashMap<u32, u32>,
    /// A guess (a place run into the name): after every exact hit of the other sources.
    after_exact: bool,
}

/// One source ranked: its plan, its best hits, whether it is a guess.
type Ranked = (Plan, Vec<(Rank, u32)>, bool);

impl InstitutionIndex {
    /// A query naming no place in a word of its own: as typed; when that finds less than a
    /// screen, also as a place run into the name (`みたかのあかい`). The typo and fuzzy steps
    /// mend the query as typed, only when both found too little.
    pub(super) fn search_as_typed(&self, query: &str, plan: Plan, limit: usize) -> Vec<Source> {
        let none = PlaceScope::none();
        let (mut found, narrowed) = self.exact_matches(&plan, &Wanted { limit, keep: None });
        let mut run_in = Vec::new();
        if found.len() < limit && plan.digits.is_none() {
            for mut r in PlaceScope::run_in(self, query) {
                if let Some(found) = self.in_place(&r.plan, &mut r.place) {
                    run_in.push(Source { plan: r.plan, found, fuzzy: HashMap::new(), after_exact: true });
                }
            }
        }
        // The slips of the query as typed are mended whatever the run-in guesses found (they
        // take turns on the screen); the fuzzy step only fills what both left.
        let close = self.typo_step(&plan, &none, limit, narrowed, 0, &mut found);
        let elsewhere: usize = run_in.iter().map(|s| s.found.len()).sum();
        let mut fuzzy = self.fuzzy_step(&plan, &none, limit, narrowed, elsewhere, &mut found);
        fuzzy.extend(close);
        let mut sources = vec![Source { plan, found, fuzzy, after_exact: false }];
        sources.extend(run_in);
        sources
    }

    /// A query with place words: each place reading answered among the institutions there,
    /// and the query as typed beside them. When no place holds a match, the place words are
    /// ignored (the rest looked for everywhere, the hits in the place first if any).
    pub(super) fn search_placed(&self, readings: QueryReadings, limit: usize) -> Vec<Source> {
        let QueryReadings { placed, literal } = readings;
        let mut matched: Vec<(Reading, Vec<(Rank, u32)>)> = Vec::new();
        let mut unmatched: Vec<Reading> = Vec::new();
        for mut r in placed {
            match self.in_place(&r.plan, &mut r.place) {
                Some(found) => matched.push((r, found)),
                None => unmatched.push(r),
            }
        }
        let (literal_found, _) = self.exact_matches(&literal, &Wanted { limit, keep: None });
        let literal =
            Source { plan: literal, found: literal_found, fuzzy: HashMap::new(), after_exact: false };
        if matched.is_empty() {
            let Some(r) = unmatched.into_iter().next() else { return vec![literal] };
            let (mut found, narrowed) = self.exact_matches(&r.plan, &Wanted { limit, keep: None });
            let elsewhere = literal.found.len();
            let close = self.typo_step(&r.plan, &r.place, limit, narrowed, elsewhere, &mut found);
            let mut fuzzy = self.fuzzy_step(&r.plan, &r.place, limit, narrowed, elsewhere, &mut found);
            fuzzy.extend(close);
            let found = r.place.keep_in_place(self, found);
            return vec![literal, Source { plan: r.plan, found, fuzzy, after_exact: false }];
        }
        let mut total: usize = literal.found.len() + matched.iter().map(|(_, f)| f.len()).sum::<usize>();
        let mut sources = Vec::new();
        for (r, mut found) in matched {
            // Within the place only: the typo and fuzzy steps read the place's keys.
            let before = found.len();
            let elsewhere = total - before;
            let close = self.typo_step(&r.plan, &r.place, limit, false, elsewhere, &mut found);
            let mut fuzzy = self.fuzzy_step(&r.plan, &r.place, limit, false, elsewhere, &mut found);
            fuzzy.extend(close);
            total += found.len() - before;
            let found = r.place.keep_in_place(self, found);
            sources.push(Source { plan: r.plan, found, fuzzy, after_exact: false });
        }
        sources.push(literal);
        sources
    }

    /// The exact matches of `plan` among the documents of its place; `None` when there are
    /// none (then the place's documents are not kept).
    fn in_place(&self, plan: &Plan, place: &mut PlaceScope) -> Option<Vec<(Rank, u32)>> {
        let docs = place.docs_in_place(self)?;
        let (found, _) = self.matches_within(plan, Scope::Given(&docs), None);
        if found.is_empty() {
            return None;
        }
        place.matched_in(docs);
        Some(found)
    }

    /// Step 5 over every source, then 6: the best `limit` of each (rank, fuzzy score, name
    /// length), taken best rank first and on a tie in turn from each source, every document
    /// once; with its highlights.
    pub(super) fn merge(&self, sources: Vec<Source>, limit: usize) -> Vec<SearchHit> {
        let hit = |rank: Rank, doc: u32, plan: &Plan| SearchHit {
            doc,
            kind: kind_of(rank),
            score: rank::score(rank),
            highlights: self.highlights(doc, rank, plan),
        };
        // Ordered by tier: exact hits by rank; then the guesses (a place run in) and the
        // query's mended slips, in turn; then fuzzy hits.
        let tier = |after_exact: bool, rank: Rank| -> (u8, Rank) {
            match rank {
                R_FUZZY => (2, rank),
                _ if after_exact || rank >= R_TYPO => (1, 0),
                _ => (0, rank),
            }
        };
        let mut ranked: Vec<Ranked> = sources
            .into_iter()
            .map(|s| {
                let r = self.rank(s.found, &s.fuzzy, limit);
                (s.plan, r, s.after_exact)
            })
            .collect();
        if ranked.len() == 1 {
            let (plan, list, _) = ranked.remove(0);
            return list.into_iter().map(|(rank, doc)| hit(rank, doc, &plan)).collect();
        }
        let n = ranked.len();
        let mut heads = vec![0usize; n];
        let mut seen: HashSet<u32> = HashSet::new();
        let mut out = Vec::new();
        let mut turn = 0usize;
        while out.len() < limit {
            for (i, (_, list, _)) in ranked.iter().enumerate() {
                while list.get(heads[i]).is_some_and(|&(_, d)| seen.contains(&d)) {
                    heads[i] += 1;
                }
            }
            let head = |i: usize| ranked[i].1.get(heads[i]).map(|&(r, _)| tier(ranked[i].2, r));
            let Some(best) = (0..n).filter_map(head).min() else { break };
            let Some(i) = (0..n).map(|k| (turn + k) % n).find(|&i| head(i) == Some(best)) else { break };
            let (rank, doc) = ranked[i].1[heads[i]];
            heads[i] += 1;
            seen.insert(doc);
            turn = i + 1;
            out.push(hit(rank, doc, &ranked[i].0));
        }
        out
    }
}
