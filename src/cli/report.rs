//! `madoguchi report calls [--from D] [--to D] [--csv|--json]`: the supervisors' call report
//! (calls by hour, reason and operator, handle time, call-backs) for a day or a range, as text,
//! JSON, or CSV for the centre's spreadsheet.

use std::io::Write;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::output;
use super::target::Target;
use crate::domain::CallReport;
use crate::domain::call::report_csv;

/// Options of `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// `report` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Calls by hour, wrap-up reason and operator, average handle time, call-backs.
    Calls(CallsArgs),
}

/// Options of `report calls`.
#[derive(Debug, Clone, Args)]
pub struct CallsArgs {
    /// First Japan date (YYYY-MM-DD); default the business date.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last Japan date, inclusive; default `--from`.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// CSV (`section,key,label,calls,avg_handle_seconds`, CRLF) for a spreadsheet.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: ReportArgs) -> anyhow::Result<()> {
    match args.command {
        ReportCommand::Calls(a) => {
            let session = a.target.connect().await?;
            let result = session.client.call_report(a.from, a.to).await;
            session.close().await;
            let report = result?;
            if a.csv {
                let mut out = std::io::stdout().lock();
                out.write_all(report_csv(&report).as_bytes())?;
                out.flush()?;
                return Ok(());
            }
            if a.json {
                return output::json(&report);
            }
            output::lines(text_lines(&report))
        }
    }
}

/// Seconds as 「m分s秒」.
fn minutes(secs: Option<u64>) -> String {
    secs.map(|s| format!("{}分{:02}秒", s / 60, s % 60)).unwrap_or_else(|| "-".into())
}

/// The report for people: totals, then the non-empty hours, reasons, operators, call-backs.
fn text_lines(r: &CallReport) -> Vec<String> {
    let mut out = vec![
        format!("応対レポート {}〜{}", r.from, r.to),
        format!(
            "応対 {} 件（終了 {} 件）  平均応対時間 {}",
            r.calls,
            r.closed,
            minutes(r.avg_handle_seconds)
        ),
        "時間帯:".into(),
    ];
    out.extend(r.by_hour.iter().filter(|h| h.calls > 0).map(|h| format!("  {:02}時台 {}", h.hour, h.calls)));
    out.push("理由:".into());
    out.extend(r.by_reason.iter().map(|x| format!("  {} {}", x.label, x.calls)));
    out.push("オペレーター:".into());
    out.extend(
        r.by_operator
            .iter()
            .map(|o| format!("  {} {} 件 平均 {}", o.operator, o.calls, minutes(o.avg_handle_seconds))),
    );
    let cb = r.callbacks;
    out.push(format!("折り返し: 予定 {} 件  期限超過 {} 件  完了 {} 件", cb.due, cb.overdue, cb.done));
    if !r.agent_days.is_empty() {
        out.push("フロア（時:分）:".into());
    }
    out.extend(r.agent_days.iter().map(agent_day_line));
    out
}

/// One operator's day: signed in, on calls, after-call, away by reason, occupancy.
fn agent_day_line(d: &crate::domain::floor::AgentDay) -> String {
    use crate::domain::floor::hours_minutes as hm;
    let away = if d.away_by_reason.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> =
            d.away_by_reason.iter().map(|a| format!("{} {}", a.label, hm(a.seconds))).collect();
        format!("（{}）", parts.join("、"))
    };
    let occupancy = d.occupancy.map(|o| format!("{:.0}%", o * 100.0)).unwrap_or_else(|| "-".into());
    format!(
        "  {} サインイン {}  通話 {}  後処理 {}  受付可 {}  離席 {}{away}  稼働率 {occupancy}",
        d.operator,
        hm(d.signed_in_seconds),
        hm(d.on_call_seconds),
        hm(d.after_call_seconds),
        hm(d.available_seconds),
        hm(d.away_seconds),
    )
}
