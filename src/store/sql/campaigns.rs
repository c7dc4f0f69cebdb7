//! 架電キャンペーン: campaigns, members, leases and attempts.
//!
//! A member's state is read, never kept in step: each read joins the member with its
//! institution's current application (and the do-not-call mark), so a change from anywhere —
//! an inbound call, an import, another server — makes it leave by itself, counted as done by
//! that route. `next` is in `campaign_next.rs`, outcomes in `campaign_outcome.rs`, the demo's bulk load in `campaign_demo.rs`.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::{NewEvent, append_event, chain_head};
use super::convert::{corrupt, parse_instant, status_from_text, to_u32, to_u64};
use super::{Conn, DbRow, FOR_UPDATE, ThisStore};
use crate::api::campaign::{CampaignMember, CampaignState, DoNotCallMark, MemberAttempt, OperatorProgress};
use crate::domain::InstitutionKind;
use crate::domain::campaign::{CampaignFilter, MemberFacts, MemberState, Outcome, StoredState, member_state};
use crate::store::audit_chain::instant_text;
use crate::store::{
    CampaignRow, CampaignStore, CampaignTally, DemoCampaign, MemberRow, NewCampaignRecord, NextAnswer,
    NextRequest, OutcomeAnswer, OutcomeCommand, StoreError, TallyTimes,
};

const CAMPAIGN_COLUMNS: &str =
    "id, name, status, prefectures, kinds, state, created_by, created_at, closed_at";

/// A member with what its state is read from (`m` members, `c` campaigns, `i` institutions,
/// `a` applications, `d` the do-not-call marks).
pub(super) const MEMBER_SELECT: &str = "SELECT m.id, m.campaign_id, m.code, m.kind, m.prefecture, m.state, m.attempts, \
     m.next_try_at, m.outcome, m.done_at, m.leased_by, m.lease_until, m.lease_call_id, m.added_at, \
     COALESCE(i.name, '') AS name, i.phone, COALESCE(a.status, 'not_applied') AS app_status, \
     a.updated_at AS app_updated_at, c.status AS filter_status, d.marked_at AS dnc_at, \
     CAST(CASE WHEN a.status = 'cancelled' AND EXISTS (SELECT 1 FROM audit_events e \
       WHERE e.code = m.code AND e.action = 'reader_application.cancel_deadline') THEN 1 ELSE 0 END AS BIGINT) \
       AS by_deadline \
     FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
     LEFT JOIN institutions i ON i.code = m.code LEFT JOIN applications a ON a.code = m.code \
     LEFT JOIN institution_do_not_call d ON d.code = m.code";

pub(super) fn kind_from_text(s: &str) -> Result<InstitutionKind, StoreError> {
    InstitutionKind::parse(s).ok_or_else(|| corrupt(format!("stored kind {s:?}")))
}

pub(super) fn opt_instant(s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.as_deref().map(parse_instant).transpose()
}

fn campaign_from_row(row: &DbRow) -> Result<CampaignRow, StoreError> {
    let status: String = row.try_get("status")?;
    let prefectures: String = row.try_get("prefectures")?;
    let kinds: String = row.try_get("kinds")?;
    let state: String = row.try_get("state")?;
    let created: String = row.try_get("created_at")?;
    Ok(CampaignRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        filter: CampaignFilter {
            status: status_from_text(&status)?,
            prefectures: serde_json::from_str(&prefectures).map_err(corrupt)?,
            kinds: serde_json::from_str(&kinds).map_err(corrupt)?,
        },
        state: CampaignState::parse(&state)
            .ok_or_else(|| corrupt(format!("stored campaign state {state:?}")))?,
        created_by: row.try_get("created_by")?,
        created_at: parse_instant(&created)?,
        closed_at: opt_instant(row.try_get("closed_at")?)?,
    })
}

/// A member's state at `now` read from its row (`state`, `lease_until`, `done_at`, `app_status`,
/// `app_updated_at`, `dnc_at`, `by_deadline`) by the domain's rule, and when it finished if it
/// is no longer open; also its application's status and the lease.
struct ReadState {
    state: MemberState,
    finished_at: Option<DateTime<Utc>>,
    app_status: crate::domain::ReaderStatus,
    lease_until: Option<DateTime<Utc>>,
}

fn read_state(
    row: &DbRow,
    filter_status: crate::domain::ReaderStatus,
    now: DateTime<Utc>,
) -> Result<ReadState, StoreError> {
    let stored: String = row.try_get("state")?;
    let stored =
        StoredState::parse(&stored).ok_or_else(|| corrupt(format!("stored member state {stored:?}")))?;
    let app_status = status_from_text(&row.try_get::<String, _>("app_status")?)?;
    let lease_until = opt_instant(row.try_get("lease_until")?)?;
    let dnc_at = opt_instant(row.try_get("dnc_at")?)?;
    let facts = MemberFacts {
        stored,
        still_matches: app_status == filter_status,
        cancelled_by_deadline: row.try_get::<i64, _>("by_deadline")? != 0,
        lease_until,
        do_not_call: dnc_at.is_some(),
    };
    let state = member_state(facts, now);
    let finished_at = match state {
        MemberState::Done | MemberState::Exhausted => opt_instant(row.try_get("done_at")?)?,
        MemberState::Left | MemberState::CancelledByDeadline => opt_instant(row.try_get("app_updated_at")?)?,
        MemberState::DoNotCall => dnc_at,
        MemberState::Open | MemberState::Leased => None,
    };
    Ok(ReadState { state, finished_at, app_status, lease_until })
}

/// The member's own columns of a row (`id` … `outcome`, the institution's `name` and
/// `phone`), with the state and application status as read; no lease (the caller adds it
/// when the row holds one).
pub(super) fn member_columns(
    row: &DbRow,
    state: MemberState,
    application_status: crate::domain::ReaderStatus,
) -> Result<CampaignMember, StoreError> {
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(CampaignMember {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: kind_from_text(&row.try_get::<String, _>("kind")?)?,
        prefecture: row.try_get("prefecture")?,
        phone: row.try_get("phone")?,
        state,
        application_status,
        attempts: to_u32(row.try_get("attempts")?)?,
        next_try_at: parse_instant(&row.try_get::<String, _>("next_try_at")?)?,
        last_outcome: outcome
            .as_deref()
            .map(|o| Outcome::parse(o).ok_or_else(|| corrupt(format!("stored outcome {o:?}"))))
            .transpose()?,
        leased_by: None,
        lease_until: None,
        call_id: None,
    })
}

pub(super) fn member_from_row(row: &DbRow, now: DateTime<Utc>) -> Result<MemberRow, StoreError> {
    let filter_status = status_from_text(&row.try_get::<String, _>("filter_status")?)?;
    let ReadState { state, finished_at, app_status, lease_until } = read_state(row, filter_status, now)?;
    let mut member = member_columns(row, state, app_status)?;
    member.leased_by = row.try_get("leased_by")?;
    member.lease_until = lease_until;
    member.call_id = row.try_get("lease_call_id")?;
    Ok(MemberRow { member, added_at: parse_instant(&row.try_get::<String, _>("added_at")?)?, finished_at })
}

/// The facts a member's state is read from, as columns to group by (`$2` the filter's status,
/// `$3` now): its stored state, whether its application still matches, whether the deadline
/// batch cancelled it, whether a lease is in force, whether it is marked 架電不要.
const TALLY_FACTS: &str = "m.state, \
     CAST(CASE WHEN COALESCE(a.status, 'not_applied') = $2 THEN 1 ELSE 0 END AS BIGINT) AS matches, \
     CAST(CASE WHEN a.status = 'cancelled' AND EXISTS (SELECT 1 FROM audit_events e \
       WHERE e.code = m.code AND e.action = 'reader_application.cancel_deadline') THEN 1 ELSE 0 END AS BIGINT) \
       AS by_deadline, \
     CAST(CASE WHEN m.lease_until > $3 THEN 1 ELSE 0 END AS BIGINT) AS leased, \
     CAST(CASE WHEN d.code IS NULL THEN 0 ELSE 1 END AS BIGINT) AS dnc";

/// The members of campaign `$1` with their application and 架電不要 mark.
const TALLY_FROM: &str = "FROM campaign_members m LEFT JOIN applications a ON a.code = m.code \
     LEFT JOIN institution_do_not_call d ON d.code = m.code WHERE m.campaign_id = $1";

/// A group's state by the domain's rule, from the facts [`TALLY_FACTS`] grouped it by.
fn tally_state(row: &DbRow, now: DateTime<Utc>) -> Result<MemberState, StoreError> {
    let stored: String = row.try_get("state")?;
    let stored =
        StoredState::parse(&stored).ok_or_else(|| corrupt(format!("stored member state {stored:?}")))?;
    let facts = MemberFacts {
        stored,
        still_matches: row.try_get::<i64, _>("matches")? != 0,
        cancelled_by_deadline: row.try_get::<i64, _>("by_deadline")? != 0,
        // "A lease in force at now" is all the rule reads of the lease's end.
        lease_until: (row.try_get::<i64, _>("leased")? != 0).then(|| now + chrono::Duration::seconds(1)),
        do_not_call: row.try_get::<i64, _>("dnc")? != 0,
    };
    Ok(member_state(facts, now))
}

/// An instant cut to the hour (`2021-07-12T01`, the first 13 characters of the stored text).
fn hour_instant(hour: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_instant(&format!("{hour}:00:00Z"))
}

async fn member_by_id(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<MemberRow, StoreError> {
    let row = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("campaign member {id}")))?;
    member_from_row(&row, now)
}

pub(super) async fn campaign_by_id(conn: &mut Conn, id: i64) -> Result<CampaignRow, StoreError> {
    let row = sqlx::query(&format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("campaign {id}")))?;
    campaign_from_row(&row)
}

/// `m.kind IN (...)` for these kinds (their fixed wire names: nothing typed reaches the SQL).
pub(super) fn kinds_clause(column: &str, kinds: &[InstitutionKind]) -> String {
    let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    format!("{column} IN ({})", list.join(", "))
}

/// Inserts the institutions matching `filter` now that are not members of campaign `id` yet
/// (nor marked do-not-call); returns how many.
async fn insert_members(
    conn: &mut Conn,
    id: i64,
    filter: &CampaignFilter,
    kind_ranks: &[(InstitutionKind, i64)],
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let rank = kind_ranks.iter().map(|(k, r)| format!("WHEN '{}' THEN {r}", k.as_str())).collect::<Vec<_>>();
    let rank = format!("CASE i.kind {} ELSE {} END", rank.join(" "), kind_ranks.len());
    let mut sql = format!(
        "INSERT INTO campaign_members (campaign_id, code, kind, prefecture, rank, added_at, next_try_at) \
         SELECT $1, i.code, i.kind, i.prefecture, {rank}, $2, $2 FROM institutions i \
         JOIN applications a ON a.code = i.code WHERE a.status = $3 \
         AND NOT EXISTS (SELECT 1 FROM institution_do_not_call d WHERE d.code = i.code)"
    );
    if !filter.prefectures.is_empty() {
        let params: Vec<String> = (0..filter.prefectures.len()).map(|n| format!("${}", n + 4)).collect();
        sql.push_str(&format!(" AND i.prefecture IN ({})", params.join(", ")));
    }
    if !filter.kinds.is_empty() {
        sql.push_str(&format!(" AND {}", kinds_clause("i.kind", &filter.kinds)));
    }
    sql.push_str(" ORDER BY i.code ON CONFLICT (campaign_id, code) DO NOTHING");
    let mut q = sqlx::query(&sql).bind(id).bind(instant_text(at)).bind(filter.status.as_str());
    for p in &filter.prefectures {
        q = q.bind(p);
    }
    Ok(q.execute(&mut *conn).await?.rows_affected())
}

/// Appends one campaign event to the audit chain in the caller's transaction.
async fn audit(
    conn: &mut Conn,
    at: DateTime<Utc>,
    operator: &str,
    action: &str,
    code: Option<&str>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let mut head = chain_head(&mut *conn).await?;
    let event = NewEvent { at, operator, action, code, with_receipt: false, detail };
    append_event(conn, &mut head, event).await?;
    Ok(())
}

#[async_trait::async_trait]
impl CampaignStore for ThisStore {
    async fn create_campaign(&self, new: NewCampaignRecord) -> Result<(i64, u64), StoreError> {
        let mut tx = self.begin_write().await?;
        let prefectures = serde_json::to_string(&new.filter.prefectures).map_err(StoreError::internal)?;
        let kinds = serde_json::to_string(&new.filter.kinds).map_err(StoreError::internal)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (name, status, prefectures, kinds, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, 'active', $5, $6) RETURNING id",
        )
        .bind(&new.name)
        .bind(new.filter.status.as_str())
        .bind(&prefectures)
        .bind(&kinds)
        .bind(&new.created_by)
        .bind(instant_text(new.at))
        .fetch_one(&mut *tx)
        .await?;
        let added = insert_members(&mut tx, id, &new.filter, &new.kind_ranks, new.at).await?;
        if added == 0 {
            // Dropped without commit: nothing is written.
            return Err(StoreError::Invalid(
                "この条件に当てはまる申込はありません（架電不要の医療機関を除く）。条件を見直してください。"
                    .into(),
            ));
        }
        let detail = serde_json::json!({ "campaign_id": id, "name": new.name, "filter": new.filter, "members": added });
        audit(&mut tx, new.at, &new.created_by, "campaign.create", None, detail).await?;
        tx.commit().await?;
        Ok((id, added))
    }

    async fn add_campaign_members(
        &self,
        id: i64,
        kind_ranks: &[(InstitutionKind, i64)],
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let campaign = campaign_by_id(&mut tx, id).await?;
        if campaign.state == CampaignState::Closed {
            return Err(crate::domain::RuleError::Refused(
                "終了したキャンペーンには対象を追加できません。新しいキャンペーンを作ってください。".into(),
            )
            .into());
        }
        let added = insert_members(&mut tx, id, &campaign.filter, kind_ranks, at).await?;
        let detail = serde_json::json!({ "campaign_id": id, "added": added });
        audit(&mut tx, at, by, "campaign.add_members", None, detail).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn campaigns(&self) -> Result<Vec<CampaignRow>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(campaign_from_row).collect()
    }

    async fn campaign(&self, id: i64) -> Result<Option<CampaignRow>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        match campaign_by_id(&mut conn, id).await {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn set_campaign_state(
        &self,
        id: i64,
        state: CampaignState,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<CampaignRow, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = campaign_by_id(&mut tx, id).await?;
        if before.state == CampaignState::Closed && state != CampaignState::Closed {
            return Err(crate::domain::RuleError::Refused(
                "終了したキャンペーンは再開できません。新しいキャンペーンを作ってください。".into(),
            )
            .into());
        }
        sqlx::query(
            "UPDATE campaigns SET state = $1, closed_at = CASE WHEN $1 = 'closed' THEN COALESCE(closed_at, $2) \
             ELSE NULL END WHERE id = $3",
        )
        .bind(state.as_str())
        .bind(instant_text(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "campaign_id": id, "before": before.state, "after": state });
        audit(&mut tx, at, by, &format!("campaign.{}", state.as_str()), None, detail).await?;
        let after = campaign_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn campaign_members(&self, id: i64, now: DateTime<Utc>) -> Result<Vec<MemberRow>, StoreError> {
        let rows = sqlx::query(&format!("{MEMBER_SELECT} WHERE m.campaign_id = $1 ORDER BY m.id"))
            .bind(id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| member_from_row(r, now)).collect()
    }

    async fn campaign_tally(
        &self,
        id: i64,
        now: DateTime<Utc>,
        with_times: bool,
    ) -> Result<CampaignTally, StoreError> {
        let campaign = {
            let mut conn = self.reader().acquire().await?;
            campaign_by_id(&mut conn, id).await?
        };
        let (status, at) = (campaign.filter.status.as_str(), instant_text(now));
        if !with_times {
            let sql = format!(
                "SELECT m.prefecture, {TALLY_FACTS}, COUNT(*) AS n {TALLY_FROM} GROUP BY 1, 2, 3, 4, 5, 6"
            );
            let rows = sqlx::query(&sql).bind(id).bind(status).bind(&at).fetch_all(self.reader()).await?;
            let by_prefecture = rows
                .iter()
                .map(|row| {
                    Ok((row.try_get("prefecture")?, tally_state(row, now)?, to_u64(row.try_get("n")?)?))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            return Ok(CampaignTally { by_prefecture, by_time: Vec::new() });
        }
        // One pass over the members (each joined with its application once) gives both: the
        // groups by prefecture and hours are summed by prefecture here. Only the instant that
        // finished the member counts: its campaign outcome, its application's change once it
        // stopped matching, its 架電不要 mark.
        let sql = format!(
            "SELECT m.prefecture, {TALLY_FACTS}, substr(m.added_at, 1, 13) AS added_h, \
             substr(m.done_at, 1, 13) AS done_h, \
             CASE WHEN COALESCE(a.status, 'not_applied') <> $2 THEN substr(a.updated_at, 1, 13) END AS left_h, \
             substr(d.marked_at, 1, 13) AS dnc_h, COUNT(*) AS n {TALLY_FROM} \
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
        );
        let rows = sqlx::query(&sql).bind(id).bind(status).bind(&at).fetch_all(self.reader()).await?;
        let mut by_prefecture: Vec<(String, MemberState, u64)> = Vec::new();
        let mut by_time = Vec::with_capacity(rows.len());
        for row in &rows {
            let state = tally_state(row, now)?;
            let members = to_u64(row.try_get("n")?)?;
            let prefecture: String = row.try_get("prefecture")?;
            match by_prefecture.iter_mut().find(|(p, s, _)| *s == state && *p == prefecture) {
                Some(group) => group.2 += members,
                None => by_prefecture.push((prefecture, state, members)),
            }
            let hour = |col: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
                row.try_get::<Option<String>, _>(col)?.as_deref().map(hour_instant).transpose()
            };
            let finished_at = match state {
                MemberState::Done | MemberState::Exhausted => hour("done_h")?,
                MemberState::Left | MemberState::CancelledByDeadline => hour("left_h")?,
                MemberState::DoNotCall => hour("dnc_h")?,
                MemberState::Open | MemberState::Leased => None,
            };
            by_time.push(TallyTimes {
                state,
                added_at: hour_instant(&row.try_get::<String, _>("added_h")?)?,
                finished_at,
                members,
            });
        }
        Ok(CampaignTally { by_prefecture, by_time })
    }

    async fn exhausted_members(&self, id: i64, now: DateTime<Utc>) -> Result<Vec<MemberRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "{MEMBER_SELECT} WHERE m.campaign_id = $1 AND m.state = 'exhausted' ORDER BY m.id"
        ))
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| member_from_row(r, now)).collect()
    }

    async fn campaign_attempts(&self, id: i64) -> Result<Vec<MemberAttempt>, StoreError> {
        let rows = sqlx::query(
            "SELECT member_id, at, operator, outcome, receipt_no, call_id, handle_seconds FROM campaign_attempts \
             WHERE campaign_id = $1 ORDER BY member_id, at, id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let outcome: String = row.try_get("outcome")?;
                Ok(MemberAttempt {
                    member_id: row.try_get("member_id")?,
                    at: parse_instant(&row.try_get::<String, _>("at")?)?,
                    operator: row.try_get("operator")?,
                    outcome: Outcome::parse(&outcome)
                        .ok_or_else(|| corrupt(format!("stored outcome {outcome:?}")))?,
                    receipt_no: row.try_get("receipt_no")?,
                    call_id: row.try_get("call_id")?,
                    handle_seconds: row.try_get("handle_seconds")?,
                })
            })
            .collect()
    }

    async fn campaign_operator_progress(
        &self,
        id: i64,
        reached: &[Outcome],
    ) -> Result<Vec<OperatorProgress>, StoreError> {
        let reached: Vec<String> = reached.iter().map(|o| format!("'{}'", o.as_str())).collect();
        let rows: Vec<(String, i64, i64, i64, Option<f64>)> = sqlx::query_as(&format!(
            "SELECT operator, COUNT(*), \
             SUM(CASE WHEN outcome IN ({}) THEN 1 ELSE 0 END), \
             SUM(CASE WHEN receipt_no IS NOT NULL THEN 1 ELSE 0 END), \
             CAST(AVG(handle_seconds) AS DOUBLE PRECISION) \
             FROM campaign_attempts WHERE campaign_id = $1 GROUP BY operator ORDER BY operator",
            reached.join(", ")
        ))
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(operator, n, reached, changed, avg)| {
                Ok(OperatorProgress {
                    operator,
                    attempts: to_u64(n)?,
                    reached: to_u64(reached)?,
                    changed: to_u64(changed)?,
                    average_handle_seconds: avg,
                })
            })
            .collect()
    }

    async fn next_members(&self, reqs: Vec<NextRequest>) -> Result<Vec<NextAnswer>, StoreError> {
        super::campaign_next::next_members(self, reqs).await
    }

    async fn record_outcomes(&self, cmds: Vec<OutcomeCommand>) -> Result<Vec<OutcomeAnswer>, StoreError> {
        super::campaign_outcome::record_outcomes(self, cmds).await
    }

    async fn release_leases(&self, operator: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = instant_text(now);
        let held: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
            "SELECT id, campaign_id, code FROM campaign_members WHERE leased_by = $1 AND lease_until > $2 \
             ORDER BY id{FOR_UPDATE}"
        ))
        .bind(operator)
        .bind(&at)
        .fetch_all(&mut *tx)
        .await?;
        if held.is_empty() {
            return Ok(0);
        }
        for (id, campaign_id, code) in &held {
            sqlx::query("UPDATE campaign_members SET lease_until = $1 WHERE id = $2")
                .bind(&at)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let detail =
                serde_json::json!({ "campaign_id": campaign_id, "member_id": id, "why": "session_ended" });
            audit(&mut tx, now, operator, "campaign.lease_released", Some(code), detail).await?;
        }
        tx.commit().await?;
        Ok(held.len() as u64)
    }

    async fn load_demo_campaign(&self, demo: &DemoCampaign) -> Result<i64, StoreError> {
        super::campaign_demo::load_demo_campaign(self, demo).await
    }

    async fn do_not_call(&self, code: &str) -> Result<Option<DoNotCallMark>, StoreError> {
        let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT marked_at, marked_by, campaign_id FROM institution_do_not_call WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        row.map(|(at, by, campaign_id)| {
            Ok(DoNotCallMark { marked_at: parse_instant(&at)?, marked_by: by, campaign_id })
        })
        .transpose()
    }

    async fn member(
        &self,
        campaign_id: i64,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<MemberRow>, StoreError> {
        let mut conn = self.reader().acquire().await?;
        match member_by_id(&mut conn, member_id, now).await {
            Ok(m) if m.member.campaign_id == campaign_id => Ok(Some(m)),
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
