//! Companies (tenants) and their API keys.

use chrono::Utc;
use latch_domain::CompanyId;
use latch_store::{Actor, ApiKey, Change, Company, Listing, NewCompany, Page};
use latch_wire::signing::generate_key;

use crate::keys::{generate_api_key, generate_shared_key};
use crate::{Service, ServiceError, ServiceResult, Tenant};

/// A new company and its first API key, secrets in the clear: shown once.
#[derive(Debug)]
pub struct CreatedCompany {
    pub company: Company,
    pub api_key: ApiKey,
}

impl Service {
    /// A company with its own RSA-2048 signing key and a first API key.
    pub async fn create_company(&self, name: &str) -> ServiceResult<CreatedCompany> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ServiceError::invalid(
                "name",
                "the company name must not be empty",
            ));
        }
        let key = generate_key().map_err(|_| ServiceError::KeyGeneration)?;
        let company = self
            .store
            .create_company(
                NewCompany {
                    name,
                    signing_key_pkcs8: &key.pkcs8_der,
                    public_key_pem: &key.public_key_pem,
                },
                Utc::now(),
            )
            .await?;
        let tenant = Tenant {
            store: self.store.as_ref(),
            company,
            actor: latch_store::Actor::Cli,
        };
        let api_key = tenant.create_api_key(false).await?;
        Ok(CreatedCompany {
            company: tenant.company,
            api_key,
        })
    }

    pub async fn companies(&self, page: Page) -> ServiceResult<Listing<Company>> {
        Ok(self.store.companies(page).await?)
    }

    /// The company's side of the service, or "not found".
    pub async fn tenant(&self, company: CompanyId) -> ServiceResult<Tenant<'_>> {
        let company = self
            .store
            .company(company)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("company with id {company}")))?;
        Ok(Tenant {
            store: self.store.as_ref(),
            company,
            actor: latch_store::Actor::Cli,
        })
    }

    /// Revokes an API key of any company: the key itself is the proof of which one.
    pub async fn revoke_api_key(&self, api_key: &str) -> ServiceResult<()> {
        self.store
            .revoke_api_key(api_key, Change::now(&Actor::Cli))
            .await
            .map_err(|error| match error {
                latch_store::StoreError::NotFound(_) => {
                    ServiceError::NotFound(format!("API key {api_key}"))
                }
                other => other.into(),
            })
    }
}

impl Tenant<'_> {
    /// A new API key and shared key; a read-only key may check but not change anything.
    pub async fn create_api_key(&self, read_only: bool) -> ServiceResult<ApiKey> {
        let api_key = generate_api_key()?;
        let shared_key = generate_shared_key()?;
        Ok(self
            .store
            .create_api_key(
                self.company_id(),
                &api_key,
                &shared_key,
                read_only,
                self.change(),
            )
            .await?)
    }

    /// Whether License API answers show license users' initial passwords beyond the trial that
    /// created the user (in repeated trials and `customer_license_users`).
    pub async fn set_expose_initial_passwords(&mut self, expose: bool) -> ServiceResult<()> {
        self.store
            .set_expose_initial_passwords(self.company_id(), expose)
            .await?;
        self.company.expose_initial_passwords = expose;
        Ok(())
    }

    /// Revokes the company's API key; another company's is "not found".
    pub async fn revoke_api_key(&self, api_key: &str) -> ServiceResult<()> {
        let own = self
            .store
            .api_key(api_key)
            .await?
            .is_some_and(|key| key.company_id == self.company_id());
        if !own {
            return Err(ServiceError::NotFound(format!("API key {api_key}")));
        }
        Ok(self.store.revoke_api_key(api_key, self.change()).await?)
    }

    /// The company's API keys, revoked ones included.
    pub async fn api_keys(&self) -> ServiceResult<Vec<ApiKey>> {
        Ok(self.store.api_keys(self.company_id()).await?)
    }
}
