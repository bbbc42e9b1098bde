//! Devices and their variables: `/api/v1/devices/`, `/api/v1/device-variables/`. A device belongs to
//! the company through its license.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_domain::DeviceId;
use latch_service::model::{DeviceBorrow, DeviceRecord, DeviceVariable};
use latch_service::query::fields::{DEVICE_FIELDS, DEVICE_VARIABLE_FIELDS};
use latch_service::query::Field;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::keys::Message;
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::moment;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(device))
        .routes(routes!(reset_device))
        .routes(routes!(blacklist_device))
        .routes(routes!(borrow_device))
        .routes(routes!(release_borrowed_device))
        .routes(routes!(list_variables, create_variable))
        .routes(routes!(variable, update_variable, delete_variable))
}

pub struct Devices;

impl ListSpec for Devices {
    const FIELDS: &'static [Field] = DEVICE_FIELDS;
}

pub struct DeviceVariables;

impl ListSpec for DeviceVariables {
    const FIELDS: &'static [Field] = DEVICE_VARIABLE_FIELDS;
}

/// The license a device is on.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceLicenseOut {
    pub id: i64,
    /// Null on user-based licenses.
    pub license_key: Option<String>,
}

/// A device variable: a name and value a client app stored for its device.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceVariableOut {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub variable: String,
    pub value: String,
    /// The device's id.
    pub device: i64,
}

impl From<DeviceVariable> for DeviceVariableOut {
    fn from(variable: DeviceVariable) -> Self {
        Self {
            id: variable.id,
            created_at: variable.created_at,
            variable: variable.name,
            value: variable.value,
            device: variable.device_id.get(),
        }
    }
}

/// A device on a license: one row per license and hardware id.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceOut {
    pub id: i64,
    pub device_variables: Vec<DeviceVariableOut>,
    pub created_at: DateTime<Utc>,
    /// The last check, else the first activation.
    pub updated_at: DateTime<Utc>,
    pub hardware_id: String,
    /// When the device first activated.
    pub time_activated: DateTime<Utc>,
    pub device_active: bool,
    pub os: Option<String>,
    pub sdk_build_version: Option<String>,
    pub last_check: Option<DateTime<Utc>>,
    pub app_ver: Option<String>,
    pub hostname: Option<String>,
    pub ip: Option<String>,
    pub mac_address: Option<String>,
    pub is_vm: bool,
    pub vm_info: Option<String>,
    /// When the device's floating lease ends (Latch keeps the end, not the last renewal).
    pub floating_last_seen: Option<DateTime<Utc>>,
    pub floating_in_use: bool,
    pub borrowed_until: Option<DateTime<Utc>>,
    pub blacklisted: bool,
    pub license: DeviceLicenseOut,
}

impl From<DeviceRecord> for DeviceOut {
    fn from(record: DeviceRecord) -> Self {
        let device = record.device;
        let now = Utc::now();
        Self {
            id: device.id.get(),
            device_variables: record.variables.into_iter().map(Into::into).collect(),
            created_at: device.created_at,
            updated_at: device.last_check_at.unwrap_or(device.created_at),
            hardware_id: device.hardware_id.clone(),
            time_activated: device.created_at,
            device_active: device.active,
            os: device.os_ver.clone(),
            sdk_build_version: record.sdk_ver,
            last_check: device.last_check_at,
            app_ver: record.app_ver,
            hostname: device.hostname.clone(),
            ip: record.ip,
            mac_address: record.mac_address,
            is_vm: device.is_vm,
            vm_info: record.vm_info,
            floating_last_seen: device.floating_until,
            floating_in_use: device.active && device.seat().is_held(now),
            borrowed_until: device.borrowed_until.filter(|until| *until > now),
            blacklisted: device.blacklisted,
            license: DeviceLicenseOut {
                id: device.license_id.get(),
                license_key: record.license_key,
            },
        }
    }
}

/// `borrowed_until`: when the borrowed seat comes back, at most `max_borrow_time` hours from now.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BorrowIn {
    /// ISO-8601; without an offset it is UTC.
    #[schema(example = "2022-04-14T12:30:50")]
    pub borrowed_until: String,
}

/// A device's borrowed seat.
#[derive(Debug, Serialize, ToSchema)]
pub struct BorrowOut {
    pub device_id: i64,
    pub license_id: i64,
    /// Null once released.
    pub borrowed_until: Option<DateTime<Utc>>,
    /// Hours.
    pub max_borrow_time: i64,
}

impl From<DeviceBorrow> for BorrowOut {
    fn from(borrow: DeviceBorrow) -> Self {
        Self {
            device_id: borrow.device_id.get(),
            license_id: borrow.license_id.get(),
            borrowed_until: borrow.borrowed_until,
            max_borrow_time: borrow.max_borrow_time,
        }
    }
}

/// A new device variable.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewVariableIn {
    pub device: i64,
    pub variable: String,
    pub value: String,
}

/// Changes to a device variable; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VariableChangesIn {
    pub variable: Option<String>,
    pub value: Option<String>,
}

/// The company's devices, newest first: filter by `license`, `hardware_id`, `hostname`
/// (`hostname__icontains` too), `os`, `blacklisted`, `device_active`, `license_users__id`.
#[utoipa::path(get, path = "/devices/", tag = "devices",
    responses((status = 200, body = Paginated<DeviceOut>), Reads))]
async fn list_devices(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Devices>,
) -> Result<JsonAnswer<Paginated<DeviceOut>>, ManagementError> {
    let devices = access
        .tenant(&state)
        .await?
        .devices_matching(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(devices, DeviceOut::from)))
}

/// One device with its variables.
#[utoipa::path(get, path = "/devices/{id}/", tag = "devices",
    params(("id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = DeviceOut), Reads))]
async fn device(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<DeviceOut>, ManagementError> {
    let device = access
        .tenant(&state)
        .await?
        .device_record(DeviceId::new(id))
        .await?;
    Ok(JsonAnswer(device.into()))
}

/// Deactivates the device and frees its activation (and any floating seat) on the license.
#[utoipa::path(post, path = "/devices/{id}/reset/", tag = "devices",
    params(("id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = Message), Writes))]
async fn reset_device(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .reset_device(DeviceId::new(id))
        .await?;
    Ok(Message::new("Device reset and license updated."))
}

/// Blacklists the device: deactivated, its activation freed, refused by the License API from now on.
#[utoipa::path(post, path = "/devices/{id}/blacklist/", tag = "devices",
    params(("id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = Message), Writes))]
async fn blacklist_device(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .blacklist_device_by_id(DeviceId::new(id))
        .await?;
    Ok(Message::new("Device blacklisted."))
}

/// Borrows the floating license's seat for the device until `borrowed_until`, under the License
/// API's rules: the license must allow borrowing, for at most `max_borrow_time` hours.
#[utoipa::path(post, path = "/devices/{id}/borrow/", tag = "devices", request_body = BorrowIn,
    params(("id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = BorrowOut), Writes))]
async fn borrow_device(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<BorrowIn>,
) -> Result<JsonAnswer<BorrowOut>, ManagementError> {
    let until = moment("borrowed_until", &body.borrowed_until)?;
    let borrow = access
        .tenant(&state)
        .await?
        .borrow_device(DeviceId::new(id), Some(until))
        .await?;
    Ok(JsonAnswer(borrow.into()))
}

/// Ends the device's borrow: its seat is back to an ordinary lease.
#[utoipa::path(post, path = "/devices/{id}/borrow_release/", tag = "devices",
    params(("id" = i64, Path, description = "The device's id")),
    responses((status = 200, body = BorrowOut), Writes))]
async fn release_borrowed_device(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<BorrowOut>, ManagementError> {
    let borrow = access
        .tenant(&state)
        .await?
        .borrow_device(DeviceId::new(id), None)
        .await?;
    Ok(JsonAnswer(borrow.into()))
}

/// The variables of the company's devices: filter by `device`, `variable`.
#[utoipa::path(get, path = "/device-variables/", tag = "devices",
    responses((status = 200, body = Paginated<DeviceVariableOut>), Reads))]
async fn list_variables(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<DeviceVariables>,
) -> Result<JsonAnswer<Paginated<DeviceVariableOut>>, ManagementError> {
    let variables = access
        .tenant(&state)
        .await?
        .device_variables(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(variables, DeviceVariableOut::from),
    ))
}

/// Stores a variable on a device; a device has one variable of each name.
#[utoipa::path(post, path = "/device-variables/", tag = "devices", request_body = NewVariableIn,
    responses((status = 201, body = DeviceVariableOut), Writes))]
async fn create_variable(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewVariableIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let variable = access
        .tenant(&state)
        .await?
        .create_device_variable(DeviceId::new(body.device), body.variable, body.value)
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(DeviceVariableOut::from(variable)),
    ))
}

/// One device variable.
#[utoipa::path(get, path = "/device-variables/{id}/", tag = "devices",
    params(("id" = i64, Path, description = "The variable's id")),
    responses((status = 200, body = DeviceVariableOut), Reads))]
async fn variable(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<DeviceVariableOut>, ManagementError> {
    let variable = access.tenant(&state).await?.device_variable(id).await?;
    Ok(JsonAnswer(variable.into()))
}

/// Renames a device variable or changes its value.
#[utoipa::path(patch, path = "/device-variables/{id}/", tag = "devices",
    request_body = VariableChangesIn,
    params(("id" = i64, Path, description = "The variable's id")),
    responses((status = 200, body = DeviceVariableOut), Writes))]
async fn update_variable(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<VariableChangesIn>,
) -> Result<JsonAnswer<DeviceVariableOut>, ManagementError> {
    let variable = access
        .tenant(&state)
        .await?
        .update_device_variable(id, body.variable, body.value)
        .await?;
    Ok(JsonAnswer(variable.into()))
}

/// Deletes a device variable.
#[utoipa::path(delete, path = "/device-variables/{id}/", tag = "devices",
    params(("id" = i64, Path, description = "The variable's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_variable(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_device_variable(id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
