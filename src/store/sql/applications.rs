//! 顔認証付きカードリーダー申込: reading an application, and changing
//! one in a single write transaction (state, 変更履歴 with the 受付番号, idempotency record,
//! the call's receipt).

use sqlx::Row;

use super::application_rows::{APPLICATION_COLUMNS, application_from_row, write_application};
use super::audit::{NewEvent, append_and_notify, chain_head};
use super::convert::to_u64;
use super::deadline_batch;
use super::idempotency::{self, Key};
use super::{Conn, FOR_UPDATE, ThisStore, models};
use crate::domain::{ReaderApplication, ReaderModel};
use crate::store::audit_chain;
use crate::store::{ApplicationStore, ChangeCommand, ChangeOutcome, DeadlineBatch, DeadlineBatchReport};
use crate::store::{PrefectureCount, StoreError};

/// Locks the application of `code` and reads it, creating a not-applied row first
/// (PostgreSQL locks rows, not absences; a refused change rolls this back too). An unknown
/// institution is refused here, by the row's foreign key: the one check of it in the change.
async fn lock_application(conn: &mut Conn, code: &str, now: &str) -> Result<ReaderApplication, StoreError> {
    sqlx::query(
        "INSERT INTO applications (code, status, model_id, units, applied_on, version, updated_at) \
         VALUES ($1, 'not_applied', NULL, 0, NULL, 0, $2) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::NotFound(format!("institution {code}"))
        }
        _ => e.into(),
    })?;
    let row =
        sqlx::query(&format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE code = $1{FOR_UPDATE}"))
            .bind(code)
            .fetch_one(&mut *conn)
            .await?;
    application_from_row(&row)
}

/// Refuses a model outside the catalog: the one check of it, first in the change's
/// transaction (before the version and the rule, as an invalid request).
async fn check_model(conn: &mut Conn, model: &str) -> Result<(), StoreError> {
    let known: Option<String> = sqlx::query_scalar("SELECT id FROM reader_models WHERE id = $1")
        .bind(model)
        .fetch_optional(&mut *conn)
        .await?;
    if known.is_none() {
        return Err(StoreError::Invalid(format!(
            "機種「{model}」はカタログにありません。GET /v1/reader-models の一覧から選んでください"
        )));
    }
    Ok(())
}

/// Refuses a call the change names but which does not exist.
async fn check_call(conn: &mut Conn, call_id: Option<i64>) -> Result<(), StoreError> {
    if let Some(call_id) = call_id {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE id = $1")
            .bind(call_id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::Invalid(format!(
                "応対記録 #{call_id} はありません（unknown call_id）。POST /v1/calls で応対を始めたその id を送るか、call_id を省いてください"
            )));
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl ApplicationStore for ThisStore {
    async fn reader_models(&self) -> Result<Vec<ReaderModel>, StoreError> {
        models::all(self.reader()).await
    }

    async fn upsert_reader_models(&self, models: &[ReaderModel]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        models::upsert(&mut tx, models).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn application(&self, code: &str) -> Result<ReaderApplication, StoreError> {
        let row = sqlx::query(
            "SELECT i.code, a.status, a.model_id, a.units, a.applied_on, a.version \
             FROM institutions i LEFT JOIN applications a ON a.code = i.code WHERE i.code = $1",
        )
        .bind(code)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("institution {code}")))?;
        let status: Option<String> = row.try_get("status")?;
        if status.is_none() {
            return Ok(ReaderApplication::not_applied());
        }
        application_from_row(&row)
    }

    async fn change_application(&self, cmd: ChangeCommand) -> Result<ChangeOutcome, StoreError> {
        let ChangeCommand {
            code,
            expected_version,
            idempotency_key,
            request_hash,
            operator,
            request,
            rule,
            at,
        } = cmd;
        let key =
            Key { key: &idempotency_key, operator: &operator, code: &code, request_hash: &request_hash };
        let now_text = audit_chain::instant_text(at);
        let mut tx = self.begin_write().await?;
        check_model(&mut tx, &request.model_id).await?;
        let current = lock_application(&mut tx, &code, &now_text).await?;
        // The key first: a retry of a change that went through must not read as stale.
        if let Some(earlier) = idempotency::replay(&mut tx, &key).await? {
            return Ok(earlier);
        }
        if current.version != expected_version {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
                current: current.version,
                current_state: Box::new(current),
            });
        }
        let mut after = rule(&current)?;
        after.version = current.version + 1;
        check_call(&mut tx, request.call_id).await?;
        write_application(&mut tx, &code, &after, &now_text).await?;

        let mut head = chain_head(&mut tx).await?;
        let detail = serde_json::json!({
            "caller": { "name": request.caller_name, "role": request.caller_role },
            "verification": request.verification,
            "before": current,
            "after": after,
            "call_id": request.call_id,
            "idempotency_key": idempotency_key,
        });
        let event = NewEvent {
            at,
            operator: &operator,
            action: "reader_application.change",
            code: Some(&code),
            with_receipt: true,
            detail,
        };
        let receipt = append_and_notify(&mut tx, &mut head, event).await?;
        let receipt_no = receipt.ok_or_else(|| StoreError::internal("no receipt number was assigned"))?;
        let outcome = ChangeOutcome { receipt_no, before: current, after, replayed: false };
        idempotency::record(&mut tx, &key, &outcome, &now_text).await?;
        // The call's receipt, in this same transaction: written once, with the change or not at all.
        if let Some(call_id) = request.call_id {
            sqlx::query("INSERT INTO call_receipts (call_id, receipt_no) VALUES ($1, $2)")
                .bind(call_id)
                .bind(&outcome.receipt_no)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn run_deadline_batch(&self, batch: DeadlineBatch) -> Result<DeadlineBatchReport, StoreError> {
        deadline_batch::run(self, batch).await
    }

    async fn undecided_by_prefecture(&self) -> Result<Vec<PrefectureCount>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT i.prefecture, COUNT(*) AS n FROM applications a JOIN institutions i ON i.code = a.code \
             WHERE a.status = 'undecided' GROUP BY i.prefecture ORDER BY n DESC, i.prefecture",
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(prefecture, n)| Ok(PrefectureCount { prefecture, undecided: to_u64(n)? }))
            .collect()
    }
}
