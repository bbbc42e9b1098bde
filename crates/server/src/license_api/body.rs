//! Builds the license objects and feature objects the License API answers with: the shapes come from
//! the service layer (offline license files share them); here the v1 signature is cached per device.

use chrono::{DateTime, Utc};
use latch_store::{DeferredWrite, License};
use latch_wire::body::{LicenseBody, RequestExtras};
use secrecy::{ExposeSecret, SecretString};

pub use latch_service::license_body::{
    consumption_body, customer_body, feature_body, feature_consumption_body, latest_release,
    latest_release_fields, metadata, product_details, release_details, user_body, variable_iso,
    LicenseParts, ShownDevice,
};

use crate::auth::Tenant;
use crate::error::{ApiError, InternalError};
use crate::metrics::SignatureSource;
use crate::state::AppState;

/// The initial password in the clear where `shown`, until the user changes it; otherwise `null`.
pub fn shown_initial_password(password: Option<SecretString>, shown: bool) -> Option<String> {
    password
        .filter(|_| shown)
        .map(|password| password.expose_secret().to_owned())
}

/// Whether the company shows initial passwords in every answer that carries them, not only to the
/// trial that created the user (off unless the vendor turns it on).
pub async fn exposes_initial_passwords(
    state: &AppState,
    tenant: &Tenant,
) -> Result<bool, ApiError> {
    Ok(state
        .store
        .company(tenant.company_id)
        .await?
        .is_some_and(|company| company.expose_initial_passwords))
}

/// The v1 `license_signature` for this device: the one stored with the device when it was made for the
/// same validity, else a new one, stored behind the response.
fn license_signature(
    state: &AppState,
    tenant: &Tenant,
    license: &License,
    shown: &ShownDevice<'_>,
) -> Result<String, ApiError> {
    let device = shown.device;
    // The cache holds signatures made with the stored hardware id and key; the request's spelling is
    // the same bytes (both are matched exactly), so it can be reused.
    if let Some(cached) = device.cached_signature(license.validity_period) {
        state.metrics.license_signature(SignatureSource::Stored);
        return Ok(cached.to_owned());
    }
    let signature = tenant
        .signer
        .license_signature(
            shown.hardware_id,
            shown.signature_ident,
            license.validity_period,
        )
        .map_err(|error| InternalError::caused("signing the license", error))?;
    state.metrics.license_signature(SignatureSource::Computed);
    state.defer(DeferredWrite::LicenseSignature {
        device_id: device.id,
        signature: signature.clone(),
        validity: license.validity_period,
    });
    Ok(signature)
}

pub fn license_body(
    state: &AppState,
    tenant: &Tenant,
    parts: LicenseParts<'_>,
    now: DateTime<Utc>,
    request_extras: Option<RequestExtras>,
) -> Result<LicenseBody, ApiError> {
    latch_service::license_body::license_body(parts, now, request_extras, |license, shown| {
        license_signature(state, tenant, license, shown)
    })
}
