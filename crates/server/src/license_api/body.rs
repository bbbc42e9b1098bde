//! Builds the license object both activation and check answer with.

use chrono::{DateTime, Utc};
use latch_store::{Device, DeviceVariable, License, Product};
use latch_wire::body::{
    CompanyRef, CustomerBody, DeviceVariableIso, LicenseBody, ProductDetailsBody, RequestExtras,
};
use latch_wire::time::iso_millis;
use serde_json::Value;

use crate::auth::Tenant;
use crate::error::ApiError;
use crate::state::AppState;
use crate::write_behind::Deferred;

/// Parses stored metadata; it was validated as a JSON object when written.
fn metadata(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Default::default()))
}

pub fn product_details(product: &Product) -> ProductDetailsBody {
    ProductDetailsBody {
        product_id: product.id,
        product_name: product.name.clone(),
        short_code: product.code.clone(),
        authorization_method: authorization_method(product),
        metadata: metadata(&product.metadata),
        allow_trial: product.allow_trial,
        trial_days: product.trial_days,
        floating_timeout: 0,
        prevent_vm: product.prevent_vm,
        allow_overages: false,
        max_overages: 0,
        validity_period: None,
        company_id: product.company_id,
    }
}

pub fn authorization_method(product: &Product) -> &'static str {
    if product.authorization_method == "user" {
        "user"
    } else {
        "license-key"
    }
}

/// The v1 `license_signature` for this device: the one stored with the device when it was made for the
/// same validity, else a new one, stored behind the response.
fn license_signature(
    state: &AppState,
    tenant: &Tenant,
    license: &License,
    device: &Device,
    hardware_id: &str,
) -> Result<String, ApiError> {
    if let Some(cached) = device.cached_signature(license.validity_period) {
        return Ok(cached.to_owned());
    }
    let validity = license.validity_period.map(iso_millis);
    let signature = tenant
        .signer
        .license_signature(hardware_id, &license.license_key, validity.as_deref())
        .map_err(|_| ApiError::Internal)?;
    state.write_behind.defer(Deferred::Signature {
        device_id: device.id,
        signature: signature.clone(),
        validity: license.validity_period,
    });
    Ok(signature)
}

pub struct LicenseParts<'a> {
    pub product: &'a Product,
    pub license: &'a License,
    pub device: &'a Device,
    /// The hardware id exactly as the client sent it.
    pub hardware_id: &'a str,
}

pub fn license_body(
    state: &AppState,
    tenant: &Tenant,
    parts: LicenseParts<'_>,
    now: DateTime<Utc>,
    request_extras: RequestExtras,
) -> Result<LicenseBody, ApiError> {
    let LicenseParts {
        product,
        license,
        device,
        hardware_id,
    } = parts;
    let rules = license.rules(product);
    Ok(LicenseBody {
        id: license.id,
        license_key: Some(license.license_key.clone()),
        license_type: license.license_type.as_str(),
        license_active: rules.is_active(),
        license_enabled: license.enabled,
        is_expired: rules.is_expired(now),
        is_trial: license.is_trial,
        trial_days: product.trial_days,
        validity_period: license.validity_period.map(iso_millis),
        start_date: license.start_date.map(iso_millis),
        maintenance_period: None,
        enable_maintenance_period: false,
        allow_grace_period: license.allow_grace_period,
        grace_period: license.grace_period,
        times_activated: license.times_activated,
        max_activations: license.max_activations,
        allow_unlimited_activations: license.allow_unlimited_activations,
        transfer_count: license.transfer_count,
        max_transfers: license.max_transfers,
        prevent_vm: rules.prevent_vm,
        is_floating: false,
        is_floating_cloud: false,
        floating_timeout: 0,
        floating_users: 0,
        can_borrow: false,
        max_borrow_time: 0,
        is_borrowed: false,
        borrowed_until: None,
        is_air_gapped: false,
        is_hardware_key_auth: false,
        allow_offline_activation: false,
        order_store_id: None,
        license_template_id: None,
        allow_overages: false,
        max_overages: 0,
        metadata: metadata(&license.metadata),
        custom_fields: Vec::new(),
        company: CompanyRef {
            id: license.company_id,
        },
        customer: CustomerBody {
            metadata: Value::Object(Default::default()),
            ..CustomerBody::default()
        },
        product_details: product_details(product),
        product_features: Vec::new(),
        device_id: device.id,
        hardware_id: hardware_id.to_owned(),
        license_signature: license_signature(state, tenant, license, device, hardware_id)?,
        request_extras,
    })
}

/// A device variable as activation answers and `get_device_variables` show it.
pub fn variable_iso(variable: &DeviceVariable) -> DeviceVariableIso {
    DeviceVariableIso {
        id: variable.id,
        created_at: iso_millis(variable.created_at),
        variable: variable.name.clone(),
        value: variable.value.clone(),
        device_id: variable.device_id,
    }
}
