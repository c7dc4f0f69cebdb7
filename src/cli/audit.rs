//! `madoguchi audit verify` (check the hash chain end to end) and `madoguchi audit list`.

use anyhow::bail;
use clap::{Args, Subcommand};

use super::output;
use super::target::Target;

/// Options of `audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// `audit` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Check every event's hash and link; non-zero exit if the chain is broken.
    Verify(VerifyArgs),
    /// List audit events (optionally for one institution).
    List(ListArgs),
}

/// Options of `audit verify`.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `audit list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only events of this institution.
    #[arg(long)]
    pub code: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify(a) => {
            let session = a.target.connect().await?;
            let result = session.client.verify_audit().await;
            session.close().await;
            let v = result?;
            if a.json {
                output::json(&v)?;
            } else if v.ok {
                output::lines([format!("変更履歴 {} 件: ハッシュの鎖に異常はありません", v.events)])?;
            }
            if let Some(seq) = v.first_broken_seq {
                bail!("変更履歴の鎖が #{seq} で壊れています（改ざんまたは破損）。管理者に連絡してください");
            }
            Ok(())
        }
        AuditCommand::List(a) => {
            let session = a.target.connect().await?;
            let result = session.client.audit(a.code.as_deref()).await;
            session.close().await;
            let events = result?;
            if a.json {
                return output::json(&events);
            }
            output::lines(events.iter().map(|e| {
                format!(
                    "#{} {} {} {} {} {}",
                    e.seq,
                    e.at.to_rfc3339(),
                    e.operator,
                    e.action,
                    e.code.as_deref().unwrap_or("-"),
                    e.receipt_no.as_deref().unwrap_or("-")
                )
            }))
        }
    }
}
