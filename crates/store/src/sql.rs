//! The SQL shared by both backends. SQLite and PostgreSQL accept the same statements here (`$n`
//! parameters, `RETURNING`, `ON CONFLICT`); what differs is passed in: the row type and the clause that
//! locks a license row for the rest of a transaction.

/// Columns of a product row, aliased `p_*`.
pub(crate) const PRODUCT_COLUMNS: &str = "p.id AS p_id, p.company_id AS p_company_id, p.code AS p_code, \
    p.name AS p_name, p.authorization_method AS p_authorization_method, p.prevent_vm AS p_prevent_vm, \
    p.allow_trial AS p_allow_trial, p.trial_days AS p_trial_days, p.metadata AS p_metadata";

/// Columns of a license row, aliased `l_*`.
pub(crate) const LICENSE_COLUMNS: &str = "l.id AS l_id, l.company_id AS l_company_id, \
    l.product_id AS l_product_id, l.license_key AS l_license_key, l.license_type AS l_license_type, \
    l.enabled AS l_enabled, l.is_trial AS l_is_trial, l.prevent_vm AS l_prevent_vm, \
    l.start_date AS l_start_date, l.validity_period AS l_validity_period, l.grace_period AS l_grace_period, \
    l.allow_grace_period AS l_allow_grace_period, l.max_activations AS l_max_activations, \
    l.allow_unlimited_activations AS l_allow_unlimited_activations, l.times_activated AS l_times_activated, \
    l.transfer_count AS l_transfer_count, l.max_transfers AS l_max_transfers, l.metadata AS l_metadata";

/// Columns of a device row, aliased `d_*`.
pub(crate) const DEVICE_COLUMNS: &str = "d.id AS d_id, d.license_id AS d_license_id, \
    d.hardware_id AS d_hardware_id, d.active AS d_active, d.blacklisted AS d_blacklisted, d.is_vm AS d_is_vm, \
    d.os_ver AS d_os_ver, d.hostname AS d_hostname, d.license_signature AS d_license_signature, \
    d.signature_validity AS d_signature_validity, d.created_at AS d_created_at, d.last_check_at AS d_last_check_at";

/// Implements [`crate::Store`] for a backend struct with `reader` and `writer` pools, `secrets`, and a
/// `begin_write()` method that starts a transaction able to write.
macro_rules! impl_sql_store {
    ($store:ident, $db:ty, $row:ty, lock_license = $lock:literal) => {
        use sqlx::Row as _;

        use crate::sql::{DEVICE_COLUMNS, LICENSE_COLUMNS, PRODUCT_COLUMNS};
        use crate::*;

        const PURPOSE_SIGNING_KEY: &str = "company.signing_key";
        const PURPOSE_SHARED_KEY: &str = "api_key.shared_key";

        fn product_from_row(row: &$row) -> Result<Product, sqlx::Error> {
            Ok(Product {
                id: row.try_get("p_id")?,
                company_id: row.try_get("p_company_id")?,
                code: row.try_get("p_code")?,
                name: row.try_get("p_name")?,
                authorization_method: row.try_get("p_authorization_method")?,
                prevent_vm: row.try_get("p_prevent_vm")?,
                allow_trial: row.try_get("p_allow_trial")?,
                trial_days: row.try_get("p_trial_days")?,
                metadata: row.try_get("p_metadata")?,
            })
        }

        /// `None` when a LEFT JOIN found no license.
        fn license_from_row(row: &$row) -> Result<Option<License>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("l_id")? else {
                return Ok(None);
            };
            let license_type: String = row.try_get("l_license_type")?;
            Ok(Some(License {
                id,
                company_id: row.try_get("l_company_id")?,
                product_id: row.try_get("l_product_id")?,
                license_key: row.try_get("l_license_key")?,
                license_type: license_type
                    .parse()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                enabled: row.try_get("l_enabled")?,
                is_trial: row.try_get("l_is_trial")?,
                prevent_vm: row.try_get("l_prevent_vm")?,
                start_date: row.try_get::<Option<i64>, _>("l_start_date")?.map(from_millis),
                validity_period: row
                    .try_get::<Option<i64>, _>("l_validity_period")?
                    .map(from_millis),
                grace_period: row.try_get("l_grace_period")?,
                allow_grace_period: row.try_get("l_allow_grace_period")?,
                max_activations: row.try_get("l_max_activations")?,
                allow_unlimited_activations: row.try_get("l_allow_unlimited_activations")?,
                times_activated: row.try_get("l_times_activated")?,
                transfer_count: row.try_get("l_transfer_count")?,
                max_transfers: row.try_get("l_max_transfers")?,
                metadata: row.try_get("l_metadata")?,
            }))
        }

        /// `None` when a LEFT JOIN found no device.
        fn device_from_row(row: &$row) -> Result<Option<Device>, sqlx::Error> {
            let Some(id) = row.try_get::<Option<i64>, _>("d_id")? else {
                return Ok(None);
            };
            Ok(Some(Device {
                id,
                license_id: row.try_get("d_license_id")?,
                hardware_id: row.try_get("d_hardware_id")?,
                active: row.try_get("d_active")?,
                blacklisted: row.try_get("d_blacklisted")?,
                is_vm: row.try_get("d_is_vm")?,
                os_ver: row.try_get("d_os_ver")?,
                hostname: row.try_get("d_hostname")?,
                license_signature: row.try_get("d_license_signature")?,
                signature_validity: row
                    .try_get::<Option<i64>, _>("d_signature_validity")?
                    .map(from_millis),
                created_at: from_millis(row.try_get("d_created_at")?),
                last_check_at: row
                    .try_get::<Option<i64>, _>("d_last_check_at")?
                    .map(from_millis),
            }))
        }

        fn variable_from_row(row: &$row) -> Result<DeviceVariable, sqlx::Error> {
            Ok(DeviceVariable {
                id: row.try_get("id")?,
                device_id: row.try_get("device_id")?,
                name: row.try_get("name")?,
                value: row.try_get("value")?,
                created_at: from_millis(row.try_get("created_at")?),
            })
        }

        fn lookup_sql() -> String {
            format!(
                "SELECT {PRODUCT_COLUMNS}, {LICENSE_COLUMNS}, {DEVICE_COLUMNS} FROM products p \
                 LEFT JOIN licenses l ON l.product_id = p.id AND l.license_key = $3 \
                 LEFT JOIN devices d ON d.license_id = l.id AND d.hardware_id = $4 \
                 WHERE p.company_id = $1 AND p.code = $2"
            )
        }

        /// Maps a unique-constraint violation to a domain-level duplicate.
        fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
            match &error {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
                _ => StoreError::Database(error),
            }
        }

        impl $store {
            async fn upsert_variables(
                conn: &mut <$db as sqlx::Database>::Connection,
                device_id: i64,
                variables: &[(String, String)],
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                for (name, value) in variables {
                    sqlx::query(
                        "INSERT INTO device_variables (device_id, name, value, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (device_id, name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
                    )
                    .bind(device_id)
                    .bind(name)
                    .bind(value)
                    .bind(millis(now))
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }

            async fn variables_on(
                conn: &mut <$db as sqlx::Database>::Connection,
                device_id: i64,
            ) -> StoreResult<Vec<DeviceVariable>> {
                let rows = sqlx::query(
                    "SELECT id, device_id, name, value, created_at FROM device_variables \
                     WHERE device_id = $1 ORDER BY name",
                )
                .bind(device_id)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.iter().map(variable_from_row).collect::<Result<_, _>>()?)
            }

            /// Locks the license row (guard for `times_activated`) and reads it with its product and the
            /// hardware id's device.
            async fn lock_lookup(
                conn: &mut <$db as sqlx::Database>::Connection,
                key: &DeviceKey<'_>,
            ) -> StoreResult<(Product, License, Option<Device>)> {
                let license_id: Option<i64> = sqlx::query_scalar(concat!(
                    "SELECT l.id FROM licenses l JOIN products p ON p.id = l.product_id \
                     WHERE p.company_id = $1 AND p.code = $2 AND l.license_key = $3",
                    $lock
                ))
                .bind(key.company_id)
                .bind(key.product_code)
                .bind(key.license_key)
                .fetch_optional(&mut *conn)
                .await?;
                let row = sqlx::query(&lookup_sql())
                    .bind(key.company_id)
                    .bind(key.product_code)
                    .bind(key.license_key)
                    .bind(key.hardware_id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::UnknownProduct)?;
                let product = product_from_row(&row)?;
                let license = license_from_row(&row)?
                    .filter(|l| Some(l.id) == license_id)
                    .ok_or(StoreError::LicenseNotFound)?;
                Ok((product, license, device_from_row(&row)?))
            }

            async fn license_row(
                conn: &mut <$db as sqlx::Database>::Connection,
                license_id: i64,
            ) -> StoreResult<License> {
                let row = sqlx::query(&format!("SELECT {LICENSE_COLUMNS} FROM licenses l WHERE l.id = $1"))
                    .bind(license_id)
                    .fetch_one(&mut *conn)
                    .await?;
                license_from_row(&row)?.ok_or(StoreError::LicenseNotFound)
            }

            async fn device_row(
                conn: &mut <$db as sqlx::Database>::Connection,
                device_id: i64,
            ) -> StoreResult<Device> {
                let row = sqlx::query(&format!("SELECT {DEVICE_COLUMNS} FROM devices d WHERE d.id = $1"))
                    .bind(device_id)
                    .fetch_one(&mut *conn)
                    .await?;
                device_from_row(&row)?.ok_or(StoreError::NotFound("device"))
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            async fn create_company(&self, company: NewCompany<'_>, now: DateTime<Utc>) -> StoreResult<Company> {
                let sealed = self.secrets.seal(PURPOSE_SIGNING_KEY, company.signing_key_pkcs8)?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO companies (name, signing_key, public_key_pem, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(company.name)
                .bind(sealed)
                .bind(company.public_key_pem)
                .bind(millis(now))
                .fetch_one(&self.writer)
                .await?;
                Ok(Company { id, name: company.name.to_owned(), public_key_pem: company.public_key_pem.to_owned() })
            }

            async fn company(&self, company_id: i64) -> StoreResult<Option<Company>> {
                let row = sqlx::query("SELECT id, name, public_key_pem FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_optional(&self.reader)
                    .await?;
                row.map(|row| -> StoreResult<Company> {
                    Ok(Company {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        public_key_pem: row.try_get("public_key_pem")?,
                    })
                })
                .transpose()
            }

            async fn company_signing_key(&self, company_id: i64) -> StoreResult<Vec<u8>> {
                let sealed: String = sqlx::query_scalar("SELECT signing_key FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::NotFound("company"))?;
                Ok(self.secrets.open(PURPOSE_SIGNING_KEY, &sealed)?)
            }

            async fn company_count(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM companies").fetch_one(&self.reader).await?)
            }

            async fn create_api_key(
                &self,
                company_id: i64,
                api_key: &str,
                shared_key: &str,
                read_only: bool,
                now: DateTime<Utc>,
            ) -> StoreResult<ApiKey> {
                let sealed = self.secrets.seal(PURPOSE_SHARED_KEY, shared_key.as_bytes())?;
                sqlx::query(
                    "INSERT INTO api_keys (company_id, api_key, shared_key, read_only, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(company_id)
                .bind(api_key)
                .bind(sealed)
                .bind(read_only)
                .bind(millis(now))
                .execute(&self.writer)
                .await
                .map_err(|e| unique_violation(e, "api key"))?;
                Ok(ApiKey {
                    company_id,
                    api_key: api_key.to_owned(),
                    shared_key: shared_key.to_owned(),
                    read_only,
                    revoked: false,
                })
            }

            async fn api_key(&self, api_key: &str) -> StoreResult<Option<ApiKey>> {
                let row = sqlx::query(
                    "SELECT company_id, api_key, shared_key, read_only, revoked FROM api_keys WHERE api_key = $1",
                )
                .bind(api_key)
                .fetch_optional(&self.reader)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let sealed: String = row.try_get("shared_key")?;
                let shared_key = String::from_utf8(self.secrets.open(PURPOSE_SHARED_KEY, &sealed)?)
                    .map_err(|_| secrets::SecretError::Open)?;
                Ok(Some(ApiKey {
                    company_id: row.try_get("company_id")?,
                    api_key: row.try_get("api_key")?,
                    shared_key,
                    read_only: row.try_get("read_only")?,
                    revoked: row.try_get("revoked")?,
                }))
            }

            async fn revoke_api_key(&self, api_key: &str) -> StoreResult<()> {
                let done = sqlx::query("UPDATE api_keys SET revoked = TRUE WHERE api_key = $1")
                    .bind(api_key)
                    .execute(&self.writer)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("api key"));
                }
                Ok(())
            }

            async fn create_product(&self, product: NewProduct, now: DateTime<Utc>) -> StoreResult<Product> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO products (company_id, code, name, prevent_vm, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(product.company_id)
                .bind(&product.code)
                .bind(&product.name)
                .bind(product.prevent_vm)
                .bind(millis(now))
                .fetch_one(&self.writer)
                .await
                .map_err(|e| unique_violation(e, "product code"))?;
                self.product_by_id(id).await
            }

            async fn product(&self, company_id: i64, code: &str) -> StoreResult<Option<Product>> {
                let row = sqlx::query(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.company_id = $1 AND p.code = $2"
                ))
                .bind(company_id)
                .bind(code)
                .fetch_optional(&self.reader)
                .await?;
                Ok(row.as_ref().map(product_from_row).transpose()?)
            }

            async fn product_by_id(&self, product_id: i64) -> StoreResult<Product> {
                let row = sqlx::query(&format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1"))
                    .bind(product_id)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::UnknownProduct)?;
                Ok(product_from_row(&row)?)
            }

            async fn create_license(&self, license: NewLicense, now: DateTime<Utc>) -> StoreResult<License> {
                let mut conn = self.writer.acquire().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO licenses (company_id, product_id, license_key, license_type, enabled, prevent_vm, \
                     start_date, validity_period, max_activations, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(license.company_id)
                .bind(license.product_id)
                .bind(&license.license_key)
                .bind(license.license_type.as_str())
                .bind(license.enabled)
                .bind(license.prevent_vm)
                .bind(license.start_date.map(millis))
                .bind(license.validity_period.map(millis))
                .bind(license.max_activations)
                .bind(millis(now))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| unique_violation(e, "license key"))?;
                Self::license_row(&mut conn, id).await
            }

            async fn licenses_by_key(&self, company_id: Option<i64>, license_key: &str) -> StoreResult<Vec<License>> {
                let rows = sqlx::query(&format!(
                    "SELECT {LICENSE_COLUMNS} FROM licenses l WHERE l.license_key = $1 \
                     AND ($2 IS NULL OR l.company_id = $2) ORDER BY l.id"
                ))
                .bind(license_key)
                .bind(company_id)
                .fetch_all(&self.reader)
                .await?;
                Ok(rows
                    .iter()
                    .map(license_from_row)
                    .filter_map(Result::transpose)
                    .collect::<Result<_, _>>()?)
            }

            async fn set_license_enabled(&self, license_id: i64, enabled: bool) -> StoreResult<()> {
                sqlx::query("UPDATE licenses SET enabled = $1 WHERE id = $2")
                    .bind(enabled)
                    .bind(license_id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn devices(&self, license_id: i64) -> StoreResult<Vec<Device>> {
                let rows = sqlx::query(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices d WHERE d.license_id = $1 ORDER BY d.id"
                ))
                .bind(license_id)
                .fetch_all(&self.reader)
                .await?;
                Ok(rows
                    .iter()
                    .map(device_from_row)
                    .filter_map(Result::transpose)
                    .collect::<Result<_, _>>()?)
            }

            async fn blacklist_device(&self, license_id: i64, hardware_id: &str, now: DateTime<Utc>) -> StoreResult<Device> {
                let mut tx = self.begin_write().await?;
                sqlx::query(concat!("SELECT l.id FROM licenses l WHERE l.id = $1", $lock))
                    .bind(license_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let was_active: Option<bool> =
                    sqlx::query_scalar("SELECT active FROM devices WHERE license_id = $1 AND hardware_id = $2")
                        .bind(license_id)
                        .bind(hardware_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let device_id: i64 = sqlx::query_scalar(
                    "INSERT INTO devices (license_id, hardware_id, active, blacklisted, created_at) VALUES ($1, $2, FALSE, TRUE, $3) \
                     ON CONFLICT (license_id, hardware_id) DO UPDATE SET active = FALSE, blacklisted = TRUE RETURNING id",
                )
                .bind(license_id)
                .bind(hardware_id)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?;
                if was_active == Some(true) {
                    sqlx::query("UPDATE licenses SET times_activated = times_activated - 1 WHERE id = $1")
                        .bind(license_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let device = Self::device_row(&mut tx, device_id).await?;
                tx.commit().await?;
                Ok(device)
            }

            async fn lookup(&self, key: &DeviceKey<'_>) -> StoreResult<LicenseLookup> {
                let row = sqlx::query(&lookup_sql())
                    .bind(key.company_id)
                    .bind(key.product_code)
                    .bind(key.license_key)
                    .bind(key.hardware_id)
                    .fetch_optional(&self.reader)
                    .await?
                    .ok_or(StoreError::UnknownProduct)?;
                Ok(LicenseLookup {
                    product: product_from_row(&row)?,
                    license: license_from_row(&row)?,
                    device: device_from_row(&row)?,
                })
            }

            async fn activate(
                &self,
                key: &DeviceKey<'_>,
                info: &DeviceInfo,
                variables: &[(String, String)],
                rule: ActivationRule<'_>,
                now: DateTime<Utc>,
            ) -> StoreResult<Activation> {
                let mut tx = self.begin_write().await?;
                // The license row lock serializes activations of one license, so the rule sees the true
                // `times_activated`; UNIQUE (license_id, hardware_id) keeps one device per hardware id.
                let (product, license, device) = Self::lock_lookup(&mut tx, key).await?;
                let outcome = rule(&license.rules(&product), device.as_ref().map(Device::state))?;
                let device_id: i64 = sqlx::query_scalar(
                    "INSERT INTO devices (license_id, hardware_id, active, is_vm, vm_info, os_ver, hostname, ip, \
                     mac_address, app_ver, sdk_ver, created_at) VALUES ($1, $2, TRUE, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (license_id, hardware_id) DO UPDATE SET active = TRUE, is_vm = excluded.is_vm, \
                     vm_info = excluded.vm_info, os_ver = excluded.os_ver, hostname = excluded.hostname, ip = excluded.ip, \
                     mac_address = excluded.mac_address, app_ver = excluded.app_ver, sdk_ver = excluded.sdk_ver \
                     RETURNING id",
                )
                .bind(license.id)
                .bind(key.hardware_id)
                .bind(info.is_vm)
                .bind(&info.vm_info)
                .bind(&info.os_ver)
                .bind(&info.hostname)
                .bind(&info.ip)
                .bind(&info.mac_address)
                .bind(&info.app_ver)
                .bind(&info.sdk_ver)
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?;
                match outcome {
                    ActivationOutcome::NewDevice | ActivationOutcome::Reactivate => {
                        sqlx::query("UPDATE licenses SET times_activated = times_activated + 1 WHERE id = $1")
                            .bind(license.id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Self::upsert_variables(&mut tx, device_id, variables, now).await?;
                let license = Self::license_row(&mut tx, license.id).await?;
                let device = Self::device_row(&mut tx, device_id).await?;
                let variables = Self::variables_on(&mut tx, device_id).await?;
                tx.commit().await?;
                Ok(Activation { product, license, device, variables })
            }

            async fn deactivate(&self, key: &DeviceKey<'_>, rule: DeviceRule<'_>) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                // Same license row lock as activation: the decrement cannot interleave with a limit check.
                let (product, license, device) = Self::lock_lookup(&mut tx, key).await?;
                rule(&license.rules(&product), device.as_ref().map(Device::state))?;
                let device = device.ok_or(StoreError::Rejected(DomainError::DeviceNotFound))?;
                sqlx::query("UPDATE devices SET active = FALSE WHERE id = $1")
                    .bind(device.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE licenses SET times_activated = times_activated - 1 WHERE id = $1")
                    .bind(license.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_variables(
                &self,
                device_id: i64,
                variables: &[(String, String)],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<DeviceVariable>> {
                let mut tx = self.begin_write().await?;
                Self::upsert_variables(&mut tx, device_id, variables, now).await?;
                let stored = Self::variables_on(&mut tx, device_id).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn variables(&self, device_id: i64) -> StoreResult<Vec<DeviceVariable>> {
                let mut conn = self.reader.acquire().await?;
                Self::variables_on(&mut conn, device_id).await
            }

            async fn cache_signature(
                &self,
                device_id: i64,
                signature: &str,
                validity: Option<DateTime<Utc>>,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE devices SET license_signature = $1, signature_validity = $2 WHERE id = $3")
                    .bind(signature)
                    .bind(validity.map(millis))
                    .bind(device_id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn record_checks(&self, checks: &[(i64, DateTime<Utc>)]) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for (device_id, at) in checks {
                    sqlx::query("UPDATE devices SET last_check_at = $1 WHERE id = $2")
                        .bind(millis(*at))
                        .bind(device_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_sql_store;
