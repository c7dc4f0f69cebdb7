//! 応対記録: starting, updating, closing and listing calls, with the 受付番号 and the handle
//! time (the reasons and FAQ answers attached to each are in `call_details.rs`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::call_details::{attach_faq_row, fill_call_details, fill_calls_details, set_call_reasons};
use super::convert::parse_instant;
use super::institutions::institution_exists;
use super::{Conn, DbRow, ThisStore};
use crate::api::Call;
use crate::store::audit_chain;
use crate::store::{CallStore, NewCall, StoreError};

const CALL_COLUMNS: &str = "id, operator, started_at, ended_at, code, note, caller_phone, callback_id";

fn call_from_row(row: &DbRow) -> Result<Call, StoreError> {
    let started: String = row.try_get("started_at")?;
    let ended: Option<String> = row.try_get("ended_at")?;
    Ok(Call {
        id: row.try_get("id")?,
        operator: row.try_get("operator")?,
        started_at: parse_instant(&started)?,
        ended_at: ended.as_deref().map(parse_instant).transpose()?,
        code: row.try_get("code")?,
        note: row.try_get("note")?,
        receipts: Vec::new(),
        reasons: Vec::new(),
        caller_phone: row.try_get("caller_phone")?,
        callback_id: row.try_get("callback_id")?,
        faq: Vec::new(),
    })
}

/// A call and its receipts (not its reasons and FAQ answers: [`full_call`]).
pub(super) async fn call_by_id(conn: &mut Conn, id: i64) -> Result<Call, StoreError> {
    let row = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let mut call = call_from_row(&row)?;
    call.receipts =
        sqlx::query_scalar("SELECT receipt_no FROM call_receipts WHERE call_id = $1 ORDER BY receipt_no")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(call)
}

/// Refuses a code that names no institution.
async fn require_institution(conn: &mut Conn, code: Option<&str>) -> Result<(), StoreError> {
    match code {
        Some(code) if !institution_exists(conn, code).await? => {
            Err(StoreError::NotFound(format!("institution {code}")))
        }
        _ => Ok(()),
    }
}

/// Closes a call: the end instant and the handle time in whole seconds (never negative),
/// which it answers (`None`: the call was closed already).
pub(super) async fn close_call_row(
    conn: &mut Conn,
    id: i64,
    ended_at: DateTime<Utc>,
) -> Result<Option<i64>, StoreError> {
    let started: Option<String> =
        sqlx::query_scalar("SELECT started_at FROM calls WHERE id = $1 AND ended_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(started) = started else { return Ok(None) };
    let seconds = (ended_at - parse_instant(&started)?).num_seconds().max(0);
    sqlx::query("UPDATE calls SET ended_at = $1, handle_seconds = $2 WHERE id = $3")
        .bind(audit_chain::instant_text(ended_at))
        .bind(seconds)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(seconds))
}

/// A call and all it carries, read on one connection.
pub(super) async fn full_call(conn: &mut Conn, id: i64) -> Result<Call, StoreError> {
    let mut call = call_by_id(conn, id).await?;
    fill_call_details(conn, &mut call).await?;
    Ok(call)
}

#[async_trait::async_trait]
impl CallStore for ThisStore {
    async fn start_call(
        &self,
        operator: &str,
        code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        require_institution(&mut tx, code).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (operator, started_at, ended_at, code, note) VALUES ($1, $2, NULL, $3, '') RETURNING id",
        )
        .bind(operator)
        .bind(audit_chain::instant_text(at))
        .bind(code)
        .fetch_one(&mut *tx)
        .await?;
        let call = call_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn update_call(
        &self,
        id: i64,
        code: Option<&str>,
        note: Option<&str>,
        ended_at: Option<DateTime<Utc>>,
    ) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        require_institution(&mut tx, code).await?;
        let done = sqlx::query(
            "UPDATE calls SET code = COALESCE($1, code), note = COALESCE($2, note), \
             ended_at = COALESCE($3, ended_at) WHERE id = $4",
        )
        .bind(code)
        .bind(note)
        .bind(ended_at.map(audit_chain::instant_text))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("call {id}")));
        }
        let call = call_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn calls(&self, code: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<Call>, StoreError> {
        let since = since.map(audit_chain::instant_text);
        let rows = sqlx::query(
            "SELECT c.id, c.operator, c.started_at, c.ended_at, c.code, c.note, c.caller_phone, c.callback_id, \
             r.receipt_no \
             FROM calls c LEFT JOIN call_receipts r ON r.call_id = c.id \
             WHERE ($1 IS NULL OR c.code = $1) AND ($2 IS NULL OR c.started_at >= $2) \
             ORDER BY c.started_at DESC, c.id DESC, r.receipt_no",
        )
        .bind(code)
        .bind(since.as_deref())
        .fetch_all(self.reader())
        .await?;
        let mut calls: Vec<Call> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            if calls.last().map(|c| c.id) != Some(id) {
                calls.push(call_from_row(row)?);
            }
            if let (Some(receipt), Some(call)) =
                (row.try_get::<Option<String>, _>("receipt_no")?, calls.last_mut())
            {
                call.receipts.push(receipt);
            }
        }
        fill_calls_details(self.reader(), &mut calls, code, since.as_deref()).await?;
        Ok(calls)
    }

    async fn call(&self, id: i64) -> Result<Option<Call>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        match full_call(&mut conn, id).await {
            Ok(call) => Ok(Some(call)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn start_new_call(&self, new: NewCall) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(code) = new.code.as_deref()
            && !institution_exists(&mut tx, code).await?
        {
            return Err(StoreError::NotFound(format!("institution {code}")));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (operator, started_at, ended_at, code, note, caller_phone, callback_id) \
             VALUES ($1, $2, NULL, $3, '', $4, $5) RETURNING id",
        )
        .bind(&new.operator)
        .bind(audit_chain::instant_text(new.at))
        .bind(new.code.as_deref())
        .bind(new.caller_phone.as_deref())
        .bind(new.callback_id)
        .fetch_one(&mut *tx)
        .await?;
        let call = full_call(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn set_reasons(&self, id: i64, reasons: &[String]) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        call_by_id(&mut tx, id).await?;
        set_call_reasons(&mut tx, id, reasons).await?;
        let call = full_call(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn close_call(&self, id: i64, at: DateTime<Utc>) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        call_by_id(&mut tx, id).await?;
        close_call_row(&mut tx, id, at).await?;
        let call = full_call(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn attach_faq(
        &self,
        call_id: i64,
        faq_id: &str,
        copied: bool,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        call_by_id(&mut tx, call_id).await?;
        attach_faq_row(&mut tx, call_id, faq_id, copied, at).await?;
        let call = full_call(&mut tx, call_id).await?;
        tx.commit().await?;
        Ok(call)
    }
}
