//! License users: `/api/v1/license-users/`. Password hashes never leave the server; the initial
//! password is shown only where the company exposes initial passwords (as the License API does).

use axum::extract::State;

use super::extract::{Path, Query};
use chrono::{DateTime, Utc};
use latch_domain::LicenseUserId;
use latch_service::model::{LicenseUserChanges, LicenseUserRecord};
use latch_service::query::fields::LICENSE_USER_FIELDS;
use latch_service::query::Field;
use latch_service::Tenant;
use secrecy::ExposeSecret;
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
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_license_users))
        .routes(routes!(show_license_user, update_license_user))
        .routes(routes!(set_password))
        .routes(routes!(set_password_by_email))
}

pub struct LicenseUsers;

impl ListSpec for LicenseUsers {
    const FIELDS: &'static [Field] = LICENSE_USER_FIELDS;
}

/// A license user. `email` and `true_email` are the same address: Latch keeps no suffixed names.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseUserOut {
    pub id: i64,
    pub email: String,
    pub true_email: String,
    pub created_at: DateTime<Utc>,
    /// Latch has no inactive users.
    pub is_active: bool,
    /// Latch has no order managers.
    pub is_manager: bool,
    /// The password the user was given, until it changes; null unless the company exposes
    /// initial passwords.
    pub initial_password: Option<String>,
    pub is_initial_password: bool,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    /// Licenses the user is on.
    pub total_licenses: i64,
    /// The customer the user belongs to.
    pub customer: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    pub customer_accounts: Vec<serde_json::Value>,
}

impl LicenseUserOut {
    fn new(record: LicenseUserRecord, show_initial_password: bool) -> Self {
        let user = record.user;
        Self {
            id: user.id.get(),
            true_email: user.email.clone(),
            email: user.email,
            created_at: record.created_at,
            is_active: true,
            is_manager: false,
            initial_password: user
                .initial_password
                .filter(|_| show_initial_password)
                .map(|password| password.expose_secret().to_owned()),
            is_initial_password: user.is_initial_password,
            first_name: user.first_name,
            last_name: user.last_name,
            phone_number: user.phone_number,
            total_licenses: record.total_licenses,
            customer: user.customer_id.map(|id| id.get()),
            customer_accounts: Vec::new(),
        }
    }

    /// The record as `tenant`'s company shows it.
    pub(super) fn of(tenant: &Tenant, record: LicenseUserRecord) -> Self {
        Self::new(record, tenant.company().expose_initial_passwords)
    }
}

/// Name and phone; each one given is set.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LicenseUserIn {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordIn {
    /// At least 8 characters.
    pub password: String,
}

/// Which user `set_password` means, by e-mail.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByEmail {
    /// The user's e-mail address.
    pub email: Option<String>,
}

/// The company's license users, newest first: filter by `true_email` (`__icontains`,
/// `__iexact`), `first_name`/`last_name`/`phone` `__icontains`, `customer`, `license`.
#[utoipa::path(get, path = "/license-users/", tag = "license users",
    responses((status = 200, body = Paginated<LicenseUserOut>), Reads))]
async fn list_license_users(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<LicenseUsers>,
) -> Result<JsonAnswer<Paginated<LicenseUserOut>>, ManagementError> {
    let tenant = access.tenant(&state).await?;
    let users = tenant
        .matching_license_users(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(users, |record| {
        LicenseUserOut::of(&tenant, record)
    })))
}

/// One license user.
#[utoipa::path(get, path = "/license-users/{id}/", tag = "license users",
    params(("id" = i64, Path, description = "The license user's id")),
    responses((status = 200, body = LicenseUserOut), Reads))]
async fn show_license_user(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<LicenseUserOut>, ManagementError> {
    let tenant = access.tenant(&state).await?;
    let record = tenant.license_user_by_id(LicenseUserId::new(id)).await?;
    Ok(JsonAnswer(LicenseUserOut::of(&tenant, record)))
}

/// Changes the user's first name, last name or phone number.
#[utoipa::path(patch, path = "/license-users/{id}/", tag = "license users",
    request_body = LicenseUserIn,
    params(("id" = i64, Path, description = "The license user's id")),
    responses((status = 200, body = LicenseUserOut), Writes))]
async fn update_license_user(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<LicenseUserIn>,
) -> Result<JsonAnswer<LicenseUserOut>, ManagementError> {
    let tenant = access.tenant(&state).await?;
    let changes = LicenseUserChanges {
        first_name: body.first_name,
        last_name: body.last_name,
        phone_number: body.phone_number,
    };
    let record = tenant
        .update_license_user(LicenseUserId::new(id), &changes)
        .await?;
    Ok(JsonAnswer(LicenseUserOut::of(&tenant, record)))
}

/// Sets the user's password: the License API accepts it from now on, and the initial password is
/// forgotten.
#[utoipa::path(post, path = "/license-users/{id}/set_password/", tag = "license users",
    request_body = PasswordIn,
    params(("id" = i64, Path, description = "The license user's id")),
    responses((status = 200, body = Message), Writes))]
async fn set_password(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<PasswordIn>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .set_license_user_password(LicenseUserId::new(id), body.password)
        .await?;
    Ok(Message::new("Password set."))
}

/// Sets the password of the user with the e-mail address `email`.
#[utoipa::path(post, path = "/license-users/set_password/", tag = "license users",
    request_body = PasswordIn, params(ByEmail),
    responses((status = 200, body = Message), Writes))]
async fn set_password_by_email(
    State(state): State<AppState>,
    access: ManagementAccess,
    Query(by): Query<ByEmail>,
    JsonBody(body): JsonBody<PasswordIn>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    let email = by
        .email
        .ok_or_else(|| ManagementError::field("email", "This field is required."))?;
    let tenant = access.tenant(&state).await?;
    let user = tenant.license_user(&email).await?;
    tenant
        .set_license_user_password(user.id, body.password)
        .await?;
    Ok(Message::new("Password set."))
}
