//! Work that holds a core for long (an RSA-2048 signature: a quarter to most of a millisecond),
//! done where it does not stall the tasks queued behind it on the same runtime worker. A task in the
//! middle of a write transaction is among them: every statement of the transaction is a wake-up of
//! its task, and while that task waits behind a signature the database's writer waits with it,
//! which bounds how many activations a second SQLite serves.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work` on this thread, after handing this runtime worker's other tasks to another thread
/// (tokio's `block_in_place`). On a single-threaded runtime (tests), or outside a runtime, it just
/// runs.
pub fn run<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current().map(|runtime| runtime.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_outside_a_runtime() {
        assert_eq!(run(|| 2 + 2), 4);
    }

    #[tokio::test]
    async fn runs_on_a_single_threaded_runtime() {
        assert_eq!(run(|| 2 + 2), 4);
    }

    /// Another task on the runtime progresses while the work blocks its thread, even with one
    /// worker thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn other_tasks_progress_while_it_runs() {
        let (sent, received) = std::sync::mpsc::channel();
        let other = tokio::spawn(async move { sent.send(()).unwrap() });
        run(|| {
            received
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("the other task ran while this one blocked")
        });
        other.await.unwrap();
    }
}
