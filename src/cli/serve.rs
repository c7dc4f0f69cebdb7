//! `madoguchi serve`: the API server until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use tokio::net::TcpListener;

use super::target::{default_db, load_policy};
use crate::server::{AppState, Clock, Limits, Rate};
use crate::ssh::door::{DoorLimits, raise_nofile_limit};

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
    #[command(flatten)]
    /// The SSH door's limits before a login.
    pub door: DoorArgs,
    /// Say that a TLS proxy terminates HTTPS in front of this server: silences the warning
    /// printed when listening on an address other than loopback.
    #[arg(long)]
    pub behind_tls: bool,
    #[command(flatten)]
    /// Request rate limits, timeouts and the connection cap.
    pub limits: LimitArgs,
    /// On SIGTERM, keep answering HTTP this many seconds with `/readyz` at 503 `draining`
    /// (the SSH door already closed, its consoles told), so the load balancer moves work
    /// away before the listener closes; a second SIGTERM or Ctrl-C stops at once.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub drain_seconds: u64,
    /// Serve Prometheus metrics (`GET /metrics`) on this address of its own; off unless given.
    /// It has no token: keep it on loopback or a network only the monitoring reaches.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// The log on standard error: `plain` text, or `json`, one object per line with a line per
    /// request (request id, route, status, latency, operator) for a log pipeline.
    #[arg(long, value_enum, default_value_t = LogFormat::Plain, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// How `serve` writes its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text for a person (colours on a terminal); a line per request only for failures.
    Plain,
    /// One JSON object per line, every request included.
    Json,
}

/// The SSH door's limits before a login (the session rules, idle time and sessions per
/// operator, are in the policy's `[ssh]`).
#[derive(Debug, Clone, Args)]
pub struct DoorArgs {
    /// Seconds an SSH client may take from connecting to logging in (handshake and key).
    #[arg(long, default_value_t = 20, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub ssh_login_timeout: u64,
    /// SSH connections not logged in yet, in all (default: from the file-handle limit, at
    /// most 256); more are closed at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub ssh_max_unauthenticated: Option<u64>,
    /// SSH connections not logged in yet, from one address (default 16).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub ssh_max_unauthenticated_per_address: Option<u64>,
}

impl DoorArgs {
    /// The door's limits for a process that may hold `nofile` file handles.
    pub fn limits(&self, nofile: u64) -> DoorLimits {
        let mut l = DoorLimits::for_handles(nofile);
        l.login_timeout = Duration::from_secs(self.ssh_login_timeout);
        if let Some(n) = self.ssh_max_unauthenticated {
            l.max_unauthenticated = n as usize;
        }
        if let Some(n) = self.ssh_max_unauthenticated_per_address {
            l.max_unauthenticated_per_address = n as usize;
        }
        l
    }
}

/// `serve`'s limits (defaults generous: a busy console never meets them).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Requests per second per bearer token (bursts of ten seconds' worth; 0: no limit).
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub rate_per_token: u32,
    /// Requests per second per client address, loopback excepted (bursts of ten seconds'
    /// worth; 0: no limit).
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub rate_per_address: u32,
    /// Apply the per-address limit to loopback clients too (no proxy or SSH consoles share
    /// 127.0.0.1 here).
    #[arg(long)]
    pub rate_limit_loopback: bool,
    /// Seconds a client may take to send a request's headers, and a kept-alive connection may
    /// sit idle.
    #[arg(long, default_value_t = 20, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a request may take, its body included (408 beyond; the event stream is exempt).
    #[arg(long, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Open connections at most (one more gets 503).
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
}

impl LimitArgs {
    /// The server's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            per_token: Rate::per_second(self.rate_per_token),
            per_address: Rate::per_second(self.rate_per_address),
            limit_loopback: self.rate_limit_loopback,
            header_timeout: Duration::from_secs(self.header_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Serves until a signal.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Every connection is a file handle: take all the system allows, and size the SSH door's
    // caps from it (the startup line says both).
    let nofile = raise_nofile_limit();
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
    // The index usually loads in the background while the server starts listening: the line
    // says so rather than "0 institutions" (the log says when it is ready, /healthz too).
    let index = match state.lookup_readiness() {
        crate::api::LookupReadiness::Ready => state
            .lookup
            .read()
            .map(|l| format!("医療機関 {} 件, 検索索引 {:.0} MB", l.len(), l.index_bytes() as f64 / 1e6))
            .unwrap_or_default(),
        _ => "検索索引を読み込み中（数秒で検索できます）".to_string(),
    };
    eprintln!(
        "madoguchi: http://{addr} で待ち受けています（{index}, 営業日 {}, ファイルハンドル上限 {nofile}）",
        clock.today()
    );
    if crate::server::listen::off_loopback(addr) && !args.behind_tls {
        eprintln!(
            "madoguchi: 警告: {addr} は他のマシンから届くアドレスですが、TLS なしの HTTP です。トークンと応対記録が平文で流れます。TLS を終端するリバースプロキシを前に置き（その場合は --behind-tls）、でなければ --listen 127.0.0.1:PORT にしてください"
        );
    }
    if let Some(listen) = &args.metrics_listen {
        start_metrics(listen, state.clone()).await?;
    }
    let ssh = match &args.ssh_listen {
        Some(listen) => Some(std::sync::Arc::new(
            start_ssh(listen, args.ssh_host_key.as_ref(), &db, state.clone(), addr, args.door.limits(nofile))
                .await?,
        )),
        None => None,
    };
    // On a signal: /readyz says draining; the SSH door closes and its sessions end (each
    // client's terminal restored, told why) while the API still answers them; the API keeps
    // answering for --drain-seconds; then it stops taking requests and finishes those in flight.
    let ssh_stop = ssh.clone();
    let drain_state = state.clone();
    let drain = Duration::from_secs(args.drain_seconds);
    let first = crate::server::shutdown_signal();
    let shutdown = async move {
        first.await;
        let again = crate::server::shutdown_signal();
        drain_state.begin_drain();
        tracing::info!("stopping: /readyz answers 503 draining");
        if let Some(ssh) = ssh_stop {
            ssh.stop(std::time::Duration::from_secs(2)).await;
        }
        if !drain.is_zero() {
            eprintln!(
                "madoguchi: 停止の準備中です（/readyz は 503 draining）。{} 秒後に停止します（もう一度 SIGTERM か Ctrl-C で今すぐ）",
                drain.as_secs()
            );
            tokio::select! {
                () = tokio::time::sleep(drain) => {}
                () = again => {}
            }
        }
    };
    crate::server::run_with(listener, state, args.limits.limits(), shutdown).await?;
    drop(ssh);
    eprintln!("madoguchi: 停止しました");
    Ok(())
}

/// Serves `/metrics` on `listen` until the server shuts down.
async fn start_metrics(listen: &str, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("{listen} で待ち受けできません（--metrics-listen）。別のアドレスを指定してください")
    })?;
    let addr = listener.local_addr()?;
    eprintln!("madoguchi: http://{addr}/metrics でメトリクス（Prometheus）を出しています");
    if crate::server::listen::off_loopback(addr) {
        eprintln!(
            "madoguchi: 注意: メトリクスにトークンはありません。{addr} に届くのが監視のネットワークだけであることを確かめてください"
        );
    }
    let stop = state.shutdown_signal();
    state.metrics.enable();
    tokio::spawn(async move {
        if let Err(e) = crate::server::metrics::serve(listener, state, stop).await {
            tracing::error!("the metrics listener stopped: {e}");
        }
    });
    Ok(())
}

/// Starts the SSH front door on `listen`, its consoles talking to the API at `api`.
pub async fn start_ssh(
    listen: &str,
    host_key: Option<&PathBuf>,
    db: &str,
    state: AppState,
    api: std::net::SocketAddr,
    limits: DoorLimits,
) -> anyhow::Result<crate::ssh::SshServer> {
    let path = match host_key {
        Some(p) => p.clone(),
        None => crate::ssh::host_key::default_path(db).ok_or_else(|| {
            anyhow::anyhow!("SSH ホスト鍵の置き場所がありません。--ssh-host-key FILE で指定してください")
        })?,
    };
    let key = crate::ssh::host_key::load_or_create(&path)?;
    let server = crate::ssh::start(listen, key, state, crate::ssh::loopback_api(api), limits).await?;
    let l = server.limits();
    eprintln!(
        "madoguchi: ssh -p {} でコンソールに入れます（ホスト鍵 {} {}; ログイン期限 {} s, 未ログインの接続 {} 本まで（1 アドレス {} 本）, セッション {} 個まで）",
        server.addr.port(),
        server.host_fingerprint,
        path.display(),
        l.login_timeout.as_secs(),
        l.max_unauthenticated,
        l.max_unauthenticated_per_address,
        l.max_sessions
    );
    Ok(server)
}
