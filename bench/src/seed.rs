//! Bulk seeding. The company, its API key and the product come from the `latch` CLI, so the signing key
//! and shared key are sealed exactly as in production; the licenses and devices then go straight into
//! the Latch schema as multi-row INSERTs inside one transaction, which is what makes 1M licenses take
//! seconds rather than the hours of 1M CLI calls.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Executor, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use latch_domain::CompanyId;
use latch_wire::signing::Signer;

use crate::database::Database;
use crate::fixture::{self, Fixture, MAX_ACTIVATIONS, PRODUCT_CODE};
use crate::results::{self, Record, SeedResult};

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// Number of licenses; each gets two active devices.
    #[arg(long)]
    licenses: u64,
    /// The `latch` binary used for the company, API key and product.
    #[arg(long, default_value = "target/release/latch")]
    latch_bin: PathBuf,
    /// Where to write the credentials and size for `load` and `micro`.
    #[arg(long)]
    fixture: PathBuf,
    /// Results file to append the seeding time to.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Devices, in the order `check-distinct` visits them, stored with their v1 license signature as
    /// an activation stores it (signing all 2N would take minutes of RSA work).
    #[arg(long, default_value_t = 40_000)]
    signed_devices: u64,
}

/// Rows per statement. SQLite allows at most 32,766 bound variables per statement; PostgreSQL binds one
/// array per column, so its statements can be much larger.
const SQLITE_CHUNK: u64 = 10_000;
const POSTGRES_CHUNK: u64 = 100_000;

pub fn run(args: SeedArgs) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(seed(args))
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    if args.licenses == 0 {
        bail!("--licenses must be at least 1");
    }
    let started = Instant::now();
    // The same LATCH_* variables as the CLI run below, so both open the same database.
    let database = Database::from_environment()?;
    let backend = Backend::of(&database)?;
    backend.reset(&database).await?;

    let company = latch_json(
        &args.latch_bin,
        &["company", "create", "--name", "Latch bench"],
    )?;
    let company_id = company["company_id"]
        .as_i64()
        .context("company_id missing")?;
    let product = latch_json(
        &args.latch_bin,
        &[
            "product",
            "create",
            "--company",
            &company_id.to_string(),
            "--code",
            PRODUCT_CODE,
            "--name",
            "Bench product",
        ],
    )?;
    let product_id = product["product_id"]
        .as_i64()
        .context("product_id missing")?;

    let devices = args.licenses * fixture::DEVICES_PER_LICENSE;
    let signed = signed_devices(
        &database,
        company_id,
        (0..args.signed_devices.min(devices)).map(|slot| fixture::scatter(slot, devices)),
    )
    .await?;

    let bulk_started = Instant::now();
    let mut bulk = Bulk::begin(backend, &database).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let chunk = bulk.chunk_rows();
    for first in (0..args.licenses).step_by(chunk as usize) {
        let keys = (first..(first + chunk).min(args.licenses))
            .map(fixture::license_key)
            .collect();
        bulk.insert(
            "INSERT INTO licenses (company_id, product_id, license_type, max_activations, \
             times_activated, created_at, license_key) \
             SELECT $1, $2, 'perpetual', $3, $4, $5, t.column1 FROM {rows}",
            &[
                company_id,
                product_id,
                MAX_ACTIVATIONS,
                fixture::DEVICES_PER_LICENSE as i64,
                now,
            ],
            vec![keys],
        )
        .await?;
    }
    for first in (0..devices).step_by(chunk as usize) {
        let (keys, hardware_ids) = (first..(first + chunk).min(devices))
            .map(fixture::device)
            .unzip();
        bulk.insert(
            "INSERT INTO devices (license_id, created_at, hardware_id) \
             SELECT l.id, $2, t.column2 FROM {rows} \
             JOIN licenses l ON l.product_id = $1 AND l.license_key = t.column1",
            &[product_id, now],
            vec![keys, hardware_ids],
        )
        .await?;
    }
    for rows in signed.chunks(chunk as usize) {
        let columns = (0..3)
            .map(|column| rows.iter().map(|row| row[column].clone()).collect())
            .collect();
        bulk.insert(
            "UPDATE devices SET license_signature = t.column3 FROM {rows} \
             JOIN licenses l ON l.product_id = $1 AND l.license_key = t.column1 \
             WHERE devices.license_id = l.id AND devices.hardware_id = t.column2",
            &[product_id],
            columns,
        )
        .await?;
    }
    bulk.commit().await?;
    let bulk_seconds = bulk_started.elapsed().as_secs_f64();

    let fixture = Fixture {
        backend: backend.name().to_owned(),
        licenses: args.licenses,
        company_id,
        api_key: string_field(&company, "api_key")?,
        shared_key: string_field(&company, "shared_key")?,
    };
    fixture.save(&args.fixture)?;
    let result = SeedResult {
        backend: fixture.backend.clone(),
        licenses: args.licenses,
        devices,
        seconds: started.elapsed().as_secs_f64(),
        bulk_seconds,
    };
    eprintln!(
        "seeded {} licenses and {} devices on {} in {:.1} s (bulk {:.1} s)",
        result.licenses, result.devices, result.backend, result.seconds, result.bulk_seconds
    );
    if let Some(path) = &args.results {
        results::append(path, &Record::Seed(result))?;
    }
    Ok(())
}

/// `[license key, hardware id, v1 license signature]` of each device, signed with the company's own
/// key (read through the store, which unseals it) on every core.
async fn signed_devices(
    database: &Database,
    company_id: i64,
    devices: impl Iterator<Item = u64>,
) -> anyhow::Result<Vec<[String; 3]>> {
    let store = database.open_store().await?;
    let key = store
        .company_signing_key(CompanyId::new(company_id))
        .await?;
    drop(store);
    let signer = Signer::from_pkcs8(&key)?;
    let devices: Vec<(String, String)> = devices.map(fixture::device).collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per_thread = devices.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = devices
            .chunks(per_thread)
            .map(|part| {
                let signer = &signer;
                scope.spawn(move || {
                    part.iter()
                        .map(|(license_key, hardware_id)| {
                            // A perpetual license: no validity in the signed message.
                            let signature =
                                signer.license_signature(hardware_id, license_key, None)?;
                            Ok([license_key.clone(), hardware_id.clone(), signature])
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        let mut signed = Vec::with_capacity(devices.len());
        for part in parts {
            signed.extend(part.join().expect("a signing thread panicked")?);
        }
        Ok(signed)
    })
}

/// Runs `latch <args> --json` with the inherited LATCH_* environment and parses its one JSON object.
fn latch_json(latch_bin: &Path, args: &[&str]) -> anyhow::Result<Value> {
    let output = Command::new(latch_bin)
        .args(args)
        .arg("--json")
        .output()
        .with_context(|| format!("cannot run {}", latch_bin.display()))?;
    if !output.status.success() {
        bail!(
            "latch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn string_field(value: &Value, name: &str) -> anyhow::Result<String> {
    Ok(value[name]
        .as_str()
        .with_context(|| format!("{name} missing"))?
        .to_owned())
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub(crate) fn of(database: &Database) -> anyhow::Result<Self> {
        if database.is_postgres() {
            if database.schema.is_none() {
                // Seeding starts by dropping everything; only a dedicated schema may be dropped.
                bail!("seeding PostgreSQL needs LATCH_DATABASE_SCHEMA (a schema the harness owns)");
            }
            Ok(Self::Postgres)
        } else {
            Ok(Self::Sqlite)
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// Leaves an empty database for the CLI to migrate.
    async fn reset(self, database: &Database) -> anyhow::Result<()> {
        match self {
            Self::Sqlite => {
                let path = sqlite_path(&database.url);
                for suffix in ["", "-wal", "-shm"] {
                    let file = format!("{path}{suffix}");
                    match std::fs::remove_file(&file) {
                        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                            return Err(error).with_context(|| format!("cannot remove {file}"));
                        }
                        _ => {}
                    }
                }
            }
            Self::Postgres => {
                let schema = database.schema.as_deref().unwrap_or_default();
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&database.url)
                    .await?;
                pool.execute(format!("DROP SCHEMA IF EXISTS {} CASCADE", quote(schema)).as_str())
                    .await?;
                pool.close().await;
            }
        }
        Ok(())
    }
}

/// The file of a `sqlite:` URL (`sqlite://path?options` or `sqlite:path`).
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// One open bulk-load transaction.
pub(crate) enum Bulk {
    Sqlite(SqlitePool, Transaction<'static, Sqlite>),
    Postgres(PgPool, Transaction<'static, Postgres>),
}

impl Bulk {
    pub(crate) async fn begin(backend: Backend, database: &Database) -> anyhow::Result<Self> {
        Ok(match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(&database.url)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?;
                let tx = pool.begin().await?;
                Self::Sqlite(pool, tx)
            }
            Backend::Postgres => {
                let set_path = format!(
                    "SET search_path TO {}",
                    quote(database.schema.as_deref().unwrap_or_default())
                );
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .after_connect(move |conn, _| {
                        let set_path = set_path.clone();
                        Box::pin(async move { conn.execute(set_path.as_str()).await.map(drop) })
                    })
                    .connect_with(PgConnectOptions::from_str(&database.url)?)
                    .await?;
                let tx = pool.begin().await?;
                Self::Postgres(pool, tx)
            }
        })
    }

    fn chunk_rows(&self) -> u64 {
        match self {
            Self::Sqlite(..) => SQLITE_CHUNK,
            Self::Postgres(..) => POSTGRES_CHUNK,
        }
    }

    /// Runs `statement` once for all rows of `columns` (one `Vec` per column, equal lengths). The
    /// statement names `constants` as `$1..$k` and reads the rows from `{rows}` as `t.column1..`:
    /// a multi-row VALUES list on SQLite, UNNEST of one array per column on PostgreSQL (one bound
    /// parameter per column whatever the row count, and no giant statement text to parse).
    async fn insert(
        &mut self,
        statement: &str,
        constants: &[i64],
        columns: Vec<Vec<String>>,
    ) -> anyhow::Result<()> {
        let rows = columns.first().map_or(0, Vec::len);
        match self {
            Self::Sqlite(_, tx) => {
                // Rows are anonymous `?` parameters and the constants are inlined (integers the
                // seeder made, so nothing to escape): SQLite resolves each *named* parameter such as
                // `$7` by a linear search, which made 20,000-parameter statements quadratic
                // (measured: 88 % of seeding time in sqlite3_bind_parameter_name and the parser).
                let mut sql = statement.replace("{rows}", &values_list(rows, columns.len()));
                for (index, constant) in constants.iter().enumerate().rev() {
                    sql = sql.replace(&format!("${}", index + 1), &constant.to_string());
                }
                let mut query = sqlx::query(&sql);
                for row in 0..rows {
                    for column in &columns {
                        query = query.bind(column[row].as_str());
                    }
                }
                query.execute(&mut **tx).await?;
            }
            Self::Postgres(_, tx) => {
                let sql = statement.replace("{rows}", &unnest(constants.len() + 1, columns.len()));
                let mut query = sqlx::query(&sql);
                for constant in constants {
                    query = query.bind(*constant);
                }
                for column in columns {
                    query = query.bind(column);
                }
                query.execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Runs one statement with integer parameters `$1..`.
    pub(crate) async fn execute(&mut self, statement: &str, values: &[i64]) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(_, tx) => {
                let mut query = sqlx::query(statement);
                for value in values {
                    query = query.bind(*value);
                }
                query.execute(&mut **tx).await?;
            }
            Self::Postgres(_, tx) => {
                let mut query = sqlx::query(statement);
                for value in values {
                    query = query.bind(*value);
                }
                query.execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// The one integer a statement with one parameter answers.
    pub(crate) async fn count(&mut self, statement: &str, value: i64) -> anyhow::Result<i64> {
        Ok(match self {
            Self::Sqlite(_, tx) => {
                sqlx::query_scalar(statement)
                    .bind(value)
                    .fetch_one(&mut **tx)
                    .await?
            }
            Self::Postgres(_, tx) => {
                sqlx::query_scalar(statement)
                    .bind(value)
                    .fetch_one(&mut **tx)
                    .await?
            }
        })
    }

    /// Commits. PostgreSQL then gets the planner statistics autovacuum would have gathered by the
    /// time a real deployment held this much data. SQLite is left as Latch leaves it, without
    /// ANALYZE: with sqlite_stat4 present, SQLite re-prepares the lookup statement on every call
    /// (measured: sqlite3Reprepare under each sqlite3_step), which no deployment would see.
    pub(crate) async fn commit(self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(pool, mut tx) => {
                // A bulk import is not a change any node has cached: the triggers' log of it can go.
                sqlx::query("DELETE FROM license_changes")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                pool.close().await;
            }
            Self::Postgres(pool, tx) => {
                tx.commit().await?;
                pool.execute(
                    "ANALYZE licenses, devices, customers, license_users, license_assignments",
                )
                .await?;
                pool.close().await;
            }
        }
        Ok(())
    }
}

/// `(VALUES (?,?),(?,?),...) AS t`: SQLite names the columns column1, column2, ...
fn values_list(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(","));
    format!("(VALUES {}) AS t", vec![row; rows].join(","))
}

/// `UNNEST($f::text[], ...) AS t(column1, ...)`: the same column names as the SQLite VALUES list.
fn unnest(first: usize, columns: usize) -> String {
    let arrays: Vec<String> = (0..columns)
        .map(|c| format!("${}::text[]", first + c))
        .collect();
    let names: Vec<String> = (1..=columns).map(|c| format!("column{c}")).collect();
    format!("UNNEST({}) AS t({})", arrays.join(", "), names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sources_list_every_row_or_column() {
        assert_eq!(values_list(2, 2), "(VALUES (?,?),(?,?)) AS t");
        assert_eq!(
            unnest(3, 2),
            "UNNEST($3::text[], $4::text[]) AS t(column1, column2)"
        );
    }

    #[test]
    fn sqlite_paths_lose_scheme_and_options() {
        assert_eq!(sqlite_path("sqlite:///tmp/a.db?mode=rwc"), "/tmp/a.db");
        assert_eq!(sqlite_path("sqlite:a.db"), "a.db");
    }
}
