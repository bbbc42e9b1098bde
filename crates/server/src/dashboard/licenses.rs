//! Licenses: the search (one page of matching ids, then those licenses whole, as the Management API
//! lists them), bulk disable, a license's page with its devices, seats, features, users and events,
//! and the actions on it.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use latch_domain::{DeviceId, LicenseId, LicenseUserId, ProductFeatureId, ProductId};
use latch_service::keys::generate_password;
use latch_service::model::{LicenseRecord, StaffRole};
use latch_service::query::fields::{DEVICE_FIELDS, EVENT_FIELDS};
use latch_service::query::{find_field, Field, ListQuery, Lookup, Value};
use latch_service::{
    FeaturePatch, LicenseExport, LicensePatch, LicenseSearch, LicenseStatus, MatchCount, Page,
    UserPlacement,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::{DashboardError, DashboardResult};
use super::page::{action_button, csrf_field, empty, notice, page, pager, when, PAGE_SIZE};
use super::session::{Action, Signed};
use crate::state::AppState;

/// A field of a listing's table by name; the tables are constants, so a missing name is a bug.
pub fn field(fields: &'static [Field], name: &str) -> DashboardResult<&'static Field> {
    find_field(fields, name).ok_or_else(|| {
        DashboardError::Internal(crate::error::InternalError::invariant(
            "a dashboard filter names a field its listing lacks",
        ))
    })
}

/// The rows of a listing whose field `name` is `id`.
pub fn having(fields: &'static [Field], name: &str, id: i64) -> DashboardResult<ListQuery> {
    Ok(ListQuery::default().with(field(fields, name)?, Lookup::Exact, Value::Int(id)))
}

/// The licenses search form.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    hardware_id: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    offset: u64,
    notice: Option<String>,
}

impl Search {
    /// The search the form asks for: "Search" is the start of a key or of a customer's e-mail.
    fn license_search(&self) -> LicenseSearch {
        let status = match self.status.as_str() {
            "enabled" => Some(LicenseStatus::Enabled),
            "disabled" => Some(LicenseStatus::Disabled),
            "expired" => Some(LicenseStatus::Expired),
            "active" => Some(LicenseStatus::Active),
            "inactive" => Some(LicenseStatus::Inactive),
            _ => None,
        };
        LicenseSearch {
            text: self.q.clone(),
            user: self.user.clone(),
            hardware_id: self.hardware_id.clone(),
            product: self.product.parse().ok().map(ProductId::new),
            status,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("user", self.user.clone()),
            ("hardware_id", self.hardware_id.clone()),
            ("product", self.product.clone()),
            ("status", self.status.clone()),
        ]
    }
}

fn status_label(record: &LicenseRecord) -> &'static str {
    let license = &record.license;
    if !license.enabled {
        "disabled"
    } else if license
        .validity_period
        .is_some_and(|until| until <= Utc::now())
    {
        "expired"
    } else if record.active_devices > 0 {
        "active"
    } else {
        "enabled"
    }
}

/// "12", or "more than 10000" where counting stopped.
fn count_text(count: MatchCount) -> String {
    match count {
        MatchCount::Exactly(count) => count.to_string(),
        MatchCount::MoreThan(count) => format!("more than {count}"),
    }
}

fn key_of(record: &LicenseRecord) -> String {
    record
        .license
        .license_key
        .clone()
        .unwrap_or_else(|| format!("user-based #{}", record.license.id))
}

/// `GET /dashboard/licenses`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(search): Query<Search>,
) -> DashboardResult<Markup> {
    let tenant = signed.tenant(&state).await?;
    let products = tenant
        .products(Page {
            limit: 200,
            offset: 0,
        })
        .await?;
    let page_asked = Page {
        limit: PAGE_SIZE,
        offset: search.offset,
    };
    let found = tenant
        .search_licenses(&search.license_search(), page_asked)
        .await?;
    let can_disable = signed.staff.role >= StaffRole::Support;
    let export = format!(
        "/dashboard/licenses/export.csv?{}",
        serde_urlencoded::to_string(search.pairs()).unwrap_or_default()
    );
    let body = html! {
        h1 { "Licenses" }
        (notice(search.notice.as_deref()))
        form.filters method="get" action="/dashboard/licenses" role="search" {
            div { label for="q" { "Search" }
                input #q type="search" name="q" value=(search.q) placeholder="Start of a key or customer email"; }
            div { label for="user" { "License user" }
                input #user type="email" name="user" value=(search.user); }
            div { label for="hardware_id" { "Hardware ID" }
                input #hardware_id type="text" name="hardware_id" value=(search.hardware_id); }
            div { label for="product" { "Product" }
                select #product name="product" {
                    option value="" { "Any product" }
                    @for product in &products.items {
                        @let id = product.id.to_string();
                        option value=(id) selected[id == search.product] { (product.name) " (" (product.code) ")" }
                    }
                }
            }
            div { label for="status" { "Status" }
                select #status name="status" {
                    @for (value, label) in [("", "Any status"), ("enabled", "Enabled"), ("disabled", "Disabled"), ("expired", "Expired"), ("active", "With active devices"), ("inactive", "Without active devices")] {
                        option value=(value) selected[value == search.status] { (label) }
                    }
                }
            }
            button type="submit" { "Search" }
        }
        @if signed.staff.role >= StaffRole::Admin && !found.items.is_empty() {
            p { a href=(export) download { "Export these " (count_text(found.count)) " licenses as CSV" } }
        }
        @if found.items.is_empty() {
            (empty("No license matches. Search by the start of a key or of a customer's email, or clear the filters."))
        } @else {
            form method="post" action="/dashboard/licenses/disable" data-confirm=[can_disable.then_some("Disable the selected licenses?")] {
                @if can_disable { (csrf_field(&signed)) }
                table {
                    thead { tr {
                        @if can_disable { th { input type="checkbox" data-select-all="license" aria-label="Select all"; } }
                        th { "Key" } th { "Product" } th { "Customer" } th { "Type" } th { "Status" }
                        th { "Active devices" } th { "Valid until" }
                    } }
                    tbody {
                        @for record in &found.items {
                            tr {
                                @if can_disable {
                                    td { input type="checkbox" name="license" value=(record.license.id) aria-label={ "Select " (key_of(record)) }; }
                                }
                                td { a href={ "/dashboard/licenses/" (record.license.id) } { code { (key_of(record)) } } }
                                td { (record.product.name) }
                                td { (record.customer.as_ref().map_or("—", |c| c.email.as_str())) }
                                td { (record.license.license_type.as_str()) }
                                td { span class={ "status " (status_label(record)) } { (status_label(record)) } }
                                td { (record.active_devices) }
                                td { (when(record.license.validity_period)) }
                            }
                        }
                    }
                }
                @if can_disable { button.danger type="submit" { "Disable selected" } }
            }
        }
        (pager("/dashboard/licenses", &search.pairs(), search.offset, found.count))
    };
    Ok(page(&signed, "/dashboard/licenses", "Licenses", body))
}

/// `GET /dashboard/licenses/export.csv`: the licenses the search finds (all without one), streamed
/// as they are read, so a million licenses take no more memory than a few hundred (admins).
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Query(search): Query<Search>,
) -> DashboardResult<Response> {
    signed.require(StaffRole::Admin)?;
    let company = signed.staff.company_id;
    let tenant = signed.tenant(&state).await?;
    let first = Page {
        limit: 1,
        offset: 0,
    };
    let query = tenant
        .search_licenses(&search.license_search(), first)
        .await?
        .query;
    let chunks = futures_util::stream::try_unfold(
        (state.service.clone(), LicenseExport::new(query)),
        move |(service, mut export)| async move {
            let chunk = match service.tenant(company).await {
                Ok(tenant) => export.next_chunk(&tenant).await,
                Err(error) => Err(error),
            };
            match chunk {
                Ok(chunk) => Ok(chunk.map(|bytes| (bytes, (service, export)))),
                Err(error) => {
                    // The answer has begun: the download ends short, and the log says why.
                    tracing::error!(%error, "a license export failed");
                    Err(error)
                }
            }
        },
    );
    let name = format!(
        "attachment; filename=\"licenses-{}.csv\"",
        Utc::now().format("%Y%m%d-%H%M")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// `POST /dashboard/licenses/disable`: every checked license, or none.
pub async fn disable_many(
    State(state): State<AppState>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Support)?;
    let ids = action
        .fields
        .all("license")
        .map(|id| id.parse::<i64>().map(LicenseId::new))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| DashboardError::NotFound)?;
    if ids.is_empty() {
        return Err(DashboardError::Invalid(
            "Select at least one license.".into(),
        ));
    }
    action
        .signed
        .tenant(&state)
        .await?
        .disable_licenses(&ids)
        .await?;
    Ok(Redirect::to("/dashboard/licenses?notice=bulk-disabled"))
}

/// A page's `?notice=` after a redirect from an action.
#[derive(Debug, Deserialize)]
pub struct Noticed {
    notice: Option<String>,
}

impl Noticed {
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }
}

/// An id in a path; one that is not a number names nothing.
pub fn path_id(text: &str) -> DashboardResult<i64> {
    text.parse().map_err(|_| DashboardError::NotFound)
}

/// `GET /dashboard/licenses/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let id = LicenseId::new(path_id(&id)?);
    let tenant = signed.tenant(&state).await?;
    let record = tenant.license_record(id).await?;
    let devices = tenant
        .devices_matching(
            &having(DEVICE_FIELDS, "license", id.get())?,
            Page {
                limit: 100,
                offset: 0,
            },
        )
        .await?;
    let seats = tenant.floating_seats(id).await?;
    let events = tenant
        .events(
            &having(EVENT_FIELDS, "license", id.get())?,
            Page {
                limit: 20,
                offset: 0,
            },
        )
        .await?;
    let license = &record.license;
    let support = signed.staff.role >= StaffRole::Support;
    let admin = signed.staff.role >= StaffRole::Admin;
    let grantable = if admin {
        tenant.product_record(license.product_id).await?.features
    } else {
        Vec::new()
    };
    let base = format!("/dashboard/licenses/{id}");
    let key = key_of(&record);
    let body = html! {
        p.crumbs { a href="/dashboard/licenses" { "Licenses" } " / " }
        h1 { "License " code { (key) } }
        (notice(noticed.notice()))
        @if support {
            div.actions {
                @if license.enabled {
                    (action_button(&signed, &format!("{base}/disable"), "Disable", None))
                } @else {
                    (action_button(&signed, &format!("{base}/enable"), "Enable", None))
                }
                (action_button(&signed, &format!("{base}/reset"), "Reset", Some("Deactivate every device of this license?")))
            }
        }
        section.grid {
            dl.card {
                dt { "Status" } dd { span class={ "status " (status_label(&record)) } { (status_label(&record)) } }
                dt { "Product" } dd { (record.product.name) " (" (record.product.code) ")" }
                dt { "Customer" } dd { (record.customer.as_ref().map_or("—", |c| c.email.as_str())) }
                dt { "Type" } dd { (license.license_type.as_str()) @if license.is_trial { " (trial)" } }
                dt { "Valid until" } dd { (when(license.validity_period)) }
                dt { "Maintenance until" } dd { (when(license.maintenance_period)) }
                dt { "Activations" } dd { (record.active_devices) " active of " @if license.allow_unlimited_activations { "unlimited" } @else { (license.max_activations) } }
                dt { "Transfers" } dd { (license.transfer_count) " of " @if license.max_transfers == 0 { "unlimited" } @else { (license.max_transfers) } }
                @if license.floating.is_floating_cloud {
                    dt { "Floating seats" } dd { (record.floating_in_use) " in use of " (license.floating.floating_users) ", lease " (license.floating.floating_timeout) " min" }
                }
                @if license.license_type.as_str() == "consumption" {
                    dt { "Consumptions" } dd { (license.consumption.total_consumptions) " of " (license.consumption.max_consumptions) }
                }
                dt { "Order" } dd { (record.order_store_id.as_deref().unwrap_or("—")) }
                dt { "Created" } dd { (when(Some(license.created_at))) }
                dt { "First activated" } dd { (when(record.time_activated)) }
                dt { "Last check" } dd { (when(record.last_check)) }
                dt { "Note" } dd { (if record.note.is_empty() { "—" } else { record.note.as_str() }) }
            }
            @if admin {
                div.card {
                    h2 { "Change" }
                    form method="post" action={ (base) "/renew" } {
                        (csrf_field(&signed))
                        label for="valid_until" { "Valid until" }
                        input #valid_until type="date" name="valid_until" value=(license.validity_period.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default());
                        button type="submit" { "Save validity" }
                    }
                    form method="post" action={ (base) "/limits" } {
                        (csrf_field(&signed))
                        label for="max_activations" { "Max activations" }
                        input #max_activations type="number" min="0" name="max_activations" value=(license.max_activations);
                        label for="max_transfers" { "Max transfers" }
                        input #max_transfers type="number" min="0" name="max_transfers" value=(license.max_transfers);
                        button type="submit" { "Save limits" }
                    }
                    form method="post" action={ (base) "/assign" } {
                        (csrf_field(&signed))
                        label for="user_email" { "Assign user (email)" }
                        input #user_email type="email" name="email" required;
                        button type="submit" { "Assign user" }
                    }
                    @if !grantable.is_empty() {
                        form method="post" action={ (base) "/feature" } {
                            (csrf_field(&signed))
                            label for="product_feature" { "Add feature" }
                            select #product_feature name="product_feature" {
                                @for feature in &grantable {
                                    option value=(feature.feature.id) { (feature.feature.name) " (" (feature.feature.code) ")" }
                                }
                            }
                            label for="max_consumption" { "Max consumptions" }
                            input #max_consumption type="number" min="0" name="max_consumption" placeholder="Consumption features";
                            button type="submit" { "Add feature" }
                        }
                    }
                }
            }
        }
        h2 { "Features" }
        @if record.features.is_empty() { (empty("No features on this license.")) } @else {
            table { thead { tr { th { "Code" } th { "Name" } th { "Type" } th { "Consumed" } th { "Expires" } } }
                tbody { @for feature in &record.features { tr {
                    td { code { (feature.feature.code) } } td { (feature.feature.name) }
                    td { (feature.feature.feature_type.as_str()) }
                    td { (feature.consumption.total_consumptions) " of " (feature.consumption.max_consumptions) }
                    td { (when(feature.expiry_date)) }
                } } } }
        }
        @if license.floating.is_floating_cloud || !seats.is_empty() {
            h2 { "Floating seats" }
            @if seats.is_empty() { (empty("No device holds a seat now.")) } @else {
                table { thead { tr { th { "Device" } th { "Seat" } th { "Held until" } th { "Borrowed until" } @if support { th { "Action" } } } }
                    tbody { @for seat in &seats { tr {
                        td { code { (seat.device.hardware_id) } }
                        td { (seat.feature_code.as_deref().unwrap_or("license")) }
                        td { (when(seat.floating_until)) } td { (when(seat.borrowed_until)) }
                        @if support { td { (action_button(&signed, &format!("{base}/seats/{}/release", seat.device.id), "Release", None)) } }
                    } } } }
            }
        }
        h2 { "Devices" }
        @if devices.items.is_empty() { (empty("No device has activated this license yet.")) } @else {
            table { thead { tr { th { "Hardware ID" } th { "Host" } th { "State" } th { "App" } th { "OS" } th { "Last check" } th { "Variables" } @if support { th { "Actions" } } } }
                tbody { @for device in &devices.items { tr {
                    td { code { (device.device.hardware_id) } }
                    td { (device.device.hostname.as_deref().unwrap_or("—")) }
                    td { @if device.device.blacklisted { "blacklisted" } @else if device.device.active { "active" } @else { "inactive" } }
                    td { (device.app_ver.as_deref().unwrap_or("—")) }
                    td { (device.device.os_ver.as_deref().unwrap_or("—")) }
                    td { (when(device.device.last_check_at)) }
                    td { @for variable in &device.variables { code { (variable.name) "=" (variable.value) } " " } }
                    @if support { td {
                        @if device.device.active { (action_button(&signed, &format!("/dashboard/devices/{}/reset", device.device.id), "Deactivate", None)) }
                        @if !device.device.blacklisted { (action_button(&signed, &format!("/dashboard/devices/{}/blacklist", device.device.id), "Blacklist", Some("Blacklist this device? It will be refused from now on."))) }
                    } }
                } } } }
        }
        h2 { "Users" }
        @if record.users.is_empty() { (empty("No license users on this license.")) } @else {
            table { thead { tr { th { "Email" } th { "Activations" } th { "Password" } @if support { th { "Action" } } } }
                tbody { @for (user, assignment) in &record.users { tr {
                    td { a href={ "/dashboard/licenses?user=" (user.email) } { (user.email) } }
                    td { (assignment.total_activations) " of " (assignment.max_activations) }
                    td { @if user.is_initial_password { "initial" } @else { "set by the user" } }
                    @if support { td { (action_button(&signed, &format!("/dashboard/license-users/{}/password", user.id), "Reset password", Some("Give this user a new password?"))) } }
                } } } }
        }
        h2 { "History" }
        (event_table(&events.items))
        p { a href={ "/dashboard/events?license=" (id) } { "Full history" } }
    };
    Ok(page(
        &signed,
        "/dashboard/licenses",
        &format!("License {key}"),
        body,
    ))
}

/// Events as a table, newest first.
pub fn event_table(events: &[latch_service::model::Event]) -> Markup {
    html! {
        @if events.is_empty() { (empty("No events recorded.")) } @else {
            table { thead { tr { th { "When" } th { "Event" } th { "By" } th { "License" } th { "Details" } } }
                tbody { @for event in events { tr {
                    td { (when(Some(event.ts))) }
                    td { code { (event.event) } }
                    td { (event.actor.kind()) @if let Some(id) = event.actor.id() { " #" (id) } }
                    td { @if let Some(license) = event.subjects.license_id { a href={ "/dashboard/licenses/" (license) } { "#" (license) } } }
                    td.data { (event.data) }
                } } } }
        }
    }
}

/// `POST /dashboard/licenses/{id}/{action}`: enable, disable, reset, renew, limits, assign.
pub async fn act(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    // Support keeps licenses working; what grants more (validity, limits, users, features) is for
    // admins, as issuing is.
    let least = match name.as_str() {
        "enable" | "disable" | "reset" => StaffRole::Support,
        _ => StaffRole::Admin,
    };
    action.signed.require(least)?;
    let id = LicenseId::new(path_id(&id)?);
    let tenant = action.signed.tenant(&state).await?;
    let fields = &action.fields;
    let done = match name.as_str() {
        "enable" | "disable" => {
            let enabled = name == "enable";
            tenant.set_license_enabled(id, enabled).await?;
            if enabled {
                "enabled"
            } else {
                "disabled"
            }
        }
        "reset" => {
            tenant.reset_license(id).await?;
            "reset"
        }
        "renew" => {
            let patch = LicensePatch {
                validity_period: Some(fields.day("valid_until", "Valid until")?),
                ..LicensePatch::default()
            };
            tenant.patch_licenses(&[(id, patch)]).await?;
            "renewed"
        }
        "limits" => {
            let patch = LicensePatch {
                max_activations: fields.number("max_activations", "Max activations")?,
                max_transfers: fields.number("max_transfers", "Max transfers")?,
                ..LicensePatch::default()
            };
            tenant.patch_licenses(&[(id, patch)]).await?;
            "limits"
        }
        "assign" => {
            let placement = UserPlacement {
                email: fields.text("email").to_owned(),
                ..UserPlacement::default()
            };
            tenant.place_license_user(id, placement).await?;
            "user"
        }
        "feature" => {
            let feature = fields
                .text("product_feature")
                .parse::<i64>()
                .map_err(|_| DashboardError::Invalid("Choose a feature.".into()))?;
            let patch = FeaturePatch {
                max_consumption: fields.number("max_consumption", "Max consumptions")?,
                ..FeaturePatch::default()
            };
            tenant
                .grant_license_feature(id, ProductFeatureId::new(feature), &patch)
                .await?;
            "feature"
        }
        _ => return Err(DashboardError::NotFound),
    };
    Ok(Redirect::to(&format!("/dashboard/licenses/{id}?notice={done}")).into_response())
}

/// `POST /dashboard/licenses/{id}/seats/{device}/release`.
pub async fn release_seat(
    State(state): State<AppState>,
    Path((id, device)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Support)?;
    let id = LicenseId::new(path_id(&id)?);
    let device = DeviceId::new(path_id(&device)?);
    action
        .signed
        .tenant(&state)
        .await?
        .release_floating_seat(id, device)
        .await?;
    Ok(Redirect::to(&format!(
        "/dashboard/licenses/{id}?notice=released"
    )))
}

/// `POST /dashboard/devices/{id}/{reset|blacklist}`: back to the device's license.
pub async fn device_action(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Support)?;
    let id = DeviceId::new(path_id(&id)?);
    let tenant = action.signed.tenant(&state).await?;
    let license = tenant.device_record(id).await?.device.license_id;
    let done = match name.as_str() {
        "reset" => {
            tenant.reset_device(id).await?;
            "device-reset"
        }
        "blacklist" => {
            tenant.blacklist_device_by_id(id).await?;
            "blacklisted"
        }
        _ => return Err(DashboardError::NotFound),
    };
    Ok(Redirect::to(&format!(
        "/dashboard/licenses/{license}?notice={done}"
    )))
}

/// `POST /dashboard/license-users/{id}/password`: a new generated password, shown once.
pub async fn reset_user_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Markup> {
    action.signed.require(StaffRole::Support)?;
    let id = LicenseUserId::new(path_id(&id)?);
    let tenant = action.signed.tenant(&state).await?;
    let user = tenant.license_user_by_id(id).await?.user;
    let password = generate_password()?;
    tenant
        .set_license_user_password(id, password.clone())
        .await?;
    let body = html! {
        h1 { "New password" }
        p.notice role="status" { "The password of " (user.email) " was reset. Hand this one over; it is not shown again." }
        p { code.secret { (password) } }
        p { a href={ "/dashboard/licenses?user=" (user.email) } { "The user's licenses" } }
    };
    Ok(page(
        &action.signed,
        "/dashboard/license-users",
        "New password",
        body,
    ))
}
