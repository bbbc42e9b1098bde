//! Licenses as CSV files. An import reads a file of licenses, one per row, and places each row as an
//! order of its own through [`Tenant::create_order`] (what the Management API and the dashboard's
//! issue form call), so every valid row is committed whatever the other rows hold. Its progress and
//! refused rows are written to the database as it goes, so any node can show them. An export writes
//! licenses in the import's columns (and a few the import ignores), a chunk at a time, walking license
//! ids so that every chunk costs the same however many licenses came before.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use latch_domain::LicenseId;
use latch_store::query::ListQuery;
use latch_store::{CustomerChanges, ImportRowError, LicenseImport, LicenseRecord, Listing, Page};

use crate::{
    LicenseTerms, OrderItemSpec, OrderLicenseSpec, OrderSpec, OrderUserSpec, ServiceError,
    ServiceResult, Tenant,
};

/// Largest file an import reads: about a hundred thousand rows.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

/// How long an unfinished import may go without writing progress before it counts as cut short.
const STALL_LIMIT: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// How often a running import writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Licenses an export reads at a time.
const EXPORT_CHUNK: u32 = 500;

/// The columns an import reads, with what each holds; only `product` is required, empty cells take
/// the default. Column names are matched without regard to case, spaces or hyphens.
pub const IMPORT_COLUMNS: &[(&str, &str)] = &[
    ("product", "The product's short code. Required."),
    (
        "license_key",
        "The key; generated when empty. Leave it empty for user-based products.",
    ),
    (
        "license_type",
        "perpetual, time-limited, subscription or consumption. Default: perpetual, or \
         time-limited when the license has an end of validity.",
    ),
    (
        "valid_until",
        "End of validity: YYYY-MM-DD, or a time as 2030-01-31T12:00:00Z.",
    ),
    (
        "valid_duration",
        "Validity from the start date (or now) instead of valid_until: 30d, 6m, 1y.",
    ),
    ("start_date", "No activation before this date."),
    ("maintenance_until", "End of maintenance."),
    (
        "max_activations",
        "Devices that may activate it. Default: 1.",
    ),
    ("unlimited_activations", "true: any number of devices."),
    (
        "max_transfers",
        "Transfers to other devices; 0 (the default): no limit.",
    ),
    ("max_consumptions", "The limit of a consumption license."),
    (
        "floating_users",
        "Devices that may hold it at once; empty: node-locked.",
    ),
    (
        "floating_timeout",
        "Minutes a floating seat is kept after the last check.",
    ),
    ("trial", "true: a trial license."),
    ("enabled", "false: imported disabled. Default: true."),
    (
        "customer_email",
        "The customer; created when new, its names below updated when given.",
    ),
    ("customer_first_name", "The customer's first name."),
    ("customer_last_name", "The customer's last name."),
    ("customer_company_name", "The customer's company."),
    (
        "users",
        "User-based products: the license users' e-mails, separated by semicolons; new users get \
         a generated password (reset it from the dashboard to hand it over).",
    ),
    (
        "features",
        "Codes of the product's features to grant, separated by semicolons.",
    ),
    ("note", "A note for staff."),
];

/// Columns an export writes that an import ignores, so an export can be imported again.
pub const EXPORT_ONLY_COLUMNS: &[&str] = &["license_id", "active_devices", "created_at"];

/// The columns of an export, in order.
const EXPORT_COLUMNS: &[&str] = &[
    "license_id",
    "product",
    "license_key",
    "license_type",
    "valid_until",
    "start_date",
    "maintenance_until",
    "max_activations",
    "unlimited_activations",
    "max_transfers",
    "max_consumptions",
    "floating_users",
    "floating_timeout",
    "trial",
    "enabled",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "customer_company_name",
    "users",
    "features",
    "note",
    "active_devices",
    "created_at",
];

/// What a list cell (users, features) separates its items with.
const LIST_SEPARATOR: char = ';';

/// Characters that make a spreadsheet run a cell as a formula when they start it.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written for staff who open the file in a spreadsheet: text that would run as a formula
/// gets a leading apostrophe, which spreadsheets show as text and imports remove again.
fn spreadsheet_safe(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text
    }
}

/// A cell as read: trimmed, with the apostrophe of [`spreadsheet_safe`] removed.
fn unescaped(cell: &str) -> &str {
    let cell = cell.trim();
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// A header's column name as written in [`IMPORT_COLUMNS`]: `License Key` is `license_key`.
fn column_name(header: &str) -> String {
    header.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(true).from_reader(bytes)
}

fn file_error(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", message)
}

/// A CSV file of licenses whose header was checked: every column is known, `product` is there.
#[derive(Debug)]
pub struct ImportFile {
    bytes: Vec<u8>,
    /// Each header position's column; `None` for columns an import ignores.
    columns: Vec<Option<&'static str>>,
    rows: i64,
}

impl ImportFile {
    /// Checks the file's header and counts its rows.
    pub fn read(bytes: Vec<u8>) -> ServiceResult<Self> {
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(file_error(format!(
                "The file is larger than {} MB; split it into several files.",
                MAX_IMPORT_BYTES / (1024 * 1024)
            )));
        }
        let mut reader = csv_reader(&bytes);
        let header = reader
            .headers()
            .map_err(|_| file_error("The header row is not UTF-8 text; save the file as UTF-8."))?
            .clone();
        let mut columns = Vec::with_capacity(header.len());
        let mut unknown = Vec::new();
        for name in &header {
            let name = column_name(name);
            if EXPORT_ONLY_COLUMNS.contains(&name.as_str()) {
                columns.push(None);
                continue;
            }
            match IMPORT_COLUMNS.iter().find(|(known, _)| *known == name) {
                Some((known, _)) if columns.contains(&Some(*known)) => {
                    return Err(file_error(format!("The column {known} appears twice.")))
                }
                Some((known, _)) => columns.push(Some(*known)),
                None => unknown.push(name),
            }
        }
        if !unknown.is_empty() {
            return Err(file_error(format!(
                "Unknown columns: {}. The columns are listed on this page.",
                unknown.join(", ")
            )));
        }
        if !columns.contains(&Some("product")) {
            return Err(file_error(
                "The header row has no product column: the first row names the columns, and \
                 product is required.",
            ));
        }
        let rows = i64::try_from(reader.byte_records().count()).unwrap_or(i64::MAX);
        if rows == 0 {
            return Err(file_error("The file has no rows below its header."));
        }
        Ok(Self {
            bytes,
            columns,
            rows,
        })
    }

    /// Rows below the header.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// Each row's number (the header is row 1) and its order, or why it cannot be one.
    fn orders(
        &self,
        import_id: i64,
    ) -> impl Iterator<Item = (i64, Result<OrderSpec, ImportRowError>)> + '_ {
        let mut reader = csv_reader(&self.bytes);
        // The header was read once already; skipping it here keeps row numbers aligned.
        let _ = reader.headers();
        reader.into_records().zip(2..).map(move |(record, number)| {
            let spec = match record {
                Ok(record) => Row {
                    number,
                    record: &record,
                    columns: &self.columns,
                }
                .order(import_id),
                Err(_) => Err(ImportRowError {
                    row: number,
                    column: String::new(),
                    message: "The row is not UTF-8 text; save the file as UTF-8.".into(),
                }),
            };
            (number, spec)
        })
    }
}

/// One row of an import file, read by column name.
struct Row<'a> {
    number: i64,
    record: &'a csv::StringRecord,
    columns: &'a [Option<&'static str>],
}

impl Row<'_> {
    fn error(&self, column: &str, message: impl Into<String>) -> ImportRowError {
        ImportRowError {
            row: self.number,
            column: column.to_owned(),
            message: message.into(),
        }
    }

    /// The cell of `column`; `None` when empty or absent.
    fn text(&self, column: &str) -> Option<&str> {
        let position = self.columns.iter().position(|c| *c == Some(column))?;
        Some(unescaped(self.record.get(position)?)).filter(|cell| !cell.is_empty())
    }

    fn owned(&self, column: &str) -> Option<String> {
        self.text(column).map(str::to_owned)
    }

    fn number(&self, column: &str) -> Result<Option<i64>, ImportRowError> {
        self.text(column)
            .map(|text| {
                text.parse()
                    .map_err(|_| self.error(column, format!("\"{text}\" is not a whole number.")))
            })
            .transpose()
    }

    fn flag(&self, column: &str) -> Result<Option<bool>, ImportRowError> {
        self.text(column)
            .map(|text| match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" => Ok(false),
                _ => Err(self.error(column, format!("\"{text}\" is not true or false."))),
            })
            .transpose()
    }

    fn moment(&self, column: &str) -> Result<Option<DateTime<Utc>>, ImportRowError> {
        self.text(column)
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|at| at.with_timezone(&Utc))
                    .ok()
                    .or_else(|| {
                        NaiveDate::parse_from_str(text, "%Y-%m-%d")
                            .ok()
                            .and_then(|day| day.and_hms_opt(0, 0, 0))
                            .map(|at| at.and_utc())
                    })
                    .ok_or_else(|| {
                        self.error(
                            column,
                            format!("\"{text}\" is not a date: write YYYY-MM-DD."),
                        )
                    })
            })
            .transpose()
    }

    fn list(&self, column: &str) -> Vec<String> {
        self.text(column)
            .map(|text| {
                text.split(LIST_SEPARATOR)
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn customer(&self) -> Result<Option<CustomerChanges>, ImportRowError> {
        let first_name = self.owned("customer_first_name");
        let last_name = self.owned("customer_last_name");
        let company_name = self.owned("customer_company_name");
        match self.owned("customer_email") {
            Some(email) => Ok(Some(CustomerChanges {
                email: Some(email),
                first_name,
                last_name,
                company_name,
                ..CustomerChanges::default()
            })),
            None if first_name.is_some() || last_name.is_some() || company_name.is_some() => {
                Err(self.error("customer_email", "The customer's names need its e-mail."))
            }
            None => Ok(None),
        }
    }

    /// The row as an order of one license, under a store id of its own.
    fn order(&self, import_id: i64) -> Result<OrderSpec, ImportRowError> {
        let product_code = self
            .owned("product")
            .ok_or_else(|| self.error("product", "The product's short code is required."))?;
        let mut terms = LicenseTerms {
            key: self.owned("license_key"),
            start_date: self.moment("start_date")?,
            maintenance_until: self.moment("maintenance_until")?,
            max_activations: self.number("max_activations")?.unwrap_or(1),
            unlimited_activations: self.flag("unlimited_activations")?.unwrap_or(false),
            max_transfers: self.number("max_transfers")?.unwrap_or(0),
            enabled: self.flag("enabled")?.unwrap_or(true),
            trial: self.flag("trial")?.unwrap_or(false),
            ..LicenseTerms::default()
        };
        terms.consumption.max_consumptions = self.number("max_consumptions")?.unwrap_or(0);
        let floating_users = self.number("floating_users")?;
        let license = OrderLicenseSpec {
            terms,
            license_type: self.owned("license_type"),
            validity_period: self.moment("valid_until")?,
            valid_duration: self.owned("valid_duration"),
            is_floating: floating_users.is_some_and(|seats| seats != 0),
            floating_users,
            floating_timeout: self.number("floating_timeout")?,
            note: self.owned("note").unwrap_or_default(),
            users: self
                .list("users")
                .into_iter()
                .map(|email| OrderUserSpec {
                    email,
                    max_activations: None,
                })
                .collect(),
            features: self
                .list("features")
                .into_iter()
                .map(|code| (code, None))
                .collect(),
            ..OrderLicenseSpec::default()
        };
        Ok(OrderSpec {
            store_id: format!("import-{import_id}-row-{}", self.number),
            customer: self.customer()?,
            items: vec![OrderItemSpec {
                product_code,
                licenses: vec![license],
            }],
            ..OrderSpec::default()
        })
    }
}

/// The import column an order's refusal is about, from the field path `create_order` names
/// (`items[0].licenses[0].max_activations`); empty when it is about the row as a whole.
fn column_of(path: &str) -> &'static str {
    let field = path.rsplit('.').next().unwrap_or_default();
    let known = |name: &str| {
        IMPORT_COLUMNS
            .iter()
            .find(|(column, _)| *column == name)
            .map_or("", |(column, _)| *column)
    };
    match field {
        "product_code" => "product",
        // `items` names the key when the database finds it taken.
        "key" | "items" => "license_key",
        "validity_period" => "valid_until",
        "email" if path.starts_with("customer") => "customer_email",
        "email" => "users",
        "code" if path.contains("product_features") => "features",
        "name" if path.contains("custom_fields") => "",
        other => known(other),
    }
}

/// Why `create_order` refused a row, as the error report shows it.
fn refused_row(row: i64, error: ServiceError) -> ImportRowError {
    let (path, message) = match error {
        ServiceError::Invalid { field, message } => (field.to_owned(), message),
        ServiceError::InvalidAt { path, message } => (path, message),
        other => (String::new(), other.to_string()),
    };
    ImportRowError {
        row,
        column: column_of(&path).to_owned(),
        message,
    }
}

/// Whether an unfinished import stopped writing progress: the node running it stopped. The licenses
/// it committed stay; rows after them were not imported.
pub fn import_stalled(import: &LicenseImport, now: DateTime<Utc>) -> bool {
    !import.finished && now - import.updated_at > STALL_LIMIT
}

/// An import's refused rows as CSV: `row,column,message`.
pub fn import_errors_csv(errors: &[ImportRowError]) -> ServiceResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |cells: [String; 3]| writer.write_record(cells.map(spreadsheet_safe));
    write(["row".into(), "column".into(), "message".into()])?;
    for error in errors {
        write([
            error.row.to_string(),
            error.column.clone(),
            error.message.clone(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| ServiceError::Csv(e.into_error().into()))
}

impl Tenant<'_> {
    /// Starts an import of the file's rows (recording `license_import.started`); the rows are
    /// imported by [`Self::run_license_import`].
    pub async fn start_license_import(
        &self,
        file_name: &str,
        file: &ImportFile,
    ) -> ServiceResult<LicenseImport> {
        let name: String = file_name.trim().chars().take(200).collect();
        let name = if name.is_empty() {
            "licenses.csv".to_owned()
        } else {
            name
        };
        Ok(self
            .store
            .insert_license_import(self.company_id(), &name, file.rows, &self.actor, Utc::now())
            .await?)
    }

    /// Imports every row of the file as its own order, writing progress as it goes, then records
    /// `license_import.finished`. Only a failure to write progress stops it early.
    pub async fn run_license_import(
        &self,
        import_id: i64,
        file: ImportFile,
    ) -> ServiceResult<LicenseImport> {
        let company = self.company_id();
        let mut imported = 0;
        let mut refused = Vec::new();
        let mut reported = Instant::now();
        for (number, order) in file.orders(import_id) {
            let placed = match order {
                Ok(spec) => self
                    .create_order(spec)
                    .await
                    .map_err(|error| refused_row(number, error)),
                Err(refused) => Err(refused),
            };
            match placed {
                Ok(_) => imported += 1,
                Err(error) => refused.push(error),
            }
            if reported.elapsed() >= PROGRESS_EVERY {
                self.store
                    .record_license_import_progress(
                        company,
                        import_id,
                        imported,
                        &refused,
                        Utc::now(),
                    )
                    .await?;
                imported = 0;
                refused.clear();
                reported = Instant::now();
            }
        }
        self.store
            .record_license_import_progress(company, import_id, imported, &refused, Utc::now())
            .await?;
        Ok(self
            .store
            .finish_license_import(company, import_id, Utc::now())
            .await?)
    }

    pub async fn license_import(&self, import_id: i64) -> ServiceResult<LicenseImport> {
        Ok(self
            .store
            .license_import(self.company_id(), import_id)
            .await?)
    }

    /// The company's imports, newest first.
    pub async fn license_imports(&self, page: Page) -> ServiceResult<Listing<LicenseImport>> {
        Ok(self.store.license_imports(self.company_id(), page).await?)
    }

    /// The import's refused rows in row order; the first `limit` when given.
    pub async fn license_import_errors(
        &self,
        import_id: i64,
        limit: Option<u32>,
    ) -> ServiceResult<Vec<ImportRowError>> {
        Ok(self
            .store
            .license_import_errors(self.company_id(), import_id, limit)
            .await?)
    }
}

/// An export of the licenses a query matches, as CSV, a chunk at a time: the header first, then the
/// licenses in id order.
#[derive(Debug)]
pub struct LicenseExport {
    query: ListQuery,
    after: Option<LicenseId>,
    header_written: bool,
    finished: bool,
}

impl LicenseExport {
    pub fn new(query: ListQuery) -> Self {
        Self {
            query,
            after: None,
            header_written: false,
            finished: false,
        }
    }

    /// The next chunk of the file; `None` once every license is written.
    pub async fn next_chunk(&mut self, tenant: &Tenant<'_>) -> ServiceResult<Option<Vec<u8>>> {
        if self.finished {
            return Ok(None);
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        if !self.header_written {
            writer.write_record(EXPORT_COLUMNS)?;
            self.header_written = true;
        }
        let ids = tenant
            .store
            .license_ids_after(tenant.company_id(), &self.query, self.after, EXPORT_CHUNK)
            .await?;
        self.finished = ids.len() < EXPORT_CHUNK as usize;
        self.after = ids.last().copied().or(self.after);
        let mut records = tenant
            .store
            .license_records(tenant.company_id(), &ids, Utc::now())
            .await?;
        records.sort_by_key(|record| record.license.id);
        for record in &records {
            writer.write_record(export_row(record).map(spreadsheet_safe))?;
        }
        writer
            .into_inner()
            .map(Some)
            .map_err(|e| ServiceError::Csv(e.into_error().into()))
    }
}

fn moment_cell(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// One license in [`EXPORT_COLUMNS`]' order.
fn export_row(record: &LicenseRecord) -> [String; 24] {
    let license = &record.license;
    let floating = &license.floating;
    let customer = record.customer.as_ref();
    let customer_field = |field: fn(&latch_store::Customer) -> &String| {
        customer.map(field).cloned().unwrap_or_default()
    };
    let joined = |items: Vec<&str>| items.join(&format!("{LIST_SEPARATOR} "));
    [
        license.id.to_string(),
        record.product.code.clone(),
        license.license_key.clone().unwrap_or_default(),
        license.license_type.as_str().to_owned(),
        moment_cell(license.validity_period),
        moment_cell(license.start_date),
        moment_cell(license.maintenance_period),
        license.max_activations.to_string(),
        license.allow_unlimited_activations.to_string(),
        license.max_transfers.to_string(),
        license.consumption.max_consumptions.to_string(),
        if floating.is_floating_cloud {
            floating.floating_users.to_string()
        } else {
            String::new()
        },
        if floating.is_floating_cloud {
            floating.floating_timeout.to_string()
        } else {
            String::new()
        },
        license.is_trial.to_string(),
        license.enabled.to_string(),
        customer_field(|c| &c.email),
        customer_field(|c| &c.first_name),
        customer_field(|c| &c.last_name),
        customer_field(|c| &c.company_name),
        joined(
            record
                .users
                .iter()
                .map(|(user, _)| user.email.as_str())
                .collect(),
        ),
        joined(
            record
                .features
                .iter()
                .map(|feature| feature.feature.code.as_str())
                .collect(),
        ),
        record.note.clone(),
        record.active_devices.to_string(),
        moment_cell(Some(license.created_at)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(text: &str) -> Vec<(i64, Result<OrderSpec, ImportRowError>)> {
        ImportFile::read(text.as_bytes().to_vec())
            .expect("a readable file")
            .orders(7)
            .collect()
    }

    fn file_refusal(text: &str) -> String {
        match ImportFile::read(text.as_bytes().to_vec()) {
            Err(ServiceError::Invalid { field, message }) => {
                assert_eq!(field, "file");
                message
            }
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_header_needs_known_columns_and_a_product() {
        assert!(file_refusal("license_key\nABC\n").contains("no product column"));
        assert!(file_refusal("product,colour\napp,red\n").contains("Unknown columns: colour"));
        assert!(file_refusal("product,Product\napp,app\n").contains("appears twice"));
        assert!(file_refusal("product\n").contains("no rows"));
        let file =
            ImportFile::read(b"\xef\xbb\xbfProduct,License Key,license_id\napp,K-1,9\n".to_vec())
                .expect("a byte order mark, spaced names and export-only columns are fine");
        assert_eq!(file.rows(), 1);
    }

    #[test]
    fn rows_become_orders_or_say_which_column_is_wrong() {
        let read = orders(
            "product,license_key,max_activations,valid_until,customer_email,features,enabled\n\
             app,K-1,3,2030-01-31,Buyer@Example.com,export; render,\n\
             app,K-2,three,,,,\n\
             app,K-3,,31/01/2030,,,\n\
             ,K-4,,,,,\n\
             app,K-5,,,,,maybe\n",
        );
        let (number, first) = &read[0];
        assert_eq!(*number, 2);
        let first = first.as_ref().expect("a valid row");
        assert_eq!(first.store_id, "import-7-row-2");
        let license = &first.items[0].licenses[0];
        assert_eq!(license.terms.key.as_deref(), Some("K-1"));
        assert_eq!(license.terms.max_activations, 3);
        assert!(license.terms.enabled);
        assert_eq!(
            license.validity_period.map(|at| at.to_rfc3339()),
            Some("2030-01-31T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            license.features,
            vec![("export".to_owned(), None), ("render".to_owned(), None)]
        );
        let refused: Vec<(i64, String)> = read[1..]
            .iter()
            .map(|(_, row)| {
                let error = row.as_ref().expect_err("refused");
                (error.row, error.column.clone())
            })
            .collect();
        assert_eq!(
            refused,
            [
                (3, "max_activations".to_owned()),
                (4, "valid_until".to_owned()),
                (5, "product".to_owned()),
                (6, "enabled".to_owned()),
            ]
        );
    }

    #[test]
    fn refusals_name_the_import_column() {
        let refused = |path: &str| column_of(path);
        assert_eq!(refused("items[0].product_code"), "product");
        assert_eq!(refused("items[0].licenses[0].key"), "license_key");
        assert_eq!(refused("items"), "license_key");
        assert_eq!(
            refused("items[0].licenses[0].validity_period"),
            "valid_until"
        );
        assert_eq!(refused("customer.email"), "customer_email");
        assert_eq!(refused("items[0].licenses[0].users[1].email"), "users");
        assert_eq!(
            refused("items[0].licenses[0].product_features[0].code"),
            "features"
        );
        assert_eq!(
            refused("items[0].licenses[0].max_activations"),
            "max_activations"
        );
        assert_eq!(refused("id"), "");
    }

    #[test]
    fn an_unfinished_import_that_stops_moving_has_stalled() {
        let now = Utc::now();
        let import = LicenseImport {
            id: 1,
            company_id: latch_domain::CompanyId::new(1),
            file_name: "licenses.csv".into(),
            actor: latch_store::Actor::Staff(1),
            finished: false,
            total_rows: 10,
            processed_rows: 4,
            imported_rows: 4,
            failed_rows: 0,
            created_at: now - chrono::TimeDelta::minutes(10),
            updated_at: now - chrono::TimeDelta::seconds(30),
            finished_at: None,
        };
        assert!(!import_stalled(&import, now));
        let quiet = LicenseImport {
            updated_at: now - chrono::TimeDelta::minutes(3),
            ..import
        };
        assert!(import_stalled(&quiet, now));
        let finished = LicenseImport {
            finished: true,
            ..quiet
        };
        assert!(!import_stalled(&finished, now));
    }

    #[test]
    fn formulas_are_kept_from_spreadsheets_and_read_back() {
        assert_eq!(spreadsheet_safe("=1+1".into()), "'=1+1");
        assert_eq!(spreadsheet_safe("ABC-1".into()), "ABC-1");
        assert_eq!(unescaped("'=1+1"), "=1+1");
        assert_eq!(unescaped("'quoted"), "'quoted");
    }
}
