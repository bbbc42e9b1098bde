//! Work the check path does not wait for: last-check times, refusal counts and cached signatures are
//! queued and written in batches, one transaction each. The queue is bounded; when it is full the newest item is
//! dropped (it is telemetry or a cache, never an activation or a consumption). A batch that fails to
//! write is kept and retried with growing pauses, up to the queue's capacity of held writes (the oldest
//! go first). Shutdown flushes what is queued. The same task forgets expired replay answers and
//! password attempt windows once a minute.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use latch_store::{DeferredWrite, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const QUEUE_CAPACITY: usize = 65_536;
const BATCH_SIZE: usize = 1_000;
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);
/// How long the writer gathers after the first queued write: under load, one wake-up and one
/// transaction then carry the writes of many requests instead of a few each.
const LINGER: Duration = Duration::from_millis(20);
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(30);
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct WriteBehind {
    sender: mpsc::Sender<DeferredWrite>,
}

impl WriteBehind {
    /// Starts the writer task; it ends, after a last flush, when every sender is dropped. Guard rows
    /// older than `keep_guards` are pruned.
    pub fn start(store: Arc<dyn Store>, keep_guards: chrono::Duration) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        (
            Self { sender },
            tokio::spawn(run(store, receiver, keep_guards)),
        )
    }

    /// Writes queued and not yet taken by the writer.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    pub fn defer(&self, write: DeferredWrite) {
        if self.sender.try_send(write).is_err() {
            tracing::warn!("write-behind queue full; dropping one deferred write");
        }
    }
}

async fn run(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<DeferredWrite>,
    keep_guards: chrono::Duration,
) {
    let mut batch = Vec::with_capacity(BATCH_SIZE);
    let mut retry_pause = FLUSH_INTERVAL;
    let mut last_prune = Instant::now();
    loop {
        let received =
            tokio::time::timeout(FLUSH_INTERVAL, receiver.recv_many(&mut batch, BATCH_SIZE)).await;
        if matches!(received, Ok(taken) if taken > 0) && batch.len() < BATCH_SIZE {
            tokio::time::sleep(LINGER).await;
            while batch.len() < BATCH_SIZE {
                let Ok(write) = receiver.try_recv() else {
                    break;
                };
                batch.push(write);
            }
        }
        if !batch.is_empty() {
            match store.apply_deferred(&batch).await {
                Ok(()) => {
                    batch.clear();
                    retry_pause = FLUSH_INTERVAL;
                }
                Err(error) => {
                    tracing::warn!(%error, count = batch.len(), "could not apply deferred writes; will retry");
                    if batch.len() > QUEUE_CAPACITY {
                        let dropped = batch.len() - QUEUE_CAPACITY;
                        batch.drain(..dropped);
                        tracing::warn!(
                            dropped,
                            "too many deferred writes held; dropped the oldest"
                        );
                    }
                    tokio::time::sleep(retry_pause).await;
                    retry_pause = (retry_pause * 2).min(MAX_RETRY_PAUSE);
                }
            }
        }
        if matches!(received, Ok(0)) {
            return;
        }
        if last_prune.elapsed() >= PRUNE_INTERVAL {
            last_prune = Instant::now();
            if let Err(error) = store.prune_guards(Utc::now() - keep_guards).await {
                tracing::warn!(%error, "could not prune expired replay answers and password windows");
            }
        }
    }
}
