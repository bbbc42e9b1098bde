//! Installation files: a product's releases, `/api/v1/installation-files/`. The License API answers
//! `check_license`'s and `product_details`'s latest version from the same rows.

use axum::extract::State;

use super::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use latch_domain::{ProductId, ReleaseId};
use latch_service::model::Release;
use latch_service::query::fields::INSTALLATION_FILE_FIELDS;
use latch_service::query::Field;
use latch_service::{ReleaseSpec, ReleaseUpdate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ManagementAccess;
use super::error::ManagementError;
use super::json::{JsonAnswer, JsonBody};
use super::listing::{ListRequest, ListSpec, Paginated};
use super::responses::{Reads, Writes};
use super::values::{day, nullable, required};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files, create_file))
        .routes(routes!(file, update_file, delete_file))
}

pub struct InstallationFiles;

impl ListSpec for InstallationFiles {
    const FIELDS: &'static [Field] = INSTALLATION_FILE_FIELDS;
}

/// An installation file: one version of a product for one environment and channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstallationFileOut {
    pub id: i64,
    /// The product's id.
    pub product: i64,
    pub version: String,
    /// `win`, `win32`, `win64`, `mac`, `linux`, `linux32`, `linux64`; empty for every one.
    pub environment: String,
    pub channel: String,
    /// Download URL.
    pub full_link: String,
    pub hash_md5: Option<String>,
    pub size: Option<String>,
    pub eula_link: Option<String>,
    pub release_notes_link: Option<String>,
    pub requires_version: Option<String>,
    /// `yyyy-mm-dd`.
    pub release_date: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Release> for InstallationFileOut {
    fn from(release: Release) -> Self {
        Self {
            id: release.id.get(),
            product: release.product_id.get(),
            version: release.version,
            environment: release.environment,
            channel: release.channel,
            full_link: release.installation_file,
            hash_md5: release.hash_md5,
            size: release.size,
            eula_link: release.eula_link,
            release_notes_link: release.release_notes_link,
            requires_version: release.requires_version,
            release_date: release
                .release_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
            enabled: release.enabled,
            created_at: release.created_at,
        }
    }
}

/// An installation file as written: creating one needs `product`, `environment` and `version`; a
/// change names only what changes (`product` cannot change), null clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InstallationFileIn {
    /// The product's id.
    pub product: Option<i64>,
    pub environment: Option<String>,
    pub version: Option<String>,
    pub channel: Option<String>,
    /// Download URL.
    pub full_link: Option<String>,
    /// 32 hexadecimal digits.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub hash_md5: Option<Option<String>>,
    /// Bytes, as digits.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub size: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub eula_link: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub release_notes_link: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub requires_version: Option<Option<String>>,
    /// `yyyy-mm-dd`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub release_date: Option<Option<String>>,
    pub enabled: Option<bool>,
}

impl InstallationFileIn {
    /// The release date given, parsed; `Some(None)` when it was cleared.
    fn release_date(&self) -> Result<Option<Option<DateTime<Utc>>>, ManagementError> {
        self.release_date
            .as_ref()
            .map(|date| {
                date.as_deref()
                    .map(|text| day("release_date", text))
                    .transpose()
            })
            .transpose()
    }
}

/// The installation files of the company's products: filter by `product`, `environment`,
/// `version`, `channel`.
#[utoipa::path(get, path = "/installation-files/", tag = "products",
    responses((status = 200, body = Paginated<InstallationFileOut>), Reads))]
async fn list_files(
    State(state): State<AppState>,
    access: ManagementAccess,
    request: ListRequest<InstallationFiles>,
) -> Result<JsonAnswer<Paginated<InstallationFileOut>>, ManagementError> {
    let files = access
        .tenant(&state)
        .await?
        .releases_matching(&request.query, request.page)
        .await?;
    Ok(JsonAnswer(request.answer(files, InstallationFileOut::from)))
}

/// Adds an installation file to a product.
#[utoipa::path(post, path = "/installation-files/", tag = "products",
    request_body = InstallationFileIn,
    responses((status = 201, body = InstallationFileOut), Writes))]
async fn create_file(
    State(state): State<AppState>,
    access: ManagementAccess,
    JsonBody(body): JsonBody<InstallationFileIn>,
) -> Result<impl IntoResponse, ManagementError> {
    let release_date = body.release_date()?.flatten();
    let product = required("product", body.product)?;
    let spec = ReleaseSpec {
        environment: required("environment", body.environment)?,
        version: required("version", body.version)?,
        url: body.full_link.unwrap_or_default(),
        channel: body.channel.unwrap_or_default(),
        hash_md5: body.hash_md5.flatten(),
        size: body.size.flatten(),
        eula_link: body.eula_link.flatten(),
        release_notes_link: body.release_notes_link.flatten(),
        requires_version: body.requires_version.flatten(),
        release_date,
    };
    let file = access
        .tenant(&state)
        .await?
        .create_release(ProductId::new(product), spec)
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonAnswer(InstallationFileOut::from(file)),
    ))
}

/// One installation file.
#[utoipa::path(get, path = "/installation-files/{id}/", tag = "products",
    params(("id" = i64, Path, description = "The installation file's id")),
    responses((status = 200, body = InstallationFileOut), Reads))]
async fn file(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<JsonAnswer<InstallationFileOut>, ManagementError> {
    let file = access
        .tenant(&state)
        .await?
        .release(ReleaseId::new(id))
        .await?;
    Ok(JsonAnswer(file.into()))
}

/// Changes an installation file; `enabled: false` hides it from the License API.
#[utoipa::path(patch, path = "/installation-files/{id}/", tag = "products",
    request_body = InstallationFileIn,
    params(("id" = i64, Path, description = "The installation file's id")),
    responses((status = 200, body = InstallationFileOut), Writes))]
async fn update_file(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<InstallationFileIn>,
) -> Result<JsonAnswer<InstallationFileOut>, ManagementError> {
    let update = ReleaseUpdate {
        release_date: body.release_date()?,
        version: body.version,
        url: body.full_link,
        channel: body.channel,
        environment: body.environment,
        hash_md5: body.hash_md5,
        size: body.size,
        eula_link: body.eula_link,
        release_notes_link: body.release_notes_link,
        requires_version: body.requires_version,
        enabled: body.enabled,
    };
    let file = access
        .tenant(&state)
        .await?
        .update_release(ReleaseId::new(id), update)
        .await?;
    Ok(JsonAnswer(file.into()))
}

/// Deletes an installation file.
#[utoipa::path(delete, path = "/installation-files/{id}/", tag = "products",
    params(("id" = i64, Path, description = "The installation file's id")),
    responses((status = 204, description = "Deleted"), Writes))]
async fn delete_file(
    State(state): State<AppState>,
    access: ManagementAccess,
    Path(id): Path<i64>,
) -> Result<StatusCode, ManagementError> {
    access
        .tenant(&state)
        .await?
        .delete_release(ReleaseId::new(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
