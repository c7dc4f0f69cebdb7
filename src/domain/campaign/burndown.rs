//! The burn-down: members left at the end of each day from the campaign's start to the
//! deadline, the pace of the last days, and the day that pace reaches zero — the supervisor's
//! one question, "is the list empty before 8/1?".

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Members left at the end of one day (Japan date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BurnDownDay {
    /// The Japan date.
    pub day: NaiveDate,
    /// Members joined and not yet finished by the end of it.
    pub left: u64,
}

/// The burn-down up to today, and where the pace leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BurnDown {
    /// From the campaign's first day to today (inclusive).
    pub days: Vec<BurnDownDay>,
    /// Members finished per day, averaged over the last `pace_days` days up to today.
    pub pace_per_day: f64,
    /// Days the pace is averaged over.
    pub pace_days: u32,
    /// The day the pace reaches zero (today when nothing is left); none when nothing moves.
    pub projected_zero: Option<NaiveDate>,
    /// The day the campaign must be done by (the selection deadline).
    pub deadline: NaiveDate,
    /// True when the projected day is on or before the deadline.
    pub on_track: bool,
}

/// The burn-down from `start` to `today`: `added` holds the day each member joined, `done`
/// the day each finished member finished (in any order). The pace is the members finished in
/// the `pace_days` days ending today, per day.
pub fn burn_down(
    start: NaiveDate,
    today: NaiveDate,
    deadline: NaiveDate,
    pace_days: u32,
    added: &[NaiveDate],
    done: &[NaiveDate],
) -> BurnDown {
    let end = today.max(start);
    let span = (end - start).num_days().max(0) as usize + 1;
    let index = |d: NaiveDate| ((d - start).num_days().max(0) as usize).min(span - 1);
    let (mut joined, mut finished) = (vec![0u64; span], vec![0u64; span]);
    for d in added {
        joined[index(*d)] += 1;
    }
    for d in done.iter().filter(|d| **d <= end) {
        finished[index(*d)] += 1;
    }
    let mut left = 0i64;
    let days = (0..span)
        .map(|i| {
            left += joined[i] as i64 - finished[i] as i64;
            BurnDownDay { day: start + Duration::days(i as i64), left: left.max(0) as u64 }
        })
        .collect::<Vec<_>>();
    let pace_days = pace_days.max(1);
    let recent: u64 = finished.iter().rev().take(pace_days as usize).sum();
    let pace_per_day = recent as f64 / f64::from(pace_days);
    let left_now = days.last().map_or(0, |d| d.left);
    let projected_zero = if left_now == 0 {
        Some(end)
    } else if pace_per_day > 0.0 {
        Some(end + Duration::days((left_now as f64 / pace_per_day).ceil() as i64))
    } else {
        None
    };
    BurnDown {
        days,
        pace_per_day,
        pace_days,
        projected_zero,
        deadline,
        on_track: projected_zero.is_some_and(|z| z <= deadline),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, m, day).unwrap()
    }

    #[test]
    fn left_per_day_pace_and_projection() {
        let added = vec![d(7, 1); 100];
        // 10 a day on 7/1..=7/10.
        let done: Vec<_> = (1..=10).flat_map(|day| vec![d(7, day); 10]).collect();
        let b = burn_down(d(7, 1), d(7, 10), d(8, 1), 5, &added, &done);
        assert_eq!(b.days.len(), 10);
        assert_eq!(b.days[0], BurnDownDay { day: d(7, 1), left: 90 });
        assert_eq!(b.days[9].left, 0);
        assert_eq!(b.projected_zero, Some(d(7, 10)));
        assert!(b.on_track);
        let b = burn_down(d(7, 1), d(7, 5), d(8, 1), 5, &added, &done);
        assert_eq!(b.days.last().unwrap().left, 50);
        assert!((b.pace_per_day - 10.0).abs() < 1e-9);
        assert_eq!(b.projected_zero, Some(d(7, 10)));
    }

    #[test]
    fn too_slow_is_not_on_track_and_no_pace_projects_nothing() {
        let added = vec![d(7, 1); 1000];
        let done = vec![d(7, 20); 10];
        let b = burn_down(d(7, 1), d(7, 20), d(8, 1), 5, &added, &done);
        assert!((b.pace_per_day - 2.0).abs() < 1e-9);
        assert_eq!(b.projected_zero, Some(d(7, 20) + Duration::days(495)));
        assert!(!b.on_track);
        let b = burn_down(d(7, 1), d(7, 20), d(8, 1), 5, &added, &[]);
        assert_eq!(b.projected_zero, None);
        assert!(!b.on_track);
    }

    #[test]
    fn members_added_later_raise_the_line_that_day() {
        let added = [vec![d(7, 1); 10], vec![d(7, 3); 5]].concat();
        let b = burn_down(d(7, 1), d(7, 4), d(8, 1), 3, &added, &[d(7, 2)]);
        let left: Vec<u64> = b.days.iter().map(|x| x.left).collect();
        assert_eq!(left, vec![10, 9, 14, 14]);
    }
}
