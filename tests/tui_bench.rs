//! Keystroke → updated screen through the embedded server (ignored: a measurement, not a
//! timed test). Each keystroke goes the console's own path: `update()` with the typed
//! character, the lookup effect through the HTTP client to the in-process server, `update()`
//! with the answer, and a full `view()` into an 80×24 frame.
//!
//! `cargo test --release --test tui_bench -- --ignored --nocapture`
//! (`MADOGUCHI_BENCH_DB=PATH` to use an existing database; otherwise one is seeded with
//! `MADOGUCHI_BENCH_INSTITUTIONS` institutions, default the national scale, 242,000.)

use std::process::Command;
use std::time::{Duration, Instant};

use madoguchi::server::{EmbeddedOptions, IndexBuild, SeedOptions, start_embedded};
use madoguchi::tui::{Action, Effect, Keymap, initial_state, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const QUERIES: &[&str] = &[
    "yajima",
    "やじま",
    "矢嶋歯科",
    "sanae",
    "さなえ薬局",
    "日本海総合病院",
    "nihonkai",
    "akai",
    "あかいクリニック",
    "1331",
    "03-",
    "suginami",
    "tokyo",
    "中央病院",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
#[ignore = "measurement: cargo test --release --test tui_bench -- --ignored --nocapture"]
fn keystroke_to_frame_through_embedded_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = match std::env::var("MADOGUCHI_BENCH_DB") {
        Ok(p) => p,
        Err(_) => {
            let n = std::env::var("MADOGUCHI_BENCH_INSTITUTIONS").unwrap_or_else(|_| "242000".into());
            let db = dir.path().join("db.sqlite");
            let t = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
                .args(["seed", "--db"])
                .arg(&db)
                .args(["--institutions", &n])
                .output()
                .expect("seed");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            eprintln!("seeded {n} institutions in {:.1}s", t.elapsed().as_secs_f64());
            db.display().to_string()
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async move {
        let progress = |_: &str| {};
        let started = Instant::now();
        let embedded = start_embedded(
            &db,
            EmbeddedOptions {
                as_of: chrono::NaiveDate::from_ymd_opt(2021, 7, 15),
                policy: Default::default(),
                seed_if_empty: None::<SeedOptions>,
                progress: &progress,
                index: IndexBuild::AtStart,
            },
        )
        .await
        .expect("embedded server");
        let server_ready = started.elapsed();
        let client = embedded.client().expect("client");
        let keymap = Keymap::default_map();
        let mut state = initial_state("embedded", &keymap, false, true);
        let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        term.draw(|f| view(&state, f)).expect("draw");
        let first_frame = started.elapsed();
        let me = client.me().await;
        update(&mut state, Action::MeLoaded(me));

        let mut samples = Vec::new();
        let mut lookups = Vec::new();
        let mut draws = Vec::new();
        let mut slowest: Vec<(Duration, String)> = Vec::new();
        let mut empty = 0usize;
        for round in 0..3 {
            for q in QUERIES {
                update(&mut state, Action::Command(madoguchi::tui::Command::Lookup));
                for c in q.chars() {
                    let t0 = Instant::now();
                    let mut looked = Duration::ZERO;
                    let mut query_sent = String::new();
                    for e in update(&mut state, Action::Insert(c)) {
                        if let Effect::Lookup { seq, query } = e {
                            let l0 = Instant::now();
                            let reply = client.lookup(&query, 50).await;
                            looked = l0.elapsed();
                            query_sent = query;
                            update(&mut state, Action::LookupDone { seq, reply });
                        }
                    }
                    let d0 = Instant::now();
                    term.draw(|f| view(&state, f)).expect("draw");
                    if round > 0 {
                        let total = t0.elapsed();
                        samples.push(total);
                        lookups.push(looked);
                        draws.push(d0.elapsed());
                        slowest.push((total, query_sent));
                    }
                }
                if state.lookup.results.is_empty() {
                    empty += 1;
                }
            }
        }
        samples.sort();
        lookups.sort();
        draws.sort();
        slowest.sort();
        let n = samples.len();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "  of which the lookup request: median {:.2} ms, p99 {:.2} ms; update + view into the frame: median {:.3} ms, p99 {:.3} ms",
            ms(percentile(&lookups, 0.5)),
            ms(percentile(&lookups, 0.99)),
            ms(percentile(&draws, 0.5)),
            ms(percentile(&draws, 0.99)),
        );
        let worst: Vec<String> = slowest.iter().rev().take(6).map(|(d, q)| format!("{q:?} {:.1} ms", ms(*d))).collect();
        eprintln!("  slowest keystrokes: {}", worst.join(", "));
        eprintln!(
            "keystroke → frame over {n} keystrokes: median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms \
             ({empty} of {} final queries had no result)",
            percentile(&samples, 0.5).as_secs_f64() * 1000.0,
            percentile(&samples, 0.9).as_secs_f64() * 1000.0,
            percentile(&samples, 0.99).as_secs_f64() * 1000.0,
            samples[n - 1].as_secs_f64() * 1000.0,
            QUERIES.len() * 3,
        );
        eprintln!(
            "embedded server ready {:.0} ms after start; first console frame {:.0} ms after start",
            server_ready.as_secs_f64() * 1000.0,
            first_frame.as_secs_f64() * 1000.0
        );
        embedded.shutdown().await;
    });
}
