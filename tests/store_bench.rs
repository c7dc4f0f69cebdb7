//! Store figures at national scale (not timed assertions; run on purpose):
//! `cargo test --release --test store_bench -- --ignored --nocapture` (SQLite on a temp file;
//! PostgreSQL too when `MADOGUCHI_TEST_DATABASE_URL` is set). Prints seed time, upsert time
//! of 100,000 rows, and change latency (median, p99) and throughput, serial and concurrent.

mod store_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use madoguchi::domain::{Institution, ReaderStatus};
use madoguchi::store::{SqliteStore, Store, StoreError, open_store};
use store_common::{at, select_model};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(label: &str, store: Arc<dyn Store>) {
    let data = madoguchi::demo::generate(None, 20210630, &|_| {});
    let started = Instant::now();
    store.load_seed(&data, at(), &|_| {}).await.expect("seed loads");
    println!(
        "[{label}] load_seed: {} institutions, {} applications, {} claims in {:.2} s",
        data.institutions.len(),
        data.applications.len(),
        data.subsidy_claims.len(),
        started.elapsed().as_secs_f64()
    );

    // 100,000 rows: 60,000 updates of existing codes (an inferred reading each) + 40,000 new.
    let mut rows: Vec<Institution> = data.institutions.iter().take(60_000).cloned().collect();
    for r in &mut rows {
        r.name_kana = Some("ヨミ".into());
        r.kana_inferred = true;
    }
    for n in 0..40_000_u32 {
        let mut r = data.institutions[n as usize].clone();
        let code = format!("98{:08}", n);
        r.code = madoguchi::domain::InstitutionCode::from_digits(&code).expect("ten digits");
        rows.push(r);
    }
    let started = Instant::now();
    let counts = store.upsert_institutions(&rows).await.expect("upserts");
    println!(
        "[{label}] upsert_institutions: 100,000 rows ({} inserted, {} updated) in {:.2} s",
        counts.inserted,
        counts.updated,
        started.elapsed().as_secs_f64()
    );

    // Changes: applications that can take a model.
    let targets: Vec<(String, i64)> = data
        .applications
        .iter()
        .filter(|(_, a)| matches!(a.status, ReaderStatus::Undecided | ReaderStatus::Selected))
        .take(4000)
        .map(|(c, a)| (c.clone(), a.version))
        .collect();
    let (serial, concurrent) = targets.split_at(2000);
    let model = data.reader_models.first().map(|m| m.id.clone()).expect("the demo has a catalog");
    let mut lat = Vec::with_capacity(serial.len());
    let started = Instant::now();
    for (n, (code, version)) in serial.iter().enumerate() {
        let t = Instant::now();
        store
            .change_application(select_model(code, *version, &format!("s{n}"), &model, None))
            .await
            .expect("changes");
        lat.push(t.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "[{label}] change_application serial: {} changes, {:.0}/s, median {:.2} ms, p99 {:.2} ms",
        serial.len(),
        serial.len() as f64 / secs,
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0
    );

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (task, chunk) in concurrent.chunks(concurrent.len() / 16).enumerate() {
        let store = store.clone();
        let chunk = chunk.to_vec();
        let model = model.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for (n, (code, version)) in chunk.iter().enumerate() {
                let t = Instant::now();
                store
                    .change_application(select_model(code, *version, &format!("c{task}-{n}"), &model, None))
                    .await?;
                lat.push(t.elapsed());
            }
            Ok::<Vec<Duration>, StoreError>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("task").expect("changes"));
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "[{label}] change_application 16 concurrent: {} changes, {:.0}/s, median {:.2} ms, p99 {:.2} ms",
        lat.len(),
        lat.len() as f64 / secs,
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0
    );

    let started = Instant::now();
    let all = store.all_institutions().await.expect("lists");
    println!("[{label}] all_institutions: {} rows in {:.2} s", all.len(), started.elapsed().as_secs_f64());
    let started = Instant::now();
    let v = store.verify_audit().await.expect("verifies");
    println!(
        "[{label}] verify_audit: {} events in {:.3} s, broken {:?}",
        v.events,
        started.elapsed().as_secs_f64(),
        v.first_broken_seq
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement at national scale; run with --release --ignored --nocapture"]
async fn sqlite_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(path.to_str().expect("utf-8")).await.expect("opens");
    measure("sqlite", Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement at national scale; run with --release --ignored --nocapture"]
async fn postgres_figures() {
    let Ok(base) = std::env::var("MADOGUCHI_TEST_DATABASE_URL") else {
        println!("!!!!! postgres_figures SKIPPED: MADOGUCHI_TEST_DATABASE_URL is not set !!!!!");
        return;
    };
    let schema = format!("bench_{}", std::process::id());
    {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&base).await.expect("connects");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("creates schema");
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = open_store(&format!("{base}{sep}options[search_path]={schema}")).await.expect("connects");
    measure("postgres", store).await;
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&base).await.expect("connects");
    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut admin).await;
}

/// What `synchronous=FULL` would cost over `NORMAL` (the store's choice) in WAL mode: the
/// same 2,000 small write transactions, each committed on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run with --release --ignored --nocapture"]
async fn sqlite_synchronous_cost() {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, sync) in [("NORMAL", SqliteSynchronous::Normal), ("FULL", SqliteSynchronous::Full)] {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join(format!("{name}.db")))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(sync);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("opens");
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").execute(&pool).await.expect("creates");
        let started = Instant::now();
        for n in 0..2000 {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begins");
            sqlx::query("INSERT INTO t (v) VALUES ($1)")
                .bind(format!("row {n}"))
                .execute(&mut *tx)
                .await
                .expect("ins");
            tx.commit().await.expect("commits");
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "[sqlite] synchronous={name}: 2000 commits, {:.0}/s, {:.3} ms each",
            2000.0 / secs,
            secs / 2.0
        );
    }
}
