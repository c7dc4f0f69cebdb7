//! Failing fast while PostgreSQL is away. sqlx's pool, asked for a connection while the
//! server is down or restarting, retries connecting until its acquire timeout (10 s here)
//! before giving up, so every request would hang that long and then fail. The [`Gate`]
//! knows when the database is away: a lost connection or a refused one makes it try one
//! connection of its own at once; if that fails too the database is down, every query
//! through [`Gated`] fails at once (503 `database_unavailable` with `Retry-After`, see
//! `outage.rs`), queries waiting for a connection give up, and a probe connects every
//! [`PROBE_EVERY`] until it succeeds, when queries go through again. No request waits for a
//! database that is known to be down; none is refused while it is up, since only a failed
//! connection of the gate's own declares it down.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{Connection, Describe, Either, Execute, Executor, Pool, Postgres, Transaction};
use tokio::sync::watch;

use super::outage::{Outage, outage_of};

/// How often a probe tries to connect while the database is down.
pub const PROBE_EVERY: Duration = Duration::from_millis(250);

/// How long the gate's own connection attempt may take.
const CONNECT_CHECK: Duration = Duration::from_secs(3);

/// Whether the database is known to be away, and the work of finding out when it is back.
pub struct Gate {
    /// True while the database is known to be down (the hot path reads only this).
    down: AtomicBool,
    /// A check or probe is running (one at a time).
    checking: AtomicBool,
    /// The same state, for waiting on a change.
    state: watch::Sender<bool>,
    options: PgConnectOptions,
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate").field("down", &self.is_down()).finish()
    }
}

impl Gate {
    /// A gate for the database `options` connects to, open (the database just answered).
    pub fn new(options: PgConnectOptions) -> Arc<Gate> {
        Arc::new(Gate {
            down: AtomicBool::new(false),
            checking: AtomicBool::new(false),
            state: watch::channel(false).0,
            options,
        })
    }

    /// True while the database is known to be down.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Resolves once the database is known to be down.
    fn went_down(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.state.subscribe();
        async move {
            if rx.wait_for(|down| *down).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Resolves once the database is not known to be down.
    pub async fn up(&self) {
        let mut rx = self.state.subscribe();
        let _ = rx.wait_for(|down| !*down).await;
    }

    /// Looks at a failed query: a connection lost or refused starts a check.
    pub fn observe(self: &Arc<Self>, e: &sqlx::Error) {
        if outage_of(e) == Some(Outage::Unreachable) {
            self.suspect(&e.to_string());
        }
    }

    /// Something suggests the database is away (`why`): unless a check is running, try one
    /// connection now; if it fails the database is down until a probe connects.
    pub fn suspect(self: &Arc<Self>, why: &str) {
        if self.is_down() || self.checking.swap(true, Ordering::AcqRel) {
            return;
        }
        let gate = self.clone();
        let why = why.to_string();
        tokio::spawn(async move {
            if let Err(e) = gate.try_connect().await {
                tracing::warn!(
                    "PostgreSQL is unreachable ({why}; connecting: {e}): requests that need it are answered 503 at once until it is back"
                );
                gate.down.store(true, Ordering::Release);
                gate.state.send_replace(true);
                let mut tries = 0u64;
                loop {
                    tokio::time::sleep(PROBE_EVERY).await;
                    tries += 1;
                    if gate.try_connect().await.is_ok() {
                        break;
                    }
                }
                gate.down.store(false, Ordering::Release);
                gate.state.send_replace(false);
                tracing::warn!(
                    "PostgreSQL is back (after about {:.1} s of probes): requests go through again",
                    tries as f64 * PROBE_EVERY.as_secs_f64()
                );
            }
            gate.checking.store(false, Ordering::Release);
        });
    }

    /// One connection of the gate's own, closed at once.
    async fn try_connect(&self) -> Result<(), String> {
        match tokio::time::timeout(CONNECT_CHECK, PgConnection::connect_with(&self.options)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", CONNECT_CHECK.as_secs())),
        }
    }

    /// Runs `work` unless the database is known to be down; gives up on it when it goes
    /// down meanwhile (a wait for a connection would last the pool's timeout); looks at its
    /// error.
    pub async fn guard<T>(
        self: &Arc<Self>,
        work: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        if self.is_down() {
            return Err(away());
        }
        let went_down = self.went_down();
        let result = tokio::select! {
            biased;
            r = work => r,
            () = went_down => Err(away()),
        };
        if let Err(e) = &result {
            self.observe(e);
        }
        result
    }
}

/// The error of a query refused because the database is down: the pool's own "no
/// connection", which `outage.rs` reads as the database being unreachable.
fn away() -> sqlx::Error {
    sqlx::Error::PoolTimedOut
}

/// The store's pool behind its [`Gate`]: what the shared SQL reads through (`reader()`), an
/// executor like the pool itself.
#[derive(Clone)]
pub struct Gated {
    pool: Pool<Postgres>,
    gate: Arc<Gate>,
}

impl fmt::Debug for Gated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gated").field("gate", &self.gate).finish()
    }
}

impl std::ops::Deref for Gated {
    type Target = Pool<Postgres>;
    fn deref(&self) -> &Pool<Postgres> {
        &self.pool
    }
}

impl Gated {
    /// `pool` read and written through `gate`.
    pub fn new(pool: Pool<Postgres>, gate: Arc<Gate>) -> Gated {
        Gated { pool, gate }
    }

    /// The gate that says whether the database is up.
    pub fn gate(&self) -> &Arc<Gate> {
        &self.gate
    }

    /// A connection of the pool, or at once an error while the database is down.
    pub async fn acquire(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        self.gate.guard(self.pool.acquire()).await
    }

    /// A transaction, or at once an error while the database is down.
    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.gate.guard(self.pool.begin()).await
    }
}

impl<'p> Executor<'p> for &'_ Gated {
    type Database = Postgres;

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<PgQueryResult, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).execute(query);
        Box::pin(async move { gate.guard(work).await })
    }

    fn fetch_all<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Vec<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).fetch_all(query);
        Box::pin(async move { gate.guard(work).await })
    }

    fn fetch_one<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<PgRow, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).fetch_one(query);
        Box::pin(async move { gate.guard(work).await })
    }

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<PgQueryResult, PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        // A stream is only refused at its start: cut short, it would look like fewer rows.
        if self.gate.is_down() {
            return futures_util::stream::once(async { Err(away()) }).boxed();
        }
        let gate = self.gate.clone();
        (&self.pool).fetch_many(query).inspect_err(move |e| gate.observe(e)).boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<PgRow>, sqlx::Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Postgres>,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).fetch_optional(query);
        Box::pin(async move { gate.guard(work).await })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, Result<PgStatement<'q>, sqlx::Error>>
    where
        'p: 'e,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).prepare_with(sql, parameters);
        Box::pin(async move { gate.guard(work).await })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Postgres>, sqlx::Error>>
    where
        'p: 'e,
    {
        let gate = self.gate.clone();
        let work = (&self.pool).describe(sql);
        Box::pin(async move { gate.guard(work).await })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    /// A gate for a port nobody listens on (bound, then closed: connecting is refused).
    fn gate_for_a_closed_port() -> Arc<Gate> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
        let url = format!("postgres://nobody:x@127.0.0.1:{}/none", port.expect("a free port"));
        Gate::new(PgConnectOptions::from_str(&url).expect("options"))
    }

    #[tokio::test]
    async fn a_refused_connection_closes_the_gate_and_waiting_work_gives_up_at_once() {
        let gate = gate_for_a_closed_port();
        assert!(!gate.is_down(), "open until something suggests otherwise");
        // Work stuck waiting (as a pool's acquire would, for its whole timeout).
        let stuck = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.guard(std::future::pending::<Result<(), sqlx::Error>>()).await })
        };
        // One thread: the spawned work runs up to its wait before the error comes.
        tokio::task::yield_now().await;
        gate.observe(&sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)));
        let given_up =
            tokio::time::timeout(Duration::from_secs(30), stuck).await.expect("gave up").expect("task");
        assert!(matches!(given_up, Err(sqlx::Error::PoolTimedOut)), "{given_up:?}");
        assert!(gate.is_down());
        // New work is refused without being run.
        let ran = Arc::new(AtomicBool::new(false));
        let r = gate
            .guard({
                let ran = ran.clone();
                async move {
                    ran.store(true, Ordering::SeqCst);
                    Ok(())
                }
            })
            .await;
        assert!(matches!(r, Err(sqlx::Error::PoolTimedOut)) && !ran.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn errors_that_are_not_the_database_away_leave_the_gate_open() {
        let gate = gate_for_a_closed_port();
        gate.observe(&sqlx::Error::RowNotFound);
        tokio::task::yield_now().await;
        assert!(!gate.is_down());
        assert!(!gate.checking.load(Ordering::SeqCst), "no check started");
        assert!(gate.guard(async { Ok::<_, sqlx::Error>(7) }).await.is_ok());
    }
}
