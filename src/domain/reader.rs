//! 顔認証付きカードリーダー申込: the reader application, its states and the rules for changing it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{InstitutionKind, Policy, RuleError};

/// Where an institution's reader application stands. `NotApplied` means no application exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    NotApplied,
    /// 機種未定
    Undecided,
    /// 機種選定済
    Selected,
    /// 発送済
    Shipped,
    /// キャンセル
    Cancelled,
}

impl ReaderStatus {
    /// The wire / database name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderStatus::NotApplied => "not_applied",
            ReaderStatus::Undecided => "undecided",
            ReaderStatus::Selected => "selected",
            ReaderStatus::Shipped => "shipped",
            ReaderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the wire / database name.
    pub fn parse(s: &str) -> Option<ReaderStatus> {
        [
            ReaderStatus::NotApplied,
            ReaderStatus::Undecided,
            ReaderStatus::Selected,
            ReaderStatus::Shipped,
            ReaderStatus::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// The label an operator reads (未申込, 機種未定, 機種選定済, 発送済, キャンセル).
    pub fn label_ja(self) -> &'static str {
        match self {
            ReaderStatus::NotApplied => "未申込",
            ReaderStatus::Undecided => "機種未定",
            ReaderStatus::Selected => "機種選定済",
            ReaderStatus::Shipped => "発送済",
            ReaderStatus::Cancelled => "キャンセル",
        }
    }
}

/// 機種: one product of the reader catalog. Only the two confirmed real products carry real
/// names; the rest are marked `sample` so nobody mistakes them for real model numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReaderModel {
    pub id: String,
    pub maker: String,
    pub name: String,
    pub sample: bool,
}

/// The reader application of one institution as stored. `version` increases by one on every
/// change and is the ETag of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReaderApplication {
    pub status: ReaderStatus,
    /// `None` while 機種未定 or not applied.
    pub model_id: Option<String>,
    pub units: u32,
    pub applied_on: Option<NaiveDate>,
    pub version: i64,
}

impl ReaderApplication {
    /// The state of an institution that never applied.
    pub fn not_applied() -> ReaderApplication {
        ReaderApplication {
            status: ReaderStatus::NotApplied,
            model_id: None,
            units: 0,
            applied_on: None,
            version: 0,
        }
    }
}

/// What an operator asks for on the caller's word: this model, this many units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderChange {
    pub model_id: String,
    pub units: u32,
}

/// Applies `change` to `current` under `policy` on business date `today` (Japan time), or
/// says which rule forbids it. Pure: the store calls it inside its write transaction.
pub fn apply_change(
    policy: &Policy,
    today: NaiveDate,
    kind: InstitutionKind,
    current: &ReaderApplication,
    change: &ReaderChange,
) -> Result<ReaderApplication, RuleError> {
    let _ = (policy, today, kind, current, change);
    Err(RuleError::Refused("未実装".into()))
}
