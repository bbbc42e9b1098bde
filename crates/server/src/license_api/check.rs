use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::{decide_check, LicenseId, SeatRequest};
use latch_store::{DeferredWrite, DeviceKey};
use latch_wire::body::{LicenseBody, RequestExtras};

use super::body::{latest_release, latest_release_fields, license_body, LicenseParts};
use super::{json_bytes, Identity};
use crate::auth::{AnswerDigest, KnownAnswer, Tenant};
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::state::AppState;

/// `GET /api/v4/check_license`: one indexed read and no write for ordinary licenses (the last-check
/// time is written behind); a floating license also renews or takes this device's seat.
pub async fn check_license(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let checked = checked_license(
        &state,
        &tenant,
        &params,
        &identity,
        identity.device_key(tenant.company_id),
    )
    .await?;
    let answer = state
        .answers
        .answer(checked.known_answer.device_id, checked.body);
    let mut response = json_bytes(answer.bytes.clone());
    // The signing layer reuses the device's stored answer signature while the answer stays the same.
    response.extensions_mut().insert(checked.known_answer);
    response
        .extensions_mut()
        .insert(AnswerDigest(answer.digest.clone()));
    Ok(response)
}

/// One license checked on its device, as `check_license` answers it.
pub(super) struct Checked {
    pub license_id: LicenseId,
    pub body: LicenseBody,
    pub known_answer: KnownAnswer,
}

/// Checks the license `key` names (through the check cache) and builds its answer; the v1
/// signature names the license as the request did.
pub(super) async fn checked_license(
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
    identity: &Identity<'_>,
    key: DeviceKey<'_>,
) -> Result<Checked, ApiError> {
    let is_vm = params.flag("is_vm")?;
    let include_expired_features = params.flag("include_expired_features")?;
    let now = Utc::now();
    let found = state.check_lookup(&key).await?;
    let license = found.license.as_ref().ok_or(ApiError::LicenseNotFound)?;
    let rule = |rules: &_, device| decide_check(rules, device, is_vm, now);
    rule(
        &license.rules(&found.product, found.assignment()),
        found.device.as_ref().map(|d| d.state()),
    )?;
    let view = if license.floating.is_floating_cloud {
        state
            .store
            .take_floating_seat(&key, &rule, SeatRequest::Lease, now)
            .await?
    } else {
        found.into_view().ok_or(InternalError::invariant(
            "a license that passed its check has a license and a device",
        ))?
    };
    state.defer(DeferredWrite::Checked {
        device_id: view.device.id,
        at: now,
    });
    let releases = state.releases(&view.product).await?;
    let latest = latest_release(
        &releases,
        params.optional_str("env")?,
        params.optional_str("channel")?,
    );
    let body = license_body(
        state,
        tenant,
        LicenseParts::of_view(&view, identity.hardware_id, identity.signature_ident())
            .including_expired_features(include_expired_features),
        now,
        Some(RequestExtras::Check(latest_release_fields(latest))),
    )?;
    Ok(Checked {
        license_id: view.license.id,
        body,
        known_answer: KnownAnswer {
            device_id: view.device.id,
            digest: view.device.answer_digest.clone(),
            signature: view.device.answer_signature.clone(),
        },
    })
}
