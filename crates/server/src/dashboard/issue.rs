//! Issuing licenses: an order form placed as one order (the Management API's `create_order`, in one
//! transaction), the new keys shown, and the order's keys as CSV.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use latch_service::keys::generate_license_key;
use latch_service::model::{CustomerChanges, StaffRole};
use latch_service::{LicenseTerms, OrderItemSpec, OrderLicenseSpec, OrderSpec, Page};
use maud::{html, Markup};

use super::error::{DashboardError, DashboardResult};
use super::page::{csrf_field, page};
use super::session::{Action, Signed};
use crate::state::AppState;

/// Most licenses one order form issues.
const MAX_COUNT: i64 = 1000;

const LICENSE_TYPES: [(&str, &str); 4] = [
    ("perpetual", "Perpetual"),
    ("time-limited", "Time-limited"),
    ("subscription", "Subscription"),
    ("consumption", "Consumption"),
];

/// `GET /dashboard/issue`.
pub async fn form(State(state): State<AppState>, signed: Signed) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let products = signed
        .tenant(&state)
        .await?
        .products(Page {
            limit: 200,
            offset: 0,
        })
        .await?;
    let body = html! {
        h1 { "Issue licenses" }
        @if products.items.is_empty() {
            p.empty { "Create a product first (`latch product create` or the Management API)." }
        } @else {
            form.card method="post" action="/dashboard/issue" {
                (csrf_field(&signed))
                label for="product" { "Product" }
                select #product name="product" required {
                    @for product in &products.items {
                        option value=(product.code) { (product.name) " (" (product.code) ")" }
                    }
                }
                label for="customer" { "Customer email" }
                input #customer type="email" name="customer" placeholder="Optional";
                label for="license_type" { "License type" }
                select #license_type name="license_type" {
                    @for (value, label) in LICENSE_TYPES { option value=(value) { (label) } }
                }
                label for="valid_until" { "Valid until" }
                input #valid_until type="date" name="valid_until";
                label for="max_activations" { "Max activations" }
                input #max_activations type="number" min="0" name="max_activations" value="1";
                label for="max_consumptions" { "Max consumptions" }
                input #max_consumptions type="number" min="0" name="max_consumptions" placeholder="Consumption licenses";
                label for="floating_users" { "Floating seats" }
                input #floating_users type="number" min="0" name="floating_users" placeholder="Leave empty for node-locked";
                label for="count" { "Count" }
                input #count type="number" min="1" max=(MAX_COUNT) name="count" value="1";
                label for="keys" { "Pasted keys (optional, one per line, used instead of generated ones)" }
                textarea #keys name="keys" rows="4" {}
                button type="submit" { "Issue licenses" }
            }
        }
    };
    Ok(page(&signed, "/dashboard/issue", "Issue licenses", body))
}

/// `POST /dashboard/issue`: the order, then the page of its new keys.
pub async fn submit(State(state): State<AppState>, action: Action) -> DashboardResult<Markup> {
    action.signed.require(StaffRole::Admin)?;
    let fields = &action.fields;
    let pasted: Vec<String> = fields
        .text("keys")
        .lines()
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(str::to_owned)
        .collect();
    let keys: Vec<Option<String>> = if pasted.is_empty() {
        let count = fields.number("count", "Count")?.unwrap_or(1);
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(DashboardError::Invalid(format!(
                "Count must be between 1 and {MAX_COUNT}."
            )));
        }
        vec![None; usize::try_from(count).unwrap_or(1)]
    } else {
        pasted.into_iter().map(Some).collect()
    };
    let validity_period = fields.day("valid_until", "Valid until")?;
    let max_activations = fields
        .number("max_activations", "Max activations")?
        .unwrap_or(1);
    let max_consumptions = fields.number("max_consumptions", "Max consumptions")?;
    let floating_users = fields.number("floating_users", "Floating seats")?;
    let licenses = keys
        .into_iter()
        .map(|key| {
            let mut terms = LicenseTerms {
                key,
                max_activations,
                ..LicenseTerms::default()
            };
            terms.consumption.max_consumptions = max_consumptions.unwrap_or(0);
            OrderLicenseSpec {
                terms,
                license_type: Some(fields.text("license_type").to_owned())
                    .filter(|text| !text.is_empty()),
                validity_period,
                is_floating: floating_users.is_some_and(|seats| seats > 0),
                floating_users,
                ..OrderLicenseSpec::default()
            }
        })
        .collect();
    let customer = fields.optional("customer").map(|email| CustomerChanges {
        email: Some(email.to_owned()),
        ..CustomerChanges::default()
    });
    let spec = OrderSpec {
        // The dashboard's orders have no store behind them: a fresh id each time.
        store_id: format!("dashboard-{}", generate_license_key()?),
        customer,
        items: vec![OrderItemSpec {
            product_code: fields.text("product").to_owned(),
            licenses,
        }],
        ..OrderSpec::default()
    };
    let created = action
        .signed
        .tenant(&state)
        .await?
        .create_order(spec)
        .await?;
    let order = created.order.id;
    let body = html! {
        h1 { "Licenses issued" }
        p.notice role="status" { (created.licenses.len()) " licenses issued in order " code { (created.order.store_id) } "." }
        p { a.button href={ "/dashboard/orders/" (order) "/keys.csv" } download { "Download keys as CSV" } }
        table { thead { tr { th { "Key" } th { "Product" } th { "Type" } } }
            tbody { @for (license, product) in &created.licenses { tr {
                td { a href={ "/dashboard/licenses/" (license.id) } { code { (license.license_key.as_deref().unwrap_or("user-based")) } } }
                td { (product.name) }
                td { (license.license_type.as_str()) }
            } } } }
        p { a href="/dashboard/issue" { "Issue more" } }
    };
    Ok(page(
        &action.signed,
        "/dashboard/issue",
        "Licenses issued",
        body,
    ))
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// `GET /dashboard/orders/{id}/keys.csv`: the order's licenses, one per line.
pub async fn keys_csv(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> DashboardResult<Response> {
    signed.require(StaffRole::Admin)?;
    let id: i64 = id.parse().map_err(|_| DashboardError::NotFound)?;
    let order = signed.tenant(&state).await?.order(id).await?;
    let mut csv = String::from("license_id,license_key,product,license_type,valid_until\n");
    for record in &order.licenses {
        let (license, product) = (&record.license, &record.product);
        let line = [
            license.id.to_string(),
            license.license_key.clone().unwrap_or_default(),
            product.code.clone(),
            license.license_type.as_str().to_owned(),
            license
                .validity_period
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
        ]
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",");
        csv.push_str(&line);
        csv.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"order-{id}-keys.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_field("ABCD-EFGH"), "ABCD-EFGH");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
