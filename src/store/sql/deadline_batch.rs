//! The deadline batch: every candidate application locked, passed to the domain's rule, and
//! those it changes written with an audit event and a 受付番号 each, in one transaction.

use sqlx::Row;

use super::application_rows::{APPLICATION_COLUMNS, application_from_row, write_application};
use super::audit::{NewEvent, append_and_notify, chain_head};
use super::convert::date_text;
use super::{FOR_UPDATE, ThisStore};
use crate::domain::ReaderApplication;
use crate::store::audit_chain;
use crate::store::{ApplicationChange, DeadlineBatch, DeadlineBatchReport, StoreError};

/// How many affected codes the report names.
const SAMPLE_CODES: usize = 10;

pub(super) async fn run(store: &ThisStore, batch: DeadlineBatch) -> Result<DeadlineBatchReport, StoreError> {
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query(&format!(
        "SELECT code, {APPLICATION_COLUMNS} FROM applications WHERE status = $1 ORDER BY code{FOR_UPDATE}"
    ))
    .bind(batch.candidates.as_str())
    .fetch_all(&mut *tx)
    .await?;
    let mut affected: Vec<(String, ReaderApplication, ReaderApplication)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let before = application_from_row(row)?;
        if let Some(mut after) = (batch.rule)(&before) {
            after.version = before.version + 1;
            affected.push((row.try_get("code")?, before, after));
        }
    }
    let mut report = DeadlineBatchReport {
        dry_run: batch.dry_run,
        cancelled: affected.len() as u64,
        sample_codes: affected.iter().take(SAMPLE_CODES).map(|(c, _, _)| c.clone()).collect(),
        changed: Vec::new(),
    };
    if batch.dry_run || affected.is_empty() {
        return Ok(report);
    }
    let now_text = audit_chain::instant_text(batch.at);
    let mut head = chain_head(&mut tx).await?;
    for (code, before, after) in &affected {
        write_application(&mut tx, code, after, &now_text).await?;
        let detail = serde_json::json!({
            "reason": batch.reason,
            "deadline": date_text(batch.deadline),
            "before": before,
            "after": after,
        });
        let event = NewEvent {
            at: batch.at,
            operator: &batch.operator,
            action: "reader_application.cancel_deadline",
            code: Some(code),
            with_receipt: true,
            detail,
        };
        append_and_notify(&mut tx, &mut head, event).await?;
    }
    tx.commit().await?;
    report.changed = affected
        .into_iter()
        .map(|(code, _, after)| ApplicationChange { code, version: after.version, status: after.status })
        .collect();
    Ok(report)
}
