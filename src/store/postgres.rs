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

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgConnection, Pool, Postgres, Transaction};

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
    url: String,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://` or `postgresql://`; a `?options=-c search_path=...`
    /// parameter selects a schema) and applies missing migrations. Never seeds.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        {
            let mut tx = pool.begin().await?;
            sql::run_migrations(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(PostgresStore { pool, url: url.to_string() })
    }

    fn reader(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// No file beside a PostgreSQL database: each server builds its index at start.
    fn snapshot_path(&self) -> Option<std::path::PathBuf> {
        None
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Every server on the database hears it through its change feed (a notification outside
    /// any transaction: the event changes no row).
    async fn announce_event(&self, event: &ServerEvent) -> Result<bool, StoreError> {
        let payload = serde_json::to_string(event).map_err(StoreError::internal)?;
        sqlx::query(&format!("SELECT pg_notify({CHANNEL_SQL}, $1)"))
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// Subscribes to `madoguchi_changes` (of this schema); the receiver yields every change any server made.
    /// The listener reconnects by itself; the channel closes when the receiver is dropped.
    async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        let channel: String =
            sqlx::query_scalar(&format!("SELECT {CHANNEL_SQL}")).fetch_one(&self.pool).await?;
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(&channel).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(n) => {
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
                    Err(e) => {
                        tracing::warn!(error = %e, "change notifications interrupted; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
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
