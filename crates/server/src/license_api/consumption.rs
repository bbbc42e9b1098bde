use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use latch_domain::{decide_consumption_use, decide_device_use, ConsumptionRefused, DomainError};
use latch_store::{FeatureType, StoreError};
use latch_wire::body::{CompanyRef, FeatureConsumptionAnswer, LicenseConsumptionBody};

use super::body::{consumption_body, feature_consumption_body};
use super::{json, Identity};
use crate::auth::WritableTenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// The domain error for a refused consumption; `exhausted` names the counter that ran out.
fn refusal(refused: ConsumptionRefused, exhausted: DomainError) -> DomainError {
    match refused {
        ConsumptionRefused::Exhausted => exhausted,
        ConsumptionRefused::NegativeNotAllowed => DomainError::NegativeConsumptionsNotAllowed,
    }
}

/// The amount to add: `consumptions`, 1 when absent.
fn amount(params: &Params) -> Result<i64, ApiError> {
    Ok(params.optional_i64("consumptions")?.unwrap_or(1))
}

/// `POST /api/v4/add_consumption`. Overage settings sent by clients are not applied: the license's
/// own `allow_overages`/`max_overages` decide, so a client cannot raise its own limit.
pub async fn add_consumption(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let amount = amount(&params)?;
    let now = Utc::now();
    let license = state
        .store
        .consume(
            &identity.device_key(tenant.company_id),
            &decide_consumption_use,
            &|counter| {
                counter
                    .add(amount, now)
                    .map_err(|refused| refusal(refused, DomainError::NotEnoughConsumptions))
            },
        )
        .await?;
    Ok(json(&LicenseConsumptionBody {
        id: license.id.get(),
        consumption: consumption_body(&license.consumption, &license.consumption_counter(), now),
        company: CompanyRef {
            id: license.company_id.get(),
        },
    }))
}

/// `POST /api/v4/add_feature_consumption`
pub async fn add_feature_consumption(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    params: Params,
) -> Result<Response, ApiError> {
    let identity = Identity::from_params(&params)?;
    let code = params.required_str("feature")?;
    let amount = amount(&params)?;
    let now = Utc::now();
    let feature = state
        .store
        .consume_feature(
            &identity.device_key(tenant.company_id),
            code,
            &decide_device_use,
            &|feature| {
                if feature.feature.feature_type != FeatureType::Consumption {
                    return Err(DomainError::FeatureNotConsumption);
                }
                feature
                    .consumption_counter()
                    .add(amount, now)
                    .map_err(|refused| refusal(refused, DomainError::FeatureNotEnoughConsumptions))
            },
        )
        .await
        .map_err(|error| match error {
            StoreError::UnknownFeature => ApiError::UnsupportedProductFeature,
            other => other.into(),
        })?;
    Ok(json(&FeatureConsumptionAnswer {
        id: feature.id.get(),
        license_id: feature.license_id.get(),
        company: CompanyRef {
            id: tenant.company_id.get(),
        },
        max_consumptions: feature.consumption.max_consumptions,
        consumption: feature_consumption_body(&feature, now),
        is_floating: false,
        is_floating_cloud: feature.floating.is_floating_cloud,
        floating_timeout: feature.floating.floating_timeout,
        floating_users: feature.floating.floating_users,
        feature_type: feature.feature.feature_type.as_str(),
    }))
}
