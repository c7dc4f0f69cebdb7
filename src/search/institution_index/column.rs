//! The key columns: one kind of key (folded names, reading keys, phone digits, originals) for
//! every document in one byte buffer.

use memchr::memmem;

use crate::search::snapshot_codec::{Reader, SnapshotError, Writer};

/// Ends every document's segment in a column; never produced by `fold` (controls are dropped).
pub(super) const SEG_END: u8 = 0x00;
/// Separates several readings of one document inside its segment.
pub(super) const ALT_SEP: u8 = 0x01;

/// One kind of key for every document, in one buffer (a re-keyed document's new key is
/// appended; the old bytes stay until the next snapshot or build compacts them).
#[derive(Default)]
pub(super) struct Column {
    buf: Vec<u8>,
    /// Document → start of its live segment (which runs to the next `SEG_END`).
    slot: Vec<u32>,
}

impl Column {
    pub(super) fn set(&mut self, doc: u32, key: &[u8]) {
        let d = doc as usize;
        if d >= self.slot.len() {
            self.slot.resize(d + 1, 0);
        }
        let start = self.buf.len() as u32;
        self.buf.extend_from_slice(key);
        self.buf.push(SEG_END);
        self.slot[d] = start;
    }

    pub(super) fn key(&self, doc: u32) -> &[u8] {
        let s = self.slot[doc as usize] as usize;
        let rest = &self.buf[s..];
        &rest[..memchr::memchr(SEG_END, rest).unwrap_or(rest.len())]
    }

    /// Calls `f(doc, position in the doc's key, key)` for every occurrence of `finder`,
    /// over every document or only over `cands`.
    pub(super) fn scan(
        &self,
        finder: &memmem::Finder<'_>,
        cands: Option<&[u32]>,
        mut f: impl FnMut(u32, usize, &[u8]),
    ) {
        let mut visit = |doc: u32| {
            let key = self.key(doc);
            for pos in finder.find_iter(key) {
                f(doc, pos, key);
            }
        };
        match cands {
            Some(cands) => cands.iter().for_each(|&d| visit(d)),
            None => (0..self.slot.len() as u32).for_each(visit),
        }
    }

    pub(super) fn bytes(&self) -> usize {
        self.buf.capacity() + self.slot.capacity() * 4
    }

    /// Gives back what growing the buffers left unused (a build appends key after key).
    pub(super) fn shrink(&mut self) {
        self.buf.shrink_to_fit();
        self.slot.shrink_to_fit();
    }

    /// Writes the live segments only, in document order (a re-keyed document's old segment is
    /// dropped).
    pub(super) fn write_to(&self, w: &mut Writer) {
        let mut buf = Vec::with_capacity(self.buf.len());
        let mut slot = Vec::with_capacity(self.slot.len());
        for doc in 0..self.slot.len() as u32 {
            slot.push(buf.len() as u32);
            buf.extend_from_slice(self.key(doc));
            buf.push(SEG_END);
        }
        w.bytes(&buf);
        w.u32s(&slot);
    }

    /// Reads what [`Column::write_to`] wrote for `docs` documents.
    pub(super) fn read_from(r: &mut Reader<'_>, docs: usize) -> Result<Column, SnapshotError> {
        let buf = r.bytes()?;
        let slot = r.u32s()?;
        if slot.len() != docs
            || slot.windows(2).any(|w| w[0] >= w[1])
            || slot.last().is_some_and(|&s| s as usize >= buf.len())
            || buf.last().is_some_and(|&b| b != SEG_END)
        {
            return Err(SnapshotError::Damaged("keys"));
        }
        Ok(Column { buf, slot })
    }
}
