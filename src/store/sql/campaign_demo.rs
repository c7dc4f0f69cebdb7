//! The demo's campaign under way, loaded in bulk after the demo data (no audit events, like
//! the rest of the demo data): the campaign, its members as their history left them, every
//! attempt, and the 架電不要 marks that history recorded.

use super::ThisStore;
use super::placeholders::rows;
use crate::domain::campaign::{Outcome, StoredState};
use crate::store::audit_chain::instant_text;
use crate::store::{DemoCampaign, StoreError};

/// Loads `demo`; returns the campaign's id.
pub(super) async fn load_demo_campaign(store: &ThisStore, demo: &DemoCampaign) -> Result<i64, StoreError> {
    let mut tx = store.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (name, status, prefectures, kinds, state, created_by, created_at) \
         VALUES ($1, 'undecided', '[]', '[]', 'active', $2, $3) RETURNING id",
    )
    .bind(&demo.name)
    .bind(&demo.created_by)
    .bind(instant_text(demo.created_at))
    .fetch_one(&mut *tx)
    .await?;
    let added = instant_text(demo.created_at);
    // Columns a row × rows per INSERT stay under both engines' limits on bound parameters.
    let mut ids = Vec::with_capacity(demo.members.len());
    for chunk in demo.members.chunks(super::BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO campaign_members (campaign_id, code, kind, prefecture, rank, added_at, state, attempts, \
             next_try_at, outcome, done_at) VALUES {} RETURNING id",
            rows(chunk.len(), 11)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for m in chunk {
            let state = match (m.done_at, m.exhausted) {
                (None, _) => StoredState::Open,
                (Some(_), true) => StoredState::Exhausted,
                (Some(_), false) => StoredState::Done,
            };
            q = q
                .bind(id)
                .bind(&m.code)
                .bind(m.kind.as_str())
                .bind(&m.prefecture)
                .bind(m.rank)
                .bind(&added)
                .bind(state.as_str())
                .bind(i64::from(m.attempts))
                .bind(instant_text(m.next_try_at))
                .bind(m.outcome.map(Outcome::as_str))
                .bind(m.done_at.map(instant_text));
        }
        // RETURNING of a multi-row INSERT is in row order on both engines.
        ids.extend(q.fetch_all(&mut *tx).await?);
    }
    for chunk in demo.attempts.chunks(super::BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO campaign_attempts (campaign_id, member_id, operator, outcome, at, handle_seconds) \
             VALUES {}",
            rows(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for a in chunk {
            let member =
                *ids.get(a.member).ok_or_else(|| StoreError::internal("demo attempt of no member"))?;
            q = q
                .bind(id)
                .bind(member)
                .bind(&a.operator)
                .bind(a.outcome.as_str())
                .bind(instant_text(a.at))
                .bind(a.handle_seconds);
        }
        q.execute(&mut *tx).await?;
    }
    for m in demo.members.iter().filter(|m| m.outcome == Some(Outcome::DoNotCall) && m.done_at.is_some()) {
        sqlx::query(
            "INSERT INTO institution_do_not_call (code, campaign_id, marked_by, marked_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&m.code)
        .bind(id)
        .bind(&demo.created_by)
        .bind(m.done_at.map(instant_text))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}
