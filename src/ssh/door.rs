//! What holds the SSH door before a login: connections that have not logged in are capped
//! per address and in total ([`Pending`]), each must finish its handshake and log in within
//! a deadline or its socket is cut ([`Cutoff`] on a [`Guarded`] stream), and the caps are
//! kept well below the process's file-handle limit ([`raise_nofile_limit`]). Nothing here
//! reads a packet: the door decides from the address and the clock only, so a client that
//! sends nothing, or stops halfway through the key exchange, costs one counted slot for at
//! most the deadline.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The door's limits (`madoguchi serve --ssh-login-timeout …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorLimits {
    /// From the TCP accept to a successful login (handshake and authentication together).
    pub login_timeout: Duration,
    /// Connections that have not logged in yet, from all addresses.
    pub max_unauthenticated: usize,
    /// Connections that have not logged in yet, from one address (a desk behind NAT logs
    /// in one at a time; a flood from one address stops here).
    pub max_unauthenticated_per_address: usize,
    /// Console sessions at most (each holds about six file handles: its socket, its API
    /// connections and its event stream, both ends on this host).
    pub max_sessions: usize,
}

/// File handles kept for everything but the SSH door (the HTTP listener's connections,
/// the database, the index snapshot, logs).
const RESERVED_HANDLES: u64 = 1024;
/// File handles one console session may hold.
const HANDLES_PER_SESSION: u64 = 8;
/// Sessions at most whatever the handles allow: each also holds two of the HTTP side's
/// connections (`serve --max-connections`, 1,000 by default), and a floor is a few hundred
/// operators (300 in the floor bench) and their supervisors.
const MAX_SESSIONS: u64 = 400;

impl DoorLimits {
    /// Defaults for a process that may hold `nofile` file handles: a 20 s login deadline, at
    /// most 16 unauthenticated connections per address and 256 in all, and as many sessions
    /// as the handles left after the HTTP side's share allow (a quarter of the limit, or
    /// [`RESERVED_HANDLES`], is kept for the rest of the server).
    pub fn for_handles(nofile: u64) -> DoorLimits {
        let reserve = RESERVED_HANDLES.max(nofile / 4).min(nofile / 2);
        let spare = nofile.saturating_sub(reserve);
        let max_unauthenticated = (spare / 8).clamp(8, 256) as usize;
        let max_sessions = ((spare - spare / 8) / HANDLES_PER_SESSION).clamp(4, MAX_SESSIONS) as usize;
        DoorLimits {
            login_timeout: Duration::from_secs(20),
            max_unauthenticated,
            max_unauthenticated_per_address: 16.min(max_unauthenticated),
            max_sessions,
        }
    }
}

impl Default for DoorLimits {
    fn default() -> DoorLimits {
        DoorLimits::for_handles(nofile_limit().0)
    }
}

/// The soft and hard limits on open file handles (`RLIMIT_NOFILE`).
pub fn nofile_limit() -> (u64, u64) {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0 {
        return (1024, 1024);
    }
    (r.rlim_cur, r.rlim_max)
}

/// Raises the soft limit on open file handles to the hard limit; returns the limit now in
/// force (the hard limit, or the old soft limit if raising failed).
pub fn raise_nofile_limit() -> u64 {
    let (soft, hard) = nofile_limit();
    if soft >= hard {
        return soft;
    }
    let r = libc::rlimit { rlim_cur: hard, rlim_max: hard };
    // SAFETY: setrlimit reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) } == 0 { hard } else { soft }
}

/// Connections not logged in yet: how many from each address and in all.
#[derive(Debug, Default)]
struct Counts {
    by_addr: HashMap<IpAddr, usize>,
    total: usize,
}

/// The unauthenticated connections of one SSH server.
#[derive(Debug, Clone)]
pub struct Pending {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_address: usize,
}

/// Why a connection was turned away at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its address already has as many connections waiting as it may.
    Address,
    /// The server has as many connections waiting as it may.
    Total,
}

impl Pending {
    pub fn new(limits: &DoorLimits) -> Pending {
        Pending {
            counts: Arc::default(),
            max_total: limits.max_unauthenticated,
            max_per_address: limits.max_unauthenticated_per_address,
        }
    }

    /// A slot for one more connection from `ip`, held until it logs in or closes; refused
    /// when a cap is reached.
    pub fn admit(&self, ip: IpAddr) -> Result<PendingSlot, Refusal> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max_total {
            return Err(Refusal::Total);
        }
        let n = c.by_addr.entry(ip).or_default();
        if *n >= self.max_per_address {
            return Err(Refusal::Address);
        }
        *n += 1;
        c.total += 1;
        Ok(PendingSlot { counts: self.counts.clone(), ip })
    }

    /// Connections waiting now, in all.
    pub fn len(&self) -> usize {
        self.counts.lock().map(|c| c.total).unwrap_or(0)
    }
}

/// One counted unauthenticated connection; dropping it (login or close) frees the slot.
#[derive(Debug)]
pub struct PendingSlot {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_addr.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_addr.remove(&self.ip);
            }
        }
    }
}

/// Cuts a [`Guarded`] stream from outside: every read and write after [`Cutoff::cut`] fails,
/// and a read or write waiting at that moment is woken to fail, so the SSH session above it
/// ends wherever it was (mid key exchange included) and drops its handler and socket.
#[derive(Debug, Clone, Default)]
pub struct Cutoff(Arc<CutoffInner>);

#[derive(Debug, Default)]
struct CutoffInner {
    cut: AtomicBool,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

impl Cutoff {
    pub fn cut(&self) {
        self.0.cut.store(true, Ordering::Release);
        self.0.reader.wake();
        self.0.writer.wake();
    }

    fn check(&self, waker: &AtomicWaker, cx: &Context<'_>) -> io::Result<()> {
        waker.register(cx.waker());
        if self.0.cut.load(Ordering::Acquire) {
            Err(io::Error::new(io::ErrorKind::TimedOut, "did not log in within the deadline"))
        } else {
            Ok(())
        }
    }
}

/// A stream that a [`Cutoff`] can end.
pub struct Guarded<S> {
    inner: S,
    cutoff: Cutoff,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, cutoff: Cutoff) -> Guarded<S> {
        Guarded { inner, cutoff }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.cutoff.check(&this.cutoff.0.reader, cx)?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        this.cutoff.check(&this.cutoff.0.writer, cx)?;
        Pin::new(&mut this.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.cutoff.check(&this.cutoff.0.writer, cx)?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn limits(total: usize, per_address: usize) -> DoorLimits {
        DoorLimits {
            login_timeout: Duration::from_secs(1),
            max_unauthenticated: total,
            max_unauthenticated_per_address: per_address,
            max_sessions: 10,
        }
    }

    #[test]
    fn an_address_gets_its_share_and_the_server_its_total_and_slots_come_back() {
        let p = Pending::new(&limits(3, 2));
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let a1 = p.admit(a).expect("first from a");
        let _a2 = p.admit(a).expect("second from a");
        assert_eq!(p.admit(a).err(), Some(Refusal::Address));
        let _b1 = p.admit(b).expect("b has its own share");
        assert_eq!(p.admit(b).err(), Some(Refusal::Total));
        drop(a1);
        assert_eq!(p.len(), 2);
        assert!(p.admit(b).is_ok(), "a closed connection frees its slot");
    }

    #[test]
    fn the_caps_stay_well_below_the_file_handle_limit() {
        for nofile in [256, 1024, 4096, 20_000, 1 << 20] {
            let l = DoorLimits::for_handles(nofile);
            let worst = l.max_unauthenticated as u64 + l.max_sessions as u64 * HANDLES_PER_SESSION;
            assert!(worst <= nofile.max(64) * 3 / 4 + 64, "{nofile}: {l:?}");
            assert!(l.max_unauthenticated_per_address <= l.max_unauthenticated);
        }
        assert_eq!(DoorLimits::for_handles(20_000).max_unauthenticated, 256);
    }

    #[tokio::test]
    async fn a_cut_wakes_a_waiting_read_and_fails_it() {
        let (a, mut b) = tokio::io::duplex(64);
        let cutoff = Cutoff::default();
        let mut guarded = Guarded::new(a, cutoff.clone());
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 8];
            guarded.read(&mut buf).await
        });
        tokio::task::yield_now().await;
        cutoff.cut();
        let r = tokio::time::timeout(Duration::from_secs(5), reader).await.expect("woken").expect("join");
        assert_eq!(r.err().map(|e| e.kind()), Some(io::ErrorKind::TimedOut));
        drop(b.write_all(b"x").await);
    }
}
