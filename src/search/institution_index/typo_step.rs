//! Step 3 of a search: slips (`tnabe`, `たべな`), found by `search::typo` among the reading
//! keys, ranked below every exact match.

use std::collections::HashSet;

use crate::search::tuning::TYPO_WHEN_FEWER_THAN;
use crate::search::typo;

use super::InstitutionIndex;
use super::column::ALT_SEP;
use super::place_scope::PlaceScope;
use super::plan::Plan;
use super::rank::{R_TYPO, Rank};

impl InstitutionIndex {
    /// Adds to `found` the readings one slip away from the query: only when the exact steps
    /// found too little, and not while typing on from a query that found something (`narrowed`).
    pub(super) fn typo_step(
        &self,
        plan: &Plan,
        place: &PlaceScope,
        limit: usize,
        narrowed: bool,
        found: &mut Vec<(Rank, u32)>,
    ) {
        if found.len() >= limit.min(TYPO_WHEN_FEWER_THAN)
            || plan.digits.is_some()
            || (!found.is_empty() && narrowed)
        {
            return;
        }
        let have: HashSet<u32> = found.iter().map(|&(_, d)| d).collect();
        // With a place that matched, only its documents can be kept: the others' keys are
        // not read.
        let key = |d: u32| match place.docs() {
            Some(docs) if docs.binary_search(&d).is_err() => &[][..],
            _ => self.readings.key(d),
        };
        for doc in typo::matches(&plan.folded, &self.reading_grams, &key, ALT_SEP) {
            if !have.contains(&doc) {
                found.push((R_TYPO, doc));
            }
        }
    }
}
