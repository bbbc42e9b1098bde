//! Webhook endpoints and their deliveries: `/api/v1/webhooks/` (Latch's own, in the Management
//! API's conventions). See docs/WEBHOOKS.md for what is delivered and how it is signed.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_service::model::{WebhookAttempt, WebhookDelivery, WebhookEndpoint};
use latch_service::query::fields::WEBHOOK_DELIVERY_FIELDS;
use latch_service::query::Field;
use latch_service::{CreatedWebhook, WebhookSpec};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(webhook, update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(delivery))
        .routes(routes!(retry_delivery))
}

pub struct Deliveries;

impl ListSpec for Deliveries {
    const FIELDS: &'static [Field] = WEBHOOK_DELIVERY_FIELDS;
}

/// An endpoint events are delivered to; its secret is shown only on creation and rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// Subscribed event names and patterns (`license.*`, `*` for all).
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why Latch disabled it: `gone` (the receiver answered 410) or `failing` (every delivery
    /// failed for days); null otherwise.
    pub disabled_reason: Option<String>,
    /// Until when deliveries also carry the signature of the previous secret.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    /// Since when every delivery to it has failed (null once one succeeds); Latch disables an
    /// endpoint that keeps failing for days.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookEndpoint> for WebhookOut {
    fn from(endpoint: WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id,
            url: endpoint.url,
            description: endpoint.description,
            events: endpoint.events,
            enabled: endpoint.enabled,
            disabled_reason: endpoint.disabled_reason,
            previous_secret_valid_until: endpoint.previous_secret_until,
            failing_since: endpoint.failing_since,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// An endpoint with its secret (`whsec_...`): shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecretOut {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    pub secret: String,
}

impl From<CreatedWebhook> for WebhookWithSecretOut {
    fn from(created: CreatedWebhook) -> Self {
        Self {
            webhook: created.endpoint.into(),
            secret: created.secret,
        }
    }
}

/// An endpoint's fields; on creation `url` is required, `events` defaults to `["*"]` and `enabled`
/// to true.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WebhookIn {
    /// https (http and private addresses only where `webhook_allow_private` is set).
    pub url: Option<String>,
    pub description: Option<String>,
    /// Event names (`license.activated`), prefix patterns (`license.*`) or `*`.
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl From<WebhookIn> for WebhookSpec {
    fn from(body: WebhookIn) -> Self {
        Self {
            url: body.url,
            description: body.description,
            events: body.events,
            enabled: body.enabled,
        }
    }
}

/// One event for one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: i64,
    /// The event's id: the `webhook-id` header and the envelope's `id` on every attempt.
    pub event_id: String,
    pub event: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: &'static str,
    pub attempts: i64,
    /// When the next attempt is due, for pending deliveries.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's status, null when there was none.
    pub last_status: Option<i64>,
    /// The last answer's first 2 KB.
    pub last_response: Option<String>,
    /// Why the last attempt had no answer (timeout, refused address, ...).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<WebhookDelivery> for DeliveryOut {
    fn from(delivery: WebhookDelivery) -> Self {
        let pending = delivery.status == latch_service::model::DeliveryStatus::Pending;
        Self {
            id: delivery.id,
            event_id: delivery.event_id,
            event: delivery.event,
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            next_attempt_at: pending.then_some(delivery.next_attempt_at),
            last_attempt_at: delivery.last_attempt_at,
            last_status: delivery.last_status,
            last_response: delivery.last_response,
            last_error: delivery.last_error,
            created_at: delivery.created_at,
            completed_at: delivery.completed_at,
        }
    }
}

/// One attempt: when, and the answer or why there was none.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub response_status: Option<i64>,
    /// The answer's first 2 KB.
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl From<WebhookAttempt> for AttemptOut {
    fn from(attempt: WebhookAttempt) -> Self {
        Self {
            attempted_at: attempt.attempted_at,
            duration_ms: attempt.duration_ms,
            response_status: attempt.response_status,
            response_body: attempt.response_body,
            error: attempt.error,
        }
    }
}

/// A delivery with the body every attempt sent and each attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetailOut {
    #[serde(flatten)]
    pub delivery: DeliveryOut,
    /// The JSON body sent (the same on every attempt); null before the first.
    pub body: Option<String>,
    pub attempt_log: Vec<AttemptOut>,
}

/// The company's webhook endpoints, newest first.
#[utoipa::path(get, path = "/webhooks/", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookOut>), Reads))]
async fn list_webhooks(
    State(state): State<AppState>,
    access: ManagementAccess,
) -> Result<JsonAnswer<Vec<WebhookOut>>, ManagementError> {
    let endpoints = access.tenant(&state).await?.webhooks().await?;
    Ok(JsonAnswer(endpoints.into_iter().map(Into::into).collect()))
}

/// Creates an endpoint; the answer carries its secret, shown this once.
#[utoipa::path(post, path = "/webhooks/", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, body = WebhookWithSecretOut), Writes))]
async fn create_webhook(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<WebhookIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let created = access
        .tenant(&state)
        .await?
        .create_webhook(body.into(), state.webhook_targets)
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(WebhookWithSecretOut::from(created)),
    ))
}

/// One endpoint.
#[utoipa::path(get, path = "/webhooks/{id}/", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookOut), Reads))]
async fn webhook(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<WebhookOut>, ManagementError> {
    let endpoint = access.tenant(&state).await?.webhook(id).await?;
    Ok(JsonAnswer(endpoint.into()))
}

/// Changes the fields given. Enabling an endpoint Latch disabled sends its pending deliveries.
#[utoipa::path(patch, path = "/webhooks/{id}/", tag = "webhooks", request_body = WebhookIn,
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookOut), Writes))]
async fn update_webhook(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<WebhookIn>,
) -> Result<JsonAnswer<WebhookOut>, ManagementError> {
    let endpoint = access
        .tenant(&state)
        .await?
        .update_webhook(id, body.into(), state.webhook_targets)
        .await?;
    Ok(JsonAnswer(endpoint.into()))
}

/// Deletes an endpoint and its deliveries.
#[utoipa::path(delete, path = "/webhooks/{id}/", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_webhook(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access.tenant(&state).await?.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the endpoint a new secret, shown this once. The previous one stays valid for 24 hours:
/// until then deliveries carry a signature by each.
#[utoipa::path(post, path = "/webhooks/{id}/rotate_secret/", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = WebhookWithSecretOut), Writes))]
async fn rotate_secret(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<WebhookWithSecretOut>, ManagementError> {
    let rotated = access
        .tenant(&state)
        .await?
        .rotate_webhook_secret(id)
        .await?;
    Ok(JsonAnswer(rotated.into()))
}

/// The endpoint's deliveries, newest first: status, attempts and the last answer. Filter by
/// `status`, `event`, `license`, `created_at`...
#[utoipa::path(get, path = "/webhooks/{id}/deliveries/", tag = "webhooks",
    params(("id" = i64, Path, description = "The endpoint's id")),
    responses((status = 200, body = Paginated<DeliveryOut>), Reads))]
async fn list_deliveries(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    request: ListRequest<Deliveries>,
) -> Result<JsonAnswer<Paginated<DeliveryOut>>, ManagementError> {
    let deliveries = access
        .tenant(&state)
        .await?
        .webhook_deliveries(id, &request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(deliveries, DeliveryOut::from)))
}

/// One delivery with the body sent and every attempt.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries/{delivery_id}/", tag = "webhooks",
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id"),
    ),
    responses((status = 200, body = DeliveryDetailOut), Reads))]
async fn delivery(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path((id, delivery_id)): Path<(i64, i64)>,
) -> Result<JsonAnswer<DeliveryDetailOut>, ManagementError> {
    let (delivery, attempts) = access
        .tenant(&state)
        .await?
        .webhook_delivery(id, delivery_id)
        .await?;
    Ok(JsonAnswer(DeliveryDetailOut {
        body: delivery.body.clone(),
        delivery: delivery.into(),
        attempt_log: attempts.into_iter().map(Into::into).collect(),
    }))
}

/// Sends the delivery again now (one more attempt), whatever its status; it waits while its
/// endpoint is disabled.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/retry/", tag = "webhooks",
    params(
        ("id" = i64, Path, description = "The endpoint's id"),
        ("delivery_id" = i64, Path, description = "The delivery's id"),
    ),
    responses((status = 200, body = DeliveryOut), Writes))]
async fn retry_delivery(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path((id, delivery_id)): Path<(i64, i64)>,
) -> Result<JsonAnswer<DeliveryOut>, ManagementError> {
    let delivery = access
        .tenant(&state)
        .await?
        .retry_webhook_delivery(id, delivery_id)
        .await?;
    Ok(JsonAnswer(delivery.into()))
}
