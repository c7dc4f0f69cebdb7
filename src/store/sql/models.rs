//! The reader model catalog (機種).

use sqlx::Row;

use super::{Conn, Reader};
use crate::domain::ReaderModel;
use crate::store::StoreError;

/// Every model, by id.
pub(super) async fn all(pool: &Reader) -> Result<Vec<ReaderModel>, StoreError> {
    let rows =
        sqlx::query("SELECT id, maker, name, sample FROM reader_models ORDER BY id").fetch_all(pool).await?;
    rows.iter()
        .map(|r| {
            Ok(ReaderModel {
                id: r.try_get("id")?,
                maker: r.try_get("maker")?,
                name: r.try_get("name")?,
                sample: r.try_get("sample")?,
            })
        })
        .collect()
}

/// Adds or replaces catalog entries by id.
pub(super) async fn upsert(conn: &mut Conn, models: &[ReaderModel]) -> Result<(), StoreError> {
    for m in models {
        sqlx::query(
            "INSERT INTO reader_models (id, maker, name, sample) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET maker = excluded.maker, name = excluded.name, \
             sample = excluded.sample",
        )
        .bind(&m.id)
        .bind(&m.maker)
        .bind(&m.name)
        .bind(m.sample)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
