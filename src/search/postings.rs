//! Posting lists: for each gram (a character, two adjacent characters, four phone digits ...
//! packed in a `u64`), the documents whose key holds it. A lookup reads the lists of its
//! rarest grams and checks only the documents they name, so its cost follows the matches,
//! not the size of the country.
//!
//! Layout: built once, the lists are sorted and delta-coded as LEB128 varints in one byte
//! buffer (a frequent gram costs about one byte per document). Documents keyed after the build
//! (an import, a reading correction) go to a small per-gram overflow; their old entries stay
//! in the coded lists and simply fail the caller's check against the document's current key.

use std::collections::HashMap;

use super::snapshot_codec::{Reader, SnapshotError, Writer};

/// One list while the index is built: its last document, its length, its coded bytes.
type Building = (u32, u32, Vec<u8>);

/// The documents holding each gram; see the module doc.
#[derive(Default)]
pub struct Postings {
    /// Sorted grams of the coded lists.
    grams: Vec<u64>,
    /// Per gram: start of its list in `data` (one more entry at the end).
    starts: Vec<u32>,
    /// Per gram: how many documents its coded list holds.
    counts: Vec<u32>,
    data: Vec<u8>,
    /// Lists being built, by gram.
    building: HashMap<u64, Building>,
    /// Documents keyed after the build, per gram, in the order they came.
    extra: HashMap<u64, Vec<u32>>,
    frozen: bool,
}

impl Postings {
    /// Records that `doc` holds `gram`. Before [`Postings::freeze`] documents must come in
    /// ascending order (repeats of the last one are ignored).
    pub fn add(&mut self, gram: u64, doc: u32) {
        if self.frozen {
            let list = self.extra.entry(gram).or_default();
            if list.last() != Some(&doc) {
                list.push(doc);
            }
            return;
        }
        let (last, count, bytes) = self.building.entry(gram).or_insert((u32::MAX, 0, Vec::new()));
        if *last == doc {
            return;
        }
        let delta = if *last == u32::MAX { doc } else { doc.wrapping_sub(*last) };
        push_varint(bytes, delta);
        *last = doc;
        *count += 1;
    }

    /// Ends the build: every later [`Postings::add`] goes to the overflow.
    pub fn freeze(&mut self) {
        if self.frozen {
            return;
        }
        self.frozen = true;
        let mut lists: Vec<(u64, Building)> = std::mem::take(&mut self.building).into_iter().collect();
        lists.sort_unstable_by_key(|l| l.0);
        let total: usize = lists.iter().map(|l| l.1.2.len()).sum();
        self.grams = Vec::with_capacity(lists.len());
        self.starts = Vec::with_capacity(lists.len() + 1);
        self.counts = Vec::with_capacity(lists.len());
        self.data = Vec::with_capacity(total);
        for (gram, (_, count, bytes)) in lists {
            self.grams.push(gram);
            self.starts.push(self.data.len() as u32);
            self.counts.push(count);
            self.data.extend_from_slice(&bytes);
        }
        self.starts.push(self.data.len() as u32);
    }

    /// About how many documents hold `gram` (coded and overflow entries).
    pub fn count(&self, gram: u64) -> usize {
        let coded = match self.grams.binary_search(&gram) {
            Ok(i) => self.counts[i] as usize,
            Err(_) => 0,
        };
        coded + self.extra.get(&gram).map_or(0, Vec::len)
    }

    /// The documents of `gram`'s coded list, ascending.
    fn coded(&self, gram: u64) -> Decoder<'_> {
        match self.grams.binary_search(&gram) {
            Ok(i) => Decoder::new(&self.data[self.starts[i] as usize..self.starts[i + 1] as usize]),
            Err(_) => Decoder::new(&[]),
        }
    }

    /// Every document holding `gram`, ascending, without repeats.
    pub fn docs(&self, gram: u64) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(self.count(gram));
        out.extend(self.coded(gram));
        self.add_extra(&mut out, &[gram]);
        out
    }

    /// Every document holding at least one of `grams`, ascending, without repeats.
    pub fn union(&self, grams: &[u64]) -> Vec<u32> {
        if let [g] = grams {
            return self.docs(*g);
        }
        // Several lists (voiced variants): marked in a bitmap and read back in order, which
        // costs a pass over each list rather than a sort of their concatenation.
        let mut marks = Bitmap::default();
        let mut n = 0usize;
        for &g in grams {
            for doc in self.coded(g) {
                n += usize::from(marks.set(doc));
            }
            if let Some(extra) = self.extra.get(&g) {
                for &doc in extra {
                    n += usize::from(marks.set(doc));
                }
            }
        }
        marks.into_sorted(n)
    }

    fn add_extra(&self, out: &mut Vec<u32>, grams: &[u64]) {
        let before = out.len();
        for g in grams {
            if let Some(extra) = self.extra.get(g) {
                out.extend_from_slice(extra);
            }
        }
        if out.len() > before {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Documents holding every group of `groups`, where a document holds a group when it holds
    /// any gram of it (a group is one gram, or the voiced variants of one). Ascending, no
    /// repeats. Reads the rarest groups first and stops intersecting once the candidates are
    /// few next to the next list (the caller checks every candidate anyway).
    pub fn intersect(&self, groups: &[Vec<u64>]) -> Vec<u32> {
        if groups.is_empty() {
            return Vec::new();
        }
        let mut sized: Vec<(usize, &Vec<u64>)> =
            groups.iter().map(|g| (g.iter().map(|&x| self.count(x)).sum(), g)).collect();
        sized.sort_by_key(|s| s.0);
        let mut cands = self.union(sized[0].1);
        let mut hit: Vec<bool> = Vec::new();
        for (size, group) in &sized[1..] {
            if cands.len() <= 8 || *size > cands.len() * 32 {
                break;
            }
            // Keep the candidates some list of the group names: each list is merged with the
            // (sorted) candidates and read only up to the last of them; none is materialised.
            hit.clear();
            hit.resize(cands.len(), false);
            for &g in group.iter() {
                mark_merged(&cands, self.coded(g), &mut hit);
                if let Some(extra) = self.extra.get(&g) {
                    for doc in extra {
                        if let Ok(i) = cands.binary_search(doc) {
                            hit[i] = true;
                        }
                    }
                }
            }
            let mut k = 0;
            cands.retain(|_| {
                k += 1;
                hit[k - 1]
            });
        }
        cands
    }

    /// Writes the frozen lists and their overflow to a snapshot.
    pub fn write_to(&self, w: &mut Writer) {
        w.u64s(&self.grams);
        w.u32s(&self.starts);
        w.u32s(&self.counts);
        w.bytes(&self.data);
        let mut extra: Vec<(&u64, &Vec<u32>)> = self.extra.iter().collect();
        extra.sort_unstable_by_key(|e| *e.0);
        w.len(extra.len());
        for (gram, docs) in extra {
            w.u64(*gram);
            w.u32s(docs);
        }
    }

    /// Reads what [`Postings::write_to`] wrote, checking that every list decodes and names
    /// only documents below `docs`.
    pub fn read_from(r: &mut Reader<'_>, docs: u32) -> Result<Postings, SnapshotError> {
        let grams = r.u64s()?;
        let starts = r.u32s()?;
        let counts = r.u32s()?;
        let data = r.bytes()?;
        let n = r.len(16)?;
        let mut extra = HashMap::with_capacity(n);
        for _ in 0..n {
            let gram = r.u64()?;
            let list = r.u32s()?;
            if list.iter().any(|&d| d >= docs) {
                return Err(SnapshotError::Damaged("posting overflow"));
            }
            extra.insert(gram, list);
        }
        if starts.len() != grams.len() + 1
            || counts.len() != grams.len()
            || grams.windows(2).any(|w| w[0] >= w[1])
            || starts.windows(2).any(|w| w[0] > w[1])
            || starts.first().is_some_and(|&s| s != 0)
            || starts.last().is_some_and(|&s| s as usize != data.len())
        {
            return Err(SnapshotError::Damaged("posting lists"));
        }
        let postings =
            Postings { grams, starts, counts, data, building: HashMap::new(), extra, frozen: true };
        for (i, &count) in postings.counts.iter().enumerate() {
            let list = &postings.data[postings.starts[i] as usize..postings.starts[i + 1] as usize];
            let mut seen = 0u32;
            let mut decoder = Decoder::new(list);
            for doc in &mut decoder {
                if doc >= docs {
                    return Err(SnapshotError::Damaged("posting list"));
                }
                seen += 1;
            }
            if seen != count {
                return Err(SnapshotError::Damaged("posting count"));
            }
        }
        Ok(postings)
    }

    /// Bytes held (capacities).
    pub fn bytes(&self) -> usize {
        self.grams.capacity() * 8
            + self.starts.capacity() * 4
            + self.counts.capacity() * 4
            + self.data.capacity()
            + self.extra.values().map(|v| 32 + v.capacity() * 4).sum::<usize>()
            + self.building.values().map(|v| 40 + v.2.capacity()).sum::<usize>()
    }
}

/// One bit per document, grown as documents are set.
#[derive(Default)]
struct Bitmap {
    words: Vec<u64>,
}

impl Bitmap {
    /// Sets `doc`'s bit; true when it was not set.
    fn set(&mut self, doc: u32) -> bool {
        let (w, b) = ((doc >> 6) as usize, doc & 63);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        let was = self.words[w] & (1 << b) != 0;
        self.words[w] |= 1 << b;
        !was
    }

    /// The set documents, ascending (`n` of them).
    fn into_sorted(self, n: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(n);
        for (i, &w) in self.words.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push((i as u32) << 6 | w.trailing_zeros());
                w &= w - 1;
            }
        }
        out
    }
}

/// Marks `hit[i]` for every candidate `cands[i]` (ascending) that `list` (ascending) holds;
/// stops reading the list past the last candidate.
fn mark_merged(cands: &[u32], list: impl Iterator<Item = u32>, hit: &mut [bool]) {
    let mut i = 0;
    for doc in list {
        while i < cands.len() && cands[i] < doc {
            i += 1;
        }
        match cands.get(i) {
            None => break,
            Some(&c) if c == doc => hit[i] = true,
            Some(_) => {}
        }
    }
}

fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads one coded list (the first entry is the document itself, the others deltas: both
/// add to the previous document, which starts at 0).
struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
    last: u32,
}

impl<'a> Decoder<'a> {
    fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { bytes, at: 0, last: 0 }
    }

    /// A varint of more than two bytes (a list ending inside one ends there).
    fn long_varint(&mut self) -> Option<u32> {
        let mut v = 0u32;
        let mut shift = 0u32;
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u32::from(b & 0x7F).checked_shl(shift).unwrap_or(0);
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
        }
    }
}

impl Iterator for Decoder<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        let b = *self.bytes.get(self.at)?;
        // Frequent grams have deltas under 128: one byte.
        let v = if b < 0x80 {
            self.at += 1;
            u32::from(b)
        } else if let Some(&b2) = self.bytes.get(self.at + 1)
            && b2 < 0x80
        {
            self.at += 2;
            u32::from(b & 0x7F) | u32::from(b2) << 7
        } else {
            self.long_varint()?
        };
        self.last = self.last.wrapping_add(v);
        Some(self.last)
    }
}

/// Gram of one character.
pub fn unigram(c: char) -> u64 {
    u64::from(u32::from(c))
}

/// Gram of two adjacent characters.
pub fn bigram(a: char, b: char) -> u64 {
    (u64::from(u32::from(a)) << 32) | u64::from(u32::from(b))
}

/// Gram of the character a key (or one of its alternatives) starts with.
pub fn start_gram(c: char) -> u64 {
    (1 << 62) | u64::from(u32::from(c))
}

/// Gram of four ASCII digits.
pub fn digits4(d: &[u8]) -> u64 {
    (2 << 61) | d.iter().take(4).fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_lists_round_trip_and_overflow_joins_them() {
        let mut p = Postings::default();
        for doc in [0u32, 5, 5, 130, 70_000, 4_000_000] {
            p.add(7, doc);
        }
        p.add(9, 5);
        p.freeze();
        assert_eq!(p.docs(7), vec![0, 5, 130, 70_000, 4_000_000]);
        assert_eq!(p.count(7), 5);
        p.add(9, 2);
        p.add(7, 3);
        assert_eq!(p.docs(9), vec![2, 5]);
        assert_eq!(p.union(&[7, 9]), vec![0, 2, 3, 5, 130, 70_000, 4_000_000]);
        // A superset of the intersection, within the rarest list (the caller checks each).
        let both = p.intersect(&[vec![7], vec![9]]);
        assert!(both.contains(&5) && both.iter().all(|d| p.docs(9).contains(d)), "{both:?}");
        assert!(p.docs(42).is_empty());
    }

    #[test]
    fn intersect_reads_groups_as_unions() {
        let mut p = Postings::default();
        for doc in 0..100u32 {
            p.add(1, doc);
            if doc % 2 == 0 {
                p.add(2, doc);
            }
            if doc % 3 == 0 {
                p.add(3, doc);
            }
        }
        p.freeze();
        let got = p.intersect(&[vec![1], vec![2, 3]]);
        let want: Vec<u32> = (0..100).filter(|d| d % 2 == 0 || d % 3 == 0).collect();
        assert_eq!(got, want);
    }

    proptest::proptest! {
        #[test]
        fn docs_are_what_was_added(mut docs in proptest::collection::vec(0u32..1_000_000, 0..200)) {
            docs.sort_unstable();
            let mut p = Postings::default();
            for &d in &docs {
                p.add(11, d);
            }
            p.freeze();
            docs.dedup();
            proptest::prop_assert_eq!(p.docs(11), docs);
        }
    }
}
