//! Customer accounts and their identity providers: `/api/v1/customer-accounts/`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use latch_domain::CustomerAccountId;
use latch_service::model::CustomerAccount;
use latch_service::query::fields::CUSTOMER_ACCOUNT_FIELDS;
use latch_service::query::Field;
use latch_service::{AccountName, CustomerAccountSpec, OidcSpec};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::extract::Path;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::nullable;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(show_account, update_account, delete_account))
}

pub struct CustomerAccounts;

impl ListSpec for CustomerAccounts {
    const FIELDS: &'static [Field] = CUSTOMER_ACCOUNT_FIELDS;
}

/// How many characters of a client secret an answer shows: enough to tell secrets apart.
const SHOWN_SECRET_CHARS: usize = 4;

/// A customer account and its identity provider. The client secret is never shown: only its last
/// four characters, and only when it is long enough for that to give nothing away.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerAccountOut {
    pub id: i64,
    /// What the SDKs send as `customer_account_code`.
    pub code: String,
    pub name: String,
    /// Customers that belong to the account.
    pub total_customers: i64,
    /// The OpenID Connect issuer; null when the account has no identity provider.
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    /// `…` and the secret's last four characters (`…` alone for secrets under 16 characters).
    pub oidc_client_secret: Option<String>,
    /// Where the provider sends people back; the first is used when a request names none.
    pub oidc_redirect_uris: Vec<String>,
    /// The id token claim that holds the license user's e-mail address.
    pub oidc_email_claim: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The end of a secret, or nothing of it when it is short.
fn secret_hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 4 * SHOWN_SECRET_CHARS {
        return "…".to_owned();
    }
    let tail: String = chars[chars.len() - SHOWN_SECRET_CHARS..].iter().collect();
    format!("…{tail}")
}

impl From<CustomerAccount> for CustomerAccountOut {
    fn from(account: CustomerAccount) -> Self {
        let oidc = account.oidc.as_ref();
        Self {
            id: account.id.get(),
            code: account.code,
            name: account.name,
            total_customers: account.total_customers,
            oidc_issuer: oidc.map(|oidc| oidc.issuer.clone()),
            oidc_client_id: oidc.map(|oidc| oidc.client_id.clone()),
            oidc_client_secret: oidc.map(|oidc| secret_hint(oidc.client_secret.expose_secret())),
            oidc_redirect_uris: oidc
                .map(|oidc| oidc.redirect_uris.clone())
                .unwrap_or_default(),
            oidc_email_claim: oidc.map(|oidc| oidc.email_claim.clone()),
            created_at: account.created_at,
        }
    }
}

/// An account's fields; each one given is set, the others are left as they are. An identity
/// provider needs `oidc_issuer`, `oidc_client_id`, `oidc_client_secret` and one
/// `oidc_redirect_uris` entry; `"oidc_issuer": null` removes it.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CustomerAccountIn {
    /// Unique in the company; required on creation.
    pub code: Option<String>,
    pub name: Option<String>,
    /// https (plain http only on a loopback address), exactly as the provider's tokens name it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub oidc_issuer: Option<Option<String>>,
    pub oidc_client_id: Option<String>,
    /// Write-only.
    pub oidc_client_secret: Option<String>,
    pub oidc_redirect_uris: Option<Vec<String>>,
    /// `email` unless given.
    pub oidc_email_claim: Option<String>,
}

impl From<CustomerAccountIn> for CustomerAccountSpec {
    fn from(body: CustomerAccountIn) -> Self {
        Self {
            code: body.code,
            name: body.name,
            oidc: OidcSpec {
                remove: body.oidc_issuer == Some(None),
                issuer: body.oidc_issuer.flatten(),
                client_id: body.oidc_client_id,
                client_secret: body.oidc_client_secret,
                redirect_uris: body.oidc_redirect_uris,
                email_claim: body.oidc_email_claim,
            },
        }
    }
}

fn account_id(id: i64) -> AccountName {
    AccountName::Id(CustomerAccountId::new(id))
}

/// The company's customer accounts, newest first: filter by `code`, `name` (`__icontains`,
/// `__startswith`), `created_at` ranges.
#[utoipa::path(get, path = "/customer-accounts/", tag = "customers",
    responses((status = 200, body = Paginated<CustomerAccountOut>), Reads))]
async fn list_accounts(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<CustomerAccounts>,
) -> Result<JsonAnswer<Paginated<CustomerAccountOut>>, ManagementError> {
    let accounts = access
        .tenant(&state)
        .await?
        .customer_accounts(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(
        request.answer(accounts, CustomerAccountOut::from),
    ))
}

/// Creates an account; the code must be new in the company. Answers 200, as LicenseSpring does for
/// customers.
#[utoipa::path(post, path = "/customer-accounts/", tag = "customers",
    request_body = CustomerAccountIn,
    responses((status = 200, body = CustomerAccountOut), Writes))]
async fn create_account(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<CustomerAccountIn>,
) -> Result<JsonAnswer<CustomerAccountOut>, ManagementError> {
    let created = access
        .tenant(&state)
        .await?
        .create_customer_account(body.into())
        .await?;
    Ok(JsonAnswer(created.into()))
}

/// One customer account.
#[utoipa::path(get, path = "/customer-accounts/{id}/", tag = "customers",
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 200, body = CustomerAccountOut), Reads))]
async fn show_account(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<CustomerAccountOut>, ManagementError> {
    let account = access
        .tenant(&state)
        .await?
        .customer_account(&account_id(id))
        .await?;
    Ok(JsonAnswer(account.into()))
}

/// Changes the fields given; provider fields not given are kept.
#[utoipa::path(patch, path = "/customer-accounts/{id}/", tag = "customers",
    request_body = CustomerAccountIn,
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 200, body = CustomerAccountOut), Writes))]
async fn update_account(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<CustomerAccountIn>,
) -> Result<JsonAnswer<CustomerAccountOut>, ManagementError> {
    let account = access
        .tenant(&state)
        .await?
        .update_customer_account(&account_id(id), body.into())
        .await?;
    Ok(JsonAnswer(account.into()))
}

/// Deletes an account; its customers stay, without an account.
#[utoipa::path(delete, path = "/customer-accounts/{id}/", tag = "customers",
    params(("id" = i64, Path, description = "The account's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_account(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_customer_account(&account_id(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_end_of_a_long_secret_is_shown() {
        assert_eq!(secret_hint("short"), "…");
        assert_eq!(secret_hint("0123456789abcdef"), "…cdef");
    }
}
