//! `madoguchi bench campaign`: the figures of issue 25 on the national demo data, through a
//! real server on loopback (HTTP, the store, the audit chain), on SQLite and — with
//! `--database-url` or `MADOGUCHI_TEST_DATABASE_URL` — on PostgreSQL:
//!
//! - create: a campaign of every 機種未定 nationwide (`POST /v1/campaigns`), several runs;
//! - next alone: one operator pressing 次へ with nobody else working (the cost of one Next);
//! - the harness alone: the same 50 operators asking `GET /v1/me` (no store, no lock) at the
//!   same instant: what 50 requests at once cost this machine's HTTP, client and server, before
//!   any store work — the floor under every "at once" figure;
//! - next, 50 at once: 50 operators pressing 次へ in the same instant, round after round,
//!   each recording 担当者不在 the moment its Next answers (so the burst of Nexts shares the
//!   writer with up to 49 outcomes): the worst case;
//! - next, 50 at once, outcomes after: the same burst, the outcomes recorded once every Next
//!   of the round has answered (as on a floor, where a call lasts minutes);
//! - next, 50 working: 50 operators each in their own rhythm for a while (次へ, a call of
//!   `--call-ms`, 担当者不在, 次へ …), started spread over one call: a floor at work, its pace
//!   compressed (a real call lasts minutes, so this is far busier than a real floor);
//! - outcomes: how long recording 担当者不在 takes, alone, 50 at once (the burst above) and
//!   50 working;
//! - progress: `GET /v1/campaigns/{id}/progress` of a campaign of ~8,200 members and 30,000
//!   attempts (the demo's campaign under way, its history repeated to 30,000);
//! - next on that campaign, one operator alone: members already tried and not yet due (and
//!   those finished) are what `next` must pass over.
//!
//! The data lives in a scratch SQLite file (removed afterwards) or a scratch PostgreSQL schema
//! (dropped afterwards). Printed, never asserted: speed goals are not timed tests.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::api::Role;
use crate::api::campaign::{NewCampaign, RecordOutcome};
use crate::client::Client;
use crate::domain::campaign::{CampaignFilter, Outcome};
use crate::domain::{Policy, ReaderStatus};
use crate::server::auth::hash_token;
use crate::server::state::IndexBuild;
use crate::server::{AppState, Clock};
use crate::store::{DemoAttempt, Store};

/// What `bench campaign` runs.
#[derive(Debug, Clone)]
pub struct CampaignBenchOptions {
    /// Operators pressing 次へ at once.
    pub operators: usize,
    /// Rounds of "everyone presses 次へ at once".
    pub rounds: usize,
    /// Campaigns created (each of every 機種未定).
    pub creates: usize,
    /// A PostgreSQL server to measure too (a scratch schema is made and dropped).
    pub database_url: Option<String>,
    /// Skip SQLite (measure PostgreSQL only).
    pub no_sqlite: bool,
    /// How long the operators work in their own rhythm (0: not measured).
    pub work_seconds: u64,
    /// One call of that rhythm: the time between a Next's answer and its outcome.
    pub call_ms: u64,
}

impl Default for CampaignBenchOptions {
    fn default() -> CampaignBenchOptions {
        CampaignBenchOptions {
            operators: 50,
            rounds: 20,
            creates: 5,
            database_url: None,
            no_sqlite: false,
            work_seconds: 20,
            call_ms: 1000,
        }
    }
}

/// Median, p99 and the worst of a set of latencies (ms).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(mut times: Vec<f64>) -> Latency {
        times.sort_by(f64::total_cmp);
        let at =
            |q: f64| times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
        Latency { samples: times.len(), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
            self.p50_ms, self.p99_ms, self.max_ms, self.samples
        )
    }
}

/// The figures of one backend.
#[derive(Debug, Clone, Serialize)]
pub struct BackendFigures {
    pub backend: String,
    /// Members of each created campaign (every 機種未定 then).
    pub create_members: u64,
    pub create: Latency,
    pub next_alone: Latency,
    /// Recording an outcome, one operator alone.
    pub outcome_alone: Latency,
    pub operators: usize,
    /// `GET /v1/me` by the same operators at the same instant: the harness's own floor.
    pub me_at_once: Latency,
    pub next_at_once: Latency,
    /// The outcomes of that burst, each recorded the moment its Next answered.
    pub outcome_at_once: Latency,
    /// The same burst with the round's outcomes recorded after every Next answered.
    pub next_burst: Latency,
    /// Next while the operators work in their own rhythm (no samples when not measured).
    pub next_working: Latency,
    /// Outcomes while the operators work in their own rhythm.
    pub outcome_working: Latency,
    /// That rhythm's call, ms.
    pub call_ms: u64,
    pub progress_members: usize,
    pub progress_attempts: usize,
    pub progress: Latency,
    pub next_under_way: Latency,
}

/// Everything `bench campaign` prints.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignBenchReport {
    pub backends: Vec<BackendFigures>,
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// Thursday 2021-07-15 10:00 in Japan (the demo's business date): every kind is callable,
/// and the demo's campaign is under way up to the day before.
fn bench_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 7, 15, 1, 0, 0).single().unwrap_or_default()
}

/// The scratch database of one backend, removed when dropped (a file) or by [`Scratch::drop_schema`].
enum Scratch {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, schema: String },
}

impl Scratch {
    async fn drop_schema(&self) {
        if let Scratch::Postgres { admin_url, schema } = self {
            use sqlx::Connection;
            if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
                let _ =
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut admin).await;
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Scratch::Sqlite(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs every backend asked for.
pub async fn run(
    options: &CampaignBenchOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<CampaignBenchReport> {
    let mut backends = Vec::new();
    if !options.no_sqlite {
        let dir = std::env::temp_dir().join(format!("madoguchi-bench-campaign-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let db = dir.join("campaign.db").to_string_lossy().into_owned();
        let scratch = Scratch::Sqlite(dir);
        backends.push(measure("SQLite", &db, options, progress).await?);
        drop(scratch);
    }
    if let Some(url) = &options.database_url {
        use sqlx::Connection;
        let schema = format!("madoguchi_bench_campaign_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(url).await?;
        sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut admin).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await?;
        let scratch = Scratch::Postgres { admin_url: url.clone(), schema: schema.clone() };
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = format!("{url}{sep}options[search_path]={schema}");
        let figures = measure("PostgreSQL", &db, options, progress).await;
        scratch.drop_schema().await;
        backends.push(figures?);
    }
    Ok(CampaignBenchReport { backends })
}

/// Seeds the national demo into `db`, serves it on loopback and measures.
async fn measure(
    backend: &str,
    db: &str,
    options: &CampaignBenchOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<BackendFigures> {
    progress(&format!("{backend}: 全国のデモデータを入れています…"));
    let store = crate::server::open_store(db).await?;
    let data = crate::demo::generate(None, crate::demo::DEFAULT_SEED, &|_| {});
    // The campaign under way is made on a copy: the data loaded keeps every 機種未定.
    let mut demo = crate::demo::campaign::demo_campaign(&mut data.clone(), crate::demo::DEFAULT_SEED);
    store.load_seed(&data, Utc::now(), &|_| {}).await?;
    drop(data);
    let mut tokens = HashMap::new();
    for i in 0..=options.operators {
        let (name, role) = if i == 0 {
            ("bench-sv".to_string(), Role::Supervisor)
        } else {
            (format!("bench{i:02}"), Role::Operator)
        };
        let token = format!("bench-campaign-{name}");
        store.add_operator(&name, role, &hash_token(&token), "bench campaign", Utc::now()).await?;
        tokens.insert(name, token);
    }
    let state = AppState::load_with(
        store.clone(),
        Policy::builtin(),
        Clock::At(bench_instant()),
        HashMap::new(),
        IndexBuild::OnFirstLookup,
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::server::run(listener, state, async move {
        let _ = stopped.await;
    }));
    let result = measure_served(backend, &base, &store, &tokens, &mut demo, options, progress).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    result
}

async fn measure_served(
    backend: &str,
    base: &str,
    store: &Arc<dyn Store>,
    tokens: &HashMap<String, String>,
    demo: &mut crate::store::DemoCampaign,
    options: &CampaignBenchOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<BackendFigures> {
    let boss = Client::new(base, Some(tokens["bench-sv"].clone()))?;

    progress(&format!("{backend}: 機種未定すべてのキャンペーンを作っています…"));
    let mut creates = Vec::new();
    let mut id = 0;
    let mut create_members = 0;
    for n in 0..options.creates.max(1) {
        let body = NewCampaign {
            name: format!("bench {n}"),
            filter: CampaignFilter { status: ReaderStatus::Undecided, prefectures: vec![], kinds: vec![] },
        };
        let t = Instant::now();
        let c = boss.create_campaign(&body).await?;
        creates.push(ms(t));
        id = c.id;
        create_members = c.counts.members;
    }

    progress(&format!("{backend}: 次へ（ひとり）…"));
    let alone = Client::new(base, Some(tokens["bench01"].clone()))?;
    let absent = RecordOutcome { outcome: Outcome::Absent, receipt_no: None, call_back_due_at: None };
    let mut next_alone = Vec::new();
    let mut outcome_alone = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        let leased = alone.campaign_next(id).await?;
        next_alone.push(ms(t));
        let t = Instant::now();
        alone.record_campaign_outcome(id, leased.member.id, &absent).await?;
        outcome_alone.push(ms(t));
    }

    progress(&format!("{backend}: 次へ（{}人が同時に）…", options.operators));
    let clients: Vec<Client> = (1..=options.operators)
        .map(|i| Client::new(base, Some(tokens[&format!("bench{i:02}")].clone())))
        .collect::<Result<_, _>>()?;
    let mut me_at_once = Vec::new();
    for _ in 0..options.rounds {
        me_at_once.extend(
            one_round(&clients, |c| async move {
                let t = Instant::now();
                c.me().await?;
                Ok(ms(t))
            })
            .await?,
        );
    }
    let mut at_once = Vec::new();
    let mut outcome_at_once = Vec::new();
    for _ in 0..options.rounds {
        let round = one_round(&clients, |c| {
            let absent = absent.clone();
            async move {
                let t = Instant::now();
                let leased = c.campaign_next(id).await?;
                let took = ms(t);
                let t = Instant::now();
                c.record_campaign_outcome(id, leased.member.id, &absent).await?;
                Ok((took, ms(t)))
            }
        })
        .await?;
        for (next, outcome) in round {
            at_once.push(next);
            outcome_at_once.push(outcome);
        }
    }
    let mut burst = Vec::new();
    for _ in 0..options.rounds {
        let round = one_round(&clients, |c| async move {
            let t = Instant::now();
            let leased = c.campaign_next(id).await?;
            Ok((ms(t), leased.member.id))
        })
        .await?;
        let mut leased = Vec::new();
        for (took, member) in round {
            burst.push(took);
            leased.push(member);
        }
        let mut outcomes = Vec::new();
        for (c, member) in clients.iter().zip(leased) {
            let (c, absent) = (c.clone(), absent.clone());
            outcomes.push(tokio::spawn(async move { c.record_campaign_outcome(id, member, &absent).await }));
        }
        for o in outcomes {
            o.await??;
        }
    }

    let (next_working, outcome_working) = if options.work_seconds > 0 {
        progress(&format!(
            "{backend}: 次へ（{}人がそれぞれのペースで {} 秒）…",
            options.operators, options.work_seconds
        ));
        work(&clients, id, options).await?
    } else {
        (Vec::new(), Vec::new())
    };

    progress(&format!("{backend}: 進捗（30,000 件の架電）…"));
    let members = demo.members.len();
    let history = demo.attempts.clone();
    let mut k = 0;
    while demo.attempts.len() < 30_000 && !history.is_empty() && members > 0 {
        let a = &history[k % history.len()];
        demo.attempts.push(DemoAttempt { member: (k * 7919) % members, ..a.clone() });
        k += 1;
    }
    let demo_id = store.load_demo_campaign(demo).await?;
    let mut prog = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let p = boss.campaign_progress(demo_id).await?;
        prog.push(ms(t));
        std::hint::black_box(p);
    }
    let mut under_way = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let leased = alone.campaign_next(demo_id).await?;
        under_way.push(ms(t));
        alone.record_campaign_outcome(demo_id, leased.member.id, &absent).await?;
    }

    Ok(BackendFigures {
        backend: backend.to_string(),
        create_members,
        create: Latency::of(creates),
        next_alone: Latency::of(next_alone),
        outcome_alone: Latency::of(outcome_alone),
        operators: options.operators,
        me_at_once: Latency::of(me_at_once),
        next_at_once: Latency::of(at_once),
        outcome_at_once: Latency::of(outcome_at_once),
        next_burst: Latency::of(burst),
        next_working: Latency::of(next_working),
        outcome_working: Latency::of(outcome_working),
        call_ms: options.call_ms,
        progress_members: members,
        progress_attempts: demo.attempts.len(),
        progress: Latency::of(prog),
        next_under_way: Latency::of(under_way),
    })
}

/// One round: every client runs `one` at the same instant (released together by a barrier);
/// their answers in the clients' order.
async fn one_round<T, F, Fut>(clients: &[Client], one: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::client::ClientError>> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(clients.len()));
    let mut tasks = Vec::new();
    for c in clients {
        let (barrier, work) = (barrier.clone(), one(c.clone()));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            work.await
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// The operators at work, each in their own rhythm (次へ, a call of `call_ms`, 担当者不在),
/// their starts spread over one call; the latency of every Next and every outcome in
/// `work_seconds`.
async fn work(
    clients: &[Client],
    id: i64,
    options: &CampaignBenchOptions,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let absent = RecordOutcome { outcome: Outcome::Absent, receipt_no: None, call_back_due_at: None };
    let until = Instant::now() + std::time::Duration::from_secs(options.work_seconds);
    let call = std::time::Duration::from_millis(options.call_ms);
    let n = u32::try_from(clients.len()).unwrap_or(u32::MAX).max(1);
    let mut tasks = Vec::new();
    for (i, c) in clients.iter().enumerate() {
        let (c, absent) = (c.clone(), absent.clone());
        let offset = call * u32::try_from(i).unwrap_or(0) / n;
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let (mut nexts, mut outcomes) = (Vec::new(), Vec::new());
            while Instant::now() < until {
                let t = Instant::now();
                let leased = c.campaign_next(id).await?;
                nexts.push(ms(t));
                tokio::time::sleep(call).await;
                let t = Instant::now();
                c.record_campaign_outcome(id, leased.member.id, &absent).await?;
                outcomes.push(ms(t));
            }
            Ok::<_, crate::client::ClientError>((nexts, outcomes))
        }));
    }
    let (mut nexts, mut outcomes) = (Vec::new(), Vec::new());
    for t in tasks {
        let (n, o) = t.await??;
        nexts.extend(n);
        outcomes.extend(o);
    }
    Ok((nexts, outcomes))
}

impl fmt::Display for CampaignBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.backends {
            let (next_goal, backend) =
                if b.backend == "SQLite" { (5, "SQLite") } else { (20, b.backend.as_str()) };
            writeln!(f, "{backend}, national demo data:")?;
            writeln!(
                f,
                "  create (every 機種未定, {} members): median {:.0} ms, max {:.0} ms (goal ≤ 1000 ms)",
                b.create_members, b.create.p50_ms, b.create.max_ms
            )?;
            writeln!(f, "  next, one operator alone: {}", b.next_alone)?;
            writeln!(f, "  outcome, one operator alone: {}", b.outcome_alone)?;
            writeln!(
                f,
                "  the harness alone: GET /v1/me, {} operators at once (no store): {}",
                b.operators, b.me_at_once
            )?;
            writeln!(
                f,
                "  next, {} operators at once, each recording its outcome at once: {} (goal p99 ≤ {next_goal} ms)",
                b.operators, b.next_at_once
            )?;
            writeln!(
                f,
                "  outcome, {} operators at once (the same burst): {}",
                b.operators, b.outcome_at_once
            )?;
            writeln!(
                f,
                "  next, {} operators at once, outcomes after the round: {} (goal p99 ≤ {next_goal} ms)",
                b.operators, b.next_burst
            )?;
            if b.next_working.samples > 0 {
                writeln!(
                    f,
                    "  next, {} operators working (次へ, a {} ms call, 担当者不在, …): {} (goal p99 ≤ {next_goal} ms)",
                    b.operators, b.call_ms, b.next_working
                )?;
                writeln!(f, "  outcome, {} operators working: {}", b.operators, b.outcome_working)?;
            }
            writeln!(
                f,
                "  progress ({} members, {} attempts): median {:.1} ms, max {:.1} ms (goal ≤ 50 ms)",
                b.progress_members, b.progress_attempts, b.progress.p50_ms, b.progress.max_ms
            )?;
            writeln!(f, "  next on that campaign under way, one operator alone: {}", b.next_under_way)?;
        }
        Ok(())
    }
}
