//! The byte format of the lookup index snapshot: little-endian numbers, length-prefixed
//! arrays, and a file header (magic, format version, what the data was built from, payload
//! length and checksum) so that a truncated, damaged, foreign or older file is refused with a
//! reason instead of being read. Pure code; the caller reads and writes the file.

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a lookup index snapshot")]
    NotASnapshot,
    #[error("snapshot format {found}, this build reads {expected}")]
    OldFormat { found: u32, expected: u32 },
    #[error("snapshot truncated or damaged ({0})")]
    Damaged(&'static str),
    #[error("snapshot keyed by other lookup rules (another build of madoguchi)")]
    OtherRules,
}

const MAGIC: &[u8; 8] = b"MADOIDX\0";

/// What a snapshot says it was built from, checked against the database before it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    pub generation: String,
    pub version: i64,
    pub count: u64,
    /// The lookup rules its keys were made by ([`super::rules::fingerprint`]).
    pub rules: u64,
}

/// Appends values to a snapshot payload.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.buf.extend_from_slice(b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        self.buf.reserve(v.len() * 4);
        for &x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    pub fn u64s(&mut self, v: &[u64]) {
        self.len(v.len());
        self.buf.reserve(v.len() * 8);
        for &x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }

    /// The whole file: header, then the payload.
    pub fn finish(self, format: u32, header: &SnapshotHeader) -> Vec<u8> {
        let (mut out, payload) = self.into_parts(format, header);
        out.extend_from_slice(&payload);
        out
    }

    /// The file as its header and its payload (written one after the other, without copying
    /// the payload once more).
    pub fn into_parts(self, format: u32, header: &SnapshotHeader) -> (Vec<u8>, Vec<u8>) {
        let mut head = Writer::default();
        head.buf.extend_from_slice(MAGIC);
        head.u32(format);
        head.str(&header.generation);
        head.u64(header.version as u64);
        head.u64(header.count);
        head.u64(header.rules);
        head.u64(self.buf.len() as u64);
        head.u64(checksum(&self.buf));
        (head.buf, self.buf)
    }
}

/// Reads values back, refusing to read past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the header of a whole file: its header and a reader over its payload.
    pub fn open(file: &'a [u8], format: u32) -> Result<(SnapshotHeader, Reader<'a>), SnapshotError> {
        if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        let mut r = Reader { bytes: &file[MAGIC.len()..] };
        let found = r.u32()?;
        if found != format {
            return Err(SnapshotError::OldFormat { found, expected: format });
        }
        let generation = r.string()?;
        let version = r.u64()? as i64;
        let count = r.u64()?;
        let rules = r.u64()?;
        let len = r.u64()?;
        let sum = r.u64()?;
        if r.bytes.len() as u64 != len {
            return Err(SnapshotError::Damaged("length"));
        }
        if checksum(r.bytes) != sum {
            return Err(SnapshotError::Damaged("checksum"));
        }
        Ok((SnapshotHeader { generation, version, count, rules }, r))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.bytes.len() {
            return Err(SnapshotError::Damaged("short"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, SnapshotError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self) -> Result<u64, SnapshotError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length, refused when more than `unit`-byte items could fit in what is left.
    pub fn len(&mut self, unit: usize) -> Result<usize, SnapshotError> {
        let n = self.u64()?;
        if n.saturating_mul(unit.max(1) as u64) > self.bytes.len() as u64 {
            return Err(SnapshotError::Damaged("length"));
        }
        Ok(n as usize)
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, SnapshotError> {
        let n = self.len(1)?;
        Ok(self.take(n)?.to_vec())
    }

    pub fn string(&mut self) -> Result<String, SnapshotError> {
        String::from_utf8(self.bytes()?).map_err(|_| SnapshotError::Damaged("text"))
    }

    pub fn u32s(&mut self) -> Result<Vec<u32>, SnapshotError> {
        let n = self.len(4)?;
        let b = self.take(n * 4)?;
        Ok(b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    pub fn u64s(&mut self) -> Result<Vec<u64>, SnapshotError> {
        let n = self.len(8)?;
        let b = self.take(n * 8)?;
        Ok(b.chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect())
    }

    /// True when every byte was read.
    pub fn is_done(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// A fast 64-bit checksum (not cryptographic: it catches damage, not forgery).
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = bytes.len() as u64 ^ K;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(a)).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(23) ^ u64::from(b)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SnapshotHeader {
        SnapshotHeader { generation: "abc".into(), version: 42, count: 7, rules: 9 }
    }

    fn file() -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(3);
        w.u32s(&[1, 2, 3]);
        w.u64s(&[u64::MAX]);
        w.str("病院");
        w.finish(5, &header())
    }

    #[test]
    fn round_trips() {
        let f = file();
        let (h, mut r) = Reader::open(&f, 5).expect("valid");
        assert_eq!(h, header());
        assert_eq!(r.u8(), Ok(3));
        assert_eq!(r.u32s(), Ok(vec![1, 2, 3]));
        assert_eq!(r.u64s(), Ok(vec![u64::MAX]));
        assert_eq!(r.string(), Ok("病院".to_string()));
        assert!(r.is_done());
        assert_eq!(r.u32(), Err(SnapshotError::Damaged("short")));
    }

    #[test]
    fn refuses_truncated_damaged_foreign_and_old_files() {
        let f = file();
        assert_eq!(Reader::open(&f, 6).err(), Some(SnapshotError::OldFormat { found: 5, expected: 6 }));
        assert_eq!(Reader::open(b"garbage!garbage", 5).err(), Some(SnapshotError::NotASnapshot));
        assert_eq!(Reader::open(&[], 5).err(), Some(SnapshotError::NotASnapshot));
        for cut in [9, 20, f.len() - 1] {
            assert!(Reader::open(&f[..cut], 5).is_err(), "cut at {cut}");
        }
        let mut flipped = f.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 0x40;
        assert_eq!(Reader::open(&flipped, 5).err(), Some(SnapshotError::Damaged("checksum")));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut with_magic = MAGIC.to_vec();
            with_magic.extend_from_slice(&bytes);
            for f in [&bytes, &with_magic] {
                if let Ok((_, mut r)) = Reader::open(f, 5) {
                    let _ = r.u32s();
                    let _ = r.string();
                }
            }
        }
    }
}
