//! `madoguchi import institutions FILE.csv`: upsert institutions by code, all or nothing per
//! file unless `--skip-bad-rows`, with a report of what was imported, updated and rejected
//! (line and reason) and which codes have a check-digit warning.
//!
//! Imports write to the database directly (`--db`): a file of 100,000 rows is far beyond an
//! API request, and one transaction keeps it all or nothing. Servers over the same database
//! pick the rows up when they restart.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output;
use super::target::default_db;
use crate::domain::Policy;
use crate::import::institutions::parse_institutions;
use crate::server::state::IndexBuild;
use crate::server::{AppState, Clock, usecase};

/// Options of `import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: ImportCommand,
}

/// `import` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Institutions from a CSV file (header: code,name,name_kana,kind,prefecture,postal_code,address,phone,large_chain).
    Institutions(InstitutionsArgs),
}

/// Options of `import institutions`.
#[derive(Debug, Clone, Args)]
pub struct InstitutionsArgs {
    pub file: PathBuf,
    /// Import the good rows even if some are bad (default: nothing unless every row is good).
    #[arg(long)]
    pub skip_bad_rows: bool,
    #[arg(long)]
    pub json: bool,
    /// SQLite path or postgres:// URL (default: the user's data folder).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: Option<String>,
}

/// What an import did.
#[derive(Debug, Serialize)]
struct ImportReport {
    file: String,
    /// Rows written (new plus updated).
    imported: u64,
    inserted: u64,
    updated: u64,
    rejected: Vec<Rejected>,
    check_digit_warnings: Vec<Warning>,
    inferred_readings: u64,
    seconds: f64,
}

#[derive(Debug, Serialize)]
struct Rejected {
    line: u64,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Warning {
    line: u64,
    code: String,
    expected_digit: u8,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let ImportCommand::Institutions(a) = args.command;
    let started = Instant::now();
    let shown = a.file.display().to_string();
    let file = std::fs::File::open(&a.file).with_context(|| format!("{shown} を開けません"))?;
    let parsed = parse_institutions(std::io::BufReader::new(file)).with_context(|| shown.clone())?;
    if !parsed.rejected.is_empty() && !a.skip_bad_rows {
        for r in parsed.rejected.iter().take(50) {
            eprintln!("{shown}:{}: {}", r.line, r.reason);
        }
        if parsed.rejected.len() > 50 {
            eprintln!("{shown}: ほか {} 行", parsed.rejected.len() - 50);
        }
        bail!(
            "{shown} に使えない行が {} 行あるので、何も取り込みませんでした（直すか --skip-bad-rows で良い行だけ取り込めます）",
            parsed.rejected.len()
        );
    }
    let db = match &a.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    let store =
        crate::server::open_store(&db).await.with_context(|| format!("データベース {db} を開けません"))?;
    let rows: Vec<_> = parsed.rows.into_iter().map(|r| r.institution).collect();
    // The same workflow a server runs; this process has no index to refresh (servers on the
    // database hear the change from it).
    let state =
        AppState::load_with(store, Policy::builtin(), Clock::Real, HashMap::new(), IndexBuild::OnFirstLookup)
            .await
            .with_context(|| format!("データベース {db} を開けません"))?;
    let counts = usecase::institutions::import(&state, &rows)
        .await
        .with_context(|| format!("{db} に書けません（何も取り込んでいません）"))?;
    let report = ImportReport {
        file: shown.clone(),
        imported: counts.inserted + counts.updated,
        inserted: counts.inserted,
        updated: counts.updated,
        rejected: parsed.rejected.into_iter().map(|r| Rejected { line: r.line, reason: r.reason }).collect(),
        check_digit_warnings: parsed
            .warnings
            .into_iter()
            .map(|w| Warning { line: w.line, code: w.code, expected_digit: w.expected_digit })
            .collect(),
        inferred_readings: parsed.inferred_readings,
        seconds: started.elapsed().as_secs_f64(),
    };
    if a.json {
        return output::json(&report);
    }
    let mut lines = vec![format!(
        "{shown}: {} 件取り込み（新規 {}, 更新 {}）, 除外 {} 行, 検証番号の警告 {} 件, 読みを推定 {} 件（{:.1} 秒）",
        report.imported,
        report.inserted,
        report.updated,
        report.rejected.len(),
        report.check_digit_warnings.len(),
        report.inferred_readings,
        report.seconds
    )];
    for r in &report.rejected {
        lines.push(format!("  除外 {shown}:{}: {}", r.line, r.reason));
    }
    for w in &report.check_digit_warnings {
        lines
            .push(format!("  警告 {shown}:{}: {} の検証番号は規則では {}", w.line, w.code, w.expected_digit));
    }
    output::lines(lines)
}
