//! Log lines gathered in memory and written to stderr together. Written one by one, every request line
//! costs a `write` system call of its own; gathered, a busy server makes one call per 64 KiB or per
//! tenth of a second. A warning or an error is written at once, with every line before it, and what is
//! gathered is written when the process ends, so only a killed process loses lines: the info lines
//! of its last tenth of a second.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Gathered bytes past which the line that passes it writes them all.
const WRITE_AT_BYTES: usize = 64 * 1024;
/// The longest an info line waits in memory.
const WRITE_EVERY: Duration = Duration::from_millis(100);

static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Writes what is gathered to stderr; a line that cannot be written is lost (see `init_logging`).
pub fn write_gathered() {
    write_out(&mut PENDING.lock().unwrap_or_else(PoisonError::into_inner));
}

fn write_out(pending: &mut Vec<u8>) {
    if !pending.is_empty() {
        let _ = io::stderr().lock().write_all(pending);
        pending.clear();
    }
}

/// The subscriber's writer: gathers lines, and starts the thread that writes them every tenth of a
/// second.
pub struct GatheredStderr;

impl GatheredStderr {
    pub fn start() -> Self {
        std::thread::Builder::new()
            .name("latch-log-writer".into())
            .spawn(|| loop {
                std::thread::sleep(WRITE_EVERY);
                write_gathered();
            })
            .expect("start the log writer thread");
        Self
    }
}

/// One log line's writer: `urgent` lines are written at once.
pub struct LineWriter {
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
        pending.extend_from_slice(bytes);
        if self.urgent || pending.len() >= WRITE_AT_BYTES {
            write_out(&mut pending);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for GatheredStderr {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter { urgent: true }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineWriter {
        // Levels order from ERROR (least verbose) up.
        LineWriter {
            urgent: *meta.level() <= Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_lines_wait_and_a_warning_writes_them_with_itself() {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(GatheredStderr)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("first of two");
            let pending = String::from_utf8(PENDING.lock().unwrap().clone()).unwrap();
            assert!(pending.ends_with("first of two\n"), "{pending:?}");
            tracing::warn!("second of two");
            assert!(PENDING.lock().unwrap().is_empty());
        });
    }
}
