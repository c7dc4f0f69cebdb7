//! The call report's period as the dashboard moves it: a day, the seven days ending on a day,
//! or a calendar month, stepped back and forth by its own length. Pure date arithmetic.

use chrono::{Datelike, Duration, Months, NaiveDate};

/// How long a report period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportSpan {
    #[default]
    Day,
    /// Seven days ending on the anchor day.
    Week,
    /// The calendar month of the anchor day.
    Month,
}

impl ReportSpan {
    /// The next span of the cycle day → week → month → day.
    pub fn next(self) -> ReportSpan {
        match self {
            ReportSpan::Day => ReportSpan::Week,
            ReportSpan::Week => ReportSpan::Month,
            ReportSpan::Month => ReportSpan::Day,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportSpan::Day => "日",
            ReportSpan::Week => "週",
            ReportSpan::Month => "月",
        }
    }

    /// The period (first and last day, inclusive) this span makes around `anchor`.
    pub fn range(self, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            ReportSpan::Day => (anchor, anchor),
            ReportSpan::Week => (anchor - Duration::days(6), anchor),
            ReportSpan::Month => {
                let first = anchor.with_day(1).unwrap_or(anchor);
                let last = first
                    .checked_add_months(Months::new(1))
                    .map(|next| next - Duration::days(1))
                    .unwrap_or(anchor);
                (first, last)
            }
        }
    }

    /// The anchor of the period `steps` periods later (earlier when negative).
    pub fn step(self, anchor: NaiveDate, steps: i32) -> NaiveDate {
        match self {
            ReportSpan::Day => anchor + Duration::days(i64::from(steps)),
            ReportSpan::Week => anchor + Duration::days(7 * i64::from(steps)),
            ReportSpan::Month => {
                let first = anchor.with_day(1).unwrap_or(anchor);
                let months = Months::new(steps.unsigned_abs());
                let moved = if steps >= 0 {
                    first.checked_add_months(months)
                } else {
                    first.checked_sub_months(months)
                };
                moved.unwrap_or(first)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn ranges_of_each_span() {
        assert_eq!(ReportSpan::Day.range(d(2021, 7, 15)), (d(2021, 7, 15), d(2021, 7, 15)));
        assert_eq!(ReportSpan::Week.range(d(2021, 7, 15)), (d(2021, 7, 9), d(2021, 7, 15)));
        assert_eq!(ReportSpan::Month.range(d(2021, 7, 15)), (d(2021, 7, 1), d(2021, 7, 31)));
        assert_eq!(ReportSpan::Month.range(d(2020, 2, 10)), (d(2020, 2, 1), d(2020, 2, 29)));
        assert_eq!(ReportSpan::Month.range(d(2021, 12, 31)), (d(2021, 12, 1), d(2021, 12, 31)));
    }

    #[test]
    fn steps_move_by_the_span() {
        assert_eq!(ReportSpan::Day.step(d(2021, 7, 1), -1), d(2021, 6, 30));
        assert_eq!(ReportSpan::Week.step(d(2021, 7, 15), 1), d(2021, 7, 22));
        assert_eq!(ReportSpan::Month.step(d(2021, 3, 31), -1), d(2021, 2, 1));
        assert_eq!(ReportSpan::Month.step(d(2021, 12, 5), 1), d(2022, 1, 1));
        assert_eq!(ReportSpan::Day.next().next().next(), ReportSpan::Day);
    }
}
