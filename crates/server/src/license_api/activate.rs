use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::decide_activation;
use latch_wire::body::RequestExtras;

use super::body::{license_body, variable_iso, LicenseParts};
use super::{device_info, json, Identity};
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// `POST /api/v4/activate_license`
pub async fn activate_license(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    tenant.require_write()?;
    let identity = Identity::from_params(&params)?;
    let info = device_info(&params)?;
    let variables = params.variables()?;
    let now = Utc::now();
    let activation = state
        .store
        .activate(
            &identity.device_key(tenant.company_id),
            &info,
            &variables,
            &|license, device| decide_activation(license, device, info.is_vm, now),
            now,
        )
        .await?;
    let variables = activation.variables.iter().map(variable_iso).collect();
    let body = license_body(
        &state,
        &tenant,
        LicenseParts {
            product: &activation.product,
            license: &activation.license,
            device: &activation.device,
            hardware_id: identity.hardware_id,
        },
        now,
        RequestExtras::Activation {
            active: true,
            request: "activation",
            variables,
        },
    )?;
    Ok(json(&body))
}
