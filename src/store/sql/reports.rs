//! The counts behind the call report, done in SQL so a year of calls never leaves the
//! database: calls by Japan hour and operator (with handle times), reasons, call-backs due.

use chrono::{DateTime, Utc};

use super::{Conn, ThisStore};
use crate::domain::call::{CallCounts, OperatorCounts};
use crate::store::audit_chain;
use crate::store::{ReportStore, StoreError};

/// Counts a report period in SQL: calls by Japan hour and by operator (with handle times),
/// reasons of the calls started in it, and call-backs due in it by where they stand at `now`.
/// Each query is a range scan of one covering index (migration 4), so a day costs its own rows
/// whatever a year holds, on both backends, with or without statistics: `calls_report`
/// (started_at, operator, handle_seconds), `call_reasons_started` (started_at, reason),
/// `callbacks_due`.
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
        "SELECT reason, COUNT(*) FROM call_reasons WHERE started_at >= $1 AND started_at < $2 GROUP BY reason",
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

#[async_trait::async_trait]
impl ReportStore for ThisStore {
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
