//! Vendor set-up and inspection: products, features, releases, customers, users, licenses, devices.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{
    CompanyId, CustomerId, DeviceId, LicenseFeatureId, LicenseId, LicenseUserId, ProductId,
};
use secrecy::{ExposeSecret, SecretString};

use super::database::{query, ReadColumn, SqlDatabase, Statement};
use super::rows::*;
use super::tenant::PURPOSE_INITIAL_PASSWORD;
use super::{
    Backend, SqlStore, CUSTOMER_COLUMNS, DEVICE_COLUMNS, FEATURE_COLUMNS, LICENSE_COLUMNS,
    PRODUCT_COLUMNS, RELEASE_COLUMNS,
};
use crate::*;

/// Binds consumption settings in the column order both INSERTs list them.
fn bind_consumption<'q, DB: SqlDatabase>(
    insert: Statement<'q, DB>,
    consumption: &'q ConsumptionColumns,
) -> Statement<'q, DB> {
    insert
        .bind(consumption.max_consumptions)
        .bind(consumption.allow_unlimited_consumptions)
        .bind(consumption.allow_negative_consumptions)
        .bind(consumption.allow_overages)
        .bind(consumption.max_overages)
        .bind(consumption.reset_consumption)
        .bind(consumption.consumption_period.map(|p| p.as_str()))
}

impl<DB: Backend> SqlStore<DB> {
    /// Opens the sealed initial password of a user row.
    pub(super) fn open_user(
        &self,
        (mut user, sealed): (LicenseUser, Option<String>),
    ) -> StoreResult<LicenseUser> {
        user.initial_password = sealed
            .map(|sealed| {
                self.secrets
                    .open(PURPOSE_INITIAL_PASSWORD, &sealed)
                    .and_then(|bytes| {
                        String::from_utf8(bytes).map_err(|_| secrets::SecretError::Open)
                    })
            })
            .transpose()?
            .map(SecretString::from);
        Ok(user)
    }

    /// The license user of a row read with `USER_COLUMNS`, if there is one, its initial password
    /// opened.
    pub(super) fn opened_user(&self, row: Option<DB::Row>) -> StoreResult<Option<LicenseUser>> {
        match row.as_ref().map(user_from_row).transpose()?.flatten() {
            Some(user) => Ok(Some(self.open_user(user)?)),
            None => Ok(None),
        }
    }

    /// Locks the company's license row until the transaction ends; another company's is
    /// `LicenseNotFound`.
    pub(super) async fn lock_license(
        &self,
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<()> {
        query(&self.lock_license_sql)
            .bind(license_id)
            .bind(company_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::LicenseNotFound)?;
        Ok(())
    }

    /// Runs an UPDATE of one license row and records it as `license.updated` with `data`;
    /// `LicenseNotFound` when it matched none.
    async fn update_license(
        &self,
        update: Statement<'_, DB>,
        company_id: CompanyId,
        license_id: LicenseId,
        change: Change<'_>,
        data: serde_json::Value,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated = update.execute(&mut *tx).await?;
        if DB::rows_affected(&updated) == 0 {
            return Err(StoreError::LicenseNotFound);
        }
        Self::record_license_event(
            &mut tx,
            company_id,
            license_id,
            "license.updated",
            change,
            data,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an event about the company's license, in the transaction that changed it.
    async fn record_license_event(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
        event: &'static str,
        change: Change<'_>,
        data: serde_json::Value,
    ) -> StoreResult<()> {
        let license = Self::license_on(conn, company_id, license_id).await?;
        let event = NewEvent::new(company_id, event, change.actor)
            .license(&license)
            .data(data);
        Self::insert_event(conn, &event, change.at).await
    }

    /// The company's license with this id; another company's is `LicenseNotFound`.
    pub(super) async fn license_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<License> {
        let row = query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses l WHERE l.id = $1 AND l.company_id = $2"
        ))
        .bind(license_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::LicenseNotFound)?;
        license_from_row(&row)?.ok_or(StoreError::LicenseNotFound)
    }

    pub(super) async fn device_on(
        conn: &mut DB::Connection,
        device_id: DeviceId,
    ) -> StoreResult<Device> {
        let row = query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d WHERE d.id = $1"
        ))
        .bind(device_id)
        .fetch_one(&mut *conn)
        .await?;
        device_from_row(&row)?.ok_or(StoreError::NotFound("device"))
    }

    async fn features_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<LicenseFeature>> {
        let rows = query(&format!(
            "SELECT {FEATURE_COLUMNS} FROM license_features lf \
             JOIN product_features pf ON pf.id = lf.product_feature_id \
             JOIN licenses l ON l.id = lf.license_id \
             WHERE lf.license_id = $1 AND l.company_id = $2 ORDER BY pf.code"
        ))
        .bind(license_id)
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(collect_rows(&rows, feature_from_row)?)
    }

    /// The variables of the company's device with this id; none for another company's device.
    pub(super) async fn variables_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<Vec<DeviceVariable>> {
        let rows = query(
            "SELECT v.id, v.device_id, v.name, v.value, v.created_at FROM device_variables v \
             JOIN devices d ON d.id = v.device_id JOIN licenses l ON l.id = d.license_id \
             WHERE v.device_id = $1 AND l.company_id = $2 ORDER BY v.name",
        )
        .bind(device_id)
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .iter()
            .map(variable_from_row)
            .collect::<Result<_, _>>()?)
    }

    pub(super) async fn insert_license(
        conn: &mut DB::Connection,
        license: &NewLicense,
        now: DateTime<Utc>,
    ) -> StoreResult<License> {
        let insert = query(
            "INSERT INTO licenses (company_id, product_id, customer_id, license_key, license_type, enabled, \
             is_trial, prevent_vm, start_date, validity_period, grace_period, allow_grace_period, \
             maintenance_period, max_activations, allow_unlimited_activations, max_transfers, \
             max_license_users, is_floating_cloud, floating_users, floating_timeout, can_borrow, \
             max_borrow_time, metadata, created_at, max_consumptions, allow_unlimited_consumptions, \
             allow_negative_consumptions, allow_overages, max_overages, reset_consumption, consumption_period) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
             $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31) RETURNING id",
        )
        .bind(license.company_id)
        .bind(license.product_id)
        .bind(license.customer_id)
        .bind(&license.license_key)
        .bind(license.license_type.as_str())
        .bind(license.enabled)
        .bind(license.is_trial)
        .bind(license.prevent_vm)
        .bind(license.start_date.map(millis))
        .bind(license.validity_period.map(millis))
        .bind(license.grace_period)
        .bind(license.allow_grace_period)
        .bind(license.maintenance_period.map(millis))
        .bind(license.max_activations)
        .bind(license.allow_unlimited_activations)
        .bind(license.max_transfers)
        .bind(license.max_license_users)
        .bind(license.floating.is_floating_cloud)
        .bind(license.floating.floating_users)
        .bind(license.floating.floating_timeout)
        .bind(license.floating.can_borrow)
        .bind(license.floating.max_borrow_time)
        .bind(&license.metadata)
        .bind(millis(now));
        let row = bind_consumption(insert, &license.consumption)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| unique_violation(e, "license key"))?;
        Self::license_on(conn, license.company_id, returned_id(&row)?).await
    }

    /// Inserts a user row; with `if_absent`, an existing e-mail is no error and gives `None`.
    pub(super) async fn insert_user_row(
        &self,
        conn: &mut DB::Connection,
        user: &NewLicenseUser,
        now: DateTime<Utc>,
        if_absent: bool,
    ) -> StoreResult<Option<LicenseUserId>> {
        let sealed = self.secrets.seal(
            PURPOSE_INITIAL_PASSWORD,
            user.initial_password.expose_secret().as_bytes(),
        )?;
        let conflict = if if_absent {
            " ON CONFLICT (company_id, email) DO NOTHING"
        } else {
            ""
        };
        Ok(query(&format!(
            "INSERT INTO license_users (company_id, customer_id, email, password_hash, initial_password, \
             first_name, last_name, phone_number, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9){conflict} RETURNING id"
        ))
        .bind(user.company_id)
        .bind(user.customer_id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(sealed)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.phone_number)
        .bind(millis(now))
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| unique_violation(e, "license user"))?
        .map(|row| returned_id(&row))
        .transpose()?)
    }

    async fn insert_license_user(
        &self,
        conn: &mut DB::Connection,
        user: &NewLicenseUser,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseUser> {
        let id = self
            .insert_user_row(conn, user, now, false)
            .await?
            .ok_or(StoreError::Duplicate("license user"))?;
        Ok(LicenseUser {
            id,
            company_id: user.company_id,
            customer_id: user.customer_id,
            email: user.email.clone(),
            password_hash: user.password_hash.clone(),
            initial_password: Some(user.initial_password.clone()),
            is_initial_password: true,
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            phone_number: user.phone_number.clone(),
        })
    }

    /// The id of the user with this e-mail, created with `user` unless another request did first.
    pub(super) async fn insert_or_find_license_user(
        &self,
        conn: &mut DB::Connection,
        user: &NewLicenseUser,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseUserId> {
        if let Some(id) = self.insert_user_row(conn, user, now, true).await? {
            return Ok(id);
        }
        let row = query("SELECT id FROM license_users WHERE company_id = $1 AND email = $2")
            .bind(user.company_id)
            .bind(&user.email)
            .fetch_one(&mut *conn)
            .await?;
        Ok(returned_id(&row)?)
    }

    /// Grants a feature of the license's own product, on a license of the company; else
    /// `LicenseNotFound`.
    pub(super) async fn insert_license_feature(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        feature: &NewLicenseFeature,
    ) -> StoreResult<LicenseFeatureId> {
        let insert = query(
            "INSERT INTO license_features (license_id, product_feature_id, expiry_date, is_floating_cloud, \
             floating_users, floating_timeout, max_borrow_time, max_consumption, \
             allow_unlimited_consumptions, allow_negative_consumptions, allow_overages, max_overages, \
             reset_consumption, consumption_period) \
             SELECT l.id, pf.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 \
             FROM licenses l JOIN product_features pf ON pf.product_id = l.product_id \
             WHERE l.id = $1 AND pf.id = $2 AND l.company_id = $15 RETURNING id",
        )
        .bind(feature.license_id)
        .bind(feature.product_feature_id)
        .bind(feature.expiry_date.map(millis))
        .bind(feature.floating.is_floating_cloud)
        .bind(feature.floating.floating_users)
        .bind(feature.floating.floating_timeout)
        .bind(feature.floating.max_borrow_time);
        let row = bind_consumption(insert, &feature.consumption)
            .bind(company_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| unique_violation(e, "license feature"))?
            .ok_or(StoreError::LicenseNotFound)?;
        Ok(returned_id(&row)?)
    }

    /// Places a license user on a license, both of the company; else `LicenseNotFound`.
    pub(super) async fn insert_assignment(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        assignment: &Assignment,
    ) -> StoreResult<()> {
        let inserted = query(
            "INSERT INTO license_assignments (license_id, license_user_id, max_activations, \
             allow_unlimited_activations) SELECT l.id, u.id, $3, $4 FROM licenses l \
             JOIN license_users u ON u.company_id = l.company_id \
             WHERE l.id = $1 AND u.id = $2 AND l.company_id = $5",
        )
        .bind(assignment.license_id)
        .bind(assignment.license_user_id)
        .bind(assignment.max_activations)
        .bind(assignment.allow_unlimited_activations)
        .bind(company_id)
        .execute(&mut *conn)
        .await
        .map_err(|e| unique_violation(e, "license user assignment"))?;
        if DB::rows_affected(&inserted) == 0 {
            return Err(StoreError::LicenseNotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl<DB: Backend> CatalogStore for SqlStore<DB> {
    async fn product(&self, company_id: CompanyId, code: &str) -> StoreResult<Option<Product>> {
        let row = query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.company_id = $1 AND p.code = $2"
        ))
        .bind(company_id)
        .bind(code)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(product_from_row).transpose()?)
    }

    async fn product_by_id(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Product> {
        let row = query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1 AND p.company_id = $2"
        ))
        .bind(product_id)
        .bind(company_id)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?
        .ok_or(StoreError::UnknownProduct)?;
        Ok(product_from_row(&row)?)
    }

    async fn product_features(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<ProductFeature>> {
        let rows = query(
            "SELECT pf.id AS pf_id, pf.product_id AS pf_product_id, pf.code AS pf_code, pf.name AS pf_name, \
             pf.feature_type AS pf_feature_type, pf.metadata AS pf_metadata FROM product_features pf \
             JOIN products p ON p.id = pf.product_id \
             WHERE pf.product_id = $1 AND p.company_id = $2 ORDER BY pf.code",
        )
        .bind(product_id)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(rows
            .iter()
            .map(product_feature_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn releases(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<Release>> {
        let rows = query(&format!(
            "SELECT {RELEASE_COLUMNS} FROM releases WHERE product_id = $1 AND enabled \
             AND product_id IN (SELECT id FROM products WHERE company_id = $2) \
             ORDER BY COALESCE(release_date, created_at) DESC, id DESC"
        ))
        .bind(product_id)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(rows
            .iter()
            .map(release_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn customer_by_email(
        &self,
        company_id: CompanyId,
        email: &str,
    ) -> StoreResult<Option<Customer>> {
        let row = query(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.company_id = $1 AND c.email = $2"
        ))
        .bind(company_id)
        .bind(email)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(customer_from_row).transpose()?.flatten())
    }

    async fn customer(
        &self,
        company_id: CompanyId,
        customer_id: CustomerId,
    ) -> StoreResult<Option<Customer>> {
        let row = query(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.company_id = $2"
        ))
        .bind(customer_id)
        .bind(company_id)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(customer_from_row).transpose()?.flatten())
    }

    async fn create_license(
        &self,
        license: NewLicense,
        change: Change<'_>,
    ) -> StoreResult<License> {
        let mut tx = self.begin_write().await?;
        let created = Self::insert_license(&mut tx, &license, change.at).await?;
        let event = NewEvent::new(license.company_id, "license.created", change.actor)
            .license(&created)
            .data(serde_json::json!({
                "license_key": created.license_key,
                "license_type": created.license_type.as_str(),
            }));
        Self::insert_event(&mut tx, &event, change.at).await?;
        Self::insert_bundle_licenses(&mut tx, &created, &license, None, change.actor, change.at)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn license(&self, company_id: CompanyId, license_id: LicenseId) -> StoreResult<License> {
        let mut conn = self.reader.acquire().await?;
        Self::license_on(&mut conn, company_id, license_id).await
    }

    async fn license_company(&self, license_id: LicenseId) -> StoreResult<Option<CompanyId>> {
        let row = query("SELECT company_id FROM licenses WHERE id = $1")
            .bind(license_id)
            .fetch_optional(&mut *self.reader.acquire().await?)
            .await?;
        Ok(row.map(|row| id_column(&row, "company_id")).transpose()?)
    }

    async fn licenses_by_key(
        &self,
        company_id: Option<CompanyId>,
        license_key: &str,
    ) -> StoreResult<Vec<License>> {
        let rows = query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses l WHERE l.license_key = $1 \
             AND ($2 IS NULL OR l.company_id = $2) ORDER BY l.id"
        ))
        .bind(license_key)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(collect_rows(&rows, license_from_row)?)
    }

    async fn set_license_enabled(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        enabled: bool,
        change: Change<'_>,
    ) -> StoreResult<()> {
        self.update_license(
            query("UPDATE licenses SET enabled = $1 WHERE id = $2 AND company_id = $3")
                .bind(enabled)
                .bind(license_id)
                .bind(company_id),
            company_id,
            license_id,
            change,
            serde_json::json!({"enabled": enabled}),
        )
        .await
    }

    async fn reset_license(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        change: Change<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Under the license row lock, like every change of `times_activated`.
        self.lock_license(&mut tx, company_id, license_id).await?;
        for statement in [
            // A reset starts the license afresh: no activation is waiting to be transferred.
            "UPDATE devices SET active = FALSE, released = FALSE, floating_until = NULL, borrowed_until = NULL \
             WHERE license_id = $1",
            "DELETE FROM feature_seats WHERE license_feature_id IN (SELECT id FROM license_features WHERE license_id = $1)",
            "UPDATE license_assignments SET total_activations = 0 WHERE license_id = $1",
            "UPDATE licenses SET times_activated = 0, released_slots = 0 WHERE id = $1",
        ] {
            query(statement).bind(license_id).execute(&mut *tx).await?;
        }
        let data = serde_json::json!({});
        Self::record_license_event(
            &mut tx,
            company_id,
            license_id,
            "license.reset",
            change,
            data,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_license_feature(
        &self,
        company_id: CompanyId,
        feature: NewLicenseFeature,
        change: Change<'_>,
    ) -> StoreResult<LicenseFeature> {
        let mut tx = self.begin_write().await?;
        let id = Self::insert_license_feature(&mut tx, company_id, &feature).await?;
        let added = Self::features_on(&mut tx, company_id, feature.license_id)
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(StoreError::NotFound("license feature"))?;
        let data = serde_json::json!({"product_features": {"added": added.feature.code}});
        Self::record_license_event(
            &mut tx,
            company_id,
            feature.license_id,
            "license.updated",
            change,
            data,
        )
        .await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn license_features(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<LicenseFeature>> {
        let mut conn = self.reader.acquire().await?;
        Self::features_on(&mut conn, company_id, license_id).await
    }

    async fn create_license_user(
        &self,
        user: NewLicenseUser,
        change: Change<'_>,
    ) -> StoreResult<LicenseUser> {
        let mut tx = self.begin_write().await?;
        let created = self.insert_license_user(&mut tx, &user, change.at).await?;
        let event = NewEvent::new(user.company_id, "license_user.created", change.actor)
            .license_user(Some(created.id))
            .data(serde_json::json!({"email": created.email}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn assign_license_user(
        &self,
        company_id: CompanyId,
        assignment: Assignment,
        change: Change<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        Self::insert_assignment(&mut tx, company_id, &assignment).await?;
        let license = Self::license_on(&mut tx, company_id, assignment.license_id).await?;
        let event = NewEvent::new(company_id, "license.license_user.assigned", change.actor)
            .license(&license)
            .license_user(Some(assignment.license_user_id))
            .data(serde_json::json!({"max_activations": assignment.max_activations}));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn devices(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<Device>> {
        let rows = query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d JOIN licenses l ON l.id = d.license_id \
             WHERE d.license_id = $1 AND l.company_id = $2 ORDER BY d.id"
        ))
        .bind(license_id)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(collect_rows(&rows, device_from_row)?)
    }

    async fn blacklist_device(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        hardware_id: &str,
        change: Change<'_>,
    ) -> StoreResult<Device> {
        let now = change.at;
        let mut tx = self.begin_write().await?;
        // The license row lock: the freed activation is counted exactly once.
        self.lock_license(&mut tx, company_id, license_id).await?;
        let previous = query(
            "SELECT active, license_user_id FROM devices WHERE license_id = $1 AND hardware_id = $2",
        )
        .bind(license_id)
        .bind(hardware_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| -> sqlx::Result<(bool, Option<LicenseUserId>)> {
            Ok((row.read("active")?, joined_id(&row, "license_user_id")?))
        })
        .transpose()?;
        let row = query(
            "INSERT INTO devices (license_id, hardware_id, active, blacklisted, created_at) \
             VALUES ($1, $2, FALSE, TRUE, $3) ON CONFLICT (license_id, hardware_id) \
             DO UPDATE SET active = FALSE, blacklisted = TRUE, floating_until = NULL, borrowed_until = NULL \
             RETURNING id",
        )
        .bind(license_id)
        .bind(hardware_id)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        if let Some((true, user_id)) = previous {
            Self::release_activation(&mut tx, license_id, user_id).await?;
        }
        let device = Self::device_on(&mut tx, returned_id(&row)?).await?;
        let license = Self::license_on(&mut tx, company_id, license_id).await?;
        let event = NewEvent::new(company_id, "device.blacklisted", change.actor)
            .license(&license)
            .device(device.id)
            .data(serde_json::json!({"hardware_id": hardware_id}));
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(device)
    }

    async fn variables(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<Vec<DeviceVariable>> {
        let mut conn = self.reader.acquire().await?;
        Self::variables_on(&mut conn, company_id, device_id).await
    }
}
