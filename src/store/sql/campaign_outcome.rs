//! 架電キャンペーン: outcomes, a batch recorded in one write transaction. For each command,
//! in order: its member (locked on PostgreSQL), the lessee, the member still open, the
//! receipt of a 機種選定済 — a command refused writes nothing of its own and the others go on.
//! Then, for every command accepted, set-based: the calls' wrap-up reasons and their close,
//! the operators' floor states, the attempts, the members' new states, the 架電不要 marks,
//! the call-backs of 折り返し予定, one append to the audit chain (its lock taken last). The
//! members are read back after the commit, on a reader, by the one rule that reads a state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{NewEvent, append_to_chain};
use super::callbacks::{callback_by_id, insert_callback};
use super::campaigns::{MEMBER_SELECT, kind_from_text, member_from_row};
use super::convert::{corrupt, parse_instant, to_u32};
use super::floor::follow_agent_states_in;
use super::placeholders::{case_by_id, ids as id_list, list, rows};
use super::{Conn, FOR_UPDATE, ThisStore};
use crate::api::FloorCall;
use crate::domain::InstitutionKind;
use crate::domain::campaign::{AfterOutcome, Outcome, StoredState, check_lessee, check_receipt};
use crate::store::audit_chain::instant_text;
use crate::store::{NewCallBackRecord, OutcomeAnswer, OutcomeCommand, RecordedOutcomeRow, StoreError};

/// A member as an outcome needs it, read in the transaction.
struct Held {
    campaign_id: i64,
    code: String,
    kind: InstitutionKind,
    stored: StoredState,
    attempts: u32,
    leased_by: Option<String>,
    handed_out: bool,
    call: Option<HeldCall>,
    name: String,
    phone: Option<String>,
    campaign_name: String,
}

/// The member's leased call.
struct HeldCall {
    id: i64,
    started_at: DateTime<Utc>,
    /// Closed already (by the operator's console), with its handle time.
    closed: Option<Option<i64>>,
    /// It has wrap-up reasons already.
    has_reasons: bool,
}

/// What an accepted command writes.
struct Accepted {
    /// Index of the command.
    n: usize,
    member_id: i64,
    attempts: u32,
    after: AfterOutcome,
    handle_seconds: Option<i64>,
    receipt: Option<String>,
    /// 折り返し予定: the registered number its call-back goes to.
    call_back_phone: Option<String>,
}

/// A command's data (its rules taken apart: they are not `Sync`, and the commands are
/// borrowed across the transaction's awaits).
struct Plain {
    campaign_id: i64,
    member_id: i64,
    operator: String,
    outcome: Outcome,
    receipt_no: Option<String>,
    at: DateTime<Utc>,
    wrap_up_reason: String,
    call_back: Option<crate::store::OutcomeCallBack>,
}

/// The members named, locked on PostgreSQL in the order of their ids (two servers' batches
/// sharing a member wait for each other rather than deadlock), with their call, institution
/// and campaign.
async fn held_members(conn: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, Held>, StoreError> {
    let lock = if FOR_UPDATE.is_empty() { String::new() } else { format!("{FOR_UPDATE} OF m") };
    let sql = format!(
        "SELECT m.id, m.campaign_id, m.code, m.kind, m.state, m.attempts, m.leased_by, m.lease_until, \
         m.lease_call_id, COALESCE(i.name, '') AS name, i.phone, c.name AS campaign_name, \
         k.started_at AS call_started_at, k.ended_at AS call_ended_at, k.handle_seconds AS call_handle_seconds, \
         CAST((SELECT COUNT(*) FROM call_reasons r WHERE r.call_id = m.lease_call_id) AS BIGINT) AS reasons \
         FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
         LEFT JOIN institutions i ON i.code = m.code LEFT JOIN calls k ON k.id = m.lease_call_id \
         WHERE m.id IN ({}) ORDER BY m.id{lock}",
        list(1, ids.len())
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let mut held = HashMap::new();
    for row in q.fetch_all(&mut *conn).await? {
        let call_id: Option<i64> = row.try_get("lease_call_id")?;
        let started: Option<String> = row.try_get("call_started_at")?;
        let call = match (call_id, started) {
            (Some(id), Some(started)) => Some(HeldCall {
                id,
                started_at: parse_instant(&started)?,
                closed: row
                    .try_get::<Option<String>, _>("call_ended_at")?
                    .map(|_| row.try_get::<Option<i64>, _>("call_handle_seconds"))
                    .transpose()?,
                has_reasons: row.try_get::<i64, _>("reasons")? > 0,
            }),
            _ => None,
        };
        held.insert(
            row.try_get("id")?,
            Held {
                campaign_id: row.try_get("campaign_id")?,
                code: row.try_get("code")?,
                kind: kind_from_text(&row.try_get::<String, _>("kind")?)?,
                stored: {
                    let s: String = row.try_get("state")?;
                    StoredState::parse(&s).ok_or_else(|| corrupt(format!("stored member state {s:?}")))?
                },
                attempts: to_u32(row.try_get("attempts")?)?,
                leased_by: row.try_get("leased_by")?,
                handed_out: row.try_get::<Option<String>, _>("lease_until")?.is_some(),
                call,
                name: row.try_get("name")?,
                phone: row.try_get("phone")?,
                campaign_name: row.try_get("campaign_name")?,
            },
        );
    }
    Ok(held)
}

/// The receipts of the calls named (`call id → 受付番号`).
async fn receipts_of(conn: &mut Conn, calls: &[i64]) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if calls.is_empty() {
        return Ok(out);
    }
    let sql =
        format!("SELECT call_id, receipt_no FROM call_receipts WHERE call_id IN ({})", list(1, calls.len()));
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
    for c in calls {
        q = q.bind(*c);
    }
    for (call, receipt) in q.fetch_all(&mut *conn).await? {
        out.entry(call).or_default().push(receipt);
    }
    Ok(out)
}

/// Records a batch of outcomes in one transaction (see the module's comment).
pub(super) async fn record_outcomes(
    store: &ThisStore,
    cmds: Vec<OutcomeCommand>,
) -> Result<Vec<OutcomeAnswer>, StoreError> {
    let mut rules = Vec::with_capacity(cmds.len());
    let mut closers = Vec::with_capacity(cmds.len());
    let cmds: Vec<Plain> = cmds
        .into_iter()
        .map(|c| {
            rules.push(Some(c.rule));
            closers.push(c.closed);
            Plain {
                campaign_id: c.campaign_id,
                member_id: c.member_id,
                operator: c.operator,
                outcome: c.outcome,
                receipt_no: c.receipt_no,
                at: c.at,
                wrap_up_reason: c.wrap_up_reason,
                call_back: c.call_back,
            }
        })
        .collect();
    let mut answers: Vec<Option<OutcomeAnswer>> = (0..cmds.len()).map(|_| None).collect();
    let mut tx = store.begin_write().await?;
    let mut ids: Vec<i64> = cmds.iter().map(|c| c.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut held = held_members(&mut tx, &ids).await?;
    let wanted_receipts: Vec<i64> = cmds
        .iter()
        .filter(|c| c.outcome.checks_receipt())
        .filter_map(|c| held.get(&c.member_id)?.call.as_ref().map(|k| k.id))
        .collect();
    let receipts = receipts_of(&mut tx, &wanted_receipts).await?;

    // Each command in order against the members as the earlier ones of the batch left them.
    let mut accepted: Vec<Accepted> = Vec::new();
    for (n, cmd) in cmds.iter().enumerate() {
        let Some(m) = held.get_mut(&cmd.member_id).filter(|m| m.campaign_id == cmd.campaign_id) else {
            let missing = format!("campaign {} member {}", cmd.campaign_id, cmd.member_id);
            answers[n] = Some(Err(StoreError::NotFound(missing)));
            continue;
        };
        let checked = check_lessee(m.leased_by.as_deref(), m.handed_out, &cmd.operator)
            .map_err(StoreError::from)
            .and_then(|()| {
                if m.stored == StoredState::Open {
                    Ok(())
                } else {
                    Err(crate::domain::RuleError::Refused(
                        "この対象の結果はすでに記録されています。「次へ」で次の対象に進んでください。".into(),
                    )
                    .into())
                }
            })
            .and_then(|()| {
                let none = Vec::new();
                let made = match &m.call {
                    Some(call) if cmd.outcome.checks_receipt() => receipts.get(&call.id).unwrap_or(&none),
                    _ => &none,
                };
                check_receipt(cmd.outcome, cmd.receipt_no.as_deref(), made)
                    .map_err(|e| StoreError::Invalid(e.to_string()))
            })
            .and_then(|()| match &cmd.call_back {
                Some(_) => {
                    crate::domain::call::callback_phone(m.phone.as_deref()).map(Some).map_err(Into::into)
                }
                None => Ok(None),
            });
        let call_back_phone = match checked {
            Ok(phone) => phone,
            Err(e) => {
                answers[n] = Some(Err(e));
                continue;
            }
        };
        let attempts = m.attempts + 1;
        let rule = rules[n].take().ok_or_else(|| StoreError::internal("outcome: a rule ran twice"))?;
        let after = rule(m.kind, attempts);
        let handle_seconds = m.call.as_ref().and_then(|call| match call.closed {
            Some(seconds) => seconds,
            None => Some((cmd.at - call.started_at).num_seconds().max(0)),
        });
        // What a later command of this batch on the same member sees.
        m.attempts = attempts;
        m.handed_out = false;
        m.stored = after.stored();
        let receipt = cmd.receipt_no.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        accepted.push(Accepted {
            n,
            member_id: cmd.member_id,
            attempts,
            after,
            handle_seconds,
            receipt,
            call_back_phone,
        });
    }
    if accepted.is_empty() {
        return answers
            .into_iter()
            .map(|a| a.ok_or_else(|| StoreError::internal("outcome: no answer")))
            .collect();
    }

    // The calls: wrap-up reasons where none were given, closed where still open.
    let mut reasons: Vec<(i64, &str, String)> = Vec::new();
    let mut closes: Vec<(i64, String, i64)> = Vec::new();
    for a in &accepted {
        let cmd = &cmds[a.n];
        let Some(call) = &held[&a.member_id].call else { continue };
        if !call.has_reasons && !reasons.iter().any(|r| r.0 == call.id) {
            reasons.push((call.id, cmd.wrap_up_reason.as_str(), instant_text(call.started_at)));
        }
        if let (None, Some(seconds)) = (call.closed, a.handle_seconds)
            && !closes.iter().any(|c| c.0 == call.id)
        {
            closes.push((call.id, instant_text(cmd.at), seconds));
        }
    }
    if !reasons.is_empty() {
        let sql = format!(
            "INSERT INTO call_reasons (call_id, reason, started_at) VALUES {} ON CONFLICT DO NOTHING",
            rows(reasons.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for (call, reason, started) in &reasons {
            q = q.bind(*call).bind(*reason).bind(started);
        }
        q.execute(&mut *tx).await?;
    }
    if !closes.is_empty() {
        let k = closes.len();
        let sql = format!(
            "UPDATE calls SET ended_at = {}, handle_seconds = {} WHERE id IN ({}) AND ended_at IS NULL",
            case_by_id(k, 3, 2),
            case_by_id(k, 3, 3),
            id_list(k, 3)
        );
        let mut q = sqlx::query(&sql);
        for (call, ended, seconds) in &closes {
            q = q.bind(*call).bind(ended).bind(*seconds);
        }
        q.execute(&mut *tx).await?;
    }

    // The operators' floor states (後処理) in the same transaction.
    let mut floor_rules = Vec::new();
    let mut floor_of: Vec<Option<usize>> = vec![None; accepted.len()];
    for (g, a) in accepted.iter().enumerate() {
        if let (Some(call), Some(closed)) = (&held[&a.member_id].call, closers[a.n].take()) {
            floor_of[g] = Some(floor_rules.len());
            floor_rules.push((cmds[a.n].operator.clone(), closed(call.id)));
        }
    }
    let at = cmds[accepted[0].n].at;
    let mut floor = follow_agent_states_in(&mut tx, at, floor_rules, "a campaign call's close").await?;

    // The attempts.
    let sql = format!(
        "INSERT INTO campaign_attempts (campaign_id, member_id, operator, call_id, outcome, receipt_no, at, \
         handle_seconds) VALUES {}",
        rows(accepted.len(), 8)
    );
    let mut q = sqlx::query(&sql);
    for a in &accepted {
        let cmd = &cmds[a.n];
        q = q
            .bind(cmd.campaign_id)
            .bind(a.member_id)
            .bind(&cmd.operator)
            .bind(held[&a.member_id].call.as_ref().map(|c| c.id))
            .bind(cmd.outcome.as_str())
            .bind(a.receipt.as_deref())
            .bind(instant_text(cmd.at))
            .bind(a.handle_seconds);
    }
    q.execute(&mut *tx).await?;

    // The members' new states; the last command of a member in the batch is what stays.
    let mut last: Vec<&Accepted> = Vec::new();
    for a in accepted.iter().rev() {
        if !last.iter().any(|l| l.member_id == a.member_id) {
            last.push(a);
        }
    }
    let k = last.len();
    let sql = format!(
        "UPDATE campaign_members SET state = {}, attempts = {}, outcome = {}, done_at = {}, \
         next_try_at = COALESCE({}, next_try_at), lease_until = NULL WHERE id IN ({})",
        case_by_id(k, 6, 2),
        case_by_id(k, 6, 3),
        case_by_id(k, 6, 4),
        case_by_id(k, 6, 5),
        case_by_id(k, 6, 6),
        id_list(k, 6)
    );
    let mut q = sqlx::query(&sql);
    for a in &last {
        let cmd = &cmds[a.n];
        let state = a.after.stored();
        let done_at = (state != StoredState::Open).then(|| instant_text(cmd.at));
        q = q
            .bind(a.member_id)
            .bind(state.as_str())
            .bind(i64::from(a.attempts))
            .bind(cmd.outcome.as_str())
            .bind(done_at)
            .bind(a.after.next_try_at().map(instant_text));
    }
    q.execute(&mut *tx).await?;

    // 架電不要 marks, kept on the institution for every later campaign.
    let marks: Vec<&Accepted> = accepted.iter().filter(|a| cmds[a.n].outcome == Outcome::DoNotCall).collect();
    if !marks.is_empty() {
        let sql = format!(
            "INSERT INTO institution_do_not_call (code, campaign_id, marked_by, marked_at) VALUES {} \
             ON CONFLICT (code) DO NOTHING",
            rows(marks.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for a in &marks {
            let cmd = &cmds[a.n];
            q = q
                .bind(&held[&a.member_id].code)
                .bind(cmd.campaign_id)
                .bind(&cmd.operator)
                .bind(instant_text(cmd.at));
        }
        q.execute(&mut *tx).await?;
    }

    // 折り返し予定: its call-back (rare: one statement each).
    let mut callbacks: Vec<Option<crate::domain::CallBack>> = vec![None; accepted.len()];
    for (g, a) in accepted.iter().enumerate() {
        let cmd = &cmds[a.n];
        let (Some(plan), Some(phone)) = (&cmd.call_back, &a.call_back_phone) else { continue };
        let m = &held[&a.member_id];
        let record = NewCallBackRecord {
            code: m.code.clone(),
            reason: plan.reason.clone(),
            due_at: plan.due_at,
            created_by: cmd.operator.clone(),
            created_at: cmd.at,
            origin_call_id: m.call.as_ref().map(|c| c.id),
            change: None,
        };
        let id = insert_callback(&mut tx, &record, phone).await?;
        callbacks[g] = Some(callback_by_id(&mut tx, id, cmd.at, false).await?);
    }

    // The audit events, one append; the chain's lock is taken last.
    let details: Vec<serde_json::Value> = accepted
        .iter()
        .zip(&callbacks)
        .map(|(a, cb)| {
            let cmd = &cmds[a.n];
            serde_json::json!({
                "campaign_id": cmd.campaign_id,
                "member_id": a.member_id,
                "outcome": cmd.outcome,
                "receipt_no": a.receipt,
                "attempts": a.attempts,
                "call_id": held[&a.member_id].call.as_ref().map(|c| c.id),
                "callback_id": cb.as_ref().map(|c| c.id),
                "state": a.after.stored().as_str(),
                "next_try_at": a.after.next_try_at().map(instant_text),
            })
        })
        .collect();
    let events: Vec<NewEvent> = accepted
        .iter()
        .zip(details)
        .map(|(a, detail)| {
            let cmd = &cmds[a.n];
            NewEvent {
                at: cmd.at,
                operator: &cmd.operator,
                action: "campaign.outcome",
                code: Some(&held[&a.member_id].code),
                with_receipt: false,
                detail,
            }
        })
        .collect();
    append_to_chain(&mut tx, &events).await?;
    drop(events);
    tx.commit().await?;

    // Read back after the commit, on a reader: the write lock is not held for it.
    let sql = format!("{MEMBER_SELECT} WHERE m.id IN ({})", list(1, last.len()));
    let mut q = sqlx::query(&sql);
    for a in &last {
        q = q.bind(a.member_id);
    }
    let mut members = HashMap::new();
    for row in q.fetch_all(store.reader()).await? {
        let row = member_from_row(&row, at)?;
        members.insert(row.member.id, row.member);
    }
    for (g, a) in accepted.iter().enumerate() {
        let m = &held[&a.member_id];
        let member = members
            .get(&a.member_id)
            .cloned()
            .ok_or_else(|| StoreError::internal("outcome: a member recorded did not read back"))?;
        let call = m.call.as_ref().map(|call| FloorCall {
            id: call.id,
            started_at: call.started_at,
            code: Some(m.code.clone()),
            name: Some(m.name.clone()).filter(|n| !n.is_empty()),
            campaign: Some(m.campaign_name.clone()),
        });
        let recorded = RecordedOutcomeRow {
            member,
            floor: floor_of[g].and_then(|f| floor[f].take()),
            call,
            callback: callbacks[g].take(),
        };
        answers[a.n] = Some(Ok(recorded));
    }
    answers.into_iter().map(|a| a.ok_or_else(|| StoreError::internal("outcome: no answer"))).collect()
}
