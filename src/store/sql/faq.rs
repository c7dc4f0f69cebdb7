//! The FAQ: upserting entries (each real change audited) and reading them all.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{ChainHead, NewEvent, append_event, chain_head};
use super::convert::corrupt;
use super::{Conn, DbRow, FOR_UPDATE, ThisStore, notify};
use crate::api::{FaqEntry, ServerEvent};
use crate::store::{FaqStore, StoreError, UpsertCounts};

const FAQ_COLUMNS: &str = "id, question, answer, category, keywords";

pub(super) async fn put_faq(conn: &mut Conn, e: &FaqEntry) -> Result<(), StoreError> {
    let keywords = serde_json::to_string(&e.keywords).map_err(StoreError::internal)?;
    sqlx::query(&format!(
        "INSERT INTO faq_entries ({FAQ_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET question = excluded.question, answer = excluded.answer, \
         category = excluded.category, keywords = excluded.keywords, version = faq_entries.version + 1"
    ))
    .bind(&e.id)
    .bind(&e.question)
    .bind(&e.answer)
    .bind(&e.category)
    .bind(keywords)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn faq_from_row(row: &DbRow) -> Result<FaqEntry, StoreError> {
    let keywords: String = row.try_get("keywords")?;
    Ok(FaqEntry {
        id: row.try_get("id")?,
        question: row.try_get("question")?,
        answer: row.try_get("answer")?,
        category: row.try_get("category")?,
        keywords: serde_json::from_str(&keywords)
            .map_err(|e| corrupt(format!("FAQ keywords {keywords:?}: {e}")))?,
    })
}

#[async_trait::async_trait]
impl FaqStore for ThisStore {
    async fn upsert_faq(
        &self,
        entries: &[FaqEntry],
        operator: &str,
        at: DateTime<Utc>,
    ) -> Result<UpsertCounts, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut counts = UpsertCounts::default();
        let mut head: Option<ChainHead> = None;
        for e in entries {
            let row =
                sqlx::query(&format!("SELECT {FAQ_COLUMNS} FROM faq_entries WHERE id = $1{FOR_UPDATE}"))
                    .bind(&e.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let before = row.as_ref().map(faq_from_row).transpose()?;
            match &before {
                Some(b) if b == e => {
                    counts.updated += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            put_faq(&mut tx, e).await?;
            let head = match &mut head {
                Some(head) => head,
                None => head.insert(chain_head(&mut tx).await?),
            };
            let detail = serde_json::json!({ "id": e.id, "before": before, "after": e });
            let event =
                NewEvent { at, operator, action: "faq.edit", code: None, with_receipt: false, detail };
            append_event(&mut tx, head, event).await?;
        }
        if head.is_some() {
            notify(&mut tx, &ServerEvent::FaqChanged).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn faq_entries(&self) -> Result<Vec<FaqEntry>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {FAQ_COLUMNS} FROM faq_entries ORDER BY id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(faq_from_row).collect()
    }
}
