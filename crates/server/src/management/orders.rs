//! Orders: `/api/v1/orders/`, `create_order` and `generate_license`.
//!
//! `create_order` answers `{"order_id", "id", "store_id", "new_passwords", "licenses"}`: GO's
//! `order_id` and `new_passwords`, and the licenses with their keys, which LicenseSpring's
//! documentation says the answer carries. 201 when the request created licenses, 200 when the
//! store id was known and nothing was added.

use axum::extract::State;

use super::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_domain::CustomerId;
use latch_service::model::{OrderChanges, OrderRecord};
use latch_service::query::fields::ORDER_FIELDS;
use latch_service::query::Field;
use latch_service::{
    ConsumptionTerms, FloatingTerms, KeyRequest, LicenseTerms, OrderDetails, OrderItemSpec,
    OrderLicenseSpec, OrderSpec, OrderUserSpec,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::customers::{json_text, CustomerFieldsIn, CustomerOut};
use super::error::{FieldErrors, ManagementError};
use super::json::{JsonAnswer, JsonBody};
use super::license_object::{license_object, LicenseOut};
use super::listing::{parse_moment, ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders))
        .routes(routes!(show_order, update_order))
        .routes(routes!(create_order))
        .routes(routes!(generate_license))
}

pub struct Orders;

impl ListSpec for Orders {
    const FIELDS: &'static [Field] = ORDER_FIELDS;
}

/// The licenses of one product in an order. Latch keeps no order items: there is one per product,
/// with the id of its first license.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItemOut {
    pub id: i64,
    pub product_id: i64,
    pub licenses: Vec<LicenseOut>,
}

/// An order, with its customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    pub id: i64,
    pub customer: Option<CustomerOut>,
    pub customer_account: Option<i64>,
    /// Some license of the order is enabled.
    pub has_active_licenses: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The store's own order id.
    pub store_id: String,
    /// Always `normal`.
    #[serde(rename = "type")]
    pub order_type: String,
    pub customer_email: Option<String>,
    pub is_test: bool,
    pub customer_reference: Option<String>,
    pub is_trial: bool,
    pub download_id: String,
    pub language: String,
    pub campaign_params: String,
    pub reference: String,
    pub customer_first_name: Option<String>,
    pub customer_last_name: Option<String>,
    pub customer_company: Option<String>,
    pub customer_phone: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// The vendor company's id.
    pub company: i64,
    /// The licenses by product; shown on one order, not in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_items: Option<Vec<OrderItemOut>>,
}

impl From<OrderRecord> for OrderOut {
    fn from(record: OrderRecord) -> Self {
        let order = record.order;
        let customer = record.customer.as_ref().map(|c| &c.customer);
        let of_customer = |field: fn(&latch_service::model::Customer) -> &String| {
            customer.map(|customer| field(customer).clone())
        };
        Self {
            id: order.id,
            customer_email: of_customer(|c| &c.email),
            customer_reference: of_customer(|c| &c.reference),
            customer_first_name: of_customer(|c| &c.first_name),
            customer_last_name: of_customer(|c| &c.last_name),
            customer_company: of_customer(|c| &c.company_name),
            customer_phone: of_customer(|c| &c.phone),
            customer: record.customer.map(Into::into),
            customer_account: None,
            has_active_licenses: record.has_active_licenses,
            created_at: order.created_at,
            updated_at: order.updated_at,
            store_id: order.store_id,
            order_type: order.order_type,
            is_test: order.is_test,
            is_trial: order.is_trial,
            download_id: order.download_id,
            language: order.language,
            campaign_params: order.campaign_params,
            reference: order.reference,
            metadata: serde_json::from_str(&order.metadata).unwrap_or_default(),
            company: order.company_id.get(),
            order_items: None,
        }
    }
}

impl From<OrderDetails> for OrderOut {
    fn from(details: OrderDetails) -> Self {
        let mut items: Vec<OrderItemOut> = Vec::new();
        for record in &details.licenses {
            let product_id = record.product.id.get();
            let shown = license_object(record);
            match items.iter_mut().find(|item| item.product_id == product_id) {
                Some(item) => item.licenses.push(shown),
                None => items.push(OrderItemOut {
                    id: shown.id,
                    product_id,
                    licenses: vec![shown],
                }),
            }
        }
        Self {
            order_items: Some(items),
            ..details.record.into()
        }
    }
}

/// The customer of a new order, found by `email` (required) and updated with the other fields, or
/// created. Latch has no order managers: `is_manager` is ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderCustomerIn {
    #[serde(flatten)]
    pub fields: CustomerFieldsIn,
}

/// A license user of a new license, by e-mail: found, or created with a generated password.
/// Latch has no order managers: `is_manager` is ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderUserIn {
    pub email: String,
    /// The user's activations on this license; the license's `max_activations` when absent.
    pub max_activations: Option<i64>,
}

/// A product feature granted to a new license.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderFeatureIn {
    pub code: String,
    pub max_consumption: Option<i64>,
}

/// A product custom field's value on a new license.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderCustomFieldIn {
    /// The product custom field's name.
    pub name: String,
    /// Text or a number.
    #[schema(value_type = String)]
    pub value: serde_json::Value,
}

/// One license of a new order: key-based (`key`, generated when absent) or user-based (`users`),
/// with any terms that differ from the defaults.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderLicenseIn {
    pub key: Option<String>,
    #[serde(default)]
    pub users: Vec<OrderUserIn>,
    /// `perpetual`, `time-limited`, `subscription` or `consumption`; when absent, time-limited if
    /// the license ends, else perpetual.
    pub license_type: Option<String>,
    pub enabled: Option<bool>,
    pub active: Option<bool>,
    pub is_trial: Option<bool>,
    pub trial_days: Option<i64>,
    /// `30d`, `6m`, `1y`.
    pub valid_duration: Option<String>,
    /// The end of validity.
    pub validity_period: Option<String>,
    pub start_date: Option<String>,
    pub enable_maintenance_period: Option<bool>,
    pub maintenance_duration: Option<String>,
    pub max_activations: Option<i64>,
    pub allow_unlimited_activations: Option<bool>,
    pub max_transfers: Option<i64>,
    pub max_license_users: Option<i64>,
    pub prevent_vm: Option<bool>,
    pub allow_grace_period: Option<bool>,
    /// Hours.
    pub grace_period: Option<i64>,
    pub is_floating: Option<bool>,
    pub is_floating_cloud: Option<bool>,
    pub floating_users: Option<i64>,
    /// Minutes.
    pub floating_timeout: Option<i64>,
    pub can_borrow: Option<bool>,
    /// Hours.
    pub max_borrow_time: Option<i64>,
    pub max_consumptions: Option<i64>,
    pub allow_unlimited_consumptions: Option<bool>,
    pub allow_negative_consumptions: Option<bool>,
    pub allow_overages: Option<bool>,
    pub max_overages: Option<i64>,
    pub reset_consumption: Option<bool>,
    /// `daily`, `weekly`, `monthly` or `annually`.
    pub consumption_period: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    pub note: Option<String>,
    #[serde(default)]
    pub product_features: Vec<OrderFeatureIn>,
    #[serde(default)]
    pub custom_fields: Vec<OrderCustomFieldIn>,
}

/// The licenses of one product in a new order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderItemIn {
    pub product_code: String,
    pub licenses: Vec<OrderLicenseIn>,
    /// The note of each license that has none of its own.
    pub note: Option<String>,
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrderIn {
    /// The store's own order id: the same id again answers that order, unchanged.
    pub id: String,
    /// With a known `id`: add these licenses to that order.
    #[serde(default)]
    pub append: bool,
    pub is_test: Option<bool>,
    /// When the store placed the order (`2017-03-15 22:13:01` or ISO-8601).
    pub created: Option<String>,
    pub order_type: Option<String>,
    pub language: Option<String>,
    pub campaign_params: Option<String>,
    pub download_id: Option<String>,
    pub reference: Option<String>,
    /// Serialized JSON: a JSON object written as a string.
    pub metadata: Option<String>,
    /// The default of every license's `prevent_vm`.
    pub prevent_vm: Option<bool>,
    pub customer: Option<OrderCustomerIn>,
    pub items: Vec<OrderItemIn>,
}

/// A new license user's password, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewPasswordOut {
    pub email: String,
    pub new_password: String,
}

/// What `create_order` made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOrderOut {
    pub order_id: i64,
    /// The same as `order_id`.
    pub id: i64,
    pub store_id: String,
    /// Passwords of the license users this request created.
    pub new_passwords: Vec<NewPasswordOut>,
    /// The licenses this request created; the order's licenses when it created none.
    pub licenses: Vec<CreatedLicenseOut>,
}

/// A license `create_order` made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedLicenseOut {
    pub id: i64,
    pub license_key: Option<String>,
    pub product_code: String,
    pub license_type: String,
}

/// Collects the failures of parsing many moments, each under its own field.
#[derive(Default)]
struct Moments(FieldErrors);

impl Moments {
    fn parse(&mut self, field: String, text: Option<&str>) -> Option<DateTime<Utc>> {
        let text = text?;
        let moment = parse_moment(text);
        if moment.is_none() {
            self.0
                .entry(field)
                .or_default()
                .push("Enter a valid date/time.".into());
        }
        moment
    }

    fn finish(self) -> Result<(), ManagementError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ManagementError::Invalid(self.0))
        }
    }
}

impl OrderLicenseIn {
    fn into_spec(
        self,
        path: &str,
        defaults: &LicenseDefaults,
        moments: &mut Moments,
    ) -> OrderLicenseSpec {
        let floating = self.is_floating.unwrap_or(false) || self.is_floating_cloud.unwrap_or(false);
        let terms = LicenseTerms {
            key: self.key,
            start_date: moments.parse(format!("{path}.start_date"), self.start_date.as_deref()),
            grace_period: match (self.allow_grace_period, self.grace_period) {
                (Some(false), _) => None,
                (_, Some(hours)) => Some(hours),
                (Some(true), None) => Some(0),
                (None, None) => None,
            },
            max_activations: self.max_activations.unwrap_or(1),
            unlimited_activations: self.allow_unlimited_activations.unwrap_or(false),
            max_transfers: self.max_transfers.unwrap_or(0),
            enabled: self.enabled.or(self.active).unwrap_or(true),
            prevent_vm: self.prevent_vm.unwrap_or(defaults.prevent_vm),
            trial: self.is_trial.unwrap_or(false),
            max_license_users: self.max_license_users.unwrap_or(0),
            metadata: json_text(self.metadata),
            consumption: ConsumptionTerms {
                max_consumptions: self.max_consumptions.unwrap_or(0),
                unlimited_consumptions: self.allow_unlimited_consumptions.unwrap_or(false),
                allow_negative_consumptions: self.allow_negative_consumptions.unwrap_or(false),
                max_overages: self.max_overages.unwrap_or(0),
                consumption_period: None,
            },
            floating: FloatingTerms {
                max_borrow_time: self.max_borrow_time.unwrap_or(0),
                ..FloatingTerms::default()
            },
            ..LicenseTerms::default()
        };
        OrderLicenseSpec {
            terms,
            license_type: self.license_type,
            validity_period: moments.parse(
                format!("{path}.validity_period"),
                self.validity_period.as_deref(),
            ),
            valid_duration: self.valid_duration,
            trial_days: self.trial_days,
            maintenance_duration: self
                .maintenance_duration
                .filter(|_| self.enable_maintenance_period != Some(false)),
            consumption_period: self.consumption_period,
            reset_consumption: self.reset_consumption,
            allow_overages: self.allow_overages,
            is_floating: floating,
            floating_users: self.floating_users,
            floating_timeout: self.floating_timeout,
            can_borrow: self.can_borrow,
            note: self
                .note
                .or_else(|| defaults.note.clone())
                .unwrap_or_default(),
            users: self
                .users
                .into_iter()
                .map(|user| OrderUserSpec {
                    email: user.email,
                    max_activations: user.max_activations,
                })
                .collect(),
            features: self
                .product_features
                .into_iter()
                .map(|feature| (feature.code, feature.max_consumption))
                .collect(),
            custom_fields: self
                .custom_fields
                .into_iter()
                .map(|field| {
                    let value = match field.value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (field.name, value)
                })
                .collect(),
        }
    }
}

/// What an order's licenses take from the order and the item when they say nothing themselves.
struct LicenseDefaults {
    prevent_vm: bool,
    note: Option<String>,
}

impl CreateOrderIn {
    fn into_spec(self) -> Result<OrderSpec, ManagementError> {
        let mut moments = Moments::default();
        let created = moments.parse("created".into(), self.created.as_deref());
        let prevent_vm = self.prevent_vm.unwrap_or(false);
        let items = self
            .items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let defaults = LicenseDefaults {
                    prevent_vm,
                    note: item.note,
                };
                OrderItemSpec {
                    product_code: item.product_code,
                    licenses: item
                        .licenses
                        .into_iter()
                        .enumerate()
                        .map(|(j, license)| {
                            license.into_spec(
                                &format!("items[{i}].licenses[{j}]"),
                                &defaults,
                                &mut moments,
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        moments.finish()?;
        Ok(OrderSpec {
            store_id: self.id,
            append: self.append,
            is_test: self.is_test.unwrap_or(false),
            created,
            order_type: self.order_type,
            language: self.language.unwrap_or_default(),
            campaign_params: self.campaign_params.unwrap_or_default(),
            download_id: self.download_id.unwrap_or_default(),
            reference: self.reference.unwrap_or_default(),
            metadata: self.metadata,
            customer: self.customer.map(|customer| customer.fields.into()),
            items,
        })
    }
}

/// An order's fields to change; each one given is set.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrderChangesIn {
    pub store_id: Option<String>,
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    pub is_test: Option<bool>,
    pub is_trial: Option<bool>,
    pub download_id: Option<String>,
    pub language: Option<String>,
    pub campaign_params: Option<String>,
    pub reference: Option<String>,
    /// The customer's id; null takes the customer off the order.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<i64>)]
    pub customer: Option<Option<i64>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

/// A field that may be null: present (`Some`) even when null, absent (`None`) when left out.
fn given<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

/// `generate_license`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The product's short code.
    pub product: Option<String>,
    /// How many keys, 1 to 1000; 1 by default.
    pub quantity: Option<String>,
    /// Characters per key, 16 to 240; 16 by default.
    pub key_length: Option<String>,
    /// The characters keys are made of; `23456789ABCDEFGHJKLMNPQRSTUVWXYZ` by default.
    pub alphabet: Option<String>,
}

/// The company's orders, newest first: filter by `store_id` (`__startswith`, `__icontains`),
/// `customer__email` (`__startswith`, `__icontains`), `customer_id`, `customer_email`,
/// `customer_company_name__icontains`, `customer_reference__icontains`,
/// `customer_name__icontains`, `is_test`, `created_at` ranges.
#[utoipa::path(get, path = "/orders/", tag = "orders",
    responses((status = 200, body = Paginated<OrderOut>), Reads))]
async fn list_orders(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Orders>,
) -> Result<JsonAnswer<Paginated<OrderOut>>, ManagementError> {
    let orders = access
        .tenant(&state)
        .await?
        .orders(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(orders, OrderOut::from)))
}

/// One order with its customer and its licenses by product (`order_items`).
#[utoipa::path(get, path = "/orders/{id}/", tag = "orders",
    params(("id" = i64, Path, description = "The order's id")),
    responses((status = 200, body = OrderOut), Reads))]
async fn show_order(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<OrderOut>, ManagementError> {
    let order = access.tenant(&state).await?.order(id).await?;
    Ok(JsonAnswer(order.into()))
}

/// Changes the fields given.
#[utoipa::path(patch, path = "/orders/{id}/", tag = "orders", request_body = OrderChangesIn,
    params(("id" = i64, Path, description = "The order's id")),
    responses((status = 200, body = OrderOut), Writes))]
async fn update_order(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<OrderChangesIn>,
) -> Result<JsonAnswer<OrderOut>, ManagementError> {
    let changes = OrderChanges {
        store_id: body.store_id,
        order_type: body.order_type,
        is_test: body.is_test,
        is_trial: body.is_trial,
        download_id: body.download_id,
        language: body.language,
        campaign_params: body.campaign_params,
        reference: body.reference,
        metadata: json_text(body.metadata),
        customer_id: body.customer.map(|id| id.map(CustomerId::new)),
    };
    let order = access
        .tenant(&state)
        .await?
        .update_order(id, changes)
        .await?;
    Ok(JsonAnswer(order.into()))
}

/// Places an order with its customer and licenses, in one transaction: any refused part refuses
/// the whole order (400, naming the field, e.g. `items[0].product_code`). The same `id` again
/// answers the order unchanged (200); with `append` it adds the licenses.
#[utoipa::path(post, path = "/orders/create_order/", tag = "orders", request_body = CreateOrderIn,
    responses(
        (status = 201, body = CreatedOrderOut, description = "Licenses were created"),
        (status = 200, body = CreatedOrderOut, description = "A known order id: nothing changed"),
        Writes))]
async fn create_order(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<CreateOrderIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let spec = body.into_spec()?;
    let created = access.tenant(&state).await?.create_order(spec).await?;
    let status = if created.created_anything {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        JsonAnswer(CreatedOrderOut {
            order_id: created.order.id,
            id: created.order.id,
            store_id: created.order.store_id,
            new_passwords: created
                .new_passwords
                .into_iter()
                .map(|(email, password)| NewPasswordOut {
                    email,
                    new_password: password.expose_secret().to_owned(),
                })
                .collect(),
            licenses: created
                .licenses
                .into_iter()
                .map(|(license, product)| CreatedLicenseOut {
                    id: license.id.get(),
                    license_key: license.license_key,
                    product_code: product.code,
                    license_type: license.license_type.as_str().to_owned(),
                })
                .collect(),
        }),
    ))
}

/// A whole-number query parameter, or its default when absent.
fn number(errors: &mut FieldErrors, name: &str, text: Option<String>, default: i64) -> i64 {
    match text.map(|text| text.parse::<i64>()) {
        None => default,
        Some(Ok(value)) => value,
        Some(Err(_)) => {
            errors
                .entry(name.to_owned())
                .or_default()
                .push("A valid integer is required.".into());
            default
        }
    }
}

/// New random license keys for a product, for a store that shows keys before it places the order.
/// Keys are not reserved.
#[utoipa::path(get, path = "/orders/generate_license/", tag = "orders", params(KeyQuery),
    responses((status = 200, body = Vec<String>), Reads))]
async fn generate_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Query(query): Query<KeyQuery>,
) -> Result<JsonAnswer<Vec<String>>, ManagementError> {
    let mut errors = FieldErrors::new();
    let quantity = number(&mut errors, "quantity", query.quantity, 1);
    let key_length = number(&mut errors, "key_length", query.key_length, 16);
    let product_code = query.product.unwrap_or_default();
    if product_code.is_empty() {
        errors
            .entry("product".into())
            .or_default()
            .push("This field is required.".into());
    }
    if !errors.is_empty() {
        return Err(ManagementError::Invalid(errors));
    }
    let request = KeyRequest {
        product_code,
        quantity,
        key_length,
        alphabet: query
            .alphabet
            .unwrap_or_else(|| "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".to_owned()),
    };
    let keys = access
        .tenant(&state)
        .await?
        .generate_license_keys(&request)
        .await?;
    Ok(JsonAnswer(keys))
}
