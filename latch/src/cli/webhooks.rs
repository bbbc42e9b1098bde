//! `latch webhook ...`: endpoints the company's events are delivered to, and their deliveries.

use clap::Subcommand;
use latch_service::config::WebhookSettings;
use latch_service::model::{WebhookDelivery, WebhookEndpoint};
use latch_service::query::fields::WEBHOOK_DELIVERY_FIELDS;
use latch_service::query::{find_field, ListQuery, Lookup, Value as QueryValue};
use latch_service::{Service, ServiceResult, WebhookSpec, WebhookTargets};
use serde_json::{json, Value};

use super::{listing, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Create an endpoint (its secret is shown only now).
    Create {
        #[command(flatten)]
        company: CompanyArg,
        /// Where events are POSTed: https (http and private addresses only with
        /// webhook_allow_private).
        #[arg(long)]
        url: String,
        /// Events to deliver, comma-separated: names (license.activated), patterns (license.*) or
        /// * for all (the default).
        #[arg(long)]
        events: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// List a company's endpoints (never their secrets).
    List(CompanyArg),
    /// Delete an endpoint and its deliveries.
    Delete(EndpointArgs),
    /// Give an endpoint a new secret (shown only now); the old one signs too for 24 hours.
    #[command(name = "rotate-secret")]
    RotateSecret(EndpointArgs),
    /// An endpoint's deliveries, newest first: status, attempts and the last answer.
    Deliveries {
        #[command(flatten)]
        endpoint: EndpointArgs,
        /// Only deliveries in this status.
        #[arg(long, value_parser = ["pending", "succeeded", "failed"])]
        status: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Which endpoint a command works on.
#[derive(Debug, clap::Args)]
pub struct EndpointArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The endpoint's id (as printed by `webhook create`).
    #[arg(long)]
    id: i64,
}

pub async fn webhook(
    service: &Service,
    settings: &WebhookSettings,
    command: WebhookCommand,
) -> ServiceResult<Value> {
    let targets = WebhookTargets {
        allow_private: settings.allow_private,
    };
    match command {
        WebhookCommand::Create {
            company,
            url,
            events,
            description,
        } => {
            let spec = WebhookSpec {
                url: Some(url),
                description,
                events: events.map(|list| list.split(',').map(|e| e.trim().to_owned()).collect()),
                enabled: Some(true),
            };
            let created = service
                .tenant(company.id())
                .await?
                .create_webhook(spec, targets)
                .await?;
            Ok(json!({"id": created.endpoint.id, "secret": created.secret}))
        }
        WebhookCommand::List(company) => {
            let endpoints = service.tenant(company.id()).await?.webhooks().await?;
            let listed: Vec<Value> = endpoints.iter().map(endpoint_json).collect();
            Ok(json!({"company_id": company.company, "webhooks": listed}))
        }
        WebhookCommand::Delete(endpoint) => {
            service
                .tenant(endpoint.company.id())
                .await?
                .delete_webhook(endpoint.id)
                .await?;
            Ok(json!({"deleted": endpoint.id}))
        }
        WebhookCommand::RotateSecret(endpoint) => {
            let rotated = service
                .tenant(endpoint.company.id())
                .await?
                .rotate_webhook_secret(endpoint.id)
                .await?;
            Ok(json!({
                "id": rotated.endpoint.id,
                "secret": rotated.secret,
                "previous_secret_valid_until": rotated.endpoint.previous_secret_until,
            }))
        }
        WebhookCommand::Deliveries {
            endpoint,
            status,
            page,
        } => {
            let mut query = ListQuery::default();
            if let Some(status) = status {
                let field = find_field(WEBHOOK_DELIVERY_FIELDS, "status")
                    .expect("deliveries have a status");
                query = query.with(field, Lookup::Exact, QueryValue::Text(status));
            }
            let deliveries = service
                .tenant(endpoint.company.id())
                .await?
                .webhook_deliveries(endpoint.id, &query, page.page())
                .await?;
            Ok(listing("deliveries", deliveries, &page, delivery_json))
        }
    }
}

fn endpoint_json(endpoint: &WebhookEndpoint) -> Value {
    json!({
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_valid_until": endpoint.previous_secret_until,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
    })
}

fn delivery_json(delivery: &WebhookDelivery) -> Value {
    json!({
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event": delivery.event,
        "status": delivery.status.as_str(),
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "last_response": delivery.last_response,
        "completed_at": delivery.completed_at,
    })
}
