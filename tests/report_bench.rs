//! Figures of the call report at national scale (not timed assertions; run on purpose):
//! `cargo test --release --test report_bench -- --ignored --nocapture`. Fills a year of synthetic
//! calls (2,000,000 by default, `MADOGUCHI_BENCH_CALLS` to change) with reasons, handle times and
//! call-backs straight in SQL, then times `ReportStore::call_counts` for a day, a month and the
//! year: median and p99 of 15 runs each, on SQLite (temp file) and PostgreSQL (a fresh schema,
//! when `MADOGUCHI_TEST_DATABASE_URL` is set).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use madoguchi::domain::call::ReportRange;
use madoguchi::store::{SqliteStore, Store, open_store};
use sqlx::Connection;

const RUNS: usize = 15;

fn calls_wanted() -> i64 {
    std::env::var("MADOGUCHI_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000)
}

/// One call every 15 s from 2021-01-01 00:00 UTC: 2,000,000 calls span 347 days.
const SPACING_SECS: i64 = 15;
const EPOCH_2021: i64 = 1_609_459_200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(label: &str, store: Arc<dyn Store>, n: i64) {
    let d = |m, day| NaiveDate::from_ymd_opt(2021, m, day).expect("date");
    let now = Utc.with_ymd_and_hms(2021, 7, 15, 3, 0, 0).single().expect("now");
    for (what, range) in [
        ("day 2021-07-15", ReportRange::new(d(7, 15), d(7, 15))),
        ("month 2021-07", ReportRange::new(d(7, 1), d(7, 31))),
        ("year 2021", ReportRange::new(d(1, 1), d(12, 31))),
    ] {
        let range = range.expect("range");
        let (start, end) = range.instants();
        let mut times = Vec::with_capacity(RUNS);
        let mut calls = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let counts = store.call_counts(start, end, now).await.expect("counts");
            times.push(t.elapsed());
            calls = counts.by_hour.iter().map(|(_, c)| c).sum::<u64>();
        }
        times.sort();
        println!(
            "[{label}] report {what}: {calls} of {n} calls, median {:.1} ms, p99 {:.1} ms ({RUNS} runs)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "national-scale figures; run with --ignored --nocapture"]
async fn report_at_national_scale_sqlite() {
    let n = calls_wanted();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.db");
    let store = SqliteStore::open(path.to_str().expect("utf-8")).await.expect("opens");
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.expect("raw");
    let t = Instant::now();
    let fill = format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
         INSERT INTO calls (id, operator, started_at, ended_at, code, note, handle_seconds) \
         SELECT i, 'op' || (i % 200), strftime('%Y-%m-%dT%H:%M:%S.000000Z', {EPOCH_2021} + i * {SPACING_SECS}, 'unixepoch'), \
                strftime('%Y-%m-%dT%H:%M:%S.000000Z', {EPOCH_2021} + i * {SPACING_SECS} + 60 + (i * 37) % 600, 'unixepoch'), \
                NULL, '', 60 + (i * 37) % 600 FROM s"
    );
    for sql in [
        fill.as_str(),
        "INSERT INTO call_reasons (call_id, reason, started_at) SELECT id, CASE id % 6 WHEN 0 THEN 'model' \
         WHEN 1 THEN 'subsidy' WHEN 2 THEN 'status' WHEN 3 THEN 'portal' WHEN 4 THEN 'system' ELSE 'other' END, \
         started_at FROM calls",
        "INSERT INTO call_reasons (call_id, reason, started_at) SELECT id, 'subsidy', started_at FROM calls \
         WHERE id % 10 = 0",
        "INSERT INTO callbacks (code, phone, reason, due_at, created_by, created_at, done_at) \
         SELECT '1331500016', '03-0000-0000', 'bench', started_at, operator, started_at, \
                CASE WHEN id % 3 = 0 THEN NULL ELSE started_at END FROM calls WHERE id % 40 = 0",
        "ANALYZE",
    ] {
        sqlx::raw_sql(sql).execute(&mut raw).await.expect("fills");
    }
    println!("[sqlite] filled {n} calls in {:.1} s", t.elapsed().as_secs_f64());
    measure("sqlite", Arc::new(store), n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "national-scale figures; run with --ignored --nocapture"]
async fn report_at_national_scale_postgres() {
    let Ok(base) = std::env::var("MADOGUCHI_TEST_DATABASE_URL") else {
        println!("!!!!! SKIPPED: MADOGUCHI_TEST_DATABASE_URL is not set, PostgreSQL NOT measured !!!!!");
        return;
    };
    let n = calls_wanted();
    let schema = format!("bench_report_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connects");
    sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");
    let store = open_store(&url).await.expect("opens");
    let mut raw = sqlx::PgConnection::connect(&url).await.expect("raw");
    let t = Instant::now();
    let ts = |extra: &str| {
        format!(
            "to_char(to_timestamp({EPOCH_2021} + i * {SPACING_SECS}{extra}) AT TIME ZONE 'UTC', \
             'YYYY-MM-DD\"T\"HH24:MI:SS\".000000Z\"')"
        )
    };
    let fill = format!(
        "INSERT INTO calls (id, operator, started_at, ended_at, code, note, handle_seconds) \
         SELECT i, 'op' || (i % 200), {}, {}, NULL, '', 60 + (i * 37) % 600 FROM generate_series(1, {n}) AS i",
        ts(""),
        ts(" + 60 + (i * 37) % 600")
    );
    for sql in [
        fill.as_str(),
        "INSERT INTO call_reasons (call_id, reason, started_at) SELECT id, CASE id % 6 WHEN 0 THEN 'model' \
         WHEN 1 THEN 'subsidy' WHEN 2 THEN 'status' WHEN 3 THEN 'portal' WHEN 4 THEN 'system' ELSE 'other' END, \
         started_at FROM calls",
        "INSERT INTO call_reasons (call_id, reason, started_at) SELECT id, 'subsidy', started_at FROM calls \
         WHERE id % 10 = 0",
        "INSERT INTO callbacks (code, phone, reason, due_at, created_by, created_at, done_at) \
         SELECT '1331500016', '03-0000-0000', 'bench', started_at, operator, started_at, \
                CASE WHEN id % 3 = 0 THEN NULL ELSE started_at END FROM calls WHERE id % 40 = 0",
        "ANALYZE",
    ] {
        sqlx::raw_sql(sql).execute(&mut raw).await.expect("fills");
    }
    println!("[postgres] filled {n} calls in {:.1} s", t.elapsed().as_secs_f64());
    measure("postgres", store, n).await;
    drop(raw);
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut admin).await.expect("drops");
}
