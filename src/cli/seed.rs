//! `madoguchi seed`: deterministic demo data for the whole country, with progress and the
//! time it took.

use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::target::default_db;
use crate::server::SeedOptions;

/// The seed number used when none is given (the console's first run uses it too).
pub const DEFAULT_SEED: u64 = 20210630;

/// Options of `seed`.
#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// SQLite path or postgres:// URL (default: the user's data folder).
    #[arg(long, value_name = "PATH_OR_URL")]
    pub db: Option<String>,
    /// Number of institutions (default: the national scale, about 242,000).
    #[arg(long, value_name = "N")]
    pub institutions: Option<usize>,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = DEFAULT_SEED, value_name = "S")]
    pub seed: u64,
}

/// Generates and loads the demo data.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let db = match &args.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    let started = Instant::now();
    let store =
        crate::server::open_store(&db).await.with_context(|| format!("データベース {db} を開けません"))?;
    let progress = |line: &str| eprintln!("madoguchi: {line}");
    let options = SeedOptions { institutions: args.institutions, seed: args.seed };
    crate::server::seed_store(store.as_ref(), &options, &progress)
        .await
        .with_context(|| format!("{db} にデモデータを書けません"))?;
    let count = store.all_institutions().await?.len();
    eprintln!(
        "madoguchi: {db} に医療機関 {count} 件のデモデータを作りました（{:.1} 秒）",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
