//! Licenses: `/api/v1/licenses/` (list, show, change, bulk changes, state actions, features, users,
//! floating seats) and `/api/v1/license-product-features/`.

use std::collections::BTreeMap;

use axum::extract::State;

use super::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_domain::{DeviceId, LicenseFeatureId, LicenseId, LicenseUserId, ProductFeatureId};
use latch_service::model::{SeatHolder, UserActivationsChange};
use latch_service::query::fields::LICENSE_FIELDS;
use latch_service::query::Field;
use latch_service::{FeaturePatch, LicensePatch, LicenseReset, Tenant, UserPlacement};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::{FieldErrors, ManagementError};
use super::json::{JsonAnswer, JsonBody};
use super::keys::Message;
use super::license_object::{license_object, FeatureLimitsOut, LicenseFeatureOut, LicenseOut};
use super::listing::{parse_moment, ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_licenses))
        .routes(routes!(show_license, patch_license, delete_license))
        .routes(routes!(bulk_update))
        .routes(routes!(disable_bulk))
        .routes(routes!(custom_bulk_reset))
        .routes(routes!(enable_license))
        .routes(routes!(disable_license))
        .routes(routes!(reset_license))
        .routes(routes!(reset_consumption))
        .routes(routes!(update_features))
        .routes(routes!(create_license_feature))
        .routes(routes!(show_license_feature))
        .routes(routes!(assign_user))
        .routes(routes!(assign_users))
        .routes(routes!(unassign_user))
        .routes(routes!(set_users_activations))
        .routes(routes!(export_license_users))
        .routes(routes!(floating_seats))
        .routes(routes!(release_floating_seat))
}

pub struct Licenses;

impl ListSpec for Licenses {
    const FIELDS: &'static [Field] = LICENSE_FIELDS;
    const MAX_LIMIT: u32 = 100;
}

/// A boolean as Django REST Framework reads one: `true`/`false`, `1`/`0`, or those as text.
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    match &value {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(*flag)),
        Value::Number(number) if number.as_i64() == Some(1) => Ok(Some(true)),
        Value::Number(number) if number.as_i64() == Some(0) => Ok(Some(false)),
        Value::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("Must be a valid boolean.")),
        },
        _ => Err(serde::de::Error::custom("Must be a valid boolean.")),
    }
}

/// A field that may be sent as null to clear it: absent is `None`, null is `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(deserializer)?))
}

/// Reads dates and moments of a body, collecting the errors by field.
#[derive(Default)]
struct Moments(FieldErrors);

impl Moments {
    fn read(
        &mut self,
        field: &str,
        text: Option<Option<&String>>,
    ) -> Option<Option<DateTime<Utc>>> {
        let text = text?;
        let Some(text) = text else {
            return Some(None);
        };
        match parse_moment(text) {
            Some(at) => Some(Some(at)),
            None => {
                self.0.entry(field.to_owned()).or_default().push(
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD, \
                     YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                        .to_owned(),
                );
                None
            }
        }
    }

    fn finish<T>(self, value: T) -> Result<T, ManagementError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ManagementError::Invalid(self.0))
        }
    }
}

/// The license fields PATCH and bulk updates change; every one optional. Booleans may be sent as
/// `1`/`0`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LicensePatchIn {
    #[serde(default)]
    pub max_activations: Option<i64>,
    /// Also accepted as `allow_unlimited_activation`, as LicenseSpring's documentation spells it.
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        alias = "allow_unlimited_activation"
    )]
    pub allow_unlimited_activations: Option<bool>,
    #[serde(default)]
    pub max_consumptions: Option<i64>,
    #[serde(default)]
    pub total_consumptions: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub allow_overages: Option<bool>,
    #[serde(default)]
    pub max_overages: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_consumption: Option<bool>,
    /// `daily`, `weekly`, `monthly`, `annually` or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub consumption_period: Option<Option<String>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_trial: Option<bool>,
    /// With `is_trial`: the validity ends this many days from now.
    #[serde(default)]
    pub trial_days: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub enable_maintenance_period: Option<bool>,
    /// With `enable_maintenance_period`: `<n>d`, `<n>m` or `<n>y` from now.
    #[serde(default)]
    pub maintenance_duration: Option<String>,
    /// With `enable_maintenance_period`: `YYYY-MM-DD` or a moment.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub maintenance_period: Option<Option<String>>,
    /// Latch has one kind of floating license: the same as `is_floating_cloud`.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_floating: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_floating_cloud: Option<bool>,
    #[serde(default)]
    pub floating_users: Option<i64>,
    /// Minutes.
    #[serde(default)]
    pub floating_timeout: Option<i64>,
    /// `<n>d`, `<n>m` or `<n>y` from now; never with `validity_period`.
    #[serde(default)]
    pub valid_duration: Option<String>,
    /// `YYYY-MM-DD` or a moment; never with `valid_duration`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub validity_period: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub prevent_vm: Option<bool>,
    #[serde(default)]
    pub note: Option<String>,
    /// 0: no limit.
    #[serde(default)]
    pub max_license_users: Option<i64>,
    /// 0: no limit.
    #[serde(default)]
    pub max_transfers: Option<i64>,
    /// An order's id, or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub order: Option<Option<i64>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub allow_grace_period: Option<bool>,
    /// Hours.
    #[serde(default)]
    pub grace_period: Option<i64>,
}

impl LicensePatchIn {
    fn into_patch(self) -> Result<LicensePatch, ManagementError> {
        let mut moments = Moments::default();
        let validity_period = moments.read(
            "validity_period",
            self.validity_period.as_ref().map(Option::as_ref),
        );
        let maintenance_period = moments.read(
            "maintenance_period",
            self.maintenance_period.as_ref().map(Option::as_ref),
        );
        let start_date = moments.read("start_date", self.start_date.as_ref().map(Option::as_ref));
        let metadata = match self.metadata {
            None => None,
            Some(Value::Object(map)) => Some(Value::Object(map).to_string()),
            Some(_) => return Err(ManagementError::field("metadata", "Must be a JSON object.")),
        };
        moments.finish(LicensePatch {
            max_activations: self.max_activations,
            allow_unlimited_activations: self.allow_unlimited_activations,
            max_consumptions: self.max_consumptions,
            total_consumptions: self.total_consumptions,
            allow_overages: self.allow_overages,
            max_overages: self.max_overages,
            reset_consumption: self.reset_consumption,
            consumption_period: self.consumption_period,
            is_trial: self.is_trial,
            trial_days: self.trial_days,
            enable_maintenance_period: self.enable_maintenance_period,
            maintenance_duration: self.maintenance_duration,
            maintenance_period,
            is_floating_cloud: self.is_floating_cloud.or(self.is_floating),
            floating_users: self.floating_users,
            floating_timeout: self.floating_timeout,
            valid_duration: self.valid_duration,
            validity_period,
            start_date,
            prevent_vm: self.prevent_vm,
            note: self.note,
            max_license_users: self.max_license_users,
            max_transfers: self.max_transfers,
            order: self.order,
            metadata,
            allow_grace_period: self.allow_grace_period,
            grace_period: self.grace_period,
        })
    }
}

/// One license of a bulk update: its id and the fields to change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkUpdateIn {
    pub id: i64,
    #[serde(flatten)]
    pub patch: LicensePatchIn,
}

/// What `custom_bulk_reset` resets on each listed license.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomResetIn {
    pub license_ids: Vec<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_validity_period: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_consumptions: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_maintenance_period: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_product_features: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_custom_fields: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_metadata: Option<bool>,
}

/// A feature's limits as sent; absent ones keep their value (or the default on a new grant).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FeatureLimitsIn {
    #[serde(default)]
    pub max_consumption: Option<i64>,
    #[serde(default)]
    pub total_consumptions: Option<i64>,
    /// `YYYY-MM-DD` or a moment, or null.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub expiry_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub allow_overages: Option<bool>,
    #[serde(default)]
    pub max_overages: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_consumption: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub consumption_period: Option<Option<String>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub allow_unlimited_consumptions: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub allow_negative_consumptions: Option<bool>,
    /// The same as `is_floating_cloud`.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_floating: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_floating_cloud: Option<bool>,
    #[serde(default)]
    pub floating_users: Option<i64>,
    #[serde(default)]
    pub floating_timeout: Option<i64>,
}

impl FeatureLimitsIn {
    fn into_patch(self) -> Result<FeaturePatch, ManagementError> {
        let mut moments = Moments::default();
        let expiry_date =
            moments.read("expiry_date", self.expiry_date.as_ref().map(Option::as_ref));
        moments.finish(FeaturePatch {
            max_consumption: self.max_consumption,
            total_consumptions: self.total_consumptions,
            expiry_date,
            allow_overages: self.allow_overages,
            max_overages: self.max_overages,
            reset_consumption: self.reset_consumption,
            consumption_period: self.consumption_period,
            allow_unlimited_consumptions: self.allow_unlimited_consumptions,
            allow_negative_consumptions: self.allow_negative_consumptions,
            is_floating_cloud: self.is_floating_cloud.or(self.is_floating),
            floating_users: self.floating_users,
            floating_timeout: self.floating_timeout,
        })
    }
}

/// One feature of `update_features`, named by its code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FeatureItemIn {
    /// The product feature's code.
    pub product_feature: String,
    #[serde(flatten)]
    pub limits: FeatureLimitsIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFeaturesIn {
    pub product_features: Vec<FeatureItemIn>,
}

/// A product feature to grant to a license.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewLicenseFeatureIn {
    pub license: i64,
    /// The product feature's id.
    pub product_feature: i64,
    #[serde(flatten)]
    pub limits: FeatureLimitsIn,
}

/// A granted feature, the license and product feature by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedLicenseFeatureOut {
    pub id: i64,
    pub license: i64,
    pub product_feature: i64,
    #[serde(flatten)]
    pub limits: FeatureLimitsOut,
}

/// A license feature with its product feature and the devices using it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseFeatureDetailOut {
    #[serde(flatten)]
    pub feature: LicenseFeatureOut,
    /// Always empty: Latch keeps no per-device feature records besides floating seats.
    #[schema(value_type = Vec<Object>)]
    pub device_features: Vec<Value>,
}

/// A user to place on the license; created when the e-mail is new. `is_manager` is ignored: Latch
/// has no license managers.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignUserIn {
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone_number: String,
    /// A new user's password; generated when absent.
    #[serde(default)]
    pub password: Option<String>,
    /// Devices the user may activate on the license (1 by default).
    #[serde(default)]
    pub max_activations: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedOut {
    pub message: String,
    /// A new user's password; null when the user existed already.
    pub new_password: Option<String>,
}

/// Users to place on the license. `send_email` and each `is_manager` are ignored: Latch sends no
/// e-mail and has no license managers.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignUsersIn {
    pub emails: Vec<EmailIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailIn {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedUserOut {
    pub email: String,
    pub new_user: bool,
    /// The new user's password; null for a user who existed.
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UnassignUserIn {
    #[serde(default)]
    pub license_user_id: Option<i64>,
    #[serde(default)]
    pub license_user_email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserActivationsIn {
    #[serde(default)]
    pub max_activations: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub reset_total_activations: Option<bool>,
}

/// A device's floating seat on the license or on one of its features.
#[derive(Debug, Serialize, ToSchema)]
pub struct FloatingSeatOut {
    pub device_id: i64,
    pub hardware_id: String,
    pub hostname: Option<String>,
    /// The feature's code for a feature seat; null for the license's own seat.
    pub feature: Option<String>,
    /// When the device last checked (took or renewed its seat).
    pub last_check: Option<DateTime<Utc>>,
    /// When the seat frees itself unless renewed.
    pub floating_until: Option<DateTime<Utc>>,
    /// When a borrowed seat comes back.
    pub borrowed_until: Option<DateTime<Utc>>,
}

impl From<SeatHolder> for FloatingSeatOut {
    fn from(holder: SeatHolder) -> Self {
        Self {
            device_id: holder.device.id.get(),
            hardware_id: holder.device.hardware_id,
            hostname: holder.device.hostname,
            feature: holder.feature_code,
            last_check: holder.device.last_check_at,
            floating_until: holder.floating_until,
            borrowed_until: holder.borrowed_until,
        }
    }
}

/// The license object of the tenant's license, read after a change.
async fn answer_license(
    tenant: &Tenant<'_>,
    id: LicenseId,
) -> Result<JsonAnswer<LicenseOut>, ManagementError> {
    Ok(JsonAnswer(license_object(
        &tenant.license_record(id).await?,
    )))
}

/// Licenses, newest first, at most 100 a page. Filters as LicenseSpring's: `license_key`,
/// `customer_email__icontains`, `product_short_code`, `active`, `validity_period__lte`, ...
#[utoipa::path(get, path = "/licenses/", tag = "licenses",
    responses((status = 200, body = Paginated<LicenseOut>), Reads))]
async fn list_licenses(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Licenses>,
) -> Result<JsonAnswer<Paginated<LicenseOut>>, ManagementError> {
    let licenses = access
        .tenant(&state)
        .await?
        .license_records(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(licenses, |record| license_object(&record)),
    ))
}

/// One license.
#[utoipa::path(get, path = "/licenses/{id}/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = LicenseOut), Reads))]
async fn show_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<LicenseOut>, ManagementError> {
    let id = LicenseId::new(id);
    answer_license(&access.tenant(&state).await?, id).await
}

/// Changes the fields sent; answers the license. `valid_duration` and `validity_period` exclude each
/// other; `trial_days` comes with `is_trial`; maintenance fields with `enable_maintenance_period`.
#[utoipa::path(patch, path = "/licenses/{id}/", tag = "licenses", request_body = LicensePatchIn,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = LicenseOut), Writes))]
async fn patch_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<LicensePatchIn>,
) -> Result<JsonAnswer<LicenseOut>, ManagementError> {
    let id = LicenseId::new(id);
    let tenant = access.tenant(&state).await?;
    tenant.patch_licenses(&[(id, body.into_patch()?)]).await?;
    answer_license(&tenant, id).await
}

/// Deletes the license with its devices (and their variables), features, users' places, custom
/// field values and trial records; its events stay in the log.
#[utoipa::path(delete, path = "/licenses/{id}/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    let id = LicenseId::new(id);
    access.tenant(&state).await?.delete_license(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Updates several licenses, all or none: an array of `{"id": ..., <fields as PATCH>}`.
#[utoipa::path(patch, path = "/licenses/bulk_update/", tag = "licenses",
    request_body = Vec<BulkUpdateIn>,
    responses((status = 200, body = super::error::Detail), Writes))]
async fn bulk_update(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<Vec<BulkUpdateIn>>,
) -> Result<JsonAnswer<super::error::Detail>, ManagementError> {
    let patches = body
        .into_iter()
        .map(|item| Ok((LicenseId::new(item.id), item.patch.into_patch()?)))
        .collect::<Result<Vec<_>, ManagementError>>()?;
    access
        .tenant(&state)
        .await?
        .patch_licenses(&patches)
        .await
        .map_err(unknown_id_in_body)?;
    Ok(JsonAnswer(super::error::Detail {
        detail: "Licenses updated.".to_owned(),
    }))
}

/// A license id in a body that names no license of the company: the body is wrong, not the URL.
fn unknown_id_in_body(error: latch_service::ServiceError) -> ManagementError {
    match error {
        latch_service::ServiceError::NotFound(what) => {
            ManagementError::field("id", format!("No {what}."))
        }
        other => other.into(),
    }
}

fn license_ids(ids: &[i64]) -> Vec<LicenseId> {
    ids.iter().copied().map(LicenseId::new).collect()
}

/// Disables several licenses, all or none: an array of license ids.
#[utoipa::path(post, path = "/licenses/disable_bulk/", tag = "licenses", request_body = Vec<i64>,
    responses((status = 200, body = Message), Writes))]
async fn disable_bulk(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(ids): JsonBody<Vec<i64>>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .disable_licenses(&license_ids(&ids))
        .await
        .map_err(unknown_id_in_body)?;
    Ok(Message::new("Licenses disabled."))
}

/// Resets what the flags name on every listed license, or on none. Latch keeps no license policy,
/// so `reset_validity_period` and `reset_maintenance_period` are refused.
#[utoipa::path(post, path = "/licenses/custom_bulk_reset/", tag = "licenses",
    request_body = CustomResetIn, responses((status = 200, body = Message), Writes))]
async fn custom_bulk_reset(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<CustomResetIn>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let flag = |value: Option<bool>| value.unwrap_or(false);
    let reset = LicenseReset {
        validity_period: flag(body.reset_validity_period),
        consumptions: flag(body.reset_consumptions),
        maintenance_period: flag(body.reset_maintenance_period),
        product_features: flag(body.reset_product_features),
        custom_fields: flag(body.reset_custom_fields),
        metadata: flag(body.reset_metadata),
    };
    access
        .tenant(&state)
        .await?
        .reset_licenses(&license_ids(&body.license_ids), reset)
        .await
        .map_err(unknown_id_in_body)?;
    Ok(Message::new("Licenses reset successfully."))
}

/// Lets the license activate and check again.
#[utoipa::path(post, path = "/licenses/{id}/enable/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn enable_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    access
        .tenant(&state)
        .await?
        .set_license_enabled(id, true)
        .await?;
    Ok(Message::new("License enabled."))
}

/// Refuses every activation and check of the license; its entitlements stay.
#[utoipa::path(post, path = "/licenses/{id}/disable/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn disable_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    access
        .tenant(&state)
        .await?
        .set_license_enabled(id, false)
        .await?;
    Ok(Message::new("License disabled."))
}

/// Deactivates every device (activations back to 0) and resets the consumption counters.
#[utoipa::path(post, path = "/licenses/{id}/reset/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn reset_license(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    let tenant = access.tenant(&state).await?;
    tenant.reset_license(id).await?;
    tenant.reset_license_consumption(id).await?;
    Ok(Message::new("License and all devices reset."))
}

/// Sets the consumption counters of the license and its features back to zero.
#[utoipa::path(post, path = "/licenses/{id}/reset_consumption/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn reset_consumption(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    access
        .tenant(&state)
        .await?
        .reset_license_consumption(id)
        .await?;
    Ok(Message::new("License consumption reset."))
}

/// Makes the listed features (by code) the license's: listed ones are created or updated, the
/// license's other features are deleted. Answers the license.
#[utoipa::path(post, path = "/licenses/{id}/update_features/", tag = "licenses",
    request_body = UpdateFeaturesIn,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = LicenseOut), Writes))]
async fn update_features(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<UpdateFeaturesIn>,
) -> Result<JsonAnswer<LicenseOut>, ManagementError> {
    let id = LicenseId::new(id);
    let features = body
        .product_features
        .into_iter()
        .map(|item| Ok((item.product_feature, item.limits.into_patch()?)))
        .collect::<Result<Vec<_>, ManagementError>>()?;
    let tenant = access.tenant(&state).await?;
    tenant.set_license_features(id, &features).await?;
    answer_license(&tenant, id).await
}

/// Grants a product feature (by id) to a license.
#[utoipa::path(post, path = "/license-product-features/", tag = "licenses",
    request_body = NewLicenseFeatureIn,
    responses((status = 201, body = CreatedLicenseFeatureOut), Writes))]
async fn create_license_feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewLicenseFeatureIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let patch = body.limits.into_patch()?;
    let feature = access
        .tenant(&state)
        .await?
        .grant_license_feature(
            LicenseId::new(body.license),
            ProductFeatureId::new(body.product_feature),
            &patch,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(CreatedLicenseFeatureOut {
            id: feature.id.get(),
            license: feature.license_id.get(),
            product_feature: feature.feature.id.get(),
            limits: (&feature).into(),
        }),
    ))
}

/// A feature granted to a license, with its product feature.
#[utoipa::path(get, path = "/license-product-features/{id}/", tag = "licenses",
    params(("id" = i64, Path, description = "The license feature's id")),
    responses((status = 200, body = LicenseFeatureDetailOut), Reads))]
async fn show_license_feature(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<LicenseFeatureDetailOut>, ManagementError> {
    let id = LicenseFeatureId::new(id);
    let feature = access.tenant(&state).await?.license_feature(id).await?;
    Ok(JsonAnswer(LicenseFeatureDetailOut {
        feature: (&feature).into(),
        device_features: Vec::new(),
    }))
}

/// Places a user on the license, creating the user when the e-mail is new.
#[utoipa::path(post, path = "/licenses/{id}/assign_user/", tag = "licenses",
    request_body = AssignUserIn,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = AssignedOut), Writes))]
async fn assign_user(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<AssignUserIn>,
) -> Result<JsonAnswer<AssignedOut>, ManagementError> {
    let id = LicenseId::new(id);
    let placed = access
        .tenant(&state)
        .await?
        .place_license_user(
            id,
            UserPlacement {
                email: body.email,
                first_name: body.first_name,
                last_name: body.last_name,
                phone_number: body.phone_number,
                password: body.password,
                max_activations: body.max_activations,
            },
        )
        .await?;
    Ok(JsonAnswer(AssignedOut {
        message: "License assigned.".to_owned(),
        new_password: placed.new_password,
    }))
}

/// Places several users on the license (one at a time: those placed before a failure stay).
#[utoipa::path(post, path = "/licenses/{id}/assign_users/", tag = "licenses",
    request_body = AssignUsersIn,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Vec<AssignedUserOut>), Writes))]
async fn assign_users(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<AssignUsersIn>,
) -> Result<JsonAnswer<Vec<AssignedUserOut>>, ManagementError> {
    let id = LicenseId::new(id);
    let tenant = access.tenant(&state).await?;
    let mut placed = Vec::with_capacity(body.emails.len());
    for email in body.emails {
        let user = tenant
            .place_license_user(
                id,
                UserPlacement {
                    email: email.email,
                    ..UserPlacement::default()
                },
            )
            .await?;
        placed.push(AssignedUserOut {
            email: user.user.email,
            new_user: user.new_password.is_some(),
            password: user.new_password,
        });
    }
    Ok(JsonAnswer(placed))
}

/// Takes a user (by `license_user_id` or `license_user_email`) off the license; the user's devices
/// on it are deactivated.
#[utoipa::path(post, path = "/licenses/{id}/unassign_user/", tag = "licenses",
    request_body = UnassignUserIn,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn unassign_user(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<UnassignUserIn>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    access
        .tenant(&state)
        .await?
        .remove_license_user(
            id,
            body.license_user_id.map(LicenseUserId::new),
            body.license_user_email.as_deref(),
        )
        .await?;
    Ok(Message::new("License unassigned."))
}

/// Sets users' activation limits on the license, all or none: an object keyed by license user id,
/// each `{"max_activations": n, "reset_total_activations": bool}`.
#[utoipa::path(post, path = "/licenses/{id}/set_users_activations/", tag = "licenses",
    request_body = BTreeMap<String, UserActivationsIn>,
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Message), Writes))]
async fn set_users_activations(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<BTreeMap<String, UserActivationsIn>>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    let mut changes = Vec::with_capacity(body.len());
    for (user, change) in body {
        let user_id = user
            .parse()
            .map_err(|_| ManagementError::field(user, "A valid integer is required."))?;
        changes.push(UserActivationsChange {
            license_user_id: LicenseUserId::new(user_id),
            max_activations: change.max_activations,
            reset_total_activations: change.reset_total_activations.unwrap_or(false),
        });
    }
    access
        .tenant(&state)
        .await?
        .set_users_activations(id, &changes)
        .await?;
    Ok(Message::new("Users' activations set."))
}

/// The license's users as CSV.
#[utoipa::path(get, path = "/licenses/{id}/export_license_users/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = String, content_type = "text/csv"), Reads))]
async fn export_license_users(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ManagementError> {
    let id = LicenseId::new(id);
    let record = access.tenant(&state).await?.license_record(id).await?;
    let mut csv = String::from(
        "id,email,first_name,last_name,phone_number,max_activations,total_activations\n",
    );
    for (user, assignment) in &record.users {
        let row = [
            user.id.to_string(),
            user.email.clone(),
            user.first_name.clone(),
            user.last_name.clone(),
            user.phone_number.clone(),
            assignment.max_activations.to_string(),
            assignment.total_activations.to_string(),
        ];
        let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

/// A CSV cell, quoted when it holds a separator, a quote or a line break.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Which devices hold a floating seat on the license or its features now, and until when.
#[utoipa::path(get, path = "/licenses/{id}/floating_seats/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id")),
    responses((status = 200, body = Vec<FloatingSeatOut>), Reads))]
async fn floating_seats(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Vec<FloatingSeatOut>>, ManagementError> {
    let id = LicenseId::new(id);
    let seats = access.tenant(&state).await?.floating_seats(id).await?;
    Ok(JsonAnswer(seats.into_iter().map(Into::into).collect()))
}

/// Frees every seat a device holds on the license and its features: another device may take them at
/// once.
#[utoipa::path(post, path = "/licenses/{id}/floating_seats/{device_id}/release/", tag = "licenses",
    params(("id" = i64, Path, description = "The license's id"),
        ("device_id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = Message), Writes))]
async fn release_floating_seat(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path((id, device_id)): Path<(i64, i64)>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let id = LicenseId::new(id);
    let device_id = DeviceId::new(device_id);
    access
        .tenant(&state)
        .await?
        .release_floating_seat(id, device_id)
        .await?;
    Ok(Message::new("Floating seat released."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Flags {
        #[serde(default, deserialize_with = "lenient_bool")]
        flag: Option<bool>,
    }

    fn flag(body: &str) -> Option<bool> {
        serde_json::from_str::<Flags>(body).unwrap().flag
    }

    #[test]
    fn booleans_are_read_as_django_rest_framework_reads_them() {
        assert_eq!(flag(r#"{"flag": 1}"#), Some(true));
        assert_eq!(flag(r#"{"flag": 0}"#), Some(false));
        assert_eq!(flag(r#"{"flag": "true"}"#), Some(true));
        assert_eq!(flag(r#"{"flag": false}"#), Some(false));
        assert_eq!(flag(r#"{"flag": null}"#), None);
        assert_eq!(flag("{}"), None);
        assert!(serde_json::from_str::<Flags>(r#"{"flag": 2}"#).is_err());
    }

    #[test]
    fn null_clears_and_absence_keeps() {
        let patch: LicensePatchIn =
            serde_json::from_str(r#"{"validity_period": null, "is_trial": 1}"#).unwrap();
        assert_eq!(patch.validity_period, Some(None));
        assert_eq!(patch.start_date, None);
        assert_eq!(patch.is_trial, Some(true));
    }

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
