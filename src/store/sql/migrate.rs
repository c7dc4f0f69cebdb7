//! Applying the backend's embedded migrations (`MIGRATIONS`), recorded in `schema_migrations`.

use std::collections::HashSet;

use chrono::Utc;

use super::{Conn, MIGRATIONS, lock_migrations};
use crate::store::StoreError;
use crate::store::audit_chain;

/// Applies the embedded migrations not yet recorded in `schema_migrations`, in order, in one
/// transaction. (The time recorded is the machine's: migrations run before any server clock.)
pub(crate) async fn run_migrations(tx: &mut Conn) -> Result<(), StoreError> {
    lock_migrations(tx).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )
    .execute(&mut *tx)
    .await?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *tx).await?;
    let latest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
    if let Some(&newest) = applied.iter().max()
        && newest > latest
    {
        return Err(crate::store::sqlite_file::newer("このデータベース", newest, latest));
    }
    let applied: HashSet<i64> = applied.into_iter().collect();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(*name)
            .bind(audit_chain::instant_text(Utc::now()))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
