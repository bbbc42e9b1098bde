//! `latch product ...`: products, their features and releases.

use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use latch_service::model::FeatureType;
use latch_service::{FeatureSpec, ProductRef, ProductSpec, ReleaseSpec, Service, ServiceResult};
use serde_json::{json, Value};

use super::{listing, output, parse_date, parse_metadata, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Create a product.
    Create(Box<CreateProduct>),
    /// List a company's products, newest first.
    List {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Add a feature to a product.
    AddFeature {
        #[command(flatten)]
        company: CompanyArg,
        /// Product code.
        #[arg(long)]
        product: String,
        /// Feature code, as the SDKs send it.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long = "type", value_enum, default_value_t = FeatureKind::Activation)]
        feature_type: FeatureKind,
    },
    /// Publish a release (installation file) of a product.
    AddRelease(Box<AddRelease>),
}

#[derive(Debug, clap::Args)]
pub struct CreateProduct {
    #[command(flatten)]
    company: CompanyArg,
    /// Short code the SDKs send as `product`.
    #[arg(long)]
    code: String,
    #[arg(long)]
    name: String,
    /// Licenses are held by license users (e-mail and password) instead of keys.
    #[arg(long)]
    user_based: bool,
    /// Refuse activations on virtual machines for every license of the product.
    #[arg(long)]
    prevent_vm: bool,
    /// Let devices request a trial license (`trial_key`).
    #[arg(long)]
    allow_trial: bool,
    /// Days a trial license lasts.
    #[arg(long, default_value_t = 14, allow_negative_numbers = true)]
    trial_days: i64,
    /// A JSON object shown to clients as `metadata`.
    #[arg(long, value_parser = parse_metadata)]
    metadata: Option<String>,
    /// A bundle of the `--includes` products: each license of it comes with one license per
    /// included product.
    #[arg(long, requires = "includes")]
    bundle: bool,
    /// Codes of the key-based products a bundle includes, comma-separated.
    #[arg(long, value_delimiter = ',', requires = "bundle")]
    includes: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddRelease {
    #[command(flatten)]
    company: CompanyArg,
    /// Product code.
    #[arg(long)]
    product: String,
    #[arg(long)]
    version: String,
    /// Download URL.
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "")]
    channel: String,
    /// Target environment, e.g. win64, mac, linux; empty matches every client.
    #[arg(long, default_value = "")]
    environment: String,
    #[arg(long)]
    hash_md5: Option<String>,
    #[arg(long)]
    size: Option<String>,
    #[arg(long)]
    eula_link: Option<String>,
    #[arg(long)]
    release_notes_link: Option<String>,
    #[arg(long)]
    requires_version: Option<String>,
    /// YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, value_parser = parse_date)]
    release_date: Option<DateTime<Utc>>,
}

/// What a feature grants.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FeatureKind {
    /// On or off for the license.
    Activation,
    /// Counted uses with a limit.
    Consumption,
}

impl From<FeatureKind> for FeatureType {
    fn from(kind: FeatureKind) -> Self {
        match kind {
            FeatureKind::Activation => FeatureType::Activation,
            FeatureKind::Consumption => FeatureType::Consumption,
        }
    }
}

pub async fn product(service: &Service, command: ProductCommand) -> ServiceResult<Value> {
    match command {
        ProductCommand::Create(args) => {
            let args = *args;
            let tenant = service.tenant(args.company.id()).await?;
            let spec = ProductSpec {
                code: args.code,
                name: args.name,
                user_based: args.user_based,
                prevent_vm: args.prevent_vm,
                allow_trial: args.allow_trial,
                trial_days: args.trial_days,
                metadata: args.metadata,
            };
            if !args.bundle {
                return Ok(output::product(&tenant.create_product(spec).await?));
            }
            let includes: Vec<ProductRef> =
                args.includes.into_iter().map(ProductRef::Code).collect();
            let bundle = tenant.create_bundle_product(spec, &includes).await?;
            let included = tenant.bundle_products(bundle.product.id).await?;
            let mut shown = output::product(&bundle.product);
            shown["includes"] = included.iter().map(|p| p.product.code.clone()).collect();
            Ok(shown)
        }
        ProductCommand::List { company, page } => {
            let products = service
                .tenant(company.id())
                .await?
                .products(page.page())
                .await?;
            Ok(listing("products", products, &page, output::product))
        }
        ProductCommand::AddFeature {
            company,
            product,
            code,
            name,
            feature_type,
        } => {
            let spec = FeatureSpec {
                code,
                name,
                feature_type: feature_type.into(),
            };
            let (product, feature) = service
                .tenant(company.id())
                .await?
                .add_product_feature(&product, spec)
                .await?;
            Ok(json!({
                "feature_id": feature.id,
                "product": product.code,
                "code": feature.code,
                "feature_type": feature.feature_type.as_str(),
            }))
        }
        ProductCommand::AddRelease(args) => {
            let args = *args;
            let spec = ReleaseSpec {
                version: args.version,
                url: args.url,
                channel: args.channel,
                environment: args.environment,
                hash_md5: args.hash_md5,
                size: args.size,
                eula_link: args.eula_link,
                release_notes_link: args.release_notes_link,
                requires_version: args.requires_version,
                release_date: args.release_date,
            };
            let (product, release) = service
                .tenant(args.company.id())
                .await?
                .add_release(&args.product, spec)
                .await?;
            Ok(
                json!({"release_id": release.id, "product": product.code, "version": release.version}),
            )
        }
    }
}
