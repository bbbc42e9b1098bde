//! The Management API's failures, shaped as Django REST Framework answers them (LicenseSpring's API
//! is one): `{"detail": ...}` for the request as a whole, `{"field": ["message"]}` for bad fields.
//! Every service failure maps to one of them here, and nowhere else.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latch_service::ServiceError;
use latch_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::InternalError;

/// Messages by field name; the body of a 400 validation failure.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Why a Management API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ManagementError {
    #[error("Authentication credentials were not provided.")]
    MissingKey,
    #[error("Invalid API key.")]
    InvalidKey,
    #[error("You do not have permission to perform this action.")]
    ReadOnlyKey,
    #[error("Not found.")]
    NotFound,
    #[error("Method \"{0}\" not allowed.")]
    MethodNotAllowed(String),
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    #[error("JSON parse error - {0}")]
    MalformedJson(String),
    #[error("invalid fields")]
    Invalid(FieldErrors),
    #[error("Request was throttled.")]
    Throttled { retry_after: u64 },
    #[error("Storage is unavailable; try again shortly.")]
    StorageUnavailable { retry_after: u64 },
    #[error("A server error occurred.")]
    Internal(#[source] InternalError),
}

/// `{"detail": "..."}`: a failure of the request as a whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    pub detail: String,
}

/// `{"field": ["message", ...]}`: the fields a 400 refuses, each with what is wrong with it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"max_activations": ["A valid integer is required."]}))]
pub struct ValidationErrors(pub FieldErrors);

/// A 400 answer to a change: the body as a whole refused (`{"detail"}`, e.g. malformed JSON) or
/// its fields refused one by one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BadRequest {
    Detail(Detail),
    Fields(ValidationErrors),
}

impl ManagementError {
    /// One field's failure.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ManagementError::Invalid(FieldErrors::from([(field.into(), vec![message.into()])]))
    }

    pub fn status(&self) -> StatusCode {
        use ManagementError as E;
        match self {
            E::MissingKey | E::InvalidKey | E::ReadOnlyKey => StatusCode::FORBIDDEN,
            E::NotFound => StatusCode::NOT_FOUND,
            E::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            E::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            E::MalformedJson(_) | E::Invalid(_) => StatusCode::BAD_REQUEST,
            E::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::StorageUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ServiceError> for ManagementError {
    fn from(error: ServiceError) -> Self {
        match error {
            // Another company's row is "not found" too: its existence is never revealed.
            ServiceError::NotFound(_) => ManagementError::NotFound,
            ServiceError::Invalid { field, message } => ManagementError::field(field, message),
            ServiceError::InvalidFields(fields) => {
                let mut errors = FieldErrors::new();
                for (field, message) in fields {
                    errors.entry(field.to_owned()).or_default().push(message);
                }
                ManagementError::Invalid(errors)
            }
            ServiceError::InvalidAt { path, message } => ManagementError::field(path, message),
            ServiceError::Duplicate(what) => {
                ManagementError::field(what, format!("A {what} with this value already exists."))
            }
            ServiceError::AmbiguousLicenseKey(_) => {
                ManagementError::field("license_key", error.to_string())
            }
            ServiceError::Busy => ManagementError::Throttled { retry_after: 1 },
            ServiceError::Store(store) => store.into(),
            other => ManagementError::Internal(InternalError::caused("a vendor operation", other)),
        }
    }
}

impl From<StoreError> for ManagementError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::LicenseNotFound
            | StoreError::NotFound(_)
            | StoreError::UnknownProduct
            | StoreError::UnknownFeature => ManagementError::NotFound,
            StoreError::Duplicate(what) => {
                ManagementError::field(what, format!("A {what} with this value already exists."))
            }
            StoreError::Rejected(domain) => {
                ManagementError::field("non_field_errors", domain.to_string())
            }
            ref unavailable if unavailable.is_storage_unavailable() => {
                tracing::warn!(%error, "storage unavailable");
                ManagementError::StorageUnavailable { retry_after: 5 }
            }
            other => ManagementError::Internal(InternalError::caused("storage failure", other)),
        }
    }
}

impl IntoResponse for ManagementError {
    fn into_response(self) -> Response {
        if let ManagementError::Internal(cause) = &self {
            tracing::error!(error = %cause, "internal error");
        }
        let status = self.status();
        let body = match &self {
            ManagementError::Invalid(fields) => serde_json::to_string(fields),
            other => serde_json::to_string(&Detail {
                detail: other.to_string(),
            }),
        }
        .unwrap_or_default();
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if let ManagementError::Throttled { retry_after }
        | ManagementError::StorageUnavailable { retry_after } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_companys_row_is_not_found_like_a_missing_one() {
        let error: ManagementError = ServiceError::NotFound("license with id 4".into()).into();
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        assert_eq!(error.to_string(), "Not found.");
    }

    #[test]
    fn bad_input_is_never_a_server_error() {
        for error in [
            ServiceError::invalid("email", "not an e-mail address"),
            ServiceError::Duplicate("license key"),
            ServiceError::NotFound("x".into()),
            ServiceError::AmbiguousLicenseKey("K".into()),
        ] {
            assert!(ManagementError::from(error).status().is_client_error());
        }
    }

    #[test]
    fn an_invalid_field_is_named_in_the_body() {
        let error: ManagementError = ServiceError::invalid("email", "not an e-mail address").into();
        let ManagementError::Invalid(fields) = error else {
            panic!("not a field error");
        };
        assert_eq!(fields["email"], vec!["not an e-mail address".to_owned()]);
    }
}
