//! Work the check path does not wait for: last-check times and cached signatures are queued and
//! written in batches, one transaction each. The queue is bounded; when it is full the newest item is
//! dropped (it is telemetry or a cache, never an activation or a consumption). Shutdown flushes what
//! is queued.

use std::sync::Arc;
use std::time::Duration;

use latch_store::{DeferredWrite, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const QUEUE_CAPACITY: usize = 65_536;
const BATCH_SIZE: usize = 1_000;
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct WriteBehind {
    sender: mpsc::Sender<DeferredWrite>,
}

impl WriteBehind {
    /// Starts the writer task; it ends, after a last flush, when every sender is dropped.
    pub fn start(store: Arc<dyn Store>) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        (Self { sender }, tokio::spawn(run(store, receiver)))
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

async fn run(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<DeferredWrite>) {
    let mut batch = Vec::with_capacity(BATCH_SIZE);
    loop {
        let received =
            tokio::time::timeout(FLUSH_INTERVAL, receiver.recv_many(&mut batch, BATCH_SIZE)).await;
        if !batch.is_empty() {
            if let Err(error) = store.apply_deferred(&batch).await {
                tracing::warn!(%error, count = batch.len(), "could not apply deferred writes");
            }
            batch.clear();
        }
        if matches!(received, Ok(0)) {
            return;
        }
    }
}
