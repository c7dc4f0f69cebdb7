//! A reader application's row: its columns, reading one, writing one back. Shared by the
//! change (`applications.rs`) and the deadline batch (`deadline_batch.rs`).

use sqlx::Row;

use super::convert::{date_text, parse_opt_date, status_from_text, to_u32};
use super::{Conn, DbRow};
use crate::domain::ReaderApplication;
use crate::store::StoreError;

pub(super) const APPLICATION_COLUMNS: &str = "status, model_id, units, applied_on, version";

pub(super) fn application_from_row(row: &DbRow) -> Result<ReaderApplication, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(ReaderApplication {
        status: status_from_text(&status)?,
        model_id: row.try_get("model_id")?,
        units: to_u32(row.try_get("units")?)?,
        applied_on: parse_opt_date(row.try_get("applied_on")?)?,
        version: row.try_get("version")?,
    })
}

/// Writes `app` as the application of `code` (the row exists).
pub(super) async fn write_application(
    conn: &mut Conn,
    code: &str,
    app: &ReaderApplication,
    updated_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE applications SET status = $1, model_id = $2, units = $3, applied_on = $4, version = $5, \
         updated_at = $6 WHERE code = $7",
    )
    .bind(app.status.as_str())
    .bind(app.model_id.as_deref())
    .bind(i64::from(app.units))
    .bind(app.applied_on.map(date_text))
    .bind(app.version)
    .bind(updated_at)
    .bind(code)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
