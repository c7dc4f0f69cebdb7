//! `madoguchi campaign create|list|show|pause|resume|close|add-members|progress|export`: the
//! supervisor's outreach campaigns from the command line (the console does the same).

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::output;
use super::target::Target;
use crate::api::campaign::{Campaign, CampaignProgress, NewCampaign};
use crate::domain::campaign::CampaignFilter;
use crate::domain::{InstitutionKind, ReaderStatus};

/// Options of `campaign`.
#[derive(Debug, Clone, Args)]
pub struct CampaignArgs {
    #[command(subcommand)]
    pub command: CampaignCommand,
}

/// `campaign` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign from a filter (default: every 機種未定 application).
    Create(CreateArgs),
    /// Every campaign with its counts.
    List(ListArgs),
    /// One campaign with its counts.
    Show(IdArgs),
    /// Stop handing out members until resumed.
    Pause(IdArgs),
    Resume(IdArgs),
    /// Close for good.
    Close(IdArgs),
    /// Add the institutions matching the campaign's filter now that are not members yet.
    AddMembers(IdArgs),
    /// The burn-down: members left per day, pace, projected zero beside the deadline.
    Progress(ProgressArgs),
    /// Members with their attempts as CSV (one row per attempt).
    Export(ExportArgs),
}

/// Options of `campaign create`.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub name: String,
    /// Reader status to work: undecided (機種未定, default) or selected.
    #[arg(long, default_value = "undecided", value_parser = parse_status)]
    pub status: ReaderStatus,
    /// Only this prefecture (repeat for several): 東京都 or 東京.
    #[arg(long = "prefecture", value_name = "NAME")]
    pub prefectures: Vec<String>,
    /// Only this kind (repeat): hospital, medical_clinic, dental_clinic, pharmacy.
    #[arg(long = "kind", value_name = "KIND", value_parser = parse_kind)]
    pub kinds: Vec<InstitutionKind>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

fn parse_status(s: &str) -> Result<ReaderStatus, String> {
    ReaderStatus::parse(s).ok_or_else(|| format!("「{s}」は申込状況ではありません（undecided か selected）"))
}

fn parse_kind(s: &str) -> Result<InstitutionKind, String> {
    InstitutionKind::parse(s).ok_or_else(|| {
        format!("「{s}」は種別ではありません（hospital, medical_clinic, dental_clinic, pharmacy）")
    })
}

/// Options of `campaign list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// A campaign id.
#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    pub id: i64,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `campaign progress`.
#[derive(Debug, Clone, Args)]
pub struct ProgressArgs {
    pub id: i64,
    /// CSV (`section,key,value1,value2,...`) for a spreadsheet.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

/// Options of `campaign export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    pub id: i64,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: CampaignArgs) -> anyhow::Result<()> {
    match args.command {
        CampaignCommand::Create(a) => {
            let body = NewCampaign {
                name: a.name.clone(),
                filter: CampaignFilter {
                    status: a.status,
                    prefectures: a.prefectures.clone(),
                    kinds: a.kinds.clone(),
                },
            };
            let session = a.target.connect().await?;
            let result = session.client.create_campaign(&body).await;
            session.close().await;
            print_campaign(&result?, a.json)
        }
        CampaignCommand::List(a) => {
            let session = a.target.connect().await?;
            let result = session.client.campaigns().await;
            session.close().await;
            let list = result?;
            if a.json {
                return output::json(&list);
            }
            if list.is_empty() {
                return output::lines(["キャンペーンはありません（campaign create で作成）"]);
            }
            output::lines(list.iter().map(summary_line))
        }
        CampaignCommand::Show(a) => {
            let session = a.target.connect().await?;
            let result = session.client.campaign(a.id).await;
            session.close().await;
            print_campaign(&result?, a.json)
        }
        CampaignCommand::Pause(a) => set_state(a, "pause").await,
        CampaignCommand::Resume(a) => set_state(a, "resume").await,
        CampaignCommand::Close(a) => set_state(a, "close").await,
        CampaignCommand::AddMembers(a) => {
            let session = a.target.connect().await?;
            let result = session.client.add_campaign_members(a.id).await;
            session.close().await;
            let added = result?;
            if a.json {
                return output::json(&added);
            }
            output::lines([format!("対象を {} 件追加しました", added.added)])
        }
        CampaignCommand::Progress(a) => {
            let session = a.target.connect().await?;
            let result = session.client.campaign_progress(a.id).await;
            session.close().await;
            let p = result?;
            if a.csv {
                let mut out = std::io::stdout().lock();
                out.write_all(progress_csv(&p).as_bytes())?;
                out.flush()?;
                return Ok(());
            }
            if a.json {
                return output::json(&p);
            }
            output::lines(progress_lines(&p))
        }
        CampaignCommand::Export(a) => {
            let session = a.target.connect().await?;
            let result = session.client.campaign_members_csv(a.id).await;
            session.close().await;
            let csv = result.context("exporting the members")?;
            let mut out = std::io::stdout().lock();
            out.write_all(csv.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

async fn set_state(a: IdArgs, action: &str) -> anyhow::Result<()> {
    let session = a.target.connect().await?;
    let result = session.client.set_campaign_state(a.id, action).await;
    session.close().await;
    print_campaign(&result?, a.json)
}

fn print_campaign(c: &Campaign, json: bool) -> anyhow::Result<()> {
    if json {
        return output::json(c);
    }
    let k = &c.counts;
    output::lines([
        summary_line(c),
        format!(
            "  残り {}（架電中 {}） 完了 {} 他経路 {} 上限到達 {} 期限キャンセル {} 架電不要 {}",
            k.remaining(),
            k.leased,
            k.done,
            k.left,
            k.exhausted,
            k.cancelled_by_deadline,
            k.do_not_call
        ),
    ])
}

fn summary_line(c: &Campaign) -> String {
    let f = &c.filter;
    let places = if f.prefectures.is_empty() { "全国".to_string() } else { f.prefectures.join("・") };
    format!(
        "#{} {} [{}] {} {} 対象 {} 残り {}",
        c.id,
        c.name,
        c.state.label_ja(),
        places,
        f.status.as_str(),
        c.counts.members,
        c.counts.remaining()
    )
}

fn progress_lines(p: &CampaignProgress) -> Vec<String> {
    let b = &p.burn_down;
    let mut out = vec![
        summary_line(&p.campaign),
        format!(
            "本日 {}  ペース {:.1} 件/日（直近{}日）  ゼロ見込み {}  期限 {}  {}",
            p.today,
            b.pace_per_day,
            b.pace_days,
            b.projected_zero.map_or("見込みなし".to_string(), |d| d.to_string()),
            b.deadline,
            if b.on_track { "間に合う見込み" } else { "このままでは間に合いません" }
        ),
        "日別の残り:".into(),
    ];
    out.extend(b.days.iter().map(|d| format!("  {} {}", d.day, d.left)));
    out.push("都道府県別（残り/対象）:".into());
    out.extend(p.by_prefecture.iter().map(|x| format!("  {} {}/{}", x.prefecture, x.left, x.members)));
    out.push("オペレーター別（架電 / 到達 / 変更 / 平均応対秒）:".into());
    out.extend(p.by_operator.iter().map(|o| {
        format!(
            "  {} {} / {} / {} / {}",
            o.operator,
            o.attempts,
            o.reached,
            o.changed,
            o.average_handle_seconds.map_or("-".to_string(), |s| format!("{s:.0}"))
        )
    }));
    out.push(format!("上限到達: {} 件", p.exhausted.len()));
    out.extend(
        p.exhausted
            .iter()
            .take(20)
            .map(|m| format!("  {} {} {}", m.code, m.name, m.phone.clone().unwrap_or_default())),
    );
    out
}

/// The progress for a spreadsheet: `section,key,a,b,c,d`, CRLF like the call report's CSV.
pub fn progress_csv(p: &CampaignProgress) -> String {
    let mut out = String::from("section,key,a,b,c,d\r\n");
    let b = &p.burn_down;
    for d in &b.days {
        out.push_str(&format!("burn_down,{},{},,,\r\n", d.day, d.left));
    }
    let zero = b.projected_zero.map(|d| d.to_string()).unwrap_or_default();
    out.push_str(&format!(
        "pace,{},{:.2},{},{},{}\r\n",
        p.today, b.pace_per_day, b.pace_days, zero, b.deadline
    ));
    for x in &p.by_prefecture {
        out.push_str(&format!("prefecture,{},{},{},{},\r\n", x.prefecture, x.members, x.left, x.done));
    }
    for o in &p.by_operator {
        let avg = o.average_handle_seconds.map(|s| format!("{s:.0}")).unwrap_or_default();
        out.push_str(&format!(
            "operator,{},{},{},{},{}\r\n",
            o.operator.replace(',', " "),
            o.attempts,
            o.reached,
            o.changed,
            avg
        ));
    }
    for m in &p.exhausted {
        out.push_str(&format!("exhausted,{},{},,,\r\n", m.code, m.attempts));
    }
    out
}
