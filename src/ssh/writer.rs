//! The bytes a session's console draws, sent on its SSH channel. ratatui's crossterm backend
//! writes into [`ChannelWriter`] (a plain `io::Write`); each flush (one per frame) hands the
//! frame to a task that sends it on the channel in order. A client that stops reading cannot
//! make the server buffer without bound: past [`MAX_QUEUED`] bytes a flush fails, and the
//! console ends as for any broken terminal.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Frames waiting to be sent, in bytes, beyond which the client is taken as gone.
pub const MAX_QUEUED: usize = 4 << 20;

/// An `io::Write` whose flushes go out on one SSH channel.
pub struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
}

/// The sending task of a [`ChannelWriter`]; see [`WriterDone::finish`].
pub struct WriterDone(JoinHandle<()>);

impl WriterDone {
    /// Waits until everything flushed has been handed to the session (call after the
    /// writer is dropped, before closing the channel).
    pub async fn finish(self) {
        let _ = self.0.await;
    }
}

impl ChannelWriter {
    pub fn new(handle: Handle, channel: ChannelId) -> (ChannelWriter, WriterDone) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let queued = Arc::new(AtomicUsize::new(0));
        let q = queued.clone();
        let task = tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                let n = frame.len();
                let sent = handle.data(channel, frame).await;
                q.fetch_sub(n, Ordering::Relaxed);
                if sent.is_err() {
                    // The session is gone; the console notices through its input.
                    return;
                }
            }
        });
        (ChannelWriter { buf: Vec::with_capacity(16 * 1024), tx, queued }, WriterDone(task))
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.queued.load(Ordering::Relaxed) > MAX_QUEUED {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the SSH client is not reading its screen"));
        }
        let frame = std::mem::take(&mut self.buf);
        self.queued.fetch_add(frame.len(), Ordering::Relaxed);
        self.tx
            .send(frame)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the SSH session is closed"))
    }
}
