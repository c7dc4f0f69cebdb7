//! `madoguchi bench search|relevance|faq|load|ssh|campaign`: printed measurements, not timed tests.

use clap::{Args, Subcommand};

use super::output;
use super::target::Target;
use crate::bench::load::{self, LoadOptions};
use crate::bench::search::SearchBenchOptions;

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// `bench` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchCommand {
    /// Per-keystroke lookup latency over the demo data, beside a memmem floor and fzf.
    Search(SearchArgs),
    /// Recall of the FAQ (and institution) search on the shipped relevance sets.
    Relevance {
        /// Weight of the FAQ's concept terms (synonyms) to try on the meaning sets instead of
        /// the built-in one (0 turns them off).
        #[arg(long, value_name = "W")]
        faq_concept_weight: Option<f64>,
    },
    /// The FAQ at 1,786 and 20,000 entries: import through a real server, one edit, the index,
    /// query and suggestion latency.
    Faq {
        #[arg(long)]
        json: bool,
    },
    /// Lookups/s and changes/s against a server (run it from a second process with --server).
    Load(LoadArgs),
    /// Real SSH sessions on loopback against `serve --ssh-listen` (started here, over --db):
    /// time to the first frame and lookup, idle CPU and memory per session, keystroke latency.
    Ssh(SshArgs),
    /// 架電キャンペーン on the national demo data, through a loopback server: create a campaign
    /// of every 機種未定, 次へ alone and by many operators at once, the progress (burn-down) of
    /// ~8,200 members and 30,000 attempts; SQLite, and PostgreSQL with --database-url.
    Campaign(CampaignBenchArgs),
}

/// Options of `bench campaign`.
#[derive(Debug, Clone, Args)]
pub struct CampaignBenchArgs {
    /// Operators pressing 次へ at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub operators: u16,
    /// Rounds of everyone pressing 次へ at once.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub rounds: u16,
    /// Seconds the operators then work in their own rhythm (次へ, a call, an outcome); 0 skips it.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub work_seconds: u64,
    /// The call of that rhythm, ms (a real one lasts minutes: this floor is far busier).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub call_ms: u64,
    /// PostgreSQL to measure too (a scratch schema is made and dropped); default
    /// MADOGUCHI_TEST_DATABASE_URL when set.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    pub no_sqlite: bool,
    #[arg(long)]
    pub json: bool,
}

/// Options of `bench ssh`.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// The database to serve (an existing one: the national demo is `madoguchi seed`).
    /// Operators `bench-ssh-001`… (one per session; with `--typists`, also `bench-w` and the
    /// supervisor `bench-sv`) are added to it if missing; their keys are removed afterwards.
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: String,
    /// Concurrent SSH sessions.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=398))]
    pub sessions: u16,
    /// Seconds the sessions sit idle while the server's CPU is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub idle_seconds: u64,
    /// Keystrokes typed in one session (each session types a tenth of that in the
    /// all-at-once phase).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u16).range(1..=5000))]
    pub keystrokes: u16,
    /// The floor mix at the end: this many sessions type at a person's pace (a key every
    /// 150–300 ms) while a supervisor's session watches one of them (0: no floor mix).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=500))]
    pub typists: u16,
    /// Seconds the floor mix lasts.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(5..=600))]
    pub floor_seconds: u64,
    /// Business date of the server (the demo data's is 2021-07-15); default: today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    #[arg(long)]
    pub json: bool,
}

/// Options of `bench search`.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Institutions to generate (default: the national scale, about 242,000).
    #[arg(long, value_name = "N")]
    pub institutions: Option<usize>,
    /// Queries typed per class (kanji, kana, romaji, digits).
    #[arg(long, default_value_t = 50)]
    pub queries_per_class: usize,
    /// Results asked for per keystroke.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Skip fzf even when it is installed.
    #[arg(long)]
    pub no_fzf: bool,
    #[arg(long)]
    pub json: bool,
}

/// Options of `bench load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Seconds per phase (lookups, then changes).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent lookup clients.
    #[arg(long, default_value_t = 16)]
    pub lookup_workers: usize,
    /// Concurrent change clients.
    #[arg(long, default_value_t = 8)]
    pub change_workers: usize,
    /// Results asked for per lookup.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Process id of the server under load, when it runs on this machine: its resident memory
    /// (RSS) is reported.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Search(a) => {
            let options = SearchBenchOptions {
                institutions: a.institutions,
                queries_per_class: a.queries_per_class,
                limit: a.limit,
                no_fzf: a.no_fzf,
                ..SearchBenchOptions::default()
            };
            let report = tokio::task::spawn_blocking(move || {
                crate::bench::search::run(&options, &|line: &str| eprintln!("madoguchi: {line}"))
            })
            .await?;
            if a.json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
        BenchCommand::Relevance { faq_concept_weight } => {
            let institutions = crate::bench::relevance_institutions::run_builtin()?;
            let readings = crate::bench::relevance_readings::run_builtin();
            let typos = crate::bench::relevance_typos::run_builtin();
            let places = crate::bench::relevance_places::run_builtin().map_err(anyhow::Error::msg)?;
            let kana_drop = crate::bench::relevance_kana_drop::run_builtin().map_err(anyhow::Error::msg)?;
            let faq = crate::bench::relevance_faq::run_builtin()?;
            let suggest = crate::bench::relevance_suggest::run_builtin().map_err(anyhow::Error::msg)?;
            let mut params = crate::search::faq_index::FaqParams::default();
            params.w_concept = faq_concept_weight.unwrap_or(params.w_concept);
            let meaning = crate::bench::relevance_meaning::compare(params)?;
            output::lines([
                institutions.to_string(),
                readings.to_string(),
                typos.to_string(),
                places.to_string(),
                kana_drop.to_string(),
                faq.to_string(),
                suggest.to_string(),
                meaning.iter().map(ToString::to_string).collect::<String>(),
            ])
        }
        BenchCommand::Faq { json } => {
            let report = crate::bench::faq_scale::run(&|line: &str| eprintln!("madoguchi: {line}")).await?;
            if json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
        BenchCommand::Load(a) => {
            if a.target.server.is_none() {
                eprintln!(
                    "madoguchi: --server がないので、このプロセス内のサーバーに負荷をかけます（本来は別プロセスから）"
                );
            }
            let session = a.target.connect().await?;
            let options = LoadOptions {
                seconds: a.seconds,
                lookup_workers: a.lookup_workers,
                change_workers: a.change_workers,
                limit: a.limit,
                server_pid: a.server_pid,
            };
            let result = load::run(&session.client, options).await;
            session.close().await;
            let report = result?;
            if a.json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
        BenchCommand::Campaign(a) => {
            let database_url =
                a.database_url.clone().or_else(|| std::env::var("MADOGUCHI_TEST_DATABASE_URL").ok());
            if a.no_sqlite && database_url.is_none() {
                anyhow::bail!("--no-sqlite には --database-url（PostgreSQL の URL）が要ります");
            }
            let options = crate::bench::campaign::CampaignBenchOptions {
                operators: usize::from(a.operators),
                rounds: usize::from(a.rounds),
                work_seconds: a.work_seconds,
                call_ms: a.call_ms,
                database_url,
                no_sqlite: a.no_sqlite,
                ..Default::default()
            };
            let report =
                crate::bench::campaign::run(&options, &|line: &str| eprintln!("madoguchi: {line}")).await?;
            if a.json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
        BenchCommand::Ssh(a) => {
            let report = run_ssh(a.clone()).await?;
            if a.json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
    }
}

/// The operators the SSH bench logs in as: this, a dash and the session's number.
const BENCH_OPERATOR: &str = "bench-ssh";
/// The floor mix's watched operator and watching supervisor.
const BENCH_WATCHED: &str = "bench-w";
const BENCH_SUPERVISOR: &str = "bench-sv";

/// Registers a fresh key for the bench operator, starts the server, runs the bench, stops the
/// server and removes the key again (also when the bench failed).
async fn run_ssh(a: SshArgs) -> anyhow::Result<crate::bench::ssh::SshBenchReport> {
    use crate::bench::ssh::{self, SshBenchOptions};
    use crate::bench::ssh_server::{Scratch, ServerProcess};
    let progress = |line: &str| eprintln!("madoguchi: {line}");
    let target = Target { db: Some(a.db.clone()), server: None, token: None, as_of: None, policy: None };
    use crate::api::Role;
    // One operator per session, as on a floor (the door caps sessions per operator).
    let desks = usize::from(a.sessions);
    let mut users = Vec::with_capacity(desks + 2);
    for i in 1..=desks {
        users.push((
            format!("{BENCH_OPERATOR}-{i:03}"),
            Role::Operator,
            ssh::bench_key().map_err(anyhow::Error::msg)?,
        ));
    }
    if a.typists > 0 {
        users.push((
            BENCH_WATCHED.to_string(),
            Role::Operator,
            ssh::bench_key().map_err(anyhow::Error::msg)?,
        ));
        users.push((
            BENCH_SUPERVISOR.to_string(),
            Role::Supervisor,
            ssh::bench_key().map_err(anyhow::Error::msg)?,
        ));
    }
    progress(&format!("ベンチ用のオペレーター {} 人に鍵を登録しています…", users.len()));
    let session = target.connect().await?;
    let mut fingerprints = Vec::new();
    for (name, role, key) in &users {
        let public = key.public_key().to_openssh()?;
        let added = async {
            match session.client.add_operator(name, *role).await {
                Ok(_) | Err(crate::client::ClientError::Api { status: 409, .. }) => {}
                Err(e) => return Err(e),
            }
            session.client.add_ssh_key(name, &public).await
        }
        .await;
        match added {
            Ok(k) => fingerprints.push(k.fingerprint),
            Err(e) => {
                session.close().await;
                return Err(e.into());
            }
        }
    }
    session.close().await;
    let floor = (a.typists > 0).then(|| ssh::FloorMixOptions {
        typists: usize::from(a.typists),
        seconds: a.floor_seconds,
        watched: BENCH_WATCHED.to_string(),
        watched_key: users[desks].2.clone(),
        supervisor_key: users[desks + 1].2.clone(),
    });
    let keys: Vec<_> = users.iter().take(desks).map(|u| u.2.clone()).collect();

    let scratch = Scratch::new().map_err(anyhow::Error::msg)?;
    let host_key = scratch.0.join("host_key");
    let db = a.db.clone();
    let as_of = a.as_of.map(|d| d.to_string());
    progress("サーバーを起動しています（索引ができるまで）…");
    let started = std::time::Instant::now();
    let server = tokio::task::spawn_blocking(move || {
        ServerProcess::start(&db, &host_key, as_of.as_deref(), desks + 2)
    })
    .await?;
    let result = match server {
        Ok(server) => {
            let options = SshBenchOptions {
                sessions: usize::from(a.sessions),
                idle_seconds: a.idle_seconds,
                keystrokes: usize::from(a.keystrokes),
                floor,
            };
            let r = ssh::run(&server, started, keys, &options, &progress).await;
            tokio::task::spawn_blocking(move || server.stop()).await?;
            r
        }
        Err(e) => Err(e),
    };
    let session = target.connect().await?;
    let mut removed = Ok(());
    for fingerprint in &fingerprints {
        if let Err(e) = session.client.remove_ssh_key(fingerprint).await {
            removed = Err(e);
        }
    }
    session.close().await;
    removed?;
    result.map_err(anyhow::Error::msg)
}
