use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::decide_activation;
use latch_wire::body::RequestExtras;

use super::body::{license_body, variable_iso, LicenseParts};
use super::users::verify_user_password;
use super::{device_info, json, Identity};
use crate::auth::WritableTenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// `POST /api/v4/activate_license`: key-based with `license_key`, user-based with `username` and
/// `password`.
pub async fn activate_license(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    state
        .rate_limits
        .activation(
            state.store.as_ref(),
            tenant.company_id,
            identity.signature_ident(),
        )
        .await?;
    if let Some(username) = identity.username() {
        let password = params.required_str("password")?;
        verify_user_password(&state, &tenant, client, username, password).await?;
    }
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
    let body = license_body(
        &state,
        &tenant,
        LicenseParts::of_view(
            &activation.view,
            identity.hardware_id,
            identity.signature_ident(),
        ),
        now,
        Some(RequestExtras::Activation {
            active: true,
            request: "activation",
            username: params.optional_str("username")?.map(str::to_owned),
            variables: activation.variables.iter().map(variable_iso).collect(),
        }),
    )?;
    Ok(json(&body))
}
