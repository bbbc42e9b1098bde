//! Offline activation for devices without network access: `/api/v1/licenses/offline_activation/`
//! turns a device's request file into its license file, `/api/v1/licenses/offline_deactivation/` frees
//! the seat a deactivation request file names. The request file comes as JSON
//! `{"request_file": "<base64 text>"}` or as the `file` field of a `multipart/form-data` form. A
//! request file of a bundle is answered with a bundle file, in the shape the requesting SDK reads
//! unless `?format=python|node` says otherwise.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use latch_service::offline::{BundleFileShape, OfflineError};
use latch_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::extract::Query;
use super::json::{parse, JsonAnswer};
use super::keys::Message;
use super::responses::Writes;
use crate::error::ApiError;
use crate::license_api::form_file;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offline_activation))
        .routes(routes!(offline_deactivation))
}

/// A request file as the SDKs write it (`activate_offline.req`, `deactivate_offline.req`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RequestFileIn {
    /// The file's content: base64 text.
    request_file: String,
}

/// `offline_activation`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BundleFormat {
    /// For a bundle's request file, the shape of the bundle file: `python`
    /// (`{"licenses": [...], "bundle_signature_v2": ...}`) or `node` (licenses by product code). By
    /// default the shape the SDK that wrote the request file reads.
    pub format: Option<String>,
}

impl BundleFormat {
    fn shape(&self) -> Result<Option<BundleFileShape>, ManagementError> {
        self.format
            .as_deref()
            .map(|format| {
                format.parse().map_err(|()| {
                    ManagementError::field("format", "Expected \"python\" or \"node\".")
                })
            })
            .transpose()
    }
}

/// The request file of a JSON body or of a form's `file` field.
pub struct RequestFile(String);

impl<S: Send + Sync> FromRequest<S> for RequestFile {
    type Rejection = ManagementError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "multipart/form-data" {
            let form = Multipart::from_request(request, state)
                .await
                .map_err(|rejection| refused(rejection.body_text()))?;
            return form_file(form)
                .await
                .map(RequestFile)
                .map_err(|error| refused(error.to_string()));
        }
        if !essence.is_empty() && essence != "application/json" {
            return Err(ManagementError::UnsupportedMediaType(content_type));
        }
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ManagementError::MalformedJson(rejection.body_text()))?;
        let RequestFileIn { request_file } = parse(&body)?;
        Ok(RequestFile(request_file))
    }
}

/// A refusal of the request file, named by the License API's code.
fn refused(message: String) -> ManagementError {
    ManagementError::field("request_file", message)
}

impl From<OfflineError> for ManagementError {
    fn from(error: OfflineError) -> Self {
        match error {
            // Storage and internal failures are answered as every other operation answers them; the
            // licensing rule's refusals are about the file.
            OfflineError::Store(store) if !refuses_the_file(&store) => store.into(),
            OfflineError::Service(service) => service.into(),
            refusal => {
                let error = ApiError::from(refusal);
                let (status, code) = error.status_and_code();
                if status.is_client_error() {
                    refused(format!("{code}: {error}"))
                } else {
                    ManagementError::Internal(crate::error::InternalError::caused(
                        "an offline request file",
                        error,
                    ))
                }
            }
        }
    }
}

fn refuses_the_file(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Rejected(_) | StoreError::UnknownProduct | StoreError::LicenseNotFound
    )
}

/// Activates the device a request file describes, with the same limits as an online activation, and
/// answers the license file (`.lic`) to carry back to it: base64 text, as the SDKs read it. A refused
/// file is a 400 on `request_file` naming the License API's error code.
#[utoipa::path(post, path = "/licenses/offline_activation/", tag = "licenses", params(BundleFormat),
    request_body(content(
        (RequestFileIn = "application/json"),
        (RequestFileIn = "multipart/form-data"),
    )),
    responses((status = 200, description = "The license file", content_type = "text/plain", body = String), Writes))]
async fn offline_activation(
    State(state): State<AppState>,
    access: ManagementAccess,
    Query(format): Query<BundleFormat>,
    RequestFile(file): RequestFile,
) -> Result<Response, ManagementError> {
    let bundle_shape = format.shape()?;
    let license = access
        .tenant(&state)
        .await?
        .activate_offline(&file, &state.passwords, bundle_shape)
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        license.file_content(),
    )
        .into_response())
}

/// Deactivates the device a deactivation request file describes, freeing its activation.
#[utoipa::path(post, path = "/licenses/offline_deactivation/", tag = "licenses",
    request_body(content(
        (RequestFileIn = "application/json"),
        (RequestFileIn = "multipart/form-data"),
    )),
    responses((status = 200, body = Message), Writes))]
async fn offline_deactivation(
    State(state): State<AppState>,
    access: ManagementAccess,
    RequestFile(file): RequestFile,
) -> Result<JsonAnswer<Message>, ManagementError> {
    access
        .tenant(&state)
        .await?
        .deactivate_offline(&file)
        .await?;
    Ok(Message::new("License deactivated."))
}
