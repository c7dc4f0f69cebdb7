// The queries and the `Store` implementation shared by the SQLite and PostgreSQL backends.
//
// Both schemas have the same shape and every query here is written in the SQL both engines
// accept (`$N` placeholders, `ON CONFLICT`, `RETURNING`), so the logic lives once. The file
// is `include!`d by `sqlite.rs` and `postgres.rs`, each of which defines before it:
// `Db`, `Conn`, `DbRow`, `ThisStore` (with `reader()` and `begin_write()`), `FOR_UPDATE`,
// `CLEAR_SEED_SQL`, `MIGRATIONS`, and the hooks `lock_migrations`, `lock_audit_chain` and
// `notify`. (sqlx's `Any` driver is not built here, and code generic over
// `sqlx::Database` needs bounds longer than the queries; one text included twice is simpler.)

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Row};

use crate::api::{AuditEvent, Call, FaqEntry, Role, ServerEvent};
use crate::domain::{
    Institution, InstitutionCode, InstitutionKind, ReaderApplication, ReaderModel, ReaderStatus,
    SubsidyClaim, SubsidyStatus,
};
use crate::store::audit_chain::{self, ChainedFields, GENESIS_HASH};
use crate::store::{
    AuditVerification, ChangeCommand, ChangeOutcome, DeadlineBatchReport, InstitutionRow, OperatorRecord,
    PrefectureCount, SeedData, Store, StoreError, UpsertCounts,
};

/// Rows per multi-row INSERT: 1,000 rows of 11 columns stay under both engines' limits on
/// bound parameters (SQLite 32,766, PostgreSQL 65,535).
const BATCH_ROWS: usize = 1000;

const INSTITUTION_COLUMNS: &str = "i.code, i.name, i.name_kana, i.kana_inferred, i.kind, i.prefecture, \
     i.city, i.postal_code, i.address, i.phone, i.large_chain";

const APPLICATION_COLUMNS: &str = "status, model_id, units, applied_on, version";

const AUDIT_COLUMNS: &str = "seq, at, operator, action, code, receipt_no, detail, prev_hash, hash";

/// Applies the embedded migrations not yet recorded in `schema_migrations`, in order, in one
/// transaction.
async fn run_migrations(tx: &mut Conn) -> Result<(), StoreError> {
    lock_migrations(tx).await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version BIGINT PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TEXT NOT NULL
         )",
    )
    .execute(&mut *tx)
    .await?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(&mut *tx).await?;
    let applied: HashSet<i64> = applied.into_iter().collect();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(*name)
            .bind(audit_chain::instant_text(Utc::now()))
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

// ---------- conversions between domain values and columns ----------

fn invalid(what: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(what.to_string())
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| invalid(format!("stored date {s:?}: {e}")))
}

fn parse_opt_date(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.as_deref().map(parse_date).transpose()
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| invalid(format!("stored instant {s:?}: {e}")))
}

fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| invalid(format!("{n} is too large to store")))
}

fn to_u32(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| invalid(format!("stored count {n} is out of range")))
}

fn to_u64(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| invalid(format!("stored amount {n} is negative")))
}

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
        other => return Err(invalid(format!("stored subsidy status {other:?}"))),
    })
}

fn institution_from_row(row: &DbRow) -> Result<Institution, StoreError> {
    let code: String = row.try_get("code")?;
    let kind: String = row.try_get("kind")?;
    Ok(Institution {
        code: InstitutionCode::from_digits(&code)
            .ok_or_else(|| invalid(format!("stored institution code {code:?}")))?,
        name: row.try_get("name")?,
        name_kana: row.try_get("name_kana")?,
        kana_inferred: row.try_get("kana_inferred")?,
        kind: InstitutionKind::parse(&kind).ok_or_else(|| invalid(format!("stored kind {kind:?}")))?,
        prefecture: row.try_get("prefecture")?,
        city: row.try_get("city")?,
        postal_code: row.try_get("postal_code")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        large_chain: row.try_get("large_chain")?,
    })
}

fn status_from_text(s: &str) -> Result<ReaderStatus, StoreError> {
    ReaderStatus::parse(s).ok_or_else(|| invalid(format!("stored reader status {s:?}")))
}

fn institution_row_from_row(row: &DbRow) -> Result<InstitutionRow, StoreError> {
    let status: String = row.try_get("reader_status")?;
    Ok(InstitutionRow { institution: institution_from_row(row)?, reader_status: status_from_text(&status)? })
}

fn application_from_row(row: &DbRow) -> Result<ReaderApplication, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(ReaderApplication {
        status: status_from_text(&status)?,
        model_id: row.try_get("model_id")?,
        units: to_u32(row.try_get("units")?)?,
        applied_on: parse_opt_date(row.try_get("applied_on")?)?,
        version: row.try_get("version")?,
    })
}

fn audit_from_row(row: &DbRow) -> Result<AuditEvent, StoreError> {
    let at: String = row.try_get("at")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        at: parse_instant(&at)?,
        operator: row.try_get("operator")?,
        action: row.try_get("action")?,
        code: row.try_get("code")?,
        receipt_no: row.try_get("receipt_no")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn role_from_text(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| invalid(format!("stored role {s:?}")))
}

/// What the idempotency table keeps of a change, returned verbatim on a retry.
#[derive(Serialize, Deserialize)]
struct StoredOutcome {
    receipt_no: String,
    before: ReaderApplication,
    after: ReaderApplication,
}

// ---------- the audit chain, appended inside a write transaction ----------

/// The last link of the chain, read once per transaction after taking the chain's lock.
struct ChainHead {
    seq: i64,
    hash: String,
}

async fn chain_head(conn: &mut Conn) -> Result<ChainHead, StoreError> {
    lock_audit_chain(conn).await?;
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match last {
        Some((seq, hash)) => ChainHead { seq, hash },
        None => ChainHead { seq: 0, hash: GENESIS_HASH.to_string() },
    })
}

/// One event to append; `with_receipt` assigns it a 受付番号.
struct NewEvent<'a> {
    at: DateTime<Utc>,
    operator: &'a str,
    action: &'a str,
    code: Option<&'a str>,
    with_receipt: bool,
    detail: serde_json::Value,
}

/// Appends one event after `head` (sequence = last + 1) and moves `head` to it. Returns the
/// sequence number and the 受付番号, if one was asked for.
async fn append_event(
    conn: &mut Conn,
    head: &mut ChainHead,
    event: NewEvent<'_>,
) -> Result<(i64, Option<String>), StoreError> {
    let seq = head.seq + 1;
    let at = audit_chain::instant_text(event.at);
    let receipt = event.with_receipt.then(|| audit_chain::receipt_no(event.at, seq));
    let detail = event.detail.to_string();
    let fields = ChainedFields {
        seq,
        at: &at,
        operator: event.operator,
        action: event.action,
        code: event.code,
        receipt_no: receipt.as_deref(),
        detail: &detail,
    };
    let hash = audit_chain::event_hash(&head.hash, &fields);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, operator, action, code, receipt_no, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(&at)
    .bind(event.operator)
    .bind(event.action)
    .bind(event.code)
    .bind(receipt.as_deref())
    .bind(&detail)
    .bind(&head.hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    head.seq = seq;
    head.hash = hash;
    Ok((seq, receipt))
}

// ---------- bulk writes ----------

async fn insert_institutions(conn: &mut Conn, rows: &[Institution], upsert: bool) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "INSERT INTO institutions (code, name, name_kana, kana_inferred, kind, prefecture, city, \
             postal_code, address, phone, large_chain) ",
        );
        qb.push_values(chunk, |mut b, i| {
            b.push_bind(i.code.as_str())
                .push_bind(i.name.as_str())
                .push_bind(i.name_kana.as_deref())
                .push_bind(i.kana_inferred)
                .push_bind(i.kind.as_str())
                .push_bind(i.prefecture.as_str())
                .push_bind(i.city.as_str())
                .push_bind(i.postal_code.as_str())
                .push_bind(i.address.as_str())
                .push_bind(i.phone.as_deref())
                .push_bind(i.large_chain);
        });
        if upsert {
            // An operator's correction (kana_inferred = false) survives an import that brings
            // only an inferred reading, and any reading survives an import that brings none.
            qb.push(
                " ON CONFLICT (code) DO UPDATE SET \
                 name = excluded.name, \
                 name_kana = CASE WHEN excluded.name_kana IS NULL \
                     OR (excluded.kana_inferred AND NOT institutions.kana_inferred \
                         AND institutions.name_kana IS NOT NULL) \
                     THEN institutions.name_kana ELSE excluded.name_kana END, \
                 kana_inferred = CASE WHEN excluded.name_kana IS NULL \
                     OR (excluded.kana_inferred AND NOT institutions.kana_inferred \
                         AND institutions.name_kana IS NOT NULL) \
                     THEN institutions.kana_inferred ELSE excluded.kana_inferred END, \
                 kind = excluded.kind, prefecture = excluded.prefecture, city = excluded.city, \
                 postal_code = excluded.postal_code, address = excluded.address, \
                 phone = excluded.phone, large_chain = excluded.large_chain",
            );
        }
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_applications(
    conn: &mut Conn,
    rows: &[(String, ReaderApplication)],
    now: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "INSERT INTO applications (code, status, model_id, units, applied_on, version, updated_at) ",
        );
        qb.push_values(chunk, |mut b, (code, a)| {
            b.push_bind(code.as_str())
                .push_bind(a.status.as_str())
                .push_bind(a.model_id.as_deref())
                .push_bind(i64::from(a.units))
                .push_bind(a.applied_on.map(date_text))
                .push_bind(a.version)
                .push_bind(now.to_string());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn insert_claims(conn: &mut Conn, rows: &[(String, SubsidyClaim)]) -> Result<(), StoreError> {
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

async fn upsert_models(conn: &mut Conn, models: &[ReaderModel]) -> Result<(), StoreError> {
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

async fn put_faq(conn: &mut Conn, e: &FaqEntry) -> Result<(), StoreError> {
    let keywords = serde_json::to_string(&e.keywords).map_err(invalid)?;
    sqlx::query(
        "INSERT INTO faq_entries (id, question, answer, category, keywords) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET question = excluded.question, answer = excluded.answer, \
         category = excluded.category, keywords = excluded.keywords, version = faq_entries.version + 1",
    )
    .bind(&e.id)
    .bind(&e.question)
    .bind(&e.answer)
    .bind(&e.category)
    .bind(keywords)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn faq_from_row(row: &DbRow) -> Result<FaqEntry, StoreError> {
    let keywords: String = row.try_get("keywords")?;
    Ok(FaqEntry {
        id: row.try_get("id")?,
        question: row.try_get("question")?,
        answer: row.try_get("answer")?,
        category: row.try_get("category")?,
        keywords: serde_json::from_str(&keywords)
            .map_err(|e| invalid(format!("stored FAQ keywords {keywords:?}: {e}")))?,
    })
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

async fn institution_exists(conn: &mut Conn, code: &str) -> Result<bool, StoreError> {
    let found: Option<String> = sqlx::query_scalar("SELECT code FROM institutions WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

const CALL_COLUMNS: &str = "id, operator, started_at, ended_at, code, note, caller_phone, callback_id";

async fn call_by_id(conn: &mut Conn, id: i64) -> Result<Call, StoreError> {
    let row = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("call {id}")))?;
    let mut call = call_from_row(&row)?;
    call.receipts =
        sqlx::query_scalar("SELECT receipt_no FROM call_receipts WHERE call_id = $1 ORDER BY receipt_no")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(call)
}

fn call_from_row(row: &DbRow) -> Result<Call, StoreError> {
    let started: String = row.try_get("started_at")?;
    let ended: Option<String> = row.try_get("ended_at")?;
    Ok(Call {
        id: row.try_get("id")?,
        operator: row.try_get("operator")?,
        started_at: parse_instant(&started)?,
        ended_at: ended.as_deref().map(parse_instant).transpose()?,
        code: row.try_get("code")?,
        note: row.try_get("note")?,
        receipts: Vec::new(),
        reasons: Vec::new(),
        caller_phone: row.try_get("caller_phone")?,
        callback_id: row.try_get("callback_id")?,
        faq: Vec::new(),
    })
}

#[async_trait::async_trait]
impl Store for ThisStore {
    async fn load_seed(
        &self,
        data: &SeedData,
        progress: &(dyn for<'p> Fn(&'p str) + Sync),
    ) -> Result<(), StoreError> {
        let now = audit_chain::instant_text(Utc::now());
        let mut tx = self.begin_write().await?;
        progress("clearing old demo data");
        for statement in CLEAR_SEED_SQL {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        progress(&format!("reader models {}", data.reader_models.len()));
        upsert_models(&mut tx, &data.reader_models).await?;
        let total = data.institutions.len();
        let step = BATCH_ROWS * 20;
        for (n, chunk) in data.institutions.chunks(step).enumerate() {
            insert_institutions(&mut tx, chunk, false).await?;
            progress(&format!("institutions {}/{total}", (n * step + chunk.len())));
        }
        let total = data.applications.len();
        for (n, chunk) in data.applications.chunks(step).enumerate() {
            insert_applications(&mut tx, chunk, &now).await?;
            progress(&format!("applications {}/{total}", (n * step + chunk.len())));
        }
        let total = data.subsidy_claims.len();
        for (n, chunk) in data.subsidy_claims.chunks(step).enumerate() {
            insert_claims(&mut tx, chunk).await?;
            progress(&format!("subsidy claims {}/{total}", (n * step + chunk.len())));
        }
        for e in &data.faq {
            put_faq(&mut tx, e).await?;
        }
        progress(&format!("faq {}", data.faq.len()));
        notify(&mut tx, &ServerEvent::InstitutionsChanged).await?;
        notify(&mut tx, &ServerEvent::FaqChanged).await?;
        progress("committing");
        tx.commit().await?;
        Ok(())
    }

    async fn upsert_institutions(&self, rows: &[Institution]) -> Result<UpsertCounts, StoreError> {
        let rows = dedup_by_code(rows);
        let mut tx = self.begin_write().await?;
        let mut counts = UpsertCounts::default();
        for chunk in rows.chunks(BATCH_ROWS) {
            let mut qb: QueryBuilder<'_, Db> =
                QueryBuilder::new("SELECT code FROM institutions WHERE code IN (");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push_bind(r.code.as_str());
            }
            qb.push(")");
            let existing: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
            counts.updated += existing.len() as u64;
            counts.inserted += (chunk.len() - existing.len()) as u64;
            insert_institutions(&mut tx, chunk, true).await?;
        }
        if !rows.is_empty() {
            notify(&mut tx, &ServerEvent::InstitutionsChanged).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn institution_count(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM institutions").fetch_one(self.reader()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn all_institutions(&self) -> Result<Vec<InstitutionRow>, StoreError> {
        let sql = format!(
            "SELECT {INSTITUTION_COLUMNS}, COALESCE(a.status, 'not_applied') AS reader_status \
             FROM institutions i LEFT JOIN applications a ON a.code = i.code ORDER BY i.code"
        );
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(institution_row_from_row).collect()
    }

    async fn institution(&self, code: &str) -> Result<Option<InstitutionRow>, StoreError> {
        let sql = format!(
            "SELECT {INSTITUTION_COLUMNS}, COALESCE(a.status, 'not_applied') AS reader_status \
             FROM institutions i LEFT JOIN applications a ON a.code = i.code WHERE i.code = $1"
        );
        let row = sqlx::query(&sql).bind(code).fetch_optional(self.reader()).await?;
        row.as_ref().map(institution_row_from_row).transpose()
    }

    async fn set_reading(&self, code: &str, name_kana: &str, operator: &str) -> Result<(), StoreError> {
        let name_kana = name_kana.trim();
        if name_kana.is_empty() {
            return Err(invalid("the reading is empty: type the reading in kana"));
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
            at: Utc::now(),
            operator,
            action: "institution.set_reading",
            code: Some(code),
            with_receipt: false,
            detail,
        };
        append_event(&mut tx, &mut head, event).await?;
        notify(&mut tx, &ServerEvent::InstitutionsChanged).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reader_models(&self) -> Result<Vec<ReaderModel>, StoreError> {
        let rows = sqlx::query("SELECT id, maker, name, sample FROM reader_models ORDER BY id")
            .fetch_all(self.reader())
            .await?;
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

    async fn upsert_reader_models(&self, models: &[ReaderModel]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        upsert_models(&mut tx, models).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn application(&self, code: &str) -> Result<ReaderApplication, StoreError> {
        let row = sqlx::query(
            "SELECT i.code, a.status, a.model_id, a.units, a.applied_on, a.version \
             FROM institutions i LEFT JOIN applications a ON a.code = i.code WHERE i.code = $1",
        )
        .bind(code)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("institution {code}")))?;
        let status: Option<String> = row.try_get("status")?;
        if status.is_none() {
            return Ok(ReaderApplication::not_applied());
        }
        application_from_row(&row)
    }

    async fn change_application(&self, cmd: ChangeCommand) -> Result<ChangeOutcome, StoreError> {
        let ChangeCommand { code, expected_version, idempotency_key, request_hash, operator, request, rule } =
            cmd;
        let now = Utc::now();
        let now_text = audit_chain::instant_text(now);
        let mut tx = self.begin_write().await?;
        if !institution_exists(&mut tx, &code).await? {
            return Err(StoreError::NotFound(format!("institution {code}")));
        }
        // Make sure there is a row to lock (PostgreSQL locks rows, not absences); a refused
        // change rolls this back with everything else.
        sqlx::query(
            "INSERT INTO applications (code, status, model_id, units, applied_on, version, updated_at) \
             VALUES ($1, 'not_applied', NULL, 0, NULL, 0, $2) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&code)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications WHERE code = $1{FOR_UPDATE}"
        ))
        .bind(&code)
        .fetch_one(&mut *tx)
        .await?;
        let current = application_from_row(&row)?;

        // The key first: a retry of a change that went through must not read as stale.
        let earlier: Option<(String, String, String)> = sqlx::query_as(
            "SELECT code, request_hash, response FROM idempotency WHERE key = $1 AND operator = $2",
        )
        .bind(&idempotency_key)
        .bind(&operator)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((earlier_code, earlier_hash, response)) = earlier {
            if earlier_code != code || earlier_hash != request_hash {
                return Err(StoreError::IdempotencyMismatch);
            }
            let stored: StoredOutcome = serde_json::from_str(&response)
                .map_err(|e| invalid(format!("stored idempotent response: {e}")))?;
            return Ok(ChangeOutcome {
                receipt_no: stored.receipt_no,
                before: stored.before,
                after: stored.after,
                replayed: true,
            });
        }

        if current.version != expected_version {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
                current: current.version,
                current_state: Box::new(current),
            });
        }
        let mut after = rule(&current)?;
        after.version = current.version + 1;
        if let Some(model) = &after.model_id {
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM reader_models WHERE id = $1")
                .bind(model)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(invalid(format!("unknown reader model {model:?}: choose one from the catalog")));
            }
        }
        if let Some(call_id) = request.call_id {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE id = $1")
                .bind(call_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(invalid(format!("call {call_id} does not exist: start a call or leave it out")));
            }
        }
        sqlx::query(
            "UPDATE applications SET status = $1, model_id = $2, units = $3, applied_on = $4, version = $5, \
             updated_at = $6 WHERE code = $7",
        )
        .bind(after.status.as_str())
        .bind(after.model_id.as_deref())
        .bind(i64::from(after.units))
        .bind(after.applied_on.map(date_text))
        .bind(after.version)
        .bind(&now_text)
        .bind(&code)
        .execute(&mut *tx)
        .await?;

        let mut head = chain_head(&mut tx).await?;
        let detail = serde_json::json!({
            "caller": { "name": request.caller_name, "role": request.caller_role },
            "verification": request.verification,
            "before": current,
            "after": after,
            "call_id": request.call_id,
            "idempotency_key": idempotency_key,
        });
        let event = NewEvent {
            at: now,
            operator: &operator,
            action: "reader_application.change",
            code: Some(&code),
            with_receipt: true,
            detail,
        };
        let (_, receipt) = append_event(&mut tx, &mut head, event).await?;
        let receipt_no = receipt.ok_or_else(|| invalid("no receipt number was assigned"))?;

        let stored =
            StoredOutcome { receipt_no: receipt_no.clone(), before: current.clone(), after: after.clone() };
        sqlx::query(
            "INSERT INTO idempotency (key, operator, code, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&idempotency_key)
        .bind(&operator)
        .bind(&code)
        .bind(&request_hash)
        .bind(serde_json::to_string(&stored).map_err(invalid)?)
        .bind(&now_text)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            // The same key sent at the same moment for another institution (PostgreSQL: the
            // two transactions lock different rows) is the same misuse as a later reuse.
            if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                StoreError::IdempotencyMismatch
            } else {
                StoreError::Database(e)
            }
        })?;
        if let Some(call_id) = request.call_id {
            sqlx::query("INSERT INTO call_receipts (call_id, receipt_no) VALUES ($1, $2)")
                .bind(call_id)
                .bind(&receipt_no)
                .execute(&mut *tx)
                .await?;
        }
        let event = ServerEvent::ApplicationChanged {
            code: code.clone(),
            version: after.version,
            operator: operator.clone(),
            receipt_no: Some(receipt_no.clone()),
        };
        notify(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(ChangeOutcome { receipt_no, before: current, after, replayed: false })
    }

    async fn run_deadline_batch(
        &self,
        deadline: NaiveDate,
        operator: &str,
        dry_run: bool,
    ) -> Result<DeadlineBatchReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "SELECT code, {APPLICATION_COLUMNS} FROM applications WHERE status = 'undecided' ORDER BY code{FOR_UPDATE}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let mut affected = Vec::with_capacity(rows.len());
        for row in &rows {
            let code: String = row.try_get("code")?;
            affected.push((code, application_from_row(row)?));
        }
        let report = DeadlineBatchReport {
            dry_run,
            cancelled: affected.len() as u64,
            sample_codes: affected.iter().take(10).map(|(c, _)| c.clone()).collect(),
        };
        if dry_run || affected.is_empty() {
            return Ok(report);
        }
        let now = Utc::now();
        let now_text = audit_chain::instant_text(now);
        let mut head = chain_head(&mut tx).await?;
        for (code, before) in &affected {
            let after = ReaderApplication {
                status: ReaderStatus::Cancelled,
                model_id: None,
                units: before.units,
                applied_on: before.applied_on,
                version: before.version + 1,
            };
            sqlx::query("UPDATE applications SET status = 'cancelled', model_id = NULL, version = $1, updated_at = $2 WHERE code = $3")
                .bind(after.version)
                .bind(&now_text)
                .bind(code)
                .execute(&mut *tx)
                .await?;
            let detail = serde_json::json!({
                "reason": "機種未定のまま選定期限を過ぎたためキャンセル",
                "deadline": date_text(deadline),
                "before": before,
                "after": after,
            });
            let event = NewEvent {
                at: now,
                operator,
                action: "reader_application.cancel_deadline",
                code: Some(code),
                with_receipt: true,
                detail,
            };
            let (_, receipt) = append_event(&mut tx, &mut head, event).await?;
            let event = ServerEvent::ApplicationChanged {
                code: code.clone(),
                version: after.version,
                operator: operator.to_string(),
                receipt_no: receipt,
            };
            notify(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn undecided_by_prefecture(&self) -> Result<Vec<PrefectureCount>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT i.prefecture, COUNT(*) AS n FROM applications a JOIN institutions i ON i.code = a.code \
             WHERE a.status = 'undecided' GROUP BY i.prefecture ORDER BY n DESC, i.prefecture",
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(prefecture, n)| Ok(PrefectureCount { prefecture, undecided: to_u64(n)? }))
            .collect()
    }

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

    async fn start_call(
        &self,
        operator: &str,
        code: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(code) = code
            && !institution_exists(&mut tx, code).await?
        {
            return Err(StoreError::NotFound(format!("institution {code}")));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (operator, started_at, ended_at, code, note) VALUES ($1, $2, NULL, $3, '') RETURNING id",
        )
        .bind(operator)
        .bind(audit_chain::instant_text(at))
        .bind(code)
        .fetch_one(&mut *tx)
        .await?;
        let call = call_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn update_call(
        &self,
        id: i64,
        code: Option<&str>,
        note: Option<&str>,
        ended_at: Option<DateTime<Utc>>,
    ) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        if let Some(code) = code
            && !institution_exists(&mut tx, code).await?
        {
            return Err(StoreError::NotFound(format!("institution {code}")));
        }
        let done = sqlx::query(
            "UPDATE calls SET code = COALESCE($1, code), note = COALESCE($2, note), \
             ended_at = COALESCE($3, ended_at) WHERE id = $4",
        )
        .bind(code)
        .bind(note)
        .bind(ended_at.map(audit_chain::instant_text))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("call {id}")));
        }
        let call = call_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(call)
    }

    async fn attach_receipt(&self, id: i64, receipt_no: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("call {id}")));
        }
        sqlx::query("INSERT INTO call_receipts (call_id, receipt_no) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(receipt_no)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn calls(&self, code: Option<&str>, since: Option<DateTime<Utc>>) -> Result<Vec<Call>, StoreError> {
        let since = since.map(audit_chain::instant_text);
        let rows = sqlx::query(
            "SELECT c.id, c.operator, c.started_at, c.ended_at, c.code, c.note, c.caller_phone, c.callback_id, \
             r.receipt_no \
             FROM calls c LEFT JOIN call_receipts r ON r.call_id = c.id \
             WHERE ($1 IS NULL OR c.code = $1) AND ($2 IS NULL OR c.started_at >= $2) \
             ORDER BY c.started_at DESC, c.id DESC, r.receipt_no",
        )
        .bind(code)
        .bind(since.as_deref())
        .fetch_all(self.reader())
        .await?;
        let mut calls: Vec<Call> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            if calls.last().map(|c| c.id) != Some(id) {
                calls.push(call_from_row(row)?);
            }
            if let (Some(receipt), Some(call)) =
                (row.try_get::<Option<String>, _>("receipt_no")?, calls.last_mut())
            {
                call.receipts.push(receipt);
            }
        }
        fill_calls_details(self.reader(), &mut calls, code, since.as_deref()).await?;
        Ok(calls)
    }

    async fn upsert_faq(&self, entries: &[FaqEntry], operator: &str) -> Result<UpsertCounts, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut counts = UpsertCounts::default();
        let mut head: Option<ChainHead> = None;
        let now = Utc::now();
        for e in entries {
            let row = sqlx::query(&format!(
                "SELECT id, question, answer, category, keywords FROM faq_entries WHERE id = $1{FOR_UPDATE}"
            ))
            .bind(&e.id)
            .fetch_optional(&mut *tx)
            .await?;
            let before = row.as_ref().map(faq_from_row).transpose()?;
            match &before {
                Some(b) if b == e => {
                    counts.updated += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.inserted += 1,
            }
            put_faq(&mut tx, e).await?;
            if head.is_none() {
                head = Some(chain_head(&mut tx).await?);
            }
            if let Some(head) = head.as_mut() {
                let detail = serde_json::json!({ "id": e.id, "before": before, "after": e });
                let event = NewEvent {
                    at: now,
                    operator,
                    action: "faq.edit",
                    code: None,
                    with_receipt: false,
                    detail,
                };
                append_event(&mut tx, head, event).await?;
            }
        }
        if head.is_some() {
            notify(&mut tx, &ServerEvent::FaqChanged).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn faq_entries(&self) -> Result<Vec<FaqEntry>, StoreError> {
        let rows =
            sqlx::query("SELECT id, question, answer, category, keywords FROM faq_entries ORDER BY id")
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(faq_from_row).collect()
    }

    async fn add_operator(&self, name: &str, role: Role, token_hash: &str) -> Result<(), StoreError> {
        if name.trim().is_empty() {
            return Err(invalid("the operator name is empty: give a name"));
        }
        let mut tx = self.begin_write().await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT name FROM operators WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(invalid("this token is already issued: generate a new one"));
        }
        sqlx::query("INSERT INTO operators (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(name.trim())
            .bind(role.as_str())
            .bind(token_hash)
            .bind(audit_chain::instant_text(Utc::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn operator_by_token_hash(&self, token_hash: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, role FROM operators WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
        row.map(|(name, role)| Ok(OperatorRecord { name, role: role_from_text(&role)? })).transpose()
    }

    async fn audit(&self, code: Option<&str>, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        // Two spellings rather than `($1 IS NULL OR code = $1)`, which would keep both engines
        // from using the (code, seq) index for one institution's 履歴.
        let rows = match code {
            Some(code) => {
                sqlx::query(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE code = $1 ORDER BY seq DESC LIMIT $2"
                ))
                .bind(code)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT $1"))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?
            }
        };
        let mut events = rows.iter().map(audit_from_row).collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        Ok(events)
    }

    async fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let rows = sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq"))
            .fetch_all(self.reader())
            .await?;
        let mut prev_hash = GENESIS_HASH.to_string();
        let mut expected_seq = 1;
        let mut first_broken_seq = None;
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let at: String = row.try_get("at")?;
            let operator: String = row.try_get("operator")?;
            let action: String = row.try_get("action")?;
            let code: Option<String> = row.try_get("code")?;
            let receipt_no: Option<String> = row.try_get("receipt_no")?;
            let detail: String = row.try_get("detail")?;
            let stored_prev: String = row.try_get("prev_hash")?;
            let hash: String = row.try_get("hash")?;
            let fields = ChainedFields {
                seq,
                at: &at,
                operator: &operator,
                action: &action,
                code: code.as_deref(),
                receipt_no: receipt_no.as_deref(),
                detail: &detail,
            };
            let intact = seq == expected_seq
                && stored_prev == prev_hash
                && audit_chain::event_hash(&stored_prev, &fields) == hash;
            if !intact {
                first_broken_seq = Some(seq.min(expected_seq));
                break;
            }
            prev_hash = hash;
            expected_seq = seq + 1;
        }
        Ok(AuditVerification { events: rows.len() as u64, first_broken_seq })
    }

    async fn listen_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        self.listen().await
    }

    async fn announce(&self, event: &ServerEvent) -> Result<bool, StoreError> {
        self.announce_event(event).await
    }
}
