//! The hash chain of the audit log and the 受付番号 format: pure functions shared by both
//! backends, so a chain written by one verifies the same way everywhere.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one audit event exactly as stored (text columns), which is what the hash
/// covers: recomputing it from the stored row needs no re-serialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedFields<'a> {
    /// Position in the chain (1 for the first event).
    pub seq: i64,
    /// When it happened, as stored (RFC 3339 UTC text).
    pub at: &'a str,
    /// Operator who did it.
    pub operator: &'a str,
    /// What was done (`reader_application.change`, ...).
    pub action: &'a str,
    /// The institution it concerns, if any.
    pub code: Option<&'a str>,
    /// 受付番号 of the change, if it made one.
    pub receipt_no: Option<&'a str>,
    /// The `detail` column: JSON text.
    pub detail: &'a str,
}

/// SHA-256 hex over `prev_hash` and the event's fields. The fields are framed as one JSON
/// array, so no choice of text in one field can imitate another field's boundary.
pub fn event_hash(prev_hash: &str, fields: &ChainedFields<'_>) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        fields.seq,
        fields.at,
        fields.operator,
        fields.action,
        fields.code,
        fields.receipt_no,
        fields.detail,
    ]);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// How an instant is stored: RFC 3339 UTC with microseconds, so text order is time order.
pub fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// 受付番号: `R-YYMMDD-NNNNNN`, the Japan-time date of the change and the audit sequence
/// number of its event, zero-padded to six digits (more digits once past 999,999). Unique
/// because the sequence is; short enough to read aloud over the phone
/// (「アール、にーいちまるななーいちご、…」).
pub fn receipt_no(at: DateTime<Utc>, seq: i64) -> String {
    let date = at.with_timezone(&crate::domain::jst::JST).format("%y%m%d");
    format!("R-{date}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fields(detail: &str) -> ChainedFields<'_> {
        ChainedFields {
            seq: 1,
            at: "2021-07-15T01:00:00.000000Z",
            operator: "sato",
            action: "reader_application.change",
            code: Some("1311234567"),
            receipt_no: Some("R-210715-000001"),
            detail,
        }
    }

    #[test]
    fn hash_is_hex_sha256_and_depends_on_every_field() {
        let base = event_hash(GENESIS_HASH, &fields("{}"));
        assert_eq!(base.len(), 64);
        assert!(base.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(base, event_hash(GENESIS_HASH, &fields("{}")));
        assert_ne!(base, event_hash(&"1".repeat(64), &fields("{}")));
        assert_ne!(base, event_hash(GENESIS_HASH, &fields("{\"a\":1}")));
        let mut other = fields("{}");
        other.code = None;
        assert_ne!(base, event_hash(GENESIS_HASH, &other));
        let mut other = fields("{}");
        other.seq = 2;
        assert_ne!(base, event_hash(GENESIS_HASH, &other));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = fields("{}");
        a.operator = "sa";
        a.action = "toreader";
        let mut b = fields("{}");
        b.operator = "sato";
        b.action = "reader";
        assert_ne!(event_hash(GENESIS_HASH, &a), event_hash(GENESIS_HASH, &b));
    }

    #[test]
    fn receipt_uses_the_japan_date() {
        // 2021-07-14 16:00 UTC is already 2021-07-15 01:00 in Japan.
        let at = Utc.with_ymd_and_hms(2021, 7, 14, 16, 0, 0).single().expect("valid instant");
        assert_eq!(receipt_no(at, 123), "R-210715-000123");
        assert_eq!(receipt_no(at, 1_234_567), "R-210715-1234567");
    }

    #[test]
    fn instants_sort_as_text() {
        let a = Utc.with_ymd_and_hms(2021, 7, 14, 9, 0, 0).single().expect("valid instant");
        let b = a + chrono::Duration::microseconds(1);
        assert!(instant_text(a) < instant_text(b));
        assert_eq!(instant_text(a), "2021-07-14T09:00:00.000000Z");
    }
}
