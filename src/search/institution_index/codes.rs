//! Code matches, the first of the exact steps: a code, its prefix, or the seven digits read
//! off a card, over the documents sorted by code (two binary searches) or given candidates.

use super::InstitutionIndex;
use super::rank::{Best, R_CODE_PREFIX, R_EXACT_CODE, Rank};

impl InstitutionIndex {
    /// The rank of a code match of the query digits `q`, if the code matches.
    pub(super) fn code_rank(code: &[u8; 10], q: &[u8]) -> Option<Rank> {
        // 7 digits are the code without prefecture and 点数表 (郡市区 2 + 番号 4 + 検証 1).
        if code == q || (q.len() == 7 && &code[3..] == q) {
            Some(R_EXACT_CODE)
        } else if code.starts_with(q) || (q.len() <= 7 && code[3..].starts_with(q)) {
            Some(R_CODE_PREFIX)
        } else {
            None
        }
    }

    pub(super) fn match_codes(&self, q: &str, cands: Option<&[u32]>, best: &mut Best) {
        let q = q.as_bytes();
        let mut check = |doc: u32| {
            if let Some(rank) = Self::code_rank(&self.docs[doc as usize].code, q) {
                best.offer(doc, rank);
            }
        };
        match cands {
            Some(cands) => cands.iter().for_each(|&d| check(d)),
            None => (0..self.docs.len() as u32).for_each(check),
        }
    }

    /// [`Self::match_codes`] over the documents sorted by code: two binary searches. With
    /// `keep`, a range much longer than that (a first digit matches a tenth of the country)
    /// offers only its best `keep` by rank, name length and document, and says so (`false`:
    /// not every match): whatever it leaves out ranks below them.
    pub(super) fn match_code_ranges(&self, q: &str, keep: Option<usize>, best: &mut Best) -> bool {
        let q = q.as_bytes();
        if q.len() > 10 {
            return true;
        }
        let range = |sorted: &[u32], field: fn(&[u8; 10]) -> &[u8]| {
            let key = |d: &u32| {
                let f = field(&self.docs[*d as usize].code);
                &f[..q.len().min(f.len())]
            };
            let lo = sorted.partition_point(|d| key(d) < q);
            let hi = sorted.partition_point(|d| key(d) <= q);
            (lo, hi)
        };
        let (lo, hi) = range(&self.by_code, |c| &c[..]);
        let (tail_lo, tail_hi) = if q.len() <= 7 { range(&self.by_tail, |c| &c[3..]) } else { (0, 0) };
        let offer = |doc: u32, best: &mut Best| {
            if let Some(rank) = Self::code_rank(&self.docs[doc as usize].code, q) {
                best.offer(doc, rank);
            }
        };
        match keep {
            Some(keep) if q.len() < 7 && (hi - lo) + (tail_hi - tail_lo) > keep.saturating_mul(4) => {
                // Under seven digits a range is only ever a prefix (no code is exact): its
                // best `keep` by name length and document, from the lengths kept beside the
                // lists (read in order), then deduplicated (a document can be in both ranges).
                let heads = self.code_chars[lo..hi].iter().zip(&self.by_code[lo..hi]);
                let tails = self.tail_chars[tail_lo..tail_hi].iter().zip(&self.by_tail[tail_lo..tail_hi]);
                let mut top: std::collections::BinaryHeap<(u16, u32)> = std::collections::BinaryHeap::new();
                let room = keep.saturating_mul(2).max(1);
                for (&chars, &doc) in heads.chain(tails) {
                    if top.len() < room {
                        top.push((chars, doc));
                    } else if top.peek().is_some_and(|&worst| (chars, doc) < worst) {
                        top.pop();
                        top.push((chars, doc));
                    }
                }
                let mut chosen = top.into_sorted_vec();
                chosen.dedup();
                for (_, doc) in chosen.into_iter().take(keep) {
                    offer(doc, best);
                }
                false
            }
            _ => {
                for &doc in self.by_code[lo..hi].iter().chain(&self.by_tail[tail_lo..tail_hi]) {
                    offer(doc, best);
                }
                true
            }
        }
    }
}
