//! `madoguchi change CODE --model ID --caller NAME`: reads the application (its version),
//! then changes it with `If-Match` and a fresh `Idempotency-Key`, and prints the 受付番号.

use clap::{Args, ValueEnum};

use super::output;
use super::target::Target;
use crate::api::{ChangeReaderApplication, Verification};
use crate::client::new_idempotency_key;

/// How the caller was verified, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerificationArg {
    /// Called back the registered phone number (needs `--call-id` of the call started by
    /// taking a call-back to this institution).
    #[value(alias = "callback_registered_phone")]
    CallbackRegisteredPhone,
    /// The caller read back the registered details.
    #[value(alias = "registered_details")]
    RegisteredDetails,
}

impl From<VerificationArg> for Verification {
    fn from(v: VerificationArg) -> Verification {
        match v {
            VerificationArg::CallbackRegisteredPhone => Verification::CallbackRegisteredPhone,
            VerificationArg::RegisteredDetails => Verification::RegisteredDetails,
        }
    }
}

/// Options of `change`.
#[derive(Debug, Clone, Args)]
pub struct ChangeArgs {
    /// 医療機関コード.
    pub code: String,
    /// Reader model id (see the catalog: GET /v1/reader-models).
    #[arg(long, value_name = "ID")]
    pub model: String,
    /// The caller's name.
    #[arg(long, value_name = "NAME")]
    pub caller: String,
    /// Number of readers (default: as now, or 1).
    #[arg(long, value_name = "N")]
    pub units: Option<u32>,
    /// The caller's role (事務長, 院長, ...).
    #[arg(long, default_value = "担当者", value_name = "R")]
    pub role: String,
    /// How the caller was verified.
    #[arg(long, value_enum, default_value = "registered-details", value_name = "V")]
    pub verification: VerificationArg,
    /// Attach the change to this open call.
    #[arg(long, value_name = "ID")]
    pub call_id: Option<i64>,
    /// Reuse a key to retry a change whose answer was lost (default: a fresh key).
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: ChangeArgs) -> anyhow::Result<()> {
    let session = args.target.connect().await?;
    let result = async {
        let current = session.client.reader_application(&args.code).await?;
        let units = args.units.unwrap_or(current.application.units.max(1));
        let body = ChangeReaderApplication {
            model_id: args.model.clone(),
            units,
            caller_name: args.caller.clone(),
            caller_role: args.role.clone(),
            verification: args.verification.into(),
            call_id: args.call_id,
        };
        let key = args.idempotency_key.clone().unwrap_or_else(new_idempotency_key);
        session.client.change_reader_application(&args.code, current.application.version, &key, &body).await
    }
    .await;
    session.close().await;
    let receipt = result?;
    if args.json {
        return output::json(&receipt);
    }
    let after = &receipt.application;
    output::lines([
        format!("受付番号 {}", receipt.receipt_no),
        format!(
            "変更前: {} {} {}台",
            receipt.before.status.label_ja(),
            receipt.before.model_id.as_deref().unwrap_or("—"),
            receipt.before.units
        ),
        format!(
            "変更後: {} {} {}台",
            after.application.status.label_ja(),
            after.model.as_ref().map(|m| format!("{} {}", m.maker, m.name)).unwrap_or_else(|| "—".into()),
            after.application.units
        ),
        after.rule_note.clone(),
    ])
}
