//! The accept loop: HTTP/1.1 connections served by hyper with the server's [`Limits`] — a
//! cap on open connections (one more is answered 503 and closed), a timeout for a request's
//! headers that also closes a kept-alive connection left idle, a cap on their size (431) —
//! each connection's peer address handed to the router (per-address rate limit), hyper's own
//! error answers in the one JSON shape ([`ErrorRewrite`]), and a graceful stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::hyper_errors::ErrorRewrite;
use super::limits::Limits;

/// The largest request head (request line and headers) accepted; 431 beyond.
pub const MAX_HEADER_BYTES: usize = 96 * 1024;

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// every connection to finish its request in flight (idle ones close at once); connections
/// refused at the cap are counted in `refused`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    refused: prometheus_client::metrics::counter::Counter,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        // One buffer per write: ErrorRewrite sees hyper's error heads whole.
        .writev(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: go on.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused.inc();
            tokio::spawn(refuse_busy(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: axum::http::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let conn = http.serve_connection(
            TokioIo::new(ErrorRewrite::new(stream)),
            TowerToHyperService::new(service.map_err(|e: Infallible| match e {})),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection from {peer} ended: {e}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Answers a connection over the cap with 503 in the one error shape, and closes it.
async fn refuse_busy(mut stream: TcpStream) {
    let body = serde_json::json!({ "error": { "code": "too_many_connections",
        "message": "サーバーへの接続が上限に達しています。しばらくしてからやり直してください" } })
    .to_string();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Whether `addr` is reachable from other machines (not loopback).
pub fn off_loopback(addr: SocketAddr) -> bool {
    !addr.ip().is_loopback()
}
