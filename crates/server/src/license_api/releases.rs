use axum::extract::State;
use axum::response::Response;
use latch_store::{Release, StoreError};
use latch_wire::body::{CompanyRef, InstallationFileBody, VersionBody};
use latch_wire::time::iso_millis;

use super::body::{latest_release, release_details};
use super::{json, Identity};
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// The product's releases matching the client's environment and channel, newest first; only for a
/// device that holds an active, enabled license.
async fn releases_for_active_device(
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
) -> Result<Vec<Release>, ApiError> {
    let identity = Identity::from_params(params)?;
    let found = match state
        .store
        .lookup(&identity.device_key(tenant.company_id))
        .await
    {
        Ok(found) => found,
        Err(StoreError::UnknownProduct) => return Err(ApiError::UnknownProduct),
        Err(other) => return Err(other.into()),
    };
    let active = found.license.as_ref().is_some_and(|l| l.enabled)
        && found
            .device
            .as_ref()
            .is_some_and(|d| d.active && !d.blacklisted);
    if !active {
        return Err(ApiError::ActiveLicenseRequired);
    }
    let env = params.optional_str("env")?;
    let channel = params.optional_str("channel")?;
    let releases = state.releases(&found.product).await?;
    Ok(releases
        .iter()
        .filter(|r| latest_release(std::slice::from_ref(*r), env, channel).is_some())
        .cloned()
        .collect())
}

/// `GET /api/v4/versions`
pub async fn versions(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let releases = releases_for_active_device(&state, &tenant, &params).await?;
    Ok(json(
        &releases
            .iter()
            .map(|r| VersionBody {
                version: r.version.clone(),
                release_date: r.release_date.map(iso_millis),
            })
            .collect::<Vec<_>>(),
    ))
}

/// `GET /api/v4/installation_file`: the release named by `version`, else the latest.
pub async fn installation_file(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let releases = releases_for_active_device(&state, &tenant, &params).await?;
    let release = match params.optional_str("version")?.filter(|v| !v.is_empty()) {
        Some(version) => releases.iter().find(|r| r.version == version),
        None => releases.first(),
    }
    .ok_or(ApiError::VersionNotFound)?;
    Ok(json(&InstallationFileBody {
        id: release.id.get(),
        version: release.version.clone(),
        installation_file: release.installation_file.clone(),
        details: release_details(release),
        company: CompanyRef {
            id: tenant.company_id.get(),
        },
    }))
}
