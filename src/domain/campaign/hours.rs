//! 架電可能時間: when a call may be made — inside the centre's hours AND the institution's usual
//! hours (by kind, from the policy), never on a day the institutions are closed. Pure: every
//! instant is a parameter; all hours are Japan time (UTC+9, no daylight saving).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::InstitutionKind;

/// Days ahead [`CallableHours::next_window_opens`] looks before it gives up (a policy with no
/// hours at all has no window).
const SEARCH_DAYS: u64 = 21;

/// The end of the day, written `24:00` (a centre open around the clock: `"00:00-24:00"`).
/// `NaiveTime` has no 24:00; the last nanosecond of the day stands for it.
fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap_or(NaiveTime::MIN)
}

/// One span of a day, `start..end` in Japan time, written `"08:00-18:00"` in the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    /// First instant of the span.
    pub start: NaiveTime,
    /// End of the span (exclusive; `24:00` is the last nanosecond of the day).
    pub end: NaiveTime,
}

impl TryFrom<String> for TimeRange {
    type Error = String;

    fn try_from(s: String) -> Result<TimeRange, String> {
        let bad = || format!("「{s}」は時間帯ではありません（例: \"09:00-12:00\"）");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let parse = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let end = if b.trim() == "24:00" { end_of_day() } else { parse(b)? };
        let start = parse(a)?;
        if end <= start {
            return Err(format!("「{s}」は終わりが始まり以前です"));
        }
        Ok(TimeRange { start, end })
    }
}

impl From<TimeRange> for String {
    fn from(r: TimeRange) -> String {
        let end = if r.end == end_of_day() { "24:00".to_string() } else { r.end.format("%H:%M").to_string() };
        format!("{}-{end}", r.start.format("%H:%M"))
    }
}

/// Hours of one week: weekdays (Mon–Fri), Saturday, Sunday; each a list of spans (a lunch
/// break is the gap between two spans). An empty list is a closed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    /// The institution kinds these hours are for (none for the centre's own hours).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<InstitutionKind>,
    #[serde(default)]
    /// Monday to Friday.
    pub weekdays: Vec<TimeRange>,
    #[serde(default)]
    /// Saturdays.
    pub saturday: Vec<TimeRange>,
    #[serde(default)]
    /// Sundays.
    pub sunday: Vec<TimeRange>,
}

impl WeekHours {
    /// The spans of `day`'s weekday.
    pub fn on(&self, day: Weekday) -> &[TimeRange] {
        match day {
            Weekday::Sat => &self.saturday,
            Weekday::Sun => &self.sunday,
            _ => &self.weekdays,
        }
    }
}

/// When one institution may be called: the centre's hours intersected with the institution's
/// usual hours, minus the days institutions are closed (national holidays in the policy).
#[derive(Debug, Clone, Copy)]
pub struct CallableHours<'p> {
    /// The centre's own hours.
    pub centre: &'p WeekHours,
    /// The institution's usual hours (by kind).
    pub institution: &'p WeekHours,
    /// Days institutions are closed (national holidays).
    pub closed_days: &'p [NaiveDate],
}

use crate::domain::jst::{instant as utc, local as jst};

impl CallableHours<'_> {
    /// The callable spans of one day (Japan time), in order: every overlap of a centre span
    /// with an institution span.
    pub fn spans(&self, day: NaiveDate) -> Vec<TimeRange> {
        if self.closed_days.contains(&day) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for c in self.centre.on(day.weekday()) {
            for i in self.institution.on(day.weekday()) {
                let (start, end) = (c.start.max(i.start), c.end.min(i.end));
                if start < end {
                    out.push(TimeRange { start, end });
                }
            }
        }
        out.sort_by_key(|r| r.start);
        out
    }

    /// Whether a call may be made at `at`.
    pub fn is_callable_at(&self, at: DateTime<Utc>) -> bool {
        let local = jst(at);
        let time = local.time();
        self.spans(local.date()).iter().any(|r| r.start <= time && time < r.end)
    }

    /// The first instant at or after `at` when a call may be made (`at` itself when callable
    /// now); `None` when no window opens within three weeks (a policy with no hours).
    pub fn next_window_opens(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = jst(at);
        let mut day = local.date();
        for _ in 0..SEARCH_DAYS {
            for r in self.spans(day) {
                let start = day.and_time(r.start);
                let end = day.and_time(r.end);
                if local < end {
                    return Some(utc(start.max(local)));
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(list: &[&str]) -> Vec<TimeRange> {
        list.iter().map(|s| TimeRange::try_from(s.to_string()).unwrap()).collect()
    }

    fn centre() -> WeekHours {
        WeekHours {
            kinds: vec![],
            weekdays: spans(&["08:00-18:00"]),
            saturday: spans(&["08:00-16:00"]),
            sunday: vec![],
        }
    }

    fn clinic() -> WeekHours {
        WeekHours {
            kinds: vec![InstitutionKind::MedicalClinic],
            weekdays: spans(&["09:00-12:00", "14:00-18:00"]),
            saturday: spans(&["09:00-12:00"]),
            sunday: vec![],
        }
    }

    /// Japan time → UTC.
    fn at(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        utc(NaiveDate::from_ymd_opt(2021, m, d).unwrap().and_hms_opt(h, min, 0).unwrap())
    }

    #[test]
    fn ranges_parse_and_print() {
        let r = TimeRange::try_from("9:00-12:30".to_string()).unwrap();
        assert_eq!(String::from(r), "09:00-12:30");
        assert!(TimeRange::try_from("12:00-09:00".to_string()).is_err());
        assert!(TimeRange::try_from("noon".to_string()).unwrap_err().contains("例"));
        // Around the clock: 24:00 ends the day, and prints back as written.
        let all_day = TimeRange::try_from("00:00-24:00".to_string()).unwrap();
        assert_eq!(String::from(all_day), "00:00-24:00");
        let w = WeekHours { kinds: vec![], weekdays: vec![all_day], saturday: vec![], sunday: vec![] };
        let h = CallableHours { centre: &w, institution: &w, closed_days: &[] };
        assert!(h.is_callable_at(at(7, 12, 0, 0)) && h.is_callable_at(at(7, 12, 23, 59)));
        assert!(TimeRange::try_from("24:00-24:00".to_string()).is_err());
    }

    #[test]
    fn a_clinic_is_callable_in_its_hours_and_the_centres() {
        let (c, i) = (centre(), clinic());
        let h = CallableHours { centre: &c, institution: &i, closed_days: &[] };
        // 2021-07-12 is a Monday.
        assert!(!h.is_callable_at(at(7, 12, 8, 30)), "centre open, clinic not yet");
        assert!(h.is_callable_at(at(7, 12, 9, 0)));
        assert!(!h.is_callable_at(at(7, 12, 12, 30)), "lunch");
        assert!(h.is_callable_at(at(7, 12, 17, 59)));
        assert!(!h.is_callable_at(at(7, 12, 18, 0)));
        // Saturday morning only; Sunday closed.
        assert!(h.is_callable_at(at(7, 17, 11, 0)));
        assert!(!h.is_callable_at(at(7, 17, 13, 0)));
        assert!(!h.is_callable_at(at(7, 18, 10, 0)));
    }

    #[test]
    fn the_next_window_skips_lunch_nights_sundays_and_holidays() {
        let (c, i) = (centre(), clinic());
        let h = CallableHours { centre: &c, institution: &i, closed_days: &[] };
        assert_eq!(h.next_window_opens(at(7, 12, 10, 0)), Some(at(7, 12, 10, 0)), "open now");
        assert_eq!(h.next_window_opens(at(7, 12, 12, 10)), Some(at(7, 12, 14, 0)));
        assert_eq!(h.next_window_opens(at(7, 12, 19, 0)), Some(at(7, 13, 9, 0)));
        // Saturday afternoon → Monday 9:00.
        assert_eq!(h.next_window_opens(at(7, 17, 12, 0)), Some(at(7, 19, 9, 0)));
        // 7/22–23 (海の日, スポーツの日 in 2021) closed: Wednesday evening → Saturday.
        let holidays =
            [NaiveDate::from_ymd_opt(2021, 7, 22).unwrap(), NaiveDate::from_ymd_opt(2021, 7, 23).unwrap()];
        let h = CallableHours { centre: &c, institution: &i, closed_days: &holidays };
        assert_eq!(h.next_window_opens(at(7, 21, 18, 30)), Some(at(7, 24, 9, 0)));
        // Instants are UTC whatever the machine: 9:00 JST is 0:00 UTC.
        assert_eq!(at(7, 24, 9, 0).to_rfc3339(), "2021-07-24T00:00:00+00:00");
    }

    #[test]
    fn no_hours_no_window() {
        let c = centre();
        let none = WeekHours { kinds: vec![], weekdays: vec![], saturday: vec![], sunday: vec![] };
        let h = CallableHours { centre: &c, institution: &none, closed_days: &[] };
        assert_eq!(h.next_window_opens(at(7, 12, 10, 0)), None);
    }
}
