//! 補助金 claims: the seed's bulk insert and one institution's claim.

use sqlx::{QueryBuilder, Row};

use super::convert::{corrupt, date_text, parse_date, parse_opt_date, to_i64, to_u32, to_u64};
use super::{BATCH_ROWS, Conn, Db, ThisStore};
use crate::domain::{SubsidyClaim, SubsidyStatus};
use crate::store::{StoreError, SubsidyStore};

fn subsidy_status_text(s: SubsidyStatus) -> &'static str {
    match s {
        SubsidyStatus::Submitted => "submitted",
        SubsidyStatus::UnderReview => "under_review",
        SubsidyStatus::Returned => "returned",
        SubsidyStatus::Approved => "approved",
        SubsidyStatus::Paid => "paid",
    }
}

fn parse_subsidy_status(s: &str) -> Result<SubsidyStatus, StoreError> {
    Ok(match s {
        "submitted" => SubsidyStatus::Submitted,
        "under_review" => SubsidyStatus::UnderReview,
        "returned" => SubsidyStatus::Returned,
        "approved" => SubsidyStatus::Approved,
        "paid" => SubsidyStatus::Paid,
        other => return Err(corrupt(format!("subsidy status {other:?}"))),
    })
}

/// Multi-row INSERT of claims (the seed).
pub(super) async fn insert_claims(
    conn: &mut Conn,
    rows: &[(String, SubsidyClaim)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut values = Vec::with_capacity(chunk.len());
        for (code, c) in chunk {
            values.push((code, c, to_i64(c.project_cost_yen)?, to_i64(c.payable_yen)?));
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "INSERT INTO subsidy_claims (code, status, project_cost_yen, units, submitted_on, decided_on, \
             paid_on, payable_yen) ",
        );
        qb.push_values(values, |mut b, (code, c, cost, payable)| {
            b.push_bind(code.as_str())
                .push_bind(subsidy_status_text(c.status))
                .push_bind(cost)
                .push_bind(i64::from(c.units))
                .push_bind(date_text(c.submitted_on))
                .push_bind(c.decided_on.map(date_text))
                .push_bind(c.paid_on.map(date_text))
                .push_bind(payable);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl SubsidyStore for ThisStore {
    async fn subsidy_claim(&self, code: &str) -> Result<Option<SubsidyClaim>, StoreError> {
        let row = sqlx::query(
            "SELECT i.code, c.status, c.project_cost_yen, c.units, c.submitted_on, c.decided_on, c.paid_on, \
             c.payable_yen FROM institutions i LEFT JOIN subsidy_claims c ON c.code = i.code WHERE i.code = $1",
        )
        .bind(code)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("institution {code}")))?;
        let Some(status) = row.try_get::<Option<String>, _>("status")? else {
            return Ok(None);
        };
        let submitted: String = row.try_get("submitted_on")?;
        Ok(Some(SubsidyClaim {
            status: parse_subsidy_status(&status)?,
            project_cost_yen: to_u64(row.try_get("project_cost_yen")?)?,
            units: to_u32(row.try_get("units")?)?,
            submitted_on: parse_date(&submitted)?,
            decided_on: parse_opt_date(row.try_get("decided_on")?)?,
            paid_on: parse_opt_date(row.try_get("paid_on")?)?,
            payable_yen: to_u64(row.try_get("payable_yen")?)?,
        }))
    }
}
