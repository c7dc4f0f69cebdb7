//! `madoguchi bench load`: a bounded load against a running server, from this (second)
//! process: lookups/s and changes/s with p50/p99 latencies.
//!
//! Lookups send the fresh-query mix ([`super::query_mix`]) built from the server's own data
//! (halves of names, hiragana and romaji reading prefixes, code prefixes, last four phone
//! digits, city + reading), each request a different query from the last: first from one
//! connection (the latency of one fresh query), then from `lookup_workers` connections
//! (throughput). Changes alternate the model of applications that may be changed (機種選定済 or
//! 未申込), each worker on its own institutions so workers never race each other; the version
//! comes from each answer, so a change costs one request.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::query_mix::MixSource;
use crate::api::{ChangeReaderApplication, Verification};
use crate::client::{Client, ClientError, new_idempotency_key};
use crate::domain::ReaderStatus;

/// How hard and how long to push.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    pub seconds: u64,
    /// Concurrent lookup clients.
    pub lookup_workers: usize,
    /// Concurrent change clients.
    pub change_workers: usize,
    /// Results asked for per lookup (the console asks for a screen's worth).
    pub limit: u32,
    /// The server's process id, when it runs on this machine: its resident memory is reported.
    pub server_pid: Option<u32>,
}

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    pub name: String,
    pub workers: usize,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Every phase.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Distinct queries in the mix, by class.
    pub mix: Vec<(String, usize)>,
    /// The mix from one connection.
    pub single: PhaseReport,
    /// The mix from `lookup_workers` connections.
    pub lookups: PhaseReport,
    pub changes: PhaseReport,
    /// The server's resident memory before and after, in bytes (with `server_pid`).
    pub server_rss: Option<(u64, u64)>,
}

impl std::fmt::Display for PhaseReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<8} {:>3} workers  {:>9.0}/s  ok {:>7}  errors {:>5}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            self.name,
            self.workers,
            self.per_second,
            self.ok,
            self.errors,
            self.p50_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mix: Vec<String> = self.mix.iter().map(|(c, n)| format!("{c} {n}")).collect();
        writeln!(f, "fresh-query mix: {}", mix.join(", "))?;
        writeln!(f, "{}", self.single)?;
        writeln!(f, "{}  (goal ≥ 5000/s, p99 ≤ 10 ms)", self.lookups)?;
        write!(f, "{}", self.changes)?;
        if let Some((before, after)) = self.server_rss {
            write!(
                f,
                "\nserver RSS: {:.0} MB before, {:.0} MB after (goal ≤ 150 MB)",
                before as f64 / 1e6,
                after as f64 / 1e6
            )?;
        }
        Ok(())
    }
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Setup(String),
}

/// Seeds that bring institutions of every kind and place to draw the mix from: common words
/// of names, then the first kana of readings.
const SEED_QUERIES: [&str; 8] = ["病院", "クリニック", "歯科", "薬局", "医院", "内科", "中央", "さくら"];
const SEED_KANA: &str =
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ";

/// Queries per class of the mix (phones are fewer: each needs a detail request).
const MIX_PER_CLASS: usize = 2_000;
const PHONE_DETAILS: usize = 600;

/// Runs the lookup phases, then the change phase.
pub async fn run(client: &Client, options: LoadOptions) -> Result<LoadReport, LoadError> {
    let (queries, candidates) = sample(client).await?;
    let models: Vec<String> = client.reader_models().await?.into_iter().map(|m| m.id).collect();
    if models.len() < 2 {
        return Err(LoadError::Setup("機種カタログが2件未満なので、変更の負荷をかけられません".into()));
    }
    let mut mix: Vec<(String, usize)> = Vec::new();
    for (class, _) in &queries {
        match mix.iter_mut().find(|(c, _)| c == class) {
            Some(slot) => slot.1 += 1,
            None => mix.push((class.to_string(), 1)),
        }
    }
    let queries: Vec<String> = queries.into_iter().map(|(_, q)| q).collect();
    let rss = || options.server_pid.and_then(super::query_mix::rss_bytes);
    let rss_before = rss();
    let duration = Duration::from_secs(options.seconds.max(1));
    let limit = options.limit.max(1);
    let single = lookup_phase("fresh 1", client, &queries, limit, 1, duration / 2).await;
    let lookups =
        lookup_phase("lookups", client, &queries, limit, options.lookup_workers.max(1), duration).await;
    let changes = change_phase(client, &candidates, &models, options.change_workers.max(1), duration).await?;
    let server_rss = rss_before.zip(rss());
    Ok(LoadReport { mix, single, lookups, changes, server_rss })
}

/// The query mix and changeable institution codes, taken from the server's own data.
async fn sample(client: &Client) -> Result<(Vec<(&'static str, String)>, Vec<String>), LoadError> {
    let mut sources: Vec<MixSource> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut candidates = Vec::new();
    let seeds = SEED_QUERIES.iter().map(|s| s.to_string()).chain(SEED_KANA.chars().map(String::from));
    for seed in seeds {
        let answer = client.lookup(&seed, 200).await?;
        for r in answer.results {
            if !seen.insert(r.code.clone()) {
                continue;
            }
            if matches!(r.reader_status, ReaderStatus::Selected | ReaderStatus::NotApplied) {
                candidates.push(r.code.clone());
            }
            sources.push(MixSource {
                name: r.name,
                name_kana: r.name_kana,
                code: r.code,
                city: r.city,
                phone: None,
            });
        }
    }
    // Spread the phone lookups over the sources rather than the first seed's.
    let step = (sources.len() / PHONE_DETAILS).max(1);
    for i in (0..sources.len()).step_by(step).take(PHONE_DETAILS) {
        if let Ok(detail) = client.institution(&sources[i].code).await {
            sources[i].phone = detail.institution.phone;
        }
    }
    // Interleave the sources so every seed's institutions are spread through the mix.
    // (7,919 is prime: stepping by it visits every source once unless the count is a multiple.)
    let n = sources.len();
    let order: Vec<MixSource> = if n.is_multiple_of(7_919) {
        sources
    } else {
        (0..n).map(|i| sources[(i * 7_919) % n].clone()).collect()
    };
    let queries = super::query_mix::build(&order, MIX_PER_CLASS);
    candidates.sort();
    candidates.dedup();
    if queries.is_empty() {
        return Err(LoadError::Setup(
            "検索結果が空です。デモデータを入れたサーバーに対して実行してください".into(),
        ));
    }
    Ok((queries, candidates))
}

fn report(name: &str, workers: usize, elapsed: Duration, mut lat: Vec<Duration>, errors: u64) -> PhaseReport {
    lat.sort();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i].as_secs_f64() * 1000.0
    };
    let secs = elapsed.as_secs_f64().max(1e-9);
    PhaseReport {
        name: name.to_string(),
        workers,
        seconds: secs,
        ok: lat.len() as u64,
        errors,
        per_second: lat.len() as f64 / secs,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    }
}

async fn lookup_phase(
    name: &str,
    client: &Client,
    queries: &[String],
    limit: u32,
    workers: usize,
    duration: Duration,
) -> PhaseReport {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let queries = queries.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            // Workers start far apart in the mix, so no two send the same query together.
            let mut i = w * (queries.len() / workers.max(1)).max(1);
            while Instant::now() < deadline {
                let q = &queries[i % queries.len()];
                i += 1;
                let t = Instant::now();
                match client.lookup(q, limit).await {
                    Ok(_) => lat.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let (lat, errors) = join(tasks).await;
    report(name, workers, start.elapsed(), lat, errors)
}

async fn change_phase(
    client: &Client,
    candidates: &[String],
    models: &[String],
    workers: usize,
    duration: Duration,
) -> Result<PhaseReport, LoadError> {
    if candidates.len() < workers {
        return Err(LoadError::Setup(format!(
            "変更できる申込が {} 件しか見つからないので、{workers} 並列の変更負荷をかけられません",
            candidates.len()
        )));
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let mine: Vec<String> = candidates.iter().skip(w).step_by(workers).cloned().collect();
        let models = models.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            // (code, version, index of the model it has now)
            let mut state: Vec<(String, i64, usize)> = Vec::new();
            for code in mine {
                if let Ok(app) = client.reader_application(&code).await {
                    let current = app
                        .application
                        .model_id
                        .as_ref()
                        .and_then(|id| models.iter().position(|m| m == id))
                        .unwrap_or(models.len() - 1);
                    state.push((code, app.application.version, current));
                }
            }
            let mut i = 0usize;
            while Instant::now() < deadline && !state.is_empty() {
                let slot = i % state.len();
                i += 1;
                let (code, version, model) = state[slot].clone();
                let next = (model + 1) % models.len();
                let body = ChangeReaderApplication {
                    model_id: models[next].clone(),
                    units: 1,
                    caller_name: "負荷試験".to_string(),
                    caller_role: "bench".to_string(),
                    verification: Verification::RegisteredDetails,
                    call_id: None,
                };
                let t = Instant::now();
                match client.change_reader_application(&code, version, &new_idempotency_key(), &body).await {
                    Ok(receipt) => {
                        lat.push(t.elapsed());
                        state[slot] = (code, receipt.application.application.version, next);
                    }
                    Err(ClientError::Stale { current: Some(cur), .. }) => {
                        errors += 1;
                        state[slot].1 = cur.application.version;
                    }
                    Err(_) => {
                        errors += 1;
                        state.swap_remove(slot);
                    }
                }
            }
            (lat, errors)
        }));
    }
    let (lat, errors) = join(tasks).await;
    Ok(report("changes", workers, start.elapsed(), lat, errors))
}

async fn join(tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, u64)>>) -> (Vec<Duration>, u64) {
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    (all, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_sorted_latencies() {
        let lat: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let r = report("x", 1, Duration::from_secs(2), lat, 3);
        assert_eq!(r.ok, 100);
        assert_eq!(r.errors, 3);
        assert!((r.per_second - 50.0).abs() < 1e-9);
        assert!((r.p50_ms - 50.0).abs() < 1e-9);
        assert!((r.p99_ms - 99.0).abs() < 1e-9);
        assert!((r.max_ms - 100.0).abs() < 1e-9);
    }
}
