//! The command line (clap): the console by default, the server, and commands for scripts.
//! One file per subcommand; `anyhow` is used here and in `main.rs` only.
//!
//! Every query command talks to the API through [`crate::client::Client`]: to `--server URL`
//! with a token, or to a server started in this process over `--db PATH` (default: the
//! user's data folder). A missing database is created and migrated, never seeded.

pub(crate) mod audit;
pub(crate) mod backup;
pub(crate) mod bench;
pub(crate) mod campaign;
pub(crate) mod change;
pub(crate) mod code;
pub(crate) mod console;
pub(crate) mod faq;
pub(crate) mod import;
pub(crate) mod lookup;
pub(crate) mod models;
pub(crate) mod operator;
pub(crate) mod output;
pub(crate) mod report;
pub(crate) mod seed;
pub mod serve;
pub(crate) mod show;
pub(crate) mod subsidy;
pub(crate) mod target;

use clap::{Parser, Subcommand};

/// madoguchi (窓口): the console and API of the online eligibility verification call center.
#[derive(Debug, Parser)]
#[command(name = "madoguchi", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    /// The subcommand; none opens the console.
    pub command: Option<Command>,
    #[command(flatten)]
    /// The console's options (also used when no subcommand is given).
    pub console: console::ConsoleArgs,
}

/// The subcommands; none opens the console.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server.
    Serve(serve::ServeArgs),
    /// Create demo data for the whole country (replaces what the database holds).
    Seed(seed::SeedArgs),
    /// Import institutions from a CSV file.
    Import(import::ImportArgs),
    /// Search the FAQ, or import FAQ entries (`faq import FILE.jsonl`).
    Faq(faq::FaqArgs),
    /// Manage operator tokens.
    Operator(operator::OperatorArgs),
    /// Look up institutions by name, reading, romaji, code or phone.
    Lookup(lookup::LookupArgs),
    /// Show one institution and its reader application.
    Show(show::ShowArgs),
    /// The reader model catalog (ids for `change --model`).
    Models(models::ModelsArgs),
    /// Change the model (and units) of a reader application.
    Change(change::ChangeArgs),
    /// Subsidy calculator.
    Subsidy(subsidy::SubsidyArgs),
    /// Check an institution code.
    Code(code::CodeArgs),
    /// The audit trail.
    Audit(audit::AuditArgs),
    /// Reports for supervisors (`report calls --from D --to D --csv`).
    Report(report::ReportArgs),
    /// A consistent copy of the embedded (SQLite) database, taken while it is in use.
    Backup(backup::BackupArgs),
    /// Measurements: search latency, relevance, server load.
    Bench(bench::BenchArgs),
    /// 架電キャンペーン: outreach before the deadline (create, list, progress, export, ...).
    Campaign(campaign::CampaignArgs),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Options before a subcommand are the console's: `madoguchi --db X operator add N` would
    // otherwise work on the default database without a word.
    if let (Some(_), Some(flag)) = (&cli.command, cli.console.first_given()) {
        anyhow::bail!(
            "{flag} がサブコマンドの前にあります。サブコマンドの後に書いてください（例: madoguchi operator add 名前 {flag} …）。サブコマンドの前のオプションはコンソールだけのものです"
        );
    }
    match cli.command {
        None => console::run(cli.console).await,
        Some(Command::Serve(a)) => serve::run(a).await,
        Some(Command::Seed(a)) => seed::run(a).await,
        Some(Command::Import(a)) => import::run(a).await,
        Some(Command::Faq(a)) => faq::run(a).await,
        Some(Command::Operator(a)) => operator::run(a).await,
        Some(Command::Lookup(a)) => lookup::run(a).await,
        Some(Command::Show(a)) => show::run(a).await,
        Some(Command::Models(a)) => models::run(a).await,
        Some(Command::Change(a)) => change::run(a).await,
        Some(Command::Subsidy(a)) => subsidy::run(a),
        Some(Command::Code(a)) => code::run(a),
        Some(Command::Audit(a)) => audit::run(a).await,
        Some(Command::Report(a)) => report::run(a).await,
        Some(Command::Backup(a)) => backup::run(a).await,
        Some(Command::Bench(a)) => bench::run(a).await,
        Some(Command::Campaign(a)) => campaign::run(a).await,
    }
}
