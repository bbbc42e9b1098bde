use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::{decide_device_use, SeatRequest};
use latch_wire::body::{BorrowBody, CompanyRef};
use latch_wire::time::iso_millis;

use super::users::verify_user_password;
use super::{empty, json, Identity};
use crate::auth::{Tenant, WritableTenant};
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// `borrowed_until`; `null` or absent borrows for as long as allowed (the Python SDK leaves the key
/// out when it is `None`).
pub fn requested_borrow(params: &Params) -> Result<SeatRequest, ApiError> {
    Ok(SeatRequest::Borrow {
        until: params.optional_date("borrowed_until")?,
    })
}

/// A user-based borrow may carry the user's password; when it does, it must be right.
pub async fn check_optional_password(
    state: &AppState,
    tenant: &Tenant,
    client: Option<ClientAddr>,
    identity: &Identity<'_>,
    params: &Params,
) -> Result<(), ApiError> {
    if let (Some(username), Some(password)) =
        (identity.username(), params.optional_str("password")?)
    {
        verify_user_password(state, tenant, client, username, password).await?;
    }
    Ok(())
}

/// `POST /api/v4/floating/release`: gives the device's floating seat back.
pub async fn floating_release(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    state
        .store
        .release_floating_seat(&identity.device_key(tenant.company_id), &decide_device_use)
        .await?;
    Ok(empty())
}

/// `POST /api/v4/floating/borrow`: keeps the seat until `borrowed_until`, at most `max_borrow_time`
/// hours from now.
pub async fn floating_borrow(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::signed_in(&state, &tenant, &params).await?;
    let request = requested_borrow(&params)?;
    check_optional_password(&state, &tenant, client, &identity, &params).await?;
    let view = state
        .store
        .take_floating_seat(
            &identity.device_key(tenant.company_id),
            &decide_device_use,
            request,
            Utc::now(),
        )
        .await?;
    let borrowed_until = view.device.borrowed_until.ok_or(InternalError::invariant(
        "a borrowed floating seat has a borrow end",
    ))?;
    Ok(json(&BorrowBody {
        borrowed_until: iso_millis(borrowed_until),
        max_borrow_time: view.license.floating.max_borrow_time,
        device_id: view.device.id.get(),
        license_id: view.license.id.get(),
        company: CompanyRef {
            id: view.license.company_id.get(),
        },
    }))
}
