//! Staff: admins list their company's members, add members and sign members out everywhere.

use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use latch_service::model::StaffRole;
use maud::{html, Markup};

use super::error::{DashboardError, DashboardResult};
use super::licenses::Noticed;
use super::page::{action_button, csrf_field, notice, page, when};
use super::session::{Action, Signed};
use crate::state::AppState;

/// `GET /dashboard/staff`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let members = signed.tenant(&state).await?.staff_members().await?;
    let body = html! {
        h1 { "Staff" }
        (notice(noticed.notice()))
        table { thead { tr { th { "Email" } th { "Role" } th { "Added" } th { "Sessions" } } }
            tbody { @for member in &members { tr {
                td { (member.email) } td { (member.role.as_str()) } td { (when(Some(member.created_at))) }
                td { (action_button(&signed, &format!("/dashboard/staff/{}/revoke", member.id), "Sign out everywhere", Some("End every session of this member?"))) }
            } } } }
        h2 { "Add a member" }
        form.card method="post" action="/dashboard/staff" {
            (csrf_field(&signed))
            label for="email" { "Email" }
            input #email type="email" name="email" required;
            label for="password" { "Password" }
            input #password type="password" name="password" minlength="8" autocomplete="new-password" required;
            label for="role" { "Role" }
            select #role name="role" {
                @for role in StaffRole::ALL { option value=(role.as_str()) selected[role == StaffRole::Viewer] { (role.as_str()) } }
            }
            button type="submit" { "Add member" }
        }
    };
    Ok(page(&signed, "/dashboard/staff", "Staff", body))
}

/// `POST /dashboard/staff`.
pub async fn add(State(state): State<AppState>, action: Action) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    let fields = &action.fields;
    let role: StaffRole = fields
        .text("role")
        .parse()
        .map_err(|()| DashboardError::Invalid("Choose a role: admin, support or viewer.".into()))?;
    action
        .signed
        .tenant(&state)
        .await?
        .add_staff(fields.text("email"), fields.text("password"), role)
        .await?;
    Ok(Redirect::to("/dashboard/staff?notice=staff"))
}

/// `POST /dashboard/staff/{id}/revoke`: ends every session of the member.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    let id: i64 = id.parse().map_err(|_| DashboardError::NotFound)?;
    let tenant = action.signed.tenant(&state).await?;
    let member = tenant
        .staff_members()
        .await?
        .into_iter()
        .find(|member| member.id == id)
        .ok_or(DashboardError::NotFound)?;
    tenant.revoke_staff_sessions(&member.email).await?;
    Ok(Redirect::to("/dashboard/staff?notice=sessions"))
}
