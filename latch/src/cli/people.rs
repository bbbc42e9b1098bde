//! `latch customer ...` and `latch user ...`.

use clap::Subcommand;
use latch_service::{AccountName, CustomerSpec, LicenseUserSpec, Service, ServiceResult};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::{listing, output, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Create a customer (a license holder).
    Create {
        #[command(flatten)]
        company: CompanyArg,
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
        /// Your own reference for the customer (e.g. a CRM id).
        #[arg(long, default_value = "")]
        reference: String,
        /// The code of the customer account it belongs to.
        #[arg(long, value_name = "CODE")]
        account: Option<String>,
    },
    /// List a company's customers, newest first.
    List {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a license user; prints the initial password.
    Create {
        #[command(flatten)]
        company: CompanyArg,
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
    /// List a company's license users, newest first.
    List {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        page: PageArgs,
    },
}

pub async fn customer(service: &Service, command: CustomerCommand) -> ServiceResult<Value> {
    match command {
        CustomerCommand::Create {
            company,
            email,
            first_name,
            last_name,
            company_name,
            phone,
            reference,
            account,
        } => {
            let spec = CustomerSpec {
                email,
                first_name,
                last_name,
                company_name,
                phone,
                reference,
                account: account.map(AccountName::Code),
                ..CustomerSpec::default()
            };
            let created = service
                .tenant(company.id())
                .await?
                .create_customer(spec)
                .await?;
            Ok(output::customer(&created.customer))
        }
        CustomerCommand::List { company, page } => {
            let customers = service
                .tenant(company.id())
                .await?
                .customers(page.page())
                .await?;
            Ok(listing("customers", customers, &page, |record| {
                output::customer(&record.customer)
            }))
        }
    }
}

pub async fn user(service: &Service, command: UserCommand) -> ServiceResult<Value> {
    match command {
        UserCommand::Create {
            company,
            email,
            password,
            customer,
            first_name,
            last_name,
            phone,
        } => {
            let spec = LicenseUserSpec {
                email,
                password,
                customer,
                first_name,
                last_name,
                phone,
            };
            let created = service
                .tenant(company.id())
                .await?
                .create_license_user(spec)
                .await?;
            Ok(json!({
                "user_id": created.user.id,
                "email": created.user.email,
                "initial_password": created.initial_password.expose_secret(),
            }))
        }
        UserCommand::List { company, page } => {
            let users = service
                .tenant(company.id())
                .await?
                .license_users(page.page())
                .await?;
            Ok(listing("users", users, &page, output::license_user))
        }
    }
}
