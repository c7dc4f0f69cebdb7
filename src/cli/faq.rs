//! `madoguchi faq QUERY` (search, as the chatbot would) and `madoguchi faq import FILE.jsonl`
//! (add or replace entries by id; bad lines reported with their number).

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::output;
use super::target::Target;
use crate::import::faq::parse_faq_jsonl;

/// Options of `faq`.
#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FaqArgs {
    #[command(subcommand)]
    pub command: Option<FaqCommand>,
    /// The question, as a caller would ask it.
    pub query: Option<String>,
    /// Number of answers.
    #[arg(long, default_value_t = 5)]
    pub limit: u32,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// `faq` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum FaqCommand {
    /// Add or replace FAQ entries from a JSONL file ({id, question, answer, category, keywords}).
    Import(FaqImportArgs),
}

/// Options of `faq import`.
#[derive(Debug, Clone, Args)]
pub struct FaqImportArgs {
    pub file: PathBuf,
    /// Import the good lines even if some are bad (default: nothing unless every line is good).
    #[arg(long)]
    pub skip_bad_lines: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// What `faq import` did.
#[derive(Debug, Serialize)]
struct FaqImportReport {
    imported: usize,
    rejected: Vec<RejectedLine>,
}

#[derive(Debug, Serialize)]
struct RejectedLine {
    line: usize,
    reason: String,
}

pub async fn run(args: FaqArgs) -> anyhow::Result<()> {
    match args.command {
        Some(FaqCommand::Import(a)) => import(a).await,
        None => {
            let Some(query) = args.query.as_deref() else {
                bail!("質問を指定してください（例: madoguchi faq \"機種未定の期限\"）");
            };
            let session = args.target.connect().await?;
            let result = session.client.faq(query, args.limit).await;
            session.close().await;
            let answer = result?;
            if args.json {
                return output::json(&answer);
            }
            if answer.results.is_empty() {
                return output::lines([format!(
                    "「{query}」に合う FAQ はありません。言葉を変えて試してください"
                )]);
            }
            let mut lines = Vec::new();
            for (i, hit) in answer.results.iter().enumerate() {
                lines.push(format!(
                    "{}. [{}] {}  (score {:.2})",
                    i + 1,
                    hit.entry.id,
                    hit.entry.question,
                    hit.score
                ));
                lines.push(format!("   {}", hit.entry.answer.replace('\n', "\n   ")));
            }
            output::lines(lines)
        }
    }
}

async fn import(args: FaqImportArgs) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(&args.file).with_context(|| format!("{} を開けません", args.file.display()))?;
    let parsed = parse_faq_jsonl(BufReader::new(file));
    let rejected: Vec<RejectedLine> =
        parsed.bad_lines.iter().map(|b| RejectedLine { line: b.line, reason: b.error.to_string() }).collect();
    if !rejected.is_empty() && !args.skip_bad_lines {
        for r in &rejected {
            eprintln!("{}:{}: {}", args.file.display(), r.line, r.reason);
        }
        bail!(
            "{} に読めない行が {} 行あるので、何も取り込みませんでした（直すか --skip-bad-lines で良い行だけ取り込めます）",
            args.file.display(),
            rejected.len()
        );
    }
    if parsed.entries.is_empty() {
        bail!("{} に取り込める FAQ がありません", args.file.display());
    }
    let session = args.target.connect().await?;
    let result = session.client.import_faq(&parsed.entries).await;
    session.close().await;
    let counts = match result {
        Ok(counts) => counts,
        Err(e) => {
            // The server names bad entries by id: say on which line of the file each is.
            let message = e.to_string();
            let lines: Vec<String> = parsed
                .entries
                .iter()
                .zip(&parsed.entry_lines)
                .filter(|(entry, _)| message.contains(&format!("id `{}`", entry.id)))
                .map(|(entry, line)| format!("{}:{line}: id `{}`", args.file.display(), entry.id))
                .collect();
            for l in &lines {
                eprintln!("{l}");
            }
            bail!("FAQ を取り込めませんでした（何も登録していません）: {message}");
        }
    };
    let imported = (counts.inserted + counts.updated) as usize;
    let report = FaqImportReport { imported, rejected };
    if args.json {
        return output::json(&report);
    }
    let mut lines = vec![format!(
        "FAQ {} 件を登録しました（新規 {}、置き換え {}）",
        report.imported, counts.inserted, counts.updated
    )];
    for r in &report.rejected {
        lines.push(format!("  {}:{}: 取り込まず: {}", args.file.display(), r.line, r.reason));
    }
    output::lines(lines)
}
