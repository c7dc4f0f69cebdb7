//! What hangs off a call record: its wrap-up reasons (応対の理由) and the FAQ answers shown or
//! copied during it, read for one call or for a listed set, and written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::convert::parse_instant;
use super::{Conn, DbRow, Reader};
use crate::api::{Call, CallFaq};
use crate::store::StoreError;
use crate::store::audit_chain;

/// Reasons and FAQ answers of one call.
pub(super) async fn fill_call_details(conn: &mut Conn, call: &mut Call) -> Result<(), StoreError> {
    call.reasons = sqlx::query_scalar("SELECT reason FROM call_reasons WHERE call_id = $1 ORDER BY reason")
        .bind(call.id)
        .fetch_all(&mut *conn)
        .await?;
    let rows = sqlx::query(
        "SELECT faq_id, faq_version, question, copied, at FROM call_faq WHERE call_id = $1 ORDER BY at, faq_id",
    )
    .bind(call.id)
    .fetch_all(&mut *conn)
    .await?;
    call.faq = rows.iter().map(call_faq_from_row).collect::<Result<_, _>>()?;
    Ok(())
}

/// Reasons and FAQ answers of a listed set of calls (same filter as the list), two queries.
pub(super) async fn fill_calls_details(
    pool: &Reader,
    calls: &mut [Call],
    code: Option<&str>,
    since: Option<&str>,
) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    let at: HashMap<i64, usize> = calls.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    let reasons: Vec<(i64, String)> = sqlx::query_as(
        "SELECT r.call_id, r.reason FROM call_reasons r JOIN calls c ON c.id = r.call_id \
         WHERE ($1 IS NULL OR c.code = $1) AND ($2 IS NULL OR c.started_at >= $2) ORDER BY r.call_id, r.reason",
    )
    .bind(code)
    .bind(since)
    .fetch_all(pool)
    .await?;
    for (id, reason) in reasons {
        if let Some(&i) = at.get(&id) {
            calls[i].reasons.push(reason);
        }
    }
    let rows = sqlx::query(
        "SELECT f.call_id, f.faq_id, f.faq_version, f.question, f.copied, f.at FROM call_faq f \
         JOIN calls c ON c.id = f.call_id \
         WHERE ($1 IS NULL OR c.code = $1) AND ($2 IS NULL OR c.started_at >= $2) ORDER BY f.at, f.faq_id",
    )
    .bind(code)
    .bind(since)
    .fetch_all(pool)
    .await?;
    for row in &rows {
        let id: i64 = row.try_get("call_id")?;
        if let Some(&i) = at.get(&id) {
            calls[i].faq.push(call_faq_from_row(row)?);
        }
    }
    Ok(())
}

fn call_faq_from_row(row: &DbRow) -> Result<CallFaq, StoreError> {
    let at: String = row.try_get("at")?;
    Ok(CallFaq {
        faq_id: row.try_get("faq_id")?,
        version: row.try_get("faq_version")?,
        question: row.try_get("question")?,
        copied: row.try_get("copied")?,
        at: parse_instant(&at)?,
    })
}

/// Replaces a call's wrap-up reasons. Each row carries its call's start instant, so the
/// report counts reasons by period from one index without joining calls.
pub(super) async fn set_call_reasons(conn: &mut Conn, id: i64, reasons: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM call_reasons WHERE call_id = $1").bind(id).execute(&mut *conn).await?;
    for r in reasons {
        sqlx::query(
            "INSERT INTO call_reasons (call_id, reason, started_at) \
             SELECT id, $2, started_at FROM calls WHERE id = $1 ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(r)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Attaches an FAQ entry (its current version and question) to a call; showing it again keeps
/// one row, copying it marks the row copied.
pub(super) async fn attach_faq_row(
    conn: &mut Conn,
    call_id: i64,
    faq_id: &str,
    copied: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry: Option<(i64, String)> =
        sqlx::query_as("SELECT version, question FROM faq_entries WHERE id = $1")
            .bind(faq_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (version, question) = entry.ok_or_else(|| StoreError::NotFound(format!("FAQ {faq_id}")))?;
    sqlx::query(
        "INSERT INTO call_faq (call_id, faq_id, faq_version, question, copied, at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (call_id, faq_id, faq_version) DO UPDATE SET copied = (call_faq.copied OR excluded.copied)",
    )
    .bind(call_id)
    .bind(faq_id)
    .bind(version)
    .bind(question)
    .bind(copied)
    .bind(audit_chain::instant_text(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
