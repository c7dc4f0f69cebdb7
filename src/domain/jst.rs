//! Japan time: every business date, deadline and hour the rules speak of is a Japan one,
//! whatever the server's own time zone. The one place its offset is written.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// Japan Standard Time: UTC+9, no daylight saving.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// The Japan wall-clock time at instant `t`.
pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&JST).naive_local()
}

/// The instant of a Japan wall-clock time.
pub fn instant(local: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(local - JST))
}
