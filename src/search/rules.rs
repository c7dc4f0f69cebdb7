//! The fingerprint of this build's lookup rules, written into every index snapshot: a snapshot
//! keyed by another build's folding, reading, romaji or inference rules (or reading tables) is
//! stale even when the database has not changed, and is rebuilt rather than served.
//!
//! The format number catches a changed layout; this catches changed keys without anyone
//! remembering to bump it: it hashes the reading tables as shipped and the snapshot of a small
//! index built over fixed institutions that exercise every keying rule.

use std::sync::OnceLock;

use crate::domain::{Institution, InstitutionCode, InstitutionKind};

use super::institution_index::InstitutionIndex;
use super::reading;
use super::snapshot_codec::{SnapshotHeader, Writer, checksum};

/// Names that go through every keying rule: NFKC and width folding, variant kanji, legal
/// prefixes and corporation names, readings given and inferred (word table, on'yomi, Latin
/// letters, given names), Hepburn's bare `n`, long vowels, small kana, phone digits.
const PROBES: &[(&str, Option<&str>, Option<&str>)] = &[
    (
        "医療法人社団 さくら会 さくら内科クリニック",
        Some("イリョウホウジンシャダンサクラカイサクラナイカクリニック"),
        Some("03-1234-5678"),
    ),
    ("医療法人あおば会 青葉病院", Some("イリョウホウジンアオバカイアオバビョウイン"), None),
    ("ﾔｼﾞﾏ歯科医院", Some("ﾔｼﾞﾏｼｶｲｲﾝ"), Some("０４５（１２３）４５６７")),
    ("廣島中央病院", None, None),
    ("慶應義塾大学病院", None, None),
    ("呉芸南病院", None, None),
    ("杏園会病院", None, None),
    ("成仁病院", None, None),
    ("ＪＡ北海道厚生連 帯広厚生病院", None, Some("0155-24-4161")),
    ("NTT東日本関東病院", None, None),
    ("高田整形外科", None, None),
    ("調剤薬局ツルハドラッグ新宿店", Some("チョウザイヤッキョクツルハドラッグシンジュクテン"), None),
    ("こどもクリニック・ぴーす", Some("コドモクリニックピース"), None),
    ("しんいち小児科", Some("シンイチショウニカ"), None),
    ("愛生会記念病院", None, None),
    ("一派診療所", None, None),
    ("国立病院機構 東京医療センター", None, None),
    ("さっぽろ・ヴィラ歯科", Some("サッポロヴィラシカ"), Some("011-000-0000")),
];

/// This build's fingerprint (computed once; a few milliseconds).
pub fn fingerprint() -> u64 {
    static FINGERPRINT: OnceLock<u64> = OnceLock::new();
    *FINGERPRINT.get_or_init(|| fingerprint_of(&probes()))
}

/// The reading tables and the index of `institutions` as this build keys them, hashed.
fn fingerprint_of(institutions: &[Institution]) -> u64 {
    let mut bytes: Vec<u8> = Vec::new();
    for table in reading::tables() {
        bytes.extend_from_slice(&checksum(table.as_bytes()).to_le_bytes());
    }
    let index = InstitutionIndex::build(institutions);
    let mut w = Writer::default();
    index.write_to(&mut w);
    let header = SnapshotHeader { generation: String::new(), version: 0, count: 0, rules: 0 };
    let (_, payload) = w.into_parts(0, &header);
    bytes.extend_from_slice(&payload);
    checksum(&bytes)
}

fn probes() -> Vec<Institution> {
    PROBES
        .iter()
        .enumerate()
        .filter_map(|(i, &(name, kana, phone))| {
            Some(Institution {
                code: InstitutionCode::from_digits(&format!("13{:08}", i))?,
                name: name.to_string(),
                name_kana: kana.map(str::to_string),
                kana_inferred: false,
                kind: InstitutionKind::Hospital,
                prefecture: "東京都".to_string(),
                city: "千代田区".to_string(),
                postal_code: String::new(),
                address: String::new(),
                phone: phone.map(str::to_string),
                large_chain: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_stable_within_a_build() {
        assert_eq!(fingerprint_of(&probes()), fingerprint_of(&probes()));
        assert_eq!(fingerprint(), fingerprint_of(&probes()));
    }

    #[test]
    fn every_probe_is_indexed() {
        assert_eq!(probes().len(), PROBES.len());
    }

    #[test]
    fn other_keys_give_another_fingerprint() {
        // What a changed rule does: the same institutions keyed differently.
        let mut changed = probes();
        changed[0].name_kana = Some("サクラ".to_string());
        assert_ne!(fingerprint_of(&changed), fingerprint());
    }
}
