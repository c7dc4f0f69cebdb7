//! The demo data's bulk load: everything replaced in one transaction, with progress lines.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::convert::date_text;
use super::faq::put_faq;
use super::institutions::insert_institutions;
use super::models;
use super::subsidy::insert_claims;
use super::{BATCH_ROWS, CLEAR_SEED_SQL, Conn, Db, ThisStore, notify};
use crate::api::ServerEvent;
use crate::domain::ReaderApplication;
use crate::store::audit_chain;
use crate::store::{SeedData, SeedStore, StoreError};

/// Multi-row INSERT of applications (the seed).
pub(super) async fn insert_applications(
    conn: &mut Conn,
    rows: &[(String, ReaderApplication)],
    updated_at: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "INSERT INTO applications (code, status, model_id, units, applied_on, version, updated_at) ",
        );
        qb.push_values(chunk, |mut b, (code, a)| {
            b.push_bind(code.as_str())
                .push_bind(a.status.as_str())
                .push_bind(a.model_id.as_deref())
                .push_bind(i64::from(a.units))
                .push_bind(a.applied_on.map(date_text))
                .push_bind(a.version)
                .push_bind(updated_at.to_string());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl SeedStore for ThisStore {
    async fn load_seed(
        &self,
        data: &SeedData,
        at: DateTime<Utc>,
        progress: &(dyn for<'p> Fn(&'p str) + Sync),
    ) -> Result<(), StoreError> {
        let now = audit_chain::instant_text(at);
        let mut tx = self.begin_write().await?;
        progress("clearing old demo data");
        for statement in CLEAR_SEED_SQL {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        progress(&format!("reader models {}", data.reader_models.len()));
        models::upsert(&mut tx, &data.reader_models).await?;
        let step = BATCH_ROWS * 20;
        let total = data.institutions.len();
        for (n, chunk) in data.institutions.chunks(step).enumerate() {
            insert_institutions(&mut tx, chunk, false).await?;
            progress(&format!("institutions {}/{total}", (n * step + chunk.len())));
        }
        let total = data.applications.len();
        for (n, chunk) in data.applications.chunks(step).enumerate() {
            insert_applications(&mut tx, chunk, &now).await?;
            progress(&format!("applications {}/{total}", (n * step + chunk.len())));
        }
        let total = data.subsidy_claims.len();
        for (n, chunk) in data.subsidy_claims.chunks(step).enumerate() {
            insert_claims(&mut tx, chunk).await?;
            progress(&format!("subsidy claims {}/{total}", (n * step + chunk.len())));
        }
        for e in &data.faq {
            put_faq(&mut tx, e).await?;
        }
        progress(&format!("faq {}", data.faq.len()));
        notify(&mut tx, &ServerEvent::InstitutionsChanged).await?;
        notify(&mut tx, &ServerEvent::FaqChanged).await?;
        progress("committing");
        tx.commit().await?;
        Ok(())
    }
}
