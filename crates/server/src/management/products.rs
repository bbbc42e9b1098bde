//! Products and their features: `/api/v1/products/`, `/api/v1/product-features/`. LicenseSpring's
//! products are read-only over its API; creating and changing them here is Latch's own addition, the
//! same operation as `latch product create`.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_domain::{ProductFeatureId, ProductId};
use latch_service::model::{ProductFeatureRecord, ProductRecord};
use latch_service::query::fields::{PRODUCT_FEATURE_FIELDS, PRODUCT_FIELDS};
use latch_service::query::Field;
use latch_service::{
    is_user_based, FeatureUpdate, ProductRef, ProductSpec, ProductUpdate, ServiceError,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::custom_fields::ProductCustomFieldOut;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::{nullable, required};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(product, update_product))
        .routes(routes!(bundle))
        .routes(routes!(in_bundle))
        .routes(routes!(list_features, create_feature))
        .routes(routes!(feature, update_feature, delete_feature))
}

pub struct Products;

impl ListSpec for Products {
    const FIELDS: &'static [Field] = PRODUCT_FIELDS;
}

pub struct ProductFeatures;

impl ListSpec for ProductFeatures {
    const FIELDS: &'static [Field] = PRODUCT_FEATURE_FIELDS;
}

/// Metadata as stored (a JSON object's text) shown as the object.
fn metadata_object(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}

/// A product: what the SDKs name with `product` (its `short_code`) and the defaults of its licenses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    pub id: i64,
    pub product_name: String,
    pub short_code: String,
    /// `license-key` or `user`.
    pub authorization_method: &'static str,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    /// Minutes.
    pub floating_timeout: i64,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub is_archived: bool,
    /// Groups other products (listed at `/products/{id}/bundle/`).
    pub is_bundle: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The company's id.
    pub company: i64,
    pub product_features: Vec<ProductFeatureOut>,
    pub custom_fields: Vec<ProductCustomFieldOut>,
}

impl From<ProductRecord> for ProductOut {
    fn from(record: ProductRecord) -> Self {
        let product = record.product;
        Self {
            product_features: record.features.into_iter().map(Into::into).collect(),
            custom_fields: record.custom_fields.into_iter().map(Into::into).collect(),
            id: product.id.get(),
            metadata: metadata_object(&product.metadata),
            product_name: product.name,
            short_code: product.code,
            authorization_method: product.authorization_method.as_str(),
            prevent_vm: product.prevent_vm,
            allow_trial: product.allow_trial,
            trial_days: product.trial_days,
            floating_timeout: product.floating_timeout,
            is_archived: record.is_archived,
            is_bundle: record.is_bundle,
            created_at: record.created_at,
            updated_at: record.updated_at,
            company: product.company_id.get(),
        }
    }
}

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProductIn {
    pub product_name: String,
    /// The code the SDKs send as `product`; unique in the company.
    pub short_code: String,
    /// `license-key` (the default) or `user`.
    pub authorization_method: Option<String>,
    #[serde(default)]
    pub prevent_vm: bool,
    #[serde(default)]
    pub allow_trial: bool,
    #[serde(default)]
    pub trial_days: i64,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// With `includes`: the product is a bundle of those products.
    #[serde(default)]
    pub is_bundle: bool,
    /// The products a bundle includes, by id or short code (key-based products, not bundles).
    pub includes: Option<Vec<ProductRefIn>>,
}

/// A product named by its id or its short code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProductRefIn {
    Id(i64),
    Code(String),
}

impl From<ProductRefIn> for ProductRef {
    fn from(reference: ProductRefIn) -> Self {
        match reference {
            ProductRefIn::Id(id) => ProductRef::Id(ProductId::new(id)),
            ProductRefIn::Code(code) => ProductRef::Code(code),
        }
    }
}

/// The included products a bundle's body names; `is_bundle` and `includes` come together.
fn bundle_includes(
    is_bundle: bool,
    includes: Option<Vec<ProductRefIn>>,
) -> Result<Vec<ProductRef>, ServiceError> {
    match (is_bundle, includes) {
        (true, None) => Err(ServiceError::invalid(
            "includes",
            "A bundle needs the products it includes.",
        )),
        (false, Some(includes)) if !includes.is_empty() => Err(ServiceError::invalid(
            "is_bundle",
            "Only a bundle includes products.",
        )),
        (_, includes) => Ok(includes
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect()),
    }
}

/// Changes to a product; absent fields keep their value. The short code cannot change: clients
/// name the product by it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductChangesIn {
    pub product_name: Option<String>,
    pub authorization_method: Option<String>,
    pub prevent_vm: Option<bool>,
    pub allow_trial: Option<bool>,
    pub trial_days: Option<i64>,
    pub floating_timeout: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    pub is_archived: Option<bool>,
    /// False: no longer a bundle; true with `includes`: a bundle of those products (replacing what
    /// it included). Licenses issued before keep the licenses they came with.
    pub is_bundle: Option<bool>,
    /// The products a bundle includes, by id or short code.
    pub includes: Option<Vec<ProductRefIn>>,
}

/// A product feature with the limits a license's copy of it starts from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductFeatureOut {
    pub id: i64,
    /// The product's id.
    pub product: i64,
    pub name: String,
    pub code: String,
    /// `activation` or `consumption`.
    pub feature_type: &'static str,
    pub max_consumption: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    /// `daily`, `weekly`, `monthly`, `annually` or null.
    pub consumption_period: Option<&'static str>,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    /// Minutes.
    pub floating_timeout: i64,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// Deleted features are gone: always false.
    pub is_deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProductFeatureRecord> for ProductFeatureOut {
    fn from(record: ProductFeatureRecord) -> Self {
        let feature = record.feature;
        let defaults = record.defaults;
        Self {
            id: feature.id.get(),
            product: feature.product_id.get(),
            metadata: metadata_object(&feature.metadata),
            name: feature.name,
            code: feature.code,
            feature_type: feature.feature_type.as_str(),
            max_consumption: defaults.max_consumption,
            allow_unlimited_consumptions: defaults.allow_unlimited_consumptions,
            allow_overages: defaults.allow_overages,
            max_overages: defaults.max_overages,
            reset_consumption: defaults.reset_consumption,
            consumption_period: defaults.consumption_period.map(|p| p.as_str()),
            is_floating: defaults.is_floating,
            is_floating_cloud: defaults.is_floating_cloud,
            floating_users: defaults.floating_users,
            floating_timeout: defaults.floating_timeout,
            is_deleted: false,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A product feature as written: creating one needs `product`, `name`, `code` and `feature_type`;
/// a change names only what changes (`product` cannot change).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FeatureIn {
    /// The product's id.
    pub product: Option<i64>,
    pub name: Option<String>,
    /// Unique in the product; the SDKs name the feature by it.
    pub code: Option<String>,
    /// `activation` or `consumption`.
    pub feature_type: Option<String>,
    pub max_consumption: Option<i64>,
    pub allow_unlimited_consumptions: Option<bool>,
    pub allow_overages: Option<bool>,
    pub max_overages: Option<i64>,
    pub reset_consumption: Option<bool>,
    /// `daily`, `weekly`, `monthly`, `annually`; null (or `"null"`) for none.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub consumption_period: Option<Option<String>>,
    pub is_floating: Option<bool>,
    pub is_floating_cloud: Option<bool>,
    pub floating_users: Option<i64>,
    pub floating_timeout: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl From<FeatureIn> for FeatureUpdate {
    fn from(body: FeatureIn) -> Self {
        FeatureUpdate {
            code: body.code,
            name: body.name,
            feature_type: body.feature_type,
            metadata: body.metadata.map(|value| value.to_string()),
            max_consumption: body.max_consumption,
            allow_unlimited_consumptions: body.allow_unlimited_consumptions,
            allow_overages: body.allow_overages,
            max_overages: body.max_overages,
            reset_consumption: body.reset_consumption,
            consumption_period: body.consumption_period,
            is_floating: body.is_floating,
            is_floating_cloud: body.is_floating_cloud,
            floating_users: body.floating_users,
            floating_timeout: body.floating_timeout,
        }
    }
}

/// The company's products, newest first: filter by `short_code`, `is_archived`, `is_bundle`,
/// `product_name__icontains`.
#[utoipa::path(get, path = "/products/", tag = "products",
    responses((status = 200, body = Paginated<ProductOut>), Reads))]
async fn list_products(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Products>,
) -> Result<JsonAnswer<Paginated<ProductOut>>, ManagementError> {
    let products = access
        .tenant(&state)
        .await?
        .products_matching(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(products, ProductOut::from)))
}

/// Creates a product (Latch's addition to LicenseSpring's API).
#[utoipa::path(post, path = "/products/", tag = "products", request_body = NewProductIn,
    responses((status = 201, body = ProductOut), Writes))]
async fn create_product(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewProductIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let user_based = match body.authorization_method.as_deref() {
        Some(method) => is_user_based(method)?,
        None => false,
    };
    let includes = bundle_includes(body.is_bundle, body.includes)?;
    let spec = ProductSpec {
        code: body.short_code,
        name: body.product_name,
        user_based,
        prevent_vm: body.prevent_vm,
        allow_trial: body.allow_trial,
        trial_days: body.trial_days,
        metadata: body.metadata.map(|value| value.to_string()),
    };
    let tenant = access.tenant(&state).await?;
    let product = if body.is_bundle {
        tenant.create_bundle_product(spec, &includes).await?
    } else {
        tenant.create_product_record(spec).await?
    };
    Ok((StatusCode::CREATED, JsonAnswer(ProductOut::from(product))))
}

/// One product.
#[utoipa::path(get, path = "/products/{id}/", tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 200, body = ProductOut), Reads))]
async fn product(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<ProductOut>, ManagementError> {
    let product = access
        .tenant(&state)
        .await?
        .product_record(ProductId::new(id))
        .await?;
    Ok(JsonAnswer(product.into()))
}

/// Changes a product (Latch's addition); checks of its licenses show the change at once.
#[utoipa::path(patch, path = "/products/{id}/", tag = "products", request_body = ProductChangesIn,
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 200, body = ProductOut), Writes))]
async fn update_product(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ProductChangesIn>,
) -> Result<JsonAnswer<ProductOut>, ManagementError> {
    let bundle = match (body.is_bundle, body.includes) {
        (None, None) => None,
        (is_bundle, includes) => Some(bundle_includes(
            is_bundle.unwrap_or(includes.is_some()),
            includes,
        )?),
    };
    let update = ProductUpdate {
        name: body.product_name,
        authorization_method: body.authorization_method,
        prevent_vm: body.prevent_vm,
        allow_trial: body.allow_trial,
        trial_days: body.trial_days,
        floating_timeout: body.floating_timeout,
        metadata: body.metadata.map(|value| value.to_string()),
        is_archived: body.is_archived,
    };
    let tenant = access.tenant(&state).await?;
    let mut product = tenant.update_product(ProductId::new(id), update).await?;
    if let Some(includes) = bundle {
        product = tenant.set_bundle(ProductId::new(id), &includes).await?;
    }
    Ok(JsonAnswer(product.into()))
}

/// The products a bundle includes (an empty list for a product that is not a bundle).
#[utoipa::path(get, path = "/products/{id}/bundle/", tag = "products",
    params(("id" = i64, Path, description = "The bundle's product id")),
    responses((status = 200, body = Vec<ProductOut>), Reads))]
async fn bundle(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Vec<ProductOut>>, ManagementError> {
    let products = access
        .tenant(&state)
        .await?
        .bundle_products(ProductId::new(id))
        .await?;
    Ok(JsonAnswer(products.into_iter().map(Into::into).collect()))
}

/// The bundles that include a product.
#[utoipa::path(get, path = "/products/{id}/in_bundle/", tag = "products",
    params(("id" = i64, Path, description = "The product's id")),
    responses((status = 200, body = Vec<ProductOut>), Reads))]
async fn in_bundle(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Vec<ProductOut>>, ManagementError> {
    let products = access
        .tenant(&state)
        .await?
        .bundles_including(ProductId::new(id))
        .await?;
    Ok(JsonAnswer(products.into_iter().map(Into::into).collect()))
}

/// The features of the company's products: filter by `product`, `code`, `feature_type`.
#[utoipa::path(get, path = "/product-features/", tag = "products",
    responses((status = 200, body = Paginated<ProductFeatureOut>), Reads))]
async fn list_features(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<ProductFeatures>,
) -> Result<JsonAnswer<Paginated<ProductFeatureOut>>, ManagementError> {
    let features = access
        .tenant(&state)
        .await?
        .product_features_matching(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(features, ProductFeatureOut::from),
    ))
}

/// Adds a feature to a product; answered with 200, as LicenseSpring does.
#[utoipa::path(post, path = "/product-features/", tag = "products", request_body = FeatureIn,
    responses((status = 200, body = ProductFeatureOut), Writes))]
async fn create_feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(mut body): JsonBody<FeatureIn>,
) -> Result<JsonAnswer<ProductFeatureOut>, ManagementError> {
    let product = required("product", body.product)?;
    let name = required("name", body.name.take())?;
    let code = required("code", body.code.take())?;
    let kind = required("feature_type", body.feature_type.take())?;
    let feature = access
        .tenant(&state)
        .await?
        .create_product_feature(ProductId::new(product), code, name, &kind, body.into())
        .await?;
    Ok(JsonAnswer(feature.into()))
}

/// One product feature.
#[utoipa::path(get, path = "/product-features/{id}/", tag = "products",
    params(("id" = i64, Path, description = "The feature's id")),
    responses((status = 200, body = ProductFeatureOut), Reads))]
async fn feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<ProductFeatureOut>, ManagementError> {
    let feature = access
        .tenant(&state)
        .await?
        .product_feature(ProductFeatureId::new(id))
        .await?;
    Ok(JsonAnswer(feature.into()))
}

/// Changes a product feature's name, code or default limits; licenses keep their own limits.
#[utoipa::path(patch, path = "/product-features/{id}/", tag = "products",
    request_body = FeatureIn,
    params(("id" = i64, Path, description = "The feature's id")),
    responses((status = 200, body = ProductFeatureOut), Writes))]
async fn update_feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<FeatureIn>,
) -> Result<JsonAnswer<ProductFeatureOut>, ManagementError> {
    let feature = access
        .tenant(&state)
        .await?
        .update_product_feature(ProductFeatureId::new(id), body.into())
        .await?;
    Ok(JsonAnswer(feature.into()))
}

/// Deletes a product feature that no license holds (400 while one does).
#[utoipa::path(delete, path = "/product-features/{id}/", tag = "products",
    params(("id" = i64, Path, description = "The feature's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_product_feature(ProductFeatureId::new(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
