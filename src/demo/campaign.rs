//! The demo's campaign under way: every 機種未定 of the demo data, worked since 2021-07-01 by
//! ten operators with a plausible, deterministic history (outcomes drawn from fixed shares,
//! retries the next business day, three attempts at most), so a new user's first dashboard
//! shows a real burn-down. Members finished as 機種選定済 get their application selected in the
//! demo data itself, so the dashboard's 機種未定 count agrees with the campaign.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use super::rng::SplitMix64;
use crate::domain::campaign::{CampaignPolicy, Outcome};
use crate::domain::{InstitutionKind, ReaderStatus};
use crate::store::{DemoAttempt, DemoCampaign, DemoMember, SeedData};

/// The operators of the demo's history.
const OPERATORS: [&str; 10] =
    ["sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura", "kobayashi", "kato"];
/// Calls one operator makes in a business day.
const CALLS_PER_OPERATOR: usize = 55;
/// 機種未定 applications of the national demo, for scaling the pace of a smaller one.
const NATIONAL_MEMBERS: usize = 8_200;
/// Outcome shares of a call, in thousandths (the rest: 不通).
const SHARES: [(Outcome, u64); 6] = [
    (Outcome::Selected, 300),
    (Outcome::Absent, 280),
    (Outcome::CallBack, 60),
    (Outcome::Declined, 40),
    (Outcome::WrongNumber, 15),
    (Outcome::DoNotCall, 15),
];

fn jst(day: NaiveDate, minutes: i64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()) + Duration::minutes(minutes - 9 * 60)
}

fn draw(rng: &mut SplitMix64) -> Outcome {
    let mut x = rng.next_u64() % 1000;
    for (o, share) in SHARES {
        if x < share {
            return o;
        }
        x -= share;
    }
    Outcome::NoAnswer
}

/// Works the demo's 機種未定 from `start` to the day before `today` (business days only) and
/// returns the campaign; applications finished as 機種選定済 are selected in `data`.
pub fn generate(
    data: &mut SeedData,
    policy: &CampaignPolicy,
    start: NaiveDate,
    today: NaiveDate,
    seed: u64,
) -> DemoCampaign {
    let mut rng = SplitMix64::new(seed ^ 0x6361_6d70);
    let kinds: std::collections::HashMap<&str, (InstitutionKind, &str)> =
        data.institutions.iter().map(|i| (i.code.as_str(), (i.kind, i.prefecture.as_str()))).collect();
    let created_at = jst(start, 8 * 60 + 30);
    let mut members: Vec<DemoMember> = data
        .applications
        .iter()
        .filter(|(_, a)| a.status == ReaderStatus::Undecided)
        .filter_map(|(code, _)| {
            let (kind, prefecture) = kinds.get(code.as_str())?;
            Some(DemoMember {
                code: code.clone(),
                kind: *kind,
                prefecture: prefecture.to_string(),
                rank: policy.kind_rank(*kind),
                attempts: 0,
                next_try_at: created_at,
                outcome: None,
                done_at: None,
                exhausted: false,
            })
        })
        .collect();
    members.sort_by(|a, b| (a.rank, &a.code).cmp(&(b.rank, &b.code)));
    let models: Vec<String> = data.reader_models.iter().filter(|m| !m.sample).map(|m| m.id.clone()).collect();
    let mut attempts = Vec::new();
    let mut selected: Vec<String> = Vec::new();
    let mut day = start;
    while day < today {
        let open = day.weekday() != Weekday::Sun && !policy.closed_days.contains(&day);
        if open {
            // Ten operators at national scale (8,200 members); the same pace for a smaller demo.
            let weekday = (OPERATORS.len() * CALLS_PER_OPERATOR * members.len() / NATIONAL_MEMBERS).max(10);
            let capacity = if day.weekday() == Weekday::Sat { weekday / 2 } else { weekday };
            let day_end = jst(day, 24 * 60);
            let mut due: Vec<usize> = (0..members.len())
                .filter(|&i| members[i].done_at.is_none() && members[i].next_try_at < day_end)
                .collect();
            due.sort_by_key(|&i| (members[i].attempts, members[i].rank, i));
            for (n, &i) in due.iter().take(capacity).enumerate() {
                let operator = OPERATORS[n % OPERATORS.len()];
                let slot = (n * OPERATORS.len() * CALLS_PER_OPERATOR / capacity.max(1)) / OPERATORS.len();
                let at = jst(day, 9 * 60 + 20 + slot as i64 * 7 + (rng.next_u64() % 5) as i64);
                let outcome = draw(&mut rng);
                let m = &mut members[i];
                m.attempts += 1;
                m.outcome = Some(outcome);
                let handle_seconds = 60 + (rng.next_u64() % 360) as i64;
                if outcome == Outcome::Selected {
                    selected.push(m.code.clone());
                }
                if outcome.is_final() {
                    m.done_at = Some(at);
                } else if m.attempts >= policy.max_attempts {
                    m.done_at = Some(at);
                    m.exhausted = true;
                } else {
                    m.next_try_at = jst(day + Duration::days(1), 9 * 60);
                }
                attempts.push(DemoAttempt {
                    member: i,
                    operator: operator.to_string(),
                    outcome,
                    at,
                    handle_seconds,
                });
            }
        }
        day += Duration::days(1);
    }
    let selected: std::collections::HashSet<&str> = selected.iter().map(String::as_str).collect();
    for (code, app) in data.applications.iter_mut().filter(|(c, _)| selected.contains(c.as_str())) {
        app.status = ReaderStatus::Selected;
        app.model_id =
            models.get(code.len() % models.len().max(1)).cloned().or_else(|| models.first().cloned());
        app.units = 1;
        app.version += 1;
    }
    DemoCampaign {
        name: "機種未定 全国（7月）".to_string(),
        created_by: "supervisor".to_string(),
        created_at,
        members,
        attempts,
    }
}

/// The national demo's campaign: started 2021-07-01, worked up to the demo's business date
/// (2021-07-15, `cli::target::DEMO_DATE`), under the built-in policy.
pub fn demo_campaign(data: &mut SeedData, seed: u64) -> DemoCampaign {
    let start = NaiveDate::from_ymd_opt(2021, 7, 1).unwrap_or_default();
    let today = NaiveDate::from_ymd_opt(2021, 7, 15).unwrap_or_default();
    generate(data, &crate::domain::Policy::builtin().campaign, start, today, seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Policy;

    #[test]
    fn the_demo_campaign_is_deterministic_and_under_way() {
        let make = || {
            let mut data = crate::demo::generate(Some(30_000), 7, &|_| {});
            let start = NaiveDate::from_ymd_opt(2021, 7, 1).unwrap();
            let today = NaiveDate::from_ymd_opt(2021, 7, 15).unwrap();
            let c = generate(&mut data, &Policy::builtin().campaign, start, today, 7);
            (data, c)
        };
        let (data, c) = make();
        let (_, again) = make();
        assert_eq!(c.attempts.len(), again.attempts.len());
        assert_eq!(c.attempts.last().map(|a| a.at), again.attempts.last().map(|a| a.at));
        let done = c.members.iter().filter(|m| m.done_at.is_some()).count();
        assert!(done > 0 && done < c.members.len(), "under way: {done}/{}", c.members.len());
        // Every member finished as 機種選定済 has its application selected.
        for m in c.members.iter().filter(|m| m.outcome == Some(Outcome::Selected) && m.done_at.is_some()) {
            let app = &data.applications.iter().find(|(code, _)| *code == m.code).unwrap().1;
            assert_eq!(app.status, ReaderStatus::Selected);
            assert!(app.model_id.is_some());
        }
        // No call on a Sunday or a holiday, none after today, none outside 9:00–18:00.
        for a in &c.attempts {
            let local = a.at + Duration::hours(9);
            assert_ne!(local.weekday(), Weekday::Sun);
            assert!(local.date_naive() < NaiveDate::from_ymd_opt(2021, 7, 15).unwrap());
            assert!((9..18).contains(&local.hour()), "{local}");
        }
        assert!(c.members.iter().all(|m| m.attempts <= 3));
    }

    use chrono::Timelike;
}
