//! Customer accounts: organisations whose people sign in to their licenses through the account's own
//! OpenID Connect provider. The License API verifies the provider's tokens; here vendors set the
//! accounts up.

use std::net::IpAddr;

use chrono::Utc;
use latch_domain::CustomerAccountId;
use latch_store::query::ListQuery;
use latch_store::{
    CustomerAccount, CustomerAccountChanges, CustomerAccountRef, Listing, NewCustomerAccount,
    OidcProvider, Page, StoreError,
};
use secrecy::{ExposeSecret, SecretString};

use crate::terms::require_code;
use crate::{ServiceError, ServiceResult, Tenant};

/// The id token claim that names the license user unless the account says otherwise.
pub const DEFAULT_EMAIL_CLAIM: &str = "email";

/// The longest URL an issuer or redirect URI may be.
const MAX_URL_LENGTH: usize = 2048;

/// An account's new values; `None` keeps a value on updates.
#[derive(Debug, Clone, Default)]
pub struct CustomerAccountSpec {
    pub code: Option<String>,
    pub name: Option<String>,
    pub oidc: OidcSpec,
}

/// An account's identity provider as given: on creation all of issuer, client id, client secret and
/// one redirect URI, or none of them; on updates any of them, completed by the provider the account
/// has.
#[derive(Debug, Clone, Default)]
pub struct OidcSpec {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub email_claim: Option<String>,
    /// Takes the provider away (nothing else of it may be given).
    pub remove: bool,
}

impl OidcSpec {
    fn names_a_field(&self) -> bool {
        self.issuer.is_some()
            || self.client_id.is_some()
            || self.client_secret.is_some()
            || self.redirect_uris.is_some()
            || self.email_claim.is_some()
    }

    /// The provider these values give, on top of the one the account has: `None` for "none".
    fn provider(self, current: Option<&OidcProvider>) -> ServiceResult<Option<OidcProvider>> {
        if self.remove {
            if self.names_a_field() {
                return Err(ServiceError::invalid(
                    "oidc_issuer",
                    "cannot remove the identity provider and change it at once",
                ));
            }
            return Ok(None);
        }
        if !self.names_a_field() {
            return Ok(current.cloned());
        }
        let required = |value: Option<String>, kept: Option<&str>, field: &'static str| {
            value.or_else(|| kept.map(str::to_owned)).ok_or_else(|| {
                ServiceError::invalid(field, "is required with an identity provider")
            })
        };
        let issuer = required(
            self.issuer,
            current.map(|oidc| oidc.issuer.as_str()),
            "oidc_issuer",
        )?;
        check_issuer(&issuer)?;
        let client_id = required(
            self.client_id,
            current.map(|oidc| oidc.client_id.as_str()),
            "oidc_client_id",
        )?;
        check_text("oidc_client_id", &client_id)?;
        let client_secret = required(
            self.client_secret,
            current.map(|oidc| oidc.client_secret.expose_secret()),
            "oidc_client_secret",
        )?;
        check_text("oidc_client_secret", &client_secret)?;
        let redirect_uris = self
            .redirect_uris
            .or_else(|| current.map(|oidc| oidc.redirect_uris.clone()))
            .unwrap_or_default();
        check_redirect_uris(&redirect_uris)?;
        let email_claim = self
            .email_claim
            .or_else(|| current.map(|oidc| oidc.email_claim.clone()))
            .unwrap_or_else(|| DEFAULT_EMAIL_CLAIM.to_owned());
        check_text("oidc_email_claim", &email_claim)?;
        Ok(Some(OidcProvider {
            issuer,
            client_id,
            client_secret: SecretString::from(client_secret),
            redirect_uris,
            email_claim,
        }))
    }
}

/// How a front door names an account: the CLI by code, the Management API by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountName {
    Id(CustomerAccountId),
    Code(String),
}

/// A value sent to the provider as is: not blank, short, no control characters.
fn check_text(field: &'static str, value: &str) -> ServiceResult<()> {
    if value.trim().is_empty() || value.len() > 1024 || value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "must have 1 to 1024 characters and no control characters",
        ));
    }
    Ok(())
}

/// Whether `url` names this machine: tokens and secrets may travel over plain http only there.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4).is_loopback(),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6).is_loopback(),
        None => false,
    }
}

/// An issuer as OpenID Connect Discovery requires: https with a host and no query or fragment (plain
/// http only on a loopback address, for a provider on the same machine).
pub fn check_issuer(issuer: &str) -> ServiceResult<()> {
    let invalid = |message: &str| Err(ServiceError::invalid("oidc_issuer", message));
    if issuer.len() > MAX_URL_LENGTH {
        return invalid("is longer than 2048 characters");
    }
    let Ok(url) = url::Url::parse(issuer) else {
        return invalid("is not a URL");
    };
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if is_loopback(&url) => {}
        _ => return invalid("must be an https URL (http only on a loopback address)"),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return invalid("must have no query or fragment");
    }
    Ok(())
}

/// Redirect URIs: at least one, each an absolute URL without fragment (an app's custom scheme such
/// as `myapp://callback` is allowed), none twice.
pub fn check_redirect_uris(uris: &[String]) -> ServiceResult<()> {
    let invalid = |message: String| Err(ServiceError::invalid("oidc_redirect_uris", message));
    if uris.is_empty() {
        return invalid("needs at least one URI with an identity provider".to_owned());
    }
    for (index, uri) in uris.iter().enumerate() {
        if uri.len() > MAX_URL_LENGTH {
            return invalid(format!("{uri:?} is longer than 2048 characters"));
        }
        match url::Url::parse(uri) {
            Ok(url) if url.fragment().is_none() => {}
            _ => return invalid(format!("{uri:?} is not an absolute URL without fragment")),
        }
        if uris[..index].contains(uri) {
            return invalid(format!("{uri:?} is given twice"));
        }
    }
    Ok(())
}

/// A taken code, named as the field that holds it.
fn code_taken(error: StoreError) -> ServiceError {
    match error {
        StoreError::Duplicate("customer account") => {
            ServiceError::invalid("code", "A customer account with this code already exists.")
        }
        other => other.into(),
    }
}

fn account_not_found(name: &AccountName) -> ServiceError {
    ServiceError::NotFound(match name {
        AccountName::Id(id) => format!("customer account with id {id}"),
        AccountName::Code(code) => format!("customer account with code {code}"),
    })
}

impl Tenant<'_> {
    /// Creates an account and records `customer_account.created`.
    pub async fn create_customer_account(
        &self,
        spec: CustomerAccountSpec,
    ) -> ServiceResult<CustomerAccount> {
        let code = spec
            .code
            .ok_or_else(|| ServiceError::invalid("code", "is required"))?;
        require_code("code", &code)?;
        let account = NewCustomerAccount {
            company_id: self.company_id(),
            code,
            name: spec.name.unwrap_or_default(),
            oidc: spec.oidc.provider(None)?,
        };
        self.store
            .create_customer_account(account, &self.actor, Utc::now())
            .await
            .map_err(code_taken)
    }

    /// The company's account named by id or code.
    pub async fn customer_account(&self, name: &AccountName) -> ServiceResult<CustomerAccount> {
        let found = match name {
            AccountName::Id(id) => self.store.customer_account(self.company_id(), *id).await?,
            AccountName::Code(code) => {
                self.store
                    .customer_account_by_code(self.company_id(), code)
                    .await?
            }
        };
        found.ok_or_else(|| account_not_found(name))
    }

    /// The company's accounts that match, newest first unless the query orders them.
    pub async fn customer_accounts(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<CustomerAccount>> {
        Ok(self
            .store
            .customer_accounts(self.company_id(), list_query, page)
            .await?)
    }

    /// Changes an account and records `customer_account.updated`; provider values not given are
    /// kept.
    pub async fn update_customer_account(
        &self,
        name: &AccountName,
        spec: CustomerAccountSpec,
    ) -> ServiceResult<CustomerAccount> {
        let current = self.customer_account(name).await?;
        if let Some(code) = &spec.code {
            require_code("code", code)?;
        }
        let changes = CustomerAccountChanges {
            code: spec.code,
            name: spec.name,
            oidc: if spec.oidc.remove || spec.oidc.names_a_field() {
                Some(spec.oidc.provider(current.oidc.as_ref())?)
            } else {
                None
            },
        };
        self.store
            .update_customer_account(
                self.company_id(),
                current.id,
                &changes,
                &self.actor,
                Utc::now(),
            )
            .await
            .map_err(code_taken)?
            .ok_or_else(|| account_not_found(name))
    }

    /// Deletes an account; its customers stay, without an account (their license users can no
    /// longer sign in through its provider).
    pub async fn delete_customer_account(&self, name: &AccountName) -> ServiceResult<()> {
        let account = self.customer_account(name).await?;
        if self
            .store
            .delete_customer_account(self.company_id(), account.id, &self.actor, Utc::now())
            .await?
        {
            Ok(())
        } else {
            Err(account_not_found(name))
        }
    }

    /// The account a customer is put in, as `field` names it.
    pub(crate) async fn account_for_customer(
        &self,
        field: &'static str,
        name: &AccountName,
    ) -> ServiceResult<CustomerAccountRef> {
        match self.customer_account(name).await {
            Ok(account) => Ok(account.reference()),
            Err(ServiceError::NotFound(what)) => {
                Err(ServiceError::invalid(field, format!("no {what}")))
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> OidcSpec {
        OidcSpec {
            issuer: Some("https://login.example.com/realms/acme".into()),
            client_id: Some("latch".into()),
            client_secret: Some("s3cret".into()),
            redirect_uris: Some(vec!["http://localhost:3333/callback".into()]),
            ..OidcSpec::default()
        }
    }

    fn refused_field(result: ServiceResult<Option<OidcProvider>>) -> &'static str {
        match result {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("expected a refused field, got {other:?}"),
        }
    }

    #[test]
    fn issuers_are_https_except_on_loopback() {
        for good in [
            "https://login.example.com",
            "https://login.example.com/realms/acme",
            "http://localhost:8080",
            "http://127.0.0.1:9400/",
            "http://[::1]:9400",
        ] {
            assert!(check_issuer(good).is_ok(), "{good}");
        }
        for bad in [
            "http://login.example.com",
            "ftp://login.example.com",
            "login.example.com",
            "https://login.example.com/?tenant=1",
            "https://login.example.com/#x",
            "http://10.0.0.5",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_are_absolute_distinct_and_at_least_one() {
        let uris = |list: &[&str]| list.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        assert!(check_redirect_uris(&uris(&["myapp://callback", "http://localhost:1/cb"])).is_ok());
        assert!(check_redirect_uris(&[]).is_err());
        assert!(check_redirect_uris(&uris(&["/callback"])).is_err());
        assert!(check_redirect_uris(&uris(&["https://a.example/cb#frag"])).is_err());
        assert!(check_redirect_uris(&uris(&["myapp://cb", "myapp://cb"])).is_err());
    }

    #[test]
    fn a_new_provider_needs_issuer_client_secret_and_a_redirect_uri() {
        let provider = complete().provider(None).unwrap().unwrap();
        assert_eq!(provider.email_claim, DEFAULT_EMAIL_CLAIM);
        for (missing, field) in [
            (
                OidcSpec {
                    issuer: None,
                    ..complete()
                },
                "oidc_issuer",
            ),
            (
                OidcSpec {
                    client_id: None,
                    ..complete()
                },
                "oidc_client_id",
            ),
            (
                OidcSpec {
                    client_secret: None,
                    ..complete()
                },
                "oidc_client_secret",
            ),
            (
                OidcSpec {
                    redirect_uris: None,
                    ..complete()
                },
                "oidc_redirect_uris",
            ),
        ] {
            assert_eq!(refused_field(missing.provider(None)), field);
        }
        assert!(OidcSpec::default().provider(None).unwrap().is_none());
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name() {
        let current = complete().provider(None).unwrap().unwrap();
        let changed = OidcSpec {
            client_secret: Some("rotated".into()),
            email_claim: Some("upn".into()),
            ..OidcSpec::default()
        }
        .provider(Some(&current))
        .unwrap()
        .unwrap();
        assert_eq!(changed.issuer, current.issuer);
        assert_eq!(changed.redirect_uris, current.redirect_uris);
        assert_eq!(changed.client_secret.expose_secret(), "rotated");
        assert_eq!(changed.email_claim, "upn");
        let removed = OidcSpec {
            remove: true,
            ..OidcSpec::default()
        };
        assert!(removed.provider(Some(&current)).unwrap().is_none());
        let contradictory = OidcSpec {
            remove: true,
            ..complete()
        };
        assert_eq!(
            refused_field(contradictory.provider(Some(&current))),
            "oidc_issuer"
        );
    }
}
