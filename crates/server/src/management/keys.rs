//! The company's keys and public key: `/api/v1/management-keys/`, `/api/v1/api-keys/`,
//! `/api/v1/public-key/` (Latch's own, in the Management API's conventions).

use axum::extract::State;

use super::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_service::model::{ApiKey, ManagementKey};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::responses::{Reads, Writes};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_management_keys, create_management_key))
        .routes(routes!(revoke_management_key))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(public_key))
}

/// A management key as listings show it: never the key itself, which only its creator saw.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagementKeyOut {
    pub id: i64,
    /// The key's first part, before the dot.
    pub prefix: String,
    pub read_only: bool,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ManagementKey> for ManagementKeyOut {
    fn from(key: ManagementKey) -> Self {
        Self {
            id: key.id,
            prefix: key.prefix,
            read_only: key.read_only,
            revoked: key.revoked,
            created_at: key.created_at,
        }
    }
}

/// A new management key, with the key itself: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedManagementKeyOut {
    #[serde(flatten)]
    pub management_key: ManagementKeyOut,
    pub key: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NewKeyIn {
    /// A read-only key may read but not change anything.
    #[serde(default)]
    pub read_only: bool,
}

/// A License API key; its shared key is shown only when it is created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub api_key: String,
    pub read_only: bool,
    pub revoked: bool,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(key: ApiKey) -> Self {
        Self {
            api_key: key.api_key,
            read_only: key.read_only,
            revoked: key.revoked,
        }
    }
}

/// A new License API key with its shared key (the HMAC secret apps sign requests with).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKeyOut {
    #[serde(flatten)]
    pub api_key: ApiKeyOut,
    pub shared_key: String,
}

/// A confirmation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

impl Message {
    pub fn new(text: &str) -> JsonAnswer<Message> {
        JsonAnswer(Message {
            message: text.to_owned(),
        })
    }
}

/// The company's management keys, revoked ones included, newest first.
#[utoipa::path(get, path = "/management-keys/", tag = "keys",
    responses((status = 200, body = Vec<ManagementKeyOut>), Reads))]
async fn list_management_keys(
    State(state): State<AppState>,
    access: ManagementAccess,
) -> Result<JsonAnswer<Vec<ManagementKeyOut>>, ManagementError> {
    let keys = access.tenant(&state).await?.management_keys().await?;
    Ok(JsonAnswer(keys.into_iter().map(Into::into).collect()))
}

/// Creates a management key; the answer carries the key itself, shown this once.
#[utoipa::path(post, path = "/management-keys/", tag = "keys", request_body = NewKeyIn,
    responses((status = 201, body = CreatedManagementKeyOut), Writes))]
async fn create_management_key(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewKeyIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let created = access
        .tenant(&state)
        .await?
        .create_management_key(body.read_only)
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(CreatedManagementKeyOut {
            management_key: created.key.into(),
            key: created.secret,
        }),
    ))
}

/// Revokes a management key: every node refuses it within a few seconds.
#[utoipa::path(post, path = "/management-keys/{id}/revoke/", tag = "keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses((status = 200, body = ManagementKeyOut), Writes))]
async fn revoke_management_key(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<ManagementKeyOut>, ManagementError> {
    let key = access
        .tenant(&state)
        .await?
        .revoke_management_key(id)
        .await?;
    Ok(JsonAnswer(key.into()))
}

/// The company's License API keys, revoked ones included, newest first.
#[utoipa::path(get, path = "/api-keys/", tag = "keys",
    responses((status = 200, body = Vec<ApiKeyOut>), Reads))]
async fn list_api_keys(
    State(state): State<AppState>,
    access: ManagementAccess,
) -> Result<JsonAnswer<Vec<ApiKeyOut>>, ManagementError> {
    let keys = access.tenant(&state).await?.api_keys().await?;
    Ok(JsonAnswer(keys.into_iter().map(Into::into).collect()))
}

/// Creates a License API key; the answer carries its shared key, shown this once.
#[utoipa::path(post, path = "/api-keys/", tag = "keys", request_body = NewKeyIn,
    responses((status = 201, body = CreatedApiKeyOut), Writes))]
async fn create_api_key(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<NewKeyIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let key = access
        .tenant(&state)
        .await?
        .create_api_key(body.read_only)
        .await?;
    let shared_key = key.shared_key.expose_secret().to_owned();
    Ok((
        StatusCode::CREATED,
        JsonAnswer(CreatedApiKeyOut {
            api_key: key.into(),
            shared_key,
        }),
    ))
}

/// Revokes a License API key: every node refuses it within a few seconds.
#[utoipa::path(post, path = "/api-keys/{api_key}/revoke/", tag = "keys",
    params(("api_key" = String, Path, description = "The API key")),
    responses((status = 200, body = Message), Writes))]
async fn revoke_api_key(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(api_key): Path<String>,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .revoke_api_key(&api_key)
        .await?;
    Ok(Message::new("API key revoked."))
}

/// The company's public signing key (PEM): apps verify `LicenseSignature` headers with it.
#[utoipa::path(get, path = "/public-key/", tag = "keys",
    responses((status = 200, body = String, content_type = "text/plain"), Reads))]
async fn public_key(
    State(state): State<AppState>,
    access: ManagementAccess,
) -> Result<impl IntoResponse, ManagementError> {
    let tenant = access.tenant(&state).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        tenant.company().public_key_pem.clone(),
    ))
}
