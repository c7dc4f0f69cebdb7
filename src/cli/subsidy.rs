//! `madoguchi subsidy calc`: the subsidy calculator of the policy, offline.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::output;
use super::target::load_policy;
use crate::domain::InstitutionKind;
use crate::domain::subsidy::{format_yen, payable_yen, subsidy_note};

/// Options of `subsidy`.
#[derive(Debug, Clone, Args)]
pub struct SubsidyArgs {
    #[command(subcommand)]
    pub command: SubsidyCommand,
}

/// `subsidy` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum SubsidyCommand {
    /// The payable amount for a kind, number of readers and 事業額.
    Calc(CalcArgs),
}

/// Institution kinds as typed on the command line: `medical-clinic`, or `medical_clinic` as
/// the JSON answers and the import format spell it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Hospital,
    #[value(alias = "medical_clinic")]
    MedicalClinic,
    #[value(alias = "dental_clinic")]
    DentalClinic,
    Pharmacy,
}

impl From<KindArg> for InstitutionKind {
    fn from(k: KindArg) -> InstitutionKind {
        match k {
            KindArg::Hospital => InstitutionKind::Hospital,
            KindArg::MedicalClinic => InstitutionKind::MedicalClinic,
            KindArg::DentalClinic => InstitutionKind::DentalClinic,
            KindArg::Pharmacy => InstitutionKind::Pharmacy,
        }
    }
}

/// Options of `subsidy calc`.
#[derive(Debug, Clone, Args)]
pub struct CalcArgs {
    #[arg(long, value_enum)]
    pub kind: KindArg,
    #[arg(long, value_name = "N")]
    pub units: u32,
    /// 事業額 in yen, tax included.
    #[arg(long, value_name = "YEN")]
    pub cost: u64,
    /// 大型チェーン薬局 (a group with 40,000+ prescriptions a month).
    #[arg(long)]
    pub large_chain: bool,
    /// Policy file (default: the built-in policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// The answer of `subsidy calc --json`.
#[derive(Debug, Serialize)]
struct Calculation {
    kind: InstitutionKind,
    large_chain: bool,
    units: u32,
    cost_yen: u64,
    payable_yen: u64,
    note: String,
}

pub fn run(args: SubsidyArgs) -> anyhow::Result<()> {
    let SubsidyCommand::Calc(a) = args.command;
    let policy = load_policy(a.policy.as_ref())?;
    let kind: InstitutionKind = a.kind.into();
    let payable = payable_yen(&policy, kind, a.large_chain, a.units, a.cost).map_err(|e| anyhow!("{e}"))?;
    let note = subsidy_note(&policy, kind, a.large_chain, a.units).map_err(|e| anyhow!("{e}"))?;
    let calc = Calculation {
        kind,
        large_chain: a.large_chain,
        units: a.units,
        cost_yen: a.cost,
        payable_yen: payable,
        note,
    };
    if a.json {
        return output::json(&calc);
    }
    output::lines([
        format!("補助額 {}（事業額 {}）", format_yen(calc.payable_yen), format_yen(calc.cost_yen)),
        calc.note,
    ])
}
