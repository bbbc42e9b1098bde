//! `latch customer-account ...`: customer accounts and the identity providers their people sign in
//! with.

use clap::Subcommand;
use latch_service::model::CustomerAccount;
use latch_service::query::ListQuery;
use latch_service::{AccountName, CustomerAccountSpec, OidcSpec, Service, ServiceResult};
use serde_json::{json, Value};

use super::{listing, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum CustomerAccountCommand {
    /// Create a customer account, optionally with its OpenID Connect provider.
    Create {
        #[command(flatten)]
        company: CompanyArg,
        /// What the SDKs send as customer_account_code; unique in the company.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        oidc: OidcArgs,
    },
    /// Change a customer account; provider settings not given are kept.
    Update {
        #[command(flatten)]
        company: CompanyArg,
        /// The account's code.
        #[arg(long)]
        code: String,
        /// A new code for the account.
        #[arg(long)]
        new_code: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        oidc: OidcArgs,
        /// Remove the account's identity provider.
        #[arg(long, conflicts_with_all = ["oidc_issuer", "oidc_client_id", "oidc_client_secret",
            "oidc_redirect_uri", "oidc_email_claim"])]
        remove_oidc: bool,
    },
    /// List a company's customer accounts, newest first (never their client secrets).
    List {
        #[command(flatten)]
        company: CompanyArg,
        #[command(flatten)]
        page: PageArgs,
    },
}

/// An identity provider: issuer, client id, client secret and at least one redirect URI together.
#[derive(Debug, clap::Args)]
pub struct OidcArgs {
    /// The provider's issuer URL (https; http only on a loopback address).
    #[arg(long, value_name = "URL")]
    oidc_issuer: Option<String>,
    /// Latch's client id at the provider.
    #[arg(long, value_name = "ID")]
    oidc_client_id: Option<String>,
    /// Latch's client secret at the provider (stored sealed, never printed).
    #[arg(long, value_name = "SECRET")]
    oidc_client_secret: Option<String>,
    /// Where the provider may send people back (repeatable; the first is the default).
    #[arg(long, value_name = "URI")]
    oidc_redirect_uri: Vec<String>,
    /// The id token claim holding the license user's e-mail address (default: email).
    #[arg(long, value_name = "CLAIM")]
    oidc_email_claim: Option<String>,
}

impl OidcArgs {
    fn spec(self, remove: bool) -> OidcSpec {
        OidcSpec {
            issuer: self.oidc_issuer,
            client_id: self.oidc_client_id,
            client_secret: self.oidc_client_secret,
            redirect_uris: (!self.oidc_redirect_uri.is_empty()).then_some(self.oidc_redirect_uri),
            email_claim: self.oidc_email_claim,
            remove,
        }
    }
}

/// An account as printed: its provider's settings, never the client secret.
fn shown(account: &CustomerAccount) -> Value {
    let oidc = account.oidc.as_ref();
    json!({
        "customer_account_id": account.id,
        "code": account.code,
        "name": account.name,
        "total_customers": account.total_customers,
        "oidc_issuer": oidc.map(|oidc| &oidc.issuer),
        "oidc_client_id": oidc.map(|oidc| &oidc.client_id),
        "oidc_redirect_uris": oidc.map(|oidc| &oidc.redirect_uris),
        "oidc_email_claim": oidc.map(|oidc| &oidc.email_claim),
    })
}

pub async fn customer_account(
    service: &Service,
    command: CustomerAccountCommand,
) -> ServiceResult<Value> {
    match command {
        CustomerAccountCommand::Create {
            company,
            code,
            name,
            oidc,
        } => {
            let spec = CustomerAccountSpec {
                code: Some(code),
                name,
                oidc: oidc.spec(false),
            };
            let created = service
                .tenant(company.id())
                .await?
                .create_customer_account(spec)
                .await?;
            Ok(shown(&created))
        }
        CustomerAccountCommand::Update {
            company,
            code,
            new_code,
            name,
            oidc,
            remove_oidc,
        } => {
            let spec = CustomerAccountSpec {
                code: new_code,
                name,
                oidc: oidc.spec(remove_oidc),
            };
            let updated = service
                .tenant(company.id())
                .await?
                .update_customer_account(&AccountName::Code(code), spec)
                .await?;
            Ok(shown(&updated))
        }
        CustomerAccountCommand::List { company, page } => {
            let accounts = service
                .tenant(company.id())
                .await?
                .customer_accounts(&ListQuery::default(), page.page())
                .await?;
            Ok(listing("customer_accounts", accounts, &page, shown))
        }
    }
}
