//! The built-in SSH server (`madoguchi serve --ssh-listen ADDR`): operators `ssh -p PORT
//! host` straight into a console, with no shell account, no config file and no process of
//! their own on a jump host. All sessions share the one server's index and store; a session
//! costs its own console state only.
//!
//! - `session.rs`: one connection (public-key login, pty, env, shell; everything else
//!   refused) and the console it runs through the shared runner.
//! - `writer.rs`: a ratatui backend's bytes → the channel. `term_env.rs`: what the client
//!   says about its terminal → ASCII, colour, keymap. `host_key.rs`: the Ed25519 host key,
//!   made once. `limiter.rs`: failed logins per address.
//!
//! Who may come in is the store's table of operators' keys; a key removed or an operator
//! revoked is noticed by a sweep every [`SWEEP_EVERY`] that ends their open sessions.

pub mod authorized_key;
pub mod host_key;
pub mod limiter;
pub mod session;
pub mod term_env;
pub mod watch;
pub mod writer;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::keys::PrivateKey;
use russh::server::Config;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::api::SshSession;
use crate::server::AppState;
use crate::server::auth::{hash_token, new_token};
use crate::store::{OperatorRecord, StoreError};
use crate::tui::app::{End, Input};
use limiter::FailedLogins;

/// How often open sessions are checked against the key table (a removed key, a revoked
/// operator): the longest such a session outlives its right to exist.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The operator a registered key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub operator: OperatorRecord,
    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
}

/// One open console session, as the sweep and shutdown see it.
struct OpenSession {
    owner: KeyOwner,
    input: mpsc::WeakSender<Input>,
}

/// What every connection of one SSH server shares.
pub struct Shared {
    state: AppState,
    /// This process's API, over loopback: what each session's console talks to.
    api_base: String,
    failures: Mutex<FailedLogins>,
    sessions: Mutex<HashMap<u64, OpenSession>>,
    next_id: AtomicU64,
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

    /// Counts a connection that ended without logging in against its address.
    fn count_failure(&self, peer: Option<SocketAddr>) {
        let Some(ip) = peer.map(|p| p.ip()) else { return };
        let n = self.failures.lock().map(|mut f| f.fail(ip, Instant::now())).unwrap_or(0);
        if n == limiter::MAX_FAILURES {
            tracing::warn!(
                "SSH: {ip} failed to log in {n} times within {} s; its connections are refused for now",
                limiter::WINDOW.as_secs()
            );
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        self.failures.lock().map(|mut f| f.allowed(ip, Instant::now())).unwrap_or(true)
    }

    fn register(&self, owner: &KeyOwner, peer: Option<SocketAddr>, input: mpsc::WeakSender<Input>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut s) = self.sessions.lock() {
            s.insert(id, OpenSession { owner: owner.clone(), input });
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
        id
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

    /// Ends every session whose key is gone from the store or whose operator changed.
    async fn sweep(&self) {
        let open: Vec<(u64, KeyOwner)> = match self.sessions.lock() {
            Ok(s) => s.iter().map(|(id, o)| (*id, o.owner.clone())).collect(),
            Err(_) => return,
        };
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
                    Err(_) => continue,
                },
            };
            if now.as_ref() != Some(&owner) {
                self.end_session(id, "この鍵またはオペレーターの登録が取り消されたため、接続を終了しました");
            }
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

    /// Stops taking connections and ends every session (each restores its client's terminal
    /// and says why).
    pub fn shutdown(&self) {
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
    HostKey(#[from] host_key::HostKeyError),
    #[error("SSH を {addr} で待ち受けできません: {source}。--ssh-listen で別のアドレスを指定してください")]
    Bind { addr: String, source: std::io::Error },
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

/// The russh configuration: public keys only, no idle timeout (an operator may sit on a
/// screen for hours) but keepalives, so a connection that died without a word is noticed.
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
        ..Default::default()
    }
}

/// Binds `listen` and serves consoles for `state`'s API at `api_base` until dropped.
pub async fn start(
    listen: &str,
    host_key: PrivateKey,
    state: AppState,
    api_base: String,
) -> Result<SshServer, SshError> {
    let host_fingerprint = session::fingerprint(host_key.public_key());
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| SshError::Bind { addr: listen.to_string(), source })?;
    let addr = listener.local_addr().map_err(|source| SshError::Bind { addr: listen.to_string(), source })?;
    let shared = Arc::new(Shared {
        screens: Arc::new(watch::Screens::new(state.clone())),
        state,
        api_base,
        failures: Mutex::new(FailedLogins::default()),
        sessions: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
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
        if !shared.allowed(peer.ip()) {
            continue;
        }
        let config = config.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let handler = session::Connection::new(shared, Some(peer));
            match russh::server::run_stream(config, socket, handler).await {
                Ok(running) => {
                    if let Err(e) = running.await {
                        tracing::debug!("SSH connection from {peer} ended: {e}");
                    }
                }
                Err(e) => tracing::debug!("SSH handshake with {peer} failed: {e}"),
            }
        });
    }
}
