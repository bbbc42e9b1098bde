//! Management API keys and the event log.

use chrono::Utc;
use latch_store::query::ListQuery;
use latch_store::{
    CheckCount, Event, Listing, ManagementKey, NewManagementKey, Page, RefusalCount,
};

use crate::keys::{generate_api_key, random_string, secret_hash, KEY_ALPHABET};
use crate::{Service, ServiceError, ServiceResult, Tenant};

/// A new management key, the key itself in the clear: shown once, only its hash is stored.
#[derive(Debug)]
pub struct CreatedManagementKey {
    pub key: ManagementKey,
    pub secret: String,
}

/// The stored form of a management key: a SHA-256 in hex. Keys carry 160 random bits, so a fast hash
/// is safe, and it lets each request find its key by one indexed equality.
pub fn management_key_hash(key: &str) -> String {
    secret_hash(key)
}

impl Service {
    /// The key that `secret` is, if it exists (revoked or not).
    pub async fn management_key(&self, secret: &str) -> ServiceResult<Option<ManagementKey>> {
        Ok(self
            .store
            .management_key(&management_key_hash(secret))
            .await?)
    }

    /// Revokes a management key of any company: the key itself is the proof of which one.
    pub async fn revoke_management_key(&self, secret: &str) -> ServiceResult<ManagementKey> {
        self.store
            .revoke_management_key_by_hash(
                &management_key_hash(secret),
                &latch_store::Actor::Cli,
                Utc::now(),
            )
            .await?
            .ok_or_else(|| ServiceError::NotFound("management key".into()))
    }
}

impl Tenant<'_> {
    /// A new key to the Management API, shaped like LicenseSpring's: an 8-character prefix, a dot
    /// and a 32-character secret.
    pub async fn create_management_key(
        &self,
        read_only: bool,
    ) -> ServiceResult<CreatedManagementKey> {
        let prefix = random_string(KEY_ALPHABET, 8)?;
        let secret = format!("{prefix}.{}", generate_api_key()?);
        let key = self
            .store
            .create_management_key(
                NewManagementKey {
                    company_id: self.company_id(),
                    prefix: &prefix,
                    key_hash: &management_key_hash(&secret),
                    read_only,
                },
                &self.actor,
                Utc::now(),
            )
            .await?;
        Ok(CreatedManagementKey { key, secret })
    }

    /// The company's management keys, revoked ones included, newest first.
    pub async fn management_keys(&self) -> ServiceResult<Vec<ManagementKey>> {
        Ok(self.store.management_keys(self.company_id()).await?)
    }

    /// Revokes the company's management key with this id.
    pub async fn revoke_management_key(&self, key_id: i64) -> ServiceResult<ManagementKey> {
        self.store
            .revoke_management_key(self.company_id(), key_id, &self.actor, Utc::now())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("management key with id {key_id}")))
    }

    /// The company's checks per license and hour that match, latest first.
    pub async fn check_counts(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<CheckCount>> {
        Ok(self
            .store
            .check_counts(self.company_id(), list_query, page)
            .await?)
    }

    /// The company's License API refusals per code and hour that match, latest first.
    pub async fn refusal_counts(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<RefusalCount>> {
        Ok(self
            .store
            .refusal_counts(self.company_id(), list_query, page)
            .await?)
    }

    /// The company's events that match, newest first unless the query orders them.
    pub async fn events(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<Event>> {
        Ok(self
            .store
            .events(self.company_id(), list_query, page)
            .await?)
    }
}
