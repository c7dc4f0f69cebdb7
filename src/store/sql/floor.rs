//! The floor (live): operators' states (one row each while signed in) and the log of every
//! change, raised hands (挙手). A state change reads the row, runs the domain's state machine
//! and writes the row and the log in one write transaction, so consoles on several servers
//! changing one operator's state serialize in the database.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::convert::{corrupt, parse_instant};
use super::placeholders;
use super::{Conn, DbRow, FOR_UPDATE, ThisStore};
use crate::api::{FloorAgent, FloorCall};
use crate::domain::floor::{AgentState, AgentStatus, HandRaise, StateChange, Transition};
use crate::store::audit_chain::instant_text;
use crate::store::{AgentChange, AgentRule, FloorStore, StoreError};

const STATUS_COLUMNS: &str = "s.operator, s.state, s.reason, s.since, s.call_id, s.signed_in_at";

/// A state row, with the call it names (`c`) and that call's institution (`i`).
const AGENT_SELECT: &str = "SELECT s.operator, s.state, s.reason, s.since, s.call_id, s.signed_in_at, \
     c.started_at AS call_started_at, c.code AS call_code, i.name AS call_name, \
     (SELECT k.name FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id \
       WHERE m.lease_call_id = s.call_id LIMIT 1) AS campaign_name \
     FROM agent_states s LEFT JOIN calls c ON c.id = s.call_id LEFT JOIN institutions i ON i.code = c.code";

fn state_from_text(s: &str) -> Result<AgentState, StoreError> {
    AgentState::parse(s).ok_or_else(|| corrupt(format!("agent state {s:?}")))
}

fn status_from_row(row: &DbRow) -> Result<AgentStatus, StoreError> {
    let state: String = row.try_get("state")?;
    let since: String = row.try_get("since")?;
    let signed_in: String = row.try_get("signed_in_at")?;
    Ok(AgentStatus {
        state: state_from_text(&state)?,
        reason: row.try_get("reason")?,
        since: parse_instant(&since)?,
        call_id: row.try_get("call_id")?,
        signed_in_at: parse_instant(&signed_in)?,
    })
}

fn agent_from_row(row: &DbRow) -> Result<FloorAgent, StoreError> {
    let status = status_from_row(row)?;
    let started: Option<String> = row.try_get("call_started_at")?;
    let call = match (status.call_id, started) {
        (Some(id), Some(started)) => Some(FloorCall {
            id,
            started_at: parse_instant(&started)?,
            code: row.try_get("call_code")?,
            name: row.try_get("call_name")?,
            campaign: row.try_get("campaign_name")?,
        }),
        _ => None,
    };
    Ok(FloorAgent {
        operator: row.try_get("operator")?,
        status,
        call,
        attention: None,
        console_here: false,
        watched_by: None,
    })
}

const HAND_COLUMNS: &str = "id, operator, note, raised_at, acknowledged_by, acknowledged_at";

fn hand_from_row(row: &DbRow) -> Result<HandRaise, StoreError> {
    let raised: String = row.try_get("raised_at")?;
    let acked: Option<String> = row.try_get("acknowledged_at")?;
    Ok(HandRaise {
        id: row.try_get("id")?,
        operator: row.try_get("operator")?,
        note: row.try_get("note")?,
        raised_at: parse_instant(&raised)?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledged_at: acked.as_deref().map(parse_instant).transpose()?,
    })
}

async fn hand_by_id(conn: &mut Conn, id: i64) -> Result<HandRaise, StoreError> {
    let row = sqlx::query(&format!("SELECT {HAND_COLUMNS} FROM hand_raises WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("hand raise {id}")))?;
    hand_from_row(&row)
}

/// The operator's raised hand still waiting for a supervisor, if any.
async fn open_hand_of(conn: &mut Conn, operator: &str) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM hand_raises WHERE operator = $1 AND acknowledged_at IS NULL \
         AND lowered_at IS NULL ORDER BY id DESC LIMIT 1{FOR_UPDATE}"
    ))
    .bind(operator)
    .fetch_optional(&mut *conn)
    .await?)
}

/// [`change_agent_states_in`] for states that follow work done in the same transaction (a
/// campaign call started or closed): a change the rule refuses is logged (`what` names the
/// work) and answered `None`, never the work's error.
pub(super) async fn follow_agent_states_in(
    conn: &mut Conn,
    at: DateTime<Utc>,
    changes: Vec<(String, AgentRule)>,
    what: &str,
) -> Result<Vec<Option<AgentChange>>, StoreError> {
    Ok(change_agent_states_in(conn, at, changes)
        .await?
        .into_iter()
        .map(|r| match r {
            Ok(change) => Some(change),
            Err(e) => {
                tracing::warn!(error = %e, "{what} did not move its operator's floor state");
                None
            }
        })
        .collect())
}

/// Runs several operators' state machines inside the caller's write transaction (a batch of
/// campaign leases starts many calls at once): one read of their rows, one write of the rows
/// that changed and one of the log, instead of a transaction each. An operator named twice
/// moves twice, in order. A rule that refuses leaves that operator as they were (its error
/// is that item's answer); the others are written.
pub(super) async fn change_agent_states_in(
    conn: &mut Conn,
    at: DateTime<Utc>,
    changes: Vec<(String, AgentRule)>,
) -> Result<Vec<Result<AgentChange, crate::domain::RuleError>>, StoreError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<&str> = changes.iter().map(|(op, _)| op.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let sql = format!(
        "SELECT {STATUS_COLUMNS} FROM agent_states s WHERE s.operator IN ({}) ORDER BY s.operator{FOR_UPDATE}",
        placeholders::list(1, names.len())
    );
    let mut q = sqlx::query(&sql);
    for name in &names {
        q = q.bind(*name);
    }
    let mut now: std::collections::HashMap<String, Option<AgentStatus>> =
        names.iter().map(|n| (n.to_string(), None)).collect();
    for row in q.fetch_all(&mut *conn).await? {
        now.insert(row.try_get("operator")?, Some(status_from_row(&row)?));
    }
    let mut answers = Vec::with_capacity(changes.len());
    let mut log: Vec<(String, Option<AgentStatus>)> = Vec::new();
    for (operator, rule) in changes {
        let before = now.get(&operator).cloned().flatten();
        match rule(before.as_ref()) {
            Err(e) => answers.push(Err(e)),
            Ok(Transition::Unchanged) => {
                answers.push(Ok(AgentChange { after: before.clone(), before, changed: false }));
            }
            Ok(Transition::To(after)) => {
                now.insert(operator.clone(), after.clone());
                log.push((operator, after.clone()));
                answers.push(Ok(AgentChange { before, after, changed: true }));
            }
        }
    }
    if log.is_empty() {
        return Ok(answers);
    }
    // Each changed operator's last state: a row while signed in, none once signed out.
    let mut last: Vec<(&str, &Option<AgentStatus>)> = Vec::new();
    for (operator, after) in log.iter().rev() {
        if !last.iter().any(|(o, _)| *o == operator.as_str()) {
            last.push((operator.as_str(), after));
        }
    }
    let rows: Vec<(&str, &AgentStatus)> =
        last.iter().filter_map(|(o, a)| a.as_ref().map(|a| (*o, a))).collect();
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO agent_states (operator, state, reason, since, call_id, signed_in_at) VALUES {} \
             ON CONFLICT (operator) DO UPDATE SET state = excluded.state, reason = excluded.reason, \
             since = excluded.since, call_id = excluded.call_id, signed_in_at = excluded.signed_in_at",
            placeholders::rows(rows.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (operator, s) in &rows {
            q = q
                .bind(*operator)
                .bind(s.state.as_str())
                .bind(&s.reason)
                .bind(instant_text(s.since))
                .bind(s.call_id)
                .bind(instant_text(s.signed_in_at));
        }
        q.execute(&mut *conn).await?;
    }
    for (operator, _) in last.iter().filter(|(_, a)| a.is_none()) {
        sqlx::query("DELETE FROM agent_states WHERE operator = $1")
            .bind(*operator)
            .execute(&mut *conn)
            .await?;
    }
    // The log holds when each state began (see `change_agent_state`).
    let sql = format!(
        "INSERT INTO agent_state_log (operator, state, reason, at) VALUES {}",
        placeholders::rows(log.len(), 4)
    );
    let mut q = sqlx::query(&sql);
    for (operator, after) in &log {
        let since = after.as_ref().map(|s| s.since).unwrap_or(at);
        q = q
            .bind(operator)
            .bind(after.as_ref().map(|s| s.state.as_str()))
            .bind(after.as_ref().and_then(|s| s.reason.clone()))
            .bind(instant_text(since));
    }
    q.execute(&mut *conn).await?;
    Ok(answers)
}

#[async_trait::async_trait]
impl FloorStore for ThisStore {
    async fn change_agent_state(
        &self,
        operator: &str,
        at: DateTime<Utc>,
        rule: AgentRule,
    ) -> Result<AgentChange, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT {STATUS_COLUMNS} FROM agent_states s WHERE s.operator = $1{FOR_UPDATE}"
        ))
        .bind(operator)
        .fetch_optional(&mut *tx)
        .await?;
        let before = row.as_ref().map(status_from_row).transpose()?;
        let after = match rule(before.as_ref())? {
            Transition::Unchanged => {
                return Ok(AgentChange { after: before.clone(), before, changed: false });
            }
            Transition::To(after) => after,
        };
        match &after {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO agent_states (operator, state, reason, since, call_id, signed_in_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (operator) DO UPDATE SET \
                     state = excluded.state, reason = excluded.reason, since = excluded.since, \
                     call_id = excluded.call_id, signed_in_at = excluded.signed_in_at",
                )
                .bind(operator)
                .bind(s.state.as_str())
                .bind(&s.reason)
                .bind(instant_text(s.since))
                .bind(s.call_id)
                .bind(instant_text(s.signed_in_at))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM agent_states WHERE operator = $1")
                    .bind(operator)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // The log holds when each state began: an after-call that ran out began being
        // available at the moment it ran out, not when it was noticed.
        let since = after.as_ref().map(|s| s.since).unwrap_or(at);
        sqlx::query("INSERT INTO agent_state_log (operator, state, reason, at) VALUES ($1, $2, $3, $4)")
            .bind(operator)
            .bind(after.as_ref().map(|s| s.state.as_str()))
            .bind(after.as_ref().and_then(|s| s.reason.clone()))
            .bind(instant_text(since))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AgentChange { before, after, changed: true })
    }

    async fn floor_agents(&self) -> Result<Vec<FloorAgent>, StoreError> {
        let rows =
            sqlx::query(&format!("{AGENT_SELECT} ORDER BY s.operator")).fetch_all(self.reader()).await?;
        rows.iter().map(agent_from_row).collect()
    }

    async fn floor_agent(&self, operator: &str) -> Result<Option<FloorAgent>, StoreError> {
        let row = sqlx::query(&format!("{AGENT_SELECT} WHERE s.operator = $1"))
            .bind(operator)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(agent_from_row).transpose()
    }

    async fn after_call_since(&self) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT operator, since FROM agent_states WHERE state = 'after_call'")
                .fetch_all(self.reader())
                .await?;
        rows.into_iter().map(|(op, since)| Ok((op, parse_instant(&since)?))).collect()
    }

    async fn state_log(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(String, StateChange)>, StoreError> {
        // The state in force at `from` (each operator's last change before it), then the
        // changes inside the period, per operator in order.
        let rows = sqlx::query(
            "SELECT l.id, l.operator, l.state, l.reason, l.at FROM agent_state_log l \
             WHERE l.id IN (SELECT MAX(id) FROM agent_state_log WHERE at < $1 GROUP BY operator) \
                OR (l.at >= $1 AND l.at < $2) \
             ORDER BY l.operator, l.at, l.id",
        )
        .bind(instant_text(from))
        .bind(instant_text(until))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let state: Option<String> = row.try_get("state")?;
                let at: String = row.try_get("at")?;
                Ok((
                    row.try_get("operator")?,
                    StateChange {
                        at: parse_instant(&at)?,
                        state: state.as_deref().map(state_from_text).transpose()?,
                        reason: row.try_get("reason")?,
                    },
                ))
            })
            .collect()
    }

    async fn raise_hand(
        &self,
        operator: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<HandRaise, StoreError> {
        let mut tx = self.begin_write().await?;
        // A hand already up gets the new note; it keeps its place in the queue.
        let id =
            match open_hand_of(&mut tx, operator).await? {
                Some(id) => {
                    sqlx::query("UPDATE hand_raises SET note = $1 WHERE id = $2")
                        .bind(note)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                None => sqlx::query_scalar(
                    "INSERT INTO hand_raises (operator, note, raised_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(operator)
                .bind(note)
                .bind(instant_text(at))
                .fetch_one(&mut *tx)
                .await?,
            };
        let hand = hand_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(hand)
    }

    async fn lower_hand(&self, operator: &str, at: DateTime<Utc>) -> Result<Option<HandRaise>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(id) = open_hand_of(&mut tx, operator).await? else { return Ok(None) };
        sqlx::query("UPDATE hand_raises SET lowered_at = $1 WHERE id = $2")
            .bind(instant_text(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let hand = hand_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(hand))
    }

    async fn acknowledge_hand(&self, id: i64, by: &str, at: DateTime<Utc>) -> Result<HandRaise, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE hand_raises SET acknowledged_by = $1, acknowledged_at = $2 \
             WHERE id = $3 AND acknowledged_at IS NULL",
        )
        .bind(by)
        .bind(instant_text(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let hand = hand_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(hand)
    }

    async fn open_hands(&self) -> Result<Vec<HandRaise>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {HAND_COLUMNS} FROM hand_raises WHERE acknowledged_at IS NULL AND lowered_at IS NULL \
             ORDER BY raised_at, id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(hand_from_row).collect()
    }

    async fn latest_hand(&self, operator: &str) -> Result<Option<HandRaise>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {HAND_COLUMNS} FROM hand_raises WHERE operator = $1 AND lowered_at IS NULL \
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(operator)
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(hand_from_row).transpose()
    }
}
