//! Read-only screens: devices, customers, license users and the event log, each one page
//! of the same listings the Management API serves, filtered by a few indexed fields.

use axum::extract::{Query, State};
use chrono::NaiveDate;
use latch_domain::CustomerId;
use latch_service::model::{CustomerRecord, StaffRole};
use latch_service::query::fields::{
    CUSTOMER_FIELDS, DEVICE_FIELDS, EVENT_FIELDS, LICENSE_USER_FIELDS,
};
use latch_service::query::{Field, FieldKind, ListQuery, Lookup, Value};
use latch_service::Page;
use maud::{html, Markup};
use serde::Deserialize;

use super::error::{DashboardError, DashboardResult};
use super::licenses::{event_table, field};
use super::page::{action_button, empty, page, pager, when, PAGE_SIZE};
use super::session::Signed;
use crate::state::AppState;

/// A list screen's query string: its filters and `offset`, by name.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Filters(std::collections::BTreeMap<String, String>);

impl Filters {
    /// Rows to skip; an unusable offset starts at the first page.
    pub(super) fn offset(&self) -> u64 {
        self.get("offset").parse().unwrap_or(0)
    }

    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |value| value.trim())
    }

    pub(super) fn page(&self) -> Page {
        Page {
            limit: PAGE_SIZE,
            offset: self.offset(),
        }
    }

    /// The query of `filters` (query parameter, field, lookup) that have a value; a number field
    /// given text matches nothing rather than failing.
    fn query(
        &self,
        fields: &'static [Field],
        filters: &[(&str, &str, Lookup)],
    ) -> DashboardResult<ListQuery> {
        let mut query = ListQuery::default();
        for (parameter, name, lookup) in filters {
            let text = self.get(parameter);
            if text.is_empty() {
                continue;
            }
            let field = field(fields, name)?;
            let value = match field.kind {
                FieldKind::Int | FieldKind::Time => Value::Int(text.parse().unwrap_or(-1)),
                FieldKind::Bool => Value::Bool(text == "true"),
                // E-mail addresses are stored lower-cased.
                FieldKind::Text if text.contains('@') => Value::Text(text.to_lowercase()),
                FieldKind::Text => Value::Text(text.to_owned()),
            };
            query = query.with(field, *lookup, value);
        }
        Ok(query)
    }

    fn pairs(&self, names: &[&'static str]) -> Vec<(&'static str, String)> {
        names
            .iter()
            .map(|name| (*name, self.get(name).to_owned()))
            .collect()
    }
}

/// A filter form of text fields: (parameter, label).
fn filter_form(action: &str, filters: &Filters, inputs: &[(&str, &str)]) -> Markup {
    html! {
        form.filters method="get" action=(action) role="search" {
            @for (name, label) in inputs {
                div { label for=(name) { (label) } input id=(name) type="text" name=(name) value=(filters.get(name)); }
            }
            button type="submit" { "Filter" }
        }
    }
}

/// `GET /dashboard/devices`: devices by hardware id, host or license, with their actions.
pub async fn devices(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let query = filters.query(
        DEVICE_FIELDS,
        &[
            ("hardware_id", "hardware_id", Lookup::Exact),
            ("hostname", "hostname", Lookup::Exact),
            ("license", "license", Lookup::Exact),
        ],
    )?;
    let found = signed
        .tenant(&state)
        .await?
        .devices_matching(&query, filters.page())
        .await?;
    let support = signed.staff.role >= StaffRole::Support;
    let body = html! {
        h1 { "Devices" }
        (filter_form("/dashboard/devices", &filters, &[("hardware_id", "Hardware ID"), ("hostname", "Host name"), ("license", "License id")]))
        @if found.items.is_empty() { (empty("No device matches. Devices appear here once an app activates a license.")) } @else {
            table { thead { tr { th { "Hardware ID" } th { "License" } th { "Host" } th { "State" } th { "App" } th { "OS" } th { "Last check" } @if support { th { "Actions" } } } }
                tbody { @for record in &found.items { tr {
                    td { code { (record.device.hardware_id) } }
                    td { a href={ "/dashboard/licenses/" (record.device.license_id) } { (record.license_key.as_deref().unwrap_or("user-based")) } }
                    td { (record.device.hostname.as_deref().unwrap_or("—")) }
                    td { @if record.device.blacklisted { "blacklisted" } @else if record.device.active { "active" } @else { "inactive" } }
                    td { (record.app_ver.as_deref().unwrap_or("—")) }
                    td { (record.device.os_ver.as_deref().unwrap_or("—")) }
                    td { (when(record.device.last_check_at)) }
                    @if support { td {
                        @if record.device.active { (action_button(&signed, &format!("/dashboard/devices/{}/reset", record.device.id), "Deactivate", None)) }
                        @if !record.device.blacklisted { (action_button(&signed, &format!("/dashboard/devices/{}/blacklist", record.device.id), "Blacklist", Some("Blacklist this device?"))) }
                    } }
                } } } }
        }
        (pager("/dashboard/devices", &filters.pairs(&["hardware_id", "hostname", "license"]), filters.offset(), found.total))
    };
    Ok(page(&signed, "/dashboard/devices", "Devices", body))
}

/// `GET /dashboard/customers`.
pub async fn customers(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let query = filters.query(
        CUSTOMER_FIELDS,
        &[
            ("email", "email", Lookup::Exact),
            ("company_name", "company_name", Lookup::IContains),
        ],
    )?;
    let found = signed
        .tenant(&state)
        .await?
        .matching_customers(&query, filters.page())
        .await?;
    let body = html! {
        h1 { "Customers" }
        (filter_form("/dashboard/customers", &filters, &[("email", "Customer email"), ("company_name", "Company")]))
        p { "Customers of organisations that sign in through their own identity provider belong to a " a href="/dashboard/customer-accounts" { "customer account" } "." }
        @if found.items.is_empty() { (empty("No customer matches. Customers are created with the licenses issued to them.")) } @else {
            (customer_table(&found.items, None))
        }
        (pager("/dashboard/customers", &filters.pairs(&["email", "company_name"]), filters.offset(), found.total))
    };
    Ok(page(&signed, "/dashboard/customers", "Customers", body))
}

/// Customers with their licenses, orders and account, and with `action`'s form for each when given.
pub(super) fn customer_table(
    records: &[CustomerRecord],
    action: Option<&dyn Fn(CustomerId) -> Markup>,
) -> Markup {
    html! {
        table { thead { tr { th { "Email" } th { "Name" } th { "Company" } th { "Account" } th { "Licenses" } th { "Orders" } @if action.is_some() { th { "Action" } } } }
            tbody { @for record in records { tr {
                td { a href={ "/dashboard/licenses?q=" (record.customer.email) } { (record.customer.email) } }
                td { (record.customer.first_name) " " (record.customer.last_name) }
                td { (record.customer.company_name) }
                td { @match &record.customer.account {
                    Some(account) => { a href={ "/dashboard/customer-accounts/" (account.id) } { code { (account.code) } } }
                    None => { "—" }
                } }
                td { (record.total_licenses) }
                td { (record.total_orders) }
                @if let Some(action) = action { td { (action(record.customer.id)) } }
            } } } }
    }
}

/// `GET /dashboard/license-users`.
pub async fn license_users(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let query = filters.query(LICENSE_USER_FIELDS, &[("email", "email", Lookup::Exact)])?;
    let found = signed
        .tenant(&state)
        .await?
        .matching_license_users(&query, filters.page())
        .await?;
    let body = html! {
        h1 { "License users" }
        (filter_form("/dashboard/license-users", &filters, &[("email", "User email")]))
        @if found.items.is_empty() { (empty("No license user matches. Users are added to user-based licenses.")) } @else {
            table { thead { tr { th { "Email" } th { "Name" } th { "Licenses" } th { "Password" } th { "Created" } } }
                tbody { @for record in &found.items { tr {
                    td { a href={ "/dashboard/licenses?user=" (record.user.email) } { (record.user.email) } }
                    td { (record.user.first_name) " " (record.user.last_name) }
                    td { (record.total_licenses) }
                    td { @if record.user.is_initial_password { "initial" } @else { "changed by the user" } }
                    td { (when(Some(record.created_at))) }
                } } } }
        }
        (pager("/dashboard/license-users", &filters.pairs(&["email"]), filters.offset(), found.total))
    };
    Ok(page(
        &signed,
        "/dashboard/license-users",
        "License users",
        body,
    ))
}

/// `GET /dashboard/events`: by license, customer, event name, actor type and day range.
pub async fn events(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    let mut query = filters.query(
        EVENT_FIELDS,
        &[
            ("license", "license", Lookup::Exact),
            ("customer", "customer", Lookup::Exact),
            ("event", "event", Lookup::Exact),
            ("actor", "actor_type", Lookup::Exact),
        ],
    )?;
    for (parameter, lookup) in [("from", Lookup::Gte), ("to", Lookup::Lt)] {
        if let Some(day) = day_start(filters.get(parameter), lookup == Lookup::Lt)? {
            query = query.with(field(EVENT_FIELDS, "ts")?, lookup, Value::Int(day));
        }
    }
    let found = signed
        .tenant(&state)
        .await?
        .events(&query, filters.page())
        .await?;
    let names = ["license", "customer", "event", "actor", "from", "to"];
    let body = html! {
        h1 { "Event log" }
        form.filters method="get" action="/dashboard/events" role="search" {
            div { label for="license" { "License id" } input #license type="text" name="license" value=(filters.get("license")); }
            div { label for="customer" { "Customer id" } input #customer type="text" name="customer" value=(filters.get("customer")); }
            div { label for="event" { "Event" } input #event type="text" name="event" placeholder="license.disabled" value=(filters.get("event")); }
            div { label for="actor" { "Actor" }
                select #actor name="actor" {
                    @for (value, label) in [("", "Anyone"), ("staff", "Staff"), ("management_key", "Management key"), ("cli", "CLI"), ("device", "Device")] {
                        option value=(value) selected[value == filters.get("actor")] { (label) }
                    }
                }
            }
            div { label for="from" { "From" } input #from type="date" name="from" value=(filters.get("from")); }
            div { label for="to" { "Until" } input #to type="date" name="to" value=(filters.get("to")); }
            button type="submit" { "Filter" }
        }
        (event_table(&found.items))
        (pager("/dashboard/events", &filters.pairs(&names), filters.offset(), found.total))
    };
    Ok(page(&signed, "/dashboard/events", "Event log", body))
}

/// The start of a day (`YYYY-MM-DD`) in epoch milliseconds, as listings compare times; with
/// `through`, the start of the day after, so an "until" day is included.
fn day_start(text: &str, through: bool) -> DashboardResult<Option<i64>> {
    if text.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| DashboardError::Invalid("Dates are YYYY-MM-DD.".into()))?;
    let day = if through {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day
        .and_hms_opt(0, 0, 0)
        .map(|at| at.and_utc().timestamp_millis()))
}
