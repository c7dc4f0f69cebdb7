//! Step 1 of a search: place words. Callers name their town first, and operators type it as
//! they hear it: kanji, kana or romaji, with or without 市/区/町…, before or after the name
//! (`三鷹 あかい`, `みたか あかい`, `akai mitaka-shi`), run into it with の or nothing
//! (`みたかのあかい`, `mitakanoakai`). A word naming a place (`search::places`; kanji words
//! also by the place's written name, as imported) narrows the rest of the query to the
//! institutions there, every place it names (府中: both 府中市 and 府中町).
//!
//! A query is read several ways, each a [`Reading`]: the words as places (the first place
//! word that fits, then any other naming the same place; a second reading from the last word
//! back when a place word was left out), and always the query as typed, every word run
//! together (`たかはし いいん` is also たかはし医院, wherever it is). The pipeline ranks
//! them together (`mod.rs`).

use memchr::memmem;

use crate::search::normalize::fold;
use crate::search::places::{self, PlaceTable};

use super::InstitutionIndex;
use super::build::place_id_key;
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
    /// Per place word, the documents whose name holds it (ascending; kanji words only).
    named: Vec<Vec<u32>>,
    /// The documents of the place, once something there matched: the typo and fuzzy steps look
    /// only among them (anything they found elsewhere would be filtered out).
    docs: Option<Vec<u32>>,
}

/// One way of reading a query: the place it names (if any) and what to look for there.
pub(super) struct Reading {
    pub(super) place: PlaceScope,
    pub(super) plan: Plan,
}

/// Every way a query is read: place readings (words the operator spaced apart), and the query
/// as typed.
pub(super) struct QueryReadings {
    pub(super) placed: Vec<Reading>,
    pub(super) literal: Plan,
}

/// One query word as a place word: which places it names, and the names holding it.
struct PlaceWord {
    term: String,
    holding: Vec<bool>,
    kanji: bool,
}

/// At most this many place readings of one query (each is one more search of a place).
const MAX_PLACE_READINGS: usize = 2;

impl PlaceScope {
    /// No place: the query as typed.
    pub(super) fn none() -> PlaceScope {
        PlaceScope {
            terms: Vec::new(),
            word_in_place: Vec::new(),
            place_ok: Vec::new(),
            named: Vec::new(),
            docs: None,
        }
    }

    /// Reads the place words of `query` and the plan of the rest; `None` when nothing is left
    /// to look for.
    pub(super) fn read(index: &InstitutionIndex, query: &str) -> Option<QueryReadings> {
        let terms: Vec<&str> = query.split(char::is_whitespace).filter(|t| !fold(t).is_empty()).collect();
        if terms.is_empty() {
            return None;
        }
        let literal = Plan::new(&terms.concat())?;
        let mut placed = Vec::new();
        if terms.len() > 1 {
            let words: Vec<Option<PlaceWord>> = terms.iter().map(|t| place_word(index, t)).collect();
            let forward: Vec<usize> = (0..terms.len()).collect();
            let (first, left_out) = choose(&terms, &words, &forward);
            if let Some(r) = first.and_then(|chosen| reading(index, &terms, &words, &chosen)) {
                placed.push(r);
            }
            if left_out {
                let backward: Vec<usize> = (0..terms.len()).rev().collect();
                if let Some(r) =
                    choose(&terms, &words, &backward).0.and_then(|c| reading(index, &terms, &words, &c))
                {
                    placed.push(r);
                }
            }
            placed.truncate(MAX_PLACE_READINGS);
        }
        Some(QueryReadings { placed, literal })
    }

    /// The scope of a place word naming the table's places `ids`.
    pub(super) fn named_places(index: &InstitutionIndex, term: &str, ids: &[u32]) -> PlaceScope {
        let holding = holding_of(index, ids);
        PlaceScope {
            terms: vec![term.to_string()],
            place_ok: holding.clone(),
            word_in_place: vec![holding],
            named: vec![Vec::new()],
            docs: None,
        }
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

/// `term` as a place word, if it is one: a kana or romaji word by the place table's
/// readings; a kanji word by the places' written names (part of 東京都三鷹市) or the table's
/// kanji forms (札幌中央). A trailing の is let go.
fn place_word(index: &InstitutionIndex, term: &str) -> Option<PlaceWord> {
    let f = fold(term);
    if places::is_suffix_word(&f) {
        return None;
    }
    let table = PlaceTable::shipped();
    let key = places::word_key(&f)?;
    let kanji = !(f.chars().all(places::is_romaji) || f.chars().all(is_kana));
    let mut holding = table.word(term).map(|ids| holding_of(index, ids));
    if kanji {
        let bare = f.strip_suffix('の').filter(|b| b.chars().count() >= 2).unwrap_or(&f);
        if bare.chars().count() >= 2 {
            let finder = memmem::Finder::new(bare.as_bytes());
            let written: Vec<bool> =
                index.places.iter().map(|p| finder.find(p.key.as_bytes()).is_some()).collect();
            holding = Some(match holding {
                Some(h) => h.iter().zip(&written).map(|(a, b)| *a || *b).collect(),
                None => written,
            });
            return holding.filter(|h| h.contains(&true)).map(|holding| PlaceWord {
                term: bare.to_string(),
                holding,
                kanji: true,
            });
        }
    }
    holding.filter(|h| h.contains(&true)).map(|holding| PlaceWord { term: key, holding, kanji: false })
}

/// Which of the index's places the table's places `ids` are.
fn holding_of(index: &InstitutionIndex, ids: &[u32]) -> Vec<bool> {
    let table = PlaceTable::shipped();
    let mut holding = vec![false; index.places.len()];
    let mut prefectures: Vec<&str> = Vec::new();
    for &id in ids {
        let e = table.entry_of(id);
        match e.city {
            Some(city) => {
                if let Some(&p) = index.place_ids.get(&place_id_key(e.prefecture, city)) {
                    holding[p as usize] = true;
                }
            }
            None => prefectures.push(e.prefecture),
        }
    }
    if !prefectures.is_empty() {
        for (p, place) in index.places.iter().enumerate() {
            if prefectures.contains(&place.prefecture.as_str()) {
                holding[p] = true;
            }
        }
    }
    holding
}

/// Which words (in `order`) are taken as places: each place word naming a place the ones
/// taken before it also name; the others are the name. `true` when a place word was left out
/// (it names somewhere else: maybe it is the name). `None` when no word is a place, or every
/// word is.
fn choose(terms: &[&str], words: &[Option<PlaceWord>], order: &[usize]) -> (Option<Vec<usize>>, bool) {
    let mut chosen: Vec<usize> = Vec::new();
    let mut common: Option<Vec<bool>> = None;
    let mut left_out = false;
    for &i in order {
        let Some(w) = &words[i] else { continue };
        match &common {
            None => {
                common = Some(w.holding.clone());
                chosen.push(i);
            }
            Some(c) => {
                let both: Vec<bool> = c.iter().zip(&w.holding).map(|(a, b)| *a && *b).collect();
                if both.contains(&true) {
                    common = Some(both);
                    chosen.push(i);
                } else {
                    left_out = true;
                }
            }
        }
    }
    // Something must be left to look for, besides suffixes and の after the places.
    let rest = (0..terms.len()).filter(|i| !chosen.contains(i) && !is_trailer(terms, &chosen, *i)).count();
    if chosen.is_empty() || rest == 0 {
        return (None, left_out);
    }
    (Some(chosen), left_out)
}

/// A suffix word or の right after a chosen place word (`mitaka shi`, `三鷹 の`).
fn is_trailer(terms: &[&str], chosen: &[usize], i: usize) -> bool {
    i > 0 && chosen.contains(&(i - 1)) && places::is_suffix_word(&fold(terms[i]))
}

/// The reading with `chosen` words as places and the others as the name.
fn reading(
    index: &InstitutionIndex,
    terms: &[&str],
    words: &[Option<PlaceWord>],
    chosen: &[usize],
) -> Option<Reading> {
    let main: String = (0..terms.len())
        .filter(|i| !chosen.contains(i) && !is_trailer(terms, chosen, *i))
        .map(|i| terms[i])
        .collect();
    let plan = Plan::new(&main)?;
    let mut place = PlaceScope::none();
    for &i in chosen {
        let Some(w) = &words[i] else { continue };
        place.terms.push(w.term.clone());
        place.word_in_place.push(w.holding.clone());
        // A kanji word also finds the names holding it (三鷹眼科医院 in 武蔵野市).
        place.named.push(if w.kanji { index.names_holding(&w.term) } else { Vec::new() });
    }
    place.place_ok = (0..index.places.len()).map(|p| place.word_in_place.iter().all(|w| w[p])).collect();
    Some(Reading { place, plan })
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | 'ー')
}
