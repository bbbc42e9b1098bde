//! Markdown tables from a results file: every run, then the targets as ratios of figures
//! measured in the same run.

use std::path::PathBuf;

use crate::micro::{RSA_SIGN, SQLITE_INSERT_TRANSACTION, STORE_ACTIVATE, STORE_LOOKUP};
use crate::results::{self, LoadResult, MicroResult, Record, SeedResult};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    results: PathBuf,
}

/// Labels `bench/run.sh` gives the runs the targets are computed from.
const DISTINCT_COLD: &str = "check-distinct-cold";
const DISTINCT_WARM: &str = "check-distinct-warm";
const REPEATED: &str = "check-repeated";
const HEALTHZ: &str = "healthz";
/// Half of max throughput on devices that checked in before, the steady state of a deployment. (The
/// load table keeps `check-uniform-half-load` beside it: at N = 1M mostly first checks, the cold figure.)
const HALF_LOAD_WARM: &str = "check-warm-half-load";
const ACTIVATE: &str = "activate";

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    print!("{}", render(&results::read_all(&args.results)?));
    Ok(())
}

struct Runs {
    seeds: Vec<SeedResult>,
    loads: Vec<LoadResult>,
    micros: Vec<MicroResult>,
}

impl Runs {
    fn load(&self, backend: &str, licenses: u64, label: &str) -> Option<&LoadResult> {
        self.loads
            .iter()
            .find(|r| r.backend == backend && r.licenses == licenses && r.label == label)
    }

    /// One signature's CPU cost as measured in the suite of `backend` at `licenses`, else the
    /// run's first measurement.
    fn rsa_cpu_us(&self, backend: &str, licenses: u64) -> Option<f64> {
        self.micro(RSA_SIGN, backend, licenses)
            .or_else(|| self.micros.iter().find(|m| m.name == RSA_SIGN))
            .map(|m| m.cpu_us_per_op)
    }

    /// The in-process measurement `name` of the suite of `backend` at `licenses`.
    fn micro(&self, name: &str, backend: &str, licenses: u64) -> Option<&MicroResult> {
        self.micros.iter().find(|m| {
            m.name == name && m.backend.as_deref() == Some(backend) && m.licenses == Some(licenses)
        })
    }

    /// Durable one-row insert transactions per second on `backend`'s database at `licenses`.
    fn raw_insert_rate(&self, backend: &str, licenses: u64) -> Option<f64> {
        self.micro(SQLITE_INSERT_TRANSACTION, backend, licenses)
            .map(|m| 1e6 / m.wall_us_per_op)
    }

    fn backends(&self) -> Vec<String> {
        let mut backends: Vec<String> = Vec::new();
        for seed in &self.seeds {
            if !backends.contains(&seed.backend) {
                backends.push(seed.backend.clone());
            }
        }
        backends
    }

    /// Smallest and largest N seeded on a backend.
    fn sizes(&self, backend: &str) -> Option<(u64, u64)> {
        let sizes = self.seeds.iter().filter(|s| s.backend == backend);
        Some((
            sizes.clone().map(|s| s.licenses).min()?,
            sizes.map(|s| s.licenses).max()?,
        ))
    }
}

fn render(records: &[Record]) -> String {
    let mut runs = Runs {
        seeds: Vec::new(),
        loads: Vec::new(),
        micros: Vec::new(),
    };
    for record in records {
        match record {
            Record::Seed(r) => runs.seeds.push(r.clone()),
            Record::Load(r) => runs.loads.push(r.clone()),
            Record::Micro(r) => runs.micros.push(r.clone()),
        }
    }
    let mut out = String::new();
    out.push_str("### Seeding\n\n| backend | licenses | devices | total s | bulk INSERT s |\n|---|---:|---:|---:|---:|\n");
    for s in &runs.seeds {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} | {:.1} |\n",
            s.backend, s.licenses, s.devices, s.seconds, s.bulk_seconds
        ));
    }
    out.push_str("\n### In-process floors (one thread, one operation at a time)\n\n| measurement | backend | licenses | wall µs/op | CPU µs/op |\n|---|---|---:|---:|---:|\n");
    for m in &runs.micros {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} | {:.1} |\n",
            m.name,
            m.backend.as_deref().unwrap_or("-"),
            m.licenses.map_or("-".to_owned(), |n| n.to_string()),
            m.wall_us_per_op,
            m.cpu_us_per_op
        ));
    }
    out.push_str("\n### Load (loopback; server CPU from /proc/PID/stat over the run)\n\n| backend | licenses | workload | conns | offered req/s | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | ÷ RSA sign | signatures/answer | client CPU s | server VmHWM MiB |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &runs.loads {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {} | {} | {:.1} | {:.0} |\n",
            r.backend,
            r.licenses,
            r.label,
            r.connections,
            r.rate.map_or("closed loop".to_owned(), |rate| format!("{rate:.0}")),
            r.throughput,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.errors,
            r.server_cpu_us_per_request,
            ratio(
                Some(r.server_cpu_us_per_request),
                runs.rsa_cpu_us(&r.backend, r.licenses)
            ),
            r.signatures_per_answer
                .map_or("-".to_owned(), |n| format!("{n:.2}")),
            r.client_cpu_seconds,
            r.server_vm_hwm_mib
        ));
    }
    out.push_str(
        "\n### Targets\n\n| backend | figure | measured | target | met |\n|---|---|---:|---|---|\n",
    );
    for backend in runs.backends() {
        for target in targets(&runs, &backend) {
            let met = match target.measured {
                Some(value) if (target.holds)(value) => "yes",
                Some(_) => "**no**",
                None => "not measured",
            };
            out.push_str(&format!(
                "| {backend} | {} | {} | {} | {met} |\n",
                target.figure,
                target
                    .measured
                    .map_or("-".to_owned(), |v| format!("{v:.2}{}", target.unit)),
                target.goal
            ));
        }
    }
    out
}

struct Target {
    figure: String,
    measured: Option<f64>,
    unit: &'static str,
    goal: &'static str,
    holds: fn(f64) -> bool,
}

fn targets(runs: &Runs, backend: &str) -> Vec<Target> {
    let Some((small, big)) = runs.sizes(backend) else {
        return Vec::new();
    };
    let rsa = runs.rsa_cpu_us(backend, big);
    let cpu_per = |label| Some(runs.load(backend, big, label)?.server_cpu_us_per_request);
    let throughput = |label| Some(runs.load(backend, big, label)?.throughput);
    // An in-process measurement's CPU per operation ÷ one signature.
    let in_signatures =
        |name| ratio_value(runs.micro(name, backend, big).map(|m| m.cpu_us_per_op), rsa);
    let p99 = |n| Some(runs.load(backend, n, HALF_LOAD_WARM)?.p99_ms);
    let peak_rss = runs
        .loads
        .iter()
        .filter(|r| r.backend == backend && r.licenses == big)
        .map(|r| r.server_vm_hwm_mib)
        .reduce(f64::max);
    let seed_seconds = runs
        .seeds
        .iter()
        .find(|s| s.backend == backend && s.licenses == big)
        .map(|s| s.seconds);
    let mut targets = vec![
        Target {
            figure: format!("server CPU per check, the same 64 unchanged devices again and again (N={big}) ÷ one RSA-2048 signature"),
            measured: ratio_value(cpu_per(REPEATED), rsa),
            unit: "×",
            goal: "≤ 0.15×",
            holds: |v| v <= 0.15,
        },
        Target {
            figure: format!("repeated-check throughput ÷ no-op /healthz throughput (N={big})"),
            measured: ratio_value(throughput(REPEATED), throughput(HEALTHZ)),
            unit: "×",
            goal: "≥ 0.5×",
            holds: |v| v >= 0.5,
        },
        Target {
            figure: format!("server CPU per check, distinct devices, answers unchanged (warm, N={big}) ÷ one RSA-2048 signature"),
            measured: ratio_value(cpu_per(DISTINCT_WARM), rsa),
            unit: "×",
            goal: "≤ 0.25×",
            holds: |v| v <= 0.25,
        },
        Target {
            figure: format!("the storage read alone of a device not in memory (N={big}, in process: `Store::lookup`, one at a time) ÷ one RSA-2048 signature"),
            measured: in_signatures(STORE_LOOKUP),
            unit: "×",
            goal: "≤ 0.25× (what the warm target allows a whole check)",
            holds: |v| v <= 0.25,
        },
        Target {
            figure: format!("RSA signatures per first check of an activated device (cold, N={big}), from the server's counters"),
            measured: runs
                .load(backend, big, DISTINCT_COLD)
                .and_then(|r| r.signatures_per_answer),
            unit: "",
            goal: "≤ 1 (signs once at most)",
            holds: |v| v <= 1.0,
        },
        Target {
            figure: format!("server CPU per activation (N={big}) ÷ one RSA-2048 signature"),
            measured: ratio_value(cpu_per(ACTIVATE), rsa),
            unit: "×",
            goal: "≤ 2.5×",
            holds: |v| v <= 2.5,
        },
        Target {
            figure: format!("p99 at N={big} ÷ p99 at N={small}, devices that checked in before, at the same offered load"),
            measured: ratio_value(p99(big), p99(small)),
            unit: "",
            goal: "≤ 1.2",
            holds: |v| v <= 1.2,
        },

        Target {
            figure: format!("peak RSS (VmHWM) at N={big} after every workload"),
            measured: peak_rss,
            unit: " MiB",
            goal: "≤ 300 MB",
            // 300 MB = 286 MiB.
            holds: |v| v * 1_048_576.0 <= 300e6,
        },
        Target {
            figure: format!("seeding N={big} licenses (2N devices)"),
            measured: seed_seconds,
            unit: " s",
            goal: "≤ 60 s",
            holds: |v| v <= 60.0,
        },
        Target {
            figure: format!("storage work of one activation alone (N={big}, in process: replay claim and activation transaction) ÷ one RSA-2048 signature"),
            measured: in_signatures(STORE_ACTIVATE),
            unit: "×",
            goal: "≤ 0.5× (what ≤ 2.5× leaves beside two signatures)",
            holds: |v| v <= 0.5,
        },
    ];
    // Measured on SQLite only: the single writer is what an activation waits for there.
    if let Some(raw_rate) = runs.raw_insert_rate(backend, big) {
        targets.push(Target {
            figure: format!("activations/s (N={big}) ÷ durable one-row insert transactions/s, one at a time, on the same file system"),
            measured: ratio_value(throughput(ACTIVATE), Some(raw_rate)),
            unit: "×",
            goal: "≥ 0.5×",
            holds: |v| v >= 0.5,
        });
    }
    targets
}

fn ratio_value(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    Some(numerator? / denominator.filter(|d| *d > 0.0)?)
}

fn ratio(numerator: Option<f64>, denominator: Option<f64>) -> String {
    ratio_value(numerator, denominator).map_or("-".to_owned(), |v| format!("{v:.2}"))
}
