//! The event log: `/api/v1/events/`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use latch_service::model::{Actor, CheckCount, Event, RefusalCount};
use latch_service::query::fields::{CHECK_COUNT_FIELDS, EVENT_FIELDS, REFUSAL_COUNT_FIELDS};
use latch_service::query::Field;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::JsonAnswer;
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::Reads;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(list_check_counts))
        .routes(routes!(list_refusal_counts))
}

pub struct Events;

pub struct CheckCounts;

impl ListSpec for CheckCounts {
    const FIELDS: &'static [Field] = CHECK_COUNT_FIELDS;
}

/// How many times a license was checked in one hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckCountOut {
    pub license: i64,
    /// The hour's first moment.
    pub hour: DateTime<Utc>,
    pub checks: i64,
}

impl From<CheckCount> for CheckCountOut {
    fn from(count: CheckCount) -> Self {
        Self {
            license: count.license_id.get(),
            hour: count.hour,
            checks: count.checks,
        }
    }
}

pub struct RefusalCounts;

impl ListSpec for RefusalCounts {
    const FIELDS: &'static [Field] = REFUSAL_COUNT_FIELDS;
}

/// How many License API requests were refused with one code in one hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalCountOut {
    /// The hour's first moment.
    pub hour: DateTime<Utc>,
    /// The refusal's `code`, e.g. `license_not_found`.
    pub code: String,
    pub refusals: i64,
}

impl From<RefusalCount> for RefusalCountOut {
    fn from(count: RefusalCount) -> Self {
        Self {
            hour: count.hour,
            code: count.code,
            refusals: count.refusals,
        }
    }
}

impl ListSpec for Events {
    const FIELDS: &'static [Field] = EVENT_FIELDS;
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorOut {
    /// `management_key`, `cli`, `device` or `staff`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The key's, device's or staff member's id; null for the CLI.
    pub id: Option<i64>,
}

impl From<&Actor> for ActorOut {
    fn from(actor: &Actor) -> Self {
        Self {
            kind: actor.kind(),
            id: actor.id().and_then(|id| id.parse().ok()),
        }
    }
}

/// One recorded change.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// A UUID; deliveries of the event carry it as their id.
    pub id: String,
    /// E.g. `license.created`, `license.activated`.
    pub event: String,
    pub ts: DateTime<Utc>,
    pub actor: ActorOut,
    pub license: Option<i64>,
    pub customer: Option<i64>,
    pub device: Option<i64>,
    pub product: Option<i64>,
    pub order: Option<i64>,
    pub license_user: Option<i64>,
    /// What changed.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for EventOut {
    fn from(event: Event) -> Self {
        let subjects = &event.subjects;
        Self {
            actor: (&event.actor).into(),
            license: subjects.license_id.map(|id| id.get()),
            customer: subjects.customer_id.map(|id| id.get()),
            device: subjects.device_id.map(|id| id.get()),
            product: subjects.product_id.map(|id| id.get()),
            order: subjects.order_id,
            license_user: subjects.license_user_id.map(|id| id.get()),
            data: serde_json::from_str(&event.data).unwrap_or_default(),
            id: event.id,
            event: event.event,
            ts: event.ts,
        }
    }
}

/// The company's events, newest first: filter by `license`, `customer`, `event` (`event__in` too),
/// `ts__gte`/`ts__lte` and the other documented fields.
#[utoipa::path(get, path = "/events/", tag = "events",
    responses((status = 200, body = Paginated<EventOut>), Reads))]
async fn list_events(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<Events>,
) -> Result<JsonAnswer<Paginated<EventOut>>, ManagementError> {
    let events = access
        .tenant(&state)
        .await?
        .events(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(events, EventOut::from)))
}

/// Checks (`license.checked`) counted per license and hour rather than logged one by one: filter
/// by `license` and `hour` (`hour__gte`, `hour__lt`...). Counts reach storage with the write-behind
/// batch, within about a second.
#[utoipa::path(get, path = "/events/checks/", tag = "events",
    responses((status = 200, body = Paginated<CheckCountOut>), Reads))]
async fn list_check_counts(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<CheckCounts>,
) -> Result<JsonAnswer<Paginated<CheckCountOut>>, ManagementError> {
    let counts = access
        .tenant(&state)
        .await?
        .check_counts(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(counts, CheckCountOut::from)))
}

/// License API refusals of authenticated requests counted per code and hour: filter by `code` and
/// `hour` (`hour__gte`, `hour__lt`...). Counts reach storage with the write-behind batch, within
/// about a second.
#[utoipa::path(get, path = "/events/refusals/", tag = "events",
    responses((status = 200, body = Paginated<RefusalCountOut>), Reads))]
async fn list_refusal_counts(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<RefusalCounts>,
) -> Result<JsonAnswer<Paginated<RefusalCountOut>>, ManagementError> {
    let counts = access
        .tenant(&state)
        .await?
        .refusal_counts(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(counts, RefusalCountOut::from)))
}
