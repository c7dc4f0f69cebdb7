//! What one server lets a client use: request rates per token and per address (429 with
//! `Retry-After`), how long a connection may take to send its headers or sit idle, how long a
//! request may take (408), and how many connections may be open. The defaults are generous:
//! a busy console never meets them, a client that floods or hangs does.
//!
//! [`RateLimiter`] is a token bucket per key, pure over the instants it is given; the
//! [`rate_limit`] middleware applies it before the token is looked up, so a flood of bad
//! tokens costs the store nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use super::auth::hash_token;
use super::error::error_response;
use super::metrics::Reason;

/// A sustained rate with a burst above it; `per_second == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per second sustained (0: no limit).
    pub per_second: u32,
    /// Requests allowed back to back before the rate applies (the bucket's size).
    pub burst: u32,
}

impl Rate {
    /// `per_second` sustained, bursts of ten seconds' worth.
    pub fn per_second(per_second: u32) -> Rate {
        Rate { per_second, burst: per_second.saturating_mul(10) }
    }

    /// No limit.
    pub const OFF: Rate = Rate { per_second: 0, burst: 0 };
}

/// The limits of one server (`madoguchi serve --rate-per-token …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Requests per bearer token (any token presented, issued or not).
    pub per_token: Rate,
    /// Requests per client address.
    pub per_address: Rate,
    /// Whether the per-address limit applies to loopback clients too. Off by default: on
    /// loopback are this host's own SSH consoles (each with its own token, so still
    /// limited per token) and a TLS proxy in front, which would share one address.
    pub limit_loopback: bool,
    /// How long a client may take to send a request's headers, and how long a kept-alive
    /// connection may sit idle before the next request (the connection is closed).
    pub header_timeout: Duration,
    /// How long a request may take, its body included (408); `/v1/events` is exempt.
    pub request_timeout: Duration,
    /// Open connections at most; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            per_token: Rate::per_second(200),
            per_address: Rate::per_second(500),
            limit_loopback: false,
            header_timeout: Duration::from_secs(20),
            request_timeout: super::REQUEST_TIMEOUT,
            max_connections: 1000,
        }
    }
}

/// One key's bucket: tokens left (scaled by 1,000 for whole-number arithmetic) and when it
/// was last filled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    milli: u64,
    at: Instant,
}

/// Token buckets by key. The map is pruned of full buckets when it grows large, so keys
/// made up by a client (random tokens) cannot grow it without bound.
#[derive(Debug)]
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Keys kept before full buckets are pruned.
const PRUNE_AT: usize = 50_000;

impl RateLimiter {
    pub fn new(rate: Rate) -> RateLimiter {
        RateLimiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket at `now`: `Err(wait)` when it is empty, with how
    /// long until one more request is allowed.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.rate.per_second == 0 {
            return Ok(());
        }
        let capacity = u64::from(self.rate.burst.max(1)) * 1000;
        let per_second = u64::from(self.rate.per_second);
        // A poisoned map only held counters: keep counting with it.
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(key) {
            buckets.retain(|_, b| refill(b, now, per_second, capacity) < capacity);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket { milli: capacity, at: now });
        let have = refill(bucket, now, per_second, capacity);
        bucket.milli = have;
        bucket.at = now;
        if have >= 1000 {
            bucket.milli = have - 1000;
            return Ok(());
        }
        let missing_milli = 1000 - have;
        // per_second tokens a second = per_second milli-tokens a millisecond.
        Err(Duration::from_millis(missing_milli.div_ceil(per_second).max(1)))
    }
}

/// The bucket's content at `now` (not stored).
fn refill(b: &Bucket, now: Instant, per_second: u64, capacity: u64) -> u64 {
    let ms = u64::try_from(now.saturating_duration_since(b.at).as_millis()).unwrap_or(u64::MAX);
    b.milli.saturating_add(ms.saturating_mul(per_second)).min(capacity)
}

/// The limiters one router applies.
#[derive(Debug, Clone)]
pub struct RateLimits {
    per_token: Arc<RateLimiter>,
    per_address: Arc<RateLimiter>,
    limit_loopback: bool,
    /// 429s by limit (`token`, `address`), for `/metrics`.
    refused: Family<Reason, Counter>,
}

impl RateLimits {
    /// The limiters of `limits`, counting their refusals in `refused`.
    pub fn new(limits: &Limits, refused: Family<Reason, Counter>) -> RateLimits {
        RateLimits {
            per_token: Arc::new(RateLimiter::new(limits.per_token)),
            per_address: Arc::new(RateLimiter::new(limits.per_address)),
            limit_loopback: limits.limit_loopback,
            refused,
        }
    }
}

/// Refuses a request over its address's or its token's rate with 429, `Retry-After` (whole
/// seconds, at least 1) and the one error shape.
pub async fn rate_limit(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let now = Instant::now();
    let peer: Option<IpAddr> = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = peer.filter(|ip| limits.limit_loopback || !ip.is_loopback())
        && let Err(wait) = limits.per_address.check(&ip.to_string(), now)
    {
        limits.refused.get_or_create(&Reason { reason: "address" }).inc();
        return too_many(wait);
    }
    if let Some(auth) = req.headers().get(AUTHORIZATION) {
        // Keyed by the token's hash, never the token itself.
        let key = hash_token(&String::from_utf8_lossy(auth.as_bytes()));
        if let Err(wait) = limits.per_token.check(&key, now) {
            limits.refused.get_or_create(&Reason { reason: "token" }).inc();
            return too_many(wait);
        }
    }
    next.run(req).await
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut resp = error_response(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        &format!("リクエストが多すぎます。{secs} 秒ほど待ってからやり直してください"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(RETRY_AFTER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let l = RateLimiter::new(Rate { per_second: 10, burst: 3 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.check("k", t0), Ok(()));
        }
        let wait = l.check("k", t0).expect_err("burst spent");
        assert_eq!(wait, Duration::from_millis(100));
        // Another key has its own bucket.
        assert_eq!(l.check("other", t0), Ok(()));
        assert_eq!(l.check("k", t0 + Duration::from_millis(100)), Ok(()));
        assert!(l.check("k", t0 + Duration::from_millis(100)).is_err());
        // Never more than the burst, however long it waited.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(l.check("k", later), Ok(()));
        }
        assert!(l.check("k", later).is_err());
    }

    #[test]
    fn off_is_off() {
        let l = RateLimiter::new(Rate::OFF);
        let t0 = Instant::now();
        assert!((0..10_000).all(|_| l.check("k", t0).is_ok()));
    }

    #[test]
    fn made_up_keys_do_not_grow_the_map_without_bound() {
        let l = RateLimiter::new(Rate { per_second: 1000, burst: 1000 });
        let t0 = Instant::now();
        for n in 0..(PRUNE_AT * 2) {
            let _ = l.check(&n.to_string(), t0 + Duration::from_secs(n as u64));
        }
        assert!(l.buckets.lock().map(|b| b.len()).unwrap_or(0) <= PRUNE_AT + 1);
    }

    #[test]
    fn retry_after_is_whole_seconds_at_least_one() {
        let r = too_many(Duration::from_millis(1));
        assert_eq!(r.headers()[RETRY_AFTER], "1");
        let r = too_many(Duration::from_millis(2100));
        assert_eq!(r.headers()[RETRY_AFTER], "3");
    }
}
