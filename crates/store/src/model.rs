//! Rows as the rest of Latch sees them. Times are UTC; secrets are already opened.

use chrono::{DateTime, Utc};
use latch_domain::{DeviceState, LicenseRules, LicenseType};

#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub public_key_pem: String,
}

/// An API key with its opened shared key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub company_id: i64,
    pub api_key: String,
    pub shared_key: String,
    pub read_only: bool,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub company_id: i64,
    pub code: String,
    pub name: String,
    pub authorization_method: String,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub metadata: String,
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub company_id: i64,
    pub code: String,
    pub name: String,
    pub prevent_vm: bool,
}

#[derive(Debug, Clone)]
pub struct License {
    pub id: i64,
    pub company_id: i64,
    pub product_id: i64,
    pub license_key: String,
    pub license_type: LicenseType,
    pub enabled: bool,
    pub is_trial: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    pub grace_period: i64,
    pub allow_grace_period: bool,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub times_activated: i64,
    pub transfer_count: i64,
    pub max_transfers: i64,
    pub metadata: String,
}

impl License {
    /// The fields the domain rules decide on.
    pub fn rules(&self, product: &Product) -> LicenseRules {
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
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewLicense {
    pub company_id: i64,
    pub product_id: i64,
    pub license_key: String,
    pub license_type: LicenseType,
    pub enabled: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    pub max_activations: i64,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub id: i64,
    pub license_id: i64,
    pub hardware_id: String,
    pub active: bool,
    pub blacklisted: bool,
    pub is_vm: bool,
    pub os_ver: Option<String>,
    pub hostname: Option<String>,
    pub license_signature: Option<String>,
    pub signature_validity: Option<DateTime<Utc>>,
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
    pub device_id: i64,
    pub name: String,
    pub value: String,
    pub created_at: DateTime<Utc>,
}

/// Product, license and device for one (product code, license key, hardware id), read in one query.
#[derive(Debug, Clone)]
pub struct LicenseLookup {
    pub product: Product,
    pub license: Option<License>,
    pub device: Option<Device>,
}

/// Identifies the license and device a License API call is about.
#[derive(Debug, Clone)]
pub struct DeviceKey<'a> {
    pub company_id: i64,
    pub product_code: &'a str,
    pub license_key: &'a str,
    pub hardware_id: &'a str,
}
