//! Custom fields: a product defines them with a default (`/api/v1/product-custom-fields/`), a license
//! may set its own value (`/api/v1/license-custom-fields/`). License API answers show the license's
//! value, else the default, from the very next check.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use latch_domain::{LicenseId, ProductId};
use latch_service::model::{LicenseCustomField, ProductCustomField};
use latch_service::query::fields::{LICENSE_CUSTOM_FIELD_FIELDS, PRODUCT_CUSTOM_FIELD_FIELDS};
use latch_service::query::Field;
use latch_service::CustomFieldUpdate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::{nullable, required};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_product_fields, create_product_field))
        .routes(routes!(
            product_field,
            update_product_field,
            delete_product_field
        ))
        .routes(routes!(list_license_fields, create_license_field))
        .routes(routes!(
            license_field,
            update_license_field,
            delete_license_field
        ))
}

pub struct ProductCustomFields;

impl ListSpec for ProductCustomFields {
    const FIELDS: &'static [Field] = PRODUCT_CUSTOM_FIELD_FIELDS;
}

pub struct LicenseCustomFields;

impl ListSpec for LicenseCustomFields {
    const FIELDS: &'static [Field] = LICENSE_CUSTOM_FIELD_FIELDS;
}

/// A custom field of a product, with the value its licenses show unless they set their own.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductCustomFieldOut {
    pub id: i64,
    /// Allowed values; Latch does not restrict them: always empty.
    pub product_custom_field_enums: Vec<String>,
    pub name: String,
    /// `number`, `text`, `date/time` or null.
    pub data_type: Option<String>,
    pub default_value: String,
    pub description: Option<String>,
    /// The product's id.
    pub product: i64,
}

impl From<ProductCustomField> for ProductCustomFieldOut {
    fn from(field: ProductCustomField) -> Self {
        Self {
            id: field.id,
            product_custom_field_enums: Vec::new(),
            name: field.name,
            data_type: field.data_type,
            default_value: field.default_value,
            description: field.description,
            product: field.product_id.get(),
        }
    }
}

/// A product custom field as written: creating one needs `product`, `name` and `default_value`; a
/// change names only what changes (`product` cannot change), null clears `data_type` or
/// `description`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProductCustomFieldIn {
    /// The product's id.
    pub product: Option<i64>,
    pub name: Option<String>,
    pub default_value: Option<String>,
    /// `number`, `text` or `date/time`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub data_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// A license's own value of a product custom field.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseCustomFieldOut {
    pub id: i64,
    pub value: String,
    /// The license's id.
    pub license: i64,
    /// The product custom field's id.
    pub product_custom_field: i64,
}

impl From<LicenseCustomField> for LicenseCustomFieldOut {
    fn from(field: LicenseCustomField) -> Self {
        Self {
            id: field.id,
            value: field.value,
            license: field.license_id.get(),
            product_custom_field: field.product_custom_field_id,
        }
    }
}

/// A license's value of one of its product's custom fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewLicenseCustomFieldIn {
    /// The license's id.
    pub license: i64,
    /// A custom field of the license's product.
    pub product_custom_field: i64,
    pub value: String,
}

/// A new value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LicenseCustomFieldChangesIn {
    pub value: String,
}

/// The custom fields of the company's products: filter by `product`, `name`.
#[utoipa::path(get, path = "/product-custom-fields/", tag = "custom fields",
    responses((status = 200, body = Paginated<ProductCustomFieldOut>), Reads))]
async fn list_product_fields(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<ProductCustomFields>,
) -> Result<JsonAnswer<Paginated<ProductCustomFieldOut>>, ManagementError> {
    let fields = access
        .tenant(&state)
        .await?
        .product_custom_fields(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(fields, ProductCustomFieldOut::from),
    ))
}

/// Defines a custom field on a product; answered with 200, as LicenseSpring does.
#[utoipa::path(post, path = "/product-custom-fields/", tag = "custom fields",
    request_body = ProductCustomFieldIn,
    responses((status = 200, body = ProductCustomFieldOut), Writes))]
async fn create_product_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<ProductCustomFieldIn>,
) -> Result<JsonAnswer<ProductCustomFieldOut>, ManagementError> {
    let product = required("product", body.product)?;
    let name = required("name", body.name)?;
    let default_value = required("default_value", body.default_value)?;
    let field = access
        .tenant(&state)
        .await?
        .create_product_custom_field(
            ProductId::new(product),
            name,
            default_value,
            body.data_type.flatten(),
            body.description.flatten(),
        )
        .await?;
    Ok(JsonAnswer(field.into()))
}

/// One product custom field.
#[utoipa::path(get, path = "/product-custom-fields/{id}/", tag = "custom fields",
    params(("id" = i64, Path, description = "The field's id")),
    responses((status = 200, body = ProductCustomFieldOut), Reads))]
async fn product_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<ProductCustomFieldOut>, ManagementError> {
    let field = access
        .tenant(&state)
        .await?
        .product_custom_field(id)
        .await?;
    Ok(JsonAnswer(field.into()))
}

/// Changes a product custom field; licenses without their own value show the new default.
#[utoipa::path(patch, path = "/product-custom-fields/{id}/", tag = "custom fields",
    request_body = ProductCustomFieldIn,
    params(("id" = i64, Path, description = "The field's id")),
    responses((status = 200, body = ProductCustomFieldOut), Writes))]
async fn update_product_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ProductCustomFieldIn>,
) -> Result<JsonAnswer<ProductCustomFieldOut>, ManagementError> {
    let update = CustomFieldUpdate {
        name: body.name,
        data_type: body.data_type,
        default_value: body.default_value,
        description: body.description,
    };
    let field = access
        .tenant(&state)
        .await?
        .update_product_custom_field(id, update)
        .await?;
    Ok(JsonAnswer(field.into()))
}

/// Deletes a product custom field and every license's value of it.
#[utoipa::path(delete, path = "/product-custom-fields/{id}/", tag = "custom fields",
    params(("id" = i64, Path, description = "The field's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_product_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_product_custom_field(id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The licenses' own custom field values: filter by `license`, `product_custom_field`.
#[utoipa::path(get, path = "/license-custom-fields/", tag = "custom fields",
    responses((status = 200, body = Paginated<LicenseCustomFieldOut>), Reads))]
async fn list_license_fields(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<LicenseCustomFields>,
) -> Result<JsonAnswer<Paginated<LicenseCustomFieldOut>>, ManagementError> {
    let fields = access
        .tenant(&state)
        .await?
        .license_custom_fields(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(fields, LicenseCustomFieldOut::from),
    ))
}

/// Sets a license's own value of one of its product's custom fields.
#[utoipa::path(post, path = "/license-custom-fields/", tag = "custom fields",
    request_body = NewLicenseCustomFieldIn,
    responses((status = 201, body = LicenseCustomFieldOut), Writes))]
async fn create_license_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewLicenseCustomFieldIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let field = access
        .tenant(&state)
        .await?
        .create_license_custom_field(
            LicenseId::new(body.license),
            body.product_custom_field,
            body.value,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(LicenseCustomFieldOut::from(field)),
    ))
}

/// One license custom field value.
#[utoipa::path(get, path = "/license-custom-fields/{id}/", tag = "custom fields",
    params(("id" = i64, Path, description = "The value's id")),
    responses((status = 200, body = LicenseCustomFieldOut), Reads))]
async fn license_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<LicenseCustomFieldOut>, ManagementError> {
    let field = access
        .tenant(&state)
        .await?
        .license_custom_field(id)
        .await?;
    Ok(JsonAnswer(field.into()))
}

/// Changes a license's value.
#[utoipa::path(patch, path = "/license-custom-fields/{id}/", tag = "custom fields",
    request_body = LicenseCustomFieldChangesIn,
    params(("id" = i64, Path, description = "The value's id")),
    responses((status = 200, body = LicenseCustomFieldOut), Writes))]
async fn update_license_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<LicenseCustomFieldChangesIn>,
) -> Result<JsonAnswer<LicenseCustomFieldOut>, ManagementError> {
    let field = access
        .tenant(&state)
        .await?
        .update_license_custom_field(id, body.value)
        .await?;
    Ok(JsonAnswer(field.into()))
}

/// Deletes a license's value: the license shows the product's default again.
#[utoipa::path(delete, path = "/license-custom-fields/{id}/", tag = "custom fields",
    params(("id" = i64, Path, description = "The value's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_license_field(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_license_custom_field(id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
