use axum::extract::State;
use axum::response::Response;
use latch_store::query::fields::PRODUCT_CUSTOM_FIELD_FIELDS;
use latch_store::query::{find_field, ListQuery, Lookup, Value as QueryValue};
use latch_store::{Page, Product, Release};
use latch_wire::body::{CompanyRef, LatestVersionBody, ProductBody};
use latch_wire::time::iso_millis;
use serde_json::{json, Value};

use super::body::{latest_release, product_details as details, release_details};
use super::json;
use crate::auth::Tenant;
use crate::error::{ApiError, InternalError};
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
    let latest_version = if params.flag("include_latest_version")? {
        let releases = state.releases(&product).await?;
        Some(latest_release(&releases, params.optional_str("env")?, None).map(latest_version_body))
    } else {
        None
    };
    let shown = details(&product);
    Ok(json(&ProductBody {
        product_id: shown.product_id,
        product_name: shown.product_name,
        short_code: shown.short_code,
        allow_trial: shown.allow_trial,
        trial_days: shown.trial_days,
        authorization_method: shown.authorization_method,
        floating_timeout: shown.floating_timeout,
        allow_overages: shown.allow_overages,
        max_overages: shown.max_overages,
        prevent_vm: shown.prevent_vm,
        metadata: shown.metadata,
        company: CompanyRef {
            id: product.company_id.get(),
        },
        latest_version,
        custom_fields: if params.flag("include_custom_fields")? {
            Some(custom_fields(&state, &product).await?)
        } else {
            None
        },
    }))
}

/// The product's custom fields as `product_details` shows them: `{id, name, default_value}`.
async fn custom_fields(state: &AppState, product: &Product) -> Result<Vec<Value>, ApiError> {
    let of_product = find_field(PRODUCT_CUSTOM_FIELD_FIELDS, "product").ok_or(
        InternalError::invariant("product custom fields are listed by product"),
    )?;
    let query =
        ListQuery::default().with(of_product, Lookup::Exact, QueryValue::Int(product.id.get()));
    let all = Page {
        limit: u32::MAX,
        offset: 0,
    };
    let fields = state
        .store
        .list_product_custom_fields(product.company_id, &query, all)
        .await?;
    Ok(fields
        .items
        .into_iter()
        .map(|field| json!({"id": field.id, "name": field.name, "default_value": field.default_value}))
        .collect())
}

fn latest_version_body(release: &Release) -> LatestVersionBody {
    let filename = release
        .installation_file
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    LatestVersionBody {
        id: release.id.get(),
        version: release.version.clone(),
        full_link: release.installation_file.clone(),
        filename,
        details: release_details(release),
        created_at: iso_millis(release.created_at),
        updated_at: iso_millis(release.created_at),
        enabled: release.enabled,
        product_id: release.product_id.get(),
    }
}
