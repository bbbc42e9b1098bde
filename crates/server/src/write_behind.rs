//! Work the check path does not wait for: last-check times and cached license signatures are queued
//! and written in batches. The queue is bounded; when it is full the newest item is dropped (it is
//! telemetry or a cache, never an activation or a consumption). Shutdown flushes what is queued.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use latch_store::Store;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const QUEUE_CAPACITY: usize = 65_536;
const BATCH_SIZE: usize = 1_000;
const FLUSH_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub enum Deferred {
    Checked {
        device_id: i64,
        at: DateTime<Utc>,
    },
    Signature {
        device_id: i64,
        signature: String,
        validity: Option<DateTime<Utc>>,
    },
}

#[derive(Clone)]
pub struct WriteBehind {
    sender: mpsc::Sender<Deferred>,
}

impl WriteBehind {
    /// Starts the writer task; it ends, after a last flush, when every sender is dropped.
    pub fn start(store: Arc<dyn Store>) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        (Self { sender }, tokio::spawn(run(store, receiver)))
    }

    pub fn defer(&self, item: Deferred) {
        if self.sender.try_send(item).is_err() {
            tracing::warn!("write-behind queue full; dropping one deferred write");
        }
    }
}

async fn run(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<Deferred>) {
    let mut batch = Vec::with_capacity(BATCH_SIZE);
    loop {
        let received =
            tokio::time::timeout(FLUSH_INTERVAL, receiver.recv_many(&mut batch, BATCH_SIZE)).await;
        if !batch.is_empty() {
            flush(store.as_ref(), std::mem::take(&mut batch)).await;
        }
        if matches!(received, Ok(0)) {
            return;
        }
    }
}

async fn flush(store: &dyn Store, batch: Vec<Deferred>) {
    let mut checks = Vec::new();
    for item in batch {
        match item {
            Deferred::Checked { device_id, at } => checks.push((device_id, at)),
            Deferred::Signature {
                device_id,
                signature,
                validity,
            } => {
                if let Err(error) = store.cache_signature(device_id, &signature, validity).await {
                    tracing::warn!(%error, device_id, "could not store a license signature");
                }
            }
        }
    }
    if !checks.is_empty() {
        if let Err(error) = store.record_checks(&checks).await {
            tracing::warn!(%error, count = checks.len(), "could not record check times");
        }
    }
}
