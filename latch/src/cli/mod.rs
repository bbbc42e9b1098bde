//! Command-line interface: each vendor command parses its flags, calls one service operation and
//! prints the result (`--json`: one JSON object). Only `serve` reaches the HTTP server crate.

mod companies;
mod customer_accounts;
mod licenses;
mod log_lines;
mod management;
mod master_key;
mod oauth;
mod offline;
mod output;
mod people;
mod products;
mod serve;
mod staff;
mod webhooks;

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use latch_domain::CompanyId;
use latch_service::config::{Config, LogFormat};
use latch_service::{Page, Service, ServiceError};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(
    name = "latch",
    version,
    about = "Self-hosted licensing server speaking the LicenseSpring License API v4",
    arg_required_else_help = true
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
    Company(companies::CompanyCommand),
    /// API keys of a company.
    #[command(subcommand, name = "api-key")]
    ApiKey(companies::ApiKeyCommand),
    /// OAuth clients of a company: credentials apps trade for License API access tokens.
    #[command(subcommand, name = "oauth-client")]
    OAuthClient(oauth::OAuthClientCommand),
    /// Products, their features and releases.
    #[command(subcommand)]
    Product(products::ProductCommand),
    /// Customers (license holders).
    #[command(subcommand)]
    Customer(people::CustomerCommand),
    /// Customer accounts and the identity providers (OpenID Connect) their people sign in with.
    #[command(subcommand, name = "customer-account")]
    CustomerAccount(customer_accounts::CustomerAccountCommand),
    /// License users (for user-based products).
    #[command(subcommand)]
    User(people::UserCommand),
    /// Licenses.
    #[command(subcommand)]
    License(licenses::LicenseCommand),
    /// Devices on a license.
    #[command(subcommand)]
    Device(licenses::DeviceCommand),
    /// Keys to the Management API (`/api/v1/`).
    #[command(subcommand, name = "management-key")]
    ManagementKey(management::ManagementKeyCommand),
    /// The company's event log, newest first.
    Events(management::EventsArgs),
    /// The master key that seals signing keys and shared keys at rest.
    #[command(subcommand, name = "master-key")]
    MasterKey(master_key::MasterKeyCommand),
    /// Copy the live SQLite database into a new file (for PostgreSQL, use pg_dump).
    Backup(BackupArgs),
    /// Offline activation: answer devices' request files, make refresh files.
    #[command(subcommand)]
    Offline(offline::OfflineCommand),
    /// Webhook endpoints the company's events are delivered to.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCommand),
    /// Dashboard accounts of a company (`/dashboard/`).
    #[command(subcommand)]
    Staff(staff::StaffCommand),
}

#[derive(Debug, clap::Args)]
struct BackupArgs {
    /// The copy to write; an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Which company a command works on.
#[derive(Debug, Clone, clap::Args)]
struct CompanyArg {
    /// Company id (as printed by `company create`).
    #[arg(long)]
    company: i64,
}

impl CompanyArg {
    fn id(&self) -> CompanyId {
        CompanyId::new(self.company)
    }
}

/// Which page of a list to print.
#[derive(Debug, Clone, clap::Args)]
struct PageArgs {
    /// Most items to print.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: u32,
    /// Items to skip.
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

impl PageArgs {
    fn page(&self) -> Page {
        Page {
            limit: self.limit,
            offset: self.offset,
        }
    }
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

/// Metadata as a JSON object, checked while parsing the flags.
fn parse_metadata(value: &str) -> Result<String, String> {
    latch_service::validate_metadata(value).map_err(|error| match error {
        ServiceError::Invalid { message, .. } => format!("metadata {message}"),
        other => other.to_string(),
    })
}

/// What `args` asks for; the log lines it gathered are written before it returns.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let result = run_command(args).await;
    log_lines::write_gathered();
    result
}

async fn run_command(args: Args) -> anyhow::Result<()> {
    let mut config = Config::from_environment(args.config.as_deref())?;
    if let Command::Serve(serve) = &args.command {
        serve.apply(&mut config)?;
    }
    init_logging(&config.log, config.log_format);
    let service = Service::new(latch_service::setup::open_store(&config).await?);
    let output = match args.command {
        Command::Serve(serve) => {
            return serve::serve(&config, service, serve.demo, args.json).await
        }
        Command::Company(command) => companies::company(&service, command).await,
        Command::ApiKey(command) => companies::api_key(&service, command).await,
        Command::OAuthClient(command) => oauth::oauth_client(&service, command).await,
        Command::Product(command) => products::product(&service, command).await,
        Command::Customer(command) => people::customer(&service, command).await,
        Command::CustomerAccount(command) => {
            customer_accounts::customer_account(&service, command).await
        }
        Command::User(command) => people::user(&service, command).await,
        Command::License(command) => licenses::license(&service, command).await,
        Command::Device(command) => licenses::device(&service, command).await,
        Command::ManagementKey(command) => management::management_key(&service, command).await,
        Command::Events(args) => management::events(&service, args).await,
        Command::MasterKey(command) => master_key::master_key(&config, &service, command).await,
        Command::Backup(backup) => latch_service::backup::backup(&config, &backup.out)
            .await
            .map(|()| serde_json::json!({ "backup": backup.out.display().to_string() })),
        Command::Offline(command) => {
            let output = offline::offline(&service, command).await?;
            output::print(&output, args.json);
            return Ok(());
        }
        Command::Webhook(command) => webhooks::webhook(&service, &config.webhooks, command).await,
        Command::Staff(command) => staff::staff(&service, command).await,
    }
    .map_err(explain)?;
    output::print(&output, args.json);
    Ok(())
}

/// A refused value names the flag to fix, as the user typed it.
fn explain(error: ServiceError) -> anyhow::Error {
    match error {
        ServiceError::Invalid { field, message } => anyhow::anyhow!("{}: {message}", flag(field)),
        other => other.into(),
    }
}

/// The flag that sets a service field.
fn flag(field: &str) -> String {
    match field {
        "license_type" => "--type".to_owned(),
        "validity_period" => "--valid-until".to_owned(),
        "license_key" => "--key".to_owned(),
        "maintenance_period" => "--maintenance-until".to_owned(),
        "oidc_redirect_uris" => "--oidc-redirect-uri".to_owned(),
        "customer_account" => "--account".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// Log lines go to stderr: text (coloured on a terminal only) or one JSON object per line, gathered
/// (see [`log_lines`]). A line that cannot be written (a full disk under the journal file) is lost,
/// silently: reporting it would go to the same stderr and panic the request.
fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false)
        .with_writer(log_lines::GatheredStderr::start());
    match format {
        LogFormat::Text => subscriber
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => subscriber.json().with_ansi(false).init(),
    }
}

/// The JSON list printed by list commands: the page's items under `name`, with the paging figures.
fn listing<T>(
    name: &str,
    listing: latch_service::Listing<T>,
    page: &PageArgs,
    show: impl Fn(&T) -> Value,
) -> Value {
    let mut printed = serde_json::Map::new();
    printed.insert("total".into(), listing.total.into());
    printed.insert("limit".into(), page.limit.into());
    printed.insert("offset".into(), page.offset.into());
    printed.insert(name.into(), listing.items.iter().map(show).collect());
    Value::Object(printed)
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
    fn refused_fields_name_their_flags() {
        assert_eq!(flag("max_activations"), "--max-activations");
        assert_eq!(flag("validity_period"), "--valid-until");
        assert_eq!(flag("license_type"), "--type");
    }

    #[test]
    fn every_command_has_a_heading_and_enumerations_list_their_values() {
        use clap::CommandFactory;
        fn visit(command: &clap::Command, path: &str) {
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                assert!(sub.get_about().is_some(), "`{path}` has no heading");
                visit(sub, &path);
            }
        }
        let command = Args::command();
        command.clone().debug_assert();
        visit(&command, "latch");
        let help = command
            .find_subcommand("license")
            .and_then(|c| c.find_subcommand("create"))
            .unwrap()
            .clone()
            .render_long_help()
            .to_string();
        for value in [
            "perpetual",
            "time-limited",
            "subscription",
            "consumption",
            "monthly",
        ] {
            assert!(
                help.contains(value),
                "license create --help lacks {value}:\n{help}"
            );
        }
    }
}
