use axum::extract::State;
use axum::response::Response;
use latch_domain::decide_deactivation;
use latch_wire::body::LICENSE_DEACTIVATED;

use super::{json, Identity};
use crate::auth::WritableTenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// `POST /api/v4/deactivate_license`: frees the device's activation (and its floating seat); answers
/// `"license_deactivated"`.
pub async fn deactivate_license(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    state
        .store
        .deactivate(
            &identity.device_key(tenant.company_id),
            &decide_deactivation,
        )
        .await?;
    Ok(json(&LICENSE_DEACTIVATED))
}
