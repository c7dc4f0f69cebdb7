//! How busy a store's connection pools are, for `/metrics`: connections in use and idle, and
//! the time write transactions waited to begin (the pool's wait for a connection and, on
//! SQLite, the wait for the database's one write lock). Read when a scrape asks; the tally
//! itself is two atomic adds per write transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One pool as a scrape sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolStats {
    /// `reader`, `writer` (SQLite) or `main` (PostgreSQL).
    pub name: &'static str,
    /// Connections open now, in use or idle.
    pub size: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The pool's limit.
    pub max: u32,
    /// Write transactions begun on this pool since start.
    pub acquires: u64,
    /// Their wait to begin, added up, in seconds.
    pub acquire_wait_seconds: f64,
}

/// Waits of write transactions to begin, added up: why it exists is the pool's wait, which
/// sqlx does not report.
#[derive(Debug, Default)]
pub struct WaitTally {
    count: AtomicU64,
    micros: AtomicU64,
}

impl WaitTally {
    /// One transaction waited `waited` to begin (whether it began or failed).
    pub fn record(&self, waited: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(u64::try_from(waited.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// `pool` named `name`, with this tally.
    pub fn stats<DB: sqlx::Database>(&self, name: &'static str, pool: &sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            name,
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
            acquires: self.count.load(Ordering::Relaxed),
            acquire_wait_seconds: self.micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }

    /// A pool without write transactions of its own.
    pub fn untallied<DB: sqlx::Database>(name: &'static str, pool: &sqlx::Pool<DB>) -> PoolStats {
        WaitTally::default().stats(name, pool)
    }
}
