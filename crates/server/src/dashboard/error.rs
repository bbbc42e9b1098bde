//! Why a dashboard request failed, shown as a page that says what to do next. Service failures take
//! the Management API's mapping first, so both front doors refuse the same things the same way.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use latch_service::ServiceError;
use maud::html;

use super::page::bare_page;
use crate::error::{ApiError, InternalError};
use crate::management::error::ManagementError;

#[derive(Debug)]
pub enum DashboardError {
    /// No live session: the sign-in page.
    SignIn,
    /// Signed in, but this role may not, or the form's CSRF token is missing or wrong.
    Forbidden(&'static str),
    /// No such row in the staff member's company (another company's rows included).
    NotFound,
    /// A value the form sent is not acceptable.
    Invalid(String),
    TooManyRequests {
        retry_after: u64,
    },
    StorageUnavailable,
    Internal(InternalError),
}

impl From<ManagementError> for DashboardError {
    fn from(error: ManagementError) -> Self {
        match error {
            ManagementError::NotFound => DashboardError::NotFound,
            ManagementError::Invalid(fields) => DashboardError::Invalid(
                fields
                    .iter()
                    .flat_map(|(field, messages)| {
                        messages.iter().map(move |message| {
                            if field == "non_field_errors" {
                                message.clone()
                            } else {
                                format!("{}: {message}", field.replace('_', " "))
                            }
                        })
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ManagementError::Throttled { retry_after } => {
                DashboardError::TooManyRequests { retry_after }
            }
            ManagementError::StorageUnavailable { .. } => DashboardError::StorageUnavailable,
            ManagementError::Internal(cause) => DashboardError::Internal(cause),
            other => DashboardError::Invalid(other.to_string()),
        }
    }
}

impl From<ServiceError> for DashboardError {
    fn from(error: ServiceError) -> Self {
        ManagementError::from(error).into()
    }
}

impl From<ApiError> for DashboardError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::TooManyRequests { retry_after } | ApiError::ServerBusy { retry_after } => {
                DashboardError::TooManyRequests { retry_after }
            }
            ApiError::StorageUnavailable { .. } => DashboardError::StorageUnavailable,
            other => DashboardError::Internal(InternalError::caused("a dashboard request", other)),
        }
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            DashboardError::SignIn => return Redirect::to("/dashboard/login").into_response(),
            DashboardError::Forbidden(why) => {
                (StatusCode::FORBIDDEN, "Not allowed", why.to_string())
            }
            DashboardError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "Nothing here: the link may be old, or the row belongs to another company."
                    .to_owned(),
            ),
            DashboardError::Invalid(message) => (
                StatusCode::BAD_REQUEST,
                "Not accepted",
                format!("{message} Go back, correct it and send the form again."),
            ),
            DashboardError::TooManyRequests { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!("Too many attempts. Try again in {retry_after} seconds."),
            ),
            DashboardError::StorageUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "Storage is unavailable; try again shortly.".to_owned(),
            ),
            DashboardError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    "Something went wrong on the server; it has been logged.".to_owned(),
                )
            }
        };
        let body = bare_page(
            title,
            html! {
                h1 { (title) }
                p.alert role="alert" { (message) }
                p { a href="/dashboard/" { "Back to the dashboard" } }
            },
        );
        let mut response = (status, body).into_response();
        if let DashboardError::TooManyRequests { retry_after } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        response
    }
}

pub type DashboardResult<T> = Result<T, DashboardError>;
