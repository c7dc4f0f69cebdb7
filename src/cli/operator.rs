//! `madoguchi operator add NAME --role R`: issues a token and prints it alone on standard
//! output (so a script can capture it); only its hash is stored; one token in force per name.
//! `operator revoke NAME`: withdraws it everywhere within seconds. `operator key add|list|
//! remove`: the SSH public keys operators log in with (`serve --ssh-listen`).

use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::output;
use super::target::Target;
use crate::api::Role;

/// Options of `operator`.
#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    #[command(subcommand)]
    pub command: OperatorCommand,
}

/// `operator` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum OperatorCommand {
    /// Issue a token for a new operator; the token is printed once, alone on stdout.
    Add(AddArgs),
    /// Revoke an operator's token: refused (401) on every server within seconds, the
    /// operator's SSH sessions end, and the name can be issued again.
    Revoke(RevokeArgs),
    /// The SSH public keys operators log in with (`madoguchi serve --ssh-listen`).
    Key(KeyArgs),
}

/// Options of `operator revoke`.
#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// The operator's name, as given to `operator add`.
    pub name: String,
    /// Print {name, role, revoked_at} as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `operator key`.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub command: KeyCommand,
}

/// `operator key` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum KeyCommand {
    /// Let an operator log in over SSH with this public key ("ssh-ed25519 AAAA… comment", or
    /// the path of the .pub file).
    Add(KeyAddArgs),
    /// Every registered key: operator, fingerprint, comment.
    List(KeyListArgs),
    /// Remove a key (by the fingerprint `key list` prints); its open sessions end.
    Remove(KeyRemoveArgs),
}

/// Options of `operator key add`.
#[derive(Debug, Clone, Args)]
pub struct KeyAddArgs {
    /// The operator (as in `operator add`).
    pub name: String,
    /// The public key line, or the path of a .pub file.
    pub public_key: String,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `operator key list`.
#[derive(Debug, Clone, Args)]
pub struct KeyListArgs {
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `operator key remove`.
#[derive(Debug, Clone, Args)]
pub struct KeyRemoveArgs {
    /// `SHA256:…`, as `key list` (or `ssh-keygen -lf KEY.pub`) prints it.
    pub fingerprint: String,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// The roles a token can have, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Operator,
    Supervisor,
    /// Read-only FAQ search (the portal chatbot).
    Service,
    /// The phone system: screen pops only.
    Telephony,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Operator => Role::Operator,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Service => Role::Service,
            RoleArg::Telephony => Role::Telephony,
        }
    }
}

/// Options of `operator add`.
#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The operator's name, as it appears in the audit trail.
    pub name: String,
    #[arg(long, value_enum, default_value = "operator")]
    pub role: RoleArg,
    /// Print {name, role, token} as JSON instead of the bare token.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: OperatorArgs) -> anyhow::Result<()> {
    match args.command {
        OperatorCommand::Add(a) => {
            let session = a.target.connect().await?;
            let issued = session.client.add_operator(&a.name, a.role.into()).await;
            session.close().await;
            let issued = issued?;
            if a.json { output::json(&issued) } else { output::lines([issued.token]) }
        }
        OperatorCommand::Revoke(a) => {
            let session = a.target.connect().await?;
            let revoked = session.client.revoke_operator(&a.name).await;
            session.close().await;
            let r = revoked?;
            if a.json {
                output::json(&r)
            } else {
                output::lines([format!(
                    "{}（{}）のトークンを取り消しました。どのサーバーでも数秒以内に使えなくなり、SSH の接続も終了します",
                    r.name,
                    r.role.as_str()
                )])
            }
        }
        OperatorCommand::Key(k) => run_key(k.command).await,
    }
}

/// A key given as a line, or as the path of a file holding one.
fn key_text(arg: &str) -> anyhow::Result<String> {
    let looks_like_key = arg.starts_with("ssh-") || arg.starts_with("ecdsa-") || arg.starts_with("sk-");
    if !looks_like_key && Path::new(arg).is_file() {
        return std::fs::read_to_string(arg)
            .with_context(|| format!("{arg} を読めません"))
            .map(|t| t.lines().next().unwrap_or("").to_string());
    }
    Ok(arg.to_string())
}

async fn run_key(command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Add(a) => {
            let text = key_text(&a.public_key)?;
            let session = a.target.connect().await?;
            let added = session.client.add_ssh_key(&a.name, &text).await;
            session.close().await;
            let k = added?;
            if a.json {
                output::json(&k)
            } else {
                output::lines([format!(
                    "{} の鍵 {} を登録しました（{}）",
                    k.operator, k.fingerprint, k.comment
                )])
            }
        }
        KeyCommand::List(a) => {
            let session = a.target.connect().await?;
            let keys = session.client.ssh_keys().await;
            session.close().await;
            let keys = keys?;
            if a.json {
                return output::json(&keys);
            }
            output::lines(keys.iter().map(|k| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    k.operator,
                    k.fingerprint,
                    k.algorithm,
                    k.comment,
                    k.added_at.to_rfc3339()
                )
            }))
        }
        KeyCommand::Remove(a) => {
            let session = a.target.connect().await?;
            let removed = session.client.remove_ssh_key(a.fingerprint.trim()).await;
            session.close().await;
            let k = removed?;
            if a.json {
                output::json(&k)
            } else {
                output::lines([format!(
                    "{} の鍵 {} を削除しました（開いている接続は終了します）",
                    k.operator, k.fingerprint
                )])
            }
        }
    }
}
