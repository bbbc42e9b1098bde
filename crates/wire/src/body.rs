//! Response bodies, field for field as the SDKs parse them. Serialization is compact serde_json, which
//! writes what JavaScript's `JSON.stringify` writes for these shapes (integers only, raw UTF-8,
//! lowercase `\u00xx` control escapes, unescaped `/`), so the Node SDK's re-serialization keeps the
//! signed bytes intact.

use serde::Serialize;
use serde_json::Value;

/// Compact JSON bytes of a response body.
pub fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("response bodies contain only serializable data")
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanyRef {
    pub id: i64,
}

/// `customer` on a license; empty strings when the license has no customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomerBody {
    pub email: String,
    pub company_name: String,
    pub reference: String,
    pub phone: String,
    pub first_name: String,
    pub last_name: String,
    pub city: String,
    pub postcode: String,
    pub state: String,
    pub country: String,
    pub address: String,
    pub customer_account: Option<CustomerAccountBody>,
    pub metadata: Value,
}

/// `sso_url`: where the app sends its user to sign in at the customer account's identity provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SsoUrlBody {
    pub url: String,
    pub openid_configuration: OpenidConfigurationBody,
    /// Other places to sign in; Latch has one per account.
    pub alternate_urls: Vec<String>,
}

/// The provider's endpoints, from its discovery document; those it does not name are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenidConfigurationBody {
    pub issuer: String,
    pub authorization_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
}

/// `customer.customer_account`: the customer account the customer belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerAccountBody {
    pub id: i64,
    pub name: String,
    pub code: String,
}

/// `product_details` inside a license body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductDetailsBody {
    pub product_id: i64,
    pub product_name: String,
    pub short_code: String,
    pub authorization_method: &'static str,
    pub metadata: Value,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub floating_timeout: i64,
    pub prevent_vm: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub validity_period: Option<String>,
    pub company_id: i64,
}

/// The license object of `activate_license`, `check_license` and `user_licenses`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenseBody {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserBody>,
    pub license_type: &'static str,
    pub license_active: bool,
    pub license_enabled: bool,
    pub is_expired: bool,
    pub is_trial: bool,
    pub trial_days: i64,
    pub validity_period: Option<String>,
    pub start_date: Option<String>,
    pub maintenance_period: Option<String>,
    pub enable_maintenance_period: bool,
    pub allow_grace_period: bool,
    pub grace_period: i64,
    pub times_activated: i64,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub transfer_count: i64,
    pub max_transfers: i64,
    pub max_license_users: i64,
    pub prevent_vm: bool,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_timeout: i64,
    pub floating_users: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floating_in_use_devices: Option<i64>,
    pub can_borrow: bool,
    pub max_borrow_time: i64,
    pub is_borrowed: bool,
    pub borrowed_until: Option<String>,
    pub is_air_gapped: bool,
    pub is_hardware_key_auth: bool,
    pub allow_offline_activation: bool,
    pub order_store_id: Option<String>,
    pub license_template_id: Option<i64>,
    #[serde(flatten)]
    pub consumption: ConsumptionBody,
    pub metadata: Value,
    pub custom_fields: Vec<Value>,
    pub company: CompanyRef,
    pub customer: CustomerBody,
    pub product_details: ProductDetailsBody,
    pub product_features: Vec<FeatureBody>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceFields>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub request_extras: Option<RequestExtras>,
}

/// Consumption settings and counter; integers even on other license types, since the Python SDK does
/// arithmetic on them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumptionBody {
    pub max_consumptions: i64,
    pub total_consumptions: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_negative_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    pub consumption_period: Option<&'static str>,
}

/// The device a license answer is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceFields {
    pub device_id: i64,
    /// Exactly as the client sent it.
    pub hardware_id: String,
    pub license_signature: String,
}

/// `user` on user-based licenses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserBody {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    pub is_initial_password: bool,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub total_activations: i64,
}

/// A product feature granted to a license.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureBody {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub feature_type: &'static str,
    pub expiry_date: Option<String>,
    pub metadata: Value,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    pub floating_timeout: i64,
    pub max_borrow_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floating_in_use_devices: Option<i64>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub consumption: Option<FeatureConsumptionBody>,
}

/// Consumption fields of a consumption feature: note `max_consumption`, singular, as the SDKs read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureConsumptionBody {
    pub max_consumption: i64,
    pub total_consumptions: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub allow_negative_consumptions: bool,
    pub reset_consumption: bool,
    pub consumption_period: Option<&'static str>,
}

/// `check_license_feature` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenseFeatureBody {
    pub license_id: i64,
    pub company: CompanyRef,
    #[serde(flatten)]
    pub feature: FeatureBody,
}

/// `add_consumption` answer (merged by the SDKs into their stored license).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenseConsumptionBody {
    pub id: i64,
    #[serde(flatten)]
    pub consumption: ConsumptionBody,
    pub company: CompanyRef,
}

/// `add_feature_consumption` answer: `max_consumptions` (plural) as the SDK types spell it here, and
/// `max_consumption` too so the Python SDK's feature copy stays current.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureConsumptionAnswer {
    pub id: i64,
    pub license_id: i64,
    pub company: CompanyRef,
    pub max_consumptions: i64,
    #[serde(flatten)]
    pub consumption: FeatureConsumptionBody,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_timeout: i64,
    pub floating_users: i64,
    pub feature_type: &'static str,
}

/// `floating/borrow` and `floating/feature_borrow` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BorrowBody {
    pub borrowed_until: String,
    pub max_borrow_time: i64,
    pub device_id: i64,
    pub license_id: i64,
    pub company: CompanyRef,
}

/// One element of `user_licenses`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserLicenseBody {
    pub license: LicenseBody,
    pub user: UserBody,
}

/// One user of `customer_license_users`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerUserBody {
    pub email: String,
    pub is_active: bool,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    pub is_initial_password: bool,
    pub initial_password: Option<String>,
    pub max_activations: i64,
    pub total_activations: i64,
    pub allow_unlimited_activations: bool,
    pub license_id: i64,
    pub order_store_id: Option<String>,
    pub order_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerLicenseUsersBody {
    pub company: CompanyRef,
    pub customer: CustomerBody,
    pub users: Vec<CustomerUserBody>,
}

/// One release in `versions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionBody {
    pub version: String,
    pub release_date: Option<String>,
}

/// `installation_file` answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstallationFileBody {
    pub id: i64,
    pub version: String,
    pub installation_file: String,
    #[serde(flatten)]
    pub details: ReleaseDetails,
    pub company: CompanyRef,
}

/// `latest_version` of `product_details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestVersionBody {
    pub id: i64,
    pub version: String,
    pub full_link: String,
    pub filename: String,
    #[serde(flatten)]
    pub details: ReleaseDetails,
    pub created_at: String,
    pub updated_at: String,
    pub enabled: bool,
    pub product_id: i64,
}

/// `trial_key` answer for a trial created now: the license row, then its key or its user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTrialBody {
    pub id: i64,
    pub order_id: Option<i64>,
    pub product_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub times_activated: i64,
    pub is_trial: bool,
    pub active: bool,
    pub enabled: bool,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub max_activations: i64,
    pub trial_days: i64,
    pub license_type: &'static str,
    pub max_transfers: i64,
    pub prevent_vm: bool,
    pub enable_maintenance_period: bool,
    pub maintenance_duration: Option<String>,
    pub metadata: Value,
    pub is_hardware_key_auth: bool,
    pub validity_period: Option<String>,
    pub company: CompanyRef,
    #[serde(rename = "LicenseProductFeatures")]
    pub license_product_features: Vec<Value>,
    #[serde(rename = "LicenseCustomFields")]
    pub license_custom_fields: Vec<Value>,
    pub floating_users: i64,
    pub floating_timeout: i64,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub max_consumptions: i64,
    pub valid_duration: Option<String>,
    pub consumption_period: Option<&'static str>,
    pub reset_consumption: bool,
    pub grace_period: i64,
    pub allow_grace_period: bool,
    #[serde(flatten)]
    pub holder: TrialHolder,
}

/// Who holds a trial: its key, or its user with the initial password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TrialHolder {
    Key {
        license: String,
        license_key: String,
    },
    User {
        license_user: String,
        initial_password: Option<String>,
        license_user_id: i64,
        max_license_users: i64,
    },
}

/// `trial_key` answer when this device already had a trial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExistingTrialBody {
    pub license_type: &'static str,
    pub is_trial: bool,
    #[serde(flatten)]
    pub holder: ExistingTrialHolder,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ExistingTrialHolder {
    Key {
        license: String,
    },
    User {
        license_user: String,
        /// Always present: the Python SDK requires the key.
        initial_password: Option<String>,
    },
}

/// Fields that differ between an activation answer and a check answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RequestExtras {
    Activation {
        active: bool,
        request: &'static str,
        /// The user name of a user-based activation, as sent.
        #[serde(skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        variables: Vec<DeviceVariableIso>,
    },
    Check(LatestRelease),
}

/// The latest installation file, flattened into check answers; all null while the product has no release.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatestRelease {
    pub version: Option<String>,
    pub installation_file: Option<String>,
    #[serde(flatten)]
    pub details: ReleaseDetails,
}

/// What every answer about a release says of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReleaseDetails {
    pub release_date: Option<String>,
    pub hash_md5: Option<String>,
    pub requires_version: Option<String>,
    pub environment: Option<String>,
    pub eula_link: Option<String>,
    pub release_notes_link: Option<String>,
    pub size: Option<String>,
    pub channel: Option<String>,
}

/// A device variable with an ISO `created_at` (activation answers and `get_device_variables`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceVariableIso {
    pub id: i64,
    pub created_at: String,
    pub variable: String,
    pub value: String,
    pub device_id: i64,
}

/// A device variable as `track_device_variables` answers it: `created_at` in epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackedVariable {
    pub variable: String,
    pub value: String,
    pub device_id: i64,
    pub created_at: i64,
}

/// `product_details` endpoint answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductBody {
    pub product_id: i64,
    pub product_name: String,
    pub short_code: String,
    pub allow_trial: bool,
    pub trial_days: i64,
    pub authorization_method: &'static str,
    pub floating_timeout: i64,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub prevent_vm: bool,
    pub metadata: Value,
    pub company: CompanyRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<Option<LatestVersionBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<Value>>,
}

/// Error body `{status, code, message}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody<'a> {
    pub status: u16,
    pub code: &'a str,
    pub message: &'a str,
}

/// `oauth_url`'s answer: where OAuth clients get their access tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OAuthUrlBody<'a> {
    pub url: &'a str,
    pub login_type: &'a str,
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessTokenBody<'a> {
    pub access_token: &'a str,
    pub token_type: &'a str,
    /// Seconds the token is valid for.
    pub expires_in: u64,
}

/// The token endpoint's refusal (RFC 6749 §5.2): `error` is a code, `error_description` says why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

/// The plain-string success of `deactivate_license`.
pub const LICENSE_DEACTIVATED: &str = "license_deactivated";
/// The plain-string success of `change_password`.
pub const PASSWORD_CHANGED: &str = "password_changed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_compact_and_keeps_non_ascii_and_slashes_raw() {
        let body = to_json(&serde_json::json!({"a": "é/ü\u{1}\n", "b": [1, 2]}));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "{\"a\":\"é/ü\\u0001\\n\",\"b\":[1,2]}"
        );
    }

    #[test]
    fn missing_optional_fields_are_null_not_absent() {
        let body = to_json(&LatestRelease::default());
        assert!(String::from_utf8(body)
            .unwrap()
            .starts_with("{\"version\":null,"));
    }
}
