//! The License API v4: one module per endpoint family, each handler thin (parameters -> domain rule ->
//! store -> wire body).

mod activate;
mod body;
mod bundles;
mod check;
mod consumption;
mod deactivate;
mod features;
mod floating;
mod oauth;
mod offline;
mod product_details;
mod releases;
mod sso;
mod trial;
mod users;
mod variables;

use axum::http::{header, Request, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use latch_domain::{CompanyId, LicenseId};
use latch_store::{DeviceInfo, DeviceKey, LicenseIdent};

use crate::auth::Tenant;
use crate::error::ApiError;
use crate::params::{LookupEmail, Params};
use crate::state::AppState;

pub(crate) use offline::form_file;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activate_license", post(activate::activate_license))
        .route("/check_license", get(check::check_license))
        .route("/deactivate_license", post(deactivate::deactivate_license))
        .route(
            "/track_device_variables",
            post(variables::track_device_variables),
        )
        .route(
            "/get_device_variables",
            get(variables::get_device_variables),
        )
        .route("/add_consumption", post(consumption::add_consumption))
        .route(
            "/add_feature_consumption",
            post(consumption::add_feature_consumption),
        )
        .route(
            "/check_license_feature",
            get(features::check_license_feature),
        )
        .route("/floating/release", post(floating::floating_release))
        .route("/floating/borrow", post(floating::floating_borrow))
        .route("/floating/feature_borrow", post(features::feature_borrow))
        .route("/floating/feature_release", post(features::feature_release))
        .route("/trial_key", get(trial::trial_key))
        .route("/product_details", get(product_details::product_details))
        .route("/user_licenses", get(users::user_licenses))
        .route(
            "/customer_license_users",
            get(users::customer_license_users),
        )
        .route("/change_password", post(users::change_password))
        .route("/versions", get(releases::versions))
        .route("/installation_file", get(releases::installation_file))
        .route("/activate_offline", post(offline::activate_offline))
        .route("/deactivate_offline", post(offline::deactivate_offline))
        .route("/activate_bundle", post(bundles::activate_bundle))
        .route("/check_bundle", get(bundles::check_bundle))
        .route("/deactivate_bundle", post(bundles::deactivate_bundle))
        .route("/sso_url", get(sso::sso_url))
}

/// The endpoints a client reaches before it has a credential: where to get an access token, and
/// getting one. The authentication layer is not in front of them.
pub fn credential_router() -> Router<AppState> {
    Router::new()
        .route("/oauth_url", get(oauth::oauth_url))
        .route(oauth::TOKEN_ENDPOINT, post(oauth::token))
}

/// License API paths are declared without a trailing slash, as the SDKs call them; a client that
/// adds one (LicenseSpring's own Postman collection does) reaches the same route. Authentication
/// and signing are unchanged: the HMAC covers only the `Date` header.
pub(crate) fn without_trailing_slash<B>(mut request: Request<B>) -> Request<B> {
    let path = request.uri().path();
    let Some(endpoint) = path.strip_prefix("/api/v4/") else {
        return request;
    };
    let Some(trimmed) = endpoint.strip_suffix('/').filter(|e| !e.is_empty()) else {
        return request;
    };
    let rewritten = match request.uri().query() {
        Some(query) => format!("/api/v4/{trimmed}?{query}"),
        None => format!("/api/v4/{trimmed}"),
    };
    if let Ok(uri) = rewritten.parse::<Uri>() {
        *request.uri_mut() = uri;
    }
    request
}

/// The identity parameters most endpoints take: product, hardware id, and the license key or the
/// license user's name, optionally pinned to one license id.
pub(crate) struct Identity<'a> {
    pub product: &'a str,
    pub hardware_id: &'a str,
    holder: Holder<'a>,
    license_id: Option<LicenseId>,
}

/// Who holds the license: a key, or a license user.
enum Holder<'a> {
    Key(&'a str),
    /// User names are e-mail addresses.
    User(LookupEmail),
    /// A license user a customer account's identity provider vouched for.
    SignedIn(LookupEmail),
}

impl<'a> Identity<'a> {
    pub fn from_params(params: &'a Params) -> Result<Self, ApiError> {
        let product = params.required_str("product")?;
        let hardware_id = params.required_str("hardware_id")?;
        let license_key = params
            .optional_str("license_key")?
            .filter(|k| !k.is_empty());
        let username = params.optional_str("username")?.filter(|u| !u.is_empty());
        let holder = match (license_key, username) {
            (Some(key), _) => Holder::Key(key),
            (None, Some(username)) => Holder::User(LookupEmail::parse(username)),
            (None, None) => return Err(ApiError::MissingParameter("license_key")),
        };
        Ok(Self {
            product,
            hardware_id,
            holder,
            license_id: params.optional_i64("license_id")?.map(LicenseId::new),
        })
    }

    /// The identity of a call that may sign in through a customer account's identity provider
    /// (`customer_account_code` with `id_token` or `code`) instead of naming a key or a user.
    pub async fn signed_in(
        state: &AppState,
        tenant: &Tenant,
        params: &'a Params,
    ) -> Result<Self, ApiError> {
        let Some(user) = sso::signed_in_user(state, tenant, params).await? else {
            return Self::from_params(params);
        };
        Ok(Self {
            product: params.required_str("product")?,
            hardware_id: params.required_str("hardware_id")?,
            holder: Holder::SignedIn(LookupEmail::parse(&user.email)),
            license_id: params.optional_i64("license_id")?.map(LicenseId::new),
        })
    }

    pub fn device_key(&self, company_id: CompanyId) -> DeviceKey<'_> {
        DeviceKey {
            company_id,
            product_code: self.product,
            ident: match &self.holder {
                Holder::Key(key) => LicenseIdent::Key(key),
                Holder::User(username) | Holder::SignedIn(username) => {
                    LicenseIdent::User(username.lookup_text())
                }
            },
            license_id: self.license_id,
            hardware_id: self.hardware_id,
        }
    }

    /// The license user's name, for calls that also check a password (a user signed in through
    /// an identity provider has none to check).
    pub fn username(&self) -> Option<&LookupEmail> {
        match &self.holder {
            Holder::Key(_) | Holder::SignedIn(_) => None,
            Holder::User(username) => Some(username),
        }
    }

    /// What the v1 `license_signature` names the license by: the key, or the user name (for a
    /// signed-in user, the `user.email` of the answer) up to the first `|`.
    pub fn signature_ident(&self) -> &str {
        match &self.holder {
            Holder::Key(key) => key,
            Holder::User(username) | Holder::SignedIn(username) => {
                latch_service::license_signatures::user_ident(username.lookup_text())
            }
        }
    }
}

fn device_info(params: &Params) -> Result<DeviceInfo, ApiError> {
    let text = |name| params.optional_str(name).map(|v| v.map(str::to_owned));
    Ok(DeviceInfo {
        is_vm: params.flag("is_vm")?,
        vm_info: text("vm_info")?,
        os_ver: text("os_ver")?,
        hostname: text("hostname")?,
        ip: text("ip")?,
        mac_address: text("mac_address")?,
        app_ver: text("app_ver")?,
        sdk_ver: text("sdk_ver")?,
    })
}

/// A 200 answer with a compact JSON body (signed by the authentication layer).
fn json(body: &impl serde::Serialize) -> Response {
    json_bytes(latch_wire::body::to_json(body).into())
}

/// A 200 answer with these JSON bytes (signed by the authentication layer).
fn json_bytes(bytes: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// The empty-string success of the release endpoints.
fn empty() -> Response {
    json(&"")
}
