//! The index in a snapshot payload, and read back with every offset and document number
//! checked (a damaged file is refused, never searched).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::search::snapshot_codec::{Reader, SnapshotError, Writer};

use super::build::place_id_key;
use super::column::Column;
use super::{Doc, InstitutionIndex, Place};
use crate::search::postings::Postings;

impl InstitutionIndex {
    /// Writes everything a search needs to a snapshot payload (see [`InstitutionIndex::read_from`]).
    pub fn write_to(&self, w: &mut Writer) {
        w.len(self.docs.len());
        for d in &self.docs {
            w.u64(u64::from_le_bytes([
                d.code[0], d.code[1], d.code[2], d.code[3], d.code[4], d.code[5], d.code[6], d.code[7],
            ]));
            w.u8(d.code[8]);
            w.u8(d.code[9]);
            w.u32(u32::from(d.name_chars) | (u32::from(d.legal_start) << 16));
            w.u32(u32::from(d.facility_start));
            w.u32(d.place);
            w.u32(u32::from(d.reading_firsts[0]));
            w.u32(u32::from(d.reading_firsts[1]));
        }
        for column in [&self.names, &self.readings, &self.phones, &self.originals] {
            column.write_to(w);
        }
        w.len(self.places.len());
        for p in &self.places {
            w.str(&p.key);
            w.str(&p.prefecture);
            w.str(&p.city);
        }
        for postings in [&self.name_grams, &self.reading_grams, &self.phone_grams, &self.place_docs] {
            postings.write_to(w);
        }
        w.u32s(&self.by_code);
        w.u32s(&self.by_tail);
        w.bytes(&u16s_le(&self.code_chars));
        w.bytes(&u16s_le(&self.tail_chars));
        w.u32(self.ordered);
        w.u32s(&self.disordered);
    }

    /// Reads an index written by [`InstitutionIndex::write_to`], checking that every offset and
    /// document number it holds is in range (a damaged file is refused, never searched).
    pub fn read_from(r: &mut Reader<'_>) -> Result<InstitutionIndex, SnapshotError> {
        let n = r.len(30)?;
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            let head = r.u64()?.to_le_bytes();
            let mut code = [0u8; 10];
            code[..8].copy_from_slice(&head);
            code[8] = r.u8()?;
            code[9] = r.u8()?;
            let lengths = r.u32()?;
            let facility_start = r.u32()?;
            let place = r.u32()?;
            let first = |c: u32| u8::try_from(c).map_err(|_| SnapshotError::Damaged("reading start"));
            let reading_firsts = [first(r.u32()?)?, first(r.u32()?)?];
            docs.push(Doc {
                code,
                name_chars: (lengths & 0xFFFF) as u16,
                legal_start: (lengths >> 16) as u16,
                facility_start: facility_start.min(u32::from(u16::MAX)) as u16,
                place,
                reading_firsts,
            });
        }
        let names = Column::read_from(r, n)?;
        let readings = Column::read_from(r, n)?;
        let phones = Column::read_from(r, n)?;
        let originals = Column::read_from(r, n)?;
        let places_n = r.len(24)?;
        let mut places = Vec::with_capacity(places_n);
        for _ in 0..places_n {
            places.push(Place { key: r.string()?, prefecture: r.string()?, city: r.string()? });
        }
        if docs.iter().any(|d| d.place as usize >= places.len()) {
            return Err(SnapshotError::Damaged("places"));
        }
        let place_ids = places
            .iter()
            .enumerate()
            .map(|(i, p)| (place_id_key(&p.prefecture, &p.city), i as u32))
            .collect();
        let name_grams = Postings::read_from(r, n as u32)?;
        let reading_grams = Postings::read_from(r, n as u32)?;
        let phone_grams = Postings::read_from(r, n as u32)?;
        let place_docs = Postings::read_from(r, n as u32)?;
        let by_code = r.u32s()?;
        let by_tail = r.u32s()?;
        let code_chars = le_u16s(&r.bytes()?);
        let tail_chars = le_u16s(&r.bytes()?);
        let ordered = r.u32()?;
        let disordered = r.u32s()?;
        if ordered as usize > n
            || disordered.windows(2).any(|w| w[0] >= w[1])
            || disordered.last().is_some_and(|&d| d >= ordered)
        {
            return Err(SnapshotError::Damaged("document order"));
        }
        if by_code.len() != n
            || by_tail.len() != n
            || code_chars.len() != n
            || tail_chars.len() != n
            || by_code.iter().chain(&by_tail).any(|&d| d as usize >= n)
        {
            return Err(SnapshotError::Damaged("codes"));
        }
        Ok(InstitutionIndex {
            docs,
            names,
            readings,
            phones,
            originals,
            places,
            place_ids,
            name_grams,
            reading_grams,
            phone_grams,
            place_docs,
            by_code,
            by_tail,
            code_chars,
            tail_chars,
            ordered,
            disordered,
            recent: Mutex::new(VecDeque::new()),
        })
    }
}

/// `v` as little-endian bytes (the snapshot's form of a `u16` list).
fn u16s_le(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// [`u16s_le`] read back (an odd last byte is dropped, and then the length check fails).
fn le_u16s(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
}
