//! Incremental narrowing: the candidates of the queries seen just before, so a query that
//! extends one (the operator typing on) checks only those again.

use std::sync::Arc;

use super::InstitutionIndex;
use super::plan::Plan;
use crate::search::tuning::{CACHE_ENTRIES, MAX_CACHED_CANDIDATES};

/// One step of incremental narrowing: a plan and every document it matched.
pub(super) struct Narrowing {
    pub(super) plan: Plan,
    pub(super) cands: Arc<Vec<u32>>,
}

impl InstitutionIndex {
    /// The smallest cached candidate set that `plan` narrows, if any.
    pub(super) fn narrowing_for(&self, plan: &Plan) -> Option<Arc<Vec<u32>>> {
        let recent = self.recent.lock().ok()?;
        recent
            .iter()
            .filter(|n| plan.narrows(&n.plan))
            .min_by_key(|n| n.cands.len())
            .map(|n| Arc::clone(&n.cands))
    }

    /// Keeps every document `plan` matched, for the longer queries that extend it (only a
    /// complete set narrows them; a set too large is not worth keeping).
    pub(super) fn remember(&self, plan: &Plan, found: &[(super::rank::Rank, u32)]) {
        if found.len() > MAX_CACHED_CANDIDATES {
            return;
        }
        if let Ok(mut recent) = self.recent.lock() {
            recent.retain(|n| n.plan != *plan);
            if recent.len() >= CACHE_ENTRIES {
                recent.pop_front();
            }
            let docs: Vec<u32> = found.iter().map(|&(_, d)| d).collect();
            recent.push_back(Narrowing { plan: plan.clone(), cands: Arc::new(docs) });
        }
    }
}
