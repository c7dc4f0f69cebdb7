//! `madoguchi` with no subcommand: the operator console, on a remote server (`--server`) or
//! on a server started in this process over the local database, seeded on first run.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use clap::Args;

use super::target::{default_db, demo_date, load_config, load_policy};
use crate::client::Client;
use crate::server::{EmbeddedOptions, IndexBuild, SeedOptions};
use crate::tui::ConsoleConfig;

/// How long the embedded server may take to stop after the console has ended.
const EMBEDDED_STOP: std::time::Duration = std::time::Duration::from_millis(500);

/// Options of the console (given before any subcommand).
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Connect to this API server instead of running one in-process.
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub server: Option<String>,
    /// Token for --server (else MADOGUCHI_TOKEN, else the config file).
    #[arg(long, env = "MADOGUCHI_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Database of the in-process server (default: the user's data folder; demo data is
    /// created on first run).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: Option<String>,
    /// Business date of the in-process server (default: the demo date 2021-07-15).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Policy file of the in-process server.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// A keymap file layered over the defaults.
    #[arg(long, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// ASCII borders and symbols (for terminals that draw box characters two cells wide).
    #[arg(long)]
    pub ascii: bool,
    /// Also let operators `ssh -p PORT` into consoles of the in-process server while this
    /// console is open (keys from `operator key add`). Off unless given.
    #[arg(long, value_name = "ADDR", conflicts_with = "server")]
    pub ssh_listen: Option<String>,
    /// The SSH host key (created on first start, mode 600); default: beside the database.
    #[arg(long, value_name = "FILE", requires = "ssh_listen")]
    pub ssh_host_key: Option<PathBuf>,
}

impl ConsoleArgs {
    /// The first console option given on the command line (`--db`, not `db`), if any. The
    /// token is left out: it also comes from `MADOGUCHI_TOKEN`, which is not a choice made on
    /// this command line.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.server.is_some(), "--server"),
            (self.db.is_some(), "--db"),
            (self.as_of.is_some(), "--as-of"),
            (self.policy.is_some(), "--policy"),
            (self.keymap.is_some(), "--keymap"),
            (self.ascii, "--ascii"),
            (self.ssh_listen.is_some(), "--ssh-listen"),
            (self.ssh_host_key.is_some(), "--ssh-host-key"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }
}

/// Opens the console.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let config = load_config()?;
    let server = args.server.clone().or(if args.db.is_none() { config.server.clone() } else { None });
    let keymap_path = args.keymap.clone();
    if let Some(url) = server {
        let token = args.token.clone().or(config.token).ok_or_else(|| {
            anyhow!("{url} 用のトークンがありません。--token、環境変数 MADOGUCHI_TOKEN、設定ファイルのどれかで指定してください")
        })?;
        let client = Client::new(&url, Some(token))?;
        client
            .me()
            .await
            .with_context(|| format!("{url} に接続できません。URL とトークンを確かめてください"))?;
        let config = ConsoleConfig { client, server_label: url, keymap_path, ascii: args.ascii };
        crate::tui::run(config).await?;
        return Ok(());
    }
    let db = match &args.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    let policy = load_policy(args.policy.as_ref())?;
    let progress = |line: &str| eprintln!("madoguchi: {line}");
    let embedded = crate::server::start_embedded(
        &db,
        EmbeddedOptions {
            as_of: Some(args.as_of.unwrap_or_else(demo_date)),
            policy,
            seed_if_empty: Some(SeedOptions { institutions: None, seed: super::seed::DEFAULT_SEED }),
            progress: &progress,
            index: IndexBuild::AtStart,
        },
    )
    .await
    .with_context(|| format!("データベース {db} で起動できません"))?;
    let client = embedded.client()?;
    let ssh = match &args.ssh_listen {
        Some(listen) => Some(
            super::serve::start_ssh(
                listen,
                args.ssh_host_key.as_ref(),
                &db,
                embedded.state.clone(),
                embedded.addr,
                crate::ssh::door::DoorLimits::default(),
            )
            .await?,
        ),
        None => None,
    };
    let result = crate::tui::run(ConsoleConfig {
        client,
        server_label: "embedded".to_string(),
        keymap_path,
        ascii: args.ascii,
    })
    .await;
    // The SSH sessions live on this process's server: they end with this console, each told
    // why, before the server stops.
    if let Some(ssh) = ssh {
        ssh.stop(EMBEDDED_STOP).await;
    }
    // Within the console's one second to leave after its terminal is gone: a change in flight
    // is one transaction, so it is committed or not either way.
    let _ = tokio::time::timeout(EMBEDDED_STOP, embedded.shutdown()).await;
    Ok(result?)
}
