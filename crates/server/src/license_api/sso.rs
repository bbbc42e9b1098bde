//! Single sign-on through a customer account's identity provider: `sso_url` gives the app the
//! provider's sign-in page; activations (and `user_licenses`, `activate_bundle`, `floating/borrow`)
//! with `customer_account_code` and an `id_token` or a `code` act for the license user of the
//! account whose e-mail address the provider vouches for.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::extract::State;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use latch_domain::Email;
use latch_oidc::{AuthorizeRequest, ResponseType};
use latch_service::model::{CustomerAccount, LicenseUser, OidcProvider};
use latch_wire::body::{OpenidConfigurationBody, SsoUrlBody};

use super::json;
use crate::auth::Tenant;
use crate::error::{ApiError, InternalError};
use crate::params::Params;
use crate::state::AppState;

/// The customer account a request names, with its identity provider.
async fn account_with_provider(
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
) -> Result<(CustomerAccount, OidcProvider), ApiError> {
    let code = params.required_str("customer_account_code")?;
    let mut account = state
        .store
        .customer_account_by_code(tenant.company_id, code)
        .await?
        .ok_or(ApiError::CustomerAccountNotFound)?;
    let oidc = account.oidc.take().ok_or(ApiError::SsoNotConfigured)?;
    Ok((account, oidc))
}

/// The request's `redirect_uri`, which must be one the account registered, or else the account's
/// first (the Python SDK sends none).
fn redirect_uri<'a>(params: &'a Params, oidc: &'a OidcProvider) -> Result<&'a str, ApiError> {
    match params
        .optional_str("redirect_uri")?
        .filter(|uri| !uri.is_empty())
    {
        Some(uri)
            if oidc
                .redirect_uris
                .iter()
                .any(|registered| registered == uri) =>
        {
            Ok(uri)
        }
        Some(_) => Err(ApiError::Validation(
            "redirect_uri is not registered for this customer account".into(),
        )),
        None => oidc
            .redirect_uris
            .first()
            .map(String::as_str)
            .ok_or(InternalError::invariant("an identity provider has a redirect URI").into()),
    }
}

/// 16 random bytes, URL-safe: a `state` or `nonce` no one can guess.
fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| InternalError::invariant("the random number generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// `GET /api/v4/sso_url`: the provider's authorization URL for the app to open, with the
/// provider's endpoints.
pub async fn sso_url(
    State(state): State<AppState>,
    tenant: Tenant,
    params: Params,
) -> Result<Response, ApiError> {
    let product = params.required_str("product")?;
    state
        .store
        .product(tenant.company_id, product)
        .await?
        .ok_or(ApiError::UnknownProduct)?;
    let (_, oidc) = account_with_provider(&state, &tenant, &params).await?;
    let response_type = match params.optional_str("response_type")? {
        None | Some("") => ResponseType::Code,
        Some(value) => ResponseType::from_request(value)
            .ok_or_else(|| ApiError::Validation("response_type must be code or token".into()))?,
    };
    let redirect_uri = redirect_uri(&params, &oidc)?;
    let discovery = state.identity_providers.discovery(&oidc.issuer).await?;
    let url = discovery
        .authorize_url(&AuthorizeRequest {
            client_id: &oidc.client_id,
            redirect_uri,
            response_type,
            state: &random_token()?,
            nonce: &random_token()?,
        })
        .map_err(|error| InternalError::caused("building the authorization URL", error))?;
    let discovery = discovery.as_ref().clone();
    Ok(json(&SsoUrlBody {
        url,
        openid_configuration: OpenidConfigurationBody {
            issuer: discovery.issuer,
            authorization_endpoint: discovery.authorization_endpoint,
            token_endpoint: discovery.token_endpoint,
            end_session_endpoint: discovery.end_session_endpoint,
            introspection_endpoint: discovery.introspection_endpoint,
            userinfo_endpoint: discovery.userinfo_endpoint,
            jwks_uri: discovery.jwks_uri,
        },
        alternate_urls: Vec::new(),
    }))
}

/// What a request signs in with.
enum Credential<'a> {
    /// An authorization code, exchanged at the provider's token endpoint.
    Code(&'a str),
    IdToken(&'a str),
}

/// The license user a request signs in as through its customer account's provider: with
/// `customer_account_code` and a `code` (exchanged at the provider) or an `id_token`. `None` when
/// the request carries neither, and so signs in some other way.
pub async fn signed_in_user(
    state: &AppState,
    tenant: &Tenant,
    params: &Params,
) -> Result<Option<LicenseUser>, ApiError> {
    let given = |name| {
        params
            .optional_str(name)
            .map(|value| value.filter(|v| !v.is_empty()))
    };
    if given("customer_account_code")?.is_none() {
        return Ok(None);
    }
    // A code wins over a token, as the Python SDK sends it when it has both.
    let credential = match (given("code")?, given("id_token")?) {
        (Some(code), _) => Credential::Code(code),
        (None, Some(token)) => Credential::IdToken(token),
        (None, None) => return Ok(None),
    };
    let (account, oidc) = account_with_provider(state, tenant, params).await?;
    let providers = &state.identity_providers;
    let claimed = match credential {
        Credential::Code(code) => {
            let redirect_uri = redirect_uri(params, &oidc)?;
            providers.exchange_code(&oidc, code, redirect_uri).await?
        }
        Credential::IdToken(token) => providers.verify(&oidc, token).await?,
    };
    let email = Email::parse(&claimed).map_err(|_| {
        ApiError::SsoTokenInvalid(format!(
            "the id token's {} claim is not an e-mail address",
            oidc.email_claim
        ))
    })?;
    state
        .store
        .account_license_user(tenant.company_id, account.id, email.as_str())
        .await?
        .map(Some)
        .ok_or(ApiError::SsoUserNotFound)
}
