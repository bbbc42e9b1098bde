//! In-process floors: one RSA-2048 signature with the signer Latch uses, one `Store::lookup` (the only
//! storage read of check_license) against the seeded database, and the storage work of one activation.
//! All run on one thread, one operation at a time, so they are per-operation costs, not throughput.
//!
//! On SQLite the lookup is measured twice: through the store (sqlx-sqlite, which runs each connection
//! on a worker thread of its own) and as `store-lookup-rusqlite`, the same statement on the calling
//! thread through rusqlite, which tells how much of the former is hand-off between threads. It also
//! times the rate of durable one-row insert transactions on the same file system, the floor an
//! activation on SQLite (a durable write transaction) is compared with.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use latch_domain::{decide_activation, CompanyId};
use latch_store::{ClaimTicket, DeviceInfo, DeviceKey, LicenseIdent};
use latch_wire::signing::{generate_key, Signer};
use rusqlite::types::Value;
use rusqlite::{named_params, Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;

use crate::database::Database;
use crate::fixture::{self, Fixture, PRODUCT_CODE};
use crate::procfs;
use crate::results::{self, MicroResult, Record};

/// The name of the one-signature measurement.
pub const RSA_SIGN: &str = "rsa2048-sign";
/// The name of the measurement of `check_license`'s storage read.
pub const STORE_LOOKUP: &str = "store-lookup";
/// The name of the measurement of an activation's storage work.
pub const STORE_ACTIVATE: &str = "store-activate";

#[derive(Debug, clap::Args)]
pub struct MicroArgs {
    /// Measure `Store::lookup` on this seeded database (the LATCH_* environment must name it);
    /// without it, only the RSA signature is measured.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Skip the RSA measurement.
    #[arg(long)]
    no_rsa: bool,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    #[arg(long)]
    results: Option<PathBuf>,
}

pub fn run(args: MicroArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs_f64(args.seconds);
    let fixture = args.fixture.as_deref().map(Fixture::load).transpose()?;
    let mut measured = Vec::new();
    if !args.no_rsa {
        measured.push(rsa(duration, fixture.as_ref())?);
    }
    if let Some(fixture) = &fixture {
        // One thread: the lookup's own cost, not how well it overlaps with others.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        measured.push(runtime.block_on(lookup(fixture, duration))?);
        measured.push(runtime.block_on(activation_storage(fixture, duration))?);
        let database = Database::from_environment()?;
        if !database.is_postgres() {
            measured.push(lookup_rusqlite(&database, fixture, duration)?);
            measured.push(insert_transactions(&database, fixture, duration)?);
        }
    }
    for result in measured {
        eprintln!(
            "{} ({}): {:.1} µs wall, {:.1} µs CPU per op over {} ops",
            result.name,
            result.backend.as_deref().unwrap_or("-"),
            result.wall_us_per_op,
            result.cpu_us_per_op,
            result.ops
        );
        if let Some(path) = &args.results {
            results::append(path, &Record::Micro(result))?;
        }
    }
    Ok(())
}

/// Runs `op` repeatedly for `duration` and reports wall and process CPU time per call.
async fn measure<F, Fut>(duration: Duration, mut op: F) -> anyhow::Result<(u64, f64, f64)>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let pid = std::process::id();
    let cpu_before = procfs::cpu_seconds(pid)?;
    let start = Instant::now();
    let mut ops = 0;
    while start.elapsed() < duration {
        op(ops).await?;
        ops += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = procfs::cpu_seconds(pid)? - cpu_before;
    Ok((ops, wall * 1e6 / ops as f64, cpu * 1e6 / ops as f64))
}

/// One signature's cost; with a fixture, recorded as that suite's (the host's speed drifts over a
/// run, so each suite's ratios divide by a signature measured next to its loads).
fn rsa(duration: Duration, suite: Option<&Fixture>) -> anyhow::Result<MicroResult> {
    let key = generate_key()?;
    let signer = Signer::from_pkcs8(&key.pkcs8_der)?;
    // About the size of a check_license body; RSA cost barely depends on it (one SHA-256 pass).
    let body = vec![b'x'; 1_500];
    let (ops, wall_us_per_op, cpu_us_per_op) = futures_lite_block_on(measure(duration, |_| {
        let result = signer.sign(&body).map(drop).map_err(anyhow::Error::from);
        std::future::ready(result)
    }))?;
    Ok(MicroResult {
        name: RSA_SIGN.to_owned(),
        backend: suite.map(|fixture| fixture.backend.clone()),
        licenses: suite.map(|fixture| fixture.licenses),
        ops,
        wall_us_per_op,
        cpu_us_per_op,
    })
}

/// The RSA loop has nothing to await; a current-thread runtime is the simplest executor for it.
fn futures_lite_block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime without drivers always builds")
        .block_on(future)
}

async fn lookup(fixture: &Fixture, duration: Duration) -> anyhow::Result<MicroResult> {
    let store = Database::from_environment()?.open_store().await?;
    let devices = fixture.devices();
    let (ops, wall_us_per_op, cpu_us_per_op) = measure(duration, |op| {
        let store = store.clone();
        // Distinct devices spread over the table, as check-distinct asks for them.
        let (license_key, hardware_id) = fixture::device(fixture::scatter(op, devices));
        let company_id = CompanyId::new(fixture.company_id);
        async move {
            let found = store
                .lookup(&DeviceKey {
                    company_id,
                    product_code: PRODUCT_CODE,
                    ident: LicenseIdent::Key(&license_key),
                    license_id: None,
                    hardware_id: &hardware_id,
                })
                .await?;
            anyhow::ensure!(
                found.device.is_some(),
                "seeded device {hardware_id} not found"
            );
            Ok(())
        }
    })
    .await?;
    Ok(MicroResult {
        name: STORE_LOOKUP.to_owned(),
        backend: Some(fixture.backend.clone()),
        licenses: Some(fixture.licenses),
        ops,
        wall_us_per_op,
        cpu_us_per_op,
    })
}

/// What an activation asks of storage on its request path, without HTTP or signatures: the read
/// that finds no identical request claimed, and the activation's transaction, which claims the
/// request first, for a new hardware id on a seeded license. The floor under `activate`'s CPU,
/// beside its two signatures.
async fn activation_storage(fixture: &Fixture, duration: Duration) -> anyhow::Result<MicroResult> {
    let store = Database::from_environment()?.open_store().await?;
    let company_id = CompanyId::new(fixture.company_id);
    // Unique across runs on the same database, as the load generator's activations are.
    let nonce = chrono::Utc::now().timestamp_millis();
    let info = DeviceInfo::default();
    let (ops, wall_us_per_op, cpu_us_per_op) = measure(duration, |op| {
        let store = store.clone();
        let license_key = fixture::license_key(fixture::scatter(op, fixture.licenses));
        let hardware_id = format!("micro-{nonce}-{op}");
        let info = &info;
        async move {
            let now = chrono::Utc::now();
            // The request hash only has to be new; the hardware id is.
            let claimed = store.claimed_request(&hardware_id, now).await?;
            anyhow::ensure!(claimed.is_none(), "request claimed before");
            store
                .activate(
                    &DeviceKey {
                        company_id,
                        product_code: PRODUCT_CODE,
                        ident: LicenseIdent::Key(&license_key),
                        license_id: None,
                        hardware_id: &hardware_id,
                    },
                    info,
                    &[],
                    &|license, device| decide_activation(license, device, false, now),
                    now,
                    Some(ClaimTicket {
                        request_hash: &hardware_id,
                        fresh_after: now,
                    }),
                )
                .await?;
            Ok(())
        }
    })
    .await?;
    Ok(MicroResult {
        name: STORE_ACTIVATE.to_owned(),
        backend: Some(fixture.backend.clone()),
        licenses: Some(fixture.licenses),
        ops,
        wall_us_per_op,
        cpu_us_per_op,
    })
}

/// `store-lookup` without the store: the same statement, parameters and device sample, run with
/// rusqlite on the calling thread from a cached prepared statement. Every column of every row is
/// copied out as an owned value (strings and blobs allocated), standing in for decoding into
/// `LicenseLookup`, whose row decoders are written against sqlx.
fn lookup_rusqlite(
    database: &Database,
    fixture: &Fixture,
    duration: Duration,
) -> anyhow::Result<MicroResult> {
    let connection = open_reader(&database.url)?;
    let sql = latch_store::lookup_by_key_sql(false);
    let device_id = connection.prepare_cached(&sql)?.column_index("d_id")?;
    let devices = fixture.devices();
    let (ops, wall_us_per_op, cpu_us_per_op) = futures_lite_block_on(measure(duration, |op| {
        let (license_key, hardware_id) = fixture::device(fixture::scatter(op, devices));
        let found = (|| {
            let rows = lookup_rows(
                &connection,
                &sql,
                fixture.company_id,
                &license_key,
                &hardware_id,
            )?;
            anyhow::ensure!(
                rows.first()
                    .is_some_and(|row| row[device_id] != Value::Null),
                "seeded device {hardware_id} not found"
            );
            Ok(())
        })();
        std::future::ready(found)
    }))?;
    Ok(MicroResult {
        name: "store-lookup-rusqlite".to_owned(),
        backend: Some(fixture.backend.clone()),
        licenses: Some(fixture.licenses),
        ops,
        wall_us_per_op,
        cpu_us_per_op,
    })
}

/// The name of the raw insert measurement, which the report reads.
pub const SQLITE_INSERT_TRANSACTION: &str = "sqlite-insert-transaction";

/// One-row insert transactions, one at a time, in a scratch database beside the seeded one, committed
/// as Latch's writer commits (WAL, `synchronous=FULL`): what one durable SQLite write costs here.
fn insert_transactions(
    database: &Database,
    fixture: &Fixture,
    duration: Duration,
) -> anyhow::Result<MicroResult> {
    let seeded = SqliteConnectOptions::from_str(&database.url)?
        .get_filename()
        .to_owned();
    let scratch = seeded.with_file_name("raw-inserts.db");
    // The database and its WAL files, from an earlier run or this one.
    let remove_scratch = || -> std::io::Result<()> {
        for suffix in ["", "-wal", "-shm"] {
            match std::fs::remove_file(format!("{}{suffix}", scratch.display())) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        Ok(())
    };
    remove_scratch()?;
    let mut connection = Connection::open(&scratch)?;
    let journal_mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    anyhow::ensure!(journal_mode == "wal", "journal mode is {journal_mode}");
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.execute_batch(
        "CREATE TABLE inserted (id INTEGER PRIMARY KEY, hardware_id TEXT NOT NULL, at INTEGER NOT NULL)",
    )?;
    let (ops, wall_us_per_op, cpu_us_per_op) = futures_lite_block_on(measure(duration, |op| {
        let inserted = (|| {
            let transaction = connection.transaction()?;
            transaction.execute(
                "INSERT INTO inserted (hardware_id, at) VALUES (?1, ?2)",
                rusqlite::params![format!("device-{op}"), op as i64],
            )?;
            transaction.commit()
        })();
        std::future::ready(inserted.map_err(anyhow::Error::from))
    }))?;
    drop(connection);
    remove_scratch()?;
    Ok(MicroResult {
        name: SQLITE_INSERT_TRANSACTION.to_owned(),
        backend: Some(fixture.backend.clone()),
        licenses: Some(fixture.licenses),
        ops,
        wall_us_per_op,
        cpu_us_per_op,
    })
}

/// A reader connection as the store opens its pool's: read-only, WAL, a 16 MiB page cache.
fn open_reader(url: &str) -> anyhow::Result<Connection> {
    let path = SqliteConnectOptions::from_str(url)?
        .get_filename()
        .to_owned();
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    let journal_mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    anyhow::ensure!(journal_mode == "wal", "journal mode is {journal_mode}");
    connection.pragma_update(None, "cache_size", -16384)?;
    Ok(connection)
}

fn lookup_rows(
    connection: &Connection,
    sql: &str,
    company_id: i64,
    license_key: &str,
    hardware_id: &str,
) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut statement = connection.prepare_cached(sql)?;
    let columns = statement.column_count();
    let mut rows = statement.query(named_params! {
        "$1": company_id,
        "$2": PRODUCT_CODE,
        "$3": license_key,
        "$4": hardware_id,
    })?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        found.push(
            (0..columns)
                .map(|column| row.get_ref(column).map(Value::from))
                .collect::<rusqlite::Result<_>>()?,
        );
    }
    Ok(found)
}
