//! Customer accounts: organisations whose people sign in to their licenses through the account's own
//! OpenID Connect provider.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, CustomerAccountId};
use secrecy::SecretString;

use crate::query::ListQuery;
use crate::{Actor, LicenseUser, Listing, Page, StoreResult};

/// An account as a license's customer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAccountRef {
    pub id: CustomerAccountId,
    pub code: String,
    pub name: String,
}

/// Where an account's people sign in: an OpenID Connect provider and Latch's client there.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    /// The provider's issuer URL, exactly as its tokens name it.
    pub issuer: String,
    pub client_id: String,
    /// Opened from its sealed form.
    pub client_secret: SecretString,
    /// Where the provider may send people back; the first is used when a request names none.
    pub redirect_uris: Vec<String>,
    /// The id token claim that holds the e-mail address of the license user.
    pub email_claim: String,
}

/// A customer account, with the number of customers that belong to it.
#[derive(Debug, Clone)]
pub struct CustomerAccount {
    pub id: CustomerAccountId,
    pub company_id: CompanyId,
    pub code: String,
    pub name: String,
    pub oidc: Option<OidcProvider>,
    pub total_customers: i64,
    pub created_at: DateTime<Utc>,
}

impl CustomerAccount {
    pub fn reference(&self) -> CustomerAccountRef {
        CustomerAccountRef {
            id: self.id,
            code: self.code.clone(),
            name: self.name.clone(),
        }
    }
}

/// A new account; the store seals the client secret.
#[derive(Debug, Clone)]
pub struct NewCustomerAccount {
    pub company_id: CompanyId,
    pub code: String,
    pub name: String,
    pub oidc: Option<OidcProvider>,
}

/// Changes to an account; `None` keeps a value, `oidc: Some(None)` removes the provider.
#[derive(Debug, Clone, Default)]
pub struct CustomerAccountChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub oidc: Option<Option<OidcProvider>>,
}

/// Customer accounts, each company's own.
#[async_trait]
pub trait CustomerAccountStore: Send + Sync {
    /// Inserts an account and records `customer_account.created`; a taken code is
    /// `Duplicate("customer account")`.
    async fn create_customer_account(
        &self,
        account: NewCustomerAccount,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerAccount>;

    async fn customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
    ) -> StoreResult<Option<CustomerAccount>>;

    async fn customer_account_by_code(
        &self,
        company_id: CompanyId,
        code: &str,
    ) -> StoreResult<Option<CustomerAccount>>;

    /// The company's accounts that match, newest first unless the query orders them.
    async fn customer_accounts(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CustomerAccount>>;

    /// Applies `changes` and records `customer_account.updated` when anything changed; `None` when
    /// the company has no such account.
    async fn update_customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
        changes: &CustomerAccountChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CustomerAccount>>;

    /// Deletes the account, its customers staying without one, and records
    /// `customer_account.deleted`; false when the company has no such account.
    async fn delete_customer_account(
        &self,
        company_id: CompanyId,
        id: CustomerAccountId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The license user with this e-mail address who belongs to a customer of the account.
    async fn account_license_user(
        &self,
        company_id: CompanyId,
        account_id: CustomerAccountId,
        email: &str,
    ) -> StoreResult<Option<LicenseUser>>;
}
