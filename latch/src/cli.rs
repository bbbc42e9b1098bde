//! Command-line interface. Vendor commands work directly on the configured database; `--json` makes
//! each print one JSON object.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use latch_domain::LicenseType;
use latch_server::admin::{self, create_api_key, create_company, generate_license_key};
use latch_server::config::Config;
use latch_store::{Device, License, NewLicense, NewProduct, Store};
use serde_json::{json, Value};

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
    Serve {
        /// Address to listen on (overrides LATCH_LISTEN); port 0 picks a free port.
        #[arg(long)]
        listen: Option<String>,
        /// On an empty database, create a demo company, product and licenses and print how to use them.
        #[arg(long)]
        demo: bool,
    },
    /// Companies (tenants).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// API keys of a company.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Products.
    #[command(subcommand)]
    Product(ProductCommand),
    /// Licenses.
    #[command(subcommand)]
    License(LicenseCommand),
    /// Devices on a license.
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Debug, Subcommand)]
enum CompanyCommand {
    /// Create a company with its signing key pair and a first API key.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Print the company's public key (PEM) for the SDKs.
    PublicKey {
        #[arg(long)]
        company: i64,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeyCommand {
    /// Create an API key and shared key.
    Create {
        #[arg(long)]
        company: i64,
        /// The key may read but not activate, deactivate or change devices.
        #[arg(long)]
        read_only: bool,
    },
    /// Revoke an API key.
    Revoke { key: String },
}

#[derive(Debug, Subcommand)]
enum ProductCommand {
    Create {
        #[arg(long)]
        company: i64,
        /// Short code the SDKs send as `product`.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// Refuse activations on virtual machines for every license of the product.
        #[arg(long)]
        prevent_vm: bool,
    },
}

/// Which license a command is about: a key, and the company when keys repeat across companies.
#[derive(Debug, clap::Args)]
struct LicenseRef {
    key: String,
    #[arg(long)]
    company: Option<i64>,
}

#[derive(Debug, Subcommand)]
enum LicenseCommand {
    Create {
        #[arg(long)]
        company: i64,
        /// Product short code.
        #[arg(long)]
        product: String,
        /// License key; generated when omitted.
        #[arg(long)]
        key: Option<String>,
        #[arg(long, default_value_t = 1)]
        max_activations: i64,
        #[arg(long = "type", default_value = "perpetual", value_parser = parse_license_type)]
        license_type: LicenseType,
        /// End of validity: YYYY-MM-DD (midnight UTC) or RFC 3339.
        #[arg(long, value_parser = parse_date)]
        valid_until: Option<DateTime<Utc>>,
        /// No activation before this date: YYYY-MM-DD (midnight UTC) or RFC 3339.
        #[arg(long, value_parser = parse_date)]
        start_date: Option<DateTime<Utc>>,
        #[arg(long)]
        disabled: bool,
        #[arg(long)]
        prevent_vm: bool,
    },
    Show(LicenseRef),
    Enable(LicenseRef),
    Disable(LicenseRef),
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    List {
        #[arg(long = "license")]
        key: String,
        #[arg(long)]
        company: Option<i64>,
    },
    /// Blacklist a hardware id on a license (it need not have activated yet).
    Blacklist {
        #[arg(long = "license")]
        key: String,
        #[arg(long)]
        company: Option<i64>,
        #[arg(long)]
        hardware_id: String,
    },
}

fn parse_license_type(value: &str) -> Result<LicenseType, String> {
    value
        .parse()
        .map_err(|e: latch_domain::ParseLicenseTypeError| e.to_string())
}

fn parse_date(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    DateTime::parse_from_rfc3339(value)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("invalid date {value:?}: expected YYYY-MM-DD or RFC 3339"))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = Config::from_environment(args.config.as_deref())?;
    if let Command::Serve {
        listen: Some(listen),
        ..
    } = &args.command
    {
        config.listen = listen
            .parse()
            .map_err(|_| anyhow!("invalid listen address {listen:?} (expected host:port)"))?;
    }
    init_logging(&config.log);
    let store = admin::open_store(&config)
        .await
        .with_context(|| format!("cannot open database {}", config.database_url))?;
    let output = match args.command {
        Command::Serve { demo, .. } => return serve(&config, store, demo).await,
        Command::Company(command) => company(store.as_ref(), command).await?,
        Command::ApiKey(command) => api_key(store.as_ref(), command).await?,
        Command::Product(command) => product(store.as_ref(), command).await?,
        Command::License(command) => license(store.as_ref(), command).await?,
        Command::Device(command) => device(store.as_ref(), command).await?,
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

/// Text output prints `public_key_pem` as is (so it can be redirected to a file) and other fields as
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

async fn serve(config: &Config, store: Arc<dyn Store>, demo: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if demo {
        create_demo(config, store.as_ref(), address).await?;
    }
    // Tests and scripts read this line to learn the address.
    println!("listening on http://{address}");
    tracing::info!(%address, database = %config.database_url, "latch started");
    latch_server::serve(listener, store).await
}

async fn create_demo(
    config: &Config,
    store: &dyn Store,
    address: std::net::SocketAddr,
) -> anyhow::Result<()> {
    if store.company_count().await? > 0 {
        println!(
            "demo: the database already has data; the demo keys were printed when it was created"
        );
        return Ok(());
    }
    let (company, api_key) = create_company(store, "Demo Company").await?;
    let now = Utc::now();
    let product = store
        .create_product(
            NewProduct {
                company_id: company.id,
                code: "demo".into(),
                name: "Demo Product".into(),
                prevent_vm: false,
            },
            now,
        )
        .await?;
    let mut keys = Vec::new();
    for (license_type, validity, max_activations) in [
        (LicenseType::Perpetual, None, 3),
        (
            LicenseType::TimeLimited,
            Some(now + chrono::Duration::days(365)),
            1,
        ),
    ] {
        let license = store
            .create_license(
                NewLicense {
                    company_id: company.id,
                    product_id: product.id,
                    license_key: generate_license_key()?,
                    license_type,
                    enabled: true,
                    prevent_vm: false,
                    start_date: None,
                    validity_period: validity,
                    max_activations,
                },
                now,
            )
            .await?;
        keys.push(format!(
            "{} ({license_type}, {max_activations} activations)",
            license.license_key
        ));
    }
    let pem_path = config.data_dir.join("demo-public-key.pem");
    std::fs::write(&pem_path, &company.public_key_pem)?;
    println!("demo company created; these secrets are shown only now:");
    println!("  url:            http://{address}");
    println!("  api key:        {}", api_key.api_key);
    println!("  shared key:     {}", api_key.shared_key);
    println!("  public key PEM: {}", pem_path.display());
    println!("  product code:   {}", product.code);
    for key in keys {
        println!("  license key:    {key}");
    }
    Ok(())
}

async fn company(store: &dyn Store, command: CompanyCommand) -> anyhow::Result<Value> {
    match command {
        CompanyCommand::Create { name } => {
            if name.trim().is_empty() {
                bail!("company name must not be empty");
            }
            let (company, key) = create_company(store, &name).await?;
            Ok(json!({
                "company_id": company.id,
                "name": company.name,
                "api_key": key.api_key,
                "shared_key": key.shared_key,
                "public_key_pem": company.public_key_pem,
            }))
        }
        CompanyCommand::PublicKey { company } => {
            let found = store
                .company(company)
                .await?
                .ok_or_else(|| anyhow!("no company with id {company}"))?;
            Ok(Value::String(found.public_key_pem))
        }
    }
}

async fn require_company(store: &dyn Store, company_id: i64) -> anyhow::Result<()> {
    store
        .company(company_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| anyhow!("no company with id {company_id}"))
}

async fn api_key(store: &dyn Store, command: ApiKeyCommand) -> anyhow::Result<Value> {
    match command {
        ApiKeyCommand::Create { company, read_only } => {
            require_company(store, company).await?;
            let key = create_api_key(store, company, read_only).await?;
            Ok(json!({
                "company_id": key.company_id,
                "api_key": key.api_key,
                "shared_key": key.shared_key,
                "read_only": key.read_only,
            }))
        }
        ApiKeyCommand::Revoke { key } => {
            store
                .revoke_api_key(&key)
                .await
                .map_err(|_| anyhow!("no API key {key}"))?;
            Ok(json!({"api_key": key, "revoked": true}))
        }
    }
}

async fn product(store: &dyn Store, command: ProductCommand) -> anyhow::Result<Value> {
    let ProductCommand::Create {
        company,
        code,
        name,
        prevent_vm,
    } = command;
    require_company(store, company).await?;
    if code.trim().is_empty() || code.len() > 128 {
        bail!("product code must have 1 to 128 characters");
    }
    let product = store
        .create_product(
            NewProduct {
                company_id: company,
                code,
                name,
                prevent_vm,
            },
            Utc::now(),
        )
        .await?;
    Ok(json!({"product_id": product.id, "code": product.code, "name": product.name}))
}

async fn find_license(store: &dyn Store, reference: &LicenseRef) -> anyhow::Result<License> {
    let mut found = store
        .licenses_by_key(reference.company, &reference.key)
        .await?;
    match found.len() {
        0 => bail!("no license with key {}", reference.key),
        1 => Ok(found.remove(0)),
        _ => bail!(
            "license key {} exists in several companies or products; pass --company",
            reference.key
        ),
    }
}

async fn license_json(store: &dyn Store, license: &License) -> anyhow::Result<Value> {
    let product = store.product_by_id(license.product_id).await?;
    Ok(json!({
        "license_id": license.id,
        "license_key": license.license_key,
        "product": product.code,
        "license_type": license.license_type.as_str(),
        "enabled": license.enabled,
        "max_activations": license.max_activations,
        "times_activated": license.times_activated,
        "start_date": license.start_date.map(|d| d.to_rfc3339()),
        "validity_period": license.validity_period.map(|d| d.to_rfc3339()),
        "prevent_vm": license.prevent_vm,
    }))
}

async fn license(store: &dyn Store, command: LicenseCommand) -> anyhow::Result<Value> {
    match command {
        LicenseCommand::Create {
            company,
            product,
            key,
            max_activations,
            license_type,
            valid_until,
            start_date,
            disabled,
            prevent_vm,
        } => {
            require_company(store, company).await?;
            let product = store
                .product(company, &product)
                .await?
                .ok_or_else(|| anyhow!("no product with code {product} in company {company}"))?;
            if max_activations < 0 {
                bail!("--max-activations must not be negative");
            }
            match (license_type, valid_until) {
                (LicenseType::Perpetual, Some(_)) => {
                    bail!("a perpetual license has no --valid-until")
                }
                (LicenseType::TimeLimited | LicenseType::Subscription, None) => {
                    bail!("a {license_type} license needs --valid-until")
                }
                _ => {}
            }
            let license_key = match key {
                Some(key) if key.trim().is_empty() => bail!("--key must not be empty"),
                Some(key) => key,
                None => generate_license_key()?,
            };
            let license = store
                .create_license(
                    NewLicense {
                        company_id: company,
                        product_id: product.id,
                        license_key,
                        license_type,
                        enabled: !disabled,
                        prevent_vm,
                        start_date,
                        validity_period: valid_until,
                        max_activations,
                    },
                    Utc::now(),
                )
                .await?;
            license_json(store, &license).await
        }
        LicenseCommand::Show(reference) => {
            let license = find_license(store, &reference).await?;
            license_json(store, &license).await
        }
        LicenseCommand::Enable(reference) => set_enabled(store, &reference, true).await,
        LicenseCommand::Disable(reference) => set_enabled(store, &reference, false).await,
    }
}

async fn set_enabled(
    store: &dyn Store,
    reference: &LicenseRef,
    enabled: bool,
) -> anyhow::Result<Value> {
    let license = find_license(store, reference).await?;
    store.set_license_enabled(license.id, enabled).await?;
    Ok(json!({"license_id": license.id, "license_key": license.license_key, "enabled": enabled}))
}

fn device_json(device: &Device) -> Value {
    json!({
        "id": device.id,
        "hardware_id": device.hardware_id,
        "active": device.active,
        "blacklisted": device.blacklisted,
        "is_vm": device.is_vm,
        "os_ver": device.os_ver,
        "hostname": device.hostname,
        "created_at": device.created_at.to_rfc3339(),
        "last_check_at": device.last_check_at.map(|d| d.to_rfc3339()),
    })
}

async fn device(store: &dyn Store, command: DeviceCommand) -> anyhow::Result<Value> {
    match command {
        DeviceCommand::List { key, company } => {
            let license = find_license(store, &LicenseRef { key, company }).await?;
            let devices = store.devices(license.id).await?;
            Ok(json!({"devices": devices.iter().map(device_json).collect::<Vec<_>>()}))
        }
        DeviceCommand::Blacklist {
            key,
            company,
            hardware_id,
        } => {
            let license = find_license(store, &LicenseRef { key, company }).await?;
            let device = store
                .blacklist_device(license.id, &hardware_id, Utc::now())
                .await?;
            Ok(json!({
                "device_id": device.id,
                "hardware_id": device.hardware_id,
                "blacklisted": device.blacklisted,
            }))
        }
    }
}
