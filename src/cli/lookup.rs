//! `madoguchi lookup QUERY`: the ranked institution lookup, as the console shows it.

use clap::Args;

use super::output;
use super::target::Target;

/// Options of `lookup`.
#[derive(Debug, Clone, Args)]
pub struct LookupArgs {
    /// Name, reading (kana or romaji), code or phone number.
    pub query: String,
    /// Number of results (1..=200).
    #[arg(long, default_value_t = 10)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: LookupArgs) -> anyhow::Result<()> {
    let session = args.target.connect().await?;
    let result = session.client.lookup(&args.query, args.limit).await;
    session.close().await;
    let answer = result?;
    if args.json {
        return output::json(&answer);
    }
    if answer.results.is_empty() {
        return output::lines([format!(
            "「{}」に当たる医療機関はありません。名称の一部、読み（かな・ローマ字）、コード、電話番号で試してください",
            args.query
        )]);
    }
    output::lines(answer.results.iter().map(|r| {
        format!(
            "{}  {}{}  {}  {}{}  {}",
            r.code,
            r.name,
            r.name_kana.as_deref().map(|k| format!("（{k}）")).unwrap_or_default(),
            r.kind.label_ja(),
            r.prefecture,
            r.city,
            r.reader_status.label_ja()
        )
    }))
}
