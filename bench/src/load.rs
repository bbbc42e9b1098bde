//! The load generator: C keep-alive HTTP/1.1 connections on loopback, each a sequential request loop,
//! either as fast as answered (closed loop: maximum throughput) or on a fixed schedule (open loop:
//! latency at a given offered load, measured from the scheduled send time so a stalled server is
//! charged for the requests it delayed).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, DATE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;

use crate::fixture::{self, Fixture, PRODUCT_CODE};
use crate::procfs;
use crate::results::{self, LoadResult, Record};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// GET /healthz: the HTTP stack alone.
    Healthz,
    /// check_license, each device at most once per run (until all 2N are used).
    CheckDistinct,
    /// check_license on devices drawn uniformly from all 2N.
    CheckUniform,
    /// check_license on Zipf-like (s = 1) popular devices.
    CheckZipf,
    /// check_license on a few unchanged devices, over and over.
    CheckRepeated,
    /// activate_license of a new hardware id on a random seeded license.
    Activate,
    /// track_device_variables on a random seeded device.
    Variables,
    /// 90 % check (uniform), 5 % activate, 5 % variables.
    Mixed,
}

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Base URL of the server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    #[arg(long)]
    fixture: PathBuf,
    #[arg(long, value_enum)]
    workload: Workload,
    /// Name of the run in reports (default: the workload).
    #[arg(long)]
    label: Option<String>,
    /// Concurrent keep-alive connections.
    #[arg(long, env = "BENCH_CONNECTIONS", default_value_t = 16)]
    connections: usize,
    /// Run length in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Offered load in requests per second (open loop); without it, closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many requests even before the duration is over.
    #[arg(long)]
    max_requests: Option<u64>,
    /// First device index of check-distinct, so two runs can replay or avoid the same devices.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Seed of the random device choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many devices check-repeated cycles through.
    #[arg(long, default_value_t = 64)]
    hot_devices: u64,
    /// PID of the server, for CPU and memory from /proc.
    #[arg(long)]
    server_pid: u32,
    /// Threads of the generator's runtime; one keeps it off the server's second core as far as possible.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long)]
    results: Option<PathBuf>,
}

pub fn run(args: LoadArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()?
        .block_on(load(args))
}

async fn load(args: LoadArgs) -> anyhow::Result<()> {
    let fixture = Arc::new(Fixture::load(&args.fixture)?);
    let address: SocketAddr = args
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .context("--url must be http://IP:PORT")?;
    let label = args
        .label
        .clone()
        .unwrap_or_else(|| format!("{:?}", args.workload));
    // A fresh prefix per run keeps activated hardware ids unique across runs on the same database.
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();

    let mut senders = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        senders.push(connect(address).await?);
    }
    let budget = Arc::new(AtomicU64::new(args.max_requests.unwrap_or(u64::MAX)));
    let signatures_before = signatures_made(address).await?;
    let server_cpu_before = procfs::cpu_seconds(args.server_pid)?;
    let client_cpu_before = procfs::cpu_seconds(std::process::id())?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let mut tasks = Vec::with_capacity(args.connections);
    for (index, sender) in senders.into_iter().enumerate() {
        let worker = Worker {
            sender,
            requests: Requests {
                fixture: fixture.clone(),
                workload: args.workload,
                host: HeaderValue::from_str(&address.to_string())?,
                auth: AuthHeaders::default(),
                rng: SplitMix(args.seed.wrapping_mul(1_000_003).wrapping_add(index as u64)),
                index: index as u64,
                connections: args.connections as u64,
                sequence: 0,
                offset: args.offset,
                hot_devices: args.hot_devices,
                nonce,
            },
            budget: budget.clone(),
            deadline,
            schedule: args.rate.map(|rate| {
                let interval = Duration::from_secs_f64(args.connections as f64 / rate);
                // Connections are staggered evenly inside one interval so the offered load is smooth.
                (
                    start + interval.mul_f64(index as f64 / args.connections as f64),
                    interval,
                )
            }),
        };
        tasks.push(tokio::spawn(worker.run()));
    }
    let mut tally = Tally::new()?;
    for task in tasks {
        tally.merge(task.await??)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu_seconds = procfs::cpu_seconds(args.server_pid)? - server_cpu_before;
    let client_cpu_seconds = procfs::cpu_seconds(std::process::id())? - client_cpu_before;
    let signatures = signatures_made(address).await? - signatures_before;

    let answered = tally.ok + tally.errors;
    let ms = |quantile: f64| tally.latency.value_at_quantile(quantile) as f64 / 1000.0;
    let result = LoadResult {
        backend: fixture.backend.clone(),
        licenses: fixture.licenses,
        label,
        connections: args.connections,
        rate: args.rate,
        seconds,
        ok: tally.ok,
        errors: tally.errors,
        throughput: tally.ok as f64 / seconds,
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        max_ms: tally.latency.max() as f64 / 1000.0,
        server_cpu_seconds,
        server_cpu_us_per_request: server_cpu_seconds * 1e6 / answered.max(1) as f64,
        signatures_per_answer: Some(signatures / answered.max(1) as f64),
        client_cpu_seconds,
        server_vm_hwm_mib: procfs::status_mib(args.server_pid, "VmHWM")?,
        server_vm_rss_mib: procfs::status_mib(args.server_pid, "VmRSS")?,
    };
    eprintln!(
        "{} {} N={}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, {:.0} µs server CPU/req, \
         {} errors{}",
        result.backend,
        result.label,
        result.licenses,
        result.throughput,
        result.p50_ms,
        result.p99_ms,
        result.p999_ms,
        result.server_cpu_us_per_request,
        result.errors,
        tally
            .first_error
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    // Also on stdout, for the driver script to read figures (e.g. a request count) back.
    let record = Record::Load(result);
    println!("{}", serde_json::to_string(&record)?);
    if let Some(path) = &args.results {
        results::append(path, &record)?;
    }
    Ok(())
}

async fn connect(address: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address)
        .await
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // Drives the socket; it ends when the sender is dropped at the end of the run.
    tokio::spawn(connection);
    Ok(sender)
}

/// RSA signatures the server has made since it started (answers and v1 license signatures, not the
/// ones it reused), from its own counters on `/metrics`.
async fn signatures_made(address: SocketAddr) -> anyhow::Result<f64> {
    let mut sender = connect(address).await?;
    let request = Request::get("/metrics")
        .header(HOST, address.to_string())
        .body(Full::new(Bytes::new()))?;
    let response = sender.send_request(request).await?;
    anyhow::ensure!(
        response.status().is_success(),
        "/metrics answered {}",
        response.status()
    );
    let text = String::from_utf8(response.into_body().collect().await?.to_bytes().to_vec())?;
    let made = |counter: &str| {
        let sample = format!("{counter}{{source=\"computed\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&sample))
            .map_or(Ok(0.0), str::parse::<f64>)
    };
    Ok(made("latch_answer_signatures_total")? + made("latch_license_signatures_total")?)
}

struct Worker {
    sender: SendRequest<Full<Bytes>>,
    requests: Requests,
    /// Requests left for all connections together.
    budget: Arc<AtomicU64>,
    deadline: Instant,
    /// Open loop: the first send time and the interval between sends on this connection.
    schedule: Option<(Instant, Duration)>,
}

impl Worker {
    async fn run(mut self) -> anyhow::Result<Tally> {
        let mut tally = Tally::new()?;
        let mut next_send = self.schedule.map(|(first, _)| first);
        loop {
            if let Some(at) = next_send {
                if at >= self.deadline {
                    break;
                }
                tokio::time::sleep_until(at.into()).await;
            }
            if Instant::now() >= self.deadline || !take_one(&self.budget) {
                break;
            }
            let request = self.requests.next()?;
            // Open loop: latency counts from when the request was due, not from when it went out.
            let origin = next_send.unwrap_or_else(Instant::now);
            self.sender.ready().await?;
            let response = self.sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            tally
                .latency
                .saturating_record(origin.elapsed().as_micros().max(1) as u64);
            if status.is_success() {
                tally.ok += 1;
            } else {
                tally.errors += 1;
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{status} {}", String::from_utf8_lossy(&body)));
            }
            if let (Some(at), Some((_, interval))) = (next_send.as_mut(), self.schedule) {
                *at += interval;
            }
        }
        Ok(tally)
    }
}

fn take_one(budget: &AtomicU64) -> bool {
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(1)
        })
        .is_ok()
}

struct Tally {
    /// Microseconds.
    latency: Histogram<u64>,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            // 1 µs to 60 s at 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
            ok: 0,
            errors: 0,
            first_error: None,
        })
    }

    fn merge(&mut self, other: Tally) -> anyhow::Result<()> {
        self.latency.add(&other.latency)?;
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        Ok(())
    }
}

/// Builds one connection's requests.
struct Requests {
    fixture: Arc<Fixture>,
    workload: Workload,
    host: HeaderValue,
    auth: AuthHeaders,
    rng: SplitMix,
    index: u64,
    connections: u64,
    sequence: u64,
    offset: u64,
    hot_devices: u64,
    nonce: u128,
}

impl Requests {
    fn next(&mut self) -> anyhow::Result<Request<Full<Bytes>>> {
        let sequence = self.sequence;
        self.sequence += 1;
        let devices = self.fixture.devices();
        match self.workload {
            Workload::Healthz => self.get("/healthz".to_owned(), false),
            Workload::CheckDistinct => {
                // Connection i takes devices i, i + C, i + 2C, ... so no two requests share one.
                let slot = self.offset + self.index + sequence * self.connections;
                self.check(fixture::scatter(slot, devices))
            }
            Workload::CheckUniform => {
                let device = self.rng.below(devices);
                self.check(device)
            }
            Workload::CheckZipf => {
                let rank = self.rng.zipf_rank(devices);
                self.check(fixture::scatter(rank, devices))
            }
            Workload::CheckRepeated => {
                let hot = self.rng.below(self.hot_devices.min(devices));
                self.check(fixture::scatter(hot, devices))
            }
            Workload::Activate => self.activate(sequence),
            Workload::Variables => self.variables(sequence),
            Workload::Mixed => match self.rng.below(100) {
                0..90 => {
                    let device = self.rng.below(devices);
                    self.check(device)
                }
                90..95 => self.activate(sequence),
                _ => self.variables(sequence),
            },
        }
    }

    fn check(&mut self, device: u64) -> anyhow::Result<Request<Full<Bytes>>> {
        let (license_key, hardware_id) = fixture::device(device);
        // Keys and hardware ids of the fixture are URL-safe as they are.
        self.get(
            format!(
                "/api/v4/check_license?product={PRODUCT_CODE}&license_key={license_key}&hardware_id={hardware_id}"
            ),
            true,
        )
    }

    fn activate(&mut self, sequence: u64) -> anyhow::Result<Request<Full<Bytes>>> {
        let license = self.rng.below(self.fixture.licenses);
        let body = json!({
            "product": PRODUCT_CODE,
            "license_key": fixture::license_key(license),
            "hardware_id": format!("act-{}-{}-{sequence}", self.nonce, self.index),
            "os_ver": "linux",
            "hostname": "bench",
        });
        self.post("/api/v4/activate_license", &body)
    }

    fn variables(&mut self, sequence: u64) -> anyhow::Result<Request<Full<Bytes>>> {
        let (license_key, hardware_id) = fixture::device(self.rng.below(self.fixture.devices()));
        let body = json!({
            "product": PRODUCT_CODE,
            "license_key": license_key,
            "hardware_id": hardware_id,
            "variables": { "counter": sequence, "bench": "yes" },
        });
        self.post("/api/v4/track_device_variables", &body)
    }

    fn get(&mut self, path: String, signed: bool) -> anyhow::Result<Request<Full<Bytes>>> {
        self.request(Method::GET, path, signed, Bytes::new())
    }

    fn post(
        &mut self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<Request<Full<Bytes>>> {
        let body = Bytes::from(serde_json::to_vec(body)?);
        self.request(Method::POST, path.to_owned(), true, body)
    }

    fn request(
        &mut self,
        method: Method,
        path: String,
        signed: bool,
        body: Bytes,
    ) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone());
        if signed {
            let (date, authorization) = self.auth.current(&self.fixture)?;
            builder = builder
                .header(DATE, date)
                .header(AUTHORIZATION, authorization);
        }
        if !body.is_empty() {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        Ok(builder.body(Full::new(body))?)
    }
}

/// `Date` and `Authorization` for the current second: the HMAC is computed once per second per
/// connection, so the generator spends its CPU on requests rather than on signing them.
#[derive(Default)]
struct AuthHeaders {
    cached: Option<(u64, HeaderValue, HeaderValue)>,
}

impl AuthHeaders {
    fn current(&mut self, fixture: &Fixture) -> anyhow::Result<(HeaderValue, HeaderValue)> {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH)?.as_secs();
        match &self.cached {
            Some((at, date, authorization)) if *at == second => {
                Ok((date.clone(), authorization.clone()))
            }
            _ => {
                let date = httpdate::fmt_http_date(now);
                let authorization = latch_wire::auth::authorization_header(
                    &fixture.api_key,
                    &fixture.shared_key,
                    &date,
                );
                let headers = (
                    HeaderValue::from_str(&date)?,
                    HeaderValue::from_str(&authorization)?,
                );
                self.cached = Some((second, headers.0.clone(), headers.1.clone()));
                Ok(headers)
            }
        }
    }
}

/// SplitMix64: a tiny, fast, well-mixed PRNG; the workload needs reproducible spread, not security.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: unbiased enough for n far below 2^64, and no division.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A rank in `0..n` with probability roughly proportional to 1 / (rank + 1) (Zipf, s = 1), by
    /// inverting the continuous approximation of its CDF: rank + 1 = (n + 1)^u.
    fn zipf_rank(&mut self, n: u64) -> u64 {
        let rank = ((n as f64 + 1.0).powf(self.unit()) - 1.0).floor() as u64;
        rank.min(n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_ranks_favour_the_head_and_stay_in_range() {
        let mut rng = SplitMix(7);
        let n = 2_000;
        let draws: Vec<u64> = (0..100_000).map(|_| rng.zipf_rank(n)).collect();
        assert!(draws.iter().all(|&r| r < n));
        let head = draws.iter().filter(|&&r| r < 20).count();
        // Under s = 1, the first 1 % of ranks take about ln(21) / ln(2001) ≈ 40 % of draws.
        assert!((30_000..50_000).contains(&head), "head share {head}");
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix(1);
        assert!((0..10_000).all(|_| rng.below(3) < 3));
    }
}
