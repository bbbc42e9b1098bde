//! The SQL shared by both databases. SQLite and PostgreSQL accept the same statements here (`$n`
//! parameters, `RETURNING`, `ON CONFLICT`), so one generic [`SqlStore`] runs them on either; what
//! differs is the [`Backend`]: the sqlx database, the clause that locks a license row for the rest of a
//! transaction, and how a write transaction begins. Connecting differs too (SQLite has a single writer
//! connection beside its readers, PostgreSQL an optional schema): each database has its own `connect`.
//!
//! The generic code never names sqlx's per-database trait bounds: [`database::SqlDatabase`] proves them
//! once and offers them as methods, so no impl block repeats them, and the async_trait futures see only
//! boxed sqlx futures, free of higher-ranked bounds.

mod bundles;
mod catalog;
mod catalog_admin;
mod customer_accounts;
mod dashboard;
mod database;
mod guards;
mod imports;
mod license_api;
mod licenses;
mod listing;
mod management;
mod oauth;
mod orders;
mod people;
mod rows;
mod tenant;
mod webhooks;

pub(crate) use database::ReadColumn;

use std::future::Future;
use std::sync::Arc;

use sqlx::{Pool, Transaction};

use crate::changes::LicenseChanges;
use crate::secrets::SecretBox;
use crate::StoreResult;

use database::SqlDatabase;

/// What differs between the databases the store runs on.
pub trait Backend: SqlDatabase {
    /// Appended to a `SELECT ... FROM licenses l`: locks the license row until the transaction ends.
    /// Empty where a write transaction already holds the whole database.
    const LOCK_LICENSE: &'static str;

    /// Appended to a `SELECT` from one table: locks the rows it reads until the transaction ends.
    /// Empty where a write transaction already holds the whole database.
    const LOCK_ROW: &'static str;

    /// Starts a transaction able to write; every limit decision runs in one.
    fn begin_write(
        writer: &Pool<Self>,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self>>> + Send;

    /// Rows an INSERT, UPDATE or DELETE changed (sqlx has no common accessor).
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Where the database keeps a log of license changes, the statement that trims it; run with each
    /// batch of deferred writes.
    const TRIM_CHANGE_LOG: Option<&'static str>;

    /// Follows the committed license changes of the database `pool` reads.
    fn watch_changes(
        pool: &Pool<Self>,
    ) -> impl Future<Output = StoreResult<Arc<dyn LicenseChanges>>> + Send;

    /// Appended to a `SELECT` from one table that claims work: locks the rows it reads and skips
    /// those another transaction holds, so nodes claiming at once take different rows. Empty where a
    /// write transaction already holds the whole database.
    const CLAIM_ROWS: &'static str;

    /// Appended to a text expression compared as a range (the keys that start with a prefix), so
    /// it orders by bytes whatever the database's collation; an index serves the range only when it
    /// orders its column the same way.
    const BYTE_ORDER: &'static str;

    /// Appends the placeholder of parameter `number` (from 1) to a statement made at run time with
    /// parameters in order.
    fn push_parameter(sql: &mut String, number: usize);
}

/// `$first, $first+1, ...`: `count` numbered placeholders, for a list whose length is known only at
/// run time.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole [`crate::Store`] on one database: reads go to `reader`, writes to `writer` (the same pool
/// where the database has no single-writer rule).
pub struct SqlStore<DB: Backend> {
    reader: Pool<DB>,
    writer: Pool<DB>,
    secrets: SecretBox,
    /// `SELECT l.id ... WHERE l.id = $1 AND l.company_id = $2` with the backend's lock, built once.
    lock_license_sql: String,
    /// SQLite's inline path for `check_license`'s read (see [`crate::sqlite::InlineReader`]).
    inline_lookups: Option<crate::sqlite::InlineReader>,
}

impl<DB: Backend> SqlStore<DB> {
    pub(crate) fn new(reader: Pool<DB>, writer: Pool<DB>, secrets: SecretBox) -> Self {
        Self {
            reader,
            writer,
            secrets,
            lock_license_sql: format!(
                "SELECT l.id FROM licenses l WHERE l.id = $1 AND l.company_id = $2{}",
                DB::LOCK_LICENSE
            ),
            inline_lookups: None,
        }
    }

    /// Runs License API lookups through `reader` instead of the reader pool.
    pub(crate) fn with_inline_lookups(mut self, reader: crate::sqlite::InlineReader) -> Self {
        self.inline_lookups = Some(reader);
        self
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, DB>> {
        Ok(DB::begin_write(&self.writer).await?)
    }
}

pub(crate) const PRODUCT_COLUMNS: &str = "p.id AS p_id, p.company_id AS p_company_id, p.code AS p_code, \
    p.name AS p_name, p.authorization_method AS p_authorization_method, p.prevent_vm AS p_prevent_vm, \
    p.allow_trial AS p_allow_trial, p.trial_days AS p_trial_days, p.floating_timeout AS p_floating_timeout, \
    p.metadata AS p_metadata";

pub(crate) const LICENSE_COLUMNS: &str = "l.id AS l_id, l.company_id AS l_company_id, \
    l.product_id AS l_product_id, l.customer_id AS l_customer_id, l.license_key AS l_license_key, \
    l.license_type AS l_license_type, l.enabled AS l_enabled, l.is_trial AS l_is_trial, \
    l.prevent_vm AS l_prevent_vm, l.start_date AS l_start_date, l.validity_period AS l_validity_period, \
    l.grace_period AS l_grace_period, l.allow_grace_period AS l_allow_grace_period, \
    l.maintenance_period AS l_maintenance_period, l.max_activations AS l_max_activations, \
    l.allow_unlimited_activations AS l_allow_unlimited_activations, l.times_activated AS l_times_activated, \
    l.released_slots AS l_released_slots, l.transfer_count AS l_transfer_count, l.max_transfers AS l_max_transfers, \
    l.max_license_users AS l_max_license_users, l.is_floating_cloud AS l_is_floating_cloud, \
    l.floating_users AS l_floating_users, l.floating_timeout AS l_floating_timeout, l.can_borrow AS l_can_borrow, \
    l.max_borrow_time AS l_max_borrow_time, l.max_consumptions AS l_max_consumptions, \
    l.total_consumptions AS l_total_consumptions, l.allow_unlimited_consumptions AS l_allow_unlimited_consumptions, \
    l.allow_negative_consumptions AS l_allow_negative_consumptions, l.allow_overages AS l_allow_overages, \
    l.max_overages AS l_max_overages, l.reset_consumption AS l_reset_consumption, \
    l.consumption_period AS l_consumption_period, l.consumption_reset_at AS l_consumption_reset_at, \
    l.metadata AS l_metadata, l.created_at AS l_created_at";

pub(crate) const DEVICE_COLUMNS: &str = "d.id AS d_id, d.license_id AS d_license_id, \
    d.license_user_id AS d_license_user_id, d.hardware_id AS d_hardware_id, d.active AS d_active, \
    d.blacklisted AS d_blacklisted, d.released AS d_released, d.is_vm AS d_is_vm, d.os_ver AS d_os_ver, d.hostname AS d_hostname, \
    d.floating_until AS d_floating_until, d.borrowed_until AS d_borrowed_until, \
    d.license_signature AS d_license_signature, d.signature_validity AS d_signature_validity, \
    d.answer_digest AS d_answer_digest, d.answer_signature AS d_answer_signature, \
    d.created_at AS d_created_at, d.last_check_at AS d_last_check_at";

pub(crate) const USER_COLUMNS: &str = "u.id AS u_id, u.company_id AS u_company_id, u.customer_id AS u_customer_id, \
    u.email AS u_email, u.password_hash AS u_password_hash, u.initial_password AS u_initial_password, \
    u.is_initial_password AS u_is_initial_password, u.first_name AS u_first_name, u.last_name AS u_last_name, \
    u.phone_number AS u_phone_number";

pub(crate) const ASSIGNMENT_COLUMNS: &str = "a.license_id AS a_license_id, a.license_user_id AS a_license_user_id, \
    a.max_activations AS a_max_activations, a.allow_unlimited_activations AS a_allow_unlimited_activations, \
    a.total_activations AS a_total_activations";

pub(crate) const CUSTOMER_COLUMNS: &str = concat!(
    "c.id AS c_id, c.company_id AS c_company_id, c.email AS c_email, \
    c.first_name AS c_first_name, c.last_name AS c_last_name, c.company_name AS c_company_name, \
    c.phone AS c_phone, c.reference AS c_reference, c.address AS c_address, c.city AS c_city, \
    c.postcode AS c_postcode, c.state AS c_state, c.country AS c_country, c.metadata AS c_metadata, ",
    customer_accounts::customer_account_columns!()
);

/// A license feature joined with its product feature (`lf`, `pf`).
pub(crate) const FEATURE_COLUMNS: &str = "lf.id AS lf_id, lf.license_id AS lf_license_id, \
    lf.expiry_date AS lf_expiry_date, lf.max_consumption AS lf_max_consumption, \
    lf.total_consumptions AS lf_total_consumptions, lf.allow_unlimited_consumptions AS lf_allow_unlimited_consumptions, \
    lf.allow_negative_consumptions AS lf_allow_negative_consumptions, lf.allow_overages AS lf_allow_overages, \
    lf.max_overages AS lf_max_overages, lf.reset_consumption AS lf_reset_consumption, \
    lf.consumption_period AS lf_consumption_period, lf.consumption_reset_at AS lf_consumption_reset_at, \
    lf.is_floating_cloud AS lf_is_floating_cloud, lf.floating_users AS lf_floating_users, \
    lf.floating_timeout AS lf_floating_timeout, lf.max_borrow_time AS lf_max_borrow_time, \
    pf.id AS pf_id, pf.product_id AS pf_product_id, pf.code AS pf_code, pf.name AS pf_name, \
    pf.feature_type AS pf_feature_type, pf.metadata AS pf_metadata, pf.created_at AS pf_created_at";

pub(crate) const RELEASE_COLUMNS: &str = "id, product_id, version, channel, environment, installation_file, \
    hash_md5, size, eula_link, release_notes_link, requires_version, release_date, enabled, created_at";

/// Everything a License API call reads, for a key-based license: license by product and key (and id,
/// when `with_license_id`). Separate statements rather than `($5 IS NULL OR ...)`, so each keeps one plan.
pub fn lookup_by_key_sql(with_license_id: bool) -> String {
    let pinned = if with_license_id {
        " AND l.id = $5"
    } else {
        ""
    };
    lookup_sql(&format!(
        "LEFT JOIN licenses l ON l.product_id = p.id AND l.license_key = $3{pinned} \
         LEFT JOIN license_users u ON FALSE \
         LEFT JOIN license_assignments a ON FALSE"
    ))
}

/// Everything a License API call reads, for a user-based license: the user's license of the product
/// (the one `license_id` names, when `with_license_id`, else the oldest).
pub(crate) fn lookup_by_user_sql(with_license_id: bool) -> String {
    let pinned = if with_license_id {
        " AND l2.id = $5"
    } else {
        ""
    };
    lookup_sql(&format!(
        "LEFT JOIN license_users u ON u.company_id = p.company_id AND u.email = $3 \
         LEFT JOIN license_assignments a ON a.license_user_id = u.id AND a.license_id = ( \
             SELECT MIN(a2.license_id) FROM license_assignments a2 JOIN licenses l2 ON l2.id = a2.license_id \
             WHERE a2.license_user_id = u.id AND l2.product_id = p.id{pinned}) \
         LEFT JOIN licenses l ON l.id = a.license_id"
    ))
}

/// A license's custom field (`pcf`) with the license's own value (`lcf`) or else the default.
pub(crate) const CUSTOM_FIELD_VALUE_COLUMNS: &str = "pcf.id AS cf_id, pcf.name AS cf_name, \
    pcf.data_type AS cf_data_type, COALESCE(lcf.value, pcf.default_value) AS cf_value";

/// License features and custom fields arrive as rows of their own kind (`k.kind` 0 and 1), each row
/// repeating the license: the two lists add up instead of multiplying, in one statement.
fn lookup_sql(license_join: &str) -> String {
    format!(
        "SELECT {PRODUCT_COLUMNS}, {LICENSE_COLUMNS}, {DEVICE_COLUMNS}, {USER_COLUMNS}, {ASSIGNMENT_COLUMNS}, \
         {CUSTOMER_COLUMNS}, {FEATURE_COLUMNS}, {CUSTOM_FIELD_VALUE_COLUMNS} FROM products p {license_join} \
         LEFT JOIN devices d ON d.license_id = l.id AND d.hardware_id = $4 \
         LEFT JOIN customers c ON c.id = l.customer_id \
         CROSS JOIN (SELECT 0 AS kind UNION ALL SELECT 1 AS kind) k \
         LEFT JOIN license_features lf ON k.kind = 0 AND lf.license_id = l.id \
         LEFT JOIN product_features pf ON pf.id = lf.product_feature_id \
         LEFT JOIN product_custom_fields pcf ON k.kind = 1 AND pcf.product_id = l.product_id \
         LEFT JOIN license_custom_fields lcf ON lcf.license_id = l.id AND lcf.product_custom_field_id = pcf.id \
         WHERE p.company_id = $1 AND p.code = $2 ORDER BY k.kind, pf.code, pcf.name"
    )
}

impl<DB: Backend> crate::PoolStatus for SqlStore<DB> {
    fn pool_connections(&self) -> [crate::PoolConnections; 2] {
        let status = |pool: &'static str, of: &Pool<DB>| crate::PoolConnections {
            pool,
            open: of.size(),
            idle: of.num_idle(),
        };
        [
            status("reader", &self.reader),
            status("writer", &self.writer),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_each_value_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(2, 1), "$2");
    }
}
