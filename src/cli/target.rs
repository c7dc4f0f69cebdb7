//! Where a query command sends its requests: `--server URL` with a token (flag,
//! `MADOGUCHI_TOKEN` or the config file), or a server started in this process over
//! `--db PATH` (default: the user's data folder). Either way the command talks HTTP through
//! the one client.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use clap::Args;
use serde::Deserialize;

use crate::client::Client;
use crate::domain::Policy;
use crate::server::{Embedded, EmbeddedOptions, IndexBuild};

/// The business date of the embedded demo: demo data is of mid-2021 (the seed notice's July).
pub const DEMO_DATE: (i32, u32, u32) = (2021, 7, 15);

/// The demo business date as a date.
pub fn demo_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(DEMO_DATE.0, DEMO_DATE.1, DEMO_DATE.2).unwrap_or_default()
}

/// `--server/--token` or `--db`, shared by every command that talks to the API.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// API server URL (e.g. http://host:8080); without it, a server runs in this process over --db.
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    pub server: Option<String>,
    /// Token for --server (else MADOGUCHI_TOKEN, else the config file's `token`).
    #[arg(long, env = "MADOGUCHI_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Database for the in-process server: SQLite path or postgres:// URL
    /// (default: the user's data folder; created if missing, never seeded).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: Option<String>,
    /// Business date of the in-process server (default: the demo date 2021-07-15).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Policy file of the in-process server (default: the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// `~/.config/madoguchi/config.toml`: defaults for operators on a shared host.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Server URL used when neither --server nor --db is given.
    pub server: Option<String>,
    pub token: Option<String>,
}

/// Where the config file lives.
pub fn config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("madoguchi").join("config.toml"))
}

/// Reads the config file if it exists; a broken file is an error naming it.
pub fn load_config() -> anyhow::Result<ConfigFile> {
    let Some(path) = config_path() else { return Ok(ConfigFile::default()) };
    let config: ConfigFile = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| anyhow!("設定ファイル {} を読めません: {}", path.display(), e.message()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(e) => return Err(anyhow!("設定ファイル {} を読めません: {e}", path.display())),
    };
    if config.token.is_some() {
        refuse_if_others_can_read(&path)?;
    }
    Ok(config)
}

/// A file holding a token must be readable by its owner only: anyone who can read it can act
/// as that operator.
fn refuse_if_others_can_read(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(anyhow!(
                "設定ファイル {0} にはトークンがありますが、ほかの人も読めます（{1:o}）。chmod 600 {0} を実行してください",
                path.display(),
                mode & 0o777
            ));
        }
    }
    let _ = path;
    Ok(())
}

/// The default database: `<data folder>/madoguchi/madoguchi.db`, its folder created.
pub fn default_db() -> anyhow::Result<String> {
    let dir = dirs::data_dir()
        .ok_or_else(|| anyhow!("データフォルダが分かりません。--db PATH でデータベースを指定してください"))?
        .join("madoguchi");
    crate::store::sqlite_file::create_private_dir(&dir)?;
    Ok(dir.join("madoguchi.db").to_string_lossy().into_owned())
}

/// Loads `--policy FILE`, or the built-in policy.
pub fn load_policy(path: Option<&PathBuf>) -> anyhow::Result<Policy> {
    match path {
        Some(p) => Ok(Policy::load(p)?),
        None => Ok(Policy::builtin()),
    }
}

/// A client ready to use, and the in-process server behind it when there is one.
pub struct Session {
    pub client: Client,
    /// Kept alive for the session; `None` when talking to a remote server.
    pub embedded: Option<Embedded>,
}

impl Session {
    /// Stops the in-process server, if any, waiting for requests in flight.
    pub async fn close(self) {
        if let Some(e) = self.embedded {
            e.shutdown().await;
        }
    }
}

impl Target {
    /// Connects as the arguments say.
    pub async fn connect(&self) -> anyhow::Result<Session> {
        let config = if self.server.is_none() || self.token.is_none() {
            load_config()?
        } else {
            ConfigFile::default()
        };
        let server = match (&self.server, &self.db) {
            (Some(s), _) => Some(s.clone()),
            (None, None) => config.server.clone(),
            (None, Some(_)) => None,
        };
        if let Some(url) = server {
            let token = self.token.clone().or(config.token).ok_or_else(|| {
                anyhow!("{url} 用のトークンがありません。--token、環境変数 MADOGUCHI_TOKEN、設定ファイルのどれかで指定してください")
            })?;
            let client = Client::new(&url, Some(token))?;
            return Ok(Session { client, embedded: None });
        }
        let db = match &self.db {
            Some(db) => db.clone(),
            None => default_db()?,
        };
        let policy = load_policy(self.policy.as_ref())?;
        let embedded = crate::server::start_embedded(
            &db,
            EmbeddedOptions {
                as_of: Some(self.as_of.unwrap_or_else(demo_date)),
                policy,
                seed_if_empty: None,
                progress: &|_| {},
                index: IndexBuild::OnFirstLookup,
            },
        )
        .await
        .with_context(|| format!("データベース {db} を開けません"))?;
        if embedded.institutions == 0 {
            eprintln!(
                "madoguchi: データベース {db} に医療機関がありません（デモデータは madoguchi seed --db {db} で作れます）"
            );
        }
        let client = embedded.client()?;
        Ok(Session { client, embedded: Some(embedded) })
    }
}
