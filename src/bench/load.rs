//! `madoguchi bench load`: a bounded load against a running server, from this (second)
//! process: lookups/s and changes/s with p50/p99 latencies.
//!
//! Lookups replay queries built from the server's own data (name prefixes, readings, code
//! prefixes). Changes alternate the model of applications that may be changed (機種選定済 or
//! 未申込), each worker on its own institutions so workers never race each other; the version
//! comes from each answer, so a change costs one request.

use std::time::{Duration, Instant};

use serde::Serialize;

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

/// Both phases.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub lookups: PhaseReport,
    pub changes: PhaseReport,
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
        writeln!(f, "{}", self.lookups)?;
        write!(f, "{}", self.changes)
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

/// Seeds for the lookup queries: common words of names in every kind.
const SEED_QUERIES: [&str; 8] = ["病院", "クリニック", "歯科", "薬局", "医院", "内科", "中央", "さくら"];

/// Runs the lookup phase, then the change phase.
pub async fn run(client: &Client, options: LoadOptions) -> Result<LoadReport, LoadError> {
    let (queries, candidates) = sample(client).await?;
    let models: Vec<String> = client.reader_models().await?.into_iter().map(|m| m.id).collect();
    if models.len() < 2 {
        return Err(LoadError::Setup("機種カタログが2件未満なので、変更の負荷をかけられません".into()));
    }
    let duration = Duration::from_secs(options.seconds.max(1));
    let lookups =
        lookup_phase(client, &queries, options.limit.max(1), options.lookup_workers.max(1), duration).await;
    let changes = change_phase(client, &candidates, &models, options.change_workers.max(1), duration).await?;
    Ok(LoadReport { lookups, changes })
}

/// Queries and changeable institution codes taken from the server's own data.
async fn sample(client: &Client) -> Result<(Vec<String>, Vec<String>), LoadError> {
    let mut queries = Vec::new();
    let mut candidates = Vec::new();
    for seed in SEED_QUERIES {
        let answer = client.lookup(seed, 200).await?;
        for r in answer.results {
            let name: String = r.name.chars().take(3).collect();
            queries.push(name);
            if let Some(kana) = &r.name_kana {
                queries.push(kana.chars().take(4).collect());
            }
            queries.push(r.code.chars().take(6).collect());
            if matches!(r.reader_status, ReaderStatus::Selected | ReaderStatus::NotApplied) {
                candidates.push(r.code);
            }
        }
    }
    queries.sort();
    queries.dedup();
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
            let mut i = w * 7919;
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
    report("lookups", workers, start.elapsed(), lat, errors)
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
