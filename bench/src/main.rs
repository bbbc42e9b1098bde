//! `latch-bench`: the performance harness behind `bench/run.sh` (see docs/PERFORMANCE.md).
//!
//! Every measuring subcommand appends one JSON object per result to a results file, and `report` turns
//! that file into the markdown tables of docs/PERFORMANCE.md, so the figures and the table cannot drift.

mod database;
mod fixture;
mod load;
mod micro;
mod procfs;
mod report;
mod results;
mod search;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "latch-bench", about = "Performance harness for Latch")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reset the configured database and bulk-load N licenses with 2N active devices.
    Seed(seed::SeedArgs),
    /// Drive a running `latch serve` over loopback and measure it.
    Load(load::LoadArgs),
    /// In-process costs: one RSA-2048 signature and one `Store::lookup`.
    Micro(micro::MicroArgs),
    /// Print the markdown tables for a results file.
    Report(report::ReportArgs),
    /// Time the dashboard's license searches on a seeded database.
    Search(search::SearchArgs),
}

fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Seed(args) => seed::run(args),
        Command::Load(args) => load::run(args),
        Command::Micro(args) => micro::run(args),
        Command::Report(args) => report::run(args),
        Command::Search(args) => search::run(args),
    }
}
