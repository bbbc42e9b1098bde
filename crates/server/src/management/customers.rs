//! Customers: `/api/v1/customers/`.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use latch_domain::{CustomerAccountId, CustomerId};
use latch_service::model::{CustomerChanges, CustomerRecord};
use latch_service::query::fields::CUSTOMER_FIELDS;
use latch_service::query::Field;
use latch_service::{AccountName, CustomerSpec};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::nullable;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(show_customer, update_customer, delete_customer))
}

pub struct Customers;

impl ListSpec for Customers {
    const FIELDS: &'static [Field] = CUSTOMER_FIELDS;
}

/// A customer, as LicenseSpring shows one. Latch has no labels: those fields are always empty.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: i64,
    /// Orders placed for the customer.
    pub total_orders: i64,
    /// Licenses the customer holds.
    pub total_licenses: i64,
    #[schema(value_type = Vec<Object>)]
    pub labels: Vec<serde_json::Value>,
    /// The id of the customer account it belongs to.
    pub customer_account: Option<i64>,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub phone: String,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub state: String,
    pub clabels_all: Option<String>,
    /// The vendor company's id.
    pub company: i64,
    /// The first license user who belongs to the customer.
    pub license_user: Option<i64>,
    pub clabels: Vec<i64>,
    pub cognito_user_pool_id: String,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
}

impl From<CustomerRecord> for CustomerOut {
    fn from(record: CustomerRecord) -> Self {
        let customer = record.customer;
        Self {
            id: customer.id.get(),
            total_orders: record.total_orders,
            total_licenses: record.total_licenses,
            labels: Vec::new(),
            customer_account: customer.account.as_ref().map(|account| account.id.get()),
            metadata: serde_json::from_str(&customer.metadata).unwrap_or_default(),
            email: customer.email,
            first_name: customer.first_name,
            last_name: customer.last_name,
            company_name: customer.company_name,
            phone: customer.phone,
            reference: customer.reference,
            address: customer.address,
            postcode: customer.postcode,
            city: customer.city,
            country: customer.country,
            state: customer.state,
            clabels_all: None,
            company: customer.company_id.get(),
            license_user: record.license_user.map(|id| id.get()),
            clabels: Vec::new(),
            cognito_user_pool_id: String::new(),
        }
    }
}

/// A customer's fields; each one given is set, the others are left as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CustomerFieldsIn {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub phone: Option<String>,
    pub reference: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub state: Option<String>,
    /// A JSON object.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// The id of the customer account it belongs to; null takes it out of its account.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub customer_account: Option<Option<i64>>,
}

impl CustomerFieldsIn {
    /// The account change given: `Some(None)` for null.
    fn account(&self) -> Option<Option<AccountName>> {
        self.customer_account
            .map(|id| id.map(|id| AccountName::Id(CustomerAccountId::new(id))))
    }
}

/// A JSON value given for an object field, as text for the service to check; null is "not given".
pub fn json_text(value: Option<serde_json::Value>) -> Option<String> {
    value
        .filter(|value| !value.is_null())
        .map(|value| value.to_string())
}

impl From<CustomerFieldsIn> for CustomerChanges {
    fn from(fields: CustomerFieldsIn) -> Self {
        Self {
            account: None,
            email: fields.email,
            first_name: fields.first_name,
            last_name: fields.last_name,
            company_name: fields.company_name,
            phone: fields.phone,
            reference: fields.reference,
            address: fields.address,
            city: fields.city,
            postcode: fields.postcode,
            state: fields.state,
            country: fields.country,
            metadata: json_text(fields.metadata),
        }
    }
}

/// A new customer: `email` is required.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCustomerIn {
    pub email: String,
    #[serde(flatten)]
    pub fields: CustomerFieldsIn,
}

/// The company's customers, newest first: filter by `email` (`__icontains`, `__startswith`),
/// `first_name`/`last_name`/`company_name`/`phone` `__icontains`, `reference` (`__icontains`,
/// `__startswith`), `account` (an account's id), `account__code`, `account__name`, `created_at`
/// ranges.
#[utoipa::path(get, path = "/customers/", tag = "customers",
    responses((status = 200, body = Paginated<CustomerOut>), Reads))]
async fn list_customers(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Customers>,
) -> Result<JsonAnswer<Paginated<CustomerOut>>, ManagementError> {
    let customers = access
        .tenant(&state)
        .await?
        .matching_customers(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(customers, CustomerOut::from)))
}

/// Creates a customer; the e-mail address must be new in the company. Answers 200, as
/// LicenseSpring does.
#[utoipa::path(post, path = "/customers/", tag = "customers", request_body = NewCustomerIn,
    responses((status = 200, body = CustomerOut), Writes))]
async fn create_customer(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewCustomerIn>,
) -> Result<JsonAnswer<CustomerOut>, ManagementError> {
    let fields = body.fields;
    let account = fields.account().flatten();
    let given = |value: Option<String>| value.unwrap_or_default();
    let spec = CustomerSpec {
        account,
        email: body.email,
        first_name: given(fields.first_name),
        last_name: given(fields.last_name),
        company_name: given(fields.company_name),
        phone: given(fields.phone),
        reference: given(fields.reference),
        address: given(fields.address),
        city: given(fields.city),
        postcode: given(fields.postcode),
        state: given(fields.state),
        country: given(fields.country),
        metadata: json_text(fields.metadata),
    };
    let created = access.tenant(&state).await?.create_customer(spec).await?;
    Ok(JsonAnswer(created.into()))
}

/// One customer with its order and license counts.
#[utoipa::path(get, path = "/customers/{id}/", tag = "customers",
    params(("id" = i64, Path, description = "The customer's id")),
    responses((status = 200, body = CustomerOut), Reads))]
async fn show_customer(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<CustomerOut>, ManagementError> {
    let customer = access
        .tenant(&state)
        .await?
        .customer(CustomerId::new(id))
        .await?;
    Ok(JsonAnswer(customer.into()))
}

/// Changes the fields given.
#[utoipa::path(patch, path = "/customers/{id}/", tag = "customers", request_body = CustomerFieldsIn,
    params(("id" = i64, Path, description = "The customer's id")),
    responses((status = 200, body = CustomerOut), Writes))]
async fn update_customer(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<CustomerFieldsIn>,
) -> Result<JsonAnswer<CustomerOut>, ManagementError> {
    let account = body.account();
    let customer = access
        .tenant(&state)
        .await?
        .update_customer(CustomerId::new(id), body.into(), account)
        .await?;
    Ok(JsonAnswer(customer.into()))
}

/// Deletes a customer that no license or order names (400 otherwise); its license users stay,
/// without a customer.
#[utoipa::path(delete, path = "/customers/{id}/", tag = "customers",
    params(("id" = i64, Path, description = "The customer's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_customer(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_customer(CustomerId::new(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
