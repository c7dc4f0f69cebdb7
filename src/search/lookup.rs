//! The lookup index the server answers `GET /v1/institutions` from: the institution index plus,
//! per document, what a result row shows beyond name, reading, code and place (which the index
//! keeps itself): the kind and the reader status of now. Also its snapshot file's payload.

use crate::api::{InstitutionSummary, MatchSpan};
use crate::domain::{Institution, InstitutionKind, InstitutionsVersion, ReaderStatus};

use super::institution_index::InstitutionIndex;
use super::snapshot_codec::{Reader, SnapshotError, SnapshotHeader, Writer};

/// What a lookup row shows beyond what the index keeps (one byte of kind, one of status), and
/// the version of the application that status is of (0 when read in bulk: unknown).
#[derive(Debug, Clone, Copy)]
struct Summary {
    kind: InstitutionKind,
    reader_status: ReaderStatus,
    version: u32,
}

/// The institution index plus, per document, the rest of the summary it answers with; kept
/// current after every change so a lookup shows the reader status of now.
pub struct LookupIndex {
    index: InstitutionIndex,
    rows: Vec<Summary>,
    /// The institution rows this index holds every change of (see [`InstitutionsVersion`]);
    /// `None` for an index not built from a store.
    pub built_from: Option<InstitutionsVersion>,
    /// True when this index was read from a snapshot file rather than built from rows.
    from_snapshot: bool,
}

/// The snapshot format this build writes and reads; a file of another is rebuilt.
const SNAPSHOT_FORMAT: u32 = 5;

const KINDS: [InstitutionKind; 4] = [
    InstitutionKind::Hospital,
    InstitutionKind::MedicalClinic,
    InstitutionKind::DentalClinic,
    InstitutionKind::Pharmacy,
];

impl LookupIndex {
    /// Builds the index from every institution with its reader status (consumed: the index
    /// keeps what it needs), numbering documents in [`super::index_order_key`] order.
    pub fn build(mut rows: Vec<(Institution, ReaderStatus)>) -> LookupIndex {
        rows.sort_by_cached_key(|(inst, _)| super::index_order_key(inst));
        let (institutions, statuses): (Vec<Institution>, Vec<ReaderStatus>) = rows.into_iter().unzip();
        let index = InstitutionIndex::build(&institutions);
        let rows = institutions
            .iter()
            .zip(statuses)
            .map(|(inst, reader_status)| Summary { kind: inst.kind, reader_status, version: 0 })
            .collect();
        LookupIndex { index, rows, built_from: None, from_snapshot: false }
    }

    /// Number of institutions.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no institution is indexed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// True when this index was read from the snapshot file beside the database.
    pub fn loaded_from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    /// What the search index holds in memory (bytes), for the startup log.
    pub fn index_bytes(&self) -> usize {
        self.index.memory().total + self.rows.capacity() * std::mem::size_of::<Summary>()
    }

    /// Adds or replaces one institution after an import or a reading correction.
    pub fn upsert(&mut self, inst: &Institution, reader_status: ReaderStatus) {
        let doc = self.index.upsert(inst) as usize;
        let summary = Summary { kind: inst.kind, reader_status, version: 0 };
        if doc < self.rows.len() {
            self.rows[doc] = summary;
        } else {
            self.rows.push(summary);
        }
    }

    /// True when this index shows the application of `code` as of `version` or later (a
    /// change it was told of, or nothing to show: an unknown code).
    pub fn holds_change(&self, code: &str, version: i64) -> bool {
        match self.index.doc_of_code(code).and_then(|doc| self.rows.get(doc as usize)) {
            Some(row) => i64::from(row.version) >= version,
            None => true,
        }
    }

    /// Records the reader status of `code` as of application `version` (after a change) so
    /// lookups show it; nothing when the index holds that version or a later one already.
    pub fn record_change(&mut self, code: &str, version: i64, status: ReaderStatus) {
        if let Some(doc) = self.index.doc_of_code(code)
            && let Some(row) = self.rows.get_mut(doc as usize)
            && i64::from(row.version) < version
        {
            row.reader_status = status;
            row.version = u32::try_from(version).unwrap_or(u32::MAX);
        }
    }

    /// Sets every reader status: `statuses` lists those other than 未申込.
    pub fn set_statuses(&mut self, statuses: &[(String, ReaderStatus)]) {
        for row in &mut self.rows {
            row.reader_status = ReaderStatus::NotApplied;
        }
        for (code, status) in statuses {
            if let Some(doc) = self.index.doc_of_code(code)
                && let Some(row) = self.rows.get_mut(doc as usize)
            {
                row.reader_status = *status;
            }
        }
    }

    /// The snapshot file of this index as (header, payload) (statuses are not in it: they
    /// change all day and are read from the store when the snapshot is loaded).
    pub fn snapshot_parts(&self, built_from: &InstitutionsVersion) -> (Vec<u8>, Vec<u8>) {
        let mut w = Writer::default();
        self.index.write_to(&mut w);
        w.len(self.rows.len());
        for row in &self.rows {
            w.u8(KINDS.iter().position(|k| *k == row.kind).unwrap_or(0) as u8);
        }
        let header = SnapshotHeader {
            generation: built_from.generation.clone(),
            version: built_from.version,
            count: self.rows.len() as u64,
            rules: super::rules::fingerprint(),
        };
        w.into_parts(SNAPSHOT_FORMAT, &header)
    }

    /// Reads a snapshot file: what it was built from (the caller checks it against the database
    /// and this build's rules), and the index with every status 未申込.
    pub fn from_snapshot(file: &[u8]) -> Result<(SnapshotHeader, LookupIndex), SnapshotError> {
        let (header, mut r) = Reader::open(file, SNAPSHOT_FORMAT)?;
        let index = InstitutionIndex::read_from(&mut r)?;
        let rows_n = r.len(1)?;
        if rows_n != index.len() || header.count != rows_n as u64 {
            return Err(SnapshotError::Damaged("row count"));
        }
        let mut rows = Vec::with_capacity(rows_n);
        for _ in 0..rows_n {
            let kind = *KINDS.get(r.u8()? as usize).ok_or(SnapshotError::Damaged("kind"))?;
            rows.push(Summary { kind, reader_status: ReaderStatus::NotApplied, version: 0 });
        }
        if !r.is_done() {
            return Err(SnapshotError::Damaged("trailing bytes"));
        }
        let built_from = Some(InstitutionsVersion {
            generation: header.generation.clone(),
            version: header.version,
            count: header.count,
        });
        Ok((header, LookupIndex { index, rows, built_from, from_snapshot: true }))
    }

    /// Ranked lookup results, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<InstitutionSummary> {
        self.index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let row = self.rows.get(hit.doc as usize)?;
                let (prefecture, city) = self.index.place(hit.doc)?;
                Some(InstitutionSummary {
                    code: self.index.code(hit.doc)?.to_string(),
                    name: self.index.name(hit.doc)?.to_string(),
                    name_kana: self.index.name_kana(hit.doc),
                    kind: row.kind,
                    prefecture: prefecture.to_string(),
                    city: city.to_string(),
                    reader_status: row.reader_status,
                    match_kind: hit.kind.as_str().to_string(),
                    score: hit.score,
                    highlights: hit
                        .highlights
                        .iter()
                        .map(|&(field, start, end)| MatchSpan { field: field.to_string(), start, end })
                        .collect(),
                })
            })
            .collect()
    }
}
