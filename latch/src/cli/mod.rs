//! Command-line interface. Vendor commands work directly on the configured database; `--json` makes
//! each print one JSON object.

mod catalog;
mod licenses;
mod master_key;
mod serve;

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use latch_server::admin;
use latch_server::config::Config;
use latch_store::Store;
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(
    name = "latch",
    version,
    about = "Self-hosted licensing server speaking the LicenseSpring License API v4"
)]
pub struct Args {
    /// TOML configuration file; LATCH_* environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// Companies (tenants).
    #[command(subcommand)]
    Company(catalog::CompanyCommand),
    /// API keys of a company.
    #[command(subcommand, name = "api-key")]
    ApiKey(catalog::ApiKeyCommand),
    /// Products, their features and releases.
    #[command(subcommand)]
    Product(catalog::ProductCommand),
    /// Customers (license holders).
    #[command(subcommand)]
    Customer(catalog::CustomerCommand),
    /// License users (for user-based products).
    #[command(subcommand)]
    User(catalog::UserCommand),
    /// Licenses.
    #[command(subcommand)]
    License(licenses::LicenseCommand),
    /// Devices on a license.
    #[command(subcommand)]
    Device(licenses::DeviceCommand),
    /// The master key that seals signing keys and shared keys at rest.
    #[command(subcommand, name = "master-key")]
    MasterKey(master_key::MasterKeyCommand),
}

/// A date: YYYY-MM-DD (midnight UTC) or RFC 3339.
fn parse_date(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("invalid date {value:?}: expected YYYY-MM-DD or RFC 3339"))
}

/// Metadata: a JSON object whose keys JavaScript keeps in order (no integer-like keys), so signed
/// bodies survive the Node SDK's re-serialization.
fn parse_metadata(value: &str) -> Result<String, String> {
    let parsed: Value =
        serde_json::from_str(value).map_err(|e| format!("metadata is not JSON: {e}"))?;
    let Value::Object(map) = &parsed else {
        return Err("metadata must be a JSON object".into());
    };
    if let Some(key) = map.keys().find(|k| k.parse::<u32>().is_ok()) {
        return Err(format!(
            "metadata key {key:?} looks like an array index; use a non-numeric key"
        ));
    }
    Ok(parsed.to_string())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::from_environment(args.config.as_deref())?;
    if let Command::Serve(serve) = &args.command {
        serve.apply(&mut config)?;
    }
    init_logging(&config.log);
    let store = admin::open_store(&config)
        .await
        .with_context(|| format!("cannot open database {}", config.database_url))?;
    let output = match args.command {
        Command::Serve(serve) => return serve::serve(&config, store, serve.demo).await,
        Command::Company(command) => catalog::company(store.as_ref(), command).await?,
        Command::ApiKey(command) => catalog::api_key(store.as_ref(), command).await?,
        Command::Product(command) => catalog::product(store.as_ref(), command).await?,
        Command::Customer(command) => catalog::customer(store.as_ref(), command).await?,
        Command::User(command) => catalog::user(store.as_ref(), command).await?,
        Command::License(command) => licenses::license(store.as_ref(), command).await?,
        Command::Device(command) => licenses::device(store.as_ref(), command).await?,
        Command::MasterKey(command) => {
            master_key::master_key(&config, store.as_ref(), command).await?
        }
    };
    print_output(&output, args.json);
    Ok(())
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Text output prints a bare string as is (a PEM can be redirected to a file) and other fields as
/// `name: value` lines.
fn print_output(output: &Value, as_json: bool) {
    if as_json {
        println!("{output}");
        return;
    }
    match output {
        Value::String(text) => print!("{text}"),
        Value::Object(map) => {
            for (name, value) in map {
                match value {
                    Value::String(s) => println!("{name}: {s}"),
                    other => println!("{name}: {other}"),
                }
            }
        }
        other => println!("{other}"),
    }
}

async fn require_company(store: &dyn Store, company_id: i64) -> anyhow::Result<()> {
    store
        .company(company_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| anyhow!("no company with id {company_id}"))
}

async fn require_product(
    store: &dyn Store,
    company_id: i64,
    code: &str,
) -> anyhow::Result<latch_store::Product> {
    require_company(store, company_id).await?;
    store
        .product(company_id, code)
        .await?
        .ok_or_else(|| anyhow!("no product with code {code} in company {company_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_or_rfc3339() {
        assert_eq!(
            parse_date("2030-01-02").unwrap().to_rfc3339(),
            "2030-01-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2030-01-02T03:04:05+02:00")
                .unwrap()
                .to_rfc3339(),
            "2030-01-02T01:04:05+00:00"
        );
        assert!(parse_date("02/01/2030").is_err());
    }

    #[test]
    fn metadata_must_be_an_object_without_index_keys() {
        assert_eq!(
            parse_metadata(r#"{"tier":"gold"}"#).unwrap(),
            r#"{"tier":"gold"}"#
        );
        assert!(parse_metadata("[1]").is_err());
        assert!(parse_metadata(r#"{"10":"x"}"#).is_err());
        assert!(parse_metadata("{").is_err());
    }
}
