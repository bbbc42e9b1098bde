//! Webhooks: the company's endpoints and each one's delivery log. Everyone reads them; admins add,
//! enable, disable, re-key and delete endpoints (a signing secret is shown once, when made); support
//! and admins send a delivery again. Each action is the service call the Management API makes.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use latch_service::model::{DeliveryStatus, StaffRole, WebhookDelivery, WebhookEndpoint};
use latch_service::query::ListQuery;
use latch_service::{CreatedWebhook, Tenant, WebhookSpec, WEBHOOK_EVENT_CHOICES};
use maud::{html, Markup};

use super::error::{DashboardError, DashboardResult};
use super::licenses::{path_id, Noticed};
use super::lists::Filters;
use super::page::{action_button, csrf_field, empty, notice, page, pager, when};
use super::products::{refusal, refusal_of, shown, shown_again, Fields, Refused};
use super::session::{Action, Form, Signed};
use crate::state::AppState;

const LIST: &str = "/dashboard/webhooks";

/// `GET /dashboard/webhooks`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let tenant = signed.tenant(&state).await?;
    webhooks_page(&signed, &tenant, noticed.notice(), None).await
}

async fn webhooks_page(
    signed: &Signed,
    tenant: &Tenant<'_>,
    noticed: Option<&str>,
    refused: Option<&Refused<'_>>,
) -> DashboardResult<Markup> {
    let endpoints = tenant.webhooks().await?;
    let admin = signed.staff.role >= StaffRole::Admin;
    let defaults = Form::from_pairs([("events", "*".to_owned())]);
    let fields = Fields {
        form: "webhook",
        values: shown(refused, "webhook", &defaults),
    };
    let body = html! {
        h1 { "Webhooks" }
        (notice(noticed))
        @if endpoints.is_empty() {
            (empty(if admin { "No endpoints yet. Add one below: the company's events are then sent to it, signed." } else { "No endpoints yet. An admin adds them." }))
        } @else {
            table { thead { tr { th { "URL" } th { "Events" } th { "State" } th { "Failing since" } th { "Created" } @if admin { th { "Actions" } } } }
                tbody { @for endpoint in &endpoints { tr {
                    td { a href={ (LIST) "/" (endpoint.id) } { (endpoint.url) }
                        @if !endpoint.description.is_empty() { br; small { (endpoint.description) } } }
                    td { @for event in &endpoint.events { code { (event) } " " } }
                    td { (state_of(endpoint)) }
                    td { (when(endpoint.failing_since)) }
                    td { (when(Some(endpoint.created_at))) }
                    @if admin { td { (endpoint_actions(signed, endpoint)) } }
                } } } }
        }
        @if admin {
            h2 { "Add an endpoint" }
            (refusal(refused, "webhook"))
            form.card.fields method="post" action=(LIST) {
                (csrf_field(signed))
                (fields.input("url", "URL (https)", "url", true))
                (fields.input("description", "Description", "text", false))
                fieldset {
                    legend { "Events" }
                    @for choice in WEBHOOK_EVENT_CHOICES {
                        label.check { input type="checkbox" name="events" value=(choice) checked[fields.values.all("events").any(|v| v == *choice)]; " " code { (choice) } }
                    }
                }
                button type="submit" { "Add endpoint" }
            }
        }
    };
    Ok(page(signed, LIST, "Webhooks", body))
}

/// Enabled, or disabled with Latch's reason when it did.
fn state_of(endpoint: &WebhookEndpoint) -> String {
    match (endpoint.enabled, endpoint.disabled_reason.as_deref()) {
        (true, _) => "enabled".to_owned(),
        (false, Some(reason)) => format!("disabled by Latch ({reason})"),
        (false, None) => "disabled".to_owned(),
    }
}

fn endpoint_actions(signed: &Signed, endpoint: &WebhookEndpoint) -> Markup {
    let base = format!("{LIST}/{}", endpoint.id);
    html! {
        @if endpoint.enabled {
            (action_button(signed, &format!("{base}/disable"), "Disable", None))
        } @else {
            (action_button(signed, &format!("{base}/enable"), "Enable", None))
        }
        (action_button(signed, &format!("{base}/rotate"), "Rotate secret", Some("Make a new signing secret? The current one keeps signing for 24 hours.")))
        (action_button(signed, &format!("{base}/delete"), "Delete", Some("Delete this endpoint and its delivery log?")))
    }
}

/// `POST /dashboard/webhooks`: the new endpoint with its secret, shown once; a refused form comes
/// back as it was filled in.
pub async fn create(State(state): State<AppState>, action: Action) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    let fields = &action.fields;
    let spec = WebhookSpec {
        url: Some(fields.text("url").to_owned()),
        description: Some(fields.text("description").to_owned()),
        events: Some(fields.all("events").map(str::to_owned).collect()),
        enabled: None,
    };
    let outcome = tenant
        .create_webhook(spec, state.webhook_targets)
        .await
        .map(|created| {
            secret_page(&action.signed, "New webhook endpoint", &created).into_response()
        })
        .map_err(DashboardError::from);
    match refusal_of(outcome, "webhook", fields)? {
        Ok(shown) => Ok(shown),
        Err(refused) => {
            shown_again(webhooks_page(&action.signed, &tenant, None, Some(&refused)).await?)
        }
    }
}

/// A just-made signing secret, shown this once.
fn secret_page(signed: &Signed, title: &str, created: &CreatedWebhook) -> Markup {
    let body = html! {
        h1 { (title) }
        p.notice role="status" { "Copy the signing secret now: it is not shown again. Receivers verify each delivery's signature with it." }
        dl.card {
            dt { "URL" } dd { (created.endpoint.url) }
            dt { "Signing secret" } dd { code.secret { (created.secret) } }
        }
        p { a href={ (LIST) "/" (created.endpoint.id) } { "The endpoint's delivery log" } " · " a href=(LIST) { "Back to webhooks" } }
    };
    page(signed, LIST, title, body)
}

/// `POST /dashboard/webhooks/{id}/{action}`: enable, disable, rotate (the new secret, shown once)
/// or delete.
pub async fn act(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let id = path_id(&id)?;
    let tenant = action.signed.tenant(&state).await?;
    let done = match name.as_str() {
        "enable" | "disable" => {
            let enabled = name == "enable";
            let spec = WebhookSpec {
                enabled: Some(enabled),
                ..WebhookSpec::default()
            };
            tenant
                .update_webhook(id, spec, state.webhook_targets)
                .await?;
            if enabled {
                "webhook-enabled"
            } else {
                "webhook-disabled"
            }
        }
        "rotate" => {
            let rotated = tenant.rotate_webhook_secret(id).await?;
            return Ok(secret_page(&action.signed, "New signing secret", &rotated).into_response());
        }
        "delete" => {
            tenant.delete_webhook(id).await?;
            "webhook-deleted"
        }
        _ => return Err(DashboardError::NotFound),
    };
    Ok(Redirect::to(&format!("{LIST}?notice={done}")).into_response())
}

/// `GET /dashboard/webhooks/{id}`: the endpoint and its deliveries, newest first.
pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let id = path_id(&id)?;
    let tenant = signed.tenant(&state).await?;
    let endpoint = tenant.webhook(id).await?;
    let deliveries = tenant
        .webhook_deliveries(id, &ListQuery::default(), filters.page())
        .await?;
    let support = signed.staff.role >= StaffRole::Support;
    let base = format!("{LIST}/{id}");
    let body = html! {
        p.crumbs { a href=(LIST) { "Webhooks" } " / " }
        h1 { (endpoint.url) }
        dl.card {
            dt { "Description" } dd { (if endpoint.description.is_empty() { "—" } else { &endpoint.description }) }
            dt { "Events" } dd { @for event in &endpoint.events { code { (event) } " " } }
            dt { "State" } dd { (state_of(&endpoint)) }
            dt { "Failing since" } dd { (when(endpoint.failing_since)) }
        }
        h2 { "Deliveries" }
        @if deliveries.items.is_empty() { (empty("No deliveries yet. Each event the endpoint subscribes to is delivered and listed here.")) } @else {
            table { thead { tr { th { "Event" } th { "Created" } th { "Attempts" } th { "Status" } th { "Response" } th { "Next retry" } @if support { th { "Actions" } } } }
                tbody { @for delivery in &deliveries.items { tr {
                    td { a href={ (base) "/deliveries/" (delivery.id) } { code { (delivery.event) } } }
                    td { (when(Some(delivery.created_at))) }
                    td { (delivery.attempts) }
                    td { (delivery.status.as_str()) }
                    td { (answer(delivery)) }
                    td { (when(next_retry(delivery))) }
                    @if support { td { (retry_button(&signed, delivery)) } }
                } } } }
        }
        (pager(&base, &[], filters.offset(), deliveries.total))
    };
    Ok(page(&signed, LIST, "Webhook deliveries", body))
}

/// The last answer's HTTP status, or why there was none.
fn answer(delivery: &WebhookDelivery) -> String {
    match (delivery.last_status, &delivery.last_error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "—".to_owned(),
    }
}

/// When a pending delivery is tried next.
fn next_retry(delivery: &WebhookDelivery) -> Option<chrono::DateTime<chrono::Utc>> {
    (delivery.status == DeliveryStatus::Pending).then_some(delivery.next_attempt_at)
}

fn retry_button(signed: &Signed, delivery: &WebhookDelivery) -> Markup {
    let path = format!(
        "{LIST}/{}/deliveries/{}/retry",
        delivery.endpoint_id, delivery.id
    );
    action_button(signed, &path, "Retry", None)
}

/// `GET /dashboard/webhooks/{id}/deliveries/{delivery_id}`: the body sent and every attempt's
/// answer, as stored.
pub async fn delivery(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, delivery_id)): Path<(String, String)>,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let (id, delivery_id) = (path_id(&id)?, path_id(&delivery_id)?);
    let tenant = signed.tenant(&state).await?;
    let endpoint = tenant.webhook(id).await?;
    let (delivery, attempts) = tenant.webhook_delivery(id, delivery_id).await?;
    let body = html! {
        p.crumbs { a href=(LIST) { "Webhooks" } " / " a href={ (LIST) "/" (id) } { (endpoint.url) } " / " }
        h1 { "Delivery of " code { (delivery.event) } }
        (notice(noticed.notice()))
        dl.card {
            dt { "Event id" } dd { code { (delivery.event_id) } }
            dt { "Created" } dd { (when(Some(delivery.created_at))) }
            dt { "Status" } dd { (delivery.status.as_str()) }
            dt { "Attempts" } dd { (delivery.attempts) }
            dt { "Next retry" } dd { (when(next_retry(&delivery))) }
        }
        @if signed.staff.role >= StaffRole::Support { p { (retry_button(&signed, &delivery)) } }
        h2 { "Request body" }
        @match &delivery.body {
            Some(sent) => pre.card.sent { (sent) },
            None => (empty("Not sent yet: the body is fixed by the first attempt.")),
        }
        h2 { "Attempts" }
        @if attempts.is_empty() { (empty("No attempt yet.")) } @else {
            table { thead { tr { th { "When" } th { "Took" } th { "HTTP status" } th { "Response (first 2 KB)" } th { "Error" } } }
                tbody { @for attempt in &attempts { tr {
                    td { (when(Some(attempt.attempted_at))) }
                    td { (attempt.duration_ms) " ms" }
                    td { (attempt.response_status.map_or_else(|| "—".to_owned(), |status| status.to_string())) }
                    td { @match attempt.response_body.as_deref().filter(|body| !body.is_empty()) {
                        Some(response) => pre.sent { (response) },
                        None => "—",
                    } }
                    td { (attempt.error.as_deref().unwrap_or("—")) }
                } } } }
        }
    };
    Ok(page(&signed, LIST, "Webhook delivery", body))
}

/// `POST /dashboard/webhooks/{id}/deliveries/{delivery_id}/retry`: one more attempt, now.
pub async fn retry(
    State(state): State<AppState>,
    Path((id, delivery_id)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Support)?;
    let (id, delivery_id) = (path_id(&id)?, path_id(&delivery_id)?);
    action
        .signed
        .tenant(&state)
        .await?
        .retry_webhook_delivery(id, delivery_id)
        .await?;
    Ok(Redirect::to(&format!(
        "{LIST}/{id}/deliveries/{delivery_id}?notice=retried"
    )))
}
