//! Companies, API keys, products (features, releases), customers and license users.

use anyhow::{anyhow, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use latch_server::admin::{create_api_key, create_company, generate_password};
use latch_server::passwords;
use latch_store::{
    AuthorizationMethod, Customer, FeatureType, NewLicenseUser, NewProduct, NewRelease, Store,
};
use serde_json::{json, Value};

use super::{parse_date, parse_metadata, require_company, require_product};

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
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
pub enum ApiKeyCommand {
    /// Create an API key and shared key.
    Create {
        #[arg(long)]
        company: i64,
        /// The key may read but not activate, deactivate or change devices.
        #[arg(long)]
        read_only: bool,
    },
    /// Revoke an API key.
    Revoke {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    Create {
        #[arg(long)]
        company: i64,
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
        #[arg(long, default_value_t = 14, allow_negative_numbers = true)]
        trial_days: i64,
        /// A JSON object shown to clients as `metadata`.
        #[arg(long, value_parser = parse_metadata)]
        metadata: Option<String>,
    },
    /// Add a feature to a product.
    AddFeature {
        #[arg(long)]
        company: i64,
        #[arg(long)]
        product: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long = "type", default_value = "activation", value_parser = parse_feature_type)]
        feature_type: FeatureType,
    },
    /// Publish a release (installation file) of a product.
    AddRelease {
        #[arg(long)]
        company: i64,
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
        #[arg(long, value_parser = parse_date)]
        release_date: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    Create {
        #[arg(long)]
        company: i64,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        #[arg(long, default_value = "")]
        company_name: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a license user; prints the initial password.
    Create {
        #[arg(long)]
        company: i64,
        #[arg(long)]
        email: String,
        /// Initial password; generated when omitted.
        #[arg(long)]
        password: Option<String>,
        /// The customer this user belongs to (e-mail).
        #[arg(long)]
        customer: Option<String>,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        #[arg(long, default_value = "")]
        phone: String,
    },
}

fn parse_feature_type(value: &str) -> Result<FeatureType, String> {
    FeatureType::parse(value).ok_or_else(|| {
        format!("unknown feature type {value:?} (expected activation or consumption)")
    })
}

pub async fn company(store: &dyn Store, command: CompanyCommand) -> anyhow::Result<Value> {
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

pub async fn api_key(store: &dyn Store, command: ApiKeyCommand) -> anyhow::Result<Value> {
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

fn require_code(what: &str, code: &str) -> anyhow::Result<()> {
    if code.trim().is_empty() || code.len() > 128 {
        bail!("{what} code must have 1 to 128 characters");
    }
    Ok(())
}

pub async fn product(store: &dyn Store, command: ProductCommand) -> anyhow::Result<Value> {
    let now = Utc::now();
    match command {
        ProductCommand::Create {
            company,
            code,
            name,
            user_based,
            prevent_vm,
            allow_trial,
            trial_days,
            metadata,
        } => {
            require_company(store, company).await?;
            require_code("product", &code)?;
            if trial_days < 0 {
                bail!("--trial-days must not be negative");
            }
            let product = store
                .create_product(
                    NewProduct {
                        company_id: company,
                        code,
                        name,
                        authorization_method: if user_based {
                            AuthorizationMethod::User
                        } else {
                            AuthorizationMethod::LicenseKey
                        },
                        prevent_vm,
                        allow_trial,
                        trial_days,
                        metadata: metadata.unwrap_or_else(|| "{}".into()),
                    },
                    now,
                )
                .await?;
            Ok(json!({
                "product_id": product.id,
                "code": product.code,
                "name": product.name,
                "authorization_method": product.authorization_method.as_str(),
            }))
        }
        ProductCommand::AddFeature {
            company,
            product,
            code,
            name,
            feature_type,
        } => {
            let product = require_product(store, company, &product).await?;
            require_code("feature", &code)?;
            let feature = store
                .create_product_feature(product.id, &code, &name, feature_type, now)
                .await?;
            Ok(json!({
                "feature_id": feature.id,
                "product": product.code,
                "code": feature.code,
                "feature_type": feature.feature_type.as_str(),
            }))
        }
        ProductCommand::AddRelease {
            company,
            product,
            version,
            url,
            channel,
            environment,
            hash_md5,
            size,
            eula_link,
            release_notes_link,
            requires_version,
            release_date,
        } => {
            let product = require_product(store, company, &product).await?;
            if version.trim().is_empty() {
                bail!("--version must not be empty");
            }
            let release = store
                .create_release(
                    NewRelease {
                        product_id: product.id,
                        version,
                        channel,
                        environment,
                        installation_file: url,
                        hash_md5,
                        size,
                        eula_link,
                        release_notes_link,
                        requires_version,
                        release_date,
                    },
                    now,
                )
                .await?;
            Ok(
                json!({"release_id": release.id, "product": product.code, "version": release.version}),
            )
        }
    }
}

pub async fn customer(store: &dyn Store, command: CustomerCommand) -> anyhow::Result<Value> {
    let CustomerCommand::Create {
        company,
        email,
        first_name,
        last_name,
        company_name,
        phone,
        reference,
    } = command;
    require_company(store, company).await?;
    if !email.contains('@') {
        bail!("--email must be an e-mail address");
    }
    let customer = store
        .create_customer(
            Customer {
                company_id: company,
                email: email.to_lowercase(),
                first_name,
                last_name,
                company_name,
                phone,
                reference,
                metadata: "{}".into(),
                ..Customer::default()
            },
            Utc::now(),
        )
        .await?;
    Ok(json!({"customer_id": customer.id, "email": customer.email}))
}

pub async fn user(store: &dyn Store, command: UserCommand) -> anyhow::Result<Value> {
    let UserCommand::Create {
        company,
        email,
        password,
        customer,
        first_name,
        last_name,
        phone,
    } = command;
    require_company(store, company).await?;
    if !email.contains('@') {
        bail!("--email must be an e-mail address");
    }
    let customer_id = match customer {
        Some(email) => Some(
            store
                .customer_by_email(company, &email.to_lowercase())
                .await?
                .ok_or_else(|| anyhow!("no customer {email} in company {company}"))?
                .id,
        ),
        None => None,
    };
    let password = match password {
        Some(p) if p.is_empty() => bail!("--password must not be empty"),
        Some(p) => p,
        None => generate_password()?,
    };
    let user = store
        .create_license_user(
            NewLicenseUser {
                company_id: company,
                customer_id,
                email: email.to_lowercase(),
                password_hash: passwords::hash(&password)?,
                initial_password: password.clone(),
                first_name,
                last_name,
                phone_number: phone,
            },
            Utc::now(),
        )
        .await?;
    Ok(json!({"user_id": user.id, "email": user.email, "initial_password": password}))
}
