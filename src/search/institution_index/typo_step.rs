//! Step 3 of a search: slips (`tnabe`, `たべな`), found by `search::typo` among the reading
//! keys, ranked below every exact match.

use std::collections::{HashMap, HashSet};

use crate::search::kana_code;
use crate::search::tuning::TYPO_WHEN_FEWER_THAN;
use crate::search::typo;

use super::InstitutionIndex;
use super::column::ALT_SEP;
use super::place_scope::PlaceScope;
use super::plan::Plan;
use super::rank::{R_FIRST_DROPPED, R_READING_PREFIX, R_READING_SUB, R_SLIP_START, R_TYPO, Rank};

impl InstitutionIndex {
    /// Adds to `found` the readings one slip away from the query: only when the exact steps
    /// found too little (here, and `elsewhere`: another reading of the query), and not while
    /// typing on from a query that found something (`narrowed`) — unless the query starts no
    /// name or reading: then always, its mended starts (and parts one kana in: a first kana
    /// dropped) ranked above the reading parts it matched. Returns, for a kana query, how
    /// close each slip found is (`typo::closeness`): ranked by it within their rank.
    pub(super) fn typo_step(
        &self,
        plan: &Plan,
        place: &PlaceScope,
        limit: usize,
        narrowed: bool,
        elsewhere: usize,
        found: &mut Vec<(Rank, u32)>,
    ) -> HashMap<u32, u32> {
        let mut close = HashMap::new();
        // A query that starts no name or reading (only parts of readings matched) is mended
        // whatever it found, and its mended starts rank above those parts.
        // (Only the steps before reading parts decide it: a fresh query that stopped early
        // and one narrowed while typing on agree. Four kana or more, in the key or as typed (a
        // long vowel the key drops was still heard: `せいいん` is せいん): a short query's
        // voiceless start, たかた for 高田, is kept above its slips.)
        let starts = found.iter().any(|&(r, _)| r <= R_READING_PREFIX);
        let long = plan.reading.as_ref().is_some_and(|r| r.stem.chars().count() >= 4)
            || (plan.folded.chars().all(is_kana) && plan.folded.chars().count() >= 4);
        let poor = !found.is_empty() && !starts && long;
        if plan.digits.is_some()
            || (!poor && found.len() + elsewhere >= limit.min(TYPO_WHEN_FEWER_THAN))
            || (!poor && !found.is_empty() && narrowed)
        {
            return close;
        }
        let rank = if poor { R_SLIP_START } else { R_TYPO };
        if poor && let Some(r) = plan.reading.as_ref() {
            // The first kana dropped (`もとしかいいん` for ゆもとしかいいん): the reading parts
            // that start one kana in are mended starts.
            let stem = kana_code::key(&r.stem);
            for (rank, doc) in found.iter_mut().filter(|(rank, _)| *rank == R_READING_SUB) {
                let key = self.readings.key(*doc);
                if key.split(|&b| b == ALT_SEP).any(|alt| alt.get(1..).is_some_and(|a| a.starts_with(&stem)))
                {
                    *rank = R_FIRST_DROPPED;
                }
            }
        }
        let have: HashSet<u32> = found.iter().map(|&(_, d)| d).collect();
        // With a place that matched, only its documents can be kept: the others' keys are
        // not read.
        let key = |d: u32| match place.docs() {
            Some(docs) if docs.binary_search(&d).is_err() => &[][..],
            _ => self.readings.key(d),
        };
        // A dropped kana is looked for at every place only when the query starts no name or
        // reading as typed.
        for doc in typo::matches_with(&plan.folded, &self.reading_grams, &key, ALT_SEP, !starts) {
            if !have.contains(&doc) {
                found.push((rank, doc));
            }
        }
        // A kana query's slips, likeliest first (see `typo::closeness`).
        if let Some(r) = plan.reading.as_ref().filter(|_| plan.folded.chars().all(is_kana)) {
            let query: Vec<char> = r.stem.chars().collect();
            let mut alt: Vec<char> = Vec::new();
            for &(_, doc) in
                found.iter().filter(|(rank, _)| matches!(*rank, R_FIRST_DROPPED | R_SLIP_START | R_TYPO))
            {
                let best = self
                    .readings
                    .key(doc)
                    .split(|&b| b == ALT_SEP)
                    .map(|a| {
                        alt.clear();
                        alt.extend(kana_code::key_chars(a));
                        typo::closeness(&query, &alt)
                    })
                    .max()
                    .unwrap_or(0);
                close.insert(doc, best);
            }
        }
        close
    }
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}
