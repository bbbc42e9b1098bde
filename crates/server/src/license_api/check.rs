use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::decide_check;
use latch_wire::body::{LatestRelease, RequestExtras};

use super::body::{license_body, LicenseParts};
use super::{json, Identity};
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use crate::write_behind::Deferred;

/// `GET /api/v4/check_license`: one indexed read; the last-check time is written behind.
pub async fn check_license(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let is_vm = params.flag("is_vm")?;
    let now = Utc::now();
    let found = state
        .store
        .lookup(&identity.device_key(tenant.company_id))
        .await?;
    let license = found.license.ok_or(ApiError::LicenseNotFound)?;
    let device_state = found.device.as_ref().map(|d| d.state());
    decide_check(&license.rules(&found.product), device_state, is_vm, now)?;
    let device = found.device.as_ref().ok_or(ApiError::Internal)?;
    state.write_behind.defer(Deferred::Checked {
        device_id: device.id,
        at: now,
    });
    let body = license_body(
        &state,
        &tenant,
        LicenseParts {
            product: &found.product,
            license: &license,
            device,
            hardware_id: identity.hardware_id,
        },
        now,
        RequestExtras::Check(LatestRelease::default()),
    )?;
    Ok(json(&body))
}
