// The queries of the live call (wrap-up reasons, call-backs, FAQ answers on a call, the call
// report), shared by the SQLite and PostgreSQL backends like `shared_sql.rs` and `include!`d
// after it, so it sees the same `Db`, `Conn`, `DbRow` and helpers. Free functions over one
// connection: the `Store` methods open the transaction and call these.

use crate::api::CallFaq;
use crate::domain::call::{self as call_rules, CallCounts, OperatorCounts};
use crate::domain::{CallBack, CallBackOutcome};

const CALLBACK_COLUMNS: &str = "id, code, phone, reason, due_at, created_by, created_at, origin_call_id, \
     call_id, taken_by, outcome, done_at";

/// Reasons and FAQ answers of one call (the list and the single read both use it).
async fn fill_call_details(conn: &mut Conn, call: &mut Call) -> Result<(), StoreError> {
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
async fn fill_calls_details(
    pool: &sqlx::Pool<Db>,
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

/// Replaces a call's wrap-up reasons.
async fn set_call_reasons(conn: &mut Conn, id: i64, reasons: &[String]) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM call_reasons WHERE call_id = $1").bind(id).execute(&mut *conn).await?;
    for r in reasons {
        sqlx::query("INSERT INTO call_reasons (call_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(r)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Closes a call: the end instant and the handle time in whole seconds (never negative).
async fn close_call_row(conn: &mut Conn, id: i64, ended_at: DateTime<Utc>) -> Result<(), StoreError> {
    let started: Option<String> = sqlx::query_scalar("SELECT started_at FROM calls WHERE id = $1 AND ended_at IS NULL")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(started) = started else { return Ok(()) };
    let seconds = (ended_at - parse_instant(&started)?).num_seconds().max(0);
    sqlx::query("UPDATE calls SET ended_at = $1, handle_seconds = $2 WHERE id = $3")
        .bind(audit_chain::instant_text(ended_at))
        .bind(seconds)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Attaches an FAQ entry (its current version and question) to a call; showing it again keeps
/// one row, copying it marks the row copied.
async fn attach_faq_row(
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
            .map(|o| CallBackOutcome::parse(o).ok_or_else(|| invalid(format!("stored outcome {o:?}"))))
            .transpose()?,
        done_at,
        state: call_rules::callback_state(done_at.is_some(), due_at, now),
    })
}

async fn callback_by_id(
    conn: &mut Conn,
    id: i64,
    now: DateTime<Utc>,
    lock: bool,
) -> Result<CallBack, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE id = $1{}",
        if lock { FOR_UPDATE } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("call-back {id}")))?;
    callback_from_row(&row, now)
}

/// The registered phone of an institution, or `NotFound` when there is no such institution.
async fn registered_phone(conn: &mut Conn, code: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT phone FROM institutions WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(p,)| p).ok_or_else(|| StoreError::NotFound(format!("institution {code}")))
}

/// Counts a report period in SQL: calls by Japan hour and by operator (with handle times),
/// reasons of the calls started in it, and call-backs due in it by where they stand at `now`.
async fn count_calls(
    conn: &mut Conn,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<CallCounts, StoreError> {
    let (start, end, now) =
        (audit_chain::instant_text(start), audit_chain::instant_text(end), audit_chain::instant_text(now));
    // Instants are RFC 3339 UTC text: characters 12-13 are the UTC hour.
    let by_hour: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (CAST(SUBSTR(started_at, 12, 2) AS BIGINT) + 9) % 24 AS h, COUNT(*) FROM calls \
         WHERE started_at >= $1 AND started_at < $2 GROUP BY h",
    )
    .bind(&start)
    .bind(&end)
    .fetch_all(&mut *conn)
    .await?;
    let by_reason: Vec<(String, i64)> = sqlx::query_as(
        "SELECT r.reason, COUNT(*) FROM call_reasons r JOIN calls c ON c.id = r.call_id \
         WHERE c.started_at >= $1 AND c.started_at < $2 GROUP BY r.reason",
    )
    .bind(&start)
    .bind(&end)
    .fetch_all(&mut *conn)
    .await?;
    let by_operator: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT operator, COUNT(*), COUNT(handle_seconds), CAST(SUM(handle_seconds) AS BIGINT) FROM calls \
         WHERE started_at >= $1 AND started_at < $2 GROUP BY operator",
    )
    .bind(&start)
    .bind(&end)
    .fetch_all(&mut *conn)
    .await?;
    let (due, overdue, done): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
           COALESCE(SUM(CASE WHEN done_at IS NULL AND due_at >= $3 THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN done_at IS NULL AND due_at < $3 THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
         FROM callbacks WHERE due_at >= $1 AND due_at < $2",
    )
    .bind(&start)
    .bind(&end)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CallCounts {
        by_hour: by_hour.into_iter().map(|(h, n)| (h.clamp(0, 23) as u32, n.max(0) as u64)).collect(),
        by_reason: by_reason.into_iter().map(|(r, n)| (r, n.max(0) as u64)).collect(),
        by_operator: by_operator
            .into_iter()
            .map(|(operator, calls, closed, secs)| OperatorCounts {
                operator,
                calls: calls.max(0) as u64,
                closed: closed.max(0) as u64,
                handle_seconds: secs.unwrap_or(0).max(0) as u64,
            })
            .collect(),
        callbacks_due: due.max(0) as u64,
        callbacks_overdue: overdue.max(0) as u64,
        callbacks_done: done.max(0) as u64,
    })
}

/// A call and all it carries, read on one connection.
async fn full_call(conn: &mut Conn, id: i64) -> Result<Call, StoreError> {
    let mut call = call_by_id(conn, id).await?;
    fill_call_details(conn, &mut call).await?;
    Ok(call)
}

#[async_trait::async_trait]
impl crate::store::live_call::CallStore for ThisStore {
    async fn call(&self, id: i64) -> Result<Option<Call>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        match full_call(&mut conn, id).await {
            Ok(call) => Ok(Some(call)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn start_new_call(&self, new: crate::store::live_call::NewCall) -> Result<Call, StoreError> {
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

    async fn create_callback(
        &self,
        new: crate::store::live_call::NewCallBackRecord,
        now: DateTime<Utc>,
    ) -> Result<CallBack, StoreError> {
        let mut tx = self.begin_write().await?;
        let phone = call_rules::callback_phone(registered_phone(&mut tx, &new.code).await?.as_deref())?;
        if let Some(origin) = new.origin_call_id {
            call_by_id(&mut tx, origin).await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO callbacks (code, phone, reason, due_at, created_by, created_at, origin_call_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&new.code)
        .bind(&phone)
        .bind(&new.reason)
        .bind(audit_chain::instant_text(new.due_at))
        .bind(&new.created_by)
        .bind(audit_chain::instant_text(new.created_at))
        .bind(new.origin_call_id)
        .fetch_one(&mut *tx)
        .await?;
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
            "SELECT {CALLBACK_COLUMNS} FROM callbacks \
             WHERE ($1 OR done_at IS NULL) AND ($2 IS NULL OR code = $2) \
             ORDER BY (done_at IS NOT NULL), due_at, id LIMIT 500"
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

    async fn call_counts(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<CallCounts, StoreError> {
        let mut conn = self.reader().acquire().await?;
        count_calls(&mut conn, start, end, now).await
    }
}
