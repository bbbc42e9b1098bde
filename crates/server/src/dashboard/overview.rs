//! The overview: active devices, activations and checks per day (bars drawn as SVG on the server),
//! licenses whose validity ends within 30 days, and the License API's recent refusals by code.

use axum::extract::{Query, State};
use chrono::{Duration, Utc};
use latch_service::query::fields::{DEVICE_FIELDS, LICENSE_FIELDS};
use latch_service::query::{ListQuery, Lookup, Value};
use latch_service::{DailyActivity, Page};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::DashboardResult;
use super::licenses::field;
use super::page::{empty, page, when};
use super::session::Signed;
use crate::state::AppState;

/// The days the refusals table covers.
const REFUSAL_DAYS: i64 = 7;

#[derive(Debug, Deserialize)]
pub struct Period {
    days: Option<u32>,
}

/// Bars of one count per day, scaled to the largest.
fn chart(title: &str, activity: &DailyActivity, counts: &[i64]) -> Markup {
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    let width = 8;
    let height = 80;
    let total: i64 = counts.iter().sum();
    html! {
        figure.chart {
            figcaption { (title) ": " strong { (total) } }
            svg viewBox={ "0 0 " (counts.len() * width) " " (height) } preserveAspectRatio="none" role="img" aria-label={ (title) " per day" } {
                @for (index, (count, day)) in counts.iter().zip(&activity.days).enumerate() {
                    @let bar = count * height as i64 / most;
                    rect x=(index * width) y=(height as i64 - bar) width=(width - 2) height=(bar) {
                        title { (day) ": " (count) }
                    }
                }
            }
        }
    }
}

/// `GET /dashboard/`.
pub async fn overview(
    State(state): State<AppState>,
    signed: Signed,
    Query(period): Query<Period>,
) -> DashboardResult<Markup> {
    let days = if period.days == Some(90) { 90 } else { 30 };
    let tenant = signed.tenant(&state).await?;
    let activity = tenant.daily_activity(days).await?;
    let one = Page {
        limit: 1,
        offset: 0,
    };
    let active_devices = tenant
        .devices_matching(
            &ListQuery::default().with(
                field(DEVICE_FIELDS, "device_active")?,
                Lookup::Exact,
                Value::Bool(true),
            ),
            one,
        )
        .await?
        .total;
    let now = Utc::now();
    let validity = field(LICENSE_FIELDS, "validity_period")?;
    let expiring = tenant
        .license_records(
            &ListQuery::default()
                .with(
                    field(LICENSE_FIELDS, "enabled")?,
                    Lookup::Exact,
                    Value::Bool(true),
                )
                .with(validity, Lookup::Gte, Value::Int(now.timestamp_millis()))
                .with(
                    validity,
                    Lookup::Lte,
                    Value::Int((now + Duration::days(30)).timestamp_millis()),
                ),
            Page {
                limit: 10,
                offset: 0,
            },
        )
        .await?;
    let refusals = tenant.recent_refusals(REFUSAL_DAYS).await?;
    let body = html! {
        h1 { "Overview" }
        p.period {
            "Last "
            @for choice in [30, 90] {
                @if choice == days { strong { (choice) " days" } } @else { a href={ "/dashboard/?days=" (choice) } { (choice) " days" } }
                " "
            }
        }
        section.grid {
            div.card.metric { span { "Active devices" } strong { (active_devices) } }
            div.card.metric { span { "Licenses expiring in 30 days" } strong { (expiring.total) } }
        }
        section.grid {
            (chart("Activations", &activity, &activity.activations))
            (chart("Checks", &activity, &activity.checks))
        }
        h2 { "Expiring in the next 30 days" }
        @if expiring.items.is_empty() { (empty("No enabled license expires in the next 30 days.")) } @else {
            table { thead { tr { th { "Key" } th { "Product" } th { "Customer" } th { "Valid until" } } }
                tbody { @for record in &expiring.items { tr {
                    td { a href={ "/dashboard/licenses/" (record.license.id) } { code { (record.license.license_key.as_deref().unwrap_or("user-based")) } } }
                    td { (record.product.name) }
                    td { (record.customer.as_ref().map_or("—", |c| c.email.as_str())) }
                    td { (when(record.license.validity_period)) }
                } } } }
        }
        h2 { "Refusals in the last " (REFUSAL_DAYS) " days by code" }
        @if refusals.is_empty() { (empty(&format!("No License API request was refused in the last {REFUSAL_DAYS} days."))) } @else {
            table #refusals { thead { tr { th { "Code" } th { "Count" } th { "Last seen (hour, UTC)" } } }
                tbody { @for refusal in &refusals { tr {
                    td { code { (refusal.code) } }
                    td { (refusal.refusals) }
                    td { (when(Some(refusal.last_hour))) }
                } } } }
        }
    };
    Ok(page(&signed, "/dashboard/", "Overview", body))
}
