//! The FAQ at a portal's size (`madoguchi bench faq`): importing a whole file through a real
//! server over SQLite, the index build, an edit of one entry, and query and suggestion
//! latency, at a city hall's FAQ size (1,786 entries) and a ministry's (20,000).
//!
//! The entries are the shipped FAQ and the public sets (`benches/faq/`), repeated under new
//! ids with a municipality's name woven into each copy's question and answer, so the index
//! holds many distinct terms as a real large FAQ does, not the same text N times.

use std::fmt;
use std::time::Instant;

use serde::Serialize;

use super::relevance_faq::{Case, at_scale, shipped_sets};
use crate::api::FaqEntry;
use crate::demo::tables::municipalities;
use crate::search::faq_index::FaqIndex;
use crate::search::faq_suggest;

/// The sizes measured.
pub const SIZES: [usize; 2] = [1_786, 20_000];

/// `n` entries (see the module doc), and every shipped question.
pub fn synthetic(n: usize) -> (Vec<FaqEntry>, Vec<Case>) {
    let sets = shipped_sets().unwrap_or_default();
    let (mut entries, cases) = at_scale(&sets, n);
    entries.truncate(n);
    let places = municipalities();
    let originals = entries.len().min(166);
    for (i, e) in entries.iter_mut().enumerate().skip(originals) {
        let place = &places[(i * 7919) % places.len().max(1)];
        e.question = format!("{}{}では、{}", place.prefecture, place.city, e.question);
        e.answer = format!("{}の窓口の場合: {}", place.city, e.answer);
    }
    (entries, cases)
}

/// The figures at one size.
#[derive(Debug, Clone, Serialize)]
pub struct FaqScaleFigures {
    pub entries: usize,
    /// `faq import` of all entries through the server (HTTP, SQLite, audit, index).
    pub import_ms: f64,
    /// The same file imported again (nothing changes: no audit event, no tokenising).
    pub reimport_ms: f64,
    /// One entry edited (`PUT /v1/faq/{id}`) on the full FAQ.
    pub edit_ms: f64,
    /// Building the index from scratch in memory.
    pub build_ms: f64,
    /// Updating the in-memory index for one changed entry.
    pub update_one_ms: f64,
    pub query_median_us: f64,
    pub query_p99_us: f64,
    pub suggest_median_us: f64,
    pub suggest_p99_us: f64,
}

/// Everything `bench faq` prints.
#[derive(Debug, Clone, Serialize)]
pub struct FaqScaleReport {
    pub sizes: Vec<FaqScaleFigures>,
}

fn percentile(times: &mut [f64], q: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0)
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// Context questions as the institution states give them (see `domain::faq_context`).
const CONTEXTS: &[&str] = &[
    "機種未定 いつまで 機種 選ぶ 期限",
    "カードリーダー 申し込み 方法",
    "選んだ 機種 変更 病院 台数 何台まで",
    "発送済み 機種 変える 補助金 申請 方法",
    "キャンセル 申込 元に戻す",
];

/// Measures one size; `import` runs the real server's import (see [`run`]).
async fn measure(n: usize, dir: &std::path::Path) -> anyhow::Result<FaqScaleFigures> {
    let (entries, cases) = synthetic(n);
    let db = dir.join(format!("faq-{n}.db"));
    let embedded = crate::server::start_embedded(
        &db.to_string_lossy(),
        crate::server::EmbeddedOptions {
            as_of: None,
            policy: crate::domain::Policy::default(),
            seed_if_empty: None,
            progress: &|_| {},
            index: crate::server::state::IndexBuild::OnFirstLookup,
        },
    )
    .await?;
    let client = embedded.client()?;
    let started = Instant::now();
    client.import_faq(&entries).await?;
    let import_ms = ms(started);
    let started = Instant::now();
    client.import_faq(&entries).await?;
    let reimport_ms = ms(started);
    let mut edited = entries[n / 2].clone();
    edited.answer.push_str("（改訂）");
    let started = Instant::now();
    client.put_faq(&edited).await?;
    let edit_ms = ms(started);
    embedded.shutdown().await;

    let started = Instant::now();
    let mut index = FaqIndex::build(&entries);
    let build_ms = ms(started);
    let mut changed = entries.clone();
    changed[n / 2] = edited;
    let started = Instant::now();
    index.update(&entries, &changed);
    let update_one_ms = ms(started);

    let mut query_times = Vec::new();
    let mut suggest_times = Vec::new();
    for round in 0..3 {
        for (i, case) in cases.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(index.rank(&case.query, 10));
            query_times.push(t.elapsed().as_secs_f64() * 1e6);
            let context = CONTEXTS[(i + round) % CONTEXTS.len()];
            let t = Instant::now();
            std::hint::black_box(faq_suggest::suggest(&index, &case.query, context, 3));
            suggest_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(FaqScaleFigures {
        entries: n,
        import_ms,
        reimport_ms,
        edit_ms,
        build_ms,
        update_one_ms,
        query_median_us: percentile(&mut query_times, 0.5),
        query_p99_us: percentile(&mut query_times, 0.99),
        suggest_median_us: percentile(&mut suggest_times, 0.5),
        suggest_p99_us: percentile(&mut suggest_times, 0.99),
    })
}

/// Runs every size in a scratch folder (removed afterwards).
pub async fn run(progress: &(dyn Fn(&str) + Sync)) -> anyhow::Result<FaqScaleReport> {
    let dir = std::env::temp_dir().join(format!("madoguchi-bench-faq-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut sizes = Vec::new();
    for n in SIZES {
        progress(&format!("FAQ {n} 件を測っています…"));
        let r = measure(n, &dir).await;
        if r.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        sizes.push(r?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(FaqScaleReport { sizes })
}

impl fmt::Display for FaqScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.sizes {
            writeln!(f, "FAQ at {} entries:", s.entries)?;
            writeln!(
                f,
                "  import (HTTP, SQLite, audit, index) {:.0} ms; again unchanged {:.0} ms; one entry edited {:.1} ms",
                s.import_ms, s.reimport_ms, s.edit_ms
            )?;
            writeln!(
                f,
                "  index build {:.0} ms; update for one changed entry {:.1} ms",
                s.build_ms, s.update_one_ms
            )?;
            writeln!(
                f,
                "  query median {:.0} µs, p99 {:.0} µs; suggestion (note + state) median {:.0} µs, p99 {:.0} µs",
                s.query_median_us, s.query_p99_us, s.suggest_median_us, s.suggest_p99_us
            )?;
        }
        Ok(())
    }
}
