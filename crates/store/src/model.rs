//! Rows as the rest of Latch sees them. Times are UTC; secrets are already opened.

use chrono::{DateTime, Utc};
pub use latch_domain::SeatRequest;
use latch_domain::{
    CompanyId, Consumption, ConsumptionPeriod, CustomerId, DeviceId, DeviceState, FloatingPolicy,
    LicenseFeatureId, LicenseId, LicenseRules, LicenseType, LicenseUserId, ProductFeatureId,
    ProductId, ReleaseId, Seat, UserActivations,
};
use secrecy::SecretString;

use crate::CustomerAccountRef;

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

/// An OAuth client of the License API with its opened secret.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub company_id: CompanyId,
    /// The client's public name, sent with its secret to get a token.
    pub client_id: String,
    pub client_secret: SecretString,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
}

/// What an issued access token grants, found by the token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthToken {
    pub company_id: CompanyId,
    /// The client it was issued to.
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
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
    /// Activations given back by devices that deactivated themselves, not taken again since.
    pub released_slots: i64,
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
            released_slots: self.released_slots,
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
    /// Deactivated by itself, its activation not taken by another device since.
    pub released: bool,
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
            released: self.released,
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
    /// The customer account it belongs to, if any.
    pub account: Option<CustomerAccountRef>,
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

/// A write the request path leaves to the write-behind queue: telemetry, cached signatures and the
/// answers kept for replayed requests, never state a limit depends on.
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
    /// The answer of a claimed request, for its duplicates (which wait while it is queued).
    ReplayAnswer {
        request_hash: String,
        answer: StoredAnswer,
    },
    /// A claim given up without an answer: the request was refused and a duplicate may run again.
    ReplayClaimReleased { request_hash: String },
    /// A License API refusal of the company's authenticated request, by its code.
    Refused {
        company_id: CompanyId,
        code: &'static str,
        at: DateTime<Utc>,
    },
}

/// What an attempt window counts; each kind has one window per company and subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// Password attempts per license user name (lower-cased).
    Password,
    /// Activations per license (its key, or the license user's name).
    Activation,
    /// Dashboard sign-ins per staff e-mail address (lower-cased).
    StaffSignIn,
}

impl AttemptKind {
    /// The `kind` column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Activation => "activation",
            Self::StaffSignIn => "staff_sign_in",
        }
    }
}

/// The attempts of one subject in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptWindow {
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

/// A request's claim taken inside the transaction of its own effect: the transaction claims the hash
/// first, and fails with [`crate::StoreError::RequestClaimed`] when an identical request claimed it
/// after `fresh_after`. One commit instead of two, and no claim is left behind by a rollback.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTicket<'a> {
    pub request_hash: &'a str,
    pub fresh_after: DateTime<Utc>,
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
    /// Latch itself, e.g. disabling a webhook endpoint that keeps failing.
    System,
}

impl Actor {
    /// The `actor.type` the event log shows.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ManagementKey(_) => "management_key",
            Actor::Cli => "cli",
            Actor::Device(_) => "device",
            Actor::Staff(_) => "staff",
            Actor::System => "system",
        }
    }

    /// The `actor.id` the event log shows, where the actor has one.
    pub fn id(&self) -> Option<String> {
        match self {
            Actor::ManagementKey(id) | Actor::Staff(id) => Some(id.to_string()),
            Actor::Device(device) => device.map(|id| id.get().to_string()),
            Actor::Cli | Actor::System => None,
        }
    }

    pub fn from_parts(kind: &str, id: Option<&str>) -> Option<Self> {
        let number = || id.and_then(|id| id.parse::<i64>().ok());
        Some(match kind {
            "management_key" => Actor::ManagementKey(number()?),
            "staff" => Actor::Staff(number()?),
            "device" => Actor::Device(number().map(DeviceId::new)),
            "cli" => Actor::Cli,
            "system" => Actor::System,
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

impl NewEvent {
    /// An event about nothing in particular yet, with no data; the builders below add them.
    pub fn new(company_id: CompanyId, event: &'static str, actor: &Actor) -> Self {
        Self {
            company_id,
            event,
            actor: actor.clone(),
            subjects: EventSubjects::default(),
            data: "{}".to_owned(),
        }
    }

    /// About this license, of its product and customer.
    pub fn license(mut self, license: &License) -> Self {
        self.subjects.license_id = Some(license.id);
        self.subjects.product_id = Some(license.product_id);
        self.subjects.customer_id = license.customer_id;
        self
    }

    pub fn device(mut self, device_id: DeviceId) -> Self {
        self.subjects.device_id = Some(device_id);
        self
    }

    pub fn product(mut self, product_id: ProductId) -> Self {
        self.subjects.product_id = Some(product_id);
        self
    }

    pub fn customer(mut self, customer_id: CustomerId) -> Self {
        self.subjects.customer_id = Some(customer_id);
        self
    }

    pub fn license_user(mut self, license_user_id: Option<LicenseUserId>) -> Self {
        self.subjects.license_user_id = license_user_id;
        self
    }

    /// What changed.
    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data.to_string();
        self
    }
}

/// How many times a license was checked in one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckCount {
    pub license_id: LicenseId,
    /// The hour's first moment.
    pub hour: DateTime<Utc>,
    pub checks: i64,
}

/// How many License API requests of a company were refused with one code in one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalCount {
    /// The hour's first moment.
    pub hour: DateTime<Utc>,
    pub code: String,
    pub refusals: i64,
}

/// A company's refusals with one code over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalTotal {
    pub code: String,
    pub refusals: i64,
    /// The first moment of the latest hour with one.
    pub last_hour: DateTime<Utc>,
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

/// A product custom field as a license shows it: the product's default and the license's own value.
#[derive(Debug, Clone)]
pub struct AppliedCustomField {
    pub product_custom_field_id: i64,
    pub name: String,
    pub data_type: Option<String>,
    pub default_value: String,
    pub description: Option<String>,
    /// The license's override (its row id and value), if it has one.
    pub license_value: Option<(i64, String)>,
}

/// A license with everything the Management API shows of it.
#[derive(Debug, Clone)]
pub struct LicenseRecord {
    pub license: License,
    pub product: Product,
    pub customer: Option<Customer>,
    pub order_id: Option<i64>,
    pub order_store_id: Option<String>,
    pub note: String,
    /// The first activation.
    pub time_activated: Option<DateTime<Utc>>,
    /// The latest recorded change, or the creation.
    pub updated_at: DateTime<Utc>,
    /// The latest check by any device.
    pub last_check: Option<DateTime<Utc>>,
    pub active_devices: i64,
    /// Devices holding a floating seat (or a borrowed one) now.
    pub floating_in_use: i64,
    pub features: Vec<LicenseFeature>,
    pub users: Vec<(LicenseUser, Assignment)>,
    pub custom_fields: Vec<AppliedCustomField>,
}

/// A license column vendors may change through the Management API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseColumn {
    Enabled,
    MaxActivations,
    AllowUnlimitedActivations,
    MaxConsumptions,
    TotalConsumptions,
    ConsumptionResetAt,
    AllowOverages,
    MaxOverages,
    ResetConsumption,
    ConsumptionPeriod,
    IsTrial,
    PreventVm,
    Note,
    MaxLicenseUsers,
    MaxTransfers,
    IsFloatingCloud,
    FloatingUsers,
    FloatingTimeout,
    ValidityPeriod,
    StartDate,
    MaintenancePeriod,
    AllowGracePeriod,
    GracePeriod,
    OrderId,
    Metadata,
}

impl LicenseColumn {
    /// The column's name in the `licenses` table, which is also how events name the change.
    pub fn name(self) -> &'static str {
        use LicenseColumn as C;
        match self {
            C::Enabled => "enabled",
            C::MaxActivations => "max_activations",
            C::AllowUnlimitedActivations => "allow_unlimited_activations",
            C::MaxConsumptions => "max_consumptions",
            C::TotalConsumptions => "total_consumptions",
            C::ConsumptionResetAt => "consumption_reset_at",
            C::AllowOverages => "allow_overages",
            C::MaxOverages => "max_overages",
            C::ResetConsumption => "reset_consumption",
            C::ConsumptionPeriod => "consumption_period",
            C::IsTrial => "is_trial",
            C::PreventVm => "prevent_vm",
            C::Note => "note",
            C::MaxLicenseUsers => "max_license_users",
            C::MaxTransfers => "max_transfers",
            C::IsFloatingCloud => "is_floating_cloud",
            C::FloatingUsers => "floating_users",
            C::FloatingTimeout => "floating_timeout",
            C::ValidityPeriod => "validity_period",
            C::StartDate => "start_date",
            C::MaintenancePeriod => "maintenance_period",
            C::AllowGracePeriod => "allow_grace_period",
            C::GracePeriod => "grace_period",
            C::OrderId => "order_id",
            C::Metadata => "metadata",
        }
    }
}

/// A column's new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnValue {
    Int(Option<i64>),
    Bool(bool),
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
}

impl ColumnValue {
    /// As the event log shows it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ColumnValue::Int(value) => serde_json::json!(value),
            ColumnValue::Bool(value) => serde_json::json!(value),
            ColumnValue::Text(value) => serde_json::json!(value),
            ColumnValue::Time(value) => serde_json::json!(value.map(|at| at.to_rfc3339())),
        }
    }
}

/// Changes to one license, made together.
#[derive(Debug, Clone)]
pub struct LicenseUpdate {
    pub license_id: LicenseId,
    pub changes: Vec<(LicenseColumn, ColumnValue)>,
    /// Sets every feature's consumption counter back to zero.
    pub reset_feature_consumptions: bool,
    /// Drops the license's custom field values: the product's defaults apply again.
    pub reset_custom_fields: bool,
    /// v1 license signatures of the license's devices made for its new validity, stored in the same
    /// transaction so no check after the change has to sign them.
    pub device_signatures: Vec<DeviceSignature>,
}

/// A device's v1 `license_signature`, made for one validity of its license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSignature {
    pub device_id: DeviceId,
    pub signature: String,
    pub validity: Option<DateTime<Utc>>,
}

/// An active device, with what its v1 `license_signature` names: its hardware id and its license's
/// key, or its license user's e-mail when a user activated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveDevice {
    pub device_id: DeviceId,
    pub license_id: LicenseId,
    pub hardware_id: String,
    pub license_key: Option<String>,
    pub user_email: Option<String>,
}

impl LicenseUpdate {
    pub fn new(license_id: LicenseId) -> Self {
        Self {
            license_id,
            changes: Vec::new(),
            reset_feature_consumptions: false,
            reset_custom_fields: false,
            device_signatures: Vec::new(),
        }
    }

    /// The new end of validity, when the update sets one.
    pub fn new_validity(&self) -> Option<Option<DateTime<Utc>>> {
        self.changes.iter().find_map(|(column, value)| match value {
            ColumnValue::Time(at) if *column == LicenseColumn::ValidityPeriod => Some(*at),
            _ => None,
        })
    }

    /// What the update changes, as the `license.updated` event records it.
    pub fn describe(&self) -> serde_json::Value {
        let mut changed: serde_json::Map<String, serde_json::Value> = self
            .changes
            .iter()
            .map(|(column, value)| (column.name().to_owned(), value.to_json()))
            .collect();
        if self.reset_feature_consumptions {
            changed.insert("feature_consumptions_reset".into(), true.into());
        }
        if self.reset_custom_fields {
            changed.insert("custom_fields_reset".into(), true.into());
        }
        serde_json::Value::Object(changed)
    }
}

/// A product feature's grant on a license, as set wholesale (the license's feature set is replaced).
#[derive(Debug, Clone)]
pub struct FeatureGrant {
    pub product_feature_id: ProductFeatureId,
    pub expiry_date: Option<DateTime<Utc>>,
    pub floating: FloatingColumns,
    pub consumption: ConsumptionColumns,
}

/// Per-user activation limits on a license (`set_users_activations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserActivationsChange {
    pub license_user_id: LicenseUserId,
    pub max_activations: Option<i64>,
    pub reset_total_activations: bool,
}

/// A device holding a floating seat on a license or on one of its features.
#[derive(Debug, Clone)]
pub struct SeatHolder {
    pub device: Device,
    /// The feature's code for a feature seat; `None` for the license's own seat.
    pub feature_code: Option<String>,
    pub floating_until: Option<DateTime<Utc>>,
    pub borrowed_until: Option<DateTime<Utc>>,
}

/// An order as a vendor's store placed it; `store_id` is the store's own id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: i64,
    pub company_id: CompanyId,
    pub store_id: String,
    pub customer_id: Option<CustomerId>,
    pub order_type: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub download_id: String,
    pub language: String,
    pub campaign_params: String,
    pub reference: String,
    /// A JSON object.
    pub metadata: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An order with its customer and whether any of its licenses can be used now.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub order: Order,
    pub customer: Option<CustomerRecord>,
    /// Some license of the order is enabled and not past its validity.
    pub has_active_licenses: bool,
}

/// A customer with the counts and links vendors are shown beside it.
#[derive(Debug, Clone)]
pub struct CustomerRecord {
    pub customer: Customer,
    pub total_orders: i64,
    pub total_licenses: i64,
    /// The first license user who belongs to the customer.
    pub license_user: Option<LicenseUserId>,
}

/// A license user with the number of licenses it holds.
#[derive(Debug, Clone)]
pub struct LicenseUserRecord {
    pub user: LicenseUser,
    pub total_licenses: i64,
    pub created_at: DateTime<Utc>,
}

/// The order fields `create_order` sets, beside its store id and customer.
#[derive(Debug, Clone, Default)]
pub struct OrderFields {
    pub order_type: String,
    pub is_test: bool,
    pub is_trial: bool,
    pub download_id: String,
    pub language: String,
    pub campaign_params: String,
    pub reference: String,
    pub metadata: String,
    /// When the store placed the order; now when absent.
    pub created_at: Option<DateTime<Utc>>,
}

/// A customer an order names by e-mail: found and updated with the given fields, or created.
#[derive(Debug, Clone)]
pub struct OrderCustomer {
    /// `email` and the fields given, for a new customer.
    pub new: Customer,
    /// The given fields, set on an existing customer.
    pub changes: CustomerChanges,
}

/// Changes to a customer; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerChanges {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub phone: Option<String>,
    pub reference: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    pub metadata: Option<String>,
    /// `Some(None)` takes the customer out of its account.
    pub account: Option<Option<CustomerAccountRef>>,
}

/// Sets `target` to `value` where given and different; records the change under `name`.
fn change<T: Clone + PartialEq + Into<serde_json::Value>>(
    changed: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    target: &mut T,
    value: &Option<T>,
) {
    if let Some(value) = value {
        if target != value {
            *target = value.clone();
            changed.insert(name.to_owned(), value.clone().into());
        }
    }
}

impl CustomerChanges {
    /// Applies the changes; returns the fields that changed, with their new values.
    pub fn apply(&self, customer: &mut Customer) -> serde_json::Map<String, serde_json::Value> {
        let mut changed = serde_json::Map::new();
        for (name, target, value) in [
            ("email", &mut customer.email, &self.email),
            ("first_name", &mut customer.first_name, &self.first_name),
            ("last_name", &mut customer.last_name, &self.last_name),
            (
                "company_name",
                &mut customer.company_name,
                &self.company_name,
            ),
            ("phone", &mut customer.phone, &self.phone),
            ("reference", &mut customer.reference, &self.reference),
            ("address", &mut customer.address, &self.address),
            ("city", &mut customer.city, &self.city),
            ("postcode", &mut customer.postcode, &self.postcode),
            ("state", &mut customer.state, &self.state),
            ("country", &mut customer.country, &self.country),
            ("metadata", &mut customer.metadata, &self.metadata),
        ] {
            change(&mut changed, name, target, value);
        }
        if let Some(account) = &self.account {
            if customer.account != *account {
                customer.account = account.clone();
                let id = account.as_ref().map(|account| account.id.get());
                changed.insert("customer_account".to_owned(), id.into());
            }
        }
        changed
    }
}

/// Changes to an order; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderChanges {
    pub store_id: Option<String>,
    pub order_type: Option<String>,
    pub is_test: Option<bool>,
    pub is_trial: Option<bool>,
    pub download_id: Option<String>,
    pub language: Option<String>,
    pub campaign_params: Option<String>,
    pub reference: Option<String>,
    pub metadata: Option<String>,
    /// `Some(None)` takes the customer off the order.
    pub customer_id: Option<Option<CustomerId>>,
}

impl OrderChanges {
    /// Applies the changes; returns the fields that changed, with their new values.
    pub fn apply(&self, order: &mut Order) -> serde_json::Map<String, serde_json::Value> {
        let mut changed = serde_json::Map::new();
        for (name, target, value) in [
            ("store_id", &mut order.store_id, &self.store_id),
            ("type", &mut order.order_type, &self.order_type),
            ("download_id", &mut order.download_id, &self.download_id),
            ("language", &mut order.language, &self.language),
            (
                "campaign_params",
                &mut order.campaign_params,
                &self.campaign_params,
            ),
            ("reference", &mut order.reference, &self.reference),
            ("metadata", &mut order.metadata, &self.metadata),
        ] {
            change(&mut changed, name, target, value);
        }
        change(&mut changed, "is_test", &mut order.is_test, &self.is_test);
        change(
            &mut changed,
            "is_trial",
            &mut order.is_trial,
            &self.is_trial,
        );
        if let Some(customer_id) = self.customer_id {
            if order.customer_id != customer_id {
                order.customer_id = customer_id;
                changed.insert("customer".to_owned(), customer_id.map(|id| id.get()).into());
            }
        }
        changed
    }
}

/// Changes to a license user's name and phone; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LicenseUserChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
}

impl LicenseUserChanges {
    /// Applies the changes; returns the fields that changed, with their new values.
    pub fn apply(&self, user: &mut LicenseUser) -> serde_json::Map<String, serde_json::Value> {
        let mut changed = serde_json::Map::new();
        for (name, target, value) in [
            ("first_name", &mut user.first_name, &self.first_name),
            ("last_name", &mut user.last_name, &self.last_name),
            ("phone_number", &mut user.phone_number, &self.phone_number),
        ] {
            change(&mut changed, name, target, value);
        }
        changed
    }
}

/// A license user placed on a license an order creates: found by e-mail, or created as `new`.
#[derive(Debug, Clone)]
pub struct OrderLicenseUser {
    pub email: String,
    /// The user to create when no user has this e-mail address.
    pub new: Option<NewLicenseUser>,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
}

/// One license an order creates, with its features, custom field values and users.
#[derive(Debug, Clone)]
pub struct OrderLicense {
    pub license: NewLicense,
    pub note: String,
    /// Product features by id, each with its most consumptions.
    pub features: Vec<NewLicenseFeature>,
    /// Product custom fields by id, with the license's own values.
    pub custom_fields: Vec<(i64, String)>,
    pub users: Vec<OrderLicenseUser>,
}

/// What `create_order` asks the store for.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub company_id: CompanyId,
    pub store_id: String,
    /// Add the licenses to an existing order with this store id instead of answering it unchanged.
    pub append: bool,
    pub fields: OrderFields,
    pub customer: Option<OrderCustomer>,
    pub licenses: Vec<OrderLicense>,
}

/// What `create_order` did.
#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub order: Order,
    /// False when an order with this store id existed and nothing was added.
    pub created_anything: bool,
    /// The licenses created now; the order's licenses when nothing was added.
    pub licenses: Vec<License>,
    /// Users created now: their ids and e-mail addresses.
    pub new_users: Vec<(LicenseUserId, String)>,
}

/// What deleting a customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerDeletion {
    Deleted,
    /// The company has no customer with this id.
    NotFound,
    /// Licenses or orders name the customer: it stays.
    InUse,
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
    /// Groups other products (see `BundleStore::bundle_items`).
    pub is_bundle: bool,
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

/// What a dashboard staff account may do; each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StaffRole {
    /// Reads everything of its company.
    Viewer,
    /// Also resets, disables, blacklists and releases.
    Support,
    /// Also issues licenses and manages products, keys and staff.
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Admin, StaffRole::Support, StaffRole::Viewer];

    /// The `role` column's value, as the CLI and the dashboard name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }
}

impl std::str::FromStr for StaffRole {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or(())
    }
}

/// A dashboard staff account of one company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: i64,
    pub company_id: CompanyId,
    /// Lower-cased.
    pub email: String,
    pub role: StaffRole,
    /// Signing in also takes a code from an authenticator app.
    pub two_factor: bool,
    pub created_at: DateTime<Utc>,
}

/// What became of a change to a member's role or membership.
#[derive(Debug, Clone)]
pub enum StaffChange {
    /// Done: the member with the new role, or as they were before removal.
    Done(Staff),
    /// Refused: the change would leave the company without an admin.
    LastAdmin,
}

/// What signing in checks: the password's hash and, when the second factor is on, its secret.
#[derive(Debug, Clone)]
pub struct StaffCredentials {
    pub staff: Staff,
    pub password_hash: String,
    /// The base32 TOTP secret, opened.
    pub totp_secret: Option<SecretString>,
}

/// A staff account to create; the password already hashed.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    pub company_id: CompanyId,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: StaffRole,
}

/// A signed-in dashboard session: who, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub staff: Staff,
    pub expires_at: DateTime<Utc>,
}

/// A bulk import of licenses from a CSV file, as far as it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseImport {
    pub id: i64,
    pub company_id: CompanyId,
    pub file_name: String,
    /// Who started it; its licenses are recorded as made by the same actor.
    pub actor: Actor,
    /// Every row has been processed.
    pub finished: bool,
    pub total_rows: i64,
    pub processed_rows: i64,
    pub imported_rows: i64,
    pub failed_rows: i64,
    pub created_at: DateTime<Utc>,
    /// When progress was last written: an unfinished import that stops moving was cut short.
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Why one row of an import was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRowError {
    /// As a spreadsheet numbers rows: the header is row 1.
    pub row: i64,
    /// The column at fault; empty when the row as a whole was refused.
    pub column: String,
    pub message: String,
}
