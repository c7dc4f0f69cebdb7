//! Group commit: requests that arrive while a batch is being written wait for the next
//! batch, and that batch writes all of them in one transaction of the store. When 50
//! operators press 次へ (or record their outcomes) at once, each no longer waits its turn for
//! the database's write lock behind 49 whole transactions. Correctness does not rest on it:
//! the store's transaction is what keeps a member from two operators, on one server or many.
//!
//! A request whose client went away after it was queued is still written (its answer is
//! dropped); what it wrote is what the client asked for.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::store::{Store, StoreError};

/// The most requests written in one transaction.
pub(crate) const BATCH_MAX: usize = 64;

/// A batch's write: one answer per request, in order; `Err` when the transaction failed.
pub type BatchWrite<R, A> =
    fn(
        Arc<dyn Store>,
        Vec<R>,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Result<A, StoreError>>, StoreError>> + Send>>;

/// One queued request and where its answer goes.
type Waiting<R, A> = (R, oneshot::Sender<Result<A, StoreError>>);

/// A queue of requests of one kind, written in batches by one task (started on first use,
/// ended when the queue — the server's state — is dropped).
pub struct GroupCommit<R, A> {
    sender: OnceLock<mpsc::UnboundedSender<Waiting<R, A>>>,
    /// What the batches are (in logs).
    what: &'static str,
    write: BatchWrite<R, A>,
    tally: Arc<BatchTally>,
}

/// Batches written and the requests in them, since start (for `/metrics`: requests per batch
/// is how much waiting together saved).
#[derive(Debug, Default)]
pub struct BatchTally {
    batches: AtomicU64,
    requests: AtomicU64,
}

impl BatchTally {
    /// (batches, requests) so far.
    pub fn read(&self) -> (u64, u64) {
        (self.batches.load(Ordering::Relaxed), self.requests.load(Ordering::Relaxed))
    }
}

impl<R: Send + 'static, A: Send + 'static> GroupCommit<R, A> {
    /// A queue whose batches `write` does; `what` names them in logs.
    pub fn new(what: &'static str, write: BatchWrite<R, A>) -> GroupCommit<R, A> {
        GroupCommit { sender: OnceLock::new(), what, write, tally: Arc::default() }
    }

    /// Batches written and requests in them so far.
    pub fn tally(&self) -> (u64, u64) {
        self.tally.read()
    }

    /// Queues `req` and waits for its answer.
    pub async fn ask(&self, store: &Arc<dyn Store>, req: R) -> Result<A, StoreError> {
        let sender = self
            .sender
            .get_or_init(|| spawn_batches(store.clone(), self.what, self.write, self.tally.clone()));
        let (tx, rx) = oneshot::channel();
        if sender.send((req, tx)).is_err() {
            return Err(StoreError::internal(format!("the {} queue has stopped", self.what)));
        }
        rx.await.unwrap_or_else(|_| {
            Err(StoreError::internal(format!("the {} queue dropped a request", self.what)))
        })
    }
}

/// The task writing the batches: each takes every request waiting (up to [`BATCH_MAX`]).
fn spawn_batches<R: Send + 'static, A: Send + 'static>(
    store: Arc<dyn Store>,
    what: &'static str,
    write: BatchWrite<R, A>,
    tally: Arc<BatchTally>,
) -> mpsc::UnboundedSender<Waiting<R, A>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Waiting<R, A>>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH_MAX {
                match rx.try_recv() {
                    Ok(w) => batch.push(w),
                    Err(_) => break,
                }
            }
            let (reqs, replies): (Vec<R>, Vec<_>) = batch.into_iter().unzip();
            let count = reqs.len();
            tally.batches.fetch_add(1, Ordering::Relaxed);
            tally.requests.fetch_add(count as u64, Ordering::Relaxed);
            match write(store.clone(), reqs).await {
                Ok(answers) => {
                    for (answer, reply) in answers.into_iter().zip(replies) {
                        let _ = reply.send(answer);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, requests = count, "writing a batch of {what} failed");
                    let why = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(StoreError::Internal(why.clone())));
                    }
                }
            }
        }
    });
    tx
}
