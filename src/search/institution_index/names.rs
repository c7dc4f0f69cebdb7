//! Name matches, exact steps after codes and phones: whole names and name starts (after a
//! legal-entity prefix or the corporation's name too), then names holding the query.

use memchr::memmem;

use crate::search::postings::{start_gram, unigram};

use super::InstitutionIndex;
use super::exact::pair_groups;
use super::rank::{Best, R_NAME_PREFIX, R_NAME_SUB, R_NONE, R_WHOLE_NAME};

impl InstitutionIndex {
    /// The documents whose folded name holds `folded`, ascending.
    pub(super) fn names_holding(&self, folded: &str) -> Vec<u32> {
        let chars: Vec<char> = folded.chars().collect();
        let cands = match chars.as_slice() {
            [] => return Vec::new(),
            [c] => self.name_grams.docs(unigram(*c)),
            _ => self.name_grams.intersect(&pair_groups(&chars, |c| vec![c])),
        };
        let finder = memmem::Finder::new(folded.as_bytes());
        cands.into_iter().filter(|&d| finder.find(self.names.key(d)).is_some()).collect()
    }

    /// The names starting with `needle` at a name start (whole name, or name prefix), from the
    /// lists of name starts and pairs.
    pub(super) fn name_starts(&self, needle: &str, best: &mut Best) {
        let chars: Vec<char> = needle.chars().collect();
        let Some(&first) = chars.first() else { return };
        let mut groups = vec![vec![start_gram(first)]];
        groups.extend(pair_groups(&chars, |c| vec![c]));
        let needle = needle.as_bytes();
        for doc in self.name_grams.intersect(&groups) {
            let key = self.names.key(doc);
            let d = &self.docs[doc as usize];
            for start in [0, d.legal_start as usize, d.facility_start as usize] {
                if key.get(start..).is_some_and(|k| k.starts_with(needle)) {
                    best.offer(
                        doc,
                        if start + needle.len() == key.len() { R_WHOLE_NAME } else { R_NAME_PREFIX },
                    );
                }
            }
        }
    }

    /// The names of `cands` holding `needle`: the name starts are compared first (a prefix is
    /// the best a name match can be), the whole key searched only when none matches.
    pub(super) fn check_names(
        &self,
        needle: &[u8],
        finder: &memmem::Finder<'_>,
        cands: &[u32],
        stop: Option<usize>,
        best: &mut Best,
    ) -> bool {
        self.visit_in_order(cands, stop, best, |doc, best| {
            let key = self.names.key(doc);
            let d = &self.docs[doc as usize];
            let mut rank = R_NONE;
            for start in [0, d.legal_start as usize, d.facility_start as usize] {
                if key.get(start..).is_some_and(|k| k.starts_with(needle)) {
                    rank = rank.min(if start + needle.len() == key.len() {
                        R_WHOLE_NAME
                    } else {
                        R_NAME_PREFIX
                    });
                }
            }
            if rank == R_NONE && finder.find(key).is_some() {
                rank = R_NAME_SUB;
            }
            if rank != R_NONE {
                best.offer(doc, rank);
            }
        })
    }
}
