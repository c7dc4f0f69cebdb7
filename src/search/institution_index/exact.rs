//! Step 2 of a search: the exact steps, best rank first — codes and phones, name starts,
//! names, reading starts, readings, voiceless reading starts, voiceless readings — in the place
//! the query names first, and stopping once no later step could change the results.

use memchr::memmem;

use crate::search::normalize::{voiceless, voiceless_key};
use crate::search::postings::{bigram, digits4, unigram};
use crate::search::tuning::NARROW_DIRECTLY;

use super::InstitutionIndex;
use super::plan::Plan;
use super::rank::{
    Best, R_EXACT_PHONE, R_NAME_PREFIX, R_NAME_SUB, R_PHONE_PART, R_READING_PREFIX, R_READING_SUB,
    R_WEAK_PREFIX, R_WEAK_SUB, R_WHOLE_NAME, Rank,
};
use super::readings::{Keys, voiced_forms};

impl InstitutionIndex {
    /// Every document matching `plan` by code, phone, name or reading, with its best rank.
    pub(super) fn exact_matches(&self, plan: &Plan, wanted: &Wanted<'_>) -> (Vec<(Rank, u32)>, bool) {
        let cached = self.narrowing_for(plan);
        // A few cached candidates are cheaper to check again than any posting list to read.
        let narrow = cached.as_deref().filter(|c| c.len() <= NARROW_DIRECTLY).map(Vec::as_slice);
        let (found, complete) = self.matches_within(plan, Scope::of(narrow), Some(wanted));
        // Only every match narrows a longer query; the best ones alone do not.
        if complete {
            self.remember(plan, &found);
        }
        (found, cached.is_some())
    }

    /// The matches of `plan` among the documents of `scope`: given candidates, the ones the
    /// posting lists name, or (the brute-force reference the tests compare with) every one.
    #[cfg(test)]
    pub(super) fn matches_over(&self, plan: &Plan, scope: Scope<'_>) -> Vec<(Rank, u32)> {
        self.matches_within(plan, scope, None).0
    }

    /// [`Self::matches_over`], stopping once `wanted` holds (enough matches at the ranks seen so
    /// far that no later step could place one in the results): then `false` says the set is
    /// not every match. Steps go best rank first: codes and phones, name starts, names,
    /// reading starts, readings, voiceless reading starts, voiceless readings.
    pub(super) fn matches_within(
        &self,
        plan: &Plan,
        scope: Scope<'_>,
        wanted: Option<&Wanted<'_>>,
    ) -> (Vec<(Rank, u32)>, bool) {
        let mut best = Best::new(self.docs.len());
        let tiers = matches!(scope, Scope::Postings) && wanted.is_some();
        let enough = |best: &Best| tiers && wanted.is_some_and(|w| w.met(best));
        let pick = |from_postings: &dyn Fn() -> Vec<u32>| -> Option<Vec<u32>> {
            match scope {
                Scope::Postings => Some(from_postings()),
                // Many given documents (a big place): the posting lists name the few of them
                // worth checking.
                Scope::Given(c) if c.len() > NARROW_DIRECTLY => Some(intersect_sorted(&from_postings(), c)),
                Scope::Given(c) => Some(c.to_vec()),
                Scope::All => None,
            }
        };

        let mut complete = true;
        if let Some(q) = &plan.digits {
            match scope {
                Scope::Postings => {
                    // A fresh query keeps only the best `limit` of a long range (`0`, `13`).
                    let keep = if tiers { wanted.map(|w| w.limit) } else { None };
                    complete &= self.match_code_ranges(q, keep, &mut best);
                }
                Scope::Given(c) => self.match_codes(q, Some(c), &mut best),
                Scope::All => self.match_codes(q, None, &mut best),
            }
            if q.len() >= 4 {
                let cands = pick(&|| {
                    let groups: Vec<Vec<u64>> = q.as_bytes().windows(4).map(|w| vec![digits4(w)]).collect();
                    self.phone_grams.intersect(&groups)
                });
                let finder = memmem::Finder::new(q.as_bytes());
                self.phones.scan(&finder, cands.as_deref(), |doc, pos, key| {
                    let rank = if key.len() == q.len() || (q.len() >= 8 && pos + q.len() == key.len()) {
                        R_EXACT_PHONE
                    } else {
                        R_PHONE_PART
                    };
                    best.offer(doc, rank);
                });
            }
        }

        // Within a step that can only add documents at one rank (the better ranks found in
        // full before it), a fresh query stops at `limit` in document order (see `ordered`).
        let stop = if tiers { wanted.filter(|w| w.keep.is_none()).map(|w| w.limit) } else { None };
        let name = if plan.name.is_empty() { &plan.folded } else { &plan.name };
        if tiers {
            self.name_starts(name, &mut best);
            if enough(&best) {
                return (best.into_found(), false);
            }
        }
        let cands = pick(&|| {
            let chars: Vec<char> = name.chars().collect();
            match chars.as_slice() {
                [c] => self.name_grams.docs(unigram(*c)),
                _ => self.name_grams.intersect(&pair_groups(&chars, |c| vec![c])),
            }
        });
        let finder = memmem::Finder::new(name.as_bytes());
        if let Some(cands) = &cands {
            // After the name starts (every whole name and prefix found), only name parts.
            complete &= !self.check_names(name.as_bytes(), &finder, cands, stop, &mut best);
        } else {
            self.names.scan(&finder, None, |doc, pos, key| {
                let d = &self.docs[doc as usize];
                let prefix = pos == 0 || pos == d.legal_start as usize || pos == d.facility_start as usize;
                let rank = if prefix && pos + name.len() == key.len() {
                    R_WHOLE_NAME
                } else if prefix {
                    R_NAME_PREFIX
                } else {
                    R_NAME_SUB
                };
                best.offer(doc, rank);
            });
        }

        if let Some(r) = &plan.reading {
            let long = r.stem.chars().count() >= 2;
            if tiers && long {
                if enough(&best) {
                    return (best.into_found(), false);
                }
                complete &=
                    !self.reading_starts(Keys::Readings, &r.stem, &r.next, R_READING_PREFIX, stop, &mut best);
            }
            if enough(&best) {
                return (best.into_found(), false);
            }
            let cands = pick(&|| self.reading_candidates(&r.stem, &r.next, |c| vec![c], false));
            // After the reading starts, or for one kana (starts only): one rank more.
            complete &= !self.match_reading(
                Keys::Readings,
                &r.stem,
                &r.next,
                cands.as_deref(),
                [R_READING_PREFIX, R_READING_SUB],
                stop,
                &mut best,
            );
            let weak_stem = voiceless_key(&r.stem);
            // A one-kana voiceless match says nothing; from two kana on it is worth a place.
            if weak_stem.chars().count() >= 2 {
                let weak_next: Vec<char> = r.next.iter().map(|&c| voiceless(c)).collect();
                if tiers {
                    if enough(&best) {
                        return (best.into_found(), false);
                    }
                    complete &= !self.reading_starts(
                        Keys::Voiceless,
                        &weak_stem,
                        &weak_next,
                        R_WEAK_PREFIX,
                        stop,
                        &mut best,
                    );
                }
                if enough(&best) {
                    return (best.into_found(), false);
                }
                let cands = pick(&|| self.reading_candidates(&weak_stem, &weak_next, voiced_forms, false));
                complete &= !self.match_reading(
                    Keys::Voiceless,
                    &weak_stem,
                    &weak_next,
                    cands.as_deref(),
                    [R_WEAK_PREFIX, R_WEAK_SUB],
                    stop,
                    &mut best,
                );
            }
        }
        (best.into_found(), complete)
    }

    /// True when `doc` is still where the name-length order put it (see `ordered`).
    pub(super) fn in_order(&self, doc: u32) -> bool {
        doc < self.ordered && (self.disordered.is_empty() || self.disordered.binary_search(&doc).is_err())
    }

    /// Calls `check` on each of `cands` (ascending). With `stop`, the caller's step adds
    /// documents at one rank only: once `best` holds `stop` documents not counting the ones
    /// out of order that this step added, the documents still in order are skipped (they
    /// would rank below those found, ties going to the shorter name) and `true` says so; the
    /// ones out of order are checked to the end.
    pub(super) fn visit_in_order(
        &self,
        cands: &[u32],
        stop: Option<usize>,
        best: &mut Best,
        mut check: impl FnMut(u32, &mut Best),
    ) -> bool {
        let Some(limit) = stop else {
            for &doc in cands {
                check(doc, best);
            }
            return false;
        };
        let mut uncounted = 0usize;
        for (i, &doc) in cands.iter().enumerate() {
            if !self.in_order(doc) {
                let before = best.touched.len();
                check(doc, best);
                uncounted += best.touched.len() - before;
                continue;
            }
            if best.touched.len() - uncounted < limit {
                check(doc, best);
                continue;
            }
            // Enough: only the documents out of order are left to check.
            let rest = &cands[i..];
            let tail = rest.partition_point(|&d| d < self.ordered);
            for &d in rest[..tail].iter().filter(|&&d| self.disordered.binary_search(&d).is_ok()) {
                check(d, best);
            }
            for &d in &rest[tail..] {
                check(d, best);
            }
            return true;
        }
        false
    }
}

/// When a query has found enough: `limit` matches (in the place asked for, if any).
pub(super) struct Wanted<'a> {
    pub(super) limit: usize,
    pub(super) keep: Option<&'a dyn Fn(u32) -> bool>,
}

impl Wanted<'_> {
    pub(super) fn met(&self, best: &Best) -> bool {
        if best.touched.len() < self.limit {
            return false;
        }
        match self.keep {
            None => true,
            Some(keep) => best.touched.iter().filter(|&&d| keep(d)).take(self.limit).count() >= self.limit,
        }
    }
}

/// Which documents a query's keys are checked against.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// The ones the posting lists name (a fresh query).
    Postings,
    /// These (the candidates of a query this one narrows).
    Given(&'a [u32]),
    /// Every document: the brute-force reference the tests compare the other two with.
    #[cfg_attr(not(test), allow(dead_code))]
    All,
}

impl<'a> Scope<'a> {
    fn of(narrow: Option<&'a [u32]>) -> Scope<'a> {
        narrow.map_or(Scope::Postings, Scope::Given)
    }
}

/// One group per pair of adjacent query characters: the pairs of the key characters they
/// stand for (`forms`).
pub(super) fn pair_groups(chars: &[char], forms: fn(char) -> Vec<char>) -> Vec<Vec<u64>> {
    let mut groups: Vec<Vec<u64>> = chars
        .windows(2)
        .map(|w| {
            let (a, b) = (forms(w[0]), forms(w[1]));
            a.iter().flat_map(|&x| b.iter().map(move |&y| bigram(x, y))).collect()
        })
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// The documents in both ascending lists.
pub(super) fn intersect_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}
