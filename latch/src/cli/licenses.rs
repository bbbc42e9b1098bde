//! `latch license ...` and `latch device ...`.

use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use latch_domain::{CompanyId, ConsumptionPeriod, LicenseId, LicenseType};
use latch_service::{
    ConsumptionTerms, FloatingTerms, LicenseQuery, LicenseRef, LicenseTerms, Service, ServiceResult,
};
use serde_json::{json, Value};

use super::{listing, output, parse_date, parse_metadata, CompanyArg, PageArgs};

/// Which license a command is about: its key or its id (user-based licenses have no key), and the
/// company when keys repeat across companies.
#[derive(Debug, clap::Args)]
pub struct LicenseArg {
    /// License key.
    key: Option<String>,
    /// License id (as printed by `license create`).
    #[arg(long = "id")]
    id: Option<i64>,
    /// Company id, when the key exists in several companies.
    #[arg(long)]
    company: Option<i64>,
}

/// Which license a command is about, when its main argument is something else.
#[derive(Debug, clap::Args)]
pub struct LicenseFlags {
    /// License key.
    #[arg(long = "license")]
    key: Option<String>,
    /// License id (as printed by `license create`).
    #[arg(long = "license-id")]
    id: Option<i64>,
    /// Company id, when the key exists in several companies.
    #[arg(long)]
    company: Option<i64>,
}

fn reference(key: Option<String>, id: Option<i64>, company: Option<i64>) -> LicenseRef {
    LicenseRef {
        key,
        id: id.map(LicenseId::new),
        company: company.map(CompanyId::new),
    }
}

impl From<LicenseArg> for LicenseRef {
    fn from(arg: LicenseArg) -> Self {
        reference(arg.key, arg.id, arg.company)
    }
}

impl From<LicenseFlags> for LicenseRef {
    fn from(flags: LicenseFlags) -> Self {
        reference(flags.key, flags.id, flags.company)
    }
}

/// How a license is limited in time or use.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LicenseKind {
    /// Never expires.
    Perpetual,
    /// Works until --valid-until.
    TimeLimited,
    /// Works until --valid-until (plus any grace period); renewed with `license renew`.
    Subscription,
    /// Counts uses against --max-consumptions.
    Consumption,
}

impl From<LicenseKind> for LicenseType {
    fn from(kind: LicenseKind) -> Self {
        match kind {
            LicenseKind::Perpetual => LicenseType::Perpetual,
            LicenseKind::TimeLimited => LicenseType::TimeLimited,
            LicenseKind::Subscription => LicenseType::Subscription,
            LicenseKind::Consumption => LicenseType::Consumption,
        }
    }
}

/// When a consumption counter starts again from zero.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    Annually,
}

impl From<Period> for ConsumptionPeriod {
    fn from(period: Period) -> Self {
        match period {
            Period::Daily => ConsumptionPeriod::Daily,
            Period::Weekly => ConsumptionPeriod::Weekly,
            Period::Monthly => ConsumptionPeriod::Monthly,
            Period::Annually => ConsumptionPeriod::Annually,
        }
    }
}

/// Consumption limits (consumption licenses and features).
#[derive(Debug, Clone, clap::Args)]
pub struct ConsumptionArgs {
    /// Consumptions allowed.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_consumptions: i64,
    /// No limit on consumptions.
    #[arg(long)]
    unlimited_consumptions: bool,
    /// Allow negative consumptions (refunds).
    #[arg(long)]
    allow_negative_consumptions: bool,
    /// Consumptions allowed beyond the maximum (enables overages when above 0).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_overages: i64,
    /// Reset the counter every period.
    #[arg(long, value_enum)]
    consumption_period: Option<Period>,
}

impl From<ConsumptionArgs> for ConsumptionTerms {
    fn from(args: ConsumptionArgs) -> Self {
        Self {
            max_consumptions: args.max_consumptions,
            unlimited_consumptions: args.unlimited_consumptions,
            allow_negative_consumptions: args.allow_negative_consumptions,
            max_overages: args.max_overages,
            consumption_period: args.consumption_period.map(Into::into),
        }
    }
}

/// Floating (cloud) settings (licenses and features).
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

impl From<FloatingArgs> for FloatingTerms {
    fn from(args: FloatingArgs) -> Self {
        Self {
            floating_users: args.floating_users,
            floating_timeout: args.floating_timeout,
            max_borrow_time: args.max_borrow_time,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Issue a license of a product.
    Create(Box<CreateLicense>),
    /// List a company's licenses, newest first.
    List(ListLicenses),
    /// Show a license with its features.
    Show(LicenseArg),
    /// Let the license activate and check again.
    Enable(LicenseArg),
    /// Refuse every activation and check of the license.
    Disable(LicenseArg),
    /// Deactivate every device of the license (all activations become available again).
    Reset(LicenseArg),
    /// Set a new end of validity (renew or extend a subscription or time-limited license).
    Renew {
        #[command(flatten)]
        license: LicenseArg,
        /// YYYY-MM-DD (midnight UTC) or RFC 3339.
        #[arg(long, value_parser = parse_date)]
        valid_until: DateTime<Utc>,
    },
    /// Grant a product feature to a license.
    AddFeature {
        #[command(flatten)]
        license: LicenseFlags,
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
        license: LicenseFlags,
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        /// Devices the user may activate.
        #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
        max_activations: i64,
        /// No limit on the user's devices.
        #[arg(long)]
        unlimited_activations: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateLicense {
    #[command(flatten)]
    company: CompanyArg,
    /// Product short code.
    #[arg(long)]
    product: String,
    /// License key (key-based products); generated when omitted.
    #[arg(long)]
    key: Option<String>,
    /// Devices that may be active at once.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    max_activations: i64,
    /// No limit on active devices.
    #[arg(long)]
    unlimited_activations: bool,
    /// Transfers allowed (0: no limit).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_transfers: i64,
    #[arg(long = "type", value_enum, default_value_t = LicenseKind::Perpetual)]
    license_type: LicenseKind,
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
    /// Issue it disabled.
    #[arg(long)]
    disabled: bool,
    /// Refuse activations on virtual machines.
    #[arg(long)]
    prevent_vm: bool,
    /// Mark it as a trial license.
    #[arg(long)]
    trial: bool,
    /// The customer holding the license (e-mail).
    #[arg(long)]
    customer: Option<String>,
    /// Most license users (user-based licenses; 0: no limit).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    max_license_users: i64,
    /// A JSON object shown to clients as `metadata`.
    #[arg(long, value_parser = parse_metadata)]
    metadata: Option<String>,
    #[command(flatten)]
    consumption: ConsumptionArgs,
    #[command(flatten)]
    floating: FloatingArgs,
}

#[derive(Debug, clap::Args)]
pub struct ListLicenses {
    #[command(flatten)]
    company: CompanyArg,
    /// Only licenses of this product (code).
    #[arg(long)]
    product: Option<String>,
    /// Only licenses of this customer (e-mail).
    #[arg(long)]
    customer: Option<String>,
    /// Only licenses whose key starts with this.
    #[arg(long)]
    key_prefix: Option<String>,
    /// Only enabled licenses.
    #[arg(long, conflicts_with = "disabled")]
    enabled: bool,
    /// Only disabled licenses.
    #[arg(long)]
    disabled: bool,
    #[command(flatten)]
    page: PageArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the devices of a license with their variables.
    List(LicenseFlags),
    /// Blacklist a hardware id on a license (it need not have activated yet).
    Blacklist {
        #[command(flatten)]
        license: LicenseFlags,
        #[arg(long)]
        hardware_id: String,
    },
}

impl From<CreateLicense> for LicenseTerms {
    fn from(args: CreateLicense) -> Self {
        Self {
            license_type: args.license_type.into(),
            key: args.key,
            valid_until: args.valid_until,
            start_date: args.start_date,
            grace_period: args.grace_period,
            maintenance_until: args.maintenance_until,
            max_activations: args.max_activations,
            unlimited_activations: args.unlimited_activations,
            max_transfers: args.max_transfers,
            enabled: !args.disabled,
            prevent_vm: args.prevent_vm,
            trial: args.trial,
            customer: args.customer,
            max_license_users: args.max_license_users,
            metadata: args.metadata,
            consumption: args.consumption.into(),
            floating: args.floating.into(),
        }
    }
}

pub async fn license(service: &Service, command: LicenseCommand) -> ServiceResult<Value> {
    match command {
        LicenseCommand::Create(args) => {
            let company = args.company.id();
            let product = args.product.clone();
            let details = service
                .tenant(company)
                .await?
                .issue_license(&product, (*args).into())
                .await?;
            Ok(output::license(&details))
        }
        LicenseCommand::List(args) => {
            let query = LicenseQuery {
                product: args.product,
                customer: args.customer,
                key_prefix: args.key_prefix,
                enabled: match (args.enabled, args.disabled) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
            };
            let licenses = service
                .tenant(args.company.id())
                .await?
                .licenses(&query, args.page.page())
                .await?;
            Ok(listing(
                "licenses",
                licenses,
                &args.page,
                output::license_summary,
            ))
        }
        LicenseCommand::Show(arg) => {
            let (tenant, license) = service.find_license(&arg.into()).await?;
            Ok(output::license(&tenant.license_details(license.id).await?))
        }
        LicenseCommand::Enable(arg) => set_enabled(service, arg, true).await,
        LicenseCommand::Disable(arg) => set_enabled(service, arg, false).await,
        LicenseCommand::Reset(arg) => {
            let (tenant, license) = service.find_license(&arg.into()).await?;
            tenant.reset_license(license.id).await?;
            Ok(output::license(&tenant.license_details(license.id).await?))
        }
        LicenseCommand::Renew {
            license,
            valid_until,
        } => {
            let (tenant, license) = service.find_license(&license.into()).await?;
            tenant.renew_license(license.id, valid_until).await?;
            Ok(output::license(&tenant.license_details(license.id).await?))
        }
        LicenseCommand::AddFeature {
            license,
            feature,
            expiry_date,
            consumption,
            floating,
        } => {
            let (tenant, license) = service.find_license(&license.into()).await?;
            let added = tenant
                .add_license_feature(
                    license.id,
                    &feature,
                    expiry_date,
                    &consumption.into(),
                    &floating.into(),
                )
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
            let (tenant, license) = service.find_license(&license.into()).await?;
            let (user, assignment) = tenant
                .assign_license_user(license.id, &user, max_activations, unlimited_activations)
                .await?;
            Ok(
                json!({"license_id": license.id, "user": user.email, "max_activations": assignment.max_activations}),
            )
        }
    }
}

async fn set_enabled(service: &Service, arg: LicenseArg, enabled: bool) -> ServiceResult<Value> {
    let (tenant, license) = service.find_license(&arg.into()).await?;
    let license = tenant.set_license_enabled(license.id, enabled).await?;
    Ok(
        json!({"license_id": license.id, "license_key": license.license_key, "enabled": license.enabled}),
    )
}

pub async fn device(service: &Service, command: DeviceCommand) -> ServiceResult<Value> {
    match command {
        DeviceCommand::List(flags) => {
            let (tenant, license) = service.find_license(&flags.into()).await?;
            let devices = tenant.devices(license.id).await?;
            let listed: Vec<Value> = devices.iter().map(output::device).collect();
            Ok(json!({"devices": listed}))
        }
        DeviceCommand::Blacklist {
            license,
            hardware_id,
        } => {
            let (tenant, license) = service.find_license(&license.into()).await?;
            let device = tenant.blacklist_device(license.id, &hardware_id).await?;
            Ok(json!({
                "device_id": device.id,
                "hardware_id": device.hardware_id,
                "blacklisted": device.blacklisted,
            }))
        }
    }
}
