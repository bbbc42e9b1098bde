//! `latch company ...` and `latch api-key ...`.

use clap::Subcommand;
use latch_domain::CompanyId;
use latch_service::{Service, ServiceResult};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::{listing, output, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company with its signing key pair and a first API key.
    Create {
        #[arg(long)]
        name: String,
    },
    /// List companies, newest first.
    List(PageArgs),
    /// Print the company's public key (PEM) for the SDKs.
    PublicKey(CompanyArg),
    /// Change a company's settings.
    Set {
        #[command(flatten)]
        company: CompanyArg,
        /// Show license users' initial passwords in every License API answer that carries them, not
        /// only in the answer of the trial that created the user.
        #[arg(long, action = clap::ArgAction::Set)]
        expose_initial_passwords: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and shared key (the shared key is shown only now).
    Create {
        #[command(flatten)]
        company: CompanyArg,
        /// The key may read but not activate, deactivate or change devices.
        #[arg(long)]
        read_only: bool,
    },
    /// List a company's API keys (without their shared keys).
    List(CompanyArg),
    /// Revoke an API key.
    Revoke {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
}

pub async fn company(service: &Service, command: CompanyCommand) -> ServiceResult<Value> {
    match command {
        CompanyCommand::Create { name } => {
            let created = service.create_company(&name).await?;
            Ok(json!({
                "company_id": created.company.id,
                "name": created.company.name,
                "api_key": created.api_key.api_key,
                "shared_key": created.api_key.shared_key.expose_secret(),
                "public_key_pem": created.company.public_key_pem,
            }))
        }
        CompanyCommand::List(page) => {
            let companies = service.companies(page.page()).await?;
            Ok(listing("companies", companies, &page, output::company))
        }
        CompanyCommand::PublicKey(company) => {
            let tenant = service.tenant(company.id()).await?;
            Ok(Value::String(tenant.company().public_key_pem.clone()))
        }
        CompanyCommand::Set {
            company,
            expose_initial_passwords,
        } => {
            let mut tenant = service.tenant(company.id()).await?;
            tenant
                .set_expose_initial_passwords(expose_initial_passwords)
                .await?;
            Ok(output::company(tenant.company()))
        }
    }
}

pub async fn api_key(service: &Service, command: ApiKeyCommand) -> ServiceResult<Value> {
    match command {
        ApiKeyCommand::Create { company, read_only } => {
            let key = service
                .tenant(company.id())
                .await?
                .create_api_key(read_only)
                .await?;
            Ok(json!({
                "company_id": key.company_id,
                "api_key": key.api_key,
                "shared_key": key.shared_key.expose_secret(),
                "read_only": key.read_only,
            }))
        }
        ApiKeyCommand::List(company) => {
            let keys = service.tenant(company.id()).await?.api_keys().await?;
            let listed: Vec<Value> = keys.iter().map(output::api_key).collect();
            Ok(json!({"company_id": CompanyId::get(company.id()), "api_keys": listed}))
        }
        ApiKeyCommand::Revoke { key } => {
            service.revoke_api_key(&key).await?;
            Ok(json!({"api_key": key, "revoked": true}))
        }
    }
}
