//! `madoguchi code check CODE`: is it an institution code, and is its check digit the one
//! the rules expect? Exit 0 for any well-formed code (a wrong check digit is a warning that
//! names the expected digit: a few real codes have one); non-zero only for what is not a code.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output;
use crate::domain::InstitutionCode;

/// Options of `code`.
#[derive(Debug, Clone, Args)]
pub struct CodeArgs {
    #[command(subcommand)]
    pub command: CodeCommand,
}

/// `code` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum CodeCommand {
    /// Check a code's form and check digit.
    Check(CheckArgs),
}

/// Options of `code check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    pub code: String,
    #[arg(long)]
    pub json: bool,
}

/// The answer of `code check --json`.
#[derive(Debug, Serialize)]
struct CodeReport {
    code: String,
    check_digit_ok: bool,
    expected_check_digit: Option<u8>,
    warning: Option<String>,
}

pub fn run(args: CodeArgs) -> anyhow::Result<()> {
    let CodeCommand::Check(a) = args.command;
    let check = InstitutionCode::parse(&a.code).map_err(|e| anyhow!("{e}"))?;
    let warning = crate::server::views::check_digit_warning(&check);
    let report = CodeReport {
        code: check.code.as_str().to_string(),
        check_digit_ok: check.expected_check_digit.is_none(),
        expected_check_digit: check.expected_check_digit,
        warning,
    };
    if a.json {
        return output::json(&report);
    }
    match &report.warning {
        None => {
            output::lines([format!("{}: 医療機関コードとして正しい形です（検証番号も一致）", report.code)])
        }
        Some(w) => {
            eprintln!("madoguchi: 警告: {}: {w}", report.code);
            output::lines([format!("{}: 医療機関コードの形です（検証番号に警告あり）", report.code)])
        }
    }
}
