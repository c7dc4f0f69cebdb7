//! 折り返し: call-backs to an institution's REGISTERED phone (copied from its row inside the
//! write transaction, never passed in), listed by due time, taken (a linked call starts) and
//! closed with an outcome.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::calls::{call_by_id, full_call};
use super::convert::{corrupt, parse_instant};
use super::{Conn, DbRow, FOR_UPDATE, ThisStore};
use crate::api::Call;
use crate::domain::call as call_rules;
use crate::domain::call::PendingChange;
use crate::domain::{CallBack, CallBackOutcome};
use crate::store::audit_chain;
use crate::store::{CallBackStore, NewCallBackRecord, StoreError};

/// Columns of a call-back, with its institution's name (`b` is callbacks, `i` institutions).
const CALLBACK_COLUMNS: &str = "b.id, b.code, b.phone, b.reason, b.due_at, b.created_by, b.created_at, \
     b.origin_call_id, b.call_id, b.taken_by, b.outcome, b.done_at, b.change_model_id, b.change_units, \
     b.change_caller_name, b.change_caller_role, i.name";
const CALLBACK_FROM: &str = "callbacks b LEFT JOIN institutions i ON i.code = b.code";

fn callback_from_row(row: &DbRow, now: DateTime<Utc>) -> Result<CallBack, StoreError> {
    let due: String = row.try_get("due_at")?;
    let created: String = row.try_get("created_at")?;
    let done: Option<String> = row.try_get("done_at")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let due_at = parse_instant(&due)?;
    let done_at = done.as_deref().map(parse_instant).transpose()?;
    Ok(CallBack {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        phone: row.try_get("phone")?,
        reason: row.try_get("reason")?,
        due_at,
        created_by: row.try_get("created_by")?,
        created_at: parse_instant(&created)?,
        origin_call_id: row.try_get("origin_call_id")?,
        call_id: row.try_get("call_id")?,
        taken_by: row.try_get("taken_by")?,
        outcome: outcome
            .as_deref()
            .map(|o| CallBackOutcome::parse(o).ok_or_else(|| corrupt(format!("stored outcome {o:?}"))))
            .transpose()?,
        done_at,
        state: call_rules::callback_state(done_at.is_some(), due_at, now),
        name: row.try_get("name")?,
        change: pending_change_from_row(row)?,
    })
}

fn pending_change_from_row(row: &DbRow) -> Result<Option<PendingChange>, StoreError> {
    let model_id: Option<String> = row.try_get("change_model_id")?;
    let Some(model_id) = model_id else { return Ok(None) };
    let units: Option<i64> = row.try_get("change_units")?;
    Ok(Some(PendingChange {
        model_id,
        units: units.and_then(|u| u32::try_from(u).ok()).unwrap_or(1),
        caller_name: row.try_get::<Option<String>, _>("change_caller_name")?.unwrap_or_default(),
        caller_role: row.try_get::<Option<String>, _>("change_caller_role")?.unwrap_or_default(),
    }))
}

pub(super) async fn callback_by_id(
    conn: &mut Conn,
    id: i64,
    now: DateTime<Utc>,
    lock: bool,
) -> Result<CallBack, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CALLBACK_COLUMNS} FROM {CALLBACK_FROM} WHERE b.id = $1{}",
        // PostgreSQL locks the call-back's row only (not the institution's, an outer join).
        if lock && !FOR_UPDATE.is_empty() { format!("{FOR_UPDATE} OF b") } else { String::new() }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("call-back {id}")))?;
    callback_from_row(&row, now)
}

/// Inserts a call-back to `phone` (the institution's registered number, checked by the
/// caller) in the caller's transaction; returns its id.
pub(super) async fn insert_callback(
    conn: &mut Conn,
    new: &NewCallBackRecord,
    phone: &str,
) -> Result<i64, StoreError> {
    let change = new.change.as_ref();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO callbacks (code, phone, reason, due_at, created_by, created_at, origin_call_id, \
             change_model_id, change_units, change_caller_name, change_caller_role) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&new.code)
    .bind(phone)
    .bind(&new.reason)
    .bind(audit_chain::instant_text(new.due_at))
    .bind(&new.created_by)
    .bind(audit_chain::instant_text(new.created_at))
    .bind(new.origin_call_id)
    .bind(change.map(|c| c.model_id.as_str()))
    .bind(change.map(|c| i64::from(c.units)))
    .bind(change.map(|c| c.caller_name.as_str()))
    .bind(change.map(|c| c.caller_role.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The registered phone of an institution, or `NotFound` when there is no such institution.
async fn registered_phone(conn: &mut Conn, code: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT phone FROM institutions WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(p,)| p).ok_or_else(|| StoreError::NotFound(format!("institution {code}")))
}

#[async_trait::async_trait]
impl CallBackStore for ThisStore {
    async fn create_callback(
        &self,
        new: NewCallBackRecord,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError> {
        let mut tx = self.begin_write().await?;
        let phone = call_rules::callback_phone(registered_phone(&mut tx, &new.code).await?.as_deref())?;
        if let Some(origin) = new.origin_call_id {
            call_by_id(&mut tx, origin).await?;
        }
        let id = insert_callback(&mut tx, &new, &phone).await?;
        let cb = callback_by_id(&mut tx, id, now, false).await?;
        tx.commit().await?;
        Ok(cb)
    }

    async fn callbacks(
        &self,
        all: bool,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CallBack>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CALLBACK_COLUMNS} FROM {CALLBACK_FROM} \
             WHERE ($1 OR b.done_at IS NULL) AND ($2 IS NULL OR b.code = $2) \
             ORDER BY (b.done_at IS NOT NULL), b.due_at, b.id LIMIT 500"
        ))
        .bind(all)
        .bind(code)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| callback_from_row(r, now)).collect()
    }

    async fn callback(&self, id: i64, now: DateTime<Utc>) -> Result<Option<CallBack>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        match callback_by_id(&mut conn, id, now, false).await {
            Ok(cb) => Ok(Some(cb)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn take_callback(
        &self,
        id: i64,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<(CallBack, Call), StoreError> {
        let mut tx = self.begin_write().await?;
        let cb = callback_by_id(&mut tx, id, now, true).await?;
        call_rules::check_callback_open(cb.done_at.is_some())?;
        let call_id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (operator, started_at, ended_at, code, note, callback_id) \
             VALUES ($1, $2, NULL, $3, '', $4) RETURNING id",
        )
        .bind(operator)
        .bind(audit_chain::instant_text(now))
        .bind(&cb.code)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE callbacks SET call_id = $1, taken_by = $2 WHERE id = $3")
            .bind(call_id)
            .bind(operator)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let cb = callback_by_id(&mut tx, id, now, false).await?;
        let call = full_call(&mut tx, call_id).await?;
        tx.commit().await?;
        Ok((cb, call))
    }

    async fn close_callback(
        &self,
        id: i64,
        outcome: CallBackOutcome,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError> {
        let mut tx = self.begin_write().await?;
        let cb = callback_by_id(&mut tx, id, now, true).await?;
        call_rules::check_callback_open(cb.done_at.is_some())?;
        sqlx::query(
            "UPDATE callbacks SET outcome = $1, done_at = $2, taken_by = COALESCE(taken_by, $3) WHERE id = $4",
        )
        .bind(outcome.as_str())
        .bind(audit_chain::instant_text(now))
        .bind(operator)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let cb = callback_by_id(&mut tx, id, now, false).await?;
        tx.commit().await?;
        Ok(cb)
    }
}
