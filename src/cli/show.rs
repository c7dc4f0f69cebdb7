//! `madoguchi show CODE`: one institution and its reader application.

use clap::Args;

use super::output;
use super::target::Target;

/// Options of `show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// 医療機関コード (10 digits; full-width digits and hyphens are fine).
    pub code: String,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: ShowArgs) -> anyhow::Result<()> {
    let session = args.target.connect().await?;
    let result = session.client.institution(&args.code).await;
    session.close().await;
    let d = result?;
    if args.json {
        return output::json(&d);
    }
    let app = &d.reader_application;
    let mut lines = vec![
        format!(
            "{}{}",
            d.institution.name,
            d.institution.name_kana.as_deref().map(|k| format!("（{k}）")).unwrap_or_default()
        ),
        format!("コード      {}", d.institution.code),
    ];
    if let Some(w) = &d.check_digit_warning {
        lines.push(format!("  注意: {w}"));
    }
    lines.push(format!(
        "種別        {}{}",
        d.institution.kind.label_ja(),
        if d.institution.large_chain { "（大型チェーン）" } else { "" }
    ));
    lines.push(format!(
        "所在地      〒{} {}{} {}",
        d.institution.postal_code, d.institution.prefecture, d.institution.city, d.institution.address
    ));
    if let Some(p) = &d.institution.phone {
        lines.push(format!("電話        {p}"));
    }
    if let Some(m) = &d.do_not_call {
        let day = crate::domain::jst::local(m.marked_at).format("%Y-%m-%d");
        let campaign = m.campaign_id.map(|id| format!("、キャンペーン #{id}")).unwrap_or_default();
        lines.push(format!(
            "架電不要    {day} {} が記録{campaign}（キャンペーンの対象になりません）",
            m.marked_by
        ));
    }
    lines.push(format!(
        "カードリーダー  {}  機種: {}  台数: {}  申込日: {}  (版 {})",
        app.application.status.label_ja(),
        app.model.as_ref().map(|m| format!("{} {}", m.maker, m.name)).unwrap_or_else(|| "—".to_string()),
        app.application.units,
        app.application.applied_on.map(|d| d.to_string()).unwrap_or_else(|| "—".to_string()),
        app.application.version
    ));
    lines.push(format!("  {}", app.rule_note));
    output::lines(lines)
}
