//! The SQL shared by the SQLite and PostgreSQL backends, one file per resource; each backend
//! mounts this folder as its own module (`#[path = "sql/mod.rs"] mod sql;`), so it is written
//! once and compiled against each backend's types.
//!
//! Both schemas have the same shape and every query here is written in the SQL both engines
//! accept (`$N` placeholders, `ON CONFLICT`, `RETURNING`). The backend module around this one
//! provides:
//! - the types `Db` (the sqlx database), `Conn` (its connection), `DbRow` (its row),
//!   `Reader` (what `reader()` returns: the pool, or PostgreSQL's pool behind its outage gate) and
//!   `ThisStore` (the store, with `reader()`, `begin_write()`, `listen()` and `pools()`);
//! - `FOR_UPDATE` (row locks: `" FOR UPDATE"`, or `""` where the transaction already holds
//!   the database's write lock), `CLEAR_SEED_SQL`, `MIGRATIONS`, `INSTITUTIONS_VERSION_SQL` (the
//!   version of the institution rows, as a column of `institutions_version v`);
//! - the hooks `lock_migrations`, `lock_audit_chain` and `notify`.
//!
//! (sqlx's `Any` driver is not built here, and code generic over `sqlx::Database` needs bounds
//! longer than the queries; one folder mounted twice keeps each query in one place.)

mod application_rows;
mod applications;
mod audit;
mod call_details;
mod callbacks;
mod calls;
mod campaign_demo;
mod campaign_next;
mod campaign_outcome;
mod campaigns;
mod convert;
mod deadline_batch;
mod faq;
mod floor;
mod idempotency;
mod institutions;
mod migrate;
mod models;
mod operators;
mod placeholders;
mod reports;
mod seed;
mod ssh_keys;
mod subsidy;

use super::{
    CLEAR_SEED_SQL, Conn, Db, DbRow, FOR_UPDATE, INSTITUTIONS_VERSION_SQL, MIGRATIONS, Reader, ThisStore,
    lock_audit_chain, lock_migrations, notify,
};
use crate::api::ServerEvent;
use crate::store::{Store, StoreError};

// The SQLite backend's feed reads the audit log with it; the PostgreSQL one notifies instead.
#[allow(unused_imports)]
pub(super) use audit::announced_by;
pub(super) use migrate::run_migrations;

/// Rows per multi-row INSERT: 1,000 rows of 11 columns stay under both engines' limits on
/// bound parameters (SQLite 32,766, PostgreSQL 65,535).
const BATCH_ROWS: usize = 1000;

#[async_trait::async_trait]
impl Store for ThisStore {
    async fn listen_changes(&self) -> Result<Option<tokio::sync::mpsc::Receiver<ServerEvent>>, StoreError> {
        self.listen().await
    }

    async fn announce(&self, event: &ServerEvent) -> Result<bool, StoreError> {
        self.announce_event(event).await
    }

    fn pool_stats(&self) -> Vec<crate::store::pool_stats::PoolStats> {
        self.pools()
    }
}
