//! Licenses as the Management API manages them: whole records for show and list, and changes that
//! record their event in their own transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, DeviceId, LicenseFeatureId, LicenseId, LicenseUserId};

use super::database::{query, Param, ReadColumn, SqlDatabase, SqlRow, Statement};
use super::listing::Table;
use super::rows::*;
use super::{
    placeholders, Backend, SqlStore, ASSIGNMENT_COLUMNS, CUSTOMER_COLUMNS, DEVICE_COLUMNS,
    FEATURE_COLUMNS, LICENSE_COLUMNS, PRODUCT_COLUMNS, USER_COLUMNS,
};
use crate::query::fields::{LICENSE_TIME_ACTIVATED, LICENSE_UPDATED_AT};
use crate::query::ListQuery;
use crate::*;

/// The joins every license field of [`crate::query::fields::LICENSE_FIELDS`] may name.
const LICENSE_JOINS: &str = "licenses l JOIN products p ON p.id = l.product_id \
    LEFT JOIN customers c ON c.id = l.customer_id LEFT JOIN orders o ON o.id = l.order_id";

pub(super) const LICENSES: Table = Table {
    columns: "l.id",
    from: LICENSE_JOINS,
    company: "l.company_id",
    id: "l.id",
};

/// Binds the company id (`$1`) and then each license id.
fn bind_ids<'q, DB: SqlDatabase>(
    mut statement: Statement<'q, DB>,
    company_id: CompanyId,
    ids: &[LicenseId],
) -> Statement<'q, DB> {
    statement = statement.bind(company_id);
    for id in ids {
        statement = statement.bind(*id);
    }
    statement
}

fn optional_time<R: SqlRow>(row: &R, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(ReadColumn::<Option<i64>>::read(row, column)?.map(from_millis))
}

fn column_param(value: &ColumnValue) -> Param<'_> {
    match value {
        ColumnValue::Int(number) => Param::Int(*number),
        ColumnValue::Bool(flag) => Param::Bool(*flag),
        ColumnValue::Text(text) => Param::Text(text.as_deref()),
        ColumnValue::Time(at) => Param::Int(at.map(millis)),
    }
}

fn license_event(
    company_id: CompanyId,
    license_id: LicenseId,
    event: &'static str,
    actor: &Actor,
    data: serde_json::Value,
) -> NewEvent {
    NewEvent {
        company_id,
        event,
        actor: actor.clone(),
        subjects: EventSubjects {
            license_id: Some(license_id),
            ..Default::default()
        },
        data: data.to_string(),
    }
}

impl<DB: Backend> SqlStore<DB> {
    /// Applies one license's update on the transaction's connection (the license row already locked).
    async fn apply_update(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        update: &LicenseUpdate,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if let Some((_, ColumnValue::Int(Some(order_id)))) = update
            .changes
            .iter()
            .find(|(column, _)| *column == LicenseColumn::OrderId)
        {
            query("SELECT id FROM orders WHERE id = $1 AND company_id = $2")
                .bind(*order_id)
                .bind(company_id)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound("order"))?;
        }
        if !update.changes.is_empty() {
            let assignments: Vec<String> = update
                .changes
                .iter()
                .enumerate()
                .map(|(n, (column, _))| format!("{} = ${}", column.name(), n + 1))
                .collect();
            let count = update.changes.len();
            let sql = format!(
                "UPDATE licenses SET {} WHERE id = ${} AND company_id = ${}",
                assignments.join(", "),
                count + 1,
                count + 2
            );
            let mut statement = query(&sql);
            for (_, value) in &update.changes {
                statement = statement.bind(column_param(value));
            }
            statement
                .bind(update.license_id)
                .bind(company_id)
                .execute(&mut *conn)
                .await?;
        }
        for signed in &update.device_signatures {
            query(
                "UPDATE devices SET license_signature = $1, signature_validity = $2 \
                 WHERE id = $3 AND license_id = $4",
            )
            .bind(signed.signature.as_str())
            .bind(signed.validity.map(millis))
            .bind(signed.device_id)
            .bind(update.license_id)
            .execute(&mut *conn)
            .await?;
        }
        if update.reset_feature_consumptions {
            query(
                "UPDATE license_features SET total_consumptions = 0, consumption_reset_at = $2 \
                 WHERE license_id = $1",
            )
            .bind(update.license_id)
            .bind(millis(now))
            .execute(&mut *conn)
            .await?;
        }
        if update.reset_custom_fields {
            query("DELETE FROM license_custom_fields WHERE license_id = $1")
                .bind(update.license_id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Records `license.updated` with what changed.
    async fn record_update(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
        actor: &Actor,
        changed: serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let event = license_event(company_id, license_id, "license.updated", actor, changed);
        Self::insert_event(conn, &event, now).await
    }

    async fn feature_by_id(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        feature_id: LicenseFeatureId,
    ) -> StoreResult<LicenseFeature> {
        let row = query(&format!(
            "SELECT {FEATURE_COLUMNS} FROM license_features lf \
             JOIN product_features pf ON pf.id = lf.product_feature_id \
             JOIN licenses l ON l.id = lf.license_id WHERE lf.id = $1 AND l.company_id = $2"
        ))
        .bind(feature_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("license feature"))?;
        feature_from_row(&row)?.ok_or(StoreError::NotFound("license feature"))
    }

    /// Inserts a grant, or updates the license's grant of the same product feature; the feature must be
    /// of the license's product. Returns the grant's id.
    async fn upsert_grant(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        license_id: LicenseId,
        grant: &FeatureGrant,
    ) -> StoreResult<LicenseFeatureId> {
        let consumption = &grant.consumption;
        let floating = &grant.floating;
        let row = query(
            "INSERT INTO license_features (license_id, product_feature_id, expiry_date, is_floating_cloud, \
             floating_users, floating_timeout, max_borrow_time, max_consumption, total_consumptions, \
             allow_unlimited_consumptions, allow_negative_consumptions, allow_overages, max_overages, \
             reset_consumption, consumption_period) \
             SELECT l.id, pf.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 \
             FROM licenses l JOIN product_features pf ON pf.product_id = l.product_id \
             WHERE l.id = $1 AND pf.id = $2 AND l.company_id = $16 \
             ON CONFLICT (license_id, product_feature_id) DO UPDATE SET \
             expiry_date = excluded.expiry_date, is_floating_cloud = excluded.is_floating_cloud, \
             floating_users = excluded.floating_users, floating_timeout = excluded.floating_timeout, \
             max_borrow_time = excluded.max_borrow_time, max_consumption = excluded.max_consumption, \
             total_consumptions = excluded.total_consumptions, \
             allow_unlimited_consumptions = excluded.allow_unlimited_consumptions, \
             allow_negative_consumptions = excluded.allow_negative_consumptions, \
             allow_overages = excluded.allow_overages, max_overages = excluded.max_overages, \
             reset_consumption = excluded.reset_consumption, consumption_period = excluded.consumption_period \
             RETURNING id",
        )
        .bind(license_id)
        .bind(grant.product_feature_id)
        .bind(grant.expiry_date.map(millis))
        .bind(floating.is_floating_cloud)
        .bind(floating.floating_users)
        .bind(floating.floating_timeout)
        .bind(floating.max_borrow_time)
        .bind(consumption.max_consumptions)
        .bind(consumption.total_consumptions)
        .bind(consumption.allow_unlimited_consumptions)
        .bind(consumption.allow_negative_consumptions)
        .bind(consumption.allow_overages)
        .bind(consumption.max_overages)
        .bind(consumption.reset_consumption)
        .bind(consumption.consumption_period.map(|p| p.as_str()))
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UnknownFeature)?;
        Ok(returned_id(&row)?)
    }
}

#[async_trait]
impl<DB: Backend> LicenseAdminStore for SqlStore<DB> {
    async fn license_ids(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
        count_limit: Option<u64>,
    ) -> StoreResult<Listing<LicenseId>> {
        self.list_matching_counted(
            &LICENSES,
            company_id,
            list_query,
            page,
            count_limit,
            |row| Ok(id_column(row, "id")?),
        )
        .await
    }

    async fn license_records(
        &self,
        company_id: CompanyId,
        ids: &[LicenseId],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<LicenseRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.reader.acquire().await?;
        let listed = placeholders(3, ids.len());
        let licenses_sql = format!(
            "SELECT {LICENSE_COLUMNS}, {PRODUCT_COLUMNS}, {CUSTOMER_COLUMNS}, l.note AS l_note, \
             l.order_id AS l_order_id, o.store_id AS o_store_id, \
             {LICENSE_TIME_ACTIVATED} AS l_time_activated, {LICENSE_UPDATED_AT} AS l_updated_at, \
             (SELECT MAX(d.last_check_at) FROM devices d WHERE d.license_id = l.id) AS l_last_check, \
             l.active_devices AS l_active_devices, \
             (SELECT COUNT(*) FROM devices d WHERE d.license_id = l.id AND d.active \
              AND (d.floating_until > $2 OR d.borrowed_until > $2)) AS l_floating_in_use \
             FROM {LICENSE_JOINS} WHERE l.company_id = $1 AND l.id IN ({listed})"
        );
        let mut statement = query(&licenses_sql).bind(company_id).bind(millis(now));
        for id in ids {
            statement = statement.bind(*id);
        }
        let license_rows = statement.fetch_all(&mut *conn).await?;

        let listed = placeholders(2, ids.len());
        let features_sql = format!(
            "SELECT {FEATURE_COLUMNS} FROM license_features lf \
             JOIN product_features pf ON pf.id = lf.product_feature_id \
             JOIN licenses l ON l.id = lf.license_id \
             WHERE l.company_id = $1 AND lf.license_id IN ({listed}) ORDER BY pf.code"
        );
        let feature_rows = bind_ids(query(&features_sql), company_id, ids)
            .fetch_all(&mut *conn)
            .await?;
        let features = collect_rows(&feature_rows, feature_from_row)?;

        // Scoped through the licenses, as the features are: SQLite would otherwise read the
        // company's every license user (its index on company_id looked cheaper than the ids).
        let users_sql = format!(
            "SELECT {USER_COLUMNS}, {ASSIGNMENT_COLUMNS} FROM license_assignments a \
             JOIN license_users u ON u.id = a.license_user_id \
             JOIN licenses l ON l.id = a.license_id \
             WHERE l.company_id = $1 AND a.license_id IN ({listed}) ORDER BY u.id"
        );
        let user_rows = bind_ids(query(&users_sql), company_id, ids)
            .fetch_all(&mut *conn)
            .await?;
        let mut users = Vec::new();
        for row in &user_rows {
            if let (Some(user), Some(assignment)) = (user_from_row(row)?, assignment_from_row(row)?)
            {
                users.push((self.open_user(user)?, assignment));
            }
        }

        // `+l.company_id` serves no index: SQLite would otherwise read the company's every license
        // through `licenses_by_product` (it holds the product id this query joins on) instead of
        // the listed ids.
        let fields_sql = format!(
            "SELECT l.id AS license_id, pcf.id, pcf.name, pcf.data_type, pcf.default_value, \
             pcf.description, lcf.id AS value_id, lcf.value FROM licenses l \
             JOIN product_custom_fields pcf ON pcf.product_id = l.product_id \
             LEFT JOIN license_custom_fields lcf ON lcf.license_id = l.id \
             AND lcf.product_custom_field_id = pcf.id \
             WHERE +l.company_id = $1 AND l.id IN ({listed}) ORDER BY pcf.id"
        );
        let field_rows = bind_ids(query(&fields_sql), company_id, ids)
            .fetch_all(&mut *conn)
            .await?;
        let mut custom_fields: Vec<(LicenseId, AppliedCustomField)> = Vec::new();
        for row in &field_rows {
            let value_id: Option<i64> = row.read("value_id")?;
            let value: Option<String> = row.read("value")?;
            custom_fields.push((
                id_column(row, "license_id")?,
                AppliedCustomField {
                    product_custom_field_id: row.read("id")?,
                    name: row.read("name")?,
                    data_type: row.read("data_type")?,
                    default_value: row.read("default_value")?,
                    description: row.read("description")?,
                    license_value: value_id.zip(value),
                },
            ));
        }

        let mut records = Vec::with_capacity(ids.len());
        for row in &license_rows {
            let Some(license) = license_from_row(row)? else {
                continue;
            };
            let id = license.id;
            records.push(LicenseRecord {
                product: product_from_row(row)?,
                customer: customer_from_row(row)?,
                order_id: row.read("l_order_id")?,
                order_store_id: row.read("o_store_id")?,
                note: row.read("l_note")?,
                time_activated: optional_time(row, "l_time_activated")?,
                updated_at: from_millis(row.read("l_updated_at")?),
                last_check: optional_time(row, "l_last_check")?,
                active_devices: row.read("l_active_devices")?,
                floating_in_use: row.read("l_floating_in_use")?,
                features: features
                    .iter()
                    .filter(|feature| feature.license_id == id)
                    .cloned()
                    .collect(),
                users: users
                    .iter()
                    .filter(|(_, assignment)| assignment.license_id == id)
                    .cloned()
                    .collect(),
                custom_fields: custom_fields
                    .iter()
                    .filter(|(license_id, _)| *license_id == id)
                    .map(|(_, field)| field.clone())
                    .collect(),
                license,
            });
        }
        // In the order asked for (a listing's order).
        records.sort_by_key(|record| ids.iter().position(|id| *id == record.license.id));
        Ok(records)
    }

    async fn update_licenses(
        &self,
        company_id: CompanyId,
        updates: &[LicenseUpdate],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for update in updates {
            // Under the license row lock, like every change of what a check or activation decides on.
            self.lock_license(&mut tx, company_id, update.license_id)
                .await?;
            Self::apply_update(&mut tx, company_id, update, now).await?;
            let changed = update.describe();
            if changed
                .as_object()
                .is_some_and(|changed| !changed.is_empty())
            {
                Self::record_update(&mut tx, company_id, update.license_id, actor, changed, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn active_devices(
        &self,
        company_id: CompanyId,
        license_ids: &[LicenseId],
        limit: usize,
    ) -> StoreResult<Vec<ActiveDevice>> {
        let mut conn = self.reader.acquire().await?;
        let mut found = Vec::new();
        // Bounded lists of parameters, whatever the number of licenses.
        for ids in license_ids.chunks(500) {
            if found.len() >= limit {
                break;
            }
            let sql = format!(
                "SELECT d.id, d.license_id, d.hardware_id, l.license_key, u.email FROM devices d \
                 JOIN licenses l ON l.id = d.license_id \
                 LEFT JOIN license_users u ON u.id = d.license_user_id \
                 WHERE l.company_id = $1 AND d.active AND d.license_id IN ({}) \
                 ORDER BY d.id LIMIT {}",
                placeholders(2, ids.len()),
                limit - found.len()
            );
            let rows = bind_ids(query(&sql), company_id, ids)
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                found.push(ActiveDevice {
                    device_id: id_column(row, "id")?,
                    license_id: id_column(row, "license_id")?,
                    hardware_id: row.read("hardware_id")?,
                    license_key: row.read("license_key")?,
                    user_email: row.read("email")?,
                });
            }
        }
        Ok(found)
    }

    async fn delete_license(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let license = Self::license_on(&mut tx, company_id, license_id).await?;
        for statement in [
            "DELETE FROM device_variables WHERE device_id IN (SELECT id FROM devices WHERE license_id = $1)",
            "DELETE FROM feature_seats WHERE device_id IN (SELECT id FROM devices WHERE license_id = $1) \
             OR license_feature_id IN (SELECT id FROM license_features WHERE license_id = $1)",
            "DELETE FROM devices WHERE license_id = $1",
            "DELETE FROM license_features WHERE license_id = $1",
            "DELETE FROM license_assignments WHERE license_id = $1",
            "DELETE FROM license_custom_fields WHERE license_id = $1",
            "DELETE FROM trials WHERE license_id = $1",
            "DELETE FROM check_counts WHERE license_id = $1",
            "DELETE FROM licenses WHERE id = $1",
        ] {
            query(statement).bind(license_id).execute(&mut *tx).await?;
        }
        let data = serde_json::json!({
            "id": license_id,
            "license_key": license.license_key,
            "product_id": license.product_id,
        });
        let event = license_event(company_id, license_id, "license.deleted", actor, data);
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_license_features(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        grants: &[FeatureGrant],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.lock_license(&mut tx, company_id, license_id).await?;
        let mut kept = Vec::with_capacity(grants.len());
        for grant in grants {
            kept.push(Self::upsert_grant(&mut tx, company_id, license_id, grant).await?);
        }
        let unlisted = if kept.is_empty() {
            "SELECT id FROM license_features WHERE license_id = $1".to_owned()
        } else {
            format!(
                "SELECT id FROM license_features WHERE license_id = $1 AND id NOT IN ({})",
                placeholders(2, kept.len())
            )
        };
        for delete in [
            format!("DELETE FROM feature_seats WHERE license_feature_id IN ({unlisted})"),
            format!("DELETE FROM license_features WHERE id IN ({unlisted})"),
        ] {
            let mut statement = query(&delete).bind(license_id);
            for id in &kept {
                statement = statement.bind(*id);
            }
            statement.execute(&mut *tx).await?;
        }
        let granted: Vec<i64> = grants
            .iter()
            .map(|grant| grant.product_feature_id.get())
            .collect();
        Self::record_update(
            &mut tx,
            company_id,
            license_id,
            actor,
            serde_json::json!({ "product_features": granted }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn grant_license_feature(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        grant: &FeatureGrant,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseFeature> {
        let mut tx = self.begin_write().await?;
        self.lock_license(&mut tx, company_id, license_id).await?;
        let exists = query(
            "SELECT id FROM license_features WHERE license_id = $1 AND product_feature_id = $2",
        )
        .bind(license_id)
        .bind(grant.product_feature_id)
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate("license feature"));
        }
        let id = Self::upsert_grant(&mut tx, company_id, license_id, grant).await?;
        Self::record_update(
            &mut tx,
            company_id,
            license_id,
            actor,
            serde_json::json!({ "product_feature_added": grant.product_feature_id }),
            now,
        )
        .await?;
        let feature = Self::feature_by_id(&mut tx, company_id, id).await?;
        tx.commit().await?;
        Ok(feature)
    }

    async fn license_feature(
        &self,
        company_id: CompanyId,
        feature_id: LicenseFeatureId,
    ) -> StoreResult<LicenseFeature> {
        let mut conn = self.reader.acquire().await?;
        Self::feature_by_id(&mut conn, company_id, feature_id).await
    }

    async fn unassign_license_user(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        license_user_id: LicenseUserId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.lock_license(&mut tx, company_id, license_id).await?;
        let removed =
            query("DELETE FROM license_assignments WHERE license_id = $1 AND license_user_id = $2")
                .bind(license_id)
                .bind(license_user_id)
                .execute(&mut *tx)
                .await?;
        if DB::rows_affected(&removed) == 0 {
            return Err(StoreError::NotFound("license user on the license"));
        }
        // The user's devices lose their activations, which become available again.
        for statement in [
            "UPDATE licenses SET times_activated = times_activated - (SELECT COUNT(*) FROM devices \
             WHERE license_id = $1 AND license_user_id = $2 AND active) WHERE id = $1",
            "DELETE FROM feature_seats WHERE device_id IN \
             (SELECT id FROM devices WHERE license_id = $1 AND license_user_id = $2)",
            "UPDATE devices SET active = FALSE, floating_until = NULL, borrowed_until = NULL \
             WHERE license_id = $1 AND license_user_id = $2 AND active",
        ] {
            query(statement)
                .bind(license_id)
                .bind(license_user_id)
                .execute(&mut *tx)
                .await?;
        }
        let event = NewEvent {
            company_id,
            event: "license.license_user.unassigned",
            actor: actor.clone(),
            subjects: EventSubjects {
                license_id: Some(license_id),
                license_user_id: Some(license_user_id),
                ..Default::default()
            },
            data: serde_json::json!({ "license_user_id": license_user_id }).to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_users_activations(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        changes: &[UserActivationsChange],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.lock_license(&mut tx, company_id, license_id).await?;
        let mut described = serde_json::Map::new();
        for change in changes {
            let updated = query(
                "UPDATE license_assignments SET \
                 max_activations = COALESCE($3, max_activations), \
                 total_activations = CASE WHEN $4 THEN 0 ELSE total_activations END \
                 WHERE license_id = $1 AND license_user_id = $2",
            )
            .bind(license_id)
            .bind(change.license_user_id)
            .bind(change.max_activations)
            .bind(change.reset_total_activations)
            .execute(&mut *tx)
            .await?;
            if DB::rows_affected(&updated) == 0 {
                return Err(StoreError::NotFound("license user on the license"));
            }
            described.insert(
                change.license_user_id.to_string(),
                serde_json::json!({
                    "max_activations": change.max_activations,
                    "reset_total_activations": change.reset_total_activations,
                }),
            );
        }
        Self::record_update(
            &mut tx,
            company_id,
            license_id,
            actor,
            serde_json::json!({ "users_activations": described }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn seat_holders(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SeatHolder>> {
        let mut conn = self.reader.acquire().await?;
        Self::license_on(&mut conn, company_id, license_id).await?;
        let rows = query(&format!(
            "SELECT {DEVICE_COLUMNS}, NULL AS feature_code, d.floating_until AS seat_floating_until, \
             d.borrowed_until AS seat_borrowed_until FROM devices d \
             WHERE d.license_id = $1 AND d.active AND (d.floating_until > $2 OR d.borrowed_until > $2) \
             UNION ALL \
             SELECT {DEVICE_COLUMNS}, pf.code AS feature_code, fs.floating_until AS seat_floating_until, \
             fs.borrowed_until AS seat_borrowed_until FROM feature_seats fs \
             JOIN devices d ON d.id = fs.device_id \
             JOIN license_features lf ON lf.id = fs.license_feature_id \
             JOIN product_features pf ON pf.id = lf.product_feature_id \
             WHERE lf.license_id = $1 AND (fs.floating_until > $2 OR fs.borrowed_until > $2) \
             ORDER BY d_id, feature_code"
        ))
        .bind(license_id)
        .bind(millis(now))
        .fetch_all(&mut *conn)
        .await?;
        let mut holders = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(device) = device_from_row(row)? else {
                continue;
            };
            holders.push(SeatHolder {
                device,
                feature_code: row.read("feature_code")?,
                floating_until: optional_time(row, "seat_floating_until")?,
                borrowed_until: optional_time(row, "seat_borrowed_until")?,
            });
        }
        Ok(holders)
    }

    async fn release_seat(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        self.lock_license(&mut tx, company_id, license_id).await?;
        let row = query("SELECT hardware_id FROM devices WHERE id = $1 AND license_id = $2")
            .bind(device_id)
            .bind(license_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("device"))?;
        let hardware_id: String = row.read("hardware_id")?;
        query("UPDATE devices SET floating_until = NULL, borrowed_until = NULL WHERE id = $1")
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        query("DELETE FROM feature_seats WHERE device_id = $1")
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        let event = NewEvent {
            company_id,
            event: "license.released",
            actor: actor.clone(),
            subjects: EventSubjects {
                license_id: Some(license_id),
                device_id: Some(device_id),
                ..Default::default()
            },
            data: serde_json::json!({ "device_id": device_id, "hardware_id": hardware_id })
                .to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
