//! Storage behind one trait, with one implementation per database (SQLite, PostgreSQL).
//!
//! Limits that many requests race for are guarded inside the database, never by a read in Rust followed
//! by a write: each guard is named where it is taken.

mod model;
mod postgres;
pub mod secrets;
mod sql;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{ActivationOutcome, DeviceState, DomainError, LicenseRules};

pub use model::*;
pub use postgres::PostgresStore;
pub use secrets::SecretBox;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Rejected(#[from] DomainError),
    #[error("unknown product")]
    UnknownProduct,
    #[error("license not found")]
    LicenseNotFound,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Decides an activation from the locked license and this hardware id's device (domain rule).
pub type ActivationRule<'a> = &'a (dyn Fn(&LicenseRules, Option<DeviceState>) -> Result<ActivationOutcome, DomainError>
         + Sync);
/// Decides whether a device may act on the license (domain rule).
pub type DeviceRule<'a> =
    &'a (dyn Fn(&LicenseRules, Option<DeviceState>) -> Result<(), DomainError> + Sync);

/// A new company's secrets, in the clear; the store seals them.
pub struct NewCompany<'a> {
    pub name: &'a str,
    pub signing_key_pkcs8: &'a [u8],
    pub public_key_pem: &'a str,
}

/// The license and device after an activation.
#[derive(Debug, Clone)]
pub struct Activation {
    pub product: Product,
    pub license: License,
    pub device: Device,
    pub variables: Vec<DeviceVariable>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Companies and API keys.
    async fn create_company(
        &self,
        company: NewCompany<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Company>;
    async fn company(&self, company_id: i64) -> StoreResult<Option<Company>>;
    async fn company_signing_key(&self, company_id: i64) -> StoreResult<Vec<u8>>;
    async fn company_count(&self) -> StoreResult<i64>;
    async fn create_api_key(
        &self,
        company_id: i64,
        api_key: &str,
        shared_key: &str,
        read_only: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiKey>;
    async fn api_key(&self, api_key: &str) -> StoreResult<Option<ApiKey>>;
    async fn revoke_api_key(&self, api_key: &str) -> StoreResult<()>;

    // Catalogue.
    async fn create_product(&self, product: NewProduct, now: DateTime<Utc>)
        -> StoreResult<Product>;
    async fn product(&self, company_id: i64, code: &str) -> StoreResult<Option<Product>>;
    async fn product_by_id(&self, product_id: i64) -> StoreResult<Product>;
    async fn create_license(&self, license: NewLicense, now: DateTime<Utc>)
        -> StoreResult<License>;
    /// Licenses with this key, across companies when `company_id` is `None` (vendor CLI).
    async fn licenses_by_key(
        &self,
        company_id: Option<i64>,
        license_key: &str,
    ) -> StoreResult<Vec<License>>;
    async fn set_license_enabled(&self, license_id: i64, enabled: bool) -> StoreResult<()>;

    // Devices.
    async fn devices(&self, license_id: i64) -> StoreResult<Vec<Device>>;
    /// Blacklists a hardware id on a license, freeing its activation if it held one.
    async fn blacklist_device(
        &self,
        license_id: i64,
        hardware_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Device>;

    // License API.
    /// Product, license and device in one indexed read: the whole of `check_license`'s storage work.
    async fn lookup(&self, key: &DeviceKey<'_>) -> StoreResult<LicenseLookup>;
    async fn activate(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Activation>;
    async fn deactivate(&self, key: &DeviceKey<'_>, rule: DeviceRule<'_>) -> StoreResult<()>;
    async fn set_variables(
        &self,
        device_id: i64,
        variables: &[(String, String)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceVariable>>;
    async fn variables(&self, device_id: i64) -> StoreResult<Vec<DeviceVariable>>;
    /// Stores a device's v1 license signature for the validity it was made for.
    async fn cache_signature(
        &self,
        device_id: i64,
        signature: &str,
        validity: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Writes the last-check times collected by the write-behind queue, in one statement per batch.
    async fn record_checks(&self, checks: &[(i64, DateTime<Utc>)]) -> StoreResult<()>;
}

/// Opens the store a database URL names, applying migrations. `sqlite:` and `postgres://` are known;
/// `schema` applies to PostgreSQL only.
pub async fn connect(
    database_url: &str,
    schema: Option<&str>,
    secrets: SecretBox,
) -> StoreResult<std::sync::Arc<dyn Store>> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            PostgresStore::connect(database_url, schema, secrets).await?,
        ))
    } else {
        Ok(std::sync::Arc::new(
            SqliteStore::connect(database_url, secrets).await?,
        ))
    }
}

pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
