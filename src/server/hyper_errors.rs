//! hyper answers a request it cannot parse by itself, before any handler or middleware runs:
//! 400 (bytes that are not HTTP, such as raw non-ASCII in the URL), 414 (URL too long) and
//! 431 (headers too large), each with an empty body. [`ErrorRewrite`] wraps a connection and
//! replaces exactly those answers — a bare head with `content-length: 0` and one of those
//! statuses, which no route of ours ever sends — by the one JSON error shape, so every error
//! a client sees reads the same.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The JSON response replacing hyper's own empty answer `head`, if it is one.
pub fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let status = head.strip_prefix(b"HTTP/1.1 ").or_else(|| head.strip_prefix(b"HTTP/1.0 "))?;
    let (code, message) = match status.get(..3)? {
        b"400" => (
            "bad_request",
            "リクエストを HTTP として読めません。URL は ASCII で（日本語はパーセントエンコードして）送ってください",
        ),
        b"414" => ("uri_too_long", "URL が長すぎます。検索語を短くしてください"),
        b"431" => ("headers_too_large", "リクエストのヘッダーが大きすぎます（合計 96 KiB まで）"),
        _ => return None,
    };
    // Only a whole head, with no body: what hyper writes for a parse error.
    if !head.ends_with(b"\r\n\r\n") || !contains(&head.to_ascii_lowercase(), b"\r\ncontent-length: 0\r\n") {
        return None;
    }
    let reason =
        String::from_utf8_lossy(status.split(|&b| b == b'\r').next().unwrap_or_default()).into_owned();
    let body = serde_json::json!({ "error": { "code": code, "message": message } }).to_string();
    Some(
        format!(
            "HTTP/1.1 {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A connection whose writes pass through unchanged, except hyper's own empty error answers
/// (see [`replacement`]).
pub struct ErrorRewrite<T> {
    inner: T,
    /// A replacement still to be written, and how much of it has been.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ErrorRewrite<T> {
    pub fn new(inner: T) -> ErrorRewrite<T> {
        ErrorRewrite { inner, pending: Vec::new(), written: 0 }
    }
}

impl<T: AsyncWrite + Unpin> ErrorRewrite<T> {
    /// Writes what is left of a replacement.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ErrorRewrite<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ErrorRewrite<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(json) = replacement(buf) {
            self.pending = json;
            self.written = 0;
            // The replacement stands for all of `buf`; what is not written yet goes out on
            // the next write, flush or shutdown.
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_empty_answers_become_the_error_shape() {
        for (status, code) in [
            ("400 Bad Request", "bad_request"),
            ("414 URI Too Long", "uri_too_long"),
            ("431 Request Header Fields Too Large", "headers_too_large"),
        ] {
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 06:00:00 GMT\r\n\r\n"
            );
            let out = String::from_utf8(replacement(head.as_bytes()).expect("replaced")).expect("utf-8");
            assert!(out.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{out}");
            let body = out.split("\r\n\r\n").nth(1).expect("body");
            let v: serde_json::Value = serde_json::from_str(body).expect("json");
            assert_eq!(v["error"]["code"], code);
            assert!(out.contains(&format!("content-length: {}\r\n", body.len())));
        }
    }

    #[test]
    fn our_own_answers_pass_unchanged() {
        // A JSON 400 of a handler has a body; a 404 is not hyper's; a partial head is not one.
        let ours =
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 42\r\n\r\n";
        assert!(replacement(ours).is_none());
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            replacement(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n").is_none()
        );
        assert!(replacement(b"{\"error\":1}").is_none());
    }
}
