//! `latch`: the server and the vendor CLI in one executable.

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system's malloc: a check answer allocates and frees many small buffers
/// across threads, where glibc's allocator spent a tenth of the server's CPU (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Usage errors print clap's whole message (with its tips and usage) and exit with 2; help and
    // version print to stdout and exit with 0.
    let args = cli::Args::parse();
    match cli::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once: a cause whose text its parent already
/// includes is not repeated.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_in_the_message_are_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let error = anyhow::Error::new(io).context("cannot read x: No such file or directory");
        assert_eq!(describe(&error), "cannot read x: No such file or directory");
        let nested = anyhow::anyhow!("disk full").context("cannot save");
        assert_eq!(describe(&nested), "cannot save: disk full");
    }
}
