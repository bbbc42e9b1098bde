//! Storage behind traits, implemented once by the generic [`SqlStore`] for both databases:
//! [`SqliteStore`] and [`PostgresStore`] are its two instances. A [`Backend`] holds only what differs
//! (the sqlx database, the license row lock, how a write transaction begins); each database connects
//! in its own module. sqlx's per-database trait bounds are proved once, in `sql/database.rs`, and
//! reach the generic code as methods returning boxed futures: the bounds are not repeated on every
//! impl block, and the `Send` futures async_trait needs stay free of higher-ranked bounds.
//!
//! Limits that many requests race for are guarded inside the database, never by a read in Rust followed
//! by a write. The guards:
//! - activations, transfers, license-user activations, floating seats, consumptions (license and
//!   feature): the license row is locked (`FOR NO KEY UPDATE` on PostgreSQL; SQLite runs every write
//!   transaction as `BEGIN IMMEDIATE` on one connection) for the whole decision;
//! - one device per hardware id and license: UNIQUE (license_id, hardware_id);
//! - one trial per product and hardware id: the `trials` primary key.

pub mod changes;
mod customer_accounts;
mod model;
mod postgres;
pub mod query;
pub mod secrets;
mod sql;
mod sqlite;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{
    ActivationOutcome, CompanyId, CustomerId, DeviceId, DeviceState, DomainError, LicenseFeatureId,
    LicenseId, LicenseRules, LicenseUserId, ProductFeatureId, ProductId, ReleaseId,
};

pub use customer_accounts::*;
pub use model::*;
pub use postgres::PostgresStore;
pub use secrets::SecretBox;
/// The text of [`LicenseApiStore::lookup`]'s statement for a key-based license, with `$1`..`$5`
/// placeholders (company id, product code, license key, hardware id, license id): public so that the
/// benchmark harness can run the very same statement through another driver.
pub use sql::lookup_by_key_sql;
pub use sql::{Backend, SqlStore};
pub use sqlite::SqliteStore;
pub use webhooks::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Rejected(#[from] DomainError),
    #[error("unknown product")]
    UnknownProduct,
    #[error("license not found")]
    LicenseNotFound,
    #[error("the license has no feature with this code")]
    UnknownFeature,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From SQLite's inline read path (`check_license`'s lookup).
    #[error("database error: {0}")]
    InlineRead(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
    #[error("cannot follow license changes: {0}")]
    ChangeFeed(String),
    /// A transaction given a [`ClaimTicket`] found the request claimed by an identical one.
    #[error("an identical request was claimed first")]
    RequestClaimed,
}

impl StoreError {
    /// Whether this is a database error that means storage cannot serve now (disk full, I/O, no connection in time,
    /// database locked) rather than a broken request or a bug: such failures pass once storage recovers.
    pub fn is_storage_unavailable(&self) -> bool {
        let error = match self {
            StoreError::Database(error) => error,
            StoreError::InlineRead(rusqlite::Error::SqliteFailure(failure, _)) => {
                return is_unavailable_sqlite_code(failure.extended_code);
            }
            _ => return false,
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                if let Some(postgres) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    // SQLSTATE classes 08 (connection), 53 (insufficient resources: disk full, out
                    // of memory, too many connections) and 57P (operator intervention: shutdown).
                    let state = postgres.code();
                    return ["08", "53", "57P"]
                        .iter()
                        .any(|class| state.starts_with(class));
                }
                db.code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(is_unavailable_sqlite_code)
            }
            _ => false,
        }
    }
}

/// SQLite result codes, the primary code in the low byte: BUSY 5, LOCKED 6, NOMEM 7, READONLY 8,
/// IOERR 10, FULL 13, CANTOPEN 14.
fn is_unavailable_sqlite_code(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14)
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

/// Who makes a vendor's change and when: the event log records both with the change.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
}

impl<'a> Change<'a> {
    /// A change made now by `actor`.
    pub fn now(actor: &'a Actor) -> Self {
        Self {
            actor,
            at: Utc::now(),
        }
    }
}

/// Who carried an offline request file to Latch: the device itself through the License API, or the
/// vendor who received it (CLI, Management API).
#[derive(Debug, Clone, Copy)]
pub enum OfflineOrigin<'a> {
    Device,
    Vendor(&'a Actor),
}

/// The license after an activation, and the device's variables.
#[derive(Debug, Clone)]
pub struct Activation {
    pub view: LicenseView,
    pub variables: Vec<DeviceVariable>,
}

/// Companies and their API keys.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn create_company(
        &self,
        company: NewCompany<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Company>;
    async fn company(&self, company_id: CompanyId) -> StoreResult<Option<Company>>;
    async fn set_expose_initial_passwords(
        &self,
        company_id: CompanyId,
        expose: bool,
    ) -> StoreResult<()>;
    async fn company_signing_key(&self, company_id: CompanyId) -> StoreResult<Vec<u8>>;
    async fn company_count(&self) -> StoreResult<i64>;
    async fn create_api_key(
        &self,
        company_id: CompanyId,
        api_key: &str,
        shared_key: &str,
        read_only: bool,
        change: Change<'_>,
    ) -> StoreResult<ApiKey>;
    async fn api_key(&self, api_key: &str) -> StoreResult<Option<ApiKey>>;
    async fn revoke_api_key(&self, api_key: &str, change: Change<'_>) -> StoreResult<()>;
    /// Re-seals every stored secret under `new` in one transaction; returns how many were re-sealed.
    /// The store keeps using its current key: restart with the new one afterwards.
    async fn reseal_secrets(&self, new: &SecretBox) -> StoreResult<u64>;
}

/// An access token to store: the SHA-256 of the token, for which client and until when.
pub struct NewOAuthToken<'a> {
    pub token_hash: &'a str,
    pub client_id: &'a str,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Rows of tokens that expired before this are deleted with the insert.
    pub forget_expired_before: DateTime<Utc>,
}

/// OAuth clients of the License API and the access tokens issued to them.
#[async_trait]
pub trait OAuthStore: Send + Sync {
    /// Stores a client (sealing its secret) and records `oauth_client.created`.
    async fn create_oauth_client(
        &self,
        company_id: CompanyId,
        client_id: &str,
        client_secret: &str,
        change: Change<'_>,
    ) -> StoreResult<OAuthClient>;
    /// The client with this id, of any company, revoked or not.
    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClient>>;
    /// The company's clients (revoked ones too), newest first.
    async fn oauth_clients(&self, company_id: CompanyId) -> StoreResult<Vec<OAuthClient>>;
    /// Revokes the client, whichever company holds it, and records `oauth_client.revoked`.
    async fn revoke_oauth_client(
        &self,
        client_id: &str,
        change: Change<'_>,
    ) -> StoreResult<OAuthClient>;
    /// Stores an access token of an existing client.
    async fn insert_oauth_token(&self, token: NewOAuthToken<'_>) -> StoreResult<()>;
    /// What the token whose SHA-256 this is grants, expired or not, while its row is kept.
    async fn oauth_token(&self, token_hash: &str) -> StoreResult<Option<OAuthToken>>;
}

/// What vendors set up and inspect: products, features, releases, customers, users, licenses, devices.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn product(&self, company_id: CompanyId, code: &str) -> StoreResult<Option<Product>>;
    async fn product_by_id(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Product>;
    async fn product_features(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<ProductFeature>>;
    /// Enabled releases of the company's product, newest release date first.
    async fn releases(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<Release>>;
    async fn customer_by_email(
        &self,
        company_id: CompanyId,
        email: &str,
    ) -> StoreResult<Option<Customer>>;
    async fn customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
    ) -> StoreResult<Option<Customer>>;
    async fn create_license(&self, license: NewLicense, change: Change<'_>)
        -> StoreResult<License>;
    async fn license(&self, company_id: CompanyId, license_id: LicenseId) -> StoreResult<License>;
    /// The company holding the license, across companies: for operators who name a license by id alone.
    async fn license_company(&self, license_id: LicenseId) -> StoreResult<Option<CompanyId>>;
    /// Licenses with this key, across companies when `company_id` is `None` (vendor CLI).
    async fn licenses_by_key(
        &self,
        company_id: Option<CompanyId>,
        license_key: &str,
    ) -> StoreResult<Vec<License>>;
    async fn set_license_enabled(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        enabled: bool,
        change: Change<'_>,
    ) -> StoreResult<()>;
    /// Deactivates every device of the license and frees its seats: all activations are available again.
    async fn reset_license(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        change: Change<'_>,
    ) -> StoreResult<()>;
    async fn add_license_feature(
        &self,
        company_id: CompanyId,
        feature: NewLicenseFeature,
        change: Change<'_>,
    ) -> StoreResult<LicenseFeature>;
    async fn license_features(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<LicenseFeature>>;
    async fn create_license_user(
        &self,
        user: NewLicenseUser,
        change: Change<'_>,
    ) -> StoreResult<LicenseUser>;
    /// Places the company's license user on the company's license.
    async fn assign_license_user(
        &self,
        company_id: CompanyId,
        assignment: Assignment,
        change: Change<'_>,
    ) -> StoreResult<()>;
    async fn devices(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<Device>>;
    /// Blacklists a hardware id on a license, freeing its activation if it held one.
    async fn blacklist_device(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        hardware_id: &str,
        change: Change<'_>,
    ) -> StoreResult<Device>;
    async fn variables(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<Vec<DeviceVariable>>;
}

/// What a consumption change must do, decided from the locked counter.
pub type ConsumptionRule<'a> =
    &'a (dyn Fn(&latch_domain::Consumption) -> Result<latch_domain::Counter, DomainError> + Sync);

/// What a feature consumption must do, decided from the locked feature.
pub type FeatureConsumptionRule<'a> =
    &'a (dyn Fn(&LicenseFeature) -> Result<latch_domain::Counter, DomainError> + Sync);

/// The License API's reads and writes.
#[async_trait]
pub trait LicenseApiStore: Send + Sync {
    /// Product, license, device, user, customer and features in one indexed read: the whole of
    /// `check_license`'s storage work for non-floating licenses.
    async fn lookup(&self, key: &DeviceKey<'_>) -> StoreResult<LicenseLookup>;
    /// Activates the license on the device; with `claim`, the activation's transaction first claims
    /// the request (see [`ClaimTicket`]).
    async fn activate(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        claim: Option<ClaimTicket<'_>>,
    ) -> StoreResult<Activation>;
    async fn deactivate(&self, key: &DeviceKey<'_>, rule: DeviceRule<'_>) -> StoreResult<()>;
    /// Takes or renews the device's floating seat; returns the view with the seat and the seat count.
    async fn take_floating_seat(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseView>;
    async fn release_floating_seat(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
    ) -> StoreResult<()>;
    /// Changes the license's consumption counter under the license row lock.
    async fn consume(
        &self,
        key: &DeviceKey<'_>,
        device_rule: DeviceRule<'_>,
        rule: ConsumptionRule<'_>,
    ) -> StoreResult<License>;
    /// Changes a license feature's consumption counter under the license row lock.
    async fn consume_feature(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        rule: FeatureConsumptionRule<'_>,
    ) -> StoreResult<LicenseFeature>;
    /// Takes, renews or borrows this device's seat on a floating feature; returns the seat count.
    async fn take_feature_seat(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<FeatureSeat>;
    async fn release_feature_seat(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Sets variables of the company's device (none on another company's); returns all of them.
    async fn set_variables(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        variables: &[(String, String)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceVariable>>;
    async fn license_user(
        &self,
        company_id: CompanyId,
        email: &str,
    ) -> StoreResult<Option<LicenseUser>>;
    /// The user's licenses (of one product, or of all), with their assignments.
    async fn user_licenses(
        &self,
        product_id: Option<ProductId>,
        license_user_id: LicenseUserId,
    ) -> StoreResult<Vec<(License, Assignment)>>;
    /// License users on the customer's licenses of a product.
    async fn customer_license_users(
        &self,
        product_id: ProductId,
        customer_id: CustomerId,
    ) -> StoreResult<Vec<(LicenseUser, Assignment)>>;
    async fn change_password(
        &self,
        license_user_id: LicenseUserId,
        password_hash: &str,
    ) -> StoreResult<()>;
    /// The trial already given for this product to this hardware id, or to this e-mail address.
    async fn trial(
        &self,
        product_id: ProductId,
        hardware_id: &str,
        email: Option<&str>,
    ) -> StoreResult<Option<License>>;
    /// Records a new trial license, or returns the one another request created first (`false`).
    async fn create_trial(
        &self,
        hardware_id: &str,
        email: Option<&str>,
        license: NewLicense,
        user: Option<TrialUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<(License, bool)>;
    /// Applies a batch of deferred writes in one transaction.
    async fn apply_deferred(&self, writes: &[DeferredWrite]) -> StoreResult<()>;
    /// `activate` for an offline request file: the same limits, its event marked `offline` and made by
    /// `origin`'s actor.
    async fn activate_offline(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        origin: OfflineOrigin<'_>,
    ) -> StoreResult<Activation>;
    /// `deactivate` for an offline request file, its event marked `offline` and made by `origin`'s actor.
    async fn deactivate_offline(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        origin: OfflineOrigin<'_>,
    ) -> StoreResult<()>;
}

/// Paginated lists of a company's rows, for vendors. Each is ordered newest first, with a stable
/// tie-break on the id so pages never overlap.
#[async_trait]
pub trait ListingStore: Send + Sync {
    async fn companies(&self, page: Page) -> StoreResult<Listing<Company>>;
    /// The company's API keys (revoked ones too), newest first.
    async fn api_keys(&self, company_id: CompanyId) -> StoreResult<Vec<ApiKey>>;
    async fn products(&self, company_id: CompanyId, page: Page) -> StoreResult<Listing<Product>>;
    async fn customers(&self, company_id: CompanyId, page: Page) -> StoreResult<Listing<Customer>>;
    /// How many of the company's customers match, counted up to `count_limit`.
    async fn count_customers(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        count_limit: u64,
    ) -> StoreResult<u64>;
    async fn license_users(
        &self,
        company_id: CompanyId,
        page: Page,
    ) -> StoreResult<Listing<LicenseUser>>;
    async fn licenses(
        &self,
        company_id: CompanyId,
        filter: &LicenseFilter,
        page: Page,
    ) -> StoreResult<Listing<License>>;
}

/// A management key to store: its public prefix and the SHA-256 of the whole key.
pub struct NewManagementKey<'a> {
    pub company_id: CompanyId,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub read_only: bool,
}

/// Management API keys and the event log.
#[async_trait]
pub trait ManagementStore: Send + Sync {
    async fn create_management_key(
        &self,
        key: NewManagementKey<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ManagementKey>;
    /// The key whose SHA-256 this is, revoked or not.
    async fn management_key(&self, key_hash: &str) -> StoreResult<Option<ManagementKey>>;
    /// The company's keys (revoked ones too), newest first.
    async fn management_keys(&self, company_id: CompanyId) -> StoreResult<Vec<ManagementKey>>;
    /// Revokes the company's key with this id; `None` when it has none.
    async fn revoke_management_key(
        &self,
        company_id: CompanyId,
        key_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ManagementKey>>;
    /// Revokes the key whose SHA-256 this is, whichever company holds it.
    async fn revoke_management_key_by_hash(
        &self,
        key_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ManagementKey>>;
    /// The company's hourly check counts that match, latest hour first unless ordered otherwise.
    async fn check_counts(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CheckCount>>;
    /// The company's hourly License API refusal counts that match, latest hour first unless
    /// ordered otherwise.
    async fn refusal_counts(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<RefusalCount>>;
    /// The company's events that match, newest first unless ordered otherwise.
    async fn events(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<Event>>;
}

/// Licenses as the Management API manages them; every change records its event in its transaction.
#[async_trait]
pub trait LicenseAdminStore: Send + Sync {
    /// The ids of the company's licenses that match, newest first unless ordered otherwise; the
    /// total stops at `count_limit` when given (a vendor's search needs no exact million).
    async fn license_ids(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
        count_limit: Option<u64>,
    ) -> StoreResult<Listing<LicenseId>>;
    /// The company's licenses with these ids, whole, in the order of `ids` (others' are left out).
    async fn license_records(
        &self,
        company_id: CompanyId,
        ids: &[LicenseId],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<LicenseRecord>>;
    /// Applies every update or none (`LicenseNotFound` for a license not of the company).
    async fn update_licenses(
        &self,
        company_id: CompanyId,
        updates: &[LicenseUpdate],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The active devices of the company's licenses with these ids, at most `limit` of them.
    async fn active_devices(
        &self,
        company_id: CompanyId,
        license_ids: &[LicenseId],
        limit: usize,
    ) -> StoreResult<Vec<ActiveDevice>>;
    /// Deletes the license with its devices, features, users' places and custom field values.
    async fn delete_license(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Makes these the license's features: listed ones created or updated, the others deleted.
    async fn replace_license_features(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        grants: &[FeatureGrant],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Grants a product feature the license does not have yet.
    async fn grant_license_feature(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        grant: &FeatureGrant,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseFeature>;
    async fn license_feature(
        &self,
        company_id: CompanyId,
        feature_id: LicenseFeatureId,
    ) -> StoreResult<LicenseFeature>;
    /// Takes a user off the license; the user's devices on it are deactivated.
    async fn unassign_license_user(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        license_user_id: LicenseUserId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn set_users_activations(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        changes: &[UserActivationsChange],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Devices holding a floating seat on the license or its features at `now`.
    async fn seat_holders(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SeatHolder>>;
    /// Frees every seat the device holds on the license and its features.
    async fn release_seat(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

/// Orders and the licenses they carry, for the Management API.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Places an order in one transaction: its customer (found by e-mail and updated, or created),
    /// the order, its licenses with features, custom field values and users, and their events. An
    /// order with the same store id is answered unchanged unless `append` adds the licenses to it.
    async fn place_order(
        &self,
        order: NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<PlacedOrder>;
    async fn order(&self, company_id: CompanyId, order_id: i64)
        -> StoreResult<Option<OrderRecord>>;
    async fn orders(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<OrderRecord>>;
    /// The order's licenses, oldest first.
    async fn order_licenses(
        &self,
        company_id: CompanyId,
        order_id: i64,
    ) -> StoreResult<Vec<License>>;
    /// Changes the company's order; `None` when it has none with this id.
    async fn update_order(
        &self,
        company_id: CompanyId,
        order_id: i64,
        changes: &OrderChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OrderRecord>>;
    /// The product's custom fields as (id, name).
    async fn product_custom_field_names(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<(i64, String)>>;
}

/// Customers and license users as vendors manage them.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn customer_record(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
    ) -> StoreResult<Option<CustomerRecord>>;
    async fn customer_records(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<CustomerRecord>>;
    /// Creates a customer and records `customer.created`.
    async fn add_customer(
        &self,
        customer: Customer,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerRecord>;
    /// Changes the company's customer; `None` when it has none with this id.
    async fn update_customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
        changes: &CustomerChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CustomerRecord>>;
    /// Deletes the company's customer unless licenses or orders name it, unlinking its license users.
    async fn delete_customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CustomerDeletion>;
    async fn license_user_record(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
    ) -> StoreResult<Option<LicenseUserRecord>>;
    async fn license_user_records(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<LicenseUserRecord>>;
    /// Changes the company's license user; `None` when it has none with this id.
    async fn update_license_user(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
        changes: &LicenseUserChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<LicenseUserRecord>>;
    /// Replaces the user's password (and forgets its initial one); `false` when the company has no
    /// user with this id.
    async fn set_license_user_password(
        &self,
        company_id: CompanyId,
        license_user_id: LicenseUserId,
        password_hash: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// What vendors manage through the Management API beyond licenses: devices and their variables,
/// products, features, installation files and custom fields. Every change records its event in its
/// own transaction.
#[async_trait]
pub trait CatalogAdminStore: Send + Sync {
    async fn list_devices(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<DeviceRecord>>;
    /// The company's device (`NotFound` for another company's).
    async fn device_record(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<DeviceRecord>;
    /// Deactivates the device, frees its activation and its seats.
    async fn reset_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Blacklists the device: deactivated, its activation and seats freed, refused from now on.
    async fn blacklist_device_by_id(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Borrows the license's floating seat for the device until `until` (None: releases the borrow),
    /// under the license row lock, the device rule and the floating rules.
    async fn borrow_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        until: Option<DateTime<Utc>>,
        rule: DeviceRule<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceBorrow>;
    async fn list_device_variables(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<DeviceVariable>>;
    async fn device_variable(&self, company_id: CompanyId, id: i64) -> StoreResult<DeviceVariable>;
    async fn create_device_variable(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        name: &str,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceVariable>;
    async fn update_device_variable(
        &self,
        company_id: CompanyId,
        id: i64,
        name: &str,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceVariable>;
    async fn delete_device_variable(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn list_products(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductRecord>>;
    async fn product_record(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<ProductRecord>;
    async fn insert_product(
        &self,
        product: NewProduct,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductRecord>;
    async fn update_product(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
        changes: &ProductChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductRecord>;
    async fn list_product_features(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductFeatureRecord>>;
    async fn product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
    ) -> StoreResult<ProductFeatureRecord>;
    /// Adds a feature to the company's product (`UnknownProduct` if it is not the company's).
    async fn insert_product_feature(
        &self,
        company_id: CompanyId,
        feature: &FeatureValues,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductFeatureRecord>;
    async fn update_product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
        feature: &FeatureValues,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductFeatureRecord>;
    /// Deletes a feature no license holds; `false` (nothing deleted) while one does.
    async fn delete_product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn list_releases(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<Release>>;
    async fn release(&self, company_id: CompanyId, release_id: ReleaseId) -> StoreResult<Release>;
    /// Adds a release to the company's product (`UnknownProduct` if it is not the company's).
    async fn insert_release(
        &self,
        company_id: CompanyId,
        release: &NewRelease,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Release>;
    async fn update_release(
        &self,
        company_id: CompanyId,
        release_id: ReleaseId,
        release: &NewRelease,
        enabled: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Release>;
    async fn delete_release(
        &self,
        company_id: CompanyId,
        release_id: ReleaseId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn list_product_custom_fields(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductCustomField>>;
    async fn product_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
    ) -> StoreResult<ProductCustomField>;
    /// Creates (`id` None) or rewrites a product custom field of the company's product.
    async fn save_product_custom_field(
        &self,
        company_id: CompanyId,
        id: Option<i64>,
        field: &ProductCustomField,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductCustomField>;
    /// Deletes the field and every license's value of it.
    async fn delete_product_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn list_license_custom_fields(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<LicenseCustomField>>;
    async fn license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
    ) -> StoreResult<LicenseCustomField>;
    /// Sets a license's value of a custom field of its own product.
    async fn create_license_custom_field(
        &self,
        company_id: CompanyId,
        field: &LicenseCustomField,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseCustomField>;
    async fn update_license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseCustomField>;
    async fn delete_license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The custom fields a license shows: its values, else its product's defaults, by name.
    async fn custom_field_values(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<CustomFieldValue>>;
}

/// The stream of committed license changes, for caches of License API reads.
#[async_trait]
pub trait ChangeSource: Send + Sync {
    /// Starts following changes made from now on, by anyone.
    async fn watch_changes(&self) -> StoreResult<std::sync::Arc<dyn changes::LicenseChanges>>;
}

/// Guards against abuse that must hold across nodes: attempt limits and replayed requests.
#[async_trait]
pub trait GuardStore: Send + Sync {
    /// Counts one attempt of `kind` for `subject` in a fixed window that starts at the subject's first
    /// attempt and lasts `window`; returns the attempts in the window, this one included.
    async fn take_attempt(
        &self,
        company_id: CompanyId,
        kind: AttemptKind,
        subject: &str,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> StoreResult<AttemptWindow>;
    /// Un-counts an attempt that turned out not to count (a right password).
    async fn return_attempt(
        &self,
        company_id: CompanyId,
        kind: AttemptKind,
        subject: &str,
    ) -> StoreResult<()>;
    /// What an identical request claimed after `fresh_after` left: its answer, or `Running`;
    /// `None` when there is no such claim. A read: it claims nothing.
    async fn claimed_request(
        &self,
        request_hash: &str,
        fresh_after: DateTime<Utc>,
    ) -> StoreResult<Option<RequestClaim>>;
    /// Claims a request by its hash unless an identical request was claimed after `fresh_after`.
    async fn claim_request(
        &self,
        request_hash: &str,
        now: DateTime<Utc>,
        fresh_after: DateTime<Utc>,
    ) -> StoreResult<RequestClaim>;
    /// Forgets answers and attempt windows older than `before`.
    async fn prune_guards(&self, before: DateTime<Utc>) -> StoreResult<()>;
    /// Proves storage serves: one read through the readers and one committed write through the
    /// writer.
    async fn probe(&self, now: DateTime<Utc>) -> StoreResult<()>;
}

/// A database connection pool as the metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConnections {
    /// `reader` or `writer` (on PostgreSQL both name the same pool).
    pub pool: &'static str,
    pub open: u32,
    pub idle: usize,
}

/// The connection pools, for the metrics.
pub trait PoolStatus: Send + Sync {
    fn pool_connections(&self) -> [PoolConnections; 2];
}

/// Webhook endpoints and the delivery of their events. Deliveries are written by
/// [`SqlStore`]'s event recording, in the transaction of the change, for every enabled endpoint
/// whose subscriptions match; sending nodes claim them here.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook(
        &self,
        webhook: NewWebhook<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint>;
    /// The company's endpoints, newest first.
    async fn webhooks(&self, company_id: CompanyId) -> StoreResult<Vec<WebhookEndpoint>>;
    /// The company's endpoint (`NotFound` for another company's).
    async fn webhook(&self, company_id: CompanyId, id: i64) -> StoreResult<WebhookEndpoint>;
    async fn update_webhook(
        &self,
        company_id: CompanyId,
        id: i64,
        changes: &WebhookChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint>;
    /// Deletes the endpoint and its deliveries.
    async fn delete_webhook(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Replaces the secret; the one replaced stays valid until `keep_previous_until`.
    async fn rotate_webhook_secret(
        &self,
        company_id: CompanyId,
        id: i64,
        secret: &str,
        keep_previous_until: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint>;
    /// The company's deliveries that match, newest first.
    async fn webhook_deliveries(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        page: Page,
    ) -> StoreResult<Listing<WebhookDelivery>>;
    /// One delivery of the company's endpoint, with its attempts, oldest first.
    async fn webhook_delivery(
        &self,
        company_id: CompanyId,
        endpoint_id: i64,
        delivery_id: i64,
    ) -> StoreResult<(WebhookDelivery, Vec<WebhookAttempt>)>;
    /// Makes the delivery pending and due now (one more attempt after a failure).
    async fn retry_webhook_delivery(
        &self,
        company_id: CompanyId,
        endpoint_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookDelivery>;
    /// Claims up to `limit` due deliveries of enabled endpoints for `lease` under `claim` (a token
    /// unique to this call): no other node takes them until the lease ends. A delivery waits while an
    /// earlier event of the same license is pending for the same endpoint and not yet retried.
    async fn claim_webhook_deliveries(
        &self,
        claim: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records an attempt made under `claim`; `false` (nothing recorded) when the claim was lost.
    async fn record_webhook_attempt(
        &self,
        claim: &str,
        record: &AttemptRecord<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deliveries waiting to be sent, for the metrics.
    async fn pending_webhook_deliveries(&self) -> StoreResult<i64>;
}

/// Bundles: products grouping other products, and the licenses a bundle license comes with.
#[async_trait]
pub trait BundleStore: Send + Sync {
    /// Makes the product a bundle of `included` (replacing what it included; none: no longer a
    /// bundle). Licenses issued before keep the licenses they came with.
    async fn set_bundle_items(
        &self,
        company_id: CompanyId,
        bundle_id: ProductId,
        included: &[ProductId],
        change: Change<'_>,
    ) -> StoreResult<()>;
    /// The products a bundle includes, by id.
    async fn bundle_items(
        &self,
        company_id: CompanyId,
        bundle_id: ProductId,
    ) -> StoreResult<Vec<Product>>;
    /// The bundles that include a product, by id.
    async fn bundles_including(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<Product>>;
    /// Whether the company's product with this code is a bundle (`UnknownProduct` without one).
    async fn product_is_bundle(&self, company_id: CompanyId, code: &str) -> StoreResult<bool>;
    /// The licenses a bundle license came with, by id, with their product codes.
    async fn bundle_licenses(
        &self,
        company_id: CompanyId,
        bundle_license_id: LicenseId,
    ) -> StoreResult<Vec<(LicenseId, String)>>;
    /// Activates the bundle license the key names and every license it came with on the device,
    /// in one transaction: all of them or none. The bundle license's activation comes first.
    /// `offline` names who brought the offline request file, when the activation comes in one.
    async fn activate_bundle(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<Vec<Activation>>;
    /// Deactivates the device on the bundle license (as `rule` allows) and on every license it came
    /// with that the device holds, in one transaction; `offline` as for `activate_bundle`.
    async fn deactivate_bundle(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<()>;
}

/// Dashboard staff accounts, their sessions, and the overview's daily counts.
#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Creates a staff account and records `staff.created`; `Duplicate` when the e-mail is taken.
    async fn insert_staff(
        &self,
        staff: NewStaff<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Staff>;
    /// The account with this (lower-cased) e-mail, in any company, with what signing in checks.
    async fn staff_by_email(&self, email: &str) -> StoreResult<Option<StaffCredentials>>;
    /// Turns the company's member's second factor on with this base32 secret (sealed at rest), or
    /// off; `false` when the company has no such member.
    async fn set_staff_totp(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        secret: Option<&str>,
    ) -> StoreResult<bool>;
    /// The company's staff, oldest first.
    async fn staff_members(&self, company_id: CompanyId) -> StoreResult<Vec<Staff>>;
    /// Gives the company's member `role` and records `staff.role_changed`, unless that leaves the
    /// company without an admin; `NotFound` when the company has no such member.
    async fn set_staff_role(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        role: StaffRole,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StaffChange>;
    /// Deletes the company's member with every session of theirs and records `staff.deleted`,
    /// unless that leaves the company without an admin; `NotFound` when there is no such member.
    async fn delete_staff(
        &self,
        company_id: CompanyId,
        staff_id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<StaffChange>;
    /// Starts a session for the staff member; expired sessions of the member are forgotten.
    async fn insert_staff_session(
        &self,
        staff_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The session whose cookie hashes to this, unless it has expired at `now`.
    async fn staff_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<StaffSession>>;
    async fn delete_staff_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of the company's staff member; returns how many there were.
    async fn delete_staff_sessions(&self, company_id: CompanyId, staff_id: i64)
        -> StoreResult<u64>;
    /// How many of the company's events named `event` each UTC day since `since` recorded, by day
    /// (days since the epoch); days without any are left out.
    async fn daily_events(
        &self,
        company_id: CompanyId,
        event: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, i64)>>;
    /// The company's checks per UTC day since `since`, from the hourly counts, as `daily_events`.
    async fn daily_checks(
        &self,
        company_id: CompanyId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(i64, i64)>>;
    /// The company's License API refusals since `since`, one total per code, most frequent first.
    async fn refusals_by_code(
        &self,
        company_id: CompanyId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<RefusalTotal>>;
}

/// Bulk license imports from CSV files, and the walk over licenses that CSV exports take.
#[async_trait]
pub trait LicenseCsvStore: Send + Sync {
    /// Starts an import of `total_rows` rows and records `license_import.started`.
    async fn insert_license_import(
        &self,
        company_id: CompanyId,
        file_name: &str,
        total_rows: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseImport>;
    /// Counts the rows processed since the last report (`imported` licenses and the `refused` rows,
    /// kept for the error report) and marks the import alive at `now`.
    async fn record_license_import_progress(
        &self,
        company_id: CompanyId,
        import_id: i64,
        imported: i64,
        refused: &[ImportRowError],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Marks the import finished and records `license_import.finished` with its counts.
    async fn finish_license_import(
        &self,
        company_id: CompanyId,
        import_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseImport>;
    /// The company's import with this id; `NotFound` for another company's.
    async fn license_import(
        &self,
        company_id: CompanyId,
        import_id: i64,
    ) -> StoreResult<LicenseImport>;
    /// The company's imports, newest first.
    async fn license_imports(
        &self,
        company_id: CompanyId,
        page: Page,
    ) -> StoreResult<Listing<LicenseImport>>;
    /// The import's refused rows in row order; the first `limit` of them when given.
    async fn license_import_errors(
        &self,
        company_id: CompanyId,
        import_id: i64,
        limit: Option<u32>,
    ) -> StoreResult<Vec<ImportRowError>>;
    /// Ids of the company's licenses that match, above `after`, lowest first, at most `limit`: each
    /// step of an export costs the same however far it has walked, and no count is taken.
    async fn license_ids_after(
        &self,
        company_id: CompanyId,
        list_query: &query::ListQuery,
        after: Option<LicenseId>,
        limit: u32,
    ) -> StoreResult<Vec<LicenseId>>;
}

/// All of storage.
pub trait Store:
    TenantStore
    + CatalogStore
    + LicenseApiStore
    + ListingStore
    + ManagementStore
    + OrderStore
    + PeopleStore
    + CatalogAdminStore
    + GuardStore
    + ChangeSource
    + PoolStatus
    + LicenseAdminStore
    + WebhookStore
    + BundleStore
    + DashboardStore
    + CustomerAccountStore
    + LicenseCsvStore
    + OAuthStore
    + 'static
{
}
impl<T> Store for T where
    T: TenantStore
        + CatalogStore
        + LicenseApiStore
        + ListingStore
        + ManagementStore
        + OrderStore
        + PeopleStore
        + CatalogAdminStore
        + GuardStore
        + ChangeSource
        + PoolStatus
        + LicenseAdminStore
        + WebhookStore
        + BundleStore
        + DashboardStore
        + CustomerAccountStore
        + LicenseCsvStore
        + OAuthStore
        + 'static
{
}

/// How SQLite makes a commit durable (its `synchronous` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteDurability {
    /// Every commit is on disk before it is acknowledged, even across a power loss.
    #[default]
    Full,
    /// Faster: a power loss (not a crash of Latch) may lose the last commits.
    Normal,
}

impl std::str::FromStr for SqliteDurability {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value.to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            _ => Err(()),
        }
    }
}

/// How a store is opened beyond its URL; each setting applies to one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTuning {
    pub sqlite_durability: SqliteDurability,
    /// Most connections a node opens to PostgreSQL.
    pub postgres_pool_size: u32,
}

impl Default for StoreTuning {
    fn default() -> Self {
        Self {
            sqlite_durability: SqliteDurability::default(),
            postgres_pool_size: 16,
        }
    }
}

/// Opens the store a database URL names, applying migrations. `sqlite:` and `postgres://` are known;
/// `schema` applies to PostgreSQL only.
pub async fn connect(
    database_url: &str,
    schema: Option<&str>,
    tuning: StoreTuning,
    secrets: SecretBox,
) -> StoreResult<std::sync::Arc<dyn Store>> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            PostgresStore::connect(database_url, schema, tuning.postgres_pool_size, secrets)
                .await?,
        ))
    } else {
        Ok(std::sync::Arc::new(
            SqliteStore::connect(database_url, tuning.sqlite_durability, secrets).await?,
        ))
    }
}

pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
