//! Staff: admins list their company's members, add members, change their roles, remove them and
//! sign them out everywhere (the company always keeps an admin); each member turns their own second
//! factor on and off.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use latch_service::model::{Staff, StaffRole};
use latch_service::staff::{totp_code_matches, TotpSetup};
use latch_service::{ServiceResult, Tenant};
use maud::{html, Markup};
use secrecy::ExposeSecret;

use super::error::{DashboardError, DashboardResult};
use super::licenses::{path_id, Noticed};
use super::page::{action_button, csrf_field, notice, page, when};
use super::products::{refusal, refusal_of, shown_again, Refused};
use super::session::{Action, Form, Signed};
use crate::state::AppState;

/// `GET /dashboard/staff`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let tenant = signed.tenant(&state).await?;
    staff_page(&signed, &tenant, noticed.notice(), None).await
}

/// The staff list; a refused role change or removal shows its alert above the list, with the role
/// that was chosen kept in its member's select.
async fn staff_page(
    signed: &Signed,
    tenant: &Tenant<'_>,
    noticed: Option<&str>,
    refused: Option<&Refused<'_>>,
) -> DashboardResult<Markup> {
    let members = tenant.staff_members().await?;
    let body = html! {
        h1 { "Staff" }
        (notice(noticed))
        (refusal(refused, "members"))
        table { thead { tr { th { "Email" } th { "Role" } th { "Two-factor" } th { "Added" } th { "Actions" } } }
            tbody { @for member in &members { tr {
                td { (member.email) }
                td {
                    @let select = format!("role-{}", member.id);
                    @let chosen = shown_role(refused, member);
                    form.inline method="post" action={ "/dashboard/staff/" (member.id) "/role" } {
                        (csrf_field(signed))
                        // Names the member whose choice a refused change shows again.
                        input type="hidden" name="member" value=(member.id);
                        label for=(select) { "New role" }
                        select id=(select) name="role" {
                            @for role in StaffRole::ALL { option value=(role.as_str()) selected[role.as_str() == chosen] { (role.as_str()) } }
                        }
                        button type="submit" { "Change role" }
                    }
                }
                td { (if member.two_factor { "on" } else { "off" }) }
                td { (when(Some(member.created_at))) }
                td {
                    (action_button(signed, &format!("/dashboard/staff/{}/revoke", member.id), "Sign out everywhere", Some("End every session of this member?")))
                    (action_button(signed, &format!("/dashboard/staff/{}/remove", member.id), "Remove", Some("Remove this member? Their sessions end at once.")))
                }
            } } } }
        h2 { "Add a member" }
        form.card method="post" action="/dashboard/staff" {
            (csrf_field(signed))
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
    Ok(page(signed, "/dashboard/staff", "Staff", body))
}

/// The role a member's select shows: the one chosen for them in a refused change, else theirs.
fn shown_role<'a>(refused: Option<&'a Refused<'_>>, member: &Staff) -> &'a str {
    let id = member.id.to_string();
    refused
        .map(|refused| refused.sent)
        .filter(|sent| sent.text("member") == id && !sent.text("role").is_empty())
        .map_or(member.role.as_str(), |sent| sent.text("role"))
}

/// `POST /dashboard/staff`.
pub async fn add(State(state): State<AppState>, action: Action) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    let fields = &action.fields;
    let role = role_of(fields)?;
    action
        .signed
        .tenant(&state)
        .await?
        .add_staff(fields.text("email"), fields.text("password"), role)
        .await?;
    Ok(Redirect::to("/dashboard/staff?notice=staff"))
}

fn role_of(fields: &Form) -> DashboardResult<StaffRole> {
    fields
        .text("role")
        .parse()
        .map_err(|()| DashboardError::Invalid("Choose a role: admin, support or viewer.".into()))
}

/// The company's member with the id in the path.
async fn member(tenant: &Tenant<'_>, id: &str) -> DashboardResult<Staff> {
    let id = path_id(id)?;
    tenant
        .staff_members()
        .await?
        .into_iter()
        .find(|member| member.id == id)
        .ok_or(DashboardError::NotFound)
}

/// `POST /dashboard/staff/{id}/revoke`: ends every session of the member.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Redirect> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    let member = member(&tenant, &id).await?;
    tenant.revoke_staff_sessions(&member.email).await?;
    Ok(Redirect::to("/dashboard/staff?notice=sessions"))
}

/// `POST /dashboard/staff/{id}/role`: the member has the new role from their next request on.
pub async fn change_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    let member = member(&tenant, &id).await?;
    let role = role_of(&action.fields)?;
    let outcome = tenant.set_staff_role(&member.email, role).await;
    staff_outcome(&action, &tenant, outcome, "role-changed").await
}

/// `POST /dashboard/staff/{id}/remove`: the member and every session of theirs go at once.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    let member = member(&tenant, &id).await?;
    let outcome = tenant.remove_staff(&member.email).await;
    staff_outcome(&action, &tenant, outcome, "staff-removed").await
}

/// Back to the list with `done` noticed, or the list again with the refusal (the last admin).
async fn staff_outcome(
    action: &Action,
    tenant: &Tenant<'_>,
    outcome: ServiceResult<Staff>,
    done: &str,
) -> DashboardResult<Response> {
    let outcome = outcome
        .map(|_| Redirect::to(&format!("/dashboard/staff?notice={done}")).into_response())
        .map_err(DashboardError::from);
    match refusal_of(outcome, "members", &action.fields)? {
        Ok(redirect) => Ok(redirect),
        Err(refused) => {
            shown_again(staff_page(&action.signed, tenant, None, Some(&refused)).await?)
        }
    }
}

/// `GET /dashboard/account`: the member's own second factor.
pub async fn account(signed: Signed, Query(noticed): Query<Noticed>) -> Markup {
    let staff = &signed.staff;
    let body = html! {
        h1 { "Your account" }
        (notice(noticed.notice()))
        dl.card {
            dt { "Email" } dd { (staff.email) }
            dt { "Role" } dd { (staff.role.as_str()) }
            dt { "Two-factor sign-in" } dd { (if staff.two_factor { "on" } else { "off" }) }
        }
        @if staff.two_factor {
            form.card method="post" action="/dashboard/account/totp/off" {
                (csrf_field(&signed))
                label for="code" { "Authentication code" }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
                button type="submit" { "Turn two-factor sign-in off" }
            }
        } @else {
            p { "With two-factor sign-in, signing in also takes a code from an authenticator app." }
            form.inline method="post" action="/dashboard/account/totp" {
                (csrf_field(&signed))
                button type="submit" { "Turn two-factor sign-in on" }
            }
        }
    };
    page(&signed, "/dashboard/account", "Your account", body)
}

/// `POST /dashboard/account/totp`: a new secret to add to an authenticator app, confirmed by its
/// first code before it counts.
pub async fn start_totp(action: Action) -> DashboardResult<Markup> {
    let setup = TotpSetup::new(&action.signed.staff.email)?;
    let body = html! {
        h1 { "Turn on two-factor sign-in" }
        p { "Add this key to your authenticator app (or open the link on the device that has it), then enter the code it shows." }
        p { code.secret { (setup.secret) } }
        p { a href=(setup.link) { "Open in an authenticator app" } }
        form.card method="post" action="/dashboard/account/totp/confirm" {
            (csrf_field(&action.signed))
            input type="hidden" name="secret" value=(setup.secret);
            label for="code" { "Authentication code" }
            input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            button type="submit" { "Turn on" }
        }
    };
    Ok(page(
        &action.signed,
        "/dashboard/account",
        "Two-factor sign-in",
        body,
    ))
}

/// `POST /dashboard/account/totp/confirm`.
pub async fn confirm_totp(
    State(state): State<AppState>,
    action: Action,
) -> DashboardResult<Redirect> {
    let fields = &action.fields;
    action
        .signed
        .tenant(&state)
        .await?
        .set_staff_totp(
            &action.signed.staff.email,
            Some(fields.text("secret")),
            Some(fields.text("code")),
        )
        .await?;
    Ok(Redirect::to("/dashboard/account?notice=totp-on"))
}

/// `POST /dashboard/account/totp/off`: needs a current code, so a session alone cannot remove it.
pub async fn turn_off_totp(
    State(state): State<AppState>,
    action: Action,
) -> DashboardResult<Redirect> {
    let email = &action.signed.staff.email;
    let current = state
        .service
        .staff_for_sign_in(email)
        .await?
        .and_then(|credentials| credentials.totp_secret);
    let Some(secret) = current else {
        return Ok(Redirect::to("/dashboard/account"));
    };
    if !totp_code_matches(secret.expose_secret(), action.fields.text("code")) {
        return Err(DashboardError::Invalid(
            "That is not your authenticator app's current code.".into(),
        ));
    }
    action
        .signed
        .tenant(&state)
        .await?
        .set_staff_totp(email, None, None)
        .await?;
    Ok(Redirect::to("/dashboard/account?notice=totp-off"))
}
