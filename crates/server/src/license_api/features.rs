use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::{decide_device_use, SeatRequest};
use latch_store::Device;
use latch_wire::body::{BorrowBody, CompanyRef, LicenseFeatureBody};
use latch_wire::time::iso_millis;

use super::body::feature_body;
use super::floating::{check_optional_password, requested_borrow};
use super::{empty, json, Identity};
use crate::auth::{Tenant, WritableTenant};
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// `GET /api/v4/check_license_feature`: the feature on this device's license; a floating-cloud
/// feature also takes or renews this device's seat on it.
pub async fn check_license_feature(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let code = params.required_str("feature")?;
    let now = Utc::now();
    let key = identity.device_key(tenant.company_id);
    let found = state.store.lookup(&key).await?;
    let license = found.license.as_ref().ok_or(ApiError::LicenseNotFound)?;
    decide_device_use(
        &license.rules(&found.product, found.assignment()),
        found.device.as_ref().map(Device::state),
    )?;
    let feature = found
        .features
        .iter()
        .find(|f| f.feature.code == code)
        .ok_or(ApiError::InvalidLicenseFeatureCode)?;
    let (feature, in_use) = if feature.floating.is_floating_cloud {
        let held = state
            .store
            .take_feature_seat(&key, code, &decide_device_use, SeatRequest::Lease, now)
            .await?;
        (held.feature, Some(held.in_use))
    } else {
        (feature.clone(), None)
    };
    Ok(json(&LicenseFeatureBody {
        license_id: license.id.get(),
        company: CompanyRef {
            id: license.company_id.get(),
        },
        feature: feature_body(&feature, in_use, now),
    }))
}

/// `POST /api/v4/floating/feature_borrow`
pub async fn feature_borrow(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let code = params.required_str("feature")?;
    let request = requested_borrow(&params)?;
    check_optional_password(&state, &tenant, client, &identity, &params).await?;
    let held = state
        .store
        .take_feature_seat(
            &identity.device_key(tenant.company_id),
            code,
            &decide_device_use,
            request,
            Utc::now(),
        )
        .await?;
    let borrowed_until = held.seat.borrowed_until.ok_or(InternalError::invariant(
        "a borrowed feature seat has a borrow end",
    ))?;
    Ok(json(&BorrowBody {
        borrowed_until: iso_millis(borrowed_until),
        max_borrow_time: held.feature.floating.max_borrow_time,
        device_id: held.device_id.get(),
        license_id: held.feature.license_id.get(),
        company: CompanyRef {
            id: tenant.company_id.get(),
        },
    }))
}

/// `POST /api/v4/floating/feature_release`
pub async fn feature_release(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let code = params.required_str("feature")?;
    state
        .store
        .release_feature_seat(
            &identity.device_key(tenant.company_id),
            code,
            &decide_device_use,
            Utc::now(),
        )
        .await?;
    Ok(empty())
}
