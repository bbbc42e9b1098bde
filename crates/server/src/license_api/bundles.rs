//! Bundles: `activate_bundle`, `check_bundle`, `deactivate_bundle`. The request names the bundle
//! product and the bundle license's key; the answer is an array with the bundle's own license first,
//! then one license per included product, each with its own v1 signature over the request's
//! hardware id and key (the Node SDK verifies every element that way).

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::{decide_activation, decide_deactivation};
use latch_store::DeviceKey;
use latch_wire::body::LICENSE_DEACTIVATED;

use super::activate::{activation_body, admit_activation};
use super::check::checked_license;
use super::{device_info, json, Identity};
use crate::auth::{Tenant, WritableTenant};
use crate::error::ApiError;
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// The identity of a bundle call, refused unless its product is a bundle.
async fn bundle_identity<'a>(
    state: &AppState,
    tenant: &Tenant,
    params: &'a Params,
) -> Result<Identity<'a>, ApiError> {
    require_bundle(state, tenant, Identity::from_params(params)?).await
}

async fn require_bundle<'a>(
    state: &AppState,
    tenant: &Tenant,
    identity: Identity<'a>,
) -> Result<Identity<'a>, ApiError> {
    if !state
        .store
        .product_is_bundle(tenant.company_id, identity.product)
        .await?
    {
        return Err(ApiError::NotABundle);
    }
    Ok(identity)
}

/// `POST /api/v4/activate_bundle`: activates the bundle license and every license it came with on
/// the device, all or none, each as `activate_license` would.
pub async fn activate_bundle(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::signed_in(&state, &tenant, &params).await?;
    let identity = require_bundle(&state, &tenant, identity).await?;
    admit_activation(&state, &tenant, client, &params, &identity).await?;
    let info = device_info(&params)?;
    let variables = params.variables()?;
    let now = Utc::now();
    let activations = state
        .store
        .activate_bundle(
            &identity.device_key(tenant.company_id),
            &info,
            &variables,
            &|license, device| decide_activation(license, device, info.is_vm, now),
            now,
            None,
        )
        .await?;
    let bodies = activations
        .iter()
        .map(|activation| activation_body(&state, &tenant, &params, &identity, activation, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json(&bodies))
}

/// `GET /api/v4/check_bundle`: checks the bundle license and every license it came with, each as
/// `check_license` would (through the check cache).
pub async fn check_bundle(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = bundle_identity(&state, &tenant, &params).await?;
    let key = identity.device_key(tenant.company_id);
    let bundle = checked_license(&state, &tenant, &params, &identity, key).await?;
    let included = state
        .store
        .bundle_licenses(tenant.company_id, bundle.license_id)
        .await?;
    let mut bodies = Vec::with_capacity(included.len() + 1);
    bodies.push(bundle.body);
    for (license_id, code) in &included {
        let included_key = DeviceKey {
            product_code: code,
            license_id: Some(*license_id),
            ..key
        };
        let checked = checked_license(&state, &tenant, &params, &identity, included_key).await?;
        bodies.push(checked.body);
    }
    Ok(json(&bodies))
}

/// `POST /api/v4/deactivate_bundle`: deactivates the device on the bundle license and on every
/// license it came with; answers `"license_deactivated"`.
pub async fn deactivate_bundle(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = bundle_identity(&state, &tenant, &params).await?;
    state
        .store
        .deactivate_bundle(
            &identity.device_key(tenant.company_id),
            &decide_deactivation,
            None,
        )
        .await?;
    Ok(json(&LICENSE_DEACTIVATED))
}
