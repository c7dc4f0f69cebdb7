//! Reading server-sent events (`text/event-stream`) from a response body into
//! [`ServerEvent`]s. Only the `data:` field matters to us; comments (keep-alives) and other
//! fields are skipped, and an event that does not parse is logged and dropped.

use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::ServerEvent;

/// Accumulates lines of the stream and yields the `data` of each complete event.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    data: String,
}

impl SseParser {
    /// Feeds a chunk of bytes; returns the data of every event completed by it.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(std::mem::take(&mut self.data));
                }
            } else if let Some(rest) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            }
        }
        out
    }
}

/// Forwards the events of `resp` to `tx` until the stream ends or the receiver goes away.
/// The receiver going away ends it at once (dropping the response closes its connection),
/// not at the next event: a console that ended must not hold its connection until someone
/// somewhere changes something.
pub(crate) async fn pump(resp: reqwest::Response, tx: mpsc::Sender<ServerEvent>) {
    let mut stream = resp.bytes_stream();
    let mut parser = SseParser::default();
    loop {
        // A receiver dropped (the console quit) closes the connection at once, so the server
        // knows the session ended (it ends the operator's campaign leases).
        let chunk = tokio::select! {
            _ = tx.closed() => return,
            chunk = stream.next() => chunk,
        };
        let Some(Ok(chunk)) = chunk else { return };
        for data in parser.feed(&chunk) {
            match serde_json::from_str::<ServerEvent>(&data) {
                Ok(ev) => {
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!("unreadable server event {data:?}: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_keepalives_are_skipped() {
        let mut p = SseParser::default();
        assert!(p.feed(b": keep-alive\n\n").is_empty());
        assert!(p.feed(b"data: {\"type\":\"faq_").is_empty());
        let got = p.feed(b"changed\"}\r\n\r\ndata: x\n");
        assert_eq!(got, vec!["{\"type\":\"faq_changed\"}".to_string()]);
        assert_eq!(p.feed(b"\n"), vec!["x".to_string()]);
        let ev: ServerEvent = serde_json::from_str(&got[0]).expect("parses");
        assert_eq!(ev, ServerEvent::FaqChanged);
    }
}
