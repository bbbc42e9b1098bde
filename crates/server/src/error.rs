//! Every failure a License API client can see, and the one table that gives each its HTTP status and
//! `code` (compare with the error lists of the spec).

use std::borrow::Cow;
use std::fmt;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use latch_domain::DomainError;
use latch_store::StoreError;
use latch_wire::auth::AuthError;
use latch_wire::body::{to_json, ErrorBody, TokenErrorBody};

use crate::sso::SsoError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("Provided product was not found")]
    UnknownProduct,
    #[error("The product is not a bundle")]
    NotABundle,
    #[error("License not found for the provided license key or license user")]
    LicenseNotFound,
    #[error("The license has no feature with this code")]
    InvalidLicenseFeatureCode,
    #[error("The product has no consumption feature with this code on this license")]
    UnsupportedProductFeature,
    #[error("Wrong username or password")]
    InvalidCredentials,
    #[error("Customer does not exist")]
    CustomerDoesNotExist,
    #[error("Trials are not allowed for this product")]
    TrialNotAllowed,
    #[error("hardware_id is required")]
    MissingHardwareId,
    #[error("An active license on this device is required")]
    ActiveLicenseRequired,
    #[error("No release with this version")]
    VersionNotFound,
    #[error("missing parameter: {0}")]
    MissingParameter(&'static str),
    #[error("{0}")]
    Validation(String),
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    #[error("no such endpoint")]
    NotFound,
    #[error("method not allowed on this endpoint")]
    MethodNotAllowed,
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("the server is busy; retry after {retry_after} s")]
    ServerBusy { retry_after: u64 },
    #[error("storage is unavailable; retry after {retry_after} s")]
    StorageUnavailable {
        retry_after: u64,
        #[source]
        cause: StoreError,
    },
    #[error("internal error")]
    Internal(#[source] InternalError),
    #[error("the request file is empty")]
    MissingContent,
    #[error("Floating cloud licenses cannot be activated offline")]
    OfflineFloatingCloudNotSupported,
    #[error("Customer account not found")]
    CustomerAccountNotFound,
    #[error("The customer account has no identity provider")]
    SsoNotConfigured,
    #[error("{0}")]
    SsoTokenInvalid(String),
    #[error("No license user of the customer account has this e-mail address")]
    SsoUserNotFound,
    #[error("The customer account's identity provider cannot be used right now")]
    SsoProviderUnavailable,
}

/// Attached to the answer an `ApiError` becomes, so the authentication layer can count the refusal
/// for the request's company.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub code: &'static str,
}

/// How long a client is asked to wait when storage is unavailable.
const STORAGE_RETRY_AFTER_SECONDS: u64 = 5;

/// What went wrong behind a 500: logged when the error becomes a response, never shown to the client.
#[derive(Debug)]
pub struct InternalError {
    context: Cow<'static, str>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl InternalError {
    /// A broken invariant of Latch itself, described by `context`.
    pub const fn invariant(context: &'static str) -> Self {
        Self {
            context: Cow::Borrowed(context),
            cause: None,
        }
    }

    /// `cause` made `context` (what Latch was doing) fail.
    pub fn caused(
        context: impl Into<Cow<'static, str>>,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            context: context.into(),
            cause: Some(cause.into()),
        }
    }
}

impl fmt::Display for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.context),
            None => f.write_str(&self.context),
        }
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|cause| cause as _)
    }
}

impl From<InternalError> for ApiError {
    fn from(error: InternalError) -> Self {
        ApiError::Internal(error)
    }
}

impl ApiError {
    /// The status and code of each failure.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            ApiError::Auth(error) => match error {
                AuthError::MissingHeaders => (S::BAD_REQUEST, "missing_headers"),
                AuthError::DateHeaderDiff => (S::BAD_REQUEST, "date_header_diff"),
                AuthError::InvalidHeaders => (S::BAD_REQUEST, "authorization_invalid_headers"),
                AuthError::MissingParams => (S::BAD_REQUEST, "authorization_missing_params"),
                AuthError::HmacRequired => (S::BAD_REQUEST, "hmac_required"),
                AuthError::SignatureMismatch => (S::BAD_REQUEST, "signature_mismatch"),
                AuthError::InvalidApiKey => (S::BAD_REQUEST, "invalid_api_key"),
                AuthError::RevokedApiKey => (S::BAD_REQUEST, "revoked_api_key"),
                AuthError::ReadOnlyApiKey => (S::BAD_REQUEST, "read_only_api_key"),
                // The Python SDK fetches a new token on these two codes and tries again; a revoked
                // client then fails at the token endpoint, which stops it.
                AuthError::OAuthTokenExpired | AuthError::OAuthClientRevoked => {
                    (S::UNAUTHORIZED, "oauth_token_expired")
                }
                AuthError::OAuthTokenMalformed => (S::UNAUTHORIZED, "oauth_token_malformed"),
            },
            ApiError::Domain(error) => match error {
                DomainError::LicenseNotEnabled => (S::BAD_REQUEST, "license_not_enabled"),
                DomainError::LicenseNotActive => (S::BAD_REQUEST, "license_not_active"),
                DomainError::LicenseExpired => (S::BAD_REQUEST, "license_expired"),
                DomainError::TrialExpired => (S::BAD_REQUEST, "trial_expired"),
                DomainError::LicenseStartDate(_) => (S::BAD_REQUEST, "license_start_date_error"),
                DomainError::ActivatedMaxTimes => (S::BAD_REQUEST, "license_activated_max_times"),
                DomainError::DeviceExists => (S::CONFLICT, "license_device_exists"),
                DomainError::Blacklisted => (S::BAD_REQUEST, "blacklisted"),
                DomainError::VmNotAllowed => (S::BAD_REQUEST, "vm_not_allowed"),
                DomainError::DeviceNotFound => (S::BAD_REQUEST, "device_not_found"),
                DomainError::UserActivatedMaxTimes => {
                    (S::BAD_REQUEST, "license_user_activated_max_times")
                }
                DomainError::TransferredMaxTimes => {
                    (S::BAD_REQUEST, "license_transferred_max_times")
                }
                DomainError::LicenseNotConsumption => (S::BAD_REQUEST, "license_not_consumption"),
                DomainError::NotEnoughConsumptions => {
                    (S::BAD_REQUEST, "license_not_enough_consumptions")
                }
                DomainError::FeatureNotEnoughConsumptions => {
                    (S::BAD_REQUEST, "feature_not_enough_consumptions")
                }
                DomainError::FeatureNotConsumption => {
                    (S::BAD_REQUEST, "unsupported_product_feature")
                }
                DomainError::NegativeConsumptionsNotAllowed => {
                    (S::BAD_REQUEST, "negative_consumptions_not_allowed")
                }
                DomainError::FloatingNotAvailable => (S::BAD_REQUEST, "floating_not_available"),
                DomainError::BorrowNotAllowed => (S::BAD_REQUEST, "license_borrow_not_allowed"),
                DomainError::BorrowUntilNotValid => (S::BAD_REQUEST, "borrow_until_not_valid"),
                DomainError::FeatureNotFloating => (S::BAD_REQUEST, "feature_not_floating"),
                DomainError::FloatingFeatureDeviceNotInUse => {
                    (S::BAD_REQUEST, "floating_feature_device_not_in_use")
                }
            },
            // No bundle with that code: the documented code for an unknown product.
            ApiError::UnknownProduct | ApiError::NotABundle => (S::BAD_REQUEST, "unknown_product"),
            ApiError::LicenseNotFound => (S::BAD_REQUEST, "license_not_found"),
            ApiError::InvalidLicenseFeatureCode => (S::BAD_REQUEST, "invalid_license_feature_code"),
            ApiError::UnsupportedProductFeature => (S::BAD_REQUEST, "unsupported_product_feature"),
            ApiError::InvalidCredentials => (S::BAD_REQUEST, "invalid_credentials"),
            ApiError::CustomerDoesNotExist => (S::BAD_REQUEST, "customer_does_not_exist"),
            ApiError::TrialNotAllowed => (S::BAD_REQUEST, "trial_not_allowed"),
            ApiError::MissingHardwareId => (S::BAD_REQUEST, "missing_hardware_id"),
            ApiError::ActiveLicenseRequired => (S::BAD_REQUEST, "active_license_required"),
            ApiError::VersionNotFound => (S::BAD_REQUEST, "version_not_found"),
            ApiError::MissingParameter(_) => (S::BAD_REQUEST, "missing_parameters"),
            ApiError::Validation(_) => (S::BAD_REQUEST, "validation_error"),
            ApiError::InvalidJson(_) => (S::BAD_REQUEST, "invalid_json"),
            ApiError::PayloadTooLarge(_) => (S::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::RequestTimeout => (S::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::NotFound => (S::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (S::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooManyRequests { .. } => (S::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::ServerBusy { .. } => (S::SERVICE_UNAVAILABLE, "server_busy"),
            ApiError::StorageUnavailable { .. } => (S::SERVICE_UNAVAILABLE, "storage_unavailable"),
            ApiError::Internal(_) => (S::INTERNAL_SERVER_ERROR, "internal_error"),
            ApiError::MissingContent => (S::BAD_REQUEST, "missing_content"),
            ApiError::OfflineFloatingCloudNotSupported => {
                (S::BAD_REQUEST, "offline_floating_cloud_not_supported")
            }
            ApiError::CustomerAccountNotFound => (S::BAD_REQUEST, "customer_account_not_found"),
            ApiError::SsoNotConfigured => (S::BAD_REQUEST, "sso_not_configured"),
            ApiError::SsoTokenInvalid(_) => (S::BAD_REQUEST, "sso_token_invalid"),
            ApiError::SsoUserNotFound => (S::BAD_REQUEST, "sso_user_not_found"),
            // Not the client's fault, and nothing it can fix: like storage, a 503.
            ApiError::SsoProviderUnavailable => {
                (S::SERVICE_UNAVAILABLE, "sso_provider_unavailable")
            }
        }
    }

    /// Seconds the client should wait before trying again, sent as `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after }
            | ApiError::ServerBusy { retry_after }
            | ApiError::StorageUnavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Rejected(domain) => ApiError::Domain(domain),
            StoreError::UnknownProduct => ApiError::UnknownProduct,
            StoreError::LicenseNotFound => ApiError::LicenseNotFound,
            StoreError::UnknownFeature => ApiError::InvalidLicenseFeatureCode,
            // Answered only where no replay middleware waits for the identical request instead.
            StoreError::RequestClaimed => ApiError::ServerBusy { retry_after: 1 },
            ref unavailable if unavailable.is_storage_unavailable() => {
                tracing::warn!(%error, "storage unavailable");
                ApiError::StorageUnavailable {
                    retry_after: STORAGE_RETRY_AFTER_SECONDS,
                    cause: error,
                }
            }
            other => InternalError::caused("storage failure", other).into(),
        }
    }
}

impl From<latch_service::ServiceError> for ApiError {
    fn from(error: latch_service::ServiceError) -> Self {
        match error {
            latch_service::ServiceError::Store(store) => store.into(),
            latch_service::ServiceError::Busy => ApiError::ServerBusy { retry_after: 1 },
            other => InternalError::caused("could not create secrets or hashes", other).into(),
        }
    }
}

impl From<SsoError> for ApiError {
    fn from(error: SsoError) -> Self {
        match error {
            SsoError::Token(refused) => ApiError::SsoTokenInvalid(refused.to_string()),
            SsoError::CodeRefused(_) => ApiError::SsoTokenInvalid(error.to_string()),
            // The vendor reads the cause in the log; the app is told only that it cannot sign in.
            SsoError::Provider { .. } => {
                tracing::warn!(%error, "identity provider unavailable");
                ApiError::SsoProviderUnavailable
            }
        }
    }
}

impl IntoResponse for ApiError {
    /// Logs the cause of an internal error, inside the request's span so the line carries its id.
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "internal error");
        }
        let (status, code) = self.status_and_code();
        let message = self.to_string();
        let body = to_json(&ErrorBody {
            status: status.as_u16(),
            code,
            message: &message,
        });
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            Extension(Refusal { code }),
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// A refusal of the OAuth token endpoint, answered in RFC 6749 §5.2's form
/// `{"error": CODE, "error_description": WHY}` rather than the License API's.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    InvalidRequest(String),
    /// Unknown or revoked client, or a wrong secret; `basic` when the client authenticated with HTTP
    /// Basic, which the answer then asks for again.
    #[error("client authentication failed")]
    InvalidClient { basic: bool },
    #[error("only the client_credentials grant is supported")]
    UnsupportedGrantType,
    /// Limits and storage failures, with the License API's code and status.
    #[error(transparent)]
    Refused(#[from] ApiError),
}

impl TokenError {
    /// The status and `error` code of each refusal.
    pub fn status_and_error(&self) -> (StatusCode, &'static str) {
        match self {
            TokenError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            TokenError::InvalidClient { .. } => (StatusCode::UNAUTHORIZED, "invalid_client"),
            TokenError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            TokenError::Refused(error) => error.status_and_code(),
        }
    }
}

impl From<latch_service::ServiceError> for TokenError {
    fn from(error: latch_service::ServiceError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        if let TokenError::Refused(ApiError::Internal(cause)) = &self {
            tracing::error!(error = %cause, "internal error");
        }
        let (status, error) = self.status_and_error();
        let description = self.to_string();
        let body = to_json(&TokenErrorBody {
            error,
            error_description: &description,
        });
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        let headers = response.headers_mut();
        if let TokenError::InvalidClient { basic: true } = self {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"latch\""),
            );
        }
        if let TokenError::Refused(error) = &self {
            if let Some(seconds) = error.retry_after() {
                headers.insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_exists_is_the_one_conflict() {
        let (status, code) = ApiError::Domain(DomainError::DeviceExists).status_and_code();
        assert_eq!((status.as_u16(), code), (409, "license_device_exists"));
    }

    #[test]
    fn business_failures_are_never_5xx() {
        let samples = [
            ApiError::Domain(DomainError::LicenseExpired),
            ApiError::Auth(AuthError::SignatureMismatch),
            ApiError::Auth(AuthError::OAuthTokenExpired),
            ApiError::Auth(AuthError::OAuthClientRevoked),
            ApiError::Auth(AuthError::OAuthTokenMalformed),
            ApiError::UnknownProduct,
            ApiError::NotABundle,
            ApiError::MissingParameter("product"),
            ApiError::PayloadTooLarge(1),
            ApiError::RequestTimeout,
            ApiError::CustomerAccountNotFound,
            ApiError::SsoNotConfigured,
            ApiError::SsoTokenInvalid("expired".into()),
            ApiError::SsoUserNotFound,
        ];
        for error in samples {
            assert!(error.status_and_code().0.is_client_error(), "{error:?}");
        }
    }

    #[test]
    fn the_start_date_message_carries_the_date() {
        use chrono::TimeZone;
        let start = chrono::Utc.with_ymd_and_hms(2030, 1, 2, 0, 0, 0).unwrap();
        let error = ApiError::Domain(DomainError::LicenseStartDate(start));
        assert!(error.to_string().contains("2030-01-02"));
    }
}
