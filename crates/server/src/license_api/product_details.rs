use axum::extract::State;
use axum::response::Response;
use latch_wire::body::{CompanyRef, ProductBody};
use serde_json::Value;

use super::body::{authorization_method, product_details as details};
use super::json;
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

/// `GET /api/v4/product_details`
pub async fn product_details(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let code = params.required_str("product")?;
    let product = state
        .store
        .product(tenant.company_id, code)
        .await?
        .ok_or(ApiError::UnknownProduct)?;
    let shown = details(&product);
    let body = ProductBody {
        product_id: product.id,
        product_name: shown.product_name,
        short_code: shown.short_code,
        allow_trial: shown.allow_trial,
        trial_days: shown.trial_days,
        authorization_method: authorization_method(&product),
        floating_timeout: shown.floating_timeout,
        allow_overages: shown.allow_overages,
        max_overages: shown.max_overages,
        prevent_vm: shown.prevent_vm,
        metadata: shown.metadata,
        company: CompanyRef {
            id: product.company_id,
        },
        // Releases arrive with a later version of Latch: until then there is no latest version.
        latest_version: params
            .flag("include_latest_version")?
            .then_some(None::<Value>),
        custom_fields: params.flag("include_custom_fields")?.then(Vec::new),
    };
    Ok(json(&body))
}
