//! One middleware around every API request: it gives the request an id (the client's
//! `x-request-id` when it is a sane one, else a new one), returns it as `x-request-id`, runs
//! the request inside a `request{id=…}` span (so every log line the request causes carries
//! the id), counts it in `/metrics` by route template and status, and writes one log line:
//! id, method, route template, status, latency and operator name. Never the raw URL (a
//! lookup's query is a caller's name), a token, a body or a call note.
//!
//! The line is at `info` under the target `madoguchi::http` (`warn` for a 5xx): the JSON log
//! (`--log-format json`) shows every request, the plain one only failures unless
//! `MADOGUCHI_LOG` asks for more.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::metrics::HttpLabels;
use super::state::AppState;

/// The header carrying a request's id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-given request id kept (longer ones are replaced).
const MAX_ID_LEN: usize = 128;

/// Who a request acts for, filled in by the token check ([`super::auth::Caller`]) so the
/// request's log line can name the operator; empty for requests without a valid token.
#[derive(Debug, Clone, Default)]
pub struct OperatorSlot(Arc<OnceLock<String>>);

impl OperatorSlot {
    /// Records the operator (the first one set stays).
    pub fn set(&self, name: &str) {
        let _ = self.0.set(name.to_string());
    }

    fn get(&self) -> &str {
        self.0.get().map(String::as_str).unwrap_or("")
    }
}

/// A client's request id, if it is 1–128 characters of letters, digits and `-_.:` (anything
/// else could forge log lines or carry personal data).
fn sane(value: &HeaderValue) -> Option<&str> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then_some(s)
}

/// A new request id: a random prefix drawn once per process and a counter, so ids are
/// unique across a pool of servers and cost no system call.
fn new_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| {
        let mut buf = [0u8; 6];
        // Without OS randomness the time keeps processes apart well enough for logs.
        if getrandom::fill(&mut buf).is_err() {
            let t = chrono::Utc::now().timestamp_micros().to_le_bytes();
            buf.copy_from_slice(&t[..6]);
        }
        super::auth::hex(&buf)
    });
    format!("{prefix}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The method as a label (a handful of values, never the client's own string).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The middleware (see the module doc).
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req.headers().get(REQUEST_ID).and_then(sane).map(str::to_owned).unwrap_or_else(new_id);
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let method = method_label(req.method());
    let operator = OperatorSlot::default();
    req.extensions_mut().insert(operator.clone());
    let span = tracing::info_span!("request", id = %id);
    let mut resp = next.run(req).instrument(span).await;
    let elapsed = started.elapsed();
    let status = resp.status().as_u16();
    let labels = HttpLabels { route: route.unwrap_or_else(|| "unmatched".to_owned()), method, status };
    state.metrics.observe_http(&labels, elapsed.as_secs_f64());
    let latency_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    if status >= 500 {
        tracing::warn!(target: "madoguchi::http", request_id = %id, method, route = %labels.route, status,
            latency_ms, operator = operator.get(), "request failed");
    } else {
        tracing::info!(target: "madoguchi::http", request_id = %id, method, route = %labels.route, status,
            latency_ms, operator = operator.get(), "request");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        for ok in ["abc", "3f2a-01", "req_1.2:3", &"a".repeat(128)] {
            assert_eq!(sane(&HeaderValue::from_str(ok).expect("header")), Some(ok));
        }
        for bad in ["", "a b", "x\"y", "日本", &"a".repeat(129), "a/b", "tok=mdg_1"] {
            let v = HeaderValue::from_bytes(bad.as_bytes()).expect("header");
            assert_eq!(sane(&v), None, "{bad:?}");
        }
    }

    #[test]
    fn new_ids_are_distinct_and_sane() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert!(sane(&HeaderValue::from_str(&a).expect("header")).is_some());
    }
}
