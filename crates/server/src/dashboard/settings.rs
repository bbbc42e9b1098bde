//! Settings (admins): the public signing key, licenses as CSV (import and export), License API keys,
//! and Management API keys (created, shown once, revoked).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use latch_service::model::StaffRole;
use maud::{html, Markup};
use secrecy::ExposeSecret;

use super::error::{DashboardError, DashboardResult};
use super::licenses::Noticed;
use super::page::{action_button, csrf_field, notice, page, when};
use super::session::{Action, Signed};
use crate::state::AppState;

/// `GET /dashboard/settings`.
pub async fn settings(
    State(state): State<AppState>,
    signed: Signed,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let tenant = signed.tenant(&state).await?;
    let api_keys = tenant.api_keys().await?;
    let management_keys = tenant.management_keys().await?;
    let body = html! {
        h1 { "Settings" }
        (notice(noticed.notice()))
        h2 { "Public key" }
        p { "The SDKs verify every answer with this key. " a href="/dashboard/settings/public-key.pem" download { "Download the PEM" } }
        pre.card { (tenant.company().public_key_pem) }
        h2 { "Licenses as CSV" }
        p { a href="/dashboard/imports" { "Import licenses from a CSV file" } " · "
            a href="/dashboard/licenses/export.csv" download { "Export every license as CSV" } }
        h2 { "License API keys" }
        p { "Apps sign their License API requests with an API key and its shared key. The shared key is shown only when the key is created." }
        table { thead { tr { th { "API key" } th { "Access" } th { "State" } } }
            tbody { @for key in &api_keys { tr {
                td { code { (key.api_key) } }
                td { (if key.read_only { "read-only" } else { "read and write" }) }
                td { @if key.revoked { "revoked" } @else {
                    (action_button(&signed, &format!("/dashboard/settings/api-keys/{}/revoke", key.api_key), "Revoke", Some("Revoke this key? Apps using it are refused within seconds.")))
                } }
            } } } }
        form.card method="post" action="/dashboard/settings/api-keys" {
            (csrf_field(&signed))
            label { input type="checkbox" name="read_only" value="true"; " Read-only" }
            button type="submit" { "Create License API key" }
        }
        h2 { "Management API keys" }
        table { thead { tr { th { "Prefix" } th { "Access" } th { "Created" } th { "State" } } }
            tbody { @for key in &management_keys { tr {
                td { code { (key.prefix) } }
                td { (if key.read_only { "read-only" } else { "read and write" }) }
                td { (when(Some(key.created_at))) }
                td { @if key.revoked { "revoked" } @else {
                    (action_button(&signed, &format!("/dashboard/settings/management-keys/{}/revoke", key.id), "Revoke", Some("Revoke this key? Integrations using it stop working.")))
                } }
            } } } }
        form.card method="post" action="/dashboard/settings/management-keys" {
            (csrf_field(&signed))
            label { input type="checkbox" name="read_only" value="true"; " Read-only" }
            button type="submit" { "Create management key" }
        }
    };
    Ok(page(&signed, "/dashboard/settings", "Settings", body))
}

/// `GET /dashboard/settings/public-key.pem`.
pub async fn public_key(
    State(state): State<AppState>,
    signed: Signed,
) -> DashboardResult<Response> {
    let tenant = signed.tenant(&state).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"latch-public-key.pem\"",
            ),
        ],
        tenant.company().public_key_pem.clone(),
    )
        .into_response())
}

/// A page showing new secrets this once.
fn shown_once(action: &Action, title: &str, secrets: &[(&str, &str)]) -> Markup {
    let body = html! {
        h1 { (title) }
        p.notice role="status" { "Copy it now: only a hash or a sealed copy is kept, so it is not shown again." }
        dl.card { @for (name, secret) in secrets { dt { (name) } dd { code.secret { (secret) } } } }
        p { a href="/dashboard/settings" { "Back to settings" } }
    };
    page(&action.signed, "/dashboard/settings", title, body)
}

/// A new key's access, from the form's "Read-only" box; new keys are for admins.
fn admin_chose_read_only(action: &Action) -> DashboardResult<bool> {
    action.signed.require(StaffRole::Admin)?;
    Ok(action.fields.text("read_only") == "true")
}

/// `POST /dashboard/settings/api-keys`: the new License API key and its shared key, shown once.
pub async fn create_api_key(
    State(state): State<AppState>,
    action: Action,
) -> DashboardResult<Markup> {
    let read_only = admin_chose_read_only(&action)?;
    let created = action
        .signed
        .tenant(&state)
        .await?
        .create_api_key(read_only)
        .await?;
    Ok(shown_once(
        &action,
        "New License API key",
        &[
            ("API key", &created.api_key),
            ("Shared key", created.shared_key.expose_secret()),
        ],
    ))
}

/// `POST /dashboard/settings/api-keys/{api_key}/revoke`.
pub async fn revoke_api_key(
    State(state): State<AppState>,
    Path(api_key): Path<String>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    action
        .signed
        .tenant(&state)
        .await?
        .revoke_api_key(&api_key)
        .await?;
    Ok(Redirect::to("/dashboard/settings?notice=key-revoked"))
}

/// `POST /dashboard/settings/management-keys`: the new key, shown once.
pub async fn create_management_key(
    State(state): State<AppState>,
    action: Action,
) -> DashboardResult<Markup> {
    let read_only = admin_chose_read_only(&action)?;
    let created = action
        .signed
        .tenant(&state)
        .await?
        .create_management_key(read_only)
        .await?;
    Ok(shown_once(
        &action,
        "New management key",
        &[("Management key", &created.secret)],
    ))
}

/// `POST /dashboard/settings/management-keys/{id}/revoke`.
pub async fn revoke_management_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    let id: i64 = id.parse().map_err(|_| DashboardError::NotFound)?;
    action
        .signed
        .tenant(&state)
        .await?
        .revoke_management_key(id)
        .await?;
    Ok(Redirect::to("/dashboard/settings?notice=key-revoked"))
}
