//! 医療機関 rows: one column list drives the SELECT list, the INSERT and the UPSERT; an
//! operator's reading correction survives later imports.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::audit::{NewEvent, append_and_notify, chain_head};
use super::convert::{corrupt, status_from_text};
use super::{BATCH_ROWS, Conn, Db, DbRow, FOR_UPDATE, INSTITUTIONS_VERSION_SQL, ThisStore, notify};
use crate::api::ServerEvent;
use crate::domain::ReaderStatus;
use crate::domain::{Institution, InstitutionCode, InstitutionKind};
use crate::store::{InstitutionRow, InstitutionStore, InstitutionsVersion, StoreError, UpsertCounts};

/// One column's value, as bound.
enum Value<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    Flag(bool),
}

/// A column: its name and the field it binds.
type Column = (&'static str, fn(&Institution) -> Value<'_>);

/// An institution's columns, in one order, each with the field it stores. The SELECT list,
/// the INSERT's columns and values and the UPSERT's SET clause are all made from this list;
/// reading a row back is [`institution_from_row`]. Adding a field: a line here, a line there,
/// and the column in both migrations.
const COLUMNS: &[Column] = &[
    ("code", |i| Value::Text(i.code.as_str())),
    ("name", |i| Value::Text(&i.name)),
    ("name_kana", |i| Value::MaybeText(i.name_kana.as_deref())),
    ("kana_inferred", |i| Value::Flag(i.kana_inferred)),
    ("kind", |i| Value::Text(i.kind.as_str())),
    ("prefecture", |i| Value::Text(&i.prefecture)),
    ("city", |i| Value::Text(&i.city)),
    ("postal_code", |i| Value::Text(&i.postal_code)),
    ("address", |i| Value::Text(&i.address)),
    ("phone", |i| Value::MaybeText(i.phone.as_deref())),
    ("large_chain", |i| Value::Flag(i.large_chain)),
];

/// The reading's columns: an import keeps the stored reading when it brings none, or only an
/// inferred one over an operator's correction.
const READING: [&str; 2] = ["name_kana", "kana_inferred"];
const KEEP_STORED_READING: &str = "excluded.name_kana IS NULL \
     OR (excluded.kana_inferred AND NOT institutions.kana_inferred AND institutions.name_kana IS NOT NULL)";

/// `i.code, i.name, ...`: the SELECT list over `institutions i`.
static SELECT_LIST: LazyLock<String> =
    LazyLock::new(|| COLUMNS.iter().map(|(c, _)| format!("i.{c}")).collect::<Vec<_>>().join(", "));

static INSERT_HEAD: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    format!("INSERT INTO institutions ({}) ", names.join(", "))
});

static UPSERT_TAIL: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| *c != "code")
        .map(|c| {
            if READING.contains(&c) {
                format!("{c} = CASE WHEN {KEEP_STORED_READING} THEN institutions.{c} ELSE excluded.{c} END")
            } else {
                format!("{c} = excluded.{c}")
            }
        })
        .collect();
    format!(" ON CONFLICT (code) DO UPDATE SET {}", sets.join(", "))
});

/// SELECT of institutions with their reader status (`reader_status`), then `tail`.
fn select_with_status(tail: &str) -> String {
    format!(
        "SELECT {}, COALESCE(a.status, 'not_applied') AS reader_status \
         FROM institutions i LEFT JOIN applications a ON a.code = i.code {tail}",
        *SELECT_LIST
    )
}

fn institution_from_row(row: &DbRow) -> Result<Institution, StoreError> {
    let code: String = row.try_get("code")?;
    let kind: String = row.try_get("kind")?;
    Ok(Institution {
        code: InstitutionCode::from_digits(&code)
            .ok_or_else(|| corrupt(format!("institution code {code:?}")))?,
        name: row.try_get("name")?,
        name_kana: row.try_get("name_kana")?,
        kana_inferred: row.try_get("kana_inferred")?,
        kind: InstitutionKind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind:?}")))?,
        prefecture: row.try_get("prefecture")?,
        city: row.try_get("city")?,
        postal_code: row.try_get("postal_code")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        large_chain: row.try_get("large_chain")?,
    })
}

fn institution_row_from_row(row: &DbRow) -> Result<InstitutionRow, StoreError> {
    let status: String = row.try_get("reader_status")?;
    Ok(InstitutionRow { institution: institution_from_row(row)?, reader_status: status_from_text(&status)? })
}

/// Multi-row INSERT of `rows` (an UPSERT by code when `upsert`).
pub(super) async fn insert_institutions(
    conn: &mut Conn,
    rows: &[Institution],
    upsert: bool,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(INSERT_HEAD.as_str());
        qb.push_values(chunk, |mut b, inst| {
            for (_, value) in COLUMNS {
                match value(inst) {
                    Value::Text(s) => b.push_bind(s),
                    Value::MaybeText(s) => b.push_bind(s),
                    Value::Flag(f) => b.push_bind(f),
                };
            }
        });
        if upsert {
            qb.push(UPSERT_TAIL.as_str());
        }
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether an institution with `code` exists (inside a transaction).
pub(super) async fn institution_exists(conn: &mut Conn, code: &str) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT code FROM institutions WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

/// Keeps the last occurrence of each code, in first-seen order: a file that lists one code
/// twice means its later line.
fn dedup_by_code(rows: &[Institution]) -> Vec<Institution> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(r.code.as_str(), i);
    }
    rows.iter()
        .enumerate()
        .filter(|(i, r)| last.get(r.code.as_str()) == Some(i))
        .map(|(_, r)| r.clone())
        .collect()
}

/// How many of `chunk`'s codes are already stored.
async fn count_existing(conn: &mut Conn, chunk: &[Institution]) -> Result<u64, StoreError> {
    let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("SELECT code FROM institutions WHERE code IN (");
    let mut sep = qb.separated(", ");
    for r in chunk {
        sep.push_bind(r.code.as_str());
    }
    qb.push(")");
    let existing: Vec<String> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    Ok(existing.len() as u64)
}

#[async_trait::async_trait]
impl InstitutionStore for ThisStore {
    async fn upsert_institutions(&self, rows: &[Institution]) -> Result<UpsertCounts, StoreError> {
        let rows = dedup_by_code(rows);
        let mut tx = self.begin_write().await?;
        let mut counts = UpsertCounts::default();
        for chunk in rows.chunks(BATCH_ROWS) {
            let existing = count_existing(&mut tx, chunk).await?;
            counts.updated += existing;
            counts.inserted += chunk.len() as u64 - existing;
            insert_institutions(&mut tx, chunk, true).await?;
        }
        if !rows.is_empty() {
            notify(&mut tx, &ServerEvent::InstitutionsChanged).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn institution_count(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM institutions").fetch_one(self.reader()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn all_institutions(&self) -> Result<Vec<InstitutionRow>, StoreError> {
        let rows = sqlx::query(&select_with_status("ORDER BY i.code")).fetch_all(self.reader()).await?;
        rows.iter().map(institution_row_from_row).collect()
    }

    async fn institution(&self, code: &str) -> Result<Option<InstitutionRow>, StoreError> {
        let sql = select_with_status("WHERE i.code = $1");
        let row = sqlx::query(&sql).bind(code).fetch_optional(self.reader()).await?;
        row.as_ref().map(institution_row_from_row).transpose()
    }

    async fn institutions_version(&self) -> Result<InstitutionsVersion, StoreError> {
        let sql = format!(
            "SELECT v.generation, {INSTITUTIONS_VERSION_SQL} AS version, \
             (SELECT COUNT(*) FROM institutions) AS n FROM institutions_version v WHERE v.id = 1"
        );
        let (generation, version, count): (String, i64, i64) =
            sqlx::query_as(&sql).fetch_one(self.reader()).await?;
        Ok(InstitutionsVersion { generation, version, count: u64::try_from(count).unwrap_or(0) })
    }

    async fn institutions_changed_since(&self, version: i64) -> Result<Vec<InstitutionRow>, StoreError> {
        let sql = select_with_status("WHERE i.row_version > $1 ORDER BY i.row_version");
        let rows = sqlx::query(&sql).bind(version).fetch_all(self.reader()).await?;
        rows.iter().map(institution_row_from_row).collect()
    }

    async fn reader_statuses(&self) -> Result<Vec<(String, ReaderStatus)>, StoreError> {
        // One row per status with its codes joined: at national scale a row per institution
        // costs seconds of row decoding, and this runs before the first lookup is answered.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT status, string_agg(code, ',') FROM applications \
             WHERE status <> 'not_applied' GROUP BY status",
        )
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for (status, codes) in rows {
            let status = status_from_text(&status)?;
            out.extend(codes.split(',').filter(|c| !c.is_empty()).map(|code| (code.to_string(), status)));
        }
        Ok(out)
    }

    fn index_snapshot_path(&self) -> Option<std::path::PathBuf> {
        self.snapshot_path()
    }

    async fn set_reading(
        &self,
        code: &str,
        name_kana: &str,
        operator: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let name_kana = name_kana.trim();
        if name_kana.is_empty() {
            return Err(StoreError::Invalid("the reading is empty: type the reading in kana".into()));
        }
        let mut tx = self.begin_write().await?;
        let before: Option<(Option<String>, bool)> = sqlx::query_as(&format!(
            "SELECT name_kana, kana_inferred FROM institutions WHERE code = $1{FOR_UPDATE}"
        ))
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((old_kana, old_inferred)) = before else {
            return Err(StoreError::NotFound(format!("institution {code}")));
        };
        sqlx::query("UPDATE institutions SET name_kana = $1, kana_inferred = FALSE WHERE code = $2")
            .bind(name_kana)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        let mut head = chain_head(&mut tx).await?;
        let detail = serde_json::json!({
            "before": { "name_kana": old_kana, "kana_inferred": old_inferred },
            "after": { "name_kana": name_kana, "kana_inferred": false },
        });
        let event = NewEvent {
            at,
            operator,
            action: "institution.set_reading",
            code: Some(code),
            with_receipt: false,
            detail,
        };
        append_and_notify(&mut tx, &mut head, event).await?;
        tx.commit().await?;
        Ok(())
    }
}
