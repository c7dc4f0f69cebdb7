//! 変更履歴: appending to the hash chain inside a write transaction, listing it, verifying it
//! and counting changes.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::convert::{parse_instant, to_u64};
use super::{Conn, DbRow, ThisStore, lock_audit_chain, notify};
use crate::api::{AuditEvent, ServerEvent};
use crate::store::audit_chain::{self, ChainedFields, GENESIS_HASH};
use crate::store::{AuditStore, AuditVerification, StoreError};

const AUDIT_COLUMNS: &str = "seq, at, operator, action, code, receipt_no, detail, prev_hash, hash";

/// The last link of the chain, read once per transaction after taking the chain's lock.
pub(super) struct ChainHead {
    seq: i64,
    hash: String,
}

/// Takes the chain's lock (always after any row locks) and reads its last link.
pub(super) async fn chain_head(conn: &mut Conn) -> Result<ChainHead, StoreError> {
    lock_audit_chain(conn).await?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match last {
        Some((seq, hash)) => ChainHead { seq, hash },
        None => ChainHead { seq: 0, hash: GENESIS_HASH.to_string() },
    })
}

/// One event to append; `with_receipt` assigns it a 受付番号.
pub(super) struct NewEvent<'a> {
    pub at: DateTime<Utc>,
    pub operator: &'a str,
    pub action: &'a str,
    pub code: Option<&'a str>,
    pub with_receipt: bool,
    pub detail: serde_json::Value,
}

/// Appends one event with no institution and no 受付番号 (an operator or a key issued or
/// revoked) in the caller's transaction: the chain's lock, its head, the event.
pub(super) async fn append_admin_event(conn: &mut Conn, event: NewEvent<'_>) -> Result<(), StoreError> {
    let mut head = chain_head(&mut *conn).await?;
    append_event(conn, &mut head, event).await?;
    Ok(())
}

/// Appends one event after `head` (sequence = last + 1) and moves `head` to it. Returns the
/// 受付番号, if one was asked for.
pub(super) async fn append_event(
    conn: &mut Conn,
    head: &mut ChainHead,
    event: NewEvent<'_>,
) -> Result<Option<String>, StoreError> {
    let row = chain_next(head, &event, event.with_receipt);
    sqlx::query(&format!(
        "INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(row.seq)
    .bind(&row.at)
    .bind(event.operator)
    .bind(event.action)
    .bind(event.code)
    .bind(row.receipt.as_deref())
    .bind(&row.detail)
    .bind(&row.prev)
    .bind(&row.hash)
    .execute(&mut *conn)
    .await?;
    Ok(row.receipt)
}

/// One event's place in the chain, as its row stores it.
struct ChainedRow {
    seq: i64,
    at: String,
    receipt: Option<String>,
    detail: String,
    /// The hash of the event before it.
    prev: String,
    hash: String,
}

/// Chains `event` after `head` (sequence = last + 1, its hash over the one before and its
/// fields, a 受付番号 when `with_receipt`) and moves `head` to it.
fn chain_next(head: &mut ChainHead, event: &NewEvent<'_>, with_receipt: bool) -> ChainedRow {
    let seq = head.seq + 1;
    let at = audit_chain::instant_text(event.at);
    let receipt = with_receipt.then(|| audit_chain::receipt_no(event.at, seq));
    let detail = event.detail.to_string();
    let fields = ChainedFields {
        seq,
        at: &at,
        operator: event.operator,
        action: event.action,
        code: event.code,
        receipt_no: receipt.as_deref(),
        detail: &detail,
    };
    let hash = audit_chain::event_hash(&head.hash, &fields);
    let prev = std::mem::replace(&mut head.hash, hash.clone());
    head.seq = seq;
    ChainedRow { seq, at, receipt, detail, prev, hash }
}

/// Appends several events after `head` in one statement (each chained to the one before),
/// for a write that records many at once (a batch of campaign leases); none of them takes a
/// 受付番号. `head` moves to the last.
pub(super) async fn append_events(
    conn: &mut Conn,
    head: &mut ChainHead,
    events: &[NewEvent<'_>],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<(ChainedRow, &NewEvent<'_>)> =
        events.iter().map(|event| (chain_next(head, event, false), event)).collect();
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let p: Vec<String> = (1..=8).map(|c| format!("${}", r * 8 + c)).collect();
            format!("({}, {}, {}, {}, {}, NULL, {}, {}, {})", p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])
        })
        .collect();
    let sql = format!("INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES {}", values.join(", "));
    let mut q = sqlx::query(&sql);
    for (row, event) in &rows {
        q = q
            .bind(row.seq)
            .bind(&row.at)
            .bind(event.operator)
            .bind(event.action)
            .bind(event.code)
            .bind(&row.detail)
            .bind(&row.prev)
            .bind(&row.hash);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Takes the chain's lock and appends `events` after its head, in the caller's transaction.
/// Call it last: the lock is held until the commit.
pub(super) async fn append_to_chain(conn: &mut Conn, events: &[NewEvent<'_>]) -> Result<(), StoreError> {
    let mut head = chain_head(&mut *conn).await?;
    append_events(conn, &mut head, events).await
}

/// [`append_event`], then announces the event the entry stands for (see [`announced_by`])
/// to every server when the transaction commits (PostgreSQL `NOTIFY`; SQLite's feed reads the
/// entry itself).
pub(super) async fn append_and_notify(
    conn: &mut Conn,
    head: &mut ChainHead,
    event: NewEvent<'_>,
) -> Result<Option<String>, StoreError> {
    let operator = event.operator.to_string();
    let action = event.action.to_string();
    let code = event.code.map(str::to_string);
    let version = event.detail.get("after").and_then(|a| a.get("version")).and_then(|v| v.as_i64());
    let receipt = append_event(&mut *conn, head, event).await?;
    if let Some(announced) = announced_by(&operator, &action, code, receipt.clone(), version) {
        notify(conn, &announced).await?;
    }
    Ok(receipt)
}

/// The event an audit entry announces to consoles, if any: the one place a change's
/// [`ServerEvent`] is made from what was written, for PostgreSQL's `NOTIFY` and SQLite's poll
/// of the audit log alike. `version` is the entry's `detail.after.version`.
pub(crate) fn announced_by(
    operator: &str,
    action: &str,
    code: Option<String>,
    receipt_no: Option<String>,
    version: Option<i64>,
) -> Option<ServerEvent> {
    if action.starts_with("reader_application.") {
        return Some(ServerEvent::ApplicationChanged {
            code: code?,
            version: version.unwrap_or(0),
            operator: operator.to_string(),
            receipt_no,
        });
    }
    if action.starts_with("institution") {
        return Some(ServerEvent::InstitutionsChanged);
    }
    if action.starts_with("faq") {
        return Some(ServerEvent::FaqChanged);
    }
    None
}

fn audit_from_row(row: &DbRow) -> Result<AuditEvent, StoreError> {
    let at: String = row.try_get("at")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        at: parse_instant(&at)?,
        operator: row.try_get("operator")?,
        action: row.try_get("action")?,
        code: row.try_get("code")?,
        receipt_no: row.try_get("receipt_no")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Whether a stored row is the link that follows `prev_hash` at `expected_seq`.
fn intact(row: &DbRow, expected_seq: i64, prev_hash: &str) -> Result<(i64, Option<String>), StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let at: String = row.try_get("at")?;
    let operator: String = row.try_get("operator")?;
    let action: String = row.try_get("action")?;
    let code: Option<String> = row.try_get("code")?;
    let receipt_no: Option<String> = row.try_get("receipt_no")?;
    let detail: String = row.try_get("detail")?;
    let stored_prev: String = row.try_get("prev_hash")?;
    let hash: String = row.try_get("hash")?;
    let fields = ChainedFields {
        seq,
        at: &at,
        operator: &operator,
        action: &action,
        code: code.as_deref(),
        receipt_no: receipt_no.as_deref(),
        detail: &detail,
    };
    let ok = seq == expected_seq
        && stored_prev == prev_hash
        && audit_chain::event_hash(&stored_prev, &fields) == hash;
    Ok((seq, ok.then_some(hash)))
}

#[async_trait::async_trait]
impl AuditStore for ThisStore {
    async fn record_event(
        &self,
        operator: &str,
        action: &str,
        code: Option<&str>,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let mut head = chain_head(&mut tx).await?;
        append_event(
            &mut tx,
            &mut head,
            NewEvent { at, operator, action, code, with_receipt: false, detail },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit(&self, code: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        // Two spellings rather than `($1 IS NULL OR code = $1)`, which would keep both engines
        // from using the (code, seq) index for one institution's 履歴.
        let rows = match code {
            Some(code) => {
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE code = $1 ORDER BY seq DESC LIMIT $2"
                ))
                .bind(code)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT $1"))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?
            }
        };
        let mut events = rows.iter().map(audit_from_row).collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        Ok(events)
    }

    async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let rows = sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq"))
            .fetch_all(self.reader())
            .await?;
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut expected_seq = 1;
        let mut first_broken_seq = None;
        for row in &rows {
            match intact(row, expected_seq, &prev_hash)? {
                (seq, Some(hash)) => {
                    prev_hash = hash;
                    expected_seq = seq + 1;
                }
                (seq, None) => {
                    first_broken_seq = Some(seq.min(expected_seq));
                    break;
                }
            }
        }
        Ok(AuditVerification { events: rows.len() as u64, first_broken_seq })
    }

    async fn application_changes_between(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // Stored instants are fixed-width RFC 3339 UTC text, so text order is time order.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events \
             WHERE action LIKE 'reader\\_application.%' ESCAPE '\\' AND at >= $1 AND at < $2",
        )
        .bind(audit_chain::instant_text(from))
        .bind(audit_chain::instant_text(until))
        .fetch_one(self.reader())
        .await?;
        to_u64(n)
    }
}
