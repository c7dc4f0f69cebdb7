//! The built-in SSH server (`madoguchi serve --ssh-listen ADDR`): operators `ssh -p PORT
//! host` straight into a console, with no shell account, no config file and no process of
//! their own on a jump host. All sessions share the one server's index and store; a session
//! costs its own console state only.
//!
//! - `session.rs`: one connection (public-key login, pty, env, shell; everything else
//!   refused) and the console it runs through the shared runner.
//! - `writer.rs`: a ratatui backend's bytes → the channel. `term_env.rs`: what the client
//!   says about its terminal → ASCII, colour, keymap. `host_key.rs`: the Ed25519 host key,
//!   made once. `limiter.rs`: refused keys per address. `door.rs`: what holds before a
//!   login (caps on connections not logged in, the login deadline, the file-handle limit).
//!
//! Who may come in is the store's table of operators' keys; a key removed or an operator
//! revoked is noticed by a sweep every [`SWEEP_EVERY`] that ends their open sessions, and
//! the same sweep closes sessions idle longer than the policy allows.
//!
//! Key exchange is curve25519 (or its ML-KEM hybrid) only: no finite-field Diffie-Hellman
//! group is offered, since its maths (up to a second of CPU for group18) would run on the
//! async workers that also answer the HTTP API; every client this door serves (OpenSSH
//! since 6.5, Windows' OpenSSH 8.1, PuTTY since 0.68, Tera Term 4.x) speaks curve25519.
//! MACs are the encrypt-then-MAC ones only (the AEAD ciphers need none).

pub(crate) mod authorized_key;
pub(crate) mod door;
pub(crate) mod host_key;
pub(crate) mod limiter;
pub(crate) mod session;
pub mod term_env;
pub(crate) mod watch;
pub(crate) mod writer;

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::keys::PrivateKey;
use russh::server::Config;
use russh::{Preferred, kex, mac};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::SshSession;
use crate::server::AppState;
use crate::server::auth::{hash_token, new_token};
use crate::store::{OperatorRecord, StoreError};
use crate::tui::input::{End, Input};
use door::{Cutoff, DoorLimits, Guarded, Pending, PendingSlot, Refusal};
use limiter::FailedLogins;

/// How often open sessions are checked against the key table (a removed key, a revoked
/// operator): the longest such a session outlives its right to exist.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How often the sweep reads every open session's owner even when nothing says the operators
/// or keys changed (a key replaced by another in the same second leaves their count alone).
const OWNERS_RECHECK: Duration = Duration::from_secs(60);

/// The operator a registered key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    /// The operator, as the store has them.
    pub operator: OperatorRecord,
    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
}

/// One open console session, as the sweep and shutdown see it.
struct OpenSession {
    owner: KeyOwner,
    input: mpsc::WeakSender<Input>,
    /// When the client last sent a byte, in ms since the server started.
    active: Arc<AtomicU64>,
}

/// Why a logged-in operator gets no console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionRefusal {
    /// The operator already has as many consoles as the policy allows.
    PerOperator(u32),
    /// The server has as many as its file handles allow.
    Full(usize),
    /// The server is draining (a rolling restart): no new sessions.
    Draining,
}

impl SessionRefusal {
    /// The reason as `/metrics` counts it.
    pub fn reason(&self) -> &'static str {
        match self {
            SessionRefusal::PerOperator(_) => "sessions_per_operator",
            SessionRefusal::Full(_) => "sessions_full",
            SessionRefusal::Draining => "draining",
        }
    }
}

impl std::fmt::Display for SessionRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionRefusal::PerOperator(n) => write!(
                f,
                "このオペレーターはすでに {n} 個のコンソールを開いています。使っていない画面を閉じてから接続してください"
            ),
            SessionRefusal::Full(n) => {
                write!(f, "このサーバーのコンソールは満員です（{n} 個）。別のサーバーに接続してください")
            }
            SessionRefusal::Draining => {
                write!(
                    f,
                    "このサーバーは再起動の準備中です。別のサーバーに接続するか、少し待ってから接続してください"
                )
            }
        }
    }
}

/// What every connection of one SSH server shares.
pub struct Shared {
    state: AppState,
    /// This process's API, over loopback: what each session's console talks to.
    api_base: String,
    /// One connection pool for every session's console (each with its own token).
    http: reqwest::Client,
    failures: Mutex<FailedLogins>,
    sessions: Mutex<HashMap<u64, OpenSession>>,
    next_id: AtomicU64,
    limits: DoorLimits,
    /// Connections that have not logged in yet.
    pending: Pending,
    /// Set by [`SshServer::drain`]: logins get no new console.
    draining: AtomicBool,
    /// When the server started (activity stamps count from it).
    epoch: Instant,
    /// When the door last logged a refused connection (the log stays bounded in a flood).
    last_refusal_log: Mutex<Option<Instant>>,
    /// The operators' epoch at the sweep's last full check of session owners, and when it was.
    owners_checked: Mutex<Option<(u64, Instant)>>,
    /// The consoles this door draws, for watching (モニター).
    screens: Arc<watch::Screens>,
}

impl Shared {
    /// The owner of a key fingerprint, from the store.
    async fn owner_of(&self, fingerprint: &str) -> Result<Option<KeyOwner>, StoreError> {
        let op = self.state.store.operator_by_ssh_key(fingerprint).await?;
        Ok(op.map(|operator| KeyOwner { operator, fingerprint: fingerprint.to_string() }))
    }

    /// Logs a refused login, only while its address is under the failure limit.
    fn log_refused(&self, peer: Option<SocketAddr>, what: &str) {
        let ip = peer.map(|p| p.ip());
        let quiet = ip.is_some_and(|ip| {
            self.failures.lock().map(|mut f| !f.allowed(ip, Instant::now())).unwrap_or(false)
        });
        if !quiet {
            tracing::warn!(
                "SSH login refused from {}: {what}",
                ip.map(|i| i.to_string()).unwrap_or_default()
            );
        }
    }

    /// Counts a refused key against its address.
    fn count_failure(&self, peer: Option<SocketAddr>) {
        let Some(ip) = peer.map(|p| p.ip()) else { return };
        self.state.metrics.ssh_login_failed();
        let n = self.failures.lock().map(|mut f| f.fail(ip, Instant::now())).unwrap_or(0);
        if n == limiter::MAX_FAILURES {
            tracing::warn!(
                "SSH: {ip} failed to log in {n} times within {} s; its connections are refused for now",
                limiter::WINDOW.as_secs()
            );
        }
    }

    /// Takes back the keys a connection had refused before one of its keys logged in.
    fn forgive(&self, peer: Option<SocketAddr>, refused: u32) {
        if let (Some(ip), true) = (peer.map(|p| p.ip()), refused > 0)
            && let Ok(mut f) = self.failures.lock()
        {
            f.forgive(ip, refused);
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        self.failures.lock().map(|mut f| f.allowed(ip, Instant::now())).unwrap_or(true)
    }

    /// A slot at the door for a new connection from `ip`, or why not (logged at most every
    /// ten seconds).
    fn admit(&self, ip: IpAddr) -> Option<PendingSlot> {
        let why = match self.pending.admit(ip) {
            Ok(slot) => return Some(slot),
            Err(why) => why,
        };
        self.state.metrics.ssh_refused(match why {
            Refusal::Address => "unauthenticated_per_address",
            Refusal::Total => "unauthenticated_total",
        });
        let now = Instant::now();
        let mut last = self.last_refusal_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10)) {
            *last = Some(now);
            match why {
                Refusal::Address => tracing::warn!(
                    "SSH: {ip} has {} connections that have not logged in; more are closed at once",
                    self.limits.max_unauthenticated_per_address
                ),
                Refusal::Total => tracing::warn!(
                    "SSH: {} connections have not logged in; more are closed at once until they log in or time out",
                    self.limits.max_unauthenticated
                ),
            }
        }
        None
    }

    /// Milliseconds since the server started (the sessions' activity clock).
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Registers a console for `owner`, unless the operator or the server already has as many
    /// as allowed.
    fn register(
        &self,
        owner: &KeyOwner,
        peer: Option<SocketAddr>,
        input: mpsc::WeakSender<Input>,
        active: Arc<AtomicU64>,
    ) -> Result<u64, SessionRefusal> {
        if self.draining.load(Ordering::Relaxed) {
            return Err(SessionRefusal::Draining);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut s = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            if s.len() >= self.limits.max_sessions {
                return Err(SessionRefusal::Full(self.limits.max_sessions));
            }
            let per_operator = self.state.policy.ssh.max_sessions_per_operator;
            let mine = s.values().filter(|o| o.owner.operator.name == owner.operator.name).count();
            if per_operator > 0 && mine >= per_operator as usize {
                return Err(SessionRefusal::PerOperator(per_operator));
            }
            s.insert(id, OpenSession { owner: owner.clone(), input, active });
        }
        self.state.ssh_session_opened(
            id,
            SshSession {
                operator: owner.operator.name.clone(),
                fingerprint: owner.fingerprint.clone(),
                peer: peer.map(|p| p.to_string()).unwrap_or_default(),
                since: chrono::Utc::now(),
            },
        );
        Ok(id)
    }

    fn unregister(&self, id: u64) {
        if let Ok(mut s) = self.sessions.lock() {
            s.remove(&id);
        }
        self.state.ssh_session_closed(id);
    }

    /// A token for one session's console, valid in this process only and only while the
    /// returned guard lives.
    fn open_session_token(self: &Arc<Self>, owner: &KeyOwner) -> SessionToken {
        // new_token fails only without OS randomness; a session then gets an unusable token
        // and its console says it cannot reach the server.
        let token = new_token().unwrap_or_default();
        let hash = hash_token(&token);
        self.state.add_local_token(hash.clone(), owner.operator.clone());
        SessionToken { shared: self.clone(), token, hash }
    }

    /// Open sessions (for figures and tests).
    pub fn open_sessions(&self) -> usize {
        self.sessions.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Ends every session whose key is gone from the store or whose operator changed, and
    /// every session idle longer than the policy allows.
    async fn sweep(&self) {
        let idle_ms = u64::from(self.state.policy.ssh.idle_minutes) * 60_000;
        let now = self.now_ms();
        let open: Vec<(u64, KeyOwner, u64)> = match self.sessions.lock() {
            Ok(s) => {
                s.iter().map(|(id, o)| (*id, o.owner.clone(), o.active.load(Ordering::Relaxed))).collect()
            }
            Err(_) => return,
        };
        if idle_ms > 0 {
            for (id, owner, active) in &open {
                if now.saturating_sub(*active) >= idle_ms {
                    tracing::info!(
                        "SSH session of {} idle for {} min: closed",
                        owner.operator.name,
                        idle_ms / 60_000
                    );
                    self.end_session(
                        *id,
                        &format!("{} 分間操作がなかったため、接続を終了しました", idle_ms / 60_000),
                    );
                }
            }
        }
        // Owners are read again only when the operators or keys may have changed (the token
        // watch's epoch moved, within about a second of a change on any server), and every
        // OWNERS_RECHECK in any case: an idle floor costs the store nothing each second.
        let epoch = self.state.operators_epoch();
        let last = *self.owners_checked.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|(e, at)| e == epoch && at.elapsed() < OWNERS_RECHECK) {
            return;
        }
        let mut complete = true;
        let open: Vec<(u64, KeyOwner)> = open.into_iter().map(|(id, o, _)| (id, o)).collect();
        let mut checked: HashMap<String, Option<KeyOwner>> = HashMap::new();
        for (id, owner) in open {
            let now = match checked.get(&owner.fingerprint) {
                Some(v) => v.clone(),
                None => match self.owner_of(&owner.fingerprint).await {
                    Ok(v) => {
                        checked.insert(owner.fingerprint.clone(), v.clone());
                        v
                    }
                    // The store is unreachable: keep the session, try again next time.
                    Err(_) => {
                        complete = false;
                        continue;
                    }
                },
            };
            if now.as_ref() != Some(&owner) {
                self.end_session(id, "この鍵またはオペレーターの登録が取り消されたため、接続を終了しました");
            }
        }
        if complete {
            *self.owners_checked.lock().unwrap_or_else(|e| e.into_inner()) = Some((epoch, Instant::now()));
        }
    }

    fn end_session(&self, id: u64, why: &str) {
        let input = self.sessions.lock().ok().and_then(|s| s.get(&id).and_then(|o| o.input.upgrade()));
        if let Some(tx) = input {
            let why = why.to_string();
            tokio::spawn(async move {
                let _ = tx.send(Input::End(End::Closed(why))).await;
            });
        }
    }

    fn end_all(&self, why: &str) {
        let ids: Vec<u64> = self.sessions.lock().map(|s| s.keys().copied().collect()).unwrap_or_default();
        for id in ids {
            self.end_session(id, why);
        }
    }
}

/// A session's API token; dropping it withdraws the token.
struct SessionToken {
    shared: Arc<Shared>,
    token: String,
    hash: String,
}

impl SessionToken {
    fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for SessionToken {
    fn drop(&mut self) {
        self.shared.state.remove_local_token(&self.hash);
    }
}

/// A running SSH server; dropping it stops taking connections.
pub struct SshServer {
    /// The address it listens on (the port filled in when 0 was asked for).
    pub addr: SocketAddr,
    /// The host key's fingerprint, for the startup line (operators compare it on first use).
    pub host_fingerprint: String,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl SshServer {
    /// Open console sessions now.
    pub fn open_sessions(&self) -> usize {
        self.shared.open_sessions()
    }

    /// Connections that have not logged in yet.
    pub fn unauthenticated(&self) -> usize {
        self.shared.pending.len()
    }

    /// The limits in force.
    pub fn limits(&self) -> &DoorLimits {
        &self.shared.limits
    }

    /// Stops taking connections and ends every session (each restores its client's terminal
    /// and says why).
    pub fn shutdown(&self) {
        self.shared.draining.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        self.shared.end_all("サーバーを停止するため、接続を終了しました");
    }

    /// [`SshServer::shutdown`], then waits (at most `within`) until every session has
    /// restored its client's terminal and closed.
    pub async fn stop(&self, within: Duration) {
        self.shutdown();
        let deadline = Instant::now() + within;
        while self.open_sessions() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Why the SSH server could not start.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error(transparent)]
    /// The host key could not be read or created.
    HostKey(#[from] host_key::HostKeyError),
    #[error("SSH を {addr} で待ち受けできません: {source}。--ssh-listen で別のアドレスを指定してください")]
    /// The address could not be bound.
    Bind {
        /// The address asked for.
        addr: String,
        /// Why binding failed.
        source: std::io::Error,
    },
    #[error("SSH のコンソール用 HTTP クライアントを作れません: {0}")]
    /// The HTTP client the consoles use could not be built.
    Client(String),
}

/// The loopback URL of an API listening on `addr` (a wildcard address is reached on the
/// loopback of its family).
pub fn loopback_api(addr: SocketAddr) -> String {
    let ip: IpAddr = match addr.ip() {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Key exchanges offered: elliptic-curve only (see the module doc), with the extension
/// markers (RFC 8308 ext-info, OpenSSH strict kex against Terrapin).
const KEX: &[kex::Name] = &[
    kex::MLKEM768X25519_SHA256,
    kex::CURVE25519,
    kex::CURVE25519_PRE_RFC_8731,
    kex::EXTENSION_SUPPORT_AS_SERVER,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
];

/// MACs offered: encrypt-then-MAC only (ssh-audit warns about the encrypt-and-MAC
/// `hmac-sha2-256`/`-512`; the AEAD ciphers, which every client here prefers, use none).
const MACS: &[mac::Name] = &[mac::HMAC_SHA512_ETM, mac::HMAC_SHA256_ETM];

/// The russh configuration: public keys only, no idle timeout of russh's own (keepalive
/// answers would reset it; the sweep closes sessions idle by the policy, counting keystrokes)
/// but keepalives, so a connection that died without a word is noticed. No wait on the
/// client's first `none` probe (OpenSSH sends it to learn the methods).
fn config(host_key: PrivateKey) -> Config {
    let mut methods = russh::MethodSet::empty();
    methods.push(russh::MethodKind::PublicKey);
    Config {
        methods,
        keys: vec![host_key],
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 8,
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        nodelay: true,
        preferred: Preferred { kex: Cow::Borrowed(KEX), mac: Cow::Borrowed(MACS), ..Preferred::DEFAULT },
        ..Default::default()
    }
}

/// Idle loopback connections the door's consoles keep together (requests in flight may open
/// more for as long as they last).
const SHARED_IDLE_CONNECTIONS: usize = 32;

/// Binds `listen` and serves consoles for `state`'s API at `api_base` until dropped.
pub async fn start(
    listen: &str,
    host_key: PrivateKey,
    state: AppState,
    api_base: String,
    limits: DoorLimits,
) -> Result<SshServer, SshError> {
    let host_fingerprint = session::fingerprint(host_key.public_key());
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| SshError::Bind { addr: listen.to_string(), source })?;
    let addr = listener.local_addr().map_err(|source| SshError::Bind { addr: listen.to_string(), source })?;
    let http =
        crate::client::Client::pool(SHARED_IDLE_CONNECTIONS).map_err(|e| SshError::Client(e.to_string()))?;
    let shared = Arc::new(Shared {
        screens: Arc::new(watch::Screens::new(state.clone())),
        state,
        api_base,
        http,
        failures: Mutex::new(FailedLogins::default()),
        sessions: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        pending: Pending::new(&limits),
        limits,
        draining: AtomicBool::new(false),
        epoch: Instant::now(),
        last_refusal_log: Mutex::new(None),
        owners_checked: Mutex::new(None),
    });
    let config = Arc::new(config(host_key));
    let accept = {
        let shared = shared.clone();
        tokio::spawn(async move { accept_loop(listener, config, shared).await })
    };
    let sweep = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                shared.sweep().await;
            }
        })
    };
    Ok(SshServer { addr, host_fingerprint, shared, tasks: vec![accept, sweep] })
}

async fn accept_loop(listener: TcpListener, config: Arc<Config>, shared: Arc<Shared>) {
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors, say: pause rather than spin.
                tracing::warn!("SSH accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // The door answers before anything is read: a locked-out address or a full door
        // closes the socket at once, so held connections never reach the file-handle limit.
        if !shared.allowed(peer.ip()) {
            shared.state.metrics.ssh_refused("locked_out");
            continue;
        }
        let Some(slot) = shared.admit(peer.ip()) else { continue };
        let _ = socket.set_nodelay(true);
        let config = config.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let cutoff = Cutoff::default();
            let logged_in = Arc::new(AtomicBool::new(false));
            let deadline = shared.limits.login_timeout;
            let metrics_of = shared.state.clone();
            let handler = session::Connection::new(shared, Some(peer), slot, logged_in.clone());
            let stream = Guarded::new(socket, cutoff.clone());
            let run = async {
                match russh::server::run_stream(config, stream, handler).await {
                    Ok(running) => running.await,
                    Err(e) => Err(e),
                }
            };
            // Past the deadline without a login, the socket is cut wherever the handshake is.
            let watch = async {
                tokio::time::sleep(deadline).await;
                if !logged_in.load(Ordering::Acquire) {
                    tracing::debug!("SSH: {peer} did not log in within {} s; closed", deadline.as_secs());
                    metrics_of.metrics.ssh_refused("login_timeout");
                    cutoff.cut();
                }
                std::future::pending::<()>().await
            };
            tokio::select! {
                r = run => if let Err(e) = r { tracing::debug!("SSH connection from {peer} ended: {e}") },
                () = watch => {}
            }
        });
    }
}
