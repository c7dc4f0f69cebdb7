//! What `GET /metrics` tells Prometheus (`madoguchi serve --metrics-listen ADDR`, off by
//! default, on its own address so it is never public by accident): HTTP requests by route
//! template and status with their latency, lookups and FAQ queries, changes committed /
//! refused / stale, the SSH door, event-stream subscribers, the lookup index against the
//! database, the database pools, and the limits' refusals.
//!
//! Counters and histograms are recorded where things happen (a few nanoseconds each: an
//! atomic add, or a short lock for a histogram); the gauges that describe a state (sessions
//! open, subscribers, pool use, index lag) are read when a scrape asks, so nothing polls.
//! One [`Metrics`] per server: tests run several servers in one process.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::state::AppState;

/// Latency buckets (seconds) of HTTP requests: a lookup answers in well under a millisecond,
/// a change in a few, a timeout after 15 s.
const HTTP_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0];

/// Latency buckets (seconds) of a lookup or an FAQ query inside the index (no HTTP).
const SEARCH_BUCKETS: [f64; 10] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];

/// One HTTP series: the route as declared (`/v1/institutions/{code}`, never the raw URL, so
/// the series stay few), the method and the status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub method: &'static str,
    pub status: u16,
}

/// A series told apart by one short reason (`rule_refused`, `token`, `locked_out`, ...).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

/// A database pool's series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

/// A group-commit queue's name (`campaign_next`, `campaign_outcomes`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueName {
    queue: &'static str,
}

/// A database pool's name alone.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolName {
    pool: &'static str,
}

fn http_histogram() -> Histogram {
    Histogram::new(HTTP_BUCKETS)
}

/// Every series of one server, and the registry that encodes them.
pub struct Metrics {
    registry: Registry,
    http: Family<HttpLabels, Histogram, fn() -> Histogram>,
    lookup: Histogram,
    faq: Histogram,
    changes_committed: Counter,
    changes_refused: Family<Reason, Counter>,
    changes_stale: Counter,
    ssh_logins: Counter,
    ssh_logins_failed: Counter,
    ssh_refused: Family<Reason, Counter>,
    rate_limited: Family<Reason, Counter>,
    connections_refused: Counter,
    // Read at scrape time.
    ssh_sessions_open: Gauge,
    event_subscribers: Gauge,
    index_institutions: Gauge,
    index_version_lag: Gauge,
    index_last_build: Gauge<f64, AtomicU64>,
    database_up: Gauge,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Family<PoolName, Gauge>,
    pool_acquires: Family<PoolName, Counter>,
    pool_acquire_wait: Family<PoolName, Counter<f64, AtomicU64>>,
    group_commit_batches: Family<QueueName, Counter>,
    group_commit_requests: Family<QueueName, Counter>,
    /// Unix time of the last full build (or snapshot load) of the lookup index; 0: none yet.
    last_build_unix: AtomicI64,
    /// Whether anyone scrapes (`--metrics-listen`): otherwise the per-request series are not
    /// recorded at all, so a server without metrics pays nothing for them.
    enabled: AtomicBool,
    /// One scrape at a time (the pool counters are brought up to date by difference).
    scraping: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Every series, registered under the `madoguchi_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("madoguchi");
        let m = Metrics {
            http: Family::new_with_constructor(http_histogram),
            lookup: Histogram::new(SEARCH_BUCKETS),
            faq: Histogram::new(SEARCH_BUCKETS),
            changes_committed: Counter::default(),
            changes_refused: Family::default(),
            changes_stale: Counter::default(),
            ssh_logins: Counter::default(),
            ssh_logins_failed: Counter::default(),
            ssh_refused: Family::default(),
            rate_limited: Family::default(),
            connections_refused: Counter::default(),
            ssh_sessions_open: Gauge::default(),
            event_subscribers: Gauge::default(),
            index_institutions: Gauge::default(),
            index_version_lag: Gauge::default(),
            index_last_build: Gauge::default(),
            database_up: Gauge::default(),
            pool_connections: Family::default(),
            pool_max: Family::default(),
            pool_acquires: Family::default(),
            pool_acquire_wait: Family::default(),
            group_commit_batches: Family::default(),
            group_commit_requests: Family::default(),
            last_build_unix: AtomicI64::new(0),
            enabled: AtomicBool::new(false),
            scraping: tokio::sync::Mutex::new(()),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register_with_unit(
            "http_request_duration",
            "HTTP requests by route template, method and status, with their latency (the _count is the number of requests)",
            Unit::Seconds,
            m.http.clone(),
        );
        r.register_with_unit(
            "lookup_duration",
            "Institution lookups: time inside the lookup index",
            Unit::Seconds,
            m.lookup.clone(),
        );
        r.register_with_unit(
            "faq_query_duration",
            "FAQ searches: time inside the FAQ index",
            Unit::Seconds,
            m.faq.clone(),
        );
        r.register("changes_committed", "Reader application changes committed", m.changes_committed.clone());
        r.register(
            "changes_refused",
            "Reader application changes refused, by the error code answered (rule_refused, unknown_model, database_unavailable, ...)",
            m.changes_refused.clone(),
        );
        r.register(
            "changes_stale",
            "Reader application changes refused as stale (412: If-Match behind)",
            m.changes_stale.clone(),
        );
        r.register("ssh_logins", "SSH logins (a registered key accepted)", m.ssh_logins.clone());
        r.register("ssh_logins_failed", "SSH keys refused (not registered)", m.ssh_logins_failed.clone());
        r.register(
            "ssh_refused",
            "SSH connections or sessions refused or cut, by reason (locked_out, unauthenticated_per_address, unauthenticated_total, login_timeout, sessions_full, sessions_per_operator, draining)",
            m.ssh_refused.clone(),
        );
        r.register(
            "rate_limited",
            "HTTP requests refused 429, by limit (token, address)",
            m.rate_limited.clone(),
        );
        r.register(
            "http_connections_refused",
            "HTTP connections refused 503 at the open-connection cap",
            m.connections_refused.clone(),
        );
        r.register("ssh_sessions_open", "SSH console sessions open", m.ssh_sessions_open.clone());
        r.register(
            "event_stream_subscribers",
            "Subscribers of /v1/events (consoles listening)",
            m.event_subscribers.clone(),
        );
        r.register("index_institutions", "Institutions in the lookup index", m.index_institutions.clone());
        r.register(
            "index_version_lag",
            "Institution row versions the lookup index is behind the database (0: current; -1: unknown, index not built)",
            m.index_version_lag.clone(),
        );
        r.register(
            "index_last_build_timestamp_seconds",
            "Unix time of the last full build or snapshot load of the lookup index (0: none yet)",
            m.index_last_build.clone(),
        );
        r.register(
            "database_up",
            "Whether the database answered the scrape's query (1) or not (0)",
            m.database_up.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database pool connections by state (in_use, idle)",
            m.pool_connections.clone(),
        );
        r.register("db_pool_max_connections", "Database pool size limit", m.pool_max.clone());
        r.register(
            "db_pool_acquires",
            "Connections taken from the pool for a write transaction",
            m.pool_acquires.clone(),
        );
        r.register_with_unit(
            "db_pool_acquire_wait",
            "Time spent waiting for a write transaction to begin (pool wait, and SQLite's write lock)",
            Unit::Seconds,
            m.pool_acquire_wait.clone(),
        );
        r.register(
            "group_commit_batches",
            "Write transactions of a group-commit queue (requests arriving together share one)",
            m.group_commit_batches.clone(),
        );
        r.register(
            "group_commit_requests",
            "Requests written through a group-commit queue",
            m.group_commit_requests.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Records from now on: someone scrapes (`--metrics-listen`).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// Whether the per-request series are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// One HTTP request answered.
    pub fn observe_http(&self, labels: &HttpLabels, seconds: f64) {
        if self.enabled() {
            self.http.get_or_create(labels).observe(seconds);
        }
    }

    /// One lookup inside the index.
    pub fn observe_lookup(&self, seconds: f64) {
        if self.enabled() {
            self.lookup.observe(seconds);
        }
    }

    /// One FAQ search inside the index.
    pub fn observe_faq(&self, seconds: f64) {
        if self.enabled() {
            self.faq.observe(seconds);
        }
    }

    /// A change committed (a replay of the same `Idempotency-Key` is not counted again).
    pub fn change_committed(&self) {
        self.changes_committed.inc();
    }

    /// A change refused with `code` (the error shape's code).
    pub fn change_refused(&self, code: &'static str) {
        if code == "stale" {
            self.changes_stale.inc();
        } else {
            self.changes_refused.get_or_create(&Reason { reason: code }).inc();
        }
    }

    pub fn ssh_login(&self) {
        self.ssh_logins.inc();
    }

    pub fn ssh_login_failed(&self) {
        self.ssh_logins_failed.inc();
    }

    /// An SSH connection or session refused or cut for `reason`.
    pub fn ssh_refused(&self, reason: &'static str) {
        self.ssh_refused.get_or_create(&Reason { reason }).inc();
    }

    /// The counter of 429s by limit, for the rate-limit middleware.
    pub fn rate_limited_counter(&self) -> Family<Reason, Counter> {
        self.rate_limited.clone()
    }

    /// The counter of connections refused at the cap, for the accept loop.
    pub fn connections_refused_counter(&self) -> Counter {
        self.connections_refused.clone()
    }

    /// The lookup index was built (or loaded from its snapshot) now.
    pub fn index_built(&self) {
        self.last_build_unix.store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
    }

    /// The text a scrape gets (Prometheus text format 0.0.4), after reading the gauges.
    pub async fn scrape(&self, state: &AppState) -> String {
        let _one = self.scraping.lock().await;
        self.ssh_sessions_open.set(state.ssh_sessions_count() as i64);
        self.event_subscribers.set(state.events.subscribers() as i64);
        self.index_last_build.set(self.last_build_unix.load(Ordering::Relaxed) as f64);
        let (len, built_from) = state
            .lookup
            .read()
            .map(|l| (l.len() as i64, l.built_from.as_ref().map(|v| v.version)))
            .unwrap_or((0, None));
        self.index_institutions.set(len);
        // A query with a short deadline: a scrape must answer even while the database is away.
        let now =
            tokio::time::timeout(std::time::Duration::from_secs(2), state.store.institutions_version()).await;
        match now {
            Ok(Ok(now)) => {
                self.database_up.set(1);
                self.index_version_lag.set(built_from.map(|have| (now.version - have).max(0)).unwrap_or(-1));
            }
            _ => {
                self.database_up.set(0);
                if built_from.is_none() {
                    self.index_version_lag.set(-1);
                }
            }
        }
        for pool in state.store.pool_stats() {
            let name = PoolName { pool: pool.name };
            self.pool_max.get_or_create(&name).set(i64::from(pool.max));
            self.pool_connections
                .get_or_create(&PoolLabels { pool: pool.name, state: "in_use" })
                .set(i64::from(pool.size.saturating_sub(pool.idle)));
            self.pool_connections
                .get_or_create(&PoolLabels { pool: pool.name, state: "idle" })
                .set(i64::from(pool.idle));
            let acquires = self.pool_acquires.get_or_create(&name);
            acquires.inc_by(pool.acquires.saturating_sub(acquires.get()));
            let wait = self.pool_acquire_wait.get_or_create(&name);
            let more = pool.acquire_wait_seconds - wait.get();
            if more > 0.0 {
                wait.inc_by(more);
            }
        }
        for (queue, (batches, requests)) in [
            ("campaign_next", state.campaign_next.tally()),
            ("campaign_outcomes", state.campaign_outcomes.tally()),
        ] {
            let name = QueueName { queue };
            let b = self.group_commit_batches.get_or_create(&name);
            b.inc_by(batches.saturating_sub(b.get()));
            let r = self.group_commit_requests.get_or_create(&name);
            r.inc_by(requests.saturating_sub(r.get()));
        }
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// `GET /metrics`: the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.scrape(&state).await;
    (StatusCode::OK, [(CONTENT_TYPE, prometheus_client::encoding::prometheus_text::CONTENT_TYPE)], body)
        .into_response()
}

/// The router of the metrics address: `/metrics` and nothing else.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(metrics)).with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` resolves (recording starts when this is
/// called).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.metrics.enable();
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
