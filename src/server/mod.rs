//! The axum API server.
//!
//! - `state.rs`: [`AppState`], what every handler shares (store, policy, business clock,
//!   indexes, events, tokens, SSH sessions); `index_lifecycle.rs` and `index_snapshot.rs`: the
//!   lookup index's build, catch-up and snapshot file; `change_feed.rs`: the way back after a
//!   write (the store's change feed → indexes → `/v1/events`); `tokens.rs`: token cache and
//!   revocation; `ssh_sessions.rs`: the SSH sessions open on this process.
//! - `usecase/`: one function per workflow; routes call one each.
//! - `routes/`: one module per resource, merged in [`router`].
//! - `auth.rs`: bearer tokens and roles; `error.rs`: [`ApiError`] and the one error shape;
//!   `extract.rs`: extractors whose rejections use that shape.
//! - `events.rs`: `/v1/events` (SSE); `openapi.rs`: `/openapi.json`; `views.rs`: the
//!   operator-facing views built from stored rows.
//! - `request_log.rs`: each request's id, log line and metrics; `metrics.rs`: `/metrics`
//!   (on its own address, `serve --metrics-listen`); `limits.rs` and `listen.rs`: rates,
//!   timeouts, the connection cap and the accept loop.
//! - [`run`] serves until a shutdown future resolves; [`start_embedded`] runs one in-process
//!   on a loopback port for the console and the CLI.

pub mod auth;
mod change_feed;
pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod extract;
pub(crate) mod hyper_errors;
mod index_lifecycle;
mod index_snapshot;
pub(crate) mod limits;
pub(crate) mod listen;
pub(crate) mod metrics;
pub(crate) mod openapi;
pub(crate) mod request_log;
pub(crate) mod routes;
mod ssh_sessions;
pub mod state;
pub(crate) mod subsidy;
mod tokens;
pub mod usecase;
pub(crate) mod views;
pub(crate) mod watch;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::response::Response;
use axum::routing::{get, post, put};
use chrono::NaiveDate;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

pub use error::ApiError;
pub use limits::{Limits, Rate};
pub use state::{AppState, Clock, IndexBuild};

use crate::api::Role;
use crate::domain::Policy;
use crate::store::{OperatorRecord, Store, StoreError};
use limits::RateLimits;

/// Largest request body accepted (413 beyond).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest body of `POST /v1/faq/import` (a whole portal's FAQ: 20,000 entries are ~10 MiB).
pub const FAQ_IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// How long `POST /v1/faq/import` may take.
pub const FAQ_IMPORT_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a request may take (408 beyond); `/v1/events` is exempt.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("データベース: {0}")]
    /// The database could not be opened, migrated or read.
    Store(#[from] StoreError),
    #[error("{addr} で待ち受けできません: {source}")]
    /// The listening address could not be bound.
    Bind {
        /// The address asked for.
        addr: String,
        /// Why binding failed.
        source: std::io::Error,
    },
    #[error("サーバーが止まりました: {0}")]
    /// Serving failed after it started.
    Io(#[from] std::io::Error),
    #[error("{0}")]
    /// Anything else, in words for the operator.
    Other(String),
}

/// Every route of the API with the default [`Limits`] (see [`router_with`]).
pub fn router(state: AppState) -> Router {
    router_with(state, &Limits::default())
}

/// Every route of the API with its layers: rate limits (429), body limit, timeout (not for
/// SSE), panics and framework errors rewritten into the one error shape, and outermost the
/// request id, log line and metrics of every request (`request_log.rs`).
pub fn router_with(state: AppState, limits: &Limits) -> Router {
    use routes::{
        admin, audit, callbacks, calls, faq, floor, institutions, operators, reader, reports, screen_pops,
        ssh_keys,
    };
    let api = Router::new()
        .route("/healthz", get(admin::healthz))
        .route("/readyz", get(admin::readyz))
        .route("/openapi.json", get(openapi_json))
        .route("/v1/me", get(admin::me))
        .route("/v1/institutions", get(institutions::lookup))
        .route("/v1/institutions/{code}", get(institutions::detail))
        .route("/v1/institutions/{code}/reading", put(institutions::set_reading))
        .route("/v1/institutions/{code}/subsidy", get(institutions::subsidy))
        .route(
            "/v1/institutions/{code}/reader-application",
            get(reader::get_application).put(reader::change_application),
        )
        .route("/v1/reader-models", get(reader::models))
        .route("/v1/faq", get(faq::search))
        .route("/v1/faq/suggest", get(faq::suggest))
        .route("/v1/faq/{id}", put(faq::put))
        .route("/v1/audit", get(audit::list))
        .route("/v1/audit/verify", get(audit::verify))
        .route("/v1/calls", post(calls::start).get(calls::list))
        .route("/v1/calls/{id}", axum::routing::patch(calls::update))
        .route("/v1/calls/{id}/faq", post(calls::attach_faq))
        .route("/v1/callbacks", post(callbacks::create).get(callbacks::list))
        .route("/v1/callbacks/{id}/take", post(callbacks::take))
        .route("/v1/callbacks/{id}/close", post(callbacks::close))
        .route("/v1/screen-pops", post(screen_pops::create))
        .route("/v1/reports/calls", get(reports::calls))
        .route("/v1/dashboard", get(admin::dashboard))
        .route("/v1/batch/deadline", post(admin::deadline_batch))
        .route("/v1/operators", post(operators::add))
        .route("/v1/operators/revoke", post(operators::revoke))
        .route("/v1/ssh-keys", get(ssh_keys::list).post(ssh_keys::add).delete(ssh_keys::remove))
        .route("/v1/ssh-sessions", get(ssh_keys::sessions))
        .merge(routes::campaigns::router())
        .route("/v1/floor", get(floor::view))
        .route("/v1/floor/me", get(floor::mine).put(floor::set_mine))
        .route("/v1/floor/hands", post(floor::raise_hand).delete(floor::lower_hand))
        .route("/v1/floor/hands/{id}/acknowledge", post(floor::acknowledge_hand))
        .route("/v1/floor/watches", post(floor::start_watch))
        .route("/v1/floor/watches/{id}", axum::routing::delete(floor::end_watch))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout));
    Router::new()
        .merge(api)
        .route("/v1/events", get(events::events))
        // A whole FAQ file in one request: a larger body, and time to write 20,000 entries.
        .route(
            "/v1/faq/import",
            post(routes::faq::import)
                .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(FAQ_IMPORT_BODY_LIMIT))
                .layer::<_, std::convert::Infallible>(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    FAQ_IMPORT_TIMEOUT,
                )),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            RateLimits::new(limits, state.metrics.rate_limited_counter()),
            limits::rate_limit,
        ))
        .layer(CatchPanicLayer::custom(on_panic))
        .layer(axum::middleware::map_response(error_shape))
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_log::observe))
        .with_state(state)
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi::ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::NotFound("そのURLはありません（API は /v1/ の下、説明は /openapi.json）".to_string())
}

fn on_panic(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let (code, message) = error::message_for_status(StatusCode::INTERNAL_SERVER_ERROR);
    error::error_response(StatusCode::INTERNAL_SERVER_ERROR, code, message)
}

/// Rewrites any error answer that is not already our JSON (405, a timeout's 408, ...) into
/// the one error shape, keeping the `Allow` header of a 405.
async fn error_shape(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json =
        resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return resp;
    }
    let allow = resp.headers().get(ALLOW).cloned();
    let (code, message) = error::message_for_status(status);
    let mut new = error::error_response(status, code, message);
    if let Some(allow) = allow {
        new.headers_mut().insert(ALLOW, allow);
    }
    new
}

/// Serves `state` on `listener` with the default [`Limits`] (see [`run_with`]).
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, state, Limits::default(), shutdown).await
}

/// Serves `state` on `listener` within `limits` until `shutdown` resolves, then stops
/// taking requests, ends event streams and waits for requests in flight.
pub async fn run_with(
    listener: TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.follow_store_changes().await.map_err(std::io::Error::other)?;
    state.watch_operators().await.map_err(std::io::Error::other)?;
    usecase::floor::watch_after_call(&state);
    let app = router_with(state.clone(), &limits);
    let signal_state = state.clone();
    let refused = state.metrics.connections_refused_counter();
    listen::serve(listener, app, &limits, refused, async move {
        shutdown.await;
        tracing::info!("shutting down");
        signal_state.begin_shutdown();
    })
    .await
}

/// Resolves on Ctrl-C or SIGTERM: the shutdown future of `madoguchi serve`. The signals are
/// listened for from this call on (not from the first poll), so a second signal sent while
/// the server drains after the first is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A server running in this process on a loopback port, for the console and the CLI.
pub struct Embedded {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A supervisor token that exists only in this process (the local user).
    pub token: String,
    /// The operator name of that token.
    pub operator: String,
    /// Institutions in the database when the server started.
    pub institutions: usize,
    /// Where it listens, and what it serves (for an SSH front door on the same server).
    pub addr: std::net::SocketAddr,
    /// The server's shared state (store, index, policy, clock).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Embedded {
    /// A client for this server with the local user's token.
    pub fn client(&self) -> Result<crate::client::Client, crate::client::ClientError> {
        crate::client::Client::new(&self.base_url, Some(self.token.clone()))
    }

    /// Stops the server and waits for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Graceful, but bounded: a connection that never ends (a console's event stream after
        // its terminal is gone) must not keep the process alive. Every write is one
        // transaction, so what was in flight is committed or not, never half.
        if let Some(task) = self.task.take()
            && tokio::time::timeout(EMBEDDED_SHUTDOWN_GRACE, task).await.is_err()
        {
            tracing::warn!(
                "the embedded server did not stop within {EMBEDDED_SHUTDOWN_GRACE:?}; leaving anyway"
            );
        }
    }
}

/// How long the embedded server may take to finish its requests when the console exits.
const EMBEDDED_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Options of an embedded server beyond the database.
pub struct EmbeddedOptions<'a> {
    /// Fixed business date (`--as-of`), for demos; `None` for the real Japan date.
    pub as_of: Option<NaiveDate>,
    /// The business rules the server applies.
    pub policy: Policy,
    /// Seed an empty database with demo data (the console does; CLI commands never do).
    pub seed_if_empty: Option<SeedOptions>,
    /// Progress lines while seeding and loading.
    pub progress: &'a (dyn Fn(&str) + Sync),
    /// When to build the lookup index (a one-shot command: on its first lookup only).
    pub index: IndexBuild,
}

/// Opens the store (creating and migrating a missing database), seeds it only when asked and
/// empty, binds 127.0.0.1:0 and serves with an in-memory supervisor token for the local user.
pub async fn start_embedded(db: &str, options: EmbeddedOptions<'_>) -> Result<Embedded, ServeError> {
    let store = open_store(db).await?;
    if let Some(seed) = &options.seed_if_empty
        && store.institution_count().await? == 0
    {
        (options.progress)("初回起動: デモデータを作成しています…");
        seed_store(store.as_ref(), seed, options.progress).await?;
    }
    start_with_store(store, options.as_of, options.policy, options.index).await
}

/// What to generate when seeding demo data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedOptions {
    /// Number of institutions (default: the national scale).
    pub institutions: Option<usize>,
    /// PRNG seed: the same seed gives the same data.
    pub seed: u64,
}

/// Opens the database named by `db` (SQLite path or PostgreSQL URL), creating and migrating
/// a missing one; never seeds.
pub async fn open_store(db: &str) -> Result<Arc<dyn Store>, ServeError> {
    Ok(crate::store::open_store(db).await?)
}

/// Generates demo data and loads it into `store`, with progress lines.
pub async fn seed_store(
    store: &dyn Store,
    options: &SeedOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(), ServeError> {
    let mut data = crate::demo::generate(options.institutions, options.seed, progress);
    // The national demo carries a campaign under way since early July (its burn-down).
    let campaign =
        options.institutions.is_none().then(|| crate::demo::campaign::demo_campaign(&mut data, options.seed));
    // Demo data is made outside any server: stamped with the machine's time.
    store.load_seed(&data, Clock::Real.now(), progress).await?;
    if let Some(campaign) = campaign {
        progress(&format!(
            "campaign: {} members, {} attempts",
            campaign.members.len(),
            campaign.attempts.len()
        ));
        store.load_demo_campaign(&campaign).await?;
    }
    Ok(())
}

/// Serves an already opened store on 127.0.0.1:0 with an in-memory supervisor token.
pub async fn start_with_store(
    store: Arc<dyn Store>,
    as_of: Option<NaiveDate>,
    policy: Policy,
    index: IndexBuild,
) -> Result<Embedded, ServeError> {
    let token = auth::new_token().map_err(|e| ServeError::Other(e.to_string()))?;
    let operator = local_operator_name();
    let mut local = HashMap::new();
    local.insert(auth::hash_token(&token), OperatorRecord { name: operator.clone(), role: Role::Supervisor });
    let clock = as_of.map(Clock::Fixed).unwrap_or(Clock::Real);
    let state = AppState::load_with(store, policy, clock, local, index).await?;
    let institutions = usize::try_from(state.store.institution_count().await?).unwrap_or(usize::MAX);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|source| ServeError::Bind { addr: "127.0.0.1:0".to_string(), source })?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Ok(Embedded {
        base_url: format!("http://{addr}"),
        token,
        operator,
        institutions,
        addr,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// The local user's name for the audit trail: `$USER` (or `local`), marked as local.
fn local_operator_name() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default();
    let user = user.trim();
    if user.is_empty() { "local".to_string() } else { format!("{user}@local") }
}
