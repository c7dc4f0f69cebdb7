//! Refused keys per source address: after [`MAX_FAILURES`] within [`WINDOW`], further
//! connections from that address are dropped at once until the window has passed, so a
//! client trying keys cannot keep the server busy checking them. A failure is a key
//! refused, counted when it is refused (holding the connection open does not hide it);
//! a connection that closes without offering a key (a port scan, a load balancer's TCP check)
//! is no failure, and a connection whose later key logs in takes its refused keys back
//! ([`FailedLogins::forgive`]: an agent that offers the operator's other keys first never
//! locks the operator out). Also bounds the log: only the first failures of a window are
//! logged. Time is passed in, so the rule is tested without waiting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures allowed per address within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most (the oldest are forgotten first beyond it).
const MAX_ADDRESSES: usize = 10_000;

/// Failures per address: count and when the window started.
#[derive(Debug, Default)]
pub struct FailedLogins {
    by_addr: HashMap<IpAddr, (u32, Instant)>,
}

impl FailedLogins {
    /// True while `addr` may try to log in.
    pub fn allowed(&mut self, addr: IpAddr, now: Instant) -> bool {
        match self.by_addr.get(&addr) {
            Some(&(n, since)) if now.duration_since(since) < WINDOW => n < MAX_FAILURES,
            Some(_) => {
                self.by_addr.remove(&addr);
                true
            }
            None => true,
        }
    }

    /// Records one failed login; returns the failures of `addr` in this window (so the
    /// caller logs only the first few and the moment the limit is reached).
    pub fn fail(&mut self, addr: IpAddr, now: Instant) -> u32 {
        if self.by_addr.len() >= MAX_ADDRESSES && !self.by_addr.contains_key(&addr) {
            self.by_addr.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
            if self.by_addr.len() >= MAX_ADDRESSES {
                self.by_addr.clear();
            }
        }
        let entry = self.by_addr.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.0
    }

    /// Takes back `n` failures of `addr` (its connection then logged in).
    pub fn forgive(&mut self, addr: IpAddr, n: u32) {
        if let Some(entry) = self.by_addr.get_mut(&addr) {
            entry.0 = entry.0.saturating_sub(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_too_many_failures_until_the_window_passes() {
        let mut f = FailedLogins::default();
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let t0 = Instant::now();
        for i in 1..=MAX_FAILURES {
            assert!(f.allowed(a, t0));
            assert_eq!(f.fail(a, t0), i);
        }
        assert!(!f.allowed(a, t0 + Duration::from_secs(1)));
        assert!(f.allowed(b, t0), "another address is not affected");
        assert!(f.allowed(a, t0 + WINDOW), "forgiven after the window");
        assert_eq!(f.fail(a, t0 + WINDOW), 1);
    }

    #[test]
    fn a_login_takes_back_the_keys_its_connection_had_refused() {
        let mut f = FailedLogins::default();
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let t0 = Instant::now();
        for _ in 0..3 {
            // An agent offering six other keys before the right one, three logins in a row.
            for _ in 0..6 {
                f.fail(a, t0);
            }
            f.forgive(a, 6);
        }
        assert!(f.allowed(a, t0));
        assert_eq!(f.fail(a, t0), 1);
    }
}
