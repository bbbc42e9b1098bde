use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::decide_device_use;
use latch_store::Device;
use latch_wire::body::TrackedVariable;

use super::body::variable_iso;
use super::{json, Identity};
use crate::auth::{Tenant, WritableTenant};
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::state::AppState;

/// The active device the identity parameters name, or why there is none.
async fn active_device(
    state: &AppState,
    tenant: &Tenant,
    identity: &Identity<'_>,
) -> Result<Device, ApiError> {
    let found = state
        .store
        .lookup(&identity.device_key(tenant.company_id))
        .await?;
    let license = found.license.as_ref().ok_or(ApiError::LicenseNotFound)?;
    decide_device_use(
        &license.rules(&found.product, found.assignment()),
        found.device.as_ref().map(Device::state),
    )?;
    found
        .device
        .ok_or(InternalError::invariant("a device allowed to be used exists").into())
}

/// `POST /api/v4/track_device_variables`: sets (overwrites) the given variables; answers with them,
/// `created_at` in epoch milliseconds.
pub async fn track_device_variables(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    if !params.has("variables") {
        return Err(ApiError::MissingParameter("variables"));
    }
    let variables = params.variables()?;
    let device = active_device(&state, &tenant, &identity).await?;
    let stored = state
        .store
        .set_variables(tenant.company_id, device.id, &variables, Utc::now())
        .await?;
    let tracked: Vec<TrackedVariable> = stored
        .into_iter()
        .filter(|v| variables.iter().any(|(name, _)| *name == v.name))
        .map(|v| TrackedVariable {
            variable: v.name,
            value: v.value,
            device_id: v.device_id.get(),
            created_at: v.created_at.timestamp_millis(),
        })
        .collect();
    Ok(json(&tracked))
}

/// `GET /api/v4/get_device_variables`
pub async fn get_device_variables(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let device = active_device(&state, &tenant, &identity).await?;
    let variables = state.store.variables(tenant.company_id, device.id).await?;
    Ok(json(
        &variables.iter().map(variable_iso).collect::<Vec<_>>(),
    ))
}
