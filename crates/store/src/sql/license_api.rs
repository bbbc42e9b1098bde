//! The License API's storage work. Every limit-changing method runs in one write transaction that
//! starts by locking the license row (see the crate docs for the guard of each limit).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{
    ActivationOutcome, CompanyId, CustomerId, DeviceId, DomainError, LicenseId, LicenseUserId,
    ProductId, Seat,
};

use super::database::{query, ReadColumn, SqlRow};
use super::rows::*;
use super::{
    lookup_by_key_sql, lookup_by_user_sql, Backend, SqlStore, ASSIGNMENT_COLUMNS, LICENSE_COLUMNS,
    USER_COLUMNS,
};
use crate::changes::LicenseChanges;
use crate::*;

/// The lookup queries, built once: by key or by user, without or with a pinned license id.
static LOOKUPS: std::sync::LazyLock<[[String; 2]; 2]> = std::sync::LazyLock::new(|| {
    [
        [lookup_by_key_sql(false), lookup_by_key_sql(true)],
        [lookup_by_user_sql(false), lookup_by_user_sql(true)],
    ]
});

/// The lookup statement for `key`, and the name it looks the license up by.
fn lookup_statement<'k>(key: &DeviceKey<'k>) -> (&'static str, &'k str) {
    let (by, ident) = match key.ident {
        LicenseIdent::Key(license_key) => (0, license_key),
        LicenseIdent::User(email) => (1, email),
    };
    (&LOOKUPS[by][usize::from(key.license_id.is_some())], ident)
}

/// The held seats among `rows` (pairs of lease end and borrow end, epoch ms) at `now`.
fn seat_from(floating_until: Option<i64>, borrowed_until: Option<i64>) -> Seat {
    Seat {
        floating_until: floating_until.map(from_millis),
        borrowed_until: borrowed_until.map(from_millis),
    }
}

impl<DB: Backend> SqlStore<DB> {
    pub(super) async fn lookup_on(
        &self,
        conn: &mut DB::Connection,
        key: &DeviceKey<'_>,
    ) -> StoreResult<LicenseLookup> {
        let (sql, ident) = lookup_statement(key);
        let lookup = query(sql)
            .bind(key.company_id)
            .bind(key.product_code)
            .bind(ident)
            .bind(key.hardware_id);
        let lookup = match key.license_id {
            Some(license_id) => lookup.bind(license_id),
            None => lookup,
        };
        let rows = lookup.fetch_all(&mut *conn).await?;
        self.lookup_from_rows(&rows)
    }

    /// The lookup on SQLite's inline path: the same statement and decoding as [`Self::lookup_on`].
    fn lookup_inline(
        &self,
        reader: &crate::sqlite::InlineReader,
        key: &DeviceKey<'_>,
    ) -> StoreResult<LicenseLookup> {
        let (sql, ident) = lookup_statement(key);
        let company_id = key.company_id.get();
        let license_id = key.license_id.map(LicenseId::get);
        let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
            ("$1", &company_id),
            ("$2", &key.product_code),
            ("$3", &ident),
            ("$4", &key.hardware_id),
        ];
        if let Some(license_id) = &license_id {
            params.push(("$5", license_id));
        }
        let rows = reader.query(sql, &params)?;
        self.lookup_from_rows(&rows)
    }

    fn lookup_from_rows<R: SqlRow>(&self, rows: &[R]) -> StoreResult<LicenseLookup> {
        let first = rows.first().ok_or(StoreError::UnknownProduct)?;
        let user = match (user_from_row(first)?, assignment_from_row(first)?) {
            (Some(user), Some(assignment)) => Some((self.open_user(user)?, assignment)),
            _ => None,
        };
        Ok(LicenseLookup {
            product: product_from_row(first)?,
            license: license_from_row(first)?,
            device: device_from_row(first)?,
            user,
            customer: customer_from_row(first)?,
            features: collect_rows(rows, feature_from_row)?,
            custom_fields: collect_rows(rows, custom_field_value_from_row)?,
        })
    }

    /// Locks the license the key names and reads everything about it under the lock.
    pub(super) async fn lock_lookup(
        &self,
        conn: &mut DB::Connection,
        key: &DeviceKey<'_>,
    ) -> StoreResult<(LicenseLookup, License)> {
        let found = self.lookup_on(conn, key).await?;
        let license = found.license.clone().ok_or(StoreError::LicenseNotFound)?;
        // SQLite's write transaction holds the database lock from its start: the first read is
        // already under it. Elsewhere, lock the row, then read again: another transaction may have
        // changed it before the lock was ours.
        if DB::LOCK_LICENSE.is_empty() {
            return Ok((found, license));
        }
        self.lock_license(conn, license.company_id, license.id)
            .await?;
        let found = self.lookup_on(conn, key).await?;
        let license = found.license.clone().ok_or(StoreError::LicenseNotFound)?;
        Ok((found, license))
    }

    /// Gives back one activation of the license (and of its user's assignment).
    pub(super) async fn release_activation(
        conn: &mut DB::Connection,
        license_id: LicenseId,
        user_id: Option<LicenseUserId>,
    ) -> StoreResult<()> {
        query("UPDATE licenses SET times_activated = times_activated - 1 WHERE id = $1")
            .bind(license_id)
            .execute(&mut *conn)
            .await?;
        if let Some(user_id) = user_id {
            query(
                "UPDATE license_assignments SET total_activations = total_activations - 1 \
                 WHERE license_id = $1 AND license_user_id = $2",
            )
            .bind(license_id)
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Devices other than `device_id` holding a seat on the license at `now`.
    async fn license_seats_held(
        conn: &mut DB::Connection,
        license_id: LicenseId,
        device_id: DeviceId,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        Ok(query(
            "SELECT COUNT(*) FROM devices WHERE license_id = $1 AND id <> $2 AND active \
             AND (floating_until > $3 OR borrowed_until > $3)",
        )
        .bind(license_id)
        .bind(device_id)
        .bind(millis(now))
        .fetch_one(&mut *conn)
        .await?
        .read_at(0)?)
    }

    /// Decides and stores this device's seat on the license.
    pub(super) async fn hold_license_seat(
        conn: &mut DB::Connection,
        license: &License,
        device: &Device,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let policy = license.floating.policy();
        let others = Self::license_seats_held(conn, license.id, device.id, now).await?;
        let seat = policy.decide(device.seat(), others, request, now)?;
        query("UPDATE devices SET floating_until = $1, borrowed_until = $2 WHERE id = $3")
            .bind(seat.floating_until.map(millis))
            .bind(seat.borrowed_until.map(millis))
            .bind(device.id)
            .execute(&mut *conn)
            .await?;
        Ok(others + 1)
    }

    fn view(
        found: LicenseLookup,
        license: License,
        device: Device,
        floating_in_use: i64,
    ) -> LicenseView {
        LicenseView {
            product: found.product,
            license,
            device,
            user: found.user,
            features: found.features,
            customer: found.customer,
            custom_fields: found.custom_fields,
            floating_in_use,
        }
    }

    /// Records what a device did to its license, in the transaction that does it.
    async fn record_device_event(
        conn: &mut DB::Connection,
        event: &'static str,
        license: &License,
        device: &Device,
        data: serde_json::Value,
    ) -> StoreResult<()> {
        let event = NewEvent::new(license.company_id, event, &Actor::Device(Some(device.id)))
            .license(license)
            .device(device.id)
            .license_user(device.license_user_id)
            .data(data);
        Self::insert_event(conn, &event, Utc::now()).await
    }

    /// The locked license's device, after the device rule accepted it.
    pub(super) async fn locked_device(
        &self,
        conn: &mut DB::Connection,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
    ) -> StoreResult<(LicenseLookup, License, Device)> {
        let (found, license) = self.lock_lookup(conn, key).await?;
        let assignment = found.user.as_ref().map(|(_, a)| a);
        rule(
            &license.rules(&found.product, assignment),
            found.device.as_ref().map(Device::state),
        )?;
        let device = found.device.clone().ok_or(DomainError::DeviceNotFound)?;
        Ok((found, license, device))
    }

    async fn locked_feature(
        &self,
        conn: &mut DB::Connection,
        key: &DeviceKey<'_>,
        feature_code: &str,
        rule: DeviceRule<'_>,
    ) -> StoreResult<(License, Device, LicenseFeature)> {
        let (found, license, device) = self.locked_device(conn, key, rule).await?;
        let feature = found
            .features
            .into_iter()
            .find(|f| f.feature.code == feature_code)
            .ok_or(StoreError::UnknownFeature)?;
        Ok((license, device, feature))
    }

    /// Activates the license the key names on its device, in the caller's transaction.
    pub(super) async fn activate_on(
        &self,
        tx: &mut DB::Connection,
        key: &DeviceKey<'_>,
        report: DeviceReport<'_>,
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Activation> {
        let DeviceReport {
            info,
            variables,
            offline,
        } = report;
        let (found, license) = self.lock_lookup(tx, key).await?;
        let assignment = found.user.as_ref().map(|(_, a)| *a);
        let outcome = rule(
            &license.rules(&found.product, assignment.as_ref()),
            found.device.as_ref().map(Device::state),
        )?;
        let inserted = query(
            "INSERT INTO devices (license_id, license_user_id, hardware_id, active, is_vm, vm_info, os_ver, \
             hostname, ip, mac_address, app_ver, sdk_ver, created_at) \
             VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (license_id, hardware_id) DO UPDATE SET active = TRUE, released = FALSE, \
             license_user_id = excluded.license_user_id, is_vm = excluded.is_vm, vm_info = excluded.vm_info, \
             os_ver = excluded.os_ver, hostname = excluded.hostname, ip = excluded.ip, \
             mac_address = excluded.mac_address, app_ver = excluded.app_ver, sdk_ver = excluded.sdk_ver \
             RETURNING id",
        )
        .bind(license.id)
        .bind(assignment.map(|a| a.license_user_id))
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
        let device_id = returned_id(&inserted)?;
        let device_actor = Actor::Device(Some(device_id));
        let mut data = serde_json::json!({
            "hardware_id": key.hardware_id,
            "reactivated": matches!(outcome, ActivationOutcome::Reactivate { .. }),
            "transfer": outcome.is_transfer(),
        });
        mark_offline(&mut data, offline);
        let event = NewEvent::new(
            license.company_id,
            "license.activated",
            offline_actor(offline).unwrap_or(&device_actor),
        )
        .license(&license)
        .device(device_id)
        .license_user(assignment.map(|a| a.license_user_id))
        .data(data);
        Self::insert_event(tx, &event, now).await?;
        let took_back_its_own = found.device.as_ref().is_some_and(|d| d.released);
        if outcome.is_transfer() {
            // The activation taken is the one the earliest released device gave back.
            query(
                "UPDATE devices SET released = FALSE WHERE id = \
                 (SELECT MIN(id) FROM devices WHERE license_id = $1 AND released AND id <> $2)",
            )
            .bind(license.id)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        }
        query(
            "UPDATE licenses SET times_activated = times_activated + 1, \
             released_slots = released_slots - $1, transfer_count = transfer_count + $2 WHERE id = $3",
        )
        .bind(i64::from(took_back_its_own) + i64::from(outcome.is_transfer()))
        .bind(i64::from(outcome.is_transfer()))
        .bind(license.id)
        .execute(&mut *tx)
        .await?;
        if let Some(assignment) = assignment {
            query(
                "UPDATE license_assignments SET total_activations = total_activations + 1 \
                 WHERE license_id = $1 AND license_user_id = $2",
            )
            .bind(assignment.license_id)
            .bind(assignment.license_user_id)
            .execute(&mut *tx)
            .await?;
        }
        Self::upsert_variables(tx, license.company_id, device_id, variables, now).await?;
        let floating_in_use = if license.floating.is_floating_cloud {
            let device = Self::device_on(tx, device_id).await?;
            Self::hold_license_seat(tx, &license, &device, SeatRequest::Lease, now).await?
        } else {
            0
        };
        let variables = Self::variables_on(tx, license.company_id, device_id).await?;
        let found = self.lookup_on(tx, key).await?;
        let license = found.license.clone().ok_or(StoreError::LicenseNotFound)?;
        let device = found.device.clone().ok_or(StoreError::NotFound("device"))?;
        Ok(Activation {
            view: Self::view(found, license, device, floating_in_use),
            variables,
        })
    }

    /// Deactivates the device of a locked license in the caller's transaction: it gives its
    /// activation back, and another device taking it is a transfer.
    pub(super) async fn deactivate_on(
        tx: &mut DB::Connection,
        license: &License,
        device: &Device,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<()> {
        let mut data = serde_json::json!({});
        mark_offline(&mut data, offline);
        let device_actor = Actor::Device(Some(device.id));
        let event = NewEvent::new(
            license.company_id,
            "license.deactivated",
            offline_actor(offline).unwrap_or(&device_actor),
        )
        .license(license)
        .device(device.id)
        .license_user(device.license_user_id)
        .data(data);
        Self::insert_event(tx, &event, Utc::now()).await?;
        query(
            "UPDATE devices SET active = FALSE, released = TRUE, floating_until = NULL, \
             borrowed_until = NULL WHERE id = $1",
        )
        .bind(device.id)
        .execute(&mut *tx)
        .await?;
        query("UPDATE licenses SET released_slots = released_slots + 1 WHERE id = $1")
            .bind(license.id)
            .execute(&mut *tx)
            .await?;
        Self::release_activation(tx, license.id, device.license_user_id).await
    }

    /// Sets variables of the company's device; none on another company's device.
    async fn upsert_variables(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        device_id: DeviceId,
        variables: &[(String, String)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (name, value) in variables {
            query(
                "INSERT INTO device_variables (device_id, name, value, created_at) \
                 SELECT d.id, $2, $3, $4 FROM devices d JOIN licenses l ON l.id = d.license_id \
                 WHERE d.id = $1 AND l.company_id = $5 \
                 ON CONFLICT (device_id, name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
            )
            .bind(device_id)
            .bind(name)
            .bind(value)
            .bind(millis(now))
            .bind(company_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// An activation; `offline` says through which offline request file, if any, and `claim` which
    /// request's claim its transaction takes first.
    #[allow(clippy::too_many_arguments)]
    async fn activate_from(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        offline: Option<OfflineOrigin<'_>>,
        claim: Option<ClaimTicket<'_>>,
    ) -> StoreResult<Activation> {
        let mut tx = self.begin_write().await?;
        if let Some(ticket) = claim {
            if !Self::claim_on(&mut tx, ticket, now).await? {
                return Err(StoreError::RequestClaimed);
            }
        }
        let activation = self
            .activate_on(
                &mut tx,
                key,
                DeviceReport {
                    info,
                    variables,
                    offline,
                },
                rule,
                now,
            )
            .await?;
        tx.commit().await?;
        Ok(activation)
    }

    /// A deactivation; `offline` says through which offline request file, if any.
    async fn deactivate_from(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let (_, license, device) = self.locked_device(&mut tx, key, rule).await?;
        Self::deactivate_on(&mut tx, &license, &device, offline).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a device reports when it activates, and through which offline request file, if any.
#[derive(Clone, Copy)]
pub(super) struct DeviceReport<'a> {
    pub info: &'a DeviceInfo,
    pub variables: &'a [(String, String)],
    pub offline: Option<OfflineOrigin<'a>>,
}

/// Marks an event's data as coming from an offline request file.
fn mark_offline(data: &mut serde_json::Value, offline: Option<OfflineOrigin<'_>>) {
    if let (Some(_), serde_json::Value::Object(fields)) = (offline, data) {
        fields.insert("offline".to_owned(), serde_json::Value::Bool(true));
    }
}

/// Who an offline file's event names, when not the device itself.
fn offline_actor<'a>(offline: Option<OfflineOrigin<'a>>) -> Option<&'a Actor> {
    match offline {
        Some(OfflineOrigin::Vendor(actor)) => Some(actor),
        Some(OfflineOrigin::Device) | None => None,
    }
}

#[async_trait]
impl<DB: Backend> LicenseApiStore for SqlStore<DB> {
    async fn lookup(&self, key: &DeviceKey<'_>) -> StoreResult<LicenseLookup> {
        if let Some(reader) = &self.inline_lookups {
            return self.lookup_inline(reader, key);
        }
        let mut conn = self.reader.acquire().await?;
        self.lookup_on(&mut conn, key).await
    }

    async fn activate(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        claim: Option<ClaimTicket<'_>>,
    ) -> StoreResult<Activation> {
        self.activate_from(key, info, variables, rule, now, None, claim)
            .await
    }

    async fn deactivate(&self, key: &DeviceKey<'_>, rule: DeviceRule<'_>) -> StoreResult<()> {
        self.deactivate_from(key, rule, None).await
    }

    async fn take_floating_seat(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseView> {
        let mut tx = self.begin_write().await?;
        let (found, license, device) = self.locked_device(&mut tx, key, rule).await?;
        let held_before = device.seat().is_held(now);
        let in_use = Self::hold_license_seat(&mut tx, &license, &device, request, now).await?;
        // Renewals are the steady state of a floating license: only a newly taken seat or a borrow
        // is an event.
        if let SeatRequest::Borrow { .. } = request {
            Self::record_device_event(
                &mut tx,
                "license.borrowed",
                &license,
                &device,
                serde_json::json!({}),
            )
            .await?;
        } else if !held_before {
            Self::record_device_event(
                &mut tx,
                "license.floating_seat_taken",
                &license,
                &device,
                serde_json::json!({}),
            )
            .await?;
        }
        let device = Self::device_on(&mut tx, device.id).await?;
        tx.commit().await?;
        Ok(Self::view(found, license, device, in_use))
    }

    async fn release_floating_seat(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let (_, license, device) = self.locked_device(&mut tx, key, rule).await?;
        Self::record_device_event(
            &mut tx,
            "license.released",
            &license,
            &device,
            serde_json::json!({}),
        )
        .await?;
        query("UPDATE devices SET floating_until = NULL, borrowed_until = NULL WHERE id = $1")
            .bind(device.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn consume(
        &self,
        key: &DeviceKey<'_>,
        device_rule: DeviceRule<'_>,
        rule: ConsumptionRule<'_>,
    ) -> StoreResult<License> {
        let mut tx = self.begin_write().await?;
        let (_, license, device) = self.locked_device(&mut tx, key, device_rule).await?;
        let counter = rule(&license.consumption_counter())?;
        let data = serde_json::json!({
            "total_consumptions": counter.total,
            "previous_total_consumptions": license.consumption.total_consumptions,
        });
        Self::record_device_event(&mut tx, "license.consumption", &license, &device, data).await?;
        query(
            "UPDATE licenses SET total_consumptions = $1, consumption_reset_at = $2 WHERE id = $3",
        )
        .bind(counter.total)
        .bind(counter.last_reset.map(millis))
        .bind(license.id)
        .execute(&mut *tx)
        .await?;
        let license = Self::license_on(&mut tx, license.company_id, license.id).await?;
        tx.commit().await?;
        Ok(license)
    }

    async fn consume_feature(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        rule: FeatureConsumptionRule<'_>,
    ) -> StoreResult<LicenseFeature> {
        let mut tx = self.begin_write().await?;
        let (license, device, mut feature) = self
            .locked_feature(&mut tx, key, feature_code, device_rule)
            .await?;
        let counter = rule(&feature)?;
        let data = serde_json::json!({
            "feature": feature_code,
            "total_consumptions": counter.total,
            "previous_total_consumptions": feature.consumption.total_consumptions,
        });
        Self::record_device_event(&mut tx, "license.consumption", &license, &device, data).await?;
        query(
            "UPDATE license_features SET total_consumptions = $1, consumption_reset_at = $2 WHERE id = $3",
        )
        .bind(counter.total)
        .bind(counter.last_reset.map(millis))
        .bind(feature.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        feature.consumption.total_consumptions = counter.total;
        feature.consumption.consumption_reset_at = counter.last_reset;
        Ok(feature)
    }

    async fn take_feature_seat(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<FeatureSeat> {
        let mut tx = self.begin_write().await?;
        let (license, device, feature) = self
            .locked_feature(&mut tx, key, feature_code, device_rule)
            .await?;
        if !feature.floating.is_floating_cloud {
            return Err(DomainError::FeatureNotFloating.into());
        }
        let current = query(
            "SELECT floating_until, borrowed_until FROM feature_seats WHERE license_feature_id = $1 AND device_id = $2",
        )
        .bind(feature.id)
        .bind(device.id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| -> sqlx::Result<Seat> { Ok(seat_from(row.read_at(0)?, row.read_at(1)?)) })
        .transpose()?
        .unwrap_or_default();
        let others: i64 = query(
            "SELECT COUNT(*) FROM feature_seats WHERE license_feature_id = $1 AND device_id <> $2 \
             AND (floating_until > $3 OR borrowed_until > $3)",
        )
        .bind(feature.id)
        .bind(device.id)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .read_at(0)?;
        let seat = feature
            .floating
            .policy()
            .decide(current, others, request, now)?;
        let taken = match request {
            SeatRequest::Borrow { .. } => Some("license.feature_borrowed"),
            SeatRequest::Lease => (!current.is_held(now)).then_some("license.feature_seat_taken"),
        };
        if let Some(event) = taken {
            let data = serde_json::json!({"feature": feature_code});
            Self::record_device_event(&mut tx, event, &license, &device, data).await?;
        }
        query(
            "INSERT INTO feature_seats (license_feature_id, device_id, floating_until, borrowed_until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (license_feature_id, device_id) \
             DO UPDATE SET floating_until = excluded.floating_until, borrowed_until = excluded.borrowed_until",
        )
        .bind(feature.id)
        .bind(device.id)
        .bind(seat.floating_until.map(millis))
        .bind(seat.borrowed_until.map(millis))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(FeatureSeat {
            feature,
            seat,
            device_id: device.id,
            in_use: others + 1,
        })
    }

    async fn release_feature_seat(
        &self,
        key: &DeviceKey<'_>,
        feature_code: &str,
        device_rule: DeviceRule<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let (license, device, feature) = self
            .locked_feature(&mut tx, key, feature_code, device_rule)
            .await?;
        if !feature.floating.is_floating_cloud {
            return Err(DomainError::FeatureNotFloating.into());
        }
        let data = serde_json::json!({"feature": feature_code});
        Self::record_device_event(&mut tx, "license.feature_released", &license, &device, data)
            .await?;
        let released = query(
            "DELETE FROM feature_seats WHERE license_feature_id = $1 AND device_id = $2 \
             AND (floating_until > $3 OR borrowed_until > $3)",
        )
        .bind(feature.id)
        .bind(device.id)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&released) == 0 {
            return Err(DomainError::FloatingFeatureDeviceNotInUse.into());
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_variables(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        variables: &[(String, String)],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DeviceVariable>> {
        let mut tx = self.begin_write().await?;
        Self::upsert_variables(&mut tx, company_id, device_id, variables, now).await?;
        let stored = Self::variables_on(&mut tx, company_id, device_id).await?;
        if !variables.is_empty() {
            let names: Vec<&str> = variables.iter().map(|(name, _)| name.as_str()).collect();
            let license = query("SELECT license_id FROM devices WHERE id = $1")
                .bind(device_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| id_column(&row, "license_id"))
                .transpose()?;
            let mut event = NewEvent::new(
                company_id,
                "device_variable.updated",
                &Actor::Device(Some(device_id)),
            )
            .device(device_id)
            .data(serde_json::json!({"variables": names}));
            event.subjects.license_id = license;
            Self::insert_event(&mut tx, &event, now).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn license_user(
        &self,
        company_id: CompanyId,
        email: &str,
    ) -> StoreResult<Option<LicenseUser>> {
        let row = query(&format!(
            "SELECT {USER_COLUMNS} FROM license_users u WHERE u.company_id = $1 AND u.email = $2"
        ))
        .bind(company_id)
        .bind(email)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        self.opened_user(row)
    }

    async fn user_licenses(
        &self,
        product_id: Option<ProductId>,
        license_user_id: LicenseUserId,
    ) -> StoreResult<Vec<(License, Assignment)>> {
        let rows = query(&format!(
            "SELECT {LICENSE_COLUMNS}, {ASSIGNMENT_COLUMNS} FROM license_assignments a \
             JOIN licenses l ON l.id = a.license_id WHERE a.license_user_id = $1 \
             AND ($2 IS NULL OR l.product_id = $2) ORDER BY l.id"
        ))
        .bind(license_user_id)
        .bind(product_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(collect_rows(&rows, |row| {
            Ok(license_from_row(row)?.zip(assignment_from_row(row)?))
        })?)
    }

    async fn customer_license_users(
        &self,
        product_id: ProductId,
        customer_id: CustomerId,
    ) -> StoreResult<Vec<(LicenseUser, Assignment)>> {
        let rows = query(&format!(
            "SELECT {USER_COLUMNS}, {ASSIGNMENT_COLUMNS} FROM license_assignments a \
             JOIN licenses l ON l.id = a.license_id JOIN license_users u ON u.id = a.license_user_id \
             WHERE l.product_id = $1 AND l.customer_id = $2 ORDER BY u.email, l.id"
        ))
        .bind(product_id)
        .bind(customer_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        let pairs = collect_rows(&rows, |row| {
            Ok(user_from_row(row)?.zip(assignment_from_row(row)?))
        })?;
        pairs
            .into_iter()
            .map(|(user, assignment)| Ok((self.open_user(user)?, assignment)))
            .collect()
    }

    async fn change_password(
        &self,
        license_user_id: LicenseUserId,
        password_hash: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let changed = query(
            "UPDATE license_users SET password_hash = $1, is_initial_password = FALSE, initial_password = NULL \
             WHERE id = $2 RETURNING company_id",
        )
        .bind(password_hash)
        .bind(license_user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = changed {
            let event = NewEvent::new(
                id_column(&row, "company_id")?,
                "license_user.password_changed",
                &Actor::Device(None),
            )
            .license_user(Some(license_user_id));
            Self::insert_event(&mut tx, &event, Utc::now()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn trial(
        &self,
        product_id: ProductId,
        hardware_id: &str,
        email: Option<&str>,
    ) -> StoreResult<Option<License>> {
        let row = query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM trials t JOIN licenses l ON l.id = t.license_id \
             WHERE t.product_id = $1 AND (t.hardware_id = $2 OR t.email = $3) \
             ORDER BY t.created_at LIMIT 1"
        ))
        .bind(product_id)
        .bind(hardware_id)
        .bind(email)
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        Ok(row.as_ref().map(license_from_row).transpose()?.flatten())
    }

    async fn create_trial(
        &self,
        hardware_id: &str,
        email: Option<&str>,
        license: NewLicense,
        user: Option<TrialUser>,
        now: DateTime<Utc>,
    ) -> StoreResult<(License, bool)> {
        let product_id = license.product_id;
        let mut tx = self.begin_write().await?;
        let created = Self::insert_license(&mut tx, &license, now).await?;
        // The trials keys are the once-per-device and once-per-e-mail guards: a concurrent
        // request that got there first makes this insert fail, and its trial is the answer.
        let recorded = query(
            "INSERT INTO trials (product_id, hardware_id, license_id, email, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(product_id)
        .bind(hardware_id)
        .bind(created.id)
        .bind(email)
        .bind(millis(now))
        .execute(&mut *tx)
        .await;
        match recorded {
            Ok(_) => {}
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                tx.rollback().await?;
                let existing = self.trial(product_id, hardware_id, email).await?;
                return existing
                    .map(|l| (l, false))
                    .ok_or(StoreError::NotFound("trial"));
            }
            Err(error) => return Err(error.into()),
        }
        let event = NewEvent::new(license.company_id, "license.created", &Actor::Device(None))
            .license(&created)
            .data(serde_json::json!({"trial": true, "hardware_id": hardware_id}));
        Self::insert_event(&mut tx, &event, now).await?;
        if let Some(user) = user {
            let license_user_id = match user {
                TrialUser::New(user) => {
                    self.insert_or_find_license_user(&mut tx, &user, now)
                        .await?
                }
                TrialUser::Existing(user) => user.id,
            };
            Self::insert_assignment(
                &mut tx,
                license.company_id,
                &Assignment {
                    license_id: created.id,
                    license_user_id,
                    max_activations: license.max_activations,
                    allow_unlimited_activations: false,
                    total_activations: 0,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok((created, true))
    }

    async fn apply_deferred(&self, writes: &[DeferredWrite]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for write in latest_per_device(writes) {
            let statement = match write {
                DeferredWrite::LicenseSignature { device_id, signature, validity } => query(
                    "UPDATE devices SET license_signature = $1, signature_validity = $2 WHERE id = $3",
                )
                .bind(signature)
                .bind(validity.map(millis))
                .bind(*device_id),
                DeferredWrite::AnswerSignature { device_id, digest, signature } => query(
                    "UPDATE devices SET answer_digest = $1, answer_signature = $2 WHERE id = $3",
                )
                .bind(digest)
                .bind(signature)
                .bind(*device_id),
                DeferredWrite::ReplayAnswer { request_hash, answer } => query(
                    "UPDATE request_answers SET status = $1, body = $2, signature = $3 \
                     WHERE request_hash = $4",
                )
                .bind(i64::from(answer.status))
                .bind(answer.body.as_str())
                .bind(answer.signature.as_deref())
                .bind(request_hash.as_str()),
                DeferredWrite::ReplayClaimReleased { request_hash } => query(
                    "DELETE FROM request_answers WHERE request_hash = $1 AND status IS NULL",
                )
                .bind(request_hash.as_str()),
                // Written together below, a few statements for the whole batch.
                DeferredWrite::Checked { .. } | DeferredWrite::Refused { .. } => continue,
            };
            statement.execute(&mut *tx).await?;
        }
        // Many devices per statement: on SQLite a statement costs more in the driver (a round trip
        // to its connection thread) than a row update costs the database.
        let last_checks: Vec<_> = newest_checks(writes).into_iter().collect();
        for chunk in last_checks.chunks(ROWS_PER_STATEMENT) {
            // A time older than the stored one (a batch retried after a later one) is not written.
            let sql = format!(
                "UPDATE devices SET last_check_at = v.column2 FROM (VALUES {}) AS v \
                 WHERE devices.id = v.column1 \
                 AND (devices.last_check_at IS NULL OR devices.last_check_at < v.column2)",
                value_rows::<DB>(chunk.len(), 2)
            );
            let mut statement = query(&sql).used_once();
            for (device_id, at) in chunk {
                statement = statement.bind(*device_id).bind(*at);
            }
            statement.execute(&mut *tx).await?;
        }
        let checks: Vec<_> = checks_by_hour(writes).into_iter().collect();
        for chunk in checks.chunks(ROWS_PER_STATEMENT) {
            // `WHERE true` keeps SQLite from reading the upsert's ON as the join's.
            let sql = format!(
                "INSERT INTO check_counts (license_id, hour, checks) \
                 SELECT d.license_id, v.column2, CAST(SUM(v.column3) AS BIGINT) \
                 FROM (VALUES {}) AS v JOIN devices d ON d.id = v.column1 WHERE true \
                 GROUP BY d.license_id, v.column2 \
                 ON CONFLICT (license_id, hour) DO UPDATE SET checks = check_counts.checks + excluded.checks",
                value_rows::<DB>(chunk.len(), 3)
            );
            let mut statement = query(&sql).used_once();
            for ((device_id, hour), count) in chunk {
                statement = statement.bind(*device_id).bind(*hour).bind(*count);
            }
            statement.execute(&mut *tx).await?;
        }
        for ((company_id, hour, code), refusals) in refusals_by_hour(writes) {
            query(
                "INSERT INTO refusal_counts (company_id, hour, code, refusals) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (company_id, hour, code) \
                 DO UPDATE SET refusals = refusal_counts.refusals + excluded.refusals",
            )
            .bind(company_id)
            .bind(hour)
            .bind(code)
            .bind(refusals)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(trim) = DB::TRIM_CHANGE_LOG {
            query(trim).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn activate_offline(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        origin: OfflineOrigin<'_>,
    ) -> StoreResult<Activation> {
        self.activate_from(key, info, variables, rule, now, Some(origin), None)
            .await
    }

    async fn deactivate_offline(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        origin: OfflineOrigin<'_>,
    ) -> StoreResult<()> {
        self.deactivate_from(key, rule, Some(origin)).await
    }
}

const HOUR_MILLIS: i64 = 3_600_000;

/// Rows of deferred writes per statement: well under either database's limit on parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// `($1, $2), ($3, $4)` (on SQLite `(?, ?), (?, ?)`) for `rows` rows of `columns` parameters: the rows
/// of a `VALUES` list, whose columns both databases name `column1`, `column2`, ….
fn value_rows<DB: Backend>(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            DB::push_parameter(&mut sql, row * columns + column + 1);
        }
        sql.push(')');
    }
    sql
}

/// The start of the hour `at` falls in, in epoch milliseconds.
fn hour_of(at: DateTime<Utc>) -> i64 {
    millis(at).div_euclid(HOUR_MILLIS) * HOUR_MILLIS
}

/// How many writes of the batch fall under each key `key_of` gives (writes it gives none are left
/// out): one upsert per key instead of one per write.
fn counted<K: Ord>(
    writes: &[DeferredWrite],
    key_of: impl Fn(&DeferredWrite) -> Option<K>,
) -> std::collections::BTreeMap<K, i64> {
    let mut counts = std::collections::BTreeMap::new();
    for key in writes.iter().filter_map(key_of) {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// The batch's checks counted by device and hour (epoch milliseconds at the hour's start).
fn checks_by_hour(writes: &[DeferredWrite]) -> std::collections::BTreeMap<(DeviceId, i64), i64> {
    counted(writes, |write| match write {
        DeferredWrite::Checked { device_id, at } => Some((*device_id, hour_of(*at))),
        _ => None,
    })
}

/// Each checked device's newest check time in the batch (epoch milliseconds), whatever the order of
/// the writes.
fn newest_checks(writes: &[DeferredWrite]) -> std::collections::BTreeMap<DeviceId, i64> {
    let mut newest = std::collections::BTreeMap::new();
    for write in writes {
        if let DeferredWrite::Checked { device_id, at } = write {
            let at = millis(*at);
            newest
                .entry(*device_id)
                .and_modify(|time: &mut i64| *time = (*time).max(at))
                .or_insert(at);
        }
    }
    newest
}

/// The batch's refusals counted by company, hour and code.
fn refusals_by_hour(
    writes: &[DeferredWrite],
) -> std::collections::BTreeMap<(CompanyId, i64, &'static str), i64> {
    counted(writes, |write| match write {
        DeferredWrite::Refused {
            company_id,
            code,
            at,
        } => Some((*company_id, hour_of(*at), *code)),
        _ => None,
    })
}

/// The batch's writes made one by one, without device writes a later one of the same kind overwrites
/// (a device signed twice in a batch gets one update) and without checks (see [`newest_checks`]).
/// Other writes are all kept, in order.
fn latest_per_device(writes: &[DeferredWrite]) -> Vec<&DeferredWrite> {
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<&DeferredWrite> = writes
        .iter()
        .rev()
        .filter(|write| {
            let target = match write {
                DeferredWrite::Checked { .. } => return false,
                DeferredWrite::LicenseSignature { device_id, .. } => (1, *device_id),
                DeferredWrite::AnswerSignature { device_id, .. } => (2, *device_id),
                DeferredWrite::ReplayAnswer { .. }
                | DeferredWrite::ReplayClaimReleased { .. }
                | DeferredWrite::Refused { .. } => return true,
            };
            seen.insert(target)
        })
        .collect();
    latest.reverse();
    latest
}

#[async_trait]
impl<DB: Backend> ChangeSource for SqlStore<DB> {
    async fn watch_changes(&self) -> StoreResult<std::sync::Arc<dyn LicenseChanges>> {
        DB::watch_changes(&self.reader).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks are counted one by one, but each device's newest check time is written once per batch.
    #[test]
    fn checks_are_counted_per_device_and_started_hour() {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        let checked = |device: i64, time: &str| DeferredWrite::Checked {
            device_id: DeviceId::new(device),
            at: at(time),
        };
        let signed = |device: i64, signature: &str| DeferredWrite::AnswerSignature {
            device_id: DeviceId::new(device),
            digest: String::new(),
            signature: signature.to_owned(),
        };
        let writes = [
            checked(1, "2026-01-01T10:00:00Z"),
            checked(1, "2026-01-01T11:00:00Z"),
            checked(1, "2026-01-01T10:59:59Z"),
            checked(2, "2026-01-01T10:30:00Z"),
            signed(3, "first"),
            signed(3, "second"),
        ];
        let newest: Vec<_> = newest_checks(&writes).into_iter().collect();
        assert_eq!(
            newest,
            [
                (DeviceId::new(1), millis(at("2026-01-01T11:00:00Z"))),
                (DeviceId::new(2), millis(at("2026-01-01T10:30:00Z"))),
            ]
        );
        let one_by_one: Vec<_> = latest_per_device(&writes)
            .into_iter()
            .map(|write| match write {
                DeferredWrite::AnswerSignature {
                    device_id,
                    signature,
                    ..
                } => (device_id.get(), signature.as_str()),
                other => panic!("not written one by one: {other:?}"),
            })
            .collect();
        assert_eq!(one_by_one, [(3, "second")]);
        let ten = millis(at("2026-01-01T10:00:00Z"));
        let eleven = millis(at("2026-01-01T11:00:00Z"));
        let counts: Vec<_> = checks_by_hour(&writes).into_iter().collect();
        assert_eq!(
            counts,
            [
                ((DeviceId::new(1), ten), 2),
                ((DeviceId::new(1), eleven), 1),
                ((DeviceId::new(2), ten), 1)
            ]
        );
    }

    #[test]
    fn value_rows_number_their_parameters_in_order() {
        assert_eq!(value_rows::<sqlx::Postgres>(1, 2), "($1, $2)");
        assert_eq!(
            value_rows::<sqlx::Postgres>(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_rows::<sqlx::Sqlite>(2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn refusals_are_counted_per_company_started_hour_and_code() {
        let refused = |company: i64, code: &'static str, time: &str| DeferredWrite::Refused {
            company_id: CompanyId::new(company),
            code,
            at: DateTime::parse_from_rfc3339(time)
                .unwrap()
                .with_timezone(&Utc),
        };
        let writes = [
            refused(1, "license_not_found", "2026-01-01T10:00:00Z"),
            refused(1, "license_not_found", "2026-01-01T10:59:59Z"),
            refused(1, "license_not_enabled", "2026-01-01T10:30:00Z"),
            refused(1, "license_not_found", "2026-01-01T11:00:00Z"),
            refused(2, "license_not_found", "2026-01-01T10:15:00Z"),
            DeferredWrite::Checked {
                device_id: DeviceId::new(3),
                at: Utc::now(),
            },
        ];
        let ten = 1_767_261_600_000;
        let eleven = ten + HOUR_MILLIS;
        let counts: Vec<_> = refusals_by_hour(&writes).into_iter().collect();
        assert_eq!(
            counts,
            [
                ((CompanyId::new(1), ten, "license_not_enabled"), 1),
                ((CompanyId::new(1), ten, "license_not_found"), 2),
                ((CompanyId::new(1), eleven, "license_not_found"), 1),
                ((CompanyId::new(2), ten, "license_not_found"), 1),
            ]
        );
    }
}
