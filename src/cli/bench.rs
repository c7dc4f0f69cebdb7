//! `madoguchi bench search|relevance|load`: printed measurements, not timed tests.

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
    Relevance,
    /// Lookups/s and changes/s against a server (run it from a second process with --server).
    Load(LoadArgs),
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
        BenchCommand::Relevance => {
            let institutions = crate::bench::relevance_institutions::run_builtin()?;
            let readings = crate::bench::relevance_readings::run_builtin();
            let typos = crate::bench::relevance_typos::run_builtin();
            let faq = crate::bench::relevance_faq::run_builtin()?;
            output::lines([
                institutions.to_string(),
                readings.to_string(),
                typos.to_string(),
                faq.to_string(),
            ])
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
    }
}
