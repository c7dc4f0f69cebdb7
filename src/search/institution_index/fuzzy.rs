//! Step 4 of a search: when the exact and typo steps found too little, nucleo's fuzzy match
//! over the names and reading keys holding every character of the query (read from the posting
//! lists), at most [`FUZZY_MAX_SCORED`] keys.

use std::collections::{HashMap, HashSet};

use memchr::memmem;

use crate::search::kana_code;
use crate::search::postings::{Postings, unigram};
use crate::search::tuning::{FUZZY_MAX_EXAMINED, FUZZY_MAX_SCORED, FUZZY_WHEN_FEWER_THAN};

use super::InstitutionIndex;
use super::column::Column;
use super::exact::intersect_sorted;
use super::place_scope::PlaceScope;
use super::plan::Plan;
use super::rank::{R_FUZZY, Rank};

impl InstitutionIndex {
    /// Adds the fuzzy hits to `found` and returns their scores: only when the earlier steps
    /// found too little (with `elsewhere`, another reading's hits), for two characters or more, and not while typing on from a query that
    /// found something (`narrowed`); within the place when one matched.
    pub(super) fn fuzzy_step(
        &self,
        plan: &Plan,
        place: &PlaceScope,
        limit: usize,
        narrowed: bool,
        elsewhere: usize,
        found: &mut Vec<(Rank, u32)>,
    ) -> HashMap<u32, u32> {
        let mut fuzzy_scores: HashMap<u32, u32> = HashMap::new();
        if found.len() + elsewhere < limit.min(FUZZY_WHEN_FEWER_THAN)
            && plan.digits.is_none()
            && plan.folded.chars().count() >= 2
            // Typing on from a query that already found something: no fuzzy on every key.
            && (found.is_empty() || !narrowed)
        {
            let have: HashSet<u32> = found.iter().map(|&(_, d)| d).collect();
            for (doc, score) in self.fuzzy(plan, limit, place.docs()) {
                if !have.contains(&doc) {
                    found.push((R_FUZZY, doc));
                    fuzzy_scores.insert(doc, score);
                }
            }
        }
        fuzzy_scores
    }

    /// Documents whose name or reading key fuzzily holds the query, with nucleo's score; only
    /// over documents holding every character of the query (read from the posting lists), at
    /// most [`FUZZY_MAX_SCORED`] keys.
    fn fuzzy(&self, plan: &Plan, limit: usize, within: Option<&[u32]>) -> Vec<(u32, u32)> {
        use nucleo_matcher::{Config, Matcher, Utf32Str};
        let name_q: Vec<char> = plan.name.chars().collect();
        let reading_q: Vec<char> =
            plan.reading.as_ref().map(|r| r.stem.chars().collect()).unwrap_or_default();
        // The documents holding every character of `q`: the three rarest characters' lists
        // intersected (decoding a list costs a few ns an entry, reading a key far more), the
        // others looked for in at most [`FUZZY_MAX_EXAMINED`] keys, at most as many as are
        // scored kept.
        // `code` gives a character as its column holds it (UTF-8 names, kana-code readings).
        let holding_all =
            |postings: &Postings, column: &Column, q: &[char], code: fn(char) -> Vec<u8>| -> Vec<u32> {
                if q.len() < 2 {
                    return Vec::new();
                }
                let mut chars = q.to_vec();
                chars.sort_unstable();
                chars.dedup();
                chars.sort_by_cached_key(|&c| postings.count(unigram(c)));
                // A few given documents (a place): every character is looked for in their keys.
                let few = within.filter(|w| w.len() <= FUZZY_MAX_EXAMINED);
                let (listed, rest) = chars.split_at(if few.is_some() { 0 } else { chars.len().min(3) });
                let groups: Vec<Vec<u64>> = listed.iter().map(|&c| vec![unigram(c)]).collect();
                let needles: Vec<Vec<u8>> = rest.iter().map(|&c| code(c)).collect();
                let finders: Vec<memmem::Finder<'_>> = needles.iter().map(memmem::Finder::new).collect();
                let holds = |doc: &u32| {
                    let key = column.key(*doc);
                    finders.iter().all(|f| f.find(key).is_some())
                };
                let cands: Vec<u32> = match (few, within) {
                    (Some(few), _) => few.to_vec(),
                    (None, Some(within)) => intersect_sorted(&postings.intersect(&groups), within),
                    (None, None) => postings.intersect(&groups),
                };
                cands.into_iter().take(FUZZY_MAX_EXAMINED).filter(holds).take(FUZZY_MAX_SCORED).collect()
            };
        let name_cands = holding_all(&self.name_grams, &self.names, &name_q, |c| c.to_string().into_bytes());
        let reading_cands =
            holding_all(&self.reading_grams, &self.readings, &reading_q, |c| vec![kana_code::key_byte(c)]);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut out: Vec<(u32, u32)> = Vec::new();
        let min_score = |q: &[char]| 16 * q.len() as u16;
        let mut scored = 0usize;
        // Names are UTF-8; reading keys are decoded from the kana code into `text`.
        let mut text = String::new();
        let mut score = |key: &str, q: &[char], best: &mut u16| {
            if let Some(s) = matcher.fuzzy_match(Utf32Str::new(key, &mut buf), Utf32Str::Unicode(q))
                && s >= min_score(q)
            {
                *best = (*best).max(s);
            }
        };
        let (mut i, mut j) = (0, 0);
        while (i < name_cands.len() || j < reading_cands.len()) && scored < FUZZY_MAX_SCORED {
            let n = name_cands.get(i).copied().unwrap_or(u32::MAX);
            let r = reading_cands.get(j).copied().unwrap_or(u32::MAX);
            let doc = n.min(r);
            let mut best = 0u16;
            if n == doc {
                score(std::str::from_utf8(self.names.key(doc)).unwrap_or(""), &name_q, &mut best);
                scored += 1;
                i += 1;
            }
            if r == doc {
                text.clear();
                text.extend(kana_code::key_chars(self.readings.key(doc)));
                score(&text, &reading_q, &mut best);
                scored += 1;
                j += 1;
            }
            if best > 0 {
                out.push((doc, u32::from(best)));
            }
        }
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }
}
