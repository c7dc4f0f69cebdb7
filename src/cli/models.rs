//! `madoguchi models`: the reader model catalog (the ids `change --model` takes).

use clap::Args;

use super::output;
use super::target::Target;

/// Options of `models`.
#[derive(Debug, Clone, Args)]
pub struct ModelsArgs {
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: ModelsArgs) -> anyhow::Result<()> {
    let session = args.target.connect().await?;
    let result = session.client.reader_models().await;
    session.close().await;
    let models = result?;
    if args.json {
        return output::json(&models);
    }
    output::lines(
        models.iter().map(|m| {
            format!("{}  {} {}{}", m.id, m.maker, m.name, if m.sample { "（サンプル）" } else { "" })
        }),
    )
}
