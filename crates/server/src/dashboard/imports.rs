//! Importing licenses from a CSV file (admins): the upload form with the columns it reads, the
//! import running in the background of the node that received it, a page whose progress bar follows
//! it (the script polls a JSON progress answer), and the refused rows as a table and as CSV. Progress
//! is kept in the database, so every node shows it and a restart loses none of it; an import whose
//! node stopped says so, and the licenses it committed stay.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Json, Redirect, Response};
use chrono::Utc;
use latch_domain::CompanyId;
use latch_service::model::{Actor, LicenseImport, StaffRole};
use latch_service::{
    import_errors_csv, import_stalled, ImportFile, Service, EXPORT_ONLY_COLUMNS, IMPORT_COLUMNS,
    MAX_IMPORT_BYTES,
};
use maud::{html, Markup};
use serde::Serialize;

use super::error::{DashboardError, DashboardResult};
use super::licenses::path_id;
use super::lists::Filters;
use super::page::{empty, page, pager, when};
use super::session::{Signed, Upload, CSRF_FIELD};
use crate::state::AppState;

/// Largest upload the import route reads: the file and the form around it.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMPORT_BYTES + 64 * 1024;

/// Refused rows an import's page lists; the CSV report has them all.
const ERRORS_SHOWN: u32 = 100;

/// Where an import's page, progress and report are.
fn import_path(id: i64) -> String {
    format!("/dashboard/imports/{id}")
}

fn percent(import: &LicenseImport) -> i64 {
    import.processed_rows * 100 / import.total_rows.max(1)
}

/// `GET /dashboard/imports`.
pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    imports_page(&state, &signed, &filters, None).await
}

async fn imports_page(
    state: &AppState,
    signed: &Signed,
    filters: &Filters,
    refusal: Option<&str>,
) -> DashboardResult<Markup> {
    let imports = signed
        .tenant(state)
        .await?
        .license_imports(filters.page())
        .await?;
    let now = Utc::now();
    let body = html! {
        p.crumbs { a href="/dashboard/settings" { "Settings" } " / " }
        h1 { "Import licenses" }
        p { "Upload a CSV file with one license per row. Each row is imported on its own: valid rows are imported even when other rows are refused, and the refused rows are listed with their row number, column and reason, to correct and upload again." }
        @if let Some(refusal) = refusal {
            p.alert role="alert" { (refusal) " Correct the file and upload it again." }
        }
        form.card.fields method="post" action="/dashboard/imports" enctype="multipart/form-data" {
            input type="hidden" name=(CSRF_FIELD) value=(signed.csrf_token());
            div.field.wide {
                label for="file" { "CSV file (UTF-8, first row naming the columns, at most " (MAX_IMPORT_BYTES / (1024 * 1024)) " MB)" }
                input #file type="file" name="file" accept=".csv,text/csv" required;
            }
            button type="submit" { "Import licenses" }
        }
        h2 { "Columns" }
        p { "Only " code { "product" } " is required; empty cells take the default. Column names may be in any order and case. A file exported from the licenses list can be imported as it is: "
            @for (i, column) in EXPORT_ONLY_COLUMNS.iter().enumerate() { @if i > 0 { ", " } code { (column) } } " are ignored." }
        table { thead { tr { th { "Column" } th { "What it holds" } } }
            tbody { @for (column, meaning) in IMPORT_COLUMNS { tr { td { code { (column) } } td { (meaning) } } } } }
        p { "Example:" }
        pre.card { "product,license_key,license_type,valid_until,max_activations,customer_email\napp,APP-0001,perpetual,,2,buyer@example.com\napp,,time-limited,2030-12-31,1,other@example.com\n" }
        h2 { "Recent imports" }
        @if imports.items.is_empty() { (empty("No imports yet.")) } @else {
            table { thead { tr { th { "File" } th { "Started" } th { "Rows" } th { "Imported" } th { "Refused" } th { "State" } } }
                tbody { @for import in &imports.items { tr {
                    td { a href=(import_path(import.id)) { (import.file_name) } }
                    td { (when(Some(import.created_at))) }
                    td { (import.total_rows) } td { (import.imported_rows) } td { (import.failed_rows) }
                    td { (state_label(import, now)) }
                } } } }
            (pager("/dashboard/imports", &[], filters.offset(), imports.total))
        }
    };
    Ok(page(signed, "/dashboard/settings", "Import licenses", body))
}

fn state_label(import: &LicenseImport, now: chrono::DateTime<Utc>) -> String {
    if import.finished {
        "finished".to_owned()
    } else if import_stalled(import, now) {
        "stopped".to_owned()
    } else {
        format!("running, {}%", percent(import))
    }
}

/// `POST /dashboard/imports`: checks the file's header, starts the import, and shows its page.
pub async fn start(State(state): State<AppState>, upload: Upload) -> DashboardResult<Response> {
    let signed = &upload.signed;
    signed.require(StaffRole::Admin)?;
    let file = match ImportFile::read(upload.file) {
        Ok(file) => file,
        Err(refused) => {
            let message = match DashboardError::from(refused) {
                DashboardError::Invalid(message) => message,
                other => return Err(other),
            };
            let page = imports_page(&state, signed, &Filters::default(), Some(&message)).await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let import = signed
        .tenant(&state)
        .await?
        .start_license_import(&upload.file_name, &file)
        .await?;
    let actor = Actor::Staff(signed.staff.id);
    tokio::spawn(run(
        state.service.clone(),
        signed.staff.company_id,
        actor,
        import.id,
        file,
    ));
    Ok(Redirect::to(&import_path(import.id)).into_response())
}

/// Runs an import to its end; a failure is logged, and the import's page shows it stopped.
async fn run(service: Service, company: CompanyId, actor: Actor, import_id: i64, file: ImportFile) {
    let outcome = match service.tenant(company).await {
        Ok(tenant) => tenant
            .acting_as(actor)
            .run_license_import(import_id, file)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    if let Err(error) = outcome {
        tracing::error!(%error, import_id, "a license import stopped");
    }
}

/// `GET /dashboard/imports/{id}`: progress while it runs; counts and refused rows once it ends.
pub async fn detail(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> DashboardResult<Markup> {
    signed.require(StaffRole::Admin)?;
    let id = path_id(&id)?;
    let tenant = signed.tenant(&state).await?;
    let import = tenant.license_import(id).await?;
    let errors = tenant.license_import_errors(id, Some(ERRORS_SHOWN)).await?;
    let stalled = import_stalled(&import, Utc::now());
    let path = import_path(id);
    let body = html! {
        p.crumbs { a href="/dashboard/settings" { "Settings" } " / " a href="/dashboard/imports" { "Import licenses" } " / " }
        h1 { "Import of " (import.file_name) }
        label for="import-progress" { "Rows processed" }
        progress #import-progress max=(import.total_rows) value=(import.processed_rows)
            data-progress=(format!("{path}/progress")) data-done=[(import.finished || stalled).then_some("true")] {
            (percent(&import)) "%"
        }
        p #import-counts {
            span data-count="percent" { (percent(&import)) } "% · "
            span data-count="processed" { (import.processed_rows) } " of " (import.total_rows) " rows processed: "
            span data-count="imported" { (import.imported_rows) } " imported, "
            span data-count="failed" { (import.failed_rows) } " refused."
        }
        @if import.finished {
            p.notice role="status" {
                "Import finished: " (import.imported_rows) " licenses imported, " (import.failed_rows) " rows refused. "
                "Valid rows were imported even where others were refused."
            }
        } @else if stalled {
            p.alert role="alert" {
                "This import stopped after " (import.processed_rows) " of " (import.total_rows) " rows: the server running it stopped. "
                "The licenses imported until then stay; upload the rows after them again."
            }
        } @else {
            p role="status" { "Importing… This page follows the import; you may leave it, the import goes on." }
        }
        @if import.failed_rows > 0 {
            h2 { "Refused rows" }
            p { "Correct these rows and upload only them again. " a href={ (path) "/errors.csv" } download { "Download the error report (CSV)" } }
            table { thead { tr { th { "Row" } th { "Column" } th { "Why" } } }
                tbody { @for error in &errors { tr {
                    td { (error.row) } td { code { (error.column) } } td { (error.message) }
                } } } }
            @if import.failed_rows > i64::from(ERRORS_SHOWN) {
                p { "The first " (ERRORS_SHOWN) " are shown; the report has all " (import.failed_rows) "." }
            }
        }
        p { a href="/dashboard/licenses" { "See the licenses" } " · " a href="/dashboard/imports" { "Import another file" } }
    };
    Ok(page(
        &signed,
        "/dashboard/settings",
        &format!("Import of {}", import.file_name),
        body,
    ))
}

/// What the import page's script reads while an import runs.
#[derive(Debug, Serialize)]
struct Progress {
    finished: bool,
    stalled: bool,
    total: i64,
    processed: i64,
    imported: i64,
    failed: i64,
    percent: i64,
}

/// `GET /dashboard/imports/{id}/progress`.
pub async fn progress(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> DashboardResult<Response> {
    signed.require(StaffRole::Admin)?;
    let import = signed
        .tenant(&state)
        .await?
        .license_import(path_id(&id)?)
        .await?;
    Ok(Json(Progress {
        finished: import.finished,
        stalled: import_stalled(&import, Utc::now()),
        total: import.total_rows,
        processed: import.processed_rows,
        imported: import.imported_rows,
        failed: import.failed_rows,
        percent: percent(&import),
    })
    .into_response())
}

/// `GET /dashboard/imports/{id}/errors.csv`: every refused row, `row,column,message`.
pub async fn errors_csv(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> DashboardResult<Response> {
    signed.require(StaffRole::Admin)?;
    let id = path_id(&id)?;
    let tenant = signed.tenant(&state).await?;
    tenant.license_import(id).await?;
    let errors = tenant.license_import_errors(id, None).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.csv\""),
            ),
        ],
        import_errors_csv(&errors)?,
    )
        .into_response())
}
