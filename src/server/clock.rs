//! The server's clock: the business date and every "now" the server writes (audit times,
//! 受付番号, calls), so that a demo runs on its date and a test at its instant.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};

pub use crate::domain::jst::JST;

/// Where "today" and "now" come from: the real clock in Japan time, a fixed `--as-of` date
/// (demos) at the real time of day, or one fixed instant (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// A fixed business date (`--as-of`) at the real time of day.
    Fixed(NaiveDate),
    /// The real clock, in Japan time.
    Real,
    /// Always this instant.
    At(DateTime<Utc>),
}

impl Clock {
    /// Today's business date in Japan.
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::Fixed(d) => *d,
            Clock::Real => Utc::now().with_timezone(&JST).date_naive(),
            Clock::At(t) => t.with_timezone(&JST).date_naive(),
        }
    }

    /// Now; with a fixed date, that date at the real Japan time of day, so that what is
    /// recorded during a demo falls on the demo's business date.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Real => Utc::now(),
            Clock::Fixed(d) => {
                let time = Utc::now().with_timezone(&JST).time();
                jst_to_utc(*d, time)
            }
            Clock::At(t) => *t,
        }
    }

    /// The real instant, whatever the business date: for what happens on the day it happens,
    /// demo or not (tokens issued and revoked, SSH keys added and removed: the security
    /// trail). Only a test's fixed instant ([`Clock::At`]) stands in for it.
    pub fn wall(&self) -> DateTime<Utc> {
        match self {
            Clock::At(t) => *t,
            Clock::Real | Clock::Fixed(_) => Utc::now(),
        }
    }

    /// The first instant of today's business date, in UTC.
    pub fn start_of_today(&self) -> DateTime<Utc> {
        jst_to_utc(self.today(), NaiveTime::MIN)
    }

    /// Today's business date as instants: `start..end`, in UTC.
    pub fn today_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = self.today();
        let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
        (jst_to_utc(today, NaiveTime::MIN), jst_to_utc(tomorrow, NaiveTime::MIN))
    }

    /// True unless the clock is the real one (the status bar says デモ日付).
    pub fn is_fixed(&self) -> bool {
        !matches!(self, Clock::Real)
    }
}

fn jst_to_utc(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    match JST.from_local_datetime(&date.and_time(time)).single() {
        Some(t) => t.with_timezone(&Utc),
        None => Utc::now(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_day_starts_at_jst_midnight() {
        let d = NaiveDate::from_ymd_opt(2021, 7, 15).expect("date");
        let c = Clock::Fixed(d);
        assert_eq!(c.today(), d);
        assert_eq!(c.start_of_today().to_rfc3339(), "2021-07-14T15:00:00+00:00");
        assert_eq!(c.now().with_timezone(&JST).date_naive(), d);
        let (start, end) = c.today_range();
        assert_eq!(
            (start.to_rfc3339(), end.to_rfc3339()),
            ("2021-07-14T15:00:00+00:00".to_string(), "2021-07-15T15:00:00+00:00".to_string())
        );
    }

    #[test]
    fn an_instant_clock_is_that_instant_and_its_japan_date() {
        let t = Utc.with_ymd_and_hms(2021, 8, 1, 16, 30, 0).single().expect("instant");
        let c = Clock::At(t);
        assert_eq!((c.now(), c.today()), (t, NaiveDate::from_ymd_opt(2021, 8, 2).expect("date")));
        assert!(c.is_fixed());
    }
}
