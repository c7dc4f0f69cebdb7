//! `madoguchi serve`: the API server until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use tokio::net::TcpListener;

use super::target::{default_db, load_policy};
use crate::server::{AppState, Clock};

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// SQLite path or postgres:// URL (default: the user's data folder; created if missing).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// Fix the business date (demos, tests); default: today in Japan.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Policy file (dates, quotas, subsidy table); default: the built-in policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Also serve the console over SSH on this address (operators `ssh -p PORT host`; keys
    /// from `operator key add`). Off unless given.
    #[arg(long, value_name = "ADDR")]
    pub ssh_listen: Option<String>,
    /// The SSH host key (created on first start, mode 600); default: beside the database.
    #[arg(long, value_name = "FILE", requires = "ssh_listen")]
    pub ssh_host_key: Option<PathBuf>,
}

/// Serves until a signal.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let db = match &args.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    let policy = load_policy(args.policy.as_ref())?;
    let store =
        crate::server::open_store(&db).await.with_context(|| format!("データベース {db} を開けません"))?;
    let clock = args.as_of.map(Clock::Fixed).unwrap_or(Clock::Real);
    let state = AppState::load(store, policy, clock, Default::default())
        .await
        .with_context(|| format!("データベース {db} を読めません"))?;
    let listener = TcpListener::bind(&args.listen).await.with_context(|| {
        format!("{} で待ち受けできません。--listen で別のアドレスを指定してください", args.listen)
    })?;
    let addr = listener.local_addr()?;
    let (count, index_mb) =
        state.lookup.read().map(|l| (l.len(), l.index_bytes() as f64 / 1e6)).unwrap_or((0, 0.0));
    eprintln!(
        "madoguchi: http://{addr} で待ち受けています（医療機関 {count} 件, 検索索引 {index_mb:.0} MB, 営業日 {}）",
        clock.today()
    );
    let ssh = match &args.ssh_listen {
        Some(listen) => Some(std::sync::Arc::new(
            start_ssh(listen, args.ssh_host_key.as_ref(), &db, state.clone(), addr).await?,
        )),
        None => None,
    };
    // On a signal the SSH sessions end first (each client's terminal restored, told why),
    // while the API still answers them; then the API stops.
    let ssh_stop = ssh.clone();
    let shutdown = async move {
        crate::server::shutdown_signal().await;
        if let Some(ssh) = ssh_stop {
            ssh.stop(std::time::Duration::from_secs(2)).await;
        }
    };
    crate::server::run(listener, state, shutdown).await?;
    drop(ssh);
    eprintln!("madoguchi: 停止しました");
    Ok(())
}

/// Starts the SSH front door on `listen`, its consoles talking to the API at `api`.
pub async fn start_ssh(
    listen: &str,
    host_key: Option<&PathBuf>,
    db: &str,
    state: AppState,
    api: std::net::SocketAddr,
) -> anyhow::Result<crate::ssh::SshServer> {
    let path = match host_key {
        Some(p) => p.clone(),
        None => crate::ssh::host_key::default_path(db).ok_or_else(|| {
            anyhow::anyhow!("SSH ホスト鍵の置き場所がありません。--ssh-host-key FILE で指定してください")
        })?,
    };
    let key = crate::ssh::host_key::load_or_create(&path)?;
    let server = crate::ssh::start(listen, key, state, crate::ssh::loopback_api(api)).await?;
    eprintln!(
        "madoguchi: ssh -p {} でコンソールに入れます（ホスト鍵 {} {}）",
        server.addr.port(),
        server.host_fingerprint,
        path.display()
    );
    Ok(server)
}
