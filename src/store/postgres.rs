//! The PostgreSQL backend, shared by several `madoguchi serve` processes.
//!
//! Writes serialize in the database: a change locks its application row with
//! `SELECT ... FOR UPDATE` (creating the row first with `INSERT ... ON CONFLICT DO NOTHING`,
//! since an absent row cannot be locked), and appending to the audit chain takes a
//! transaction-scoped advisory lock, always after any row locks, so sequence numbers stay
//! gap-free and transactions cannot deadlock on each other. Every change is announced with
//! `NOTIFY madoguchi_changes` (payload: the `ServerEvent` JSON) so the other servers refresh
//! their indexes and tell their consoles.

use std::time::Duration;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{PgConnection, Pool, Postgres, Transaction};

use super::pg_gate::{Gate, Gated};

use crate::api::ServerEvent;
use crate::store::StoreError;

/// The shared SQL, compiled against this backend's types (see `sql/mod.rs`).
// Mounted by both backends on purpose: one text, compiled against each backend's types.
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

type Db = Postgres;
type Conn = PgConnection;
type DbRow = sqlx::postgres::PgRow;
type ThisStore = PostgresStore;
type Reader = Gated;

/// The channel of change notifications (of a database using the `public` schema; a
/// deployment in schema S uses `madoguchi_changes_S`, so deployments sharing one database do
/// not hear each other).
pub const CHANGES_CHANNEL: &str = "madoguchi_changes";

/// SQL naming the channel of the connection's schema (see [`CHANGES_CHANNEL`]).
const CHANNEL_SQL: &str = "CASE WHEN current_schema() = 'public' THEN 'madoguchi_changes' \
     ELSE 'madoguchi_changes_' || current_schema() END";

/// Advisory lock keys (arbitrary constants, unique to madoguchi).
const MIGRATION_LOCK: i64 = 0x6d61_646f_0001;
const AUDIT_CHAIN_LOCK: i64 = 0x6d61_646f_0002;

/// Ordered, embedded migrations: (version, name, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("migrations/postgres/0001_init.sql")),
    (2, "calls", include_str!("migrations/postgres/0002_calls.sql")),
    (3, "ssh_keys", include_str!("migrations/postgres/0003_ssh_keys.sql")),
    (4, "call_report", include_str!("migrations/postgres/0004_call_report.sql")),
    (5, "institutions_version", include_str!("migrations/postgres/0005_institutions_version.sql")),
    (6, "operator_names", include_str!("migrations/postgres/0006_operator_names.sql")),
    (7, "campaigns", include_str!("migrations/postgres/0007_campaigns.sql")),
    (8, "floor", include_str!("migrations/postgres/0008_floor.sql")),
    (10, "campaign_progress", include_str!("migrations/postgres/0010_campaign_progress.sql")),
];

const FOR_UPDATE: &str = " FOR UPDATE";

/// The version of the institution rows: the highest committed row version (writers commit
/// in version order, see the migration).
const INSTITUTIONS_VERSION_SQL: &str = "(SELECT COALESCE(MAX(row_version), 0) FROM institutions)";

const CLEAR_SEED_SQL: &[&str] = &[
    "TRUNCATE campaign_attempts, campaign_members, campaigns, institution_do_not_call, subsidy_claims, applications, idempotency, institutions, reader_models, faq_entries",
];

/// The PostgreSQL store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: Pool<Postgres>,
    /// The same pool behind the outage gate: what every query goes through.
    gated: Gated,
    url: String,
    /// Waits of write transactions to begin (for `/metrics`).
    writes: std::sync::Arc<crate::store::pool_stats::WaitTally>,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://` or `postgresql://`; a `?options=-c search_path=...`
    /// parameter selects a schema) and applies missing migrations. Never seeds.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let gated = Gated::new(pool.clone(), Gate::new(options));
        {
            let mut tx = pool.begin().await?;
            sql::run_migrations(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(PostgresStore { pool, gated, url: url.to_string(), writes: Default::default() })
    }

    fn reader(&self) -> &Gated {
        &self.gated
    }

    /// No file beside a PostgreSQL database: each server builds its index at start.
    fn snapshot_path(&self) -> Option<std::path::PathBuf> {
        None
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let started = std::time::Instant::now();
        let tx = self.gated.begin().await;
        self.writes.record(started.elapsed());
        tx
    }

    /// The pool as `/metrics` shows it.
    fn pools(&self) -> Vec<crate::store::pool_stats::PoolStats> {
        vec![self.writes.stats("main", &self.pool)]
    }

    /// Every server on the database hears it through its change feed (a notification outside
    /// any transaction: the event changes no row).
    async fn announce_event(&self, event: &ServerEvent) -> Result<bool, StoreError> {
        let payload = serde_json::to_string(event).map_err(StoreError::internal)?;
        sqlx::query(&format!("SELECT pg_notify({CHANNEL_SQL}, $1)"))
            .bind(payload)
            .execute(self.reader())
            .await?;
        Ok(true)
    }

    /// Subscribes to `madoguchi_changes` (of this schema); the receiver yields every change any
    /// server made; the channel closes when the receiver is dropped. A lost connection (the
    /// database restarted, failed over, or the network broke) tells the outage gate, waits
    /// until the database is back, listens again and catches up: every audited change since a
    /// little before the loss is told again (a repeat is harmless: indexes and consoles take an
    /// event they hold already as a no-op), and the institutions are compared once (imports
    /// are not in the audit log).
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        let channel: String =
            sqlx::query_scalar(&format!("SELECT {CHANNEL_SQL}")).fetch_one(self.reader()).await?;
        let mut listener = subscribe(&self.url, &channel).await?;
        let seen = Arc::new(AtomicI64::new(max_audit_seq(self.reader()).await?));
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        // Where a catch-up starts: the audit log's end as of the previous tick (a notification
        // sent just before a tick may still be on its way at the tick).
        let ticker = {
            let (reader, seen, tx) = (self.gated.clone(), seen.clone(), tx.clone());
            tokio::spawn(async move {
                let mut previous = seen.load(Ordering::Relaxed);
                loop {
                    tokio::time::sleep(CATCH_UP_MARGIN).await;
                    if tx.is_closed() {
                        return;
                    }
                    if let Ok(now) = max_audit_seq(&reader).await {
                        seen.fetch_max(previous, Ordering::Relaxed);
                        previous = now;
                    }
                }
            })
        };
        let (reader, url) = (self.gated.clone(), self.url.clone());
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        let Ok(event) = serde_json::from_str::<ServerEvent>(n.payload()) else {
                            tracing::warn!(
                                payload = n.payload(),
                                "ignoring an unreadable change notification"
                            );
                            continue;
                        };
                        if tx.send(event).await.is_err() {
                            break;
                        }
                    }
                    lost => {
                        let why = match lost {
                            Err(e) => e.to_string(),
                            _ => "connection lost".to_string(),
                        };
                        tracing::warn!(
                            "change notifications interrupted ({why}); listening again once the database is back"
                        );
                        reader.gate().suspect(&why);
                        listener = loop {
                            reader.gate().up().await;
                            match subscribe(&url, &channel).await {
                                Ok(l) => break l,
                                Err(_) => tokio::time::sleep(super::pg_gate::PROBE_EVERY).await,
                            }
                        };
                        match catch_up(&reader, &seen, &tx).await {
                            Ok(n) => tracing::info!("listening for changes again; {n} changes told again"),
                            Err(e) => tracing::warn!("listening for changes again; catching up failed: {e}"),
                        }
                        if tx.is_closed() {
                            break;
                        }
                    }
                }
            }
            ticker.abort();
        });
        Ok(Some(rx))
    }
}

/// How far behind the audit log's end a catch-up after a lost `LISTEN` starts, at most.
const CATCH_UP_MARGIN: Duration = Duration::from_secs(5);

/// A listener of `channel` with a connection of its own that is not reconnected behind our
/// back (a lost one is for [`PostgresStore::listen`] to handle).
async fn subscribe(url: &str, channel: &str) -> Result<PgListener, sqlx::Error> {
    let connect = async {
        let mut listener = PgListener::connect(url).await?;
        listener.eager_reconnect(false);
        listener.listen(channel).await?;
        Ok(listener)
    };
    tokio::time::timeout(Duration::from_secs(5), connect).await.unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

async fn max_audit_seq(reader: &Gated) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetch_one(reader).await?)
}

/// One audit log entry as a catch-up reads it: seq, operator, action, code, receipt, detail.
type AuditRow = (i64, String, String, Option<String>, Option<String>, String);

/// Tells again every audited change after `seen` (and that institutions may have changed);
/// how many.
async fn catch_up(
    reader: &Gated,
    seen: &AtomicI64,
    tx: &tokio::sync::mpsc::Sender<ServerEvent>,
) -> Result<usize, StoreError> {
    let from = seen.load(Ordering::Relaxed);
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT seq, operator, action, code, receipt_no, detail FROM audit_events WHERE seq > $1 ORDER BY seq",
    )
    .bind(from)
    .fetch_all(reader)
    .await?;
    let mut told = 0;
    let mut faq_told = false;
    let _ = tx.send(ServerEvent::InstitutionsChanged).await;
    for (seq, operator, action, code, receipt_no, detail) in rows {
        seen.fetch_max(seq, Ordering::Relaxed);
        let version = serde_json::from_str::<serde_json::Value>(&detail)
            .ok()
            .and_then(|d| d.get("after")?.get("version")?.as_i64());
        let Some(event) = sql::announced_by(&operator, &action, code, receipt_no, version) else {
            continue;
        };
        if matches!(event, ServerEvent::FaqChanged) && std::mem::replace(&mut faq_told, true) {
            continue;
        }
        if tx.send(event).await.is_err() {
            break;
        }
        told += 1;
    }
    Ok(told)
}

async fn lock_migrations(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
    Ok(())
}

async fn lock_audit_chain(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_CHAIN_LOCK).execute(&mut *conn).await?;
    Ok(())
}

/// Queues a notification; PostgreSQL delivers it only if the transaction commits.
async fn notify(conn: &mut Conn, event: &ServerEvent) -> Result<(), StoreError> {
    let payload = serde_json::to_string(event).map_err(StoreError::internal)?;
    sqlx::query(&format!("SELECT pg_notify({CHANNEL_SQL}, $1)")).bind(payload).execute(&mut *conn).await?;
    Ok(())
}
