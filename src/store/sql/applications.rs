//! 顔認証付きカードリーダー申込: reading an application, and changing
//! one in a single write transaction (state, 変更履歴 with the 受付番号, idempotency record,
//! the call's receipt).

use sqlx::Row;

use super::audit::{NewEvent, append_event, chain_head};
use super::convert::{date_text, parse_opt_date, status_from_text, to_u32, to_u64};
use super::deadline_batch;
use super::idempotency::{self, Key};
use super::institutions::institution_exists;
use super::{Conn, DbRow, FOR_UPDATE, ThisStore, models, notify};
use crate::api::ServerEvent;
use crate::domain::{ReaderApplication, ReaderModel};
use crate::store::audit_chain;
use crate::store::{ApplicationStore, ChangeCommand, ChangeOutcome, DeadlineBatch, DeadlineBatchReport};
use crate::store::{PrefectureCount, StoreError};

pub(super) const APPLICATION_COLUMNS: &str = "status, model_id, units, applied_on, version";

pub(super) fn application_from_row(row: &DbRow) -> Result<ReaderApplication, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(ReaderApplication {
        status: status_from_text(&status)?,
        model_id: row.try_get("model_id")?,
        units: to_u32(row.try_get("units")?)?,
        applied_on: parse_opt_date(row.try_get("applied_on")?)?,
        version: row.try_get("version")?,
    })
}

/// Writes `app` as the application of `code` (the row exists).
pub(super) async fn write_application(
    conn: &mut Conn,
    code: &str,
    app: &ReaderApplication,
    updated_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET status = $1, model_id = $2, units = $3, applied_on = $4, version = $5, \
         updated_at = $6 WHERE code = $7",
    )
    .bind(app.status.as_str())
    .bind(app.model_id.as_deref())
    .bind(i64::from(app.units))
    .bind(app.applied_on.map(date_text))
    .bind(app.version)
    .bind(updated_at)
    .bind(code)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Locks the application of `code` and reads it, creating a not-applied row first
/// (PostgreSQL locks rows, not absences; a refused change rolls this back too).
async fn lock_application(conn: &mut Conn, code: &str, now: &str) -> Result<ReaderApplication, StoreError> {
    sqlx::query(
        "INSERT INTO applications (code, status, model_id, units, applied_on, version, updated_at) \
         VALUES ($1, 'not_applied', NULL, 0, NULL, 0, $2) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let row =
        sqlx::query(&format!("SELECT {APPLICATION_COLUMNS} FROM applications WHERE code = $1{FOR_UPDATE}"))
            .bind(code)
            .fetch_one(&mut *conn)
            .await?;
    application_from_row(&row)
}

/// Refuses what the change names but does not exist: a model outside the catalog, a call.
async fn check_references(
    conn: &mut Conn,
    model_id: Option<&str>,
    call_id: Option<i64>,
) -> Result<(), StoreError> {
    if let Some(model) = model_id {
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM reader_models WHERE id = $1")
            .bind(model)
            .fetch_optional(&mut *conn)
            .await?;
        if known.is_none() {
            return Err(StoreError::Invalid(format!(
                "機種「{model}」はカタログにありません。GET /v1/reader-models の一覧から選んでください"
            )));
        }
    }
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
        if !institution_exists(&mut tx, &code).await? {
            return Err(StoreError::NotFound(format!("institution {code}")));
        }
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
        check_references(&mut tx, after.model_id.as_deref(), request.call_id).await?;
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
        let receipt = append_event(&mut tx, &mut head, event).await?;
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
        let event = ServerEvent::ApplicationChanged {
            code: code.clone(),
            version: outcome.after.version,
            operator: operator.clone(),
            receipt_no: Some(outcome.receipt_no.clone()),
        };
        notify(&mut tx, &event).await?;
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
