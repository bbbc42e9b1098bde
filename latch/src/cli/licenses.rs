//! Licenses, their features and users, and their devices.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use latch_domain::{ConsumptionPeriod, LicenseType};
use latch_server::admin::generate_license_key;
use latch_store::{
    Assignment, AuthorizationMethod, ConsumptionColumns, Device, FloatingColumns, License,
    NewLicense, NewLicenseFeature, Store,
};
use serde_json::{json, Value};

use super::{parse_date, parse_metadata, require_product};

/// Which license a command is about: its key or its id (user-based licenses have no key), and the
/// company when keys repeat across companies.
#[derive(Debug, clap::Args)]
pub struct LicenseRef {
    /// License key.
    key: Option<String>,
    /// License id (as printed by `license create`).
    #[arg(long = "id")]
    id: Option<i64>,
    #[arg(long)]
    company: Option<i64>,
}

/// The same, for commands whose main argument is something else.
#[derive(Debug, clap::Args)]
pub struct LicenseOption {
    #[arg(long = "license")]
    key: Option<String>,
    #[arg(long = "license-id")]
    id: Option<i64>,
    #[arg(long)]
    company: Option<i64>,
}

impl From<LicenseOption> for LicenseRef {
    fn from(option: LicenseOption) -> Self {
        Self {
            key: option.key,
            id: option.id,
            company: option.company,
        }
    }
}

/// Consumption settings shared by licenses and license features.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumptionArgs {
    /// Consumptions allowed (consumption licenses and features).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_consumptions: i64,
    #[arg(long)]
    unlimited_consumptions: bool,
    /// Allow negative consumptions (refunds).
    #[arg(long)]
    allow_negative_consumptions: bool,
    /// Consumptions allowed beyond the maximum (enables overages when above 0).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_overages: i64,
    /// Reset the counter every period: daily, weekly, monthly or annually.
    #[arg(long, value_parser = parse_period)]
    consumption_period: Option<ConsumptionPeriod>,
}

impl ConsumptionArgs {
    fn columns(&self) -> anyhow::Result<ConsumptionColumns> {
        if self.max_consumptions < 0 || self.max_overages < 0 {
            bail!("--max-consumptions and --max-overages must not be negative");
        }
        Ok(ConsumptionColumns {
            max_consumptions: self.max_consumptions,
            allow_unlimited_consumptions: self.unlimited_consumptions,
            allow_negative_consumptions: self.allow_negative_consumptions,
            allow_overages: self.max_overages > 0,
            max_overages: self.max_overages,
            reset_consumption: self.consumption_period.is_some(),
            consumption_period: self.consumption_period,
            ..ConsumptionColumns::default()
        })
    }
}

/// Floating (cloud) settings shared by licenses and license features.
#[derive(Debug, Clone, clap::Args)]
pub struct FloatingArgs {
    /// Make it floating: at most this many devices hold it at once.
    #[arg(long, allow_negative_numbers = true)]
    floating_users: Option<i64>,
    /// Minutes a device keeps its seat after its last check.
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    floating_timeout: i64,
    /// Hours a device may borrow its seat (0: no borrowing).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_borrow_time: i64,
}

impl FloatingArgs {
    fn columns(&self) -> anyhow::Result<FloatingColumns> {
        if self.floating_users.is_some_and(|n| n < 1)
            || self.floating_timeout < 1
            || self.max_borrow_time < 0
        {
            bail!("--floating-users and --floating-timeout must be at least 1, --max-borrow-time not negative");
        }
        Ok(FloatingColumns {
            is_floating_cloud: self.floating_users.is_some(),
            floating_users: self.floating_users.unwrap_or(0),
            floating_timeout: if self.floating_users.is_some() {
                self.floating_timeout
            } else {
                0
            },
            can_borrow: self.max_borrow_time > 0,
            max_borrow_time: self.max_borrow_time,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    Create(Box<CreateLicense>),
    Show(LicenseRef),
    Enable(LicenseRef),
    Disable(LicenseRef),
    /// Deactivate every device of the license (all activations become available again).
    Reset(LicenseRef),
    /// Set a new end of validity (renew or extend a subscription or time-limited license).
    Renew {
        #[command(flatten)]
        license: LicenseRef,
        #[arg(long, value_parser = parse_date)]
        valid_until: DateTime<Utc>,
    },
    /// Grant a product feature to a license.
    AddFeature {
        #[command(flatten)]
        license: LicenseOption,
        /// Feature code.
        #[arg(long)]
        feature: String,
        /// The feature stops working on this date.
        #[arg(long, value_parser = parse_date)]
        expiry_date: Option<DateTime<Utc>>,
        #[command(flatten)]
        consumption: ConsumptionArgs,
        #[command(flatten)]
        floating: FloatingArgs,
    },
    /// Give a license user a place on a user-based license.
    AssignUser {
        #[command(flatten)]
        license: LicenseOption,
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        max_activations: i64,
        #[arg(long)]
        unlimited_activations: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateLicense {
    #[arg(long)]
    company: i64,
    /// Product short code.
    #[arg(long)]
    product: String,
    /// License key (key-based products); generated when omitted.
    #[arg(long)]
    key: Option<String>,
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    max_activations: i64,
    #[arg(long)]
    unlimited_activations: bool,
    /// Transfers allowed (0: no limit).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_transfers: i64,
    #[arg(long = "type", default_value = "perpetual", value_parser = parse_license_type)]
    license_type: LicenseType,
    /// End of validity: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, value_parser = parse_date)]
    valid_until: Option<DateTime<Utc>>,
    /// No activation before this date: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, value_parser = parse_date)]
    start_date: Option<DateTime<Utc>>,
    /// Hours a subscription keeps working after its validity ends.
    #[arg(long, allow_negative_numbers = true)]
    grace_period: Option<i64>,
    /// End of the maintenance period.
    #[arg(long, value_parser = parse_date)]
    maintenance_until: Option<DateTime<Utc>>,
    #[arg(long)]
    disabled: bool,
    #[arg(long)]
    prevent_vm: bool,
    #[arg(long)]
    trial: bool,
    /// The customer holding the license (e-mail).
    #[arg(long)]
    customer: Option<String>,
    /// Most license users (user-based licenses; 0: no limit).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_license_users: i64,
    #[arg(long, value_parser = parse_metadata)]
    metadata: Option<String>,
    #[command(flatten)]
    consumption: ConsumptionArgs,
    #[command(flatten)]
    floating: FloatingArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    List(LicenseOption),
    /// Blacklist a hardware id on a license (it need not have activated yet).
    Blacklist {
        #[command(flatten)]
        license: LicenseOption,
        #[arg(long)]
        hardware_id: String,
    },
}

fn parse_license_type(value: &str) -> Result<LicenseType, String> {
    value
        .parse()
        .map_err(|e: latch_domain::ParseLicenseTypeError| e.to_string())
}

fn parse_period(value: &str) -> Result<ConsumptionPeriod, String> {
    value
        .parse()
        .map_err(|e: latch_domain::ParsePeriodError| e.to_string())
}

async fn find_license(store: &dyn Store, reference: &LicenseRef) -> anyhow::Result<License> {
    let mut found = match (&reference.key, reference.id) {
        (_, Some(id)) => vec![store
            .license(id)
            .await
            .map_err(|_| anyhow!("no license with id {id}"))?],
        (Some(key), None) => store.licenses_by_key(reference.company, key).await?,
        (None, None) => bail!("name the license by its key or --id"),
    };
    found.retain(|l| reference.company.is_none_or(|c| c == l.company_id));
    match found.len() {
        0 => bail!("no such license"),
        1 => Ok(found.remove(0)),
        _ => bail!(
            "this license key exists in several companies or products; pass --company or --id"
        ),
    }
}

async fn license_json(store: &dyn Store, license: &License) -> anyhow::Result<Value> {
    let product = store.product_by_id(license.product_id).await?;
    let features: Vec<Value> = store
        .license_features(license.id)
        .await?
        .iter()
        .map(|f| json!({"code": f.feature.code, "total_consumptions": f.consumption.total_consumptions}))
        .collect();
    Ok(json!({
        "license_id": license.id,
        "license_key": license.license_key,
        "product": product.code,
        "license_type": license.license_type.as_str(),
        "enabled": license.enabled,
        "is_trial": license.is_trial,
        "max_activations": license.max_activations,
        "times_activated": license.times_activated,
        "transfer_count": license.transfer_count,
        "max_transfers": license.max_transfers,
        "start_date": license.start_date.map(|d| d.to_rfc3339()),
        "validity_period": license.validity_period.map(|d| d.to_rfc3339()),
        "prevent_vm": license.prevent_vm,
        "is_floating_cloud": license.floating.is_floating_cloud,
        "floating_users": license.floating.floating_users,
        "max_consumptions": license.consumption.max_consumptions,
        "total_consumptions": license.consumption.total_consumptions,
        "features": features,
    }))
}

async fn create_license(store: &dyn Store, args: CreateLicense) -> anyhow::Result<Value> {
    let product = require_product(store, args.company, &args.product).await?;
    if args.max_activations < 0 || args.max_transfers < 0 || args.max_license_users < 0 {
        bail!("--max-activations, --max-transfers and --max-license-users must not be negative");
    }
    match (args.license_type, args.valid_until) {
        (LicenseType::Perpetual, Some(_)) => bail!("a perpetual license has no --valid-until"),
        (LicenseType::TimeLimited | LicenseType::Subscription, None) => {
            bail!("a {} license needs --valid-until", args.license_type)
        }
        _ => {}
    }
    let license_key = match (product.authorization_method, args.key) {
        (AuthorizationMethod::User, Some(_)) => {
            bail!("licenses of a user-based product have no --key")
        }
        (AuthorizationMethod::User, None) => None,
        (AuthorizationMethod::LicenseKey, Some(key)) if key.trim().is_empty() => {
            bail!("--key must not be empty")
        }
        (AuthorizationMethod::LicenseKey, Some(key)) => Some(key),
        (AuthorizationMethod::LicenseKey, None) => Some(generate_license_key()?),
    };
    let customer_id = match &args.customer {
        Some(email) => Some(
            store
                .customer_by_email(args.company, &email.to_lowercase())
                .await?
                .ok_or_else(|| anyhow!("no customer {email} in company {}", args.company))?
                .id,
        ),
        None => None,
    };
    let mut license = NewLicense::basic(args.company, product.id, String::new());
    license.license_key = license_key;
    license.customer_id = customer_id;
    license.license_type = args.license_type;
    license.enabled = !args.disabled;
    license.is_trial = args.trial;
    license.prevent_vm = args.prevent_vm;
    license.start_date = args.start_date;
    license.validity_period = args.valid_until;
    license.allow_grace_period = args.grace_period.is_some();
    license.grace_period = args.grace_period.unwrap_or(0).max(0);
    license.maintenance_period = args.maintenance_until;
    license.max_activations = args.max_activations;
    license.allow_unlimited_activations = args.unlimited_activations;
    license.max_transfers = args.max_transfers;
    license.max_license_users = args.max_license_users;
    license.floating = args.floating.columns()?;
    license.consumption = args.consumption.columns()?;
    license.metadata = args.metadata.unwrap_or_else(|| "{}".into());
    let license = store.create_license(license, Utc::now()).await?;
    license_json(store, &license).await
}

pub async fn license(store: &dyn Store, command: LicenseCommand) -> anyhow::Result<Value> {
    match command {
        LicenseCommand::Create(args) => create_license(store, *args).await,
        LicenseCommand::Show(reference) => {
            let license = find_license(store, &reference).await?;
            license_json(store, &license).await
        }
        LicenseCommand::Enable(reference) => set_enabled(store, &reference, true).await,
        LicenseCommand::Disable(reference) => set_enabled(store, &reference, false).await,
        LicenseCommand::Reset(reference) => {
            let license = find_license(store, &reference).await?;
            store.reset_license(license.id).await?;
            license_json(store, &store.license(license.id).await?).await
        }
        LicenseCommand::Renew {
            license,
            valid_until,
        } => {
            let license = find_license(store, &license).await?;
            if license.license_type == LicenseType::Perpetual {
                bail!("a perpetual license has no validity to renew");
            }
            store
                .set_license_validity(license.id, Some(valid_until))
                .await?;
            license_json(store, &store.license(license.id).await?).await
        }
        LicenseCommand::AddFeature {
            license,
            feature,
            expiry_date,
            consumption,
            floating,
        } => {
            let license = find_license(store, &license.into()).await?;
            let product_feature = store
                .product_features(license.product_id)
                .await?
                .into_iter()
                .find(|f| f.code == feature)
                .ok_or_else(|| anyhow!("the license's product has no feature {feature}"))?;
            let added = store
                .add_license_feature(NewLicenseFeature {
                    license_id: license.id,
                    product_feature_id: product_feature.id,
                    expiry_date,
                    floating: floating.columns()?,
                    consumption: consumption.columns()?,
                })
                .await?;
            Ok(
                json!({"license_id": license.id, "license_feature_id": added.id, "feature": added.feature.code}),
            )
        }
        LicenseCommand::AssignUser {
            license,
            user,
            max_activations,
            unlimited_activations,
        } => {
            let license = find_license(store, &license.into()).await?;
            let found = store
                .license_user(license.company_id, &user.to_lowercase())
                .await?
                .ok_or_else(|| {
                    anyhow!("no license user {user} in company {}", license.company_id)
                })?;
            if max_activations < 0 {
                bail!("--max-activations must not be negative");
            }
            store
                .assign_license_user(Assignment {
                    license_id: license.id,
                    license_user_id: found.id,
                    max_activations,
                    allow_unlimited_activations: unlimited_activations,
                    total_activations: 0,
                })
                .await?;
            Ok(
                json!({"license_id": license.id, "user": found.email, "max_activations": max_activations}),
            )
        }
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
        "floating_until": device.floating_until.map(|d| d.to_rfc3339()),
        "borrowed_until": device.borrowed_until.map(|d| d.to_rfc3339()),
        "created_at": device.created_at.to_rfc3339(),
        "last_check_at": device.last_check_at.map(|d| d.to_rfc3339()),
    })
}

pub async fn device(store: &dyn Store, command: DeviceCommand) -> anyhow::Result<Value> {
    match command {
        DeviceCommand::List(license) => {
            let license = find_license(store, &license.into()).await?;
            let devices = store.devices(license.id).await?;
            let mut listed = Vec::with_capacity(devices.len());
            for device in &devices {
                let mut shown = device_json(device);
                let variables: serde_json::Map<String, Value> = store
                    .variables(device.id)
                    .await?
                    .into_iter()
                    .map(|v| (v.name, Value::String(v.value)))
                    .collect();
                shown["variables"] = Value::Object(variables);
                listed.push(shown);
            }
            Ok(json!({"devices": listed}))
        }
        DeviceCommand::Blacklist {
            license,
            hardware_id,
        } => {
            let license = find_license(store, &license.into()).await?;
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
