//! `latch management-key ...` and `latch events`.

use clap::Subcommand;
use latch_service::model::{Event, ManagementKey};
use latch_service::query::fields::EVENT_FIELDS;
use latch_service::query::{find_field, ListQuery, Lookup, Value as QueryValue};
use latch_service::{Service, ServiceResult};
use serde_json::{json, Value};

use super::{listing, CompanyArg, PageArgs};

#[derive(Debug, Subcommand)]
pub enum ManagementKeyCommand {
    /// Create a key to the Management API (the key is shown only now).
    Create {
        #[command(flatten)]
        company: CompanyArg,
        /// The key may read but not change anything.
        #[arg(long)]
        read_only: bool,
    },
    /// List a company's management keys (their prefixes, never the keys).
    List(CompanyArg),
    /// Revoke a management key.
    Revoke {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
}

/// `latch events`: the company's event log, newest first.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// Only events about this license id.
    #[arg(long)]
    license: Option<i64>,
    /// Only events about this customer id.
    #[arg(long)]
    customer: Option<i64>,
    /// Only events of these names, comma-separated (e.g. `license.created,license.reset`).
    #[arg(long)]
    event: Option<String>,
    #[command(flatten)]
    page: PageArgs,
}

pub async fn management_key(
    service: &Service,
    command: ManagementKeyCommand,
) -> ServiceResult<Value> {
    match command {
        ManagementKeyCommand::Create { company, read_only } => {
            let created = service
                .tenant(company.id())
                .await?
                .create_management_key(read_only)
                .await?;
            let mut shown = management_key_json(&created.key);
            shown["key"] = created.secret.into();
            Ok(shown)
        }
        ManagementKeyCommand::List(company) => {
            let keys = service
                .tenant(company.id())
                .await?
                .management_keys()
                .await?;
            let listed: Vec<Value> = keys.iter().map(management_key_json).collect();
            Ok(json!({"company_id": company.company, "management_keys": listed}))
        }
        ManagementKeyCommand::Revoke { key } => {
            let revoked = service.revoke_management_key(&key).await?;
            Ok(management_key_json(&revoked))
        }
    }
}

pub async fn events(service: &Service, args: EventsArgs) -> ServiceResult<Value> {
    let field = |name| find_field(EVENT_FIELDS, name).expect("the event log has this field");
    let mut query = ListQuery::default();
    if let Some(license) = args.license {
        query = query.with(field("license"), Lookup::Exact, QueryValue::Int(license));
    }
    if let Some(customer) = args.customer {
        query = query.with(field("customer"), Lookup::Exact, QueryValue::Int(customer));
    }
    if let Some(names) = &args.event {
        let names = names
            .split(',')
            .map(|name| QueryValue::Text(name.trim().to_owned()))
            .collect();
        query = query.with(field("event"), Lookup::In, QueryValue::List(names));
    }
    let events = service
        .tenant(args.company.id())
        .await?
        .events(&query, args.page.page())
        .await?;
    Ok(listing("events", events, &args.page, event_json))
}

fn management_key_json(key: &ManagementKey) -> Value {
    json!({
        "id": key.id,
        "company_id": key.company_id,
        "prefix": key.prefix,
        "read_only": key.read_only,
        "revoked": key.revoked,
        "created_at": key.created_at,
    })
}

fn event_json(event: &Event) -> Value {
    let subjects = &event.subjects;
    json!({
        "id": event.id,
        "event": event.event,
        "ts": event.ts,
        "actor": {"type": event.actor.kind(), "id": event.actor.id()},
        "license": subjects.license_id,
        "customer": subjects.customer_id,
        "device": subjects.device_id,
        "product": subjects.product_id,
        "order": subjects.order_id,
        "license_user": subjects.license_user_id,
        "data": serde_json::from_str::<Value>(&event.data).unwrap_or_default(),
    })
}
