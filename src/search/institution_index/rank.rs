//! Ranks, and step 5 of a search: the best `limit` hits by rank, fuzzy score and name length.
//! Also [`Best`], the best rank per document a query's steps collect.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{InstitutionIndex, MatchKind};

/// Internal rank: the `MatchKind` order with voiceless reading matches (たかた for 高田
/// たかだ) slotted in as weaker than every exact reading match.
pub(super) type Rank = u8;
pub(super) const R_EXACT_CODE: Rank = 0;
pub(super) const R_EXACT_PHONE: Rank = 1;
pub(super) const R_CODE_PREFIX: Rank = 2;
pub(super) const R_PHONE_PART: Rank = 3;
pub(super) const R_WHOLE_NAME: Rank = 4;
pub(super) const R_NAME_PREFIX: Rank = 5;
pub(super) const R_NAME_SUB: Rank = 6;
pub(super) const R_READING_PREFIX: Rank = 7;
/// A reading start found through one slip, when the query starts no name or reading (its exact
/// hits are all parts of readings: `もとしかいいん` for ゆもとしかいいん): operators type from
/// the start, so the mended start is the likelier one.
pub(super) const R_SLIP_START: Rank = 9;
/// Of those, a reading that holds the whole query one kana in (its first kana dropped, the
/// commonest slip of a name said aloud): first.
pub(super) const R_FIRST_DROPPED: Rank = 8;
pub(super) const R_READING_SUB: Rank = 10;
pub(super) const R_WEAK_PREFIX: Rank = 11;
pub(super) const R_WEAK_SUB: Rank = 12;
/// A reading found through one slip of the query (`typo`): below every exact match.
pub(super) const R_TYPO: Rank = 13;
pub(super) const R_FUZZY: Rank = 14;
pub(super) const R_NONE: Rank = u8::MAX;

pub(super) fn kind_of(rank: Rank) -> MatchKind {
    match rank {
        R_EXACT_CODE => MatchKind::ExactCode,
        R_EXACT_PHONE => MatchKind::ExactPhone,
        R_CODE_PREFIX => MatchKind::CodePrefix,
        R_PHONE_PART => MatchKind::PhonePart,
        R_WHOLE_NAME => MatchKind::WholeName,
        R_NAME_PREFIX => MatchKind::NamePrefix,
        R_NAME_SUB => MatchKind::NameSubstring,
        R_READING_PREFIX | R_WEAK_PREFIX => MatchKind::ReadingPrefix,
        R_READING_SUB | R_WEAK_SUB => MatchKind::ReadingSubstring,
        _ => MatchKind::Fuzzy,
    }
}

/// The score a hit of `rank` is given (1 for an exact code, falling by a sixteenth a rank).
pub(super) fn score(rank: Rank) -> f64 {
    1.0 - f64::from(rank) / 16.0
}

impl InstitutionIndex {
    /// Step 5: the best `limit` of `found`, best first: by rank, then score (a fuzzy hit's,
    /// how close a mended slip is: `typo::closeness`), then name length (ties go to the
    /// shorter name).
    pub(super) fn rank(
        &self,
        found: Vec<(Rank, u32)>,
        scores: &HashMap<u32, u32>,
        limit: usize,
    ) -> Vec<(Rank, u32)> {
        // One packed sort key per hit (rank, then score, then name length), computed once:
        // a first keystroke can match most of the country.
        let scored = |rank: Rank| matches!(rank, R_FIRST_DROPPED | R_SLIP_START | R_TYPO | R_FUZZY);
        let mut keyed: Vec<(u64, u32)> = found
            .iter()
            .map(|&(rank, doc)| {
                let fuzzy = if !scores.is_empty() && scored(rank) {
                    scores.get(&doc).copied().unwrap_or(0)
                } else {
                    0
                };
                let key = (u64::from(rank) << 48)
                    | (u64::from(u32::MAX - fuzzy) << 16)
                    | u64::from(self.docs[doc as usize].name_chars);
                (key, doc)
            })
            .collect();
        if keyed.len() > limit {
            keyed.select_nth_unstable(limit);
            keyed.truncate(limit);
        }
        keyed.sort_unstable();
        keyed.into_iter().map(|(key, doc)| (((key >> 48) & 0xFF) as Rank, doc)).collect()
    }
}

thread_local! {
    /// The per-document rank buffer of [`Best`], kept between queries (all `R_NONE` while
    /// unused) so a query pays for the documents it touches, not for the whole country.
    static RANKS: RefCell<Vec<Rank>> = const { RefCell::new(Vec::new()) };
}

/// Best rank per document for one query, and the documents touched, without a hash map.
pub(super) struct Best {
    pub(super) rank: Vec<Rank>,
    pub(super) touched: Vec<u32>,
}

impl Best {
    pub(super) fn new(n: usize) -> Best {
        let mut rank = RANKS.with(|r| std::mem::take(&mut *r.borrow_mut()));
        if rank.len() < n {
            rank.resize(n, R_NONE);
        }
        Best { rank, touched: Vec::new() }
    }

    pub(super) fn offer(&mut self, doc: u32, rank: Rank) {
        let slot = &mut self.rank[doc as usize];
        if *slot == R_NONE {
            self.touched.push(doc);
        }
        if rank < *slot {
            *slot = rank;
        }
    }

    pub(super) fn into_found(mut self) -> Vec<(Rank, u32)> {
        let found: Vec<(Rank, u32)> = self.touched.iter().map(|&d| (self.rank[d as usize], d)).collect();
        for &d in &self.touched {
            self.rank[d as usize] = R_NONE;
        }
        let rank = std::mem::take(&mut self.rank);
        RANKS.with(|r| *r.borrow_mut() = rank);
        found
    }
}
