//! Rows as the rest of Latch sees them. Times are UTC; secrets are already opened.

use chrono::{DateTime, Utc};
pub use latch_domain::SeatRequest;
use latch_domain::{
    CompanyId, Consumption, ConsumptionPeriod, CustomerId, DeviceId, DeviceState, FloatingPolicy,
    LicenseFeatureId, LicenseId, LicenseRules, LicenseType, LicenseUserId, ProductFeatureId,
    ProductId, ReleaseId, Seat, UserActivations,
};
use secrecy::SecretString;

#[derive(Debug, Clone)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub public_key_pem: String,
    /// License API answers show license users' initial passwords everywhere, not only to the trial
    /// that created the user.
    pub expose_initial_passwords: bool,
}

/// An API key with its opened shared key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub company_id: CompanyId,
    pub api_key: String,
    pub shared_key: SecretString,
    pub read_only: bool,
    pub revoked: bool,
}

/// How clients of a product prove which license they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationMethod {
    LicenseKey,
    User,
}

impl AuthorizationMethod {
    /// Spelled as the License API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationMethod::LicenseKey => "license-key",
            AuthorizationMethod::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "license-key" => Some(AuthorizationMethod::LicenseKey),
            "user" => Some(AuthorizationMethod::User),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: ProductId,
    pub company_id: CompanyId,
    pub code: String,
    pub name: String,
    pub authorization_method: AuthorizationMethod,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub floating_timeout: i64,
    pub metadata: String,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub company_id: CompanyId,
    pub code: String,
    pub name: String,
    pub authorization_method: AuthorizationMethod,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub metadata: String,
}

/// Consumption settings and counter as stored (licenses and license features share the shape).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumptionColumns {
    pub max_consumptions: i64,
    pub total_consumptions: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_negative_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    pub consumption_period: Option<ConsumptionPeriod>,
    pub consumption_reset_at: Option<DateTime<Utc>>,
}

impl ConsumptionColumns {
    /// The counter for the domain rules; `created_at` starts the first reset period.
    pub fn counter(&self, created_at: DateTime<Utc>) -> Consumption {
        Consumption {
            max_consumptions: self.max_consumptions,
            total_consumptions: self.total_consumptions,
            allow_unlimited: self.allow_unlimited_consumptions,
            allow_negative: self.allow_negative_consumptions,
            allow_overages: self.allow_overages,
            max_overages: self.max_overages,
            reset: self
                .consumption_period
                .filter(|_| self.reset_consumption)
                .map(|period| (period, self.consumption_reset_at.unwrap_or(created_at))),
        }
    }
}

/// Floating settings as stored (licenses and license features share the shape).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloatingColumns {
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    pub floating_timeout: i64,
    pub can_borrow: bool,
    pub max_borrow_time: i64,
}

impl FloatingColumns {
    pub fn policy(&self) -> FloatingPolicy {
        FloatingPolicy {
            users: self.floating_users,
            timeout_minutes: self.floating_timeout,
            can_borrow: self.can_borrow,
            max_borrow_hours: self.max_borrow_time,
        }
    }
}

#[derive(Debug, Clone)]
pub struct License {
    pub id: LicenseId,
    pub company_id: CompanyId,
    pub product_id: ProductId,
    pub customer_id: Option<CustomerId>,
    pub license_key: Option<String>,
    pub license_type: LicenseType,
    pub enabled: bool,
    pub is_trial: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    pub grace_period: i64,
    pub allow_grace_period: bool,
    pub maintenance_period: Option<DateTime<Utc>>,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub times_activated: i64,
    pub devices_seen: i64,
    pub transfer_count: i64,
    pub max_transfers: i64,
    pub max_license_users: i64,
    pub floating: FloatingColumns,
    pub consumption: ConsumptionColumns,
    pub metadata: String,
    pub created_at: DateTime<Utc>,
}

impl License {
    /// The fields the domain rules decide on.
    pub fn rules(&self, product: &Product, user: Option<&Assignment>) -> LicenseRules {
        LicenseRules {
            license_type: self.license_type,
            enabled: self.enabled,
            is_trial: self.is_trial,
            prevent_vm: self.prevent_vm || product.prevent_vm,
            start_date: self.start_date,
            validity_period: self.validity_period,
            grace_period_hours: self.grace_period,
            allow_grace_period: self.allow_grace_period,
            max_activations: self.max_activations,
            allow_unlimited_activations: self.allow_unlimited_activations,
            times_activated: self.times_activated,
            devices_seen: self.devices_seen,
            transfer_count: self.transfer_count,
            max_transfers: self.max_transfers,
            user: user.map(|a| UserActivations {
                max_activations: a.max_activations,
                allow_unlimited_activations: a.allow_unlimited_activations,
                total_activations: a.total_activations,
            }),
        }
    }

    pub fn consumption_counter(&self) -> Consumption {
        self.consumption.counter(self.created_at)
    }
}

/// Everything a vendor sets when issuing a license.
#[derive(Debug, Clone)]
pub struct NewLicense {
    pub company_id: CompanyId,
    pub product_id: ProductId,
    pub customer_id: Option<CustomerId>,
    pub license_key: Option<String>,
    pub license_type: LicenseType,
    pub enabled: bool,
    pub is_trial: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    pub grace_period: i64,
    pub allow_grace_period: bool,
    pub maintenance_period: Option<DateTime<Utc>>,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub max_transfers: i64,
    pub max_license_users: i64,
    pub floating: FloatingColumns,
    pub consumption: ConsumptionColumns,
    pub metadata: String,
}

impl NewLicense {
    /// A key-based perpetual license with one activation and no extras.
    pub fn basic(company_id: CompanyId, product_id: ProductId, license_key: String) -> Self {
        Self {
            company_id,
            product_id,
            customer_id: None,
            license_key: Some(license_key),
            license_type: LicenseType::Perpetual,
            enabled: true,
            is_trial: false,
            prevent_vm: false,
            start_date: None,
            validity_period: None,
            grace_period: 0,
            allow_grace_period: false,
            maintenance_period: None,
            max_activations: 1,
            allow_unlimited_activations: false,
            max_transfers: 0,
            max_license_users: 0,
            floating: FloatingColumns::default(),
            consumption: ConsumptionColumns::default(),
            metadata: "{}".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Device {
    pub id: DeviceId,
    pub license_id: LicenseId,
    pub license_user_id: Option<LicenseUserId>,
    pub hardware_id: String,
    pub active: bool,
    pub blacklisted: bool,
    pub is_vm: bool,
    pub os_ver: Option<String>,
    pub hostname: Option<String>,
    pub floating_until: Option<DateTime<Utc>>,
    pub borrowed_until: Option<DateTime<Utc>>,
    pub license_signature: Option<String>,
    pub signature_validity: Option<DateTime<Utc>>,
    /// The last check answer's digest and header signature, stored behind the answer.
    pub answer_digest: Option<String>,
    pub answer_signature: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_check_at: Option<DateTime<Utc>>,
}

impl Device {
    pub fn state(&self) -> DeviceState {
        DeviceState {
            active: self.active,
            blacklisted: self.blacklisted,
        }
    }

    pub fn seat(&self) -> Seat {
        Seat {
            floating_until: self.floating_until,
            borrowed_until: self.borrowed_until,
        }
    }

    /// The cached v1 license signature, if it was made for this validity period.
    pub fn cached_signature(&self, validity: Option<DateTime<Utc>>) -> Option<&str> {
        (self.signature_validity == validity)
            .then_some(self.license_signature.as_deref())
            .flatten()
    }
}

/// What a client reports about its device when it activates.
#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    pub is_vm: bool,
    pub vm_info: Option<String>,
    pub os_ver: Option<String>,
    pub hostname: Option<String>,
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    pub app_ver: Option<String>,
    pub sdk_ver: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DeviceVariable {
    pub id: i64,
    pub device_id: DeviceId,
    pub name: String,
    pub value: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureType {
    Activation,
    Consumption,
}

impl FeatureType {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureType::Activation => "activation",
            FeatureType::Consumption => "consumption",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "activation" => Some(FeatureType::Activation),
            "consumption" => Some(FeatureType::Consumption),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProductFeature {
    pub id: ProductFeatureId,
    pub product_id: ProductId,
    pub code: String,
    pub name: String,
    pub feature_type: FeatureType,
    pub metadata: String,
}

/// A product feature granted to a license, with its own limits.
#[derive(Debug, Clone)]
pub struct LicenseFeature {
    pub id: LicenseFeatureId,
    pub license_id: LicenseId,
    pub feature: ProductFeature,
    pub expiry_date: Option<DateTime<Utc>>,
    pub floating: FloatingColumns,
    pub consumption: ConsumptionColumns,
    pub created_at: DateTime<Utc>,
}

impl LicenseFeature {
    /// The counter for the domain rules; reset periods count from the feature's creation.
    pub fn consumption_counter(&self) -> Consumption {
        self.consumption.counter(self.created_at)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expiry_date.is_some_and(|expiry| now >= expiry)
    }
}

#[derive(Debug, Clone)]
pub struct NewLicenseFeature {
    pub license_id: LicenseId,
    pub product_feature_id: ProductFeatureId,
    pub expiry_date: Option<DateTime<Utc>>,
    pub floating: FloatingColumns,
    pub consumption: ConsumptionColumns,
}

#[derive(Debug, Clone, Default)]
pub struct Customer {
    pub id: CustomerId,
    pub company_id: CompanyId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub phone: String,
    pub reference: String,
    pub address: String,
    pub city: String,
    pub postcode: String,
    pub state: String,
    pub country: String,
    pub metadata: String,
}

/// A person who signs in to user-based licenses.
#[derive(Debug, Clone)]
pub struct LicenseUser {
    pub id: LicenseUserId,
    pub company_id: CompanyId,
    pub customer_id: Option<CustomerId>,
    pub email: String,
    pub password_hash: String,
    /// Opened from its sealed form; `None` once the user changed it.
    pub initial_password: Option<SecretString>,
    pub is_initial_password: bool,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
}

#[derive(Debug, Clone)]
pub struct NewLicenseUser {
    pub company_id: CompanyId,
    pub customer_id: Option<CustomerId>,
    pub email: String,
    pub password_hash: String,
    pub initial_password: SecretString,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
}

/// A license user's place on one license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub license_id: LicenseId,
    pub license_user_id: LicenseUserId,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub total_activations: i64,
}

#[derive(Debug, Clone)]
pub struct Release {
    pub id: ReleaseId,
    pub product_id: ProductId,
    pub version: String,
    pub channel: String,
    pub environment: String,
    pub installation_file: String,
    pub hash_md5: Option<String>,
    pub size: Option<String>,
    pub eula_link: Option<String>,
    pub release_notes_link: Option<String>,
    pub requires_version: Option<String>,
    pub release_date: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewRelease {
    pub product_id: ProductId,
    pub version: String,
    pub channel: String,
    pub environment: String,
    pub installation_file: String,
    pub hash_md5: Option<String>,
    pub size: Option<String>,
    pub eula_link: Option<String>,
    pub release_notes_link: Option<String>,
    pub requires_version: Option<String>,
    pub release_date: Option<DateTime<Utc>>,
}

/// How a License API call names its license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseIdent<'a> {
    Key(&'a str),
    /// A license user's email (user-based products).
    User(&'a str),
}

/// Identifies the license and device a License API call is about.
#[derive(Debug, Clone, Copy)]
pub struct DeviceKey<'a> {
    pub company_id: CompanyId,
    pub product_code: &'a str,
    pub ident: LicenseIdent<'a>,
    /// Pins one license when a user holds several.
    pub license_id: Option<LicenseId>,
    pub hardware_id: &'a str,
}

/// Product, license, device, license user and license features for one call, read in one query.
#[derive(Debug, Clone)]
pub struct LicenseLookup {
    pub product: Product,
    pub license: Option<License>,
    pub device: Option<Device>,
    pub user: Option<(LicenseUser, Assignment)>,
    pub features: Vec<LicenseFeature>,
    pub customer: Option<Customer>,
    /// The license's custom fields (none when no license was found).
    pub custom_fields: Vec<CustomFieldValue>,
}

impl LicenseLookup {
    /// The view of a found license and device, with no floating seat counted.
    pub fn into_view(self) -> Option<LicenseView> {
        Some(LicenseView {
            license: self.license?,
            device: self.device?,
            product: self.product,
            user: self.user,
            features: self.features,
            customer: self.customer,
            custom_fields: self.custom_fields,
            floating_in_use: 0,
        })
    }

    /// The assignment of the license user the lookup went through, if any.
    pub fn assignment(&self) -> Option<&Assignment> {
        self.user.as_ref().map(|(_, assignment)| assignment)
    }
}

/// Everything about one license that a License API answer shows.
#[derive(Debug, Clone)]
pub struct LicenseView {
    pub product: Product,
    pub license: License,
    pub device: Device,
    pub user: Option<(LicenseUser, Assignment)>,
    pub features: Vec<LicenseFeature>,
    pub customer: Option<Customer>,
    pub custom_fields: Vec<CustomFieldValue>,
    /// Devices holding a floating seat now (floating licenses).
    pub floating_in_use: i64,
}

/// A device's seat on a floating feature after a take, renew or borrow.
#[derive(Debug, Clone)]
pub struct FeatureSeat {
    pub feature: LicenseFeature,
    pub seat: Seat,
    pub device_id: DeviceId,
    /// Devices holding the feature now, this one included.
    pub in_use: i64,
}

/// The license user a trial goes to.
#[derive(Debug, Clone)]
pub enum TrialUser {
    New(NewLicenseUser),
    Existing(LicenseUser),
}

/// A write the check path leaves to the write-behind queue: telemetry and cached signatures, never state
/// a limit depends on.
#[derive(Debug, Clone)]
pub enum DeferredWrite {
    Checked {
        device_id: DeviceId,
        at: DateTime<Utc>,
    },
    LicenseSignature {
        device_id: DeviceId,
        signature: String,
        validity: Option<DateTime<Utc>>,
    },
    AnswerSignature {
        device_id: DeviceId,
        digest: String,
        signature: String,
    },
}

/// Password attempts of one license user name in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAttempts {
    pub count: i64,
    pub window_start: DateTime<Utc>,
}

/// The answer first sent to a state-changing request, sent again to identical requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
    pub signature: Option<String>,
}

/// What claiming a request's hash found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestClaim {
    /// No identical request in the window: this one runs, and stores its answer.
    First,
    /// An identical request already answered.
    Answered(StoredAnswer),
    /// An identical request is running now.
    Running,
}

/// A window onto a list: at most `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 20,
            offset: 0,
        }
    }
}

/// One page of a list and how many items the whole list has.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub total: i64,
    pub items: Vec<T>,
}

/// Which of a company's licenses a listing shows; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct LicenseFilter {
    pub product_id: Option<ProductId>,
    pub customer_id: Option<CustomerId>,
    /// Keys starting with this (compared as typed).
    pub key_prefix: Option<String>,
    pub enabled: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "do-not-print-me";

    #[test]
    fn debug_output_shows_no_shared_key() {
        let api_key = ApiKey {
            company_id: CompanyId::new(1),
            api_key: "api-key".into(),
            shared_key: SECRET.into(),
            read_only: false,
            revoked: false,
        };
        let printed = format!("{api_key:?}");
        assert!(printed.contains("api-key"), "{printed}");
        assert!(!printed.contains(SECRET), "{printed}");
    }

    #[test]
    fn debug_output_shows_no_initial_password() {
        let new_user = NewLicenseUser {
            company_id: CompanyId::new(1),
            customer_id: None,
            email: "user@example.com".into(),
            password_hash: "hash".into(),
            initial_password: SECRET.into(),
            first_name: String::new(),
            last_name: String::new(),
            phone_number: String::new(),
        };
        let user = LicenseUser {
            id: LicenseUserId::new(2),
            company_id: new_user.company_id,
            customer_id: None,
            email: new_user.email.clone(),
            password_hash: new_user.password_hash.clone(),
            initial_password: Some(new_user.initial_password.clone()),
            is_initial_password: true,
            first_name: String::new(),
            last_name: String::new(),
            phone_number: String::new(),
        };
        for printed in [format!("{new_user:?}"), format!("{user:?}")] {
            assert!(printed.contains("user@example.com"), "{printed}");
            assert!(!printed.contains(SECRET), "{printed}");
        }
    }
}

/// A key to the Management API; the key itself is never stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementKey {
    pub id: i64,
    pub company_id: CompanyId,
    /// The key's public part, before the dot: how a vendor tells keys apart in a listing.
    pub prefix: String,
    pub read_only: bool,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
}

/// Who made a change the event log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A Management API key, by its id.
    ManagementKey(i64),
    /// The vendor's command line, on the database host.
    Cli,
    /// A client app through the License API, by device id when the device is known.
    Device(Option<DeviceId>),
    /// A dashboard user, by id.
    Staff(i64),
}

impl Actor {
    /// The `actor.type` the event log shows.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ManagementKey(_) => "management_key",
            Actor::Cli => "cli",
            Actor::Device(_) => "device",
            Actor::Staff(_) => "staff",
        }
    }

    /// The `actor.id` the event log shows, where the actor has one.
    pub fn id(&self) -> Option<String> {
        match self {
            Actor::ManagementKey(id) | Actor::Staff(id) => Some(id.to_string()),
            Actor::Device(device) => device.map(|id| id.get().to_string()),
            Actor::Cli => None,
        }
    }

    pub fn from_parts(kind: &str, id: Option<&str>) -> Option<Self> {
        let number = || id.and_then(|id| id.parse::<i64>().ok());
        Some(match kind {
            "management_key" => Actor::ManagementKey(number()?),
            "staff" => Actor::Staff(number()?),
            "device" => Actor::Device(number().map(DeviceId::new)),
            "cli" => Actor::Cli,
            _ => return None,
        })
    }
}

/// The rows an event is about; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSubjects {
    pub license_id: Option<LicenseId>,
    pub customer_id: Option<CustomerId>,
    pub device_id: Option<DeviceId>,
    pub product_id: Option<ProductId>,
    pub order_id: Option<i64>,
    pub license_user_id: Option<LicenseUserId>,
}

/// A change to record in the event log, in the transaction that makes it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub company_id: CompanyId,
    /// The event's name, e.g. `license.activated`.
    pub event: &'static str,
    pub actor: Actor,
    pub subjects: EventSubjects,
    /// What changed, as a JSON object.
    pub data: String,
}

/// A recorded event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The log's order.
    pub sequence: i64,
    /// The event's id for outsiders (a UUID): the webhook id of its deliveries.
    pub id: String,
    pub company_id: CompanyId,
    pub event: String,
    pub ts: DateTime<Utc>,
    pub actor: Actor,
    pub subjects: EventSubjects,
    pub data: String,
}

/// A device as vendors inspect it: the row with what the client reported, its license's key and its
/// variables.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub device: Device,
    pub license_key: Option<String>,
    pub vm_info: Option<String>,
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    pub app_ver: Option<String>,
    pub sdk_ver: Option<String>,
    pub variables: Vec<DeviceVariable>,
}

/// A device's borrowed seat after a vendor borrowed or released it.
#[derive(Debug, Clone)]
pub struct DeviceBorrow {
    pub device_id: DeviceId,
    pub license_id: LicenseId,
    pub borrowed_until: Option<DateTime<Utc>>,
    /// Hours, from the license.
    pub max_borrow_time: i64,
}

/// A product as vendors manage it, with the settings only vendors see, its features and its custom
/// fields (oldest first).
#[derive(Debug, Clone)]
pub struct ProductRecord {
    pub product: Product,
    pub is_archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub features: Vec<ProductFeatureRecord>,
    pub custom_fields: Vec<ProductCustomField>,
}

/// Everything a vendor sets on a product, for an update.
#[derive(Debug, Clone)]
pub struct ProductChanges {
    pub name: String,
    pub authorization_method: AuthorizationMethod,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub floating_timeout: i64,
    pub metadata: String,
    pub is_archived: bool,
}

/// A product feature's default limits, which a license's copy of the feature starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureDefaults {
    pub max_consumption: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    pub consumption_period: Option<ConsumptionPeriod>,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    pub floating_timeout: i64,
}

/// A product feature as vendors manage it.
#[derive(Debug, Clone)]
pub struct ProductFeatureRecord {
    pub feature: ProductFeature,
    pub defaults: FeatureDefaults,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product feature to create or the whole of one to store.
#[derive(Debug, Clone)]
pub struct FeatureValues {
    pub product_id: ProductId,
    pub code: String,
    pub name: String,
    pub feature_type: FeatureType,
    pub metadata: String,
    pub defaults: FeatureDefaults,
}

/// A custom field a product defines, with the value its licenses show unless they override it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCustomField {
    pub id: i64,
    pub product_id: ProductId,
    pub name: String,
    /// `number`, `text` or `date/time`.
    pub data_type: Option<String>,
    pub default_value: String,
    pub description: Option<String>,
}

/// A license's own value of a product custom field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseCustomField {
    pub id: i64,
    pub license_id: LicenseId,
    pub product_custom_field_id: i64,
    pub value: String,
}

/// A custom field as a license shows it: the license's value, else the product's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldValue {
    pub name: String,
    pub data_type: Option<String>,
    pub value: String,
}
