//! Every vendor operation, once: companies, API keys, OAuth clients, products, features, releases,
//! customers, license users, licenses, devices and the master key. The CLI, the management API and
//! the dashboard parse their input, call one function here and show the result; none of them talks
//! to the store itself.
//!
//! Operations on a company's data go through a [`Tenant`], which can only reach that company's rows.

pub mod backup;
pub mod config;
mod error;
pub mod keys;
pub mod license_body;
pub mod oauth;
pub mod offline;
pub mod passwords;
pub mod setup;
pub mod staff;

mod activity;

mod bundles;
mod catalog_admin;
mod companies;
mod customer_accounts;
mod customers;
mod demo;
mod devices;
mod license_admin;
mod license_csv;
mod license_search;
pub mod license_signatures;
mod licenses;
mod management;
mod master_key;
mod orders;
mod products;
mod terms;
mod users;
mod webhooks;

use std::sync::Arc;

use latch_domain::CompanyId;
use latch_store::{Actor, Change, Company, Store};

pub use activity::DailyActivity;
pub use bundles::ProductRef;
pub use catalog_admin::{
    is_user_based, CustomFieldUpdate, FeatureUpdate, ProductUpdate, ReleaseUpdate,
    CUSTOM_FIELD_TYPES, ENVIRONMENTS,
};
pub use companies::CreatedCompany;
pub use customer_accounts::{
    check_issuer, check_redirect_uris, AccountName, CustomerAccountSpec, OidcSpec,
    DEFAULT_EMAIL_CLAIM,
};
pub use customers::CustomerSpec;
pub use demo::Demo;
pub use devices::DeviceDetails;
pub use error::{ServiceError, ServiceResult};
pub use license_admin::{
    duration_end, FeaturePatch, LicensePatch, LicenseReset, PlacedUser, UserPlacement,
};
pub use license_csv::{
    import_errors_csv, import_stalled, ImportFile, LicenseExport, EXPORT_ONLY_COLUMNS,
    IMPORT_COLUMNS, MAX_IMPORT_BYTES,
};
pub use license_search::{FoundLicenses, LicenseSearch, LicenseStatus, MatchCount};
pub use licenses::{LicenseDetails, LicenseQuery, LicenseRef};
pub use management::{management_key_hash, CreatedManagementKey};
pub use master_key::{generate_master_key, MasterKeyRotation};
pub use orders::{
    CreatedOrder, KeyRequest, OrderDetails, OrderItemSpec, OrderLicenseSpec, OrderSpec,
    OrderUserSpec,
};
pub use products::{FeatureSpec, ProductSpec, ReleaseSpec};
pub use terms::{validate_metadata, ConsumptionTerms, FloatingTerms, LicenseTerms};
pub use users::{CreatedLicenseUser, LicenseUserSpec};
pub use webhooks::{
    check_webhook_url, is_public_address, CreatedWebhook, WebhookSpec, WebhookTargets,
    PREVIOUS_SECRET_VALIDITY, WEBHOOK_EVENT_CHOICES,
};

pub use latch_store::query;
pub use latch_store::{Listing, Page};

/// The rows operations return, as front doors show them.
pub mod model {
    pub use latch_store::{
        Actor, ApiKey, Assignment, CheckCount, Company, Customer, Device, DeviceVariable, Event,
        EventSubjects, FeatureType, License, LicenseFeature, LicenseUser, ManagementKey,
        OAuthClient, OAuthToken, Product, ProductFeature, RefusalCount, RefusalTotal, Release,
    };
    pub use latch_store::{
        AppliedCustomField, CustomFieldValue, DeviceBorrow, DeviceRecord, FeatureDefaults,
        LicenseCustomField, LicenseRecord, ProductCustomField, ProductFeatureRecord, ProductRecord,
        SeatHolder, UserActivationsChange,
    };
    pub use latch_store::{AuthorizationMethod, ImportRowError, LicenseImport};
    pub use latch_store::{
        ClaimedDelivery, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
    };
    pub use latch_store::{CustomerAccount, CustomerAccountRef, OidcProvider};
    pub use latch_store::{
        CustomerChanges, CustomerRecord, LicenseUserChanges, LicenseUserRecord, Order,
        OrderChanges, OrderRecord,
    };
    pub use latch_store::{Staff, StaffRole, StaffSession};
}

/// The vendor operations over one store.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
}

/// One company's side of the service: every read and change is limited to its rows, and an id of
/// another company's row answers "not found", exactly like an id that does not exist.
pub struct Tenant<'a> {
    store: &'a dyn Store,
    company: Company,
    /// Who the event log names for this tenant's changes: the CLI unless a front door says otherwise.
    actor: Actor,
}

impl Service {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The store, for `serve`, which hands it to the License API.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

impl std::fmt::Debug for Tenant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("company", &self.company.id)
            .finish()
    }
}

impl Tenant<'_> {
    /// The same company's side, with its changes recorded as made by `actor`.
    pub fn acting_as(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    pub fn company(&self) -> &Company {
        &self.company
    }

    fn company_id(&self) -> CompanyId {
        self.company.id
    }

    /// A change made now by this tenant's actor, for the event log.
    fn change(&self) -> Change<'_> {
        Change::now(&self.actor)
    }
}
