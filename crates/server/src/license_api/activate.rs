use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, Utc};
use latch_domain::decide_activation;
use latch_store::Activation;
use latch_wire::body::{LicenseBody, RequestExtras};

use super::body::{license_body, variable_iso, LicenseParts};
use super::users::verify_user_password;
use super::{device_info, json, Identity};
use crate::auth::{Tenant, WritableTenant};
use crate::error::ApiError;
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::replays::HandlerClaim;
use crate::state::AppState;

/// `POST /api/v4/activate_license`: key-based with `license_key`, user-based with `username` and
/// `password` or with `customer_account_code` and an `id_token` or `code` of the account's
/// identity provider.
pub async fn activate_license(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    claim: Option<Extension<HandlerClaim>>,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::signed_in(&state, &tenant, &params).await?;
    admit_activation(&state, &tenant, client, &params, &identity).await?;
    let info = device_info(&params)?;
    let variables = params.variables()?;
    let now = Utc::now();
    let claim = claim.as_ref().map(|Extension(claim)| claim);
    let activated = state
        .store
        .activate(
            &identity.device_key(tenant.company_id),
            &info,
            &variables,
            &|license, device| decide_activation(license, device, info.is_vm, now),
            now,
            claim.map(HandlerClaim::ticket),
        )
        .await;
    let activation = match claim {
        Some(claim) => claim.settle(activated),
        None => activated,
    }?;
    let body = activation_body(&state, &tenant, &params, &identity, &activation, now)?;
    Ok(json(&body))
}

/// What every activation passes before it is tried: the activation rate limit, and the password of
/// a user-based license.
pub(super) async fn admit_activation(
    state: &AppState,
    tenant: &Tenant,
    client: Option<ClientAddr>,
    params: &Params,
    identity: &Identity<'_>,
) -> Result<(), ApiError> {
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
        verify_user_password(state, tenant, client, username, password).await?;
    }
    Ok(())
}

/// An activation as `activate_license` answers it; the v1 signature names the license as the
/// request did.
pub(super) fn activation_body(
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
    identity: &Identity<'_>,
    activation: &Activation,
    now: DateTime<Utc>,
) -> Result<LicenseBody, ApiError> {
    license_body(
        state,
        tenant,
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
    )
}
