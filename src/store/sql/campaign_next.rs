//! 架電キャンペーン: `next`, a batch of requests leased in one write transaction. Each member
//! handed out is the first free one in the policy's order (open, due, no lease in force, a
//! callable kind, its application still matching, not 架電不要); each lease starts an
//! ordinary call, moves the operator's floor state to 通話中 and is in the audit trail.
//! PostgreSQL locks the members it reads with `FOR UPDATE OF m SKIP LOCKED`, so servers
//! sharing the database hand out different members without waiting for each other; SQLite
//! holds the database's write lock from `BEGIN IMMEDIATE`.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{NewEvent, append_to_chain};
use super::campaigns::{campaign_by_id, kinds_clause, member_columns, opt_instant};
use super::convert::{parse_instant, status_from_text};
use super::floor::follow_agent_states_in;
use super::placeholders::{case_by_id, ids};
use super::{Conn, FOR_UPDATE, ThisStore};
use crate::api::Call;
use crate::api::campaign::{CampaignMember, CampaignState, LeasedMember};
use crate::domain::InstitutionKind;
use crate::domain::campaign::MemberState;
use crate::store::audit_chain::instant_text;
use crate::store::{CampaignRow, NextAnswer, NextRequest, NextResult, StoreError};

/// Up to `limit` members of `campaign` free to hand out at `now`, in the policy's order: open,
/// due, no lease in force, a callable kind, the application still matching, not do-not-call.
/// PostgreSQL locks them (`FOR UPDATE OF m SKIP LOCKED`: another server's `next` skips them
/// instead of waiting); SQLite already holds the write lock.
async fn free_members(
    conn: &mut Conn,
    campaign: &CampaignRow,
    kinds: &[InstitutionKind],
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<CampaignMember>, StoreError> {
    let lock = if FOR_UPDATE.is_empty() { "" } else { " FOR UPDATE OF m SKIP LOCKED" };
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.campaign_id, m.code, m.kind, m.prefecture, m.attempts, m.next_try_at, m.outcome, \
         COALESCE(i.name, '') AS name, i.phone, a.status AS app_status \
         FROM campaign_members m JOIN applications a ON a.code = m.code AND a.status = $2 \
         LEFT JOIN institutions i ON i.code = m.code \
         WHERE m.campaign_id = $1 AND m.state = 'open' AND m.next_try_at <= $3 \
         AND (m.lease_until IS NULL OR m.lease_until <= $3) AND {} \
         AND NOT EXISTS (SELECT 1 FROM institution_do_not_call d WHERE d.code = m.code) \
         ORDER BY m.attempts, m.rank, m.id LIMIT $4{lock}",
        kinds_clause("m.kind", kinds)
    ))
    .bind(campaign.id)
    .bind(campaign.filter.status.as_str())
    .bind(instant_text(now))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let status = status_from_text(&row.try_get::<String, _>("app_status")?)?;
            member_columns(row, MemberState::Open, status)
        })
        .collect()
}

/// One answer per request, in order: each campaign's requests share one read of its free
/// members; then one insert of the calls, one update of the leases, the operators' floor
/// states and one append to the audit chain (its lock taken last), all in one transaction.
pub(super) async fn next_members(
    store: &ThisStore,
    mut reqs: Vec<NextRequest>,
) -> Result<Vec<NextAnswer>, StoreError> {
    let mut answers: Vec<Option<NextAnswer>> = (0..reqs.len()).map(|_| None).collect();
    // (request, member) of every lease given in this batch, in request order.
    let mut given: Vec<(usize, CampaignMember)> = Vec::new();
    let mut tx = store.begin_write().await?;
    // Requests of one campaign at one instant share one read of the members in order.
    let mut groups: Vec<(i64, &[InstitutionKind], Vec<usize>)> = Vec::new();
    let mut names: Vec<(i64, String)> = Vec::new();
    for (n, r) in reqs.iter().enumerate() {
        match groups.iter_mut().find(|g| g.0 == r.campaign_id && g.1 == r.kinds.as_slice()) {
            Some(g) => g.2.push(n),
            None => groups.push((r.campaign_id, r.kinds.as_slice(), vec![n])),
        }
    }
    for (campaign_id, kinds, wanted) in groups {
        let campaign = match campaign_by_id(&mut tx, campaign_id).await {
            Ok(c) => c,
            Err(StoreError::NotFound(what)) => {
                for n in wanted {
                    answers[n] = Some(Err(StoreError::NotFound(what.clone())));
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        if campaign.state != CampaignState::Active {
            let why = format!(
                "キャンペーン「{}」は{}です。監督者が再開するまで対象を受け取れません。",
                campaign.name,
                campaign.state.label_ja()
            );
            for n in wanted {
                answers[n] = Some(Err(crate::domain::RuleError::Refused(why.clone()).into()));
            }
            continue;
        }
        // The campaign's own kinds (none: every kind) among those callable now.
        let own = if campaign.filter.kinds.is_empty() {
            InstitutionKind::ALL.to_vec()
        } else {
            campaign.filter.kinds.clone()
        };
        let kinds: Vec<InstitutionKind> = kinds.iter().copied().filter(|k| own.contains(k)).collect();
        if kinds.is_empty() {
            for n in wanted {
                answers[n] = Some(Ok(NextResult::OutsideHours { wanted: own.clone() }));
            }
            continue;
        }
        names.push((campaign_id, campaign.name.clone()));
        let now = reqs[wanted[0]].now;
        let found = free_members(&mut tx, &campaign, &kinds, now, wanted.len()).await?;
        let mut found = found.into_iter();
        let mut none_due = Vec::new();
        for n in wanted {
            match found.next() {
                Some(member) => given.push((n, member)),
                None => none_due.push(n),
            }
        }
        if !none_due.is_empty() {
            let next: Option<String> = sqlx::query_scalar(
                "SELECT MIN(m.next_try_at) FROM campaign_members m \
                 JOIN applications a ON a.code = m.code AND a.status = $2 \
                 WHERE m.campaign_id = $1 AND m.state = 'open' AND m.next_try_at > $3",
            )
            .bind(campaign_id)
            .bind(campaign.filter.status.as_str())
            .bind(instant_text(now))
            .fetch_one(&mut *tx)
            .await?;
            let next_try_at = opt_instant(next)?;
            for n in none_due {
                answers[n] = Some(Ok(NextResult::NoneDue { next_try_at }));
            }
        }
    }
    if given.is_empty() {
        return answers
            .into_iter()
            .map(|a| a.ok_or_else(|| StoreError::internal("next: no answer")))
            .collect();
    }
    // One call per lease, one statement; matched back by operator and code (two leases of
    // the same code to the same operator in one batch would be two identical calls).
    let values: Vec<String> = (0..given.len())
        .map(|r| format!("(${}, ${}, NULL, ${}, '')", r * 3 + 1, r * 3 + 2, r * 3 + 3))
        .collect();
    let sql = format!(
        "INSERT INTO calls (operator, started_at, ended_at, code, note) VALUES {} RETURNING id, operator, code",
        values.join(", ")
    );
    let mut q = sqlx::query_as::<_, (i64, String, Option<String>)>(&sql);
    for (n, m) in &given {
        q = q.bind(&reqs[*n].operator).bind(instant_text(reqs[*n].now)).bind(&m.code);
    }
    let mut calls = q.fetch_all(&mut *tx).await?;
    let mut call_ids = Vec::with_capacity(given.len());
    for (n, m) in &given {
        let at = calls
            .iter()
            .position(|(_, op, code)| *op == reqs[*n].operator && code.as_deref() == Some(m.code.as_str()))
            .ok_or_else(|| StoreError::internal("next: a started call did not come back"))?;
        call_ids.push(calls.swap_remove(at).0);
    }
    // The leases, one statement.
    let k = given.len();
    let sql = format!(
        "UPDATE campaign_members SET leased_by = {}, lease_until = {}, lease_call_id = {} WHERE id IN ({})",
        case_by_id(k, 4, 2),
        case_by_id(k, 4, 3),
        case_by_id(k, 4, 4),
        ids(k, 4)
    );
    let mut q = sqlx::query(&sql);
    for ((n, m), call_id) in given.iter().zip(&call_ids) {
        q = q.bind(m.id).bind(&reqs[*n].operator).bind(instant_text(reqs[*n].lease_until)).bind(*call_id);
    }
    q.execute(&mut *tx).await?;
    // The operators' floor states (通話中) in the same transaction.
    let mut floor_rules = Vec::new();
    let mut floor_of = vec![None; given.len()];
    for (g, ((n, _), call_id)) in given.iter().zip(&call_ids).enumerate() {
        if let Some(started) = reqs[*n].started.take() {
            floor_of[g] = Some(floor_rules.len());
            floor_rules.push((reqs[*n].operator.clone(), started(*call_id)));
        }
    }
    let mut floor =
        follow_agent_states_in(&mut tx, reqs[0].now, floor_rules, "a campaign call's start").await?;
    let details: Vec<serde_json::Value> = given
        .iter()
        .zip(&call_ids)
        .map(|((n, m), call_id)| {
            serde_json::json!({
                "campaign_id": m.campaign_id,
                "member_id": m.id,
                "call_id": call_id,
                "lease_until": instant_text(reqs[*n].lease_until),
            })
        })
        .collect();
    let events: Vec<NewEvent> = given
        .iter()
        .zip(details)
        .map(|((n, m), detail)| NewEvent {
            at: reqs[*n].now,
            operator: &reqs[*n].operator,
            action: "campaign.lease",
            code: Some(&m.code),
            with_receipt: false,
            detail,
        })
        .collect();
    // The chain's lock is taken last: held only for the append and the commit.
    append_to_chain(&mut tx, &events).await?;
    drop(events);
    tx.commit().await?;
    for (g, ((n, mut member), call_id)) in given.into_iter().zip(call_ids).enumerate() {
        let req = &reqs[n];
        member.state = MemberState::Leased;
        member.leased_by = Some(req.operator.clone());
        member.lease_until = Some(req.lease_until);
        member.call_id = Some(call_id);
        let call = Call {
            id: call_id,
            operator: req.operator.clone(),
            started_at: parse_instant(&instant_text(req.now))?,
            code: Some(member.code.clone()),
            ..Call::default()
        };
        let change = floor_of[g].and_then(|f| floor[f].take());
        let name = names.iter().find(|(id, _)| *id == member.campaign_id).map(|(_, n)| n.clone());
        let leased = LeasedMember { member, call, lease_until: req.lease_until };
        answers[n] = Some(Ok(NextResult::Leased(Box::new(leased), change, name.unwrap_or_default())));
    }
    answers.into_iter().map(|a| a.ok_or_else(|| StoreError::internal("next: no answer"))).collect()
}
