//! The results file: one JSON object per line, appended by each measuring run.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Seed(SeedResult),
    Load(LoadResult),
    Micro(MicroResult),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedResult {
    pub backend: String,
    pub licenses: u64,
    pub devices: u64,
    /// The whole command, CLI set-up included.
    pub seconds: f64,
    /// The bulk INSERTs (and ANALYZE on PostgreSQL) alone.
    pub bulk_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadResult {
    pub backend: String,
    pub licenses: u64,
    pub label: String,
    pub connections: usize,
    /// Offered requests per second for an open-loop run; `None` for closed loop (as fast as answered).
    pub rate: Option<f64>,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub server_cpu_seconds: f64,
    pub server_cpu_us_per_request: f64,
    /// RSA signatures the server made per answer (absent in results of older harnesses).
    #[serde(default)]
    pub signatures_per_answer: Option<f64>,
    /// CPU the load generator itself used in the same window: it shares the machine with the server.
    pub client_cpu_seconds: f64,
    pub server_vm_hwm_mib: f64,
    pub server_vm_rss_mib: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MicroResult {
    pub name: String,
    /// Backend and size of the database measured, for storage micro-benchmarks.
    pub backend: Option<String>,
    pub licenses: Option<u64>,
    pub ops: u64,
    pub wall_us_per_op: f64,
    pub cpu_us_per_op: f64,
}

pub fn append(path: &Path, record: &Record) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open results file {}", path.display()))?;
    writeln!(file, "{}", serde_json::to_string(record)?)?;
    Ok(())
}

pub fn read_all(path: &Path) -> anyhow::Result<Vec<Record>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read results file {}", path.display()))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| Ok(serde_json::from_str(line)?))
        .collect()
}
