//! The kernel's accounting of a process: CPU time from `/proc/PID/stat`, memory from
//! `/proc/PID/status`. Linux only, which is where the harness runs.

use anyhow::{bail, Context};

/// utime + stime of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the man page (utime, stime) are at 11 and 12 once pid and comm are dropped.
    let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else {
        bail!("unexpected /proc/{pid}/stat format");
    };
    let ticks: f64 = utime.parse::<f64>()? + stime.parse::<f64>()?;
    Ok(ticks / CLOCK_TICKS_PER_SECOND)
}

/// A `Vm*` line of `/proc/PID/status` (e.g. `VmHWM`, the peak resident set), in MiB.
pub fn status_mib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    let kib: f64 = line.trim().trim_end_matches("kB").trim().parse()?;
    Ok(kib / 1024.0)
}

/// USER_HZ, the unit of utime and stime: 100 on every Linux ABI the harness targets (`getconf CLK_TCK`).
/// At 10 ms per tick, a 10 s run at ~1 core is resolved to about 0.1 %.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
