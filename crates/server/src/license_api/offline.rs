//! `activate_offline` and `deactivate_offline`: the body is the base64 request file, as `text/plain` or
//! as the `file` field of a `multipart/form-data` form. The files themselves are handled by the service
//! layer, which the CLI and the Management API share.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use latch_service::model::Actor;
use latch_service::offline::{requested_holder, OfflineError};
use latch_wire::auth::AuthError;
use latch_wire::body::LICENSE_DEACTIVATED;
use latch_wire::offline::RequestFileError;

use super::json;
use crate::auth::{Tenant, WritableTenant};
use crate::error::{ApiError, InternalError};
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// The base64 text of a request file, from a plain body or a form's `file` field.
pub struct RequestFileText(pub String);

impl<S: Send + Sync> FromRequest<S> for RequestFileText {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if is_multipart(&request) {
            return form_file(Multipart::from_request(request, state).await.map_err(
                |rejection| {
                    ApiError::Validation(format!("unreadable form: {}", rejection.body_text()))
                },
            )?)
            .await
            .map(Self);
        }
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::Validation(rejection.body_text()))?;
        String::from_utf8(body.to_vec())
            .map(Self)
            .map_err(|_| RequestFileError::NotBase64.into())
    }
}

fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The text of the form's `file` field; a form without one is an empty request.
pub async fn form_file(mut form: Multipart) -> Result<String, ApiError> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        ApiError::Validation(format!("unreadable form: {}", error.body_text()))
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(unreadable)?;
            return String::from_utf8(bytes.to_vec())
                .map_err(|_| RequestFileError::NotBase64.into());
        }
    }
    Err(RequestFileError::Empty.into())
}

/// The company's service side, acting as the device that sent the file.
async fn device_side<'s>(
    state: &'s AppState,
    tenant: &Tenant,
) -> Result<latch_service::Tenant<'s>, ApiError> {
    Ok(state
        .service
        .tenant(tenant.company_id)
        .await?
        .acting_as(Actor::Device(None)))
}

/// `POST /api/v4/activate_offline`: answers the license object a license file holds, with its
/// `license_signature_v2` (and the usual `LicenseSignature` header); for a bundle, the bundle file
/// in the shape the requesting SDK reads.
pub async fn activate_offline(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    client: Option<ClientAddr>,
    RequestFileText(file): RequestFileText,
) -> Result<Response, ApiError> {
    // The same limits as an online activation, counted for the license (or user) the file names.
    let holder = requested_holder(&file);
    if let Some(holder) = &holder {
        state
            .rate_limits
            .activation(state.store.as_ref(), tenant.company_id, &holder.name)
            .await?;
        if holder.is_user {
            state
                .rate_limits
                .password_attempt(
                    state.store.as_ref(),
                    tenant.company_id,
                    &holder.name,
                    client,
                )
                .await?;
        }
    }
    let activated = device_side(&state, &tenant)
        .await?
        .activate_offline(&file, &state.passwords, None)
        .await;
    if let Some(holder) = holder.filter(|holder| holder.is_user) {
        match &activated {
            Err(OfflineError::InvalidCredentials) => state.rate_limits.secret_wrong(client),
            Ok(_) => {
                state
                    .rate_limits
                    .password_right(state.store.as_ref(), tenant.company_id, &holder.name)
                    .await?
            }
            Err(_) => {}
        }
    }
    let license = activated?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        license.json().to_vec(),
    )
        .into_response())
}

/// `POST /api/v4/deactivate_offline`: answers `"license_deactivated"`.
pub async fn deactivate_offline(
    State(state): State<AppState>,
    WritableTenant(tenant): WritableTenant,
    RequestFileText(file): RequestFileText,
) -> Result<Response, ApiError> {
    device_side(&state, &tenant)
        .await?
        .deactivate_offline(&file)
        .await?;
    Ok(json(&LICENSE_DEACTIVATED))
}

impl From<RequestFileError> for ApiError {
    fn from(error: RequestFileError) -> Self {
        match error {
            RequestFileError::Empty => ApiError::MissingContent,
            other => ApiError::Validation(other.to_string()),
        }
    }
}

impl From<OfflineError> for ApiError {
    fn from(error: OfflineError) -> Self {
        match error {
            OfflineError::File(file) => file.into(),
            OfflineError::Missing(name) => ApiError::MissingParameter(name),
            OfflineError::Invalid(message) => ApiError::Validation(message),
            OfflineError::SignatureMismatch => AuthError::SignatureMismatch.into(),
            OfflineError::UnknownApiKey | OfflineError::UnknownOAuthClient => {
                AuthError::InvalidApiKey.into()
            }
            OfflineError::RevokedApiKey | OfflineError::RevokedOAuthClient => {
                AuthError::RevokedApiKey.into()
            }
            OfflineError::ReadOnlyApiKey => AuthError::ReadOnlyApiKey.into(),
            OfflineError::InvalidCredentials => ApiError::InvalidCredentials,
            OfflineError::FloatingCloudNotSupported => ApiError::OfflineFloatingCloudNotSupported,
            OfflineError::Signing(error) => {
                InternalError::caused("signing an offline license", error).into()
            }
            OfflineError::Store(error) => error.into(),
            OfflineError::Service(error) => error.into(),
        }
    }
}
