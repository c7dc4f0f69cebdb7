//! `madoguchi bench search|relevance|load`: printed measurements, not timed tests.

use clap::{Args, Subcommand};

use super::output;
use super::target::Target;
use crate::bench::load::{self, LoadOptions};

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

/// `bench` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchCommand {
    /// Recall of the FAQ (and institution) search on the shipped relevance sets.
    Relevance,
    /// Lookups/s and changes/s against a server (run it from a second process with --server).
    Load(LoadArgs),
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
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.command {
        BenchCommand::Relevance => {
            let faq = crate::bench::relevance_faq::run_builtin()?;
            output::lines([faq.to_string()])
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
            };
            let result = load::run(&session.client, options).await;
            session.close().await;
            let report = result?;
            if a.json { output::json(&report) } else { output::lines([report.to_string()]) }
        }
    }
}
