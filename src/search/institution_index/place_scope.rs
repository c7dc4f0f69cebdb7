//! Step 1 of a search: place words. Terms separated by spaces that name a prefecture or city
//! (`三鷹 あかい`) narrow the others to institutions there; when that leaves nothing the place
//! words are ignored. The other terms, run together, are the query's [`Plan`].

use memchr::memmem;

use crate::search::normalize::fold;

use super::InstitutionIndex;
use super::plan::Plan;
use super::rank::Rank;

/// The place a query names, if any, and (once something there matched) its documents.
pub(super) struct PlaceScope {
    /// The place words, folded; none when the query names no place.
    terms: Vec<String>,
    /// Per place word, which places hold it: one pass over the places per word.
    word_in_place: Vec<Vec<bool>>,
    /// Per place, whether it holds every place word.
    place_ok: Vec<bool>,
    /// Per place word, the documents whose name holds it (ascending).
    named: Vec<Vec<u32>>,
    /// The documents of the place, once something there matched: the typo and fuzzy steps look
    /// only among them (anything they found elsewhere would be filtered out).
    docs: Option<Vec<u32>>,
}

impl PlaceScope {
    /// Reads the place words of `query` and the plan of the rest; `None` when nothing is left
    /// to look for.
    pub(super) fn read(index: &InstitutionIndex, query: &str) -> Option<(PlaceScope, Plan)> {
        let terms: Vec<&str> = query.split(char::is_whitespace).filter(|t| !fold(t).is_empty()).collect();
        if terms.is_empty() {
            return None;
        }
        let mut place_terms: Vec<String> = Vec::new();
        let mut word_in_place: Vec<Vec<bool>> = Vec::new();
        let mut main_terms: Vec<&str> = Vec::new();
        if terms.len() > 1 {
            for t in &terms {
                let f = fold(t);
                let holding: Option<Vec<bool>> = (f.chars().count() >= 2).then(|| {
                    let finder = memmem::Finder::new(f.as_bytes());
                    index.places.iter().map(|p| finder.find(p.key.as_bytes()).is_some()).collect()
                });
                match holding {
                    Some(holding) if holding.contains(&true) => {
                        place_terms.push(f);
                        word_in_place.push(holding);
                    }
                    _ => main_terms.push(t),
                }
            }
        }
        if main_terms.is_empty() {
            place_terms.clear();
            word_in_place.clear();
            main_terms = terms.clone();
        }
        let main: String = main_terms.concat();
        let plan = Plan::new(&main)?;
        let place_ok: Vec<bool> = if place_terms.is_empty() {
            Vec::new()
        } else {
            (0..index.places.len()).map(|p| word_in_place.iter().all(|w| w[p])).collect()
        };
        // A document is in the place when its place holds every place word, or each word is in
        // its name or its place; the names holding a word are read from the posting lists once.
        let named: Vec<Vec<u32>> = place_terms.iter().map(|t| index.names_holding(t)).collect();
        let scope = PlaceScope { terms: place_terms, word_in_place, place_ok, named, docs: None };
        Some((scope, plan))
    }

    /// True when `doc` is in the place the query names.
    fn holds(&self, index: &InstitutionIndex, doc: u32) -> bool {
        let p = index.docs[doc as usize].place as usize;
        self.place_ok[p]
            || self
                .named
                .iter()
                .zip(&self.word_in_place)
                .all(|(named, places)| places[p] || named.binary_search(&doc).is_ok())
    }

    /// The documents in the place (ascending), when the query names one.
    pub(super) fn docs_in_place(&self, index: &InstitutionIndex) -> Option<Vec<u32>> {
        if self.terms.is_empty() {
            return None;
        }
        // A document that moved keeps its old entry: its current place is checked.
        let places: Vec<u64> =
            (0..self.place_ok.len() as u64).filter(|&p| self.place_ok[p as usize]).collect();
        let mut docs: Vec<u32> = index
            .place_docs
            .union(&places)
            .into_iter()
            .filter(|&d| self.place_ok[index.docs[d as usize].place as usize])
            .collect();
        docs.extend(self.named.iter().flatten().copied().filter(|&d| self.holds(index, d)));
        docs.sort_unstable();
        docs.dedup();
        Some(docs)
    }

    /// Something among `docs` (from [`PlaceScope::docs_in_place`]) matched: later steps look
    /// only there.
    pub(super) fn matched_in(&mut self, docs: Vec<u32>) {
        self.docs = Some(docs);
    }

    /// The documents of the place, once something there matched.
    pub(super) fn docs(&self) -> Option<&[u32]> {
        self.docs.as_deref()
    }

    /// The hits in the place, unless none is (then the place words are ignored).
    pub(super) fn keep_in_place(
        &self,
        index: &InstitutionIndex,
        found: Vec<(Rank, u32)>,
    ) -> Vec<(Rank, u32)> {
        if self.terms.is_empty() {
            return found;
        }
        let filtered: Vec<(Rank, u32)> =
            found.iter().copied().filter(|&(_, doc)| self.holds(index, doc)).collect();
        if filtered.is_empty() { found } else { filtered }
    }
}
