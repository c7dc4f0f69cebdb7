//! Conversions between domain values and the columns both schemas store them in (dates and
//! instants as text, counts as BIGINT, enums by their wire names).

use chrono::{DateTime, NaiveDate, Utc};

use crate::api::Role;
use crate::domain::ReaderStatus;
use crate::store::StoreError;

/// A stored value that does not read back: the database's fault, not the request's.
pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::internal(format!("stored {what}"))
}

pub(super) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn parse_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt(format!("date {s:?}: {e}")))
}

pub(super) fn parse_opt_date(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.as_deref().map(parse_date).transpose()
}

pub(super) fn parse_instant(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("instant {s:?}: {e}")))
}

pub(super) fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is too large to store")))
}

pub(super) fn to_u32(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(format!("count {n} is out of range")))
}

pub(super) fn to_u64(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(format!("amount {n} is negative")))
}

pub(super) fn status_from_text(s: &str) -> Result<ReaderStatus, StoreError> {
    ReaderStatus::parse(s).ok_or_else(|| corrupt(format!("reader status {s:?}")))
}

pub(super) fn role_from_text(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| corrupt(format!("role {s:?}")))
}
