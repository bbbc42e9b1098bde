//! Customer accounts: the list, a new account, and an account's page with its single sign-on
//! provider and its customers. Everyone reads them; admins create and change them, and put
//! customers in and out of them, through the service functions the Management API calls. The
//! provider's client secret is write-only: it is never shown, and leaving its field empty keeps the
//! stored one.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use latch_domain::{CustomerAccountId, CustomerId};
use latch_service::model::{CustomerAccount, CustomerChanges, OidcProvider, StaffRole};
use latch_service::query::fields::CUSTOMER_FIELDS;
use latch_service::query::{ListQuery, Lookup, Value};
use latch_service::{AccountName, CustomerAccountSpec, OidcSpec, ServiceError, Tenant};
use maud::{html, Markup};

use super::error::{DashboardError, DashboardResult};
use super::licenses::{field, path_id, Noticed};
use super::lists::{customer_table, Filters};
use super::page::{action_button, csrf_field, empty, notice, page, pager, when};
use super::products::{refusal, refusal_of, shown, shown_again, Fields, Refused};
use super::session::{Action, Form, Signed};
use crate::state::AppState;

const LIST: &str = "/dashboard/customer-accounts";

/// The form's name, which its field ids start with.
const FORM: &str = "account";

/// The form that puts a customer in the account.
const MEMBER_FORM: &str = "member";

fn account_name(id: &str) -> DashboardResult<AccountName> {
    Ok(AccountName::Id(CustomerAccountId::new(path_id(id)?)))
}

/// An account's stored values as its form shows them; the client secret is never one of them.
fn account_values(account: &CustomerAccount) -> Form {
    let provider_value =
        |value: fn(&OidcProvider) -> String| account.oidc.as_ref().map(value).unwrap_or_default();
    Form::from_pairs([
        ("name", account.name.clone()),
        ("code", account.code.clone()),
        ("oidc_issuer", provider_value(|oidc| oidc.issuer.clone())),
        (
            "oidc_client_id",
            provider_value(|oidc| oidc.client_id.clone()),
        ),
        (
            "oidc_redirect_uris",
            provider_value(|oidc| oidc.redirect_uris.join("\n")),
        ),
        (
            "oidc_email_claim",
            provider_value(|oidc| oidc.email_claim.clone()),
        ),
    ])
}

/// What the form sent, as the service takes it: an empty provider field keeps the account's value
/// (so an empty client secret keeps the stored one); removing the provider ignores the others.
fn account_spec(form: &Form) -> CustomerAccountSpec {
    let text = |name: &str| form.optional(name).map(str::to_owned);
    let oidc = if form.flag("oidc_remove") {
        OidcSpec {
            remove: true,
            ..OidcSpec::default()
        }
    } else {
        let redirect_uris: Vec<String> = form
            .text("oidc_redirect_uris")
            .lines()
            .map(str::trim)
            .filter(|uri| !uri.is_empty())
            .map(str::to_owned)
            .collect();
        OidcSpec {
            issuer: text("oidc_issuer"),
            client_id: text("oidc_client_id"),
            client_secret: text("oidc_client_secret"),
            redirect_uris: (!redirect_uris.is_empty()).then_some(redirect_uris),
            email_claim: text("oidc_email_claim"),
            remove: false,
        }
    };
    CustomerAccountSpec {
        code: text("code"),
        name: Some(form.text("name").to_owned()),
        oidc,
    }
}

/// The account form's fields; `stored` says whether the account has a provider whose secret an
/// empty field keeps.
fn account_fields(fields: &Fields, stored: bool) -> Markup {
    let secret_id = fields.id("oidc_client_secret");
    html! {
        (fields.input("name", "Name", "text", false))
        (fields.input("code", "Code (what apps send as customer_account_code)", "text", true))
        h3 { "Single sign-on (OpenID Connect)" }
        p.hint.wide { "Leave these empty for an account without single sign-on. With a provider, the issuer, client id, client secret and at least one redirect URI are required." }
        (fields.input("oidc_issuer", "Issuer URL", "url", false))
        (fields.input("oidc_client_id", "Client id", "text", false))
        div.field {
            label for=(secret_id) {
                "Client secret"
                @if stored { " (stored, never shown; leave empty to keep it)" }
            }
            input id=(secret_id) type="password" name="oidc_client_secret" autocomplete="new-password";
        }
        (fields.textarea("oidc_redirect_uris", "Redirect URIs (one per line)"))
        (fields.input("oidc_email_claim", "E-mail claim (empty: email)", "text", false))
        @if stored { (fields.checkbox("oidc_remove", "Remove the single sign-on provider")) }
    }
}

/// `GET /dashboard/customer-accounts`.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let found = signed
        .tenant(&state)
        .await?
        .customer_accounts(&ListQuery::default(), filters.page())
        .await?;
    let body = html! {
        h1 { "Customer accounts" }
        (notice(noticed.notice()))
        p { "Organisations whose people sign in to their licenses through the account's own identity provider. " a href="/dashboard/customers" { "Customers" } " belong to one account at most." }
        @if signed.staff.role >= StaffRole::Admin {
            p { a.button href="/dashboard/customer-accounts/new" { "New customer account" } }
        }
        @if found.items.is_empty() { (empty("No customer account yet. Admins create them here, or with the Management API or the CLI.")) } @else {
            table { thead { tr { th { "Name" } th { "Code" } th { "Single sign-on" } th { "Customers" } th { "Created" } } }
                tbody { @for account in &found.items { tr {
                    td { a href={ (LIST) "/" (account.id) } { (if account.name.is_empty() { &account.code } else { &account.name }) } }
                    td { code { (account.code) } }
                    td { (if account.oidc.is_some() { "yes" } else { "no" }) }
                    td { (account.total_customers) }
                    td { (when(Some(account.created_at))) }
                } } } }
        }
        (pager(LIST, &[], filters.offset(), found.total))
    };
    Ok(page(&signed, LIST, "Customer accounts", body))
}

/// `GET /dashboard/customer-accounts/new`.
pub async fn new_form(signed: Signed) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    Ok(new_account_page(&signed, None))
}

fn new_account_page(signed: &Signed, refused: Option<&Refused<'_>>) -> Markup {
    let blank = Form::default();
    let fields = Fields {
        form: FORM,
        values: shown(refused, FORM, &blank),
    };
    let body = html! {
        p.crumbs { a href=(LIST) { "Customer accounts" } " / " }
        h1 { "New customer account" }
        (refusal(refused, FORM))
        form.card.fields method="post" action=(LIST) {
            (csrf_field(signed))
            (account_fields(&fields, false))
            button type="submit" { "Create customer account" }
        }
    };
    page(signed, LIST, "New customer account", body)
}

/// `POST /dashboard/customer-accounts`: the account, then its page.
pub async fn create(State(state): State<AppState>, action: Action) -> DashboardResult<Response> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(&state).await?;
    let created = tenant
        .create_customer_account(account_spec(&action.fields))
        .await
        .map_err(Into::into)
        .map(|account| {
            Redirect::to(&format!("{LIST}/{}?notice=account-created", account.id)).into_response()
        });
    match refusal_of(created, FORM, &action.fields)? {
        Ok(created) => Ok(created),
        Err(refused) => shown_again(new_account_page(&action.signed, Some(&refused))),
    }
}

/// `GET /dashboard/customer-accounts/{id}`: the account and its customers, a page at a time.
pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(filters): Query<Filters>,
    Query(noticed): Query<Noticed>,
) -> DashboardResult<Markup> {
    let tenant = signed.tenant(&state).await?;
    let account = tenant.customer_account(&account_name(&id)?).await?;
    account_page(&signed, &tenant, &account, &filters, noticed.notice(), None).await
}

async fn account_page(
    signed: &Signed,
    tenant: &Tenant<'_>,
    account: &CustomerAccount,
    filters: &Filters,
    noticed: Option<&str>,
    refused: Option<&Refused<'_>>,
) -> DashboardResult<Markup> {
    let customers = tenant
        .matching_customers(
            &ListQuery::default().with(
                field(CUSTOMER_FIELDS, "account")?,
                Lookup::Exact,
                Value::Int(account.id.get()),
            ),
            filters.page(),
        )
        .await?;
    let stored = account_values(account);
    let fields = Fields {
        form: FORM,
        values: shown(refused, FORM, &stored),
    };
    let path = format!("{LIST}/{}", account.id);
    let title = if account.name.is_empty() {
        &account.code
    } else {
        &account.name
    };
    let body = html! {
        p.crumbs { a href=(LIST) { "Customer accounts" } " / " }
        h1 { (title) }
        (notice(noticed))
        dl.card {
            dt { "Code" } dd { code { (account.code) } }
            dt { "Created" } dd { (when(Some(account.created_at))) }
            dt { "Single sign-on" }
            @match &account.oidc {
                Some(oidc) => {
                    dd { "yes" }
                    dt { "Issuer" } dd { (oidc.issuer) }
                    dt { "Client id" } dd { (oidc.client_id) }
                    dt { "Client secret" } dd { "stored (never shown)" }
                    dt { "Redirect URIs" } dd { @for uri in &oidc.redirect_uris { code { (uri) } " " } }
                    dt { "E-mail claim" } dd { code { (oidc.email_claim) } }
                }
                None => { dd { "no" } }
            }
        }
        @if signed.staff.role >= StaffRole::Admin {
            h2 { "Edit" }
            (refusal(refused, FORM))
            form.card.fields method="post" action=(path) {
                (csrf_field(signed))
                (account_fields(&fields, account.oidc.is_some()))
                button type="submit" { "Save customer account" }
            }
        }
        h2 { "Customers" }
        @if signed.staff.role >= StaffRole::Admin {
            (refusal(refused, MEMBER_FORM))
            form.card.fields method="post" action={ (path) "/customers" } {
                (csrf_field(signed))
                (Fields { form: MEMBER_FORM, values: shown(refused, MEMBER_FORM, &Form::default()) }
                    .input("email", "Customer email", "email", true))
                button type="submit" { "Add customer to account" }
            }
        }
        @if customers.items.is_empty() { (empty("No customer belongs to this account yet. Add one by e-mail above (admins), or with the Management API or the CLI.")) } @else {
            @if signed.staff.role >= StaffRole::Admin {
                (customer_table(&customers.items, Some(&|customer: CustomerId| action_button(
                    signed,
                    &format!("{path}/customers/{customer}/remove"),
                    "Remove from account",
                    None,
                ))))
            } @else {
                (customer_table(&customers.items, None))
            }
        }
        (pager(&path, &[], filters.offset(), customers.total))
    };
    Ok(page(signed, LIST, title, body))
}

/// The account `id` names, for an admin to change, with the tenant that changes it.
async fn account_to_change<'s>(
    state: &'s AppState,
    action: &Action,
    id: &str,
) -> DashboardResult<(Tenant<'s>, AccountName, CustomerAccount)> {
    action.signed.require(StaffRole::Admin)?;
    let tenant = action.signed.tenant(state).await?;
    let name = account_name(id)?;
    let account = tenant.customer_account(&name).await?;
    Ok((tenant, name, account))
}

/// `POST /dashboard/customer-accounts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Response> {
    let (tenant, name, account) = account_to_change(&state, &action, &id).await?;
    let saved = tenant
        .update_customer_account(&name, account_spec(&action.fields))
        .await
        .map_err(Into::into)
        .map(|account| {
            Redirect::to(&format!("{LIST}/{}?notice=account-saved", account.id)).into_response()
        });
    answer_account_form(&action, &tenant, &account, saved, FORM).await
}

/// What one of an account page's forms gets: `outcome` when it was done, else the page again with
/// `form`'s refusal beside it.
async fn answer_account_form(
    action: &Action,
    tenant: &Tenant<'_>,
    account: &CustomerAccount,
    outcome: DashboardResult<Response>,
    form: &str,
) -> DashboardResult<Response> {
    match refusal_of(outcome, form, &action.fields)? {
        Ok(done) => Ok(done),
        Err(refused) => shown_again(
            account_page(
                &action.signed,
                tenant,
                account,
                &Filters::default(),
                None,
                Some(&refused),
            )
            .await?,
        ),
    }
}

/// The customer an e-mail address names, for the form that asked; an unknown address is the
/// form's to correct, not a missing page.
async fn member_by_email(tenant: &Tenant<'_>, email: &str) -> DashboardResult<CustomerId> {
    match tenant.customer_by_email("email", email).await {
        Ok(customer) => Ok(customer.id),
        Err(ServiceError::NotFound(_)) => Err(DashboardError::Invalid(format!(
            "No customer has the e-mail {email}; customers are created with the licenses issued to them"
        ))),
        Err(other) => Err(other.into()),
    }
}

/// `POST /dashboard/customer-accounts/{id}/customers`: puts the customer with the e-mail sent in
/// the account (taking it out of any other), as the Management API's customer update does.
pub async fn add_customer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    action: Action,
) -> DashboardResult<Response> {
    let (tenant, name, account) = account_to_change(&state, &action, &id).await?;
    let added = async {
        let customer = member_by_email(&tenant, action.fields.text("email").trim()).await?;
        tenant
            .update_customer(customer, CustomerChanges::default(), Some(Some(name)))
            .await?;
        Ok(Redirect::to(&format!("{LIST}/{}?notice=customer-added", account.id)).into_response())
    }
    .await;
    answer_account_form(&action, &tenant, &account, added, MEMBER_FORM).await
}

/// `POST /dashboard/customer-accounts/{id}/customers/{customer}/remove`: takes the customer out
/// of the account; a customer of another account is not found here.
pub async fn remove_customer(
    State(state): State<AppState>,
    Path((id, customer)): Path<(String, String)>,
    action: Action,
) -> DashboardResult<Response> {
    let (tenant, _, account) = account_to_change(&state, &action, &id).await?;
    let customer = CustomerId::new(path_id(&customer)?);
    let member = tenant.customer(customer).await?;
    if member.customer.account.as_ref().map(|owner| owner.id) != Some(account.id) {
        return Err(DashboardError::NotFound);
    }
    tenant
        .update_customer(customer, CustomerChanges::default(), Some(None))
        .await?;
    Ok(Redirect::to(&format!("{LIST}/{}?notice=customer-removed", account.id)).into_response())
}
