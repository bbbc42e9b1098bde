//! What vendors manage through the Management API beyond licenses: devices and their variables,
//! products, features, installation files (releases) and custom fields. Each change and its event
//! are written in one transaction; reads go through the listings, scoped to the company.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{
    CompanyId, DeviceId, DomainError, LicenseId, LicenseUserId, ProductFeatureId, ProductId,
    ReleaseId,
};
use serde_json::json;
use sqlx::Transaction;

use super::database::{query, Param, ReadColumn, SqlRow};
use super::listing::Table;
use super::rows::*;
use super::{placeholders, Backend, SqlStore, DEVICE_COLUMNS, PRODUCT_COLUMNS};
use crate::query::{Field, FieldKind, ListQuery, Lookup, Ordering, Value};
use crate::*;

/// A listing and how one of its rows is found by id.
struct Resource {
    table: Table,
    id: Field,
    /// Named in `NotFound`.
    what: &'static str,
}

/// The device columns and what only vendors see: what the client reported, the license's key.
static DEVICE_RECORD_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{DEVICE_COLUMNS}, d.vm_info AS d_vm_info, d.ip AS d_ip, d.mac_address AS d_mac_address, \
         d.app_ver AS d_app_ver, d.sdk_ver AS d_sdk_ver, l.license_key AS l_license_key"
    )
});

static DEVICES: LazyLock<Resource> = LazyLock::new(|| Resource {
    table: Table {
        columns: DEVICE_RECORD_COLUMNS.as_str(),
        from: "devices d JOIN licenses l ON l.id = d.license_id",
        company: "l.company_id",
        id: "d.id",
    },
    id: Field::new("id", "d.id", FieldKind::Int),
    what: "device",
});

const VARIABLE_COLUMNS: &str =
    "v.id AS id, v.device_id AS device_id, v.name AS name, v.value AS value, v.created_at AS created_at";

static DEVICE_VARIABLES: Resource = Resource {
    table: Table {
        columns: VARIABLE_COLUMNS,
        from: "device_variables v JOIN devices d ON d.id = v.device_id \
               JOIN licenses l ON l.id = d.license_id",
        company: "l.company_id",
        id: "v.id",
    },
    id: Field::new("id", "v.id", FieldKind::Int),
    what: "device variable",
};

static PRODUCT_RECORD_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{PRODUCT_COLUMNS}, p.is_archived AS p_is_archived, p.is_bundle AS p_is_bundle, \
         p.created_at AS p_created_at, \
         COALESCE(p.updated_at, p.created_at) AS p_updated_at"
    )
});

static PRODUCTS: LazyLock<Resource> = LazyLock::new(|| Resource {
    table: Table {
        columns: PRODUCT_RECORD_COLUMNS.as_str(),
        from: "products p",
        company: "p.company_id",
        id: "p.id",
    },
    id: Field::new("id", "p.id", FieldKind::Int),
    what: "product",
});

static PRODUCT_FEATURES: Resource = Resource {
    table: Table {
        columns: "pf.id AS pf_id, pf.product_id AS pf_product_id, pf.code AS pf_code, pf.name AS pf_name, \
                  pf.feature_type AS pf_feature_type, pf.metadata AS pf_metadata, \
                  pf.max_consumption, pf.allow_unlimited_consumptions, pf.allow_overages, pf.max_overages, \
                  pf.reset_consumption, pf.consumption_period, pf.is_floating, pf.is_floating_cloud, \
                  pf.floating_users, pf.floating_timeout, pf.created_at, \
                  COALESCE(pf.updated_at, pf.created_at) AS updated_at",
        from: "product_features pf JOIN products p ON p.id = pf.product_id",
        company: "p.company_id",
        id: "pf.id",
    },
    id: Field::new("id", "pf.id", FieldKind::Int),
    what: "product feature",
};

/// Features, and custom fields, by their product.
static FEATURE_PRODUCT: Field = Field::new("product", "pf.product_id", FieldKind::Int);
static CUSTOM_FIELD_PRODUCT: Field = Field::new("product", "pcf.product_id", FieldKind::Int);

static RELEASES: Resource = Resource {
    table: Table {
        columns: "r.id AS id, r.product_id AS product_id, r.version AS version, r.channel AS channel, \
                  r.environment AS environment, r.installation_file AS installation_file, \
                  r.hash_md5 AS hash_md5, r.size AS size, r.eula_link AS eula_link, \
                  r.release_notes_link AS release_notes_link, r.requires_version AS requires_version, \
                  r.release_date AS release_date, r.enabled AS enabled, r.created_at AS created_at",
        from: "releases r JOIN products p ON p.id = r.product_id",
        company: "p.company_id",
        id: "r.id",
    },
    id: Field::new("id", "r.id", FieldKind::Int),
    what: "installation file",
};

static PRODUCT_CUSTOM_FIELDS: Resource = Resource {
    table: Table {
        columns: "pcf.id AS id, pcf.product_id AS product_id, pcf.name AS name, \
                  pcf.data_type AS data_type, pcf.default_value AS default_value, \
                  pcf.description AS description",
        from: "product_custom_fields pcf JOIN products p ON p.id = pcf.product_id",
        company: "p.company_id",
        id: "pcf.id",
    },
    id: Field::new("id", "pcf.id", FieldKind::Int),
    what: "product custom field",
};

static LICENSE_CUSTOM_FIELDS: Resource = Resource {
    table: Table {
        columns: "lcf.id AS id, lcf.license_id AS license_id, \
                  lcf.product_custom_field_id AS product_custom_field_id, lcf.value AS value",
        from: "license_custom_fields lcf JOIN licenses l ON l.id = lcf.license_id",
        company: "l.company_id",
        id: "lcf.id",
    },
    id: Field::new("id", "lcf.id", FieldKind::Int),
    what: "license custom field",
};

fn device_record_from_row<R: SqlRow>(row: &R) -> StoreResult<DeviceRecord> {
    Ok(DeviceRecord {
        device: device_from_row(row)?.ok_or(StoreError::NotFound("device"))?,
        license_key: row.read("l_license_key")?,
        vm_info: row.read("d_vm_info")?,
        ip: row.read("d_ip")?,
        mac_address: row.read("d_mac_address")?,
        app_ver: row.read("d_app_ver")?,
        sdk_ver: row.read("d_sdk_ver")?,
        variables: Vec::new(),
    })
}

fn product_record_from_row<R: SqlRow>(row: &R) -> StoreResult<ProductRecord> {
    Ok(ProductRecord {
        product: product_from_row(row)?,
        is_archived: row.read("p_is_archived")?,
        is_bundle: row.read("p_is_bundle")?,
        created_at: from_millis(row.read("p_created_at")?),
        updated_at: from_millis(row.read("p_updated_at")?),
        features: Vec::new(),
        custom_fields: Vec::new(),
    })
}

fn feature_record_from_row<R: SqlRow>(row: &R) -> StoreResult<ProductFeatureRecord> {
    let period: Option<String> = row.read("consumption_period")?;
    let consumption_period = period
        .map(|text| text.parse())
        .transpose()
        .map_err(|e: latch_domain::ParsePeriodError| sqlx::Error::Decode(e.to_string().into()))?;
    Ok(ProductFeatureRecord {
        feature: product_feature_from_row(row)?,
        defaults: FeatureDefaults {
            max_consumption: row.read("max_consumption")?,
            allow_unlimited_consumptions: row.read("allow_unlimited_consumptions")?,
            allow_overages: row.read("allow_overages")?,
            max_overages: row.read("max_overages")?,
            reset_consumption: row.read("reset_consumption")?,
            consumption_period,
            is_floating: row.read("is_floating")?,
            is_floating_cloud: row.read("is_floating_cloud")?,
            floating_users: row.read("floating_users")?,
            floating_timeout: row.read("floating_timeout")?,
        },
        created_at: from_millis(row.read("created_at")?),
        updated_at: from_millis(row.read("updated_at")?),
    })
}

fn product_custom_field_from_row<R: SqlRow>(row: &R) -> StoreResult<ProductCustomField> {
    Ok(ProductCustomField {
        id: row.read("id")?,
        product_id: id_column(row, "product_id")?,
        name: row.read("name")?,
        data_type: row.read("data_type")?,
        default_value: row.read("default_value")?,
        description: row.read("description")?,
    })
}

fn license_custom_field_from_row<R: SqlRow>(row: &R) -> StoreResult<LicenseCustomField> {
    Ok(LicenseCustomField {
        id: row.read("id")?,
        license_id: id_column(row, "license_id")?,
        product_custom_field_id: row.read("product_custom_field_id")?,
        value: row.read("value")?,
    })
}

/// What a device's change needs to know before it is made.
struct DeviceOwner {
    license_id: LicenseId,
    hardware_id: String,
    active: bool,
    license_user_id: Option<LicenseUserId>,
}

/// Who changes the company's rows, and when: what the change's event records.
struct Change<'a> {
    company_id: CompanyId,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

impl<'a> Change<'a> {
    fn by(company_id: CompanyId, actor: &'a Actor, now: DateTime<Utc>) -> Self {
        Self {
            company_id,
            actor,
            now,
        }
    }
}

/// A new row of a product's own table: `values` in the order `columns` lists them, and the unique
/// column a duplicate is refused on.
struct ProductRow<'a> {
    table: &'static str,
    columns: &'static str,
    values: Vec<Param<'a>>,
    duplicate: &'static str,
}

impl<DB: Backend> SqlStore<DB> {
    /// The company's row of a resource with this id; `NotFound` for another company's.
    async fn one<T>(
        &self,
        resource: &'static Resource,
        company_id: CompanyId,
        id: i64,
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let by_id = ListQuery::default().with(&resource.id, Lookup::Exact, Value::Int(id));
        let page = Page {
            limit: 1,
            offset: 0,
        };
        self.list_matching(&resource.table, company_id, &by_id, page, decode)
            .await?
            .items
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound(resource.what))
    }

    /// Records the event of a change to the company's rows in the change's transaction, and commits it.
    async fn commit_with_event(
        mut tx: Transaction<'static, DB>,
        change: Change<'_>,
        event: &'static str,
        subjects: EventSubjects,
        data: serde_json::Value,
    ) -> StoreResult<()> {
        let event = NewEvent {
            company_id: change.company_id,
            event,
            actor: change.actor.clone(),
            subjects,
            data: data.to_string(),
        };
        Self::insert_event(&mut tx, &event, change.now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The company's device, read on `conn`; `NotFound` for another company's.
    async fn device_owner(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<DeviceOwner> {
        let row = query(
            "SELECT d.license_id, d.hardware_id, d.active, d.license_user_id FROM devices d \
             JOIN licenses l ON l.id = d.license_id WHERE d.id = $1 AND l.company_id = $2",
        )
        .bind(device_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("device"))?;
        Ok(DeviceOwner {
            license_id: id_column(&row, "license_id")?,
            hardware_id: row.read("hardware_id")?,
            active: row.read("active")?,
            license_user_id: joined_id(&row, "license_user_id")?,
        })
    }

    /// Begins a write that changes a device: the device's license row is locked, and the device
    /// read again under the lock.
    async fn lock_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<(Transaction<'static, DB>, DeviceOwner)> {
        let mut tx = self.begin_write().await?;
        let owner = Self::device_owner(&mut tx, company_id, device_id).await?;
        self.lock_license(&mut tx, company_id, owner.license_id)
            .await?;
        let owner = Self::device_owner(&mut tx, company_id, device_id).await?;
        Ok((tx, owner))
    }

    /// Deactivates a device (and, with `blacklist`, blacklists it), freeing its activation and every seat it held.
    async fn deactivate_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        blacklist: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (mut tx, owner) = self.lock_device(company_id, device_id).await?;
        query(
            "UPDATE devices SET active = FALSE, blacklisted = blacklisted OR $2, floating_until = NULL, \
             borrowed_until = NULL WHERE id = $1",
        )
        .bind(device_id)
        .bind(blacklist)
        .execute(&mut *tx)
        .await?;
        query("DELETE FROM feature_seats WHERE device_id = $1")
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        if owner.active {
            Self::release_activation(&mut tx, owner.license_id, owner.license_user_id).await?;
        }
        let event = if blacklist {
            "device.blacklisted"
        } else {
            "device.reset"
        };
        let subjects = EventSubjects {
            license_id: Some(owner.license_id),
            device_id: Some(device_id),
            ..Default::default()
        };
        let data = json!({"hardware_id": owner.hardware_id, "was_active": owner.active});
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, event, subjects, data).await?;
        Ok(())
    }

    /// The variables of these devices, by name.
    async fn variables_of(&self, devices: &[DeviceId]) -> StoreResult<Vec<DeviceVariable>> {
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {VARIABLE_COLUMNS} FROM device_variables v WHERE v.device_id IN ({}) ORDER BY v.name",
            placeholders(1, devices.len())
        );
        let mut statement = query(&sql);
        for device in devices {
            statement = statement.bind(*device);
        }
        let rows = statement
            .fetch_all(&mut *self.reader.acquire().await?)
            .await?;
        Ok(rows
            .iter()
            .map(variable_from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The devices with their variables.
    async fn with_variables(
        &self,
        mut devices: Vec<DeviceRecord>,
    ) -> StoreResult<Vec<DeviceRecord>> {
        let ids: Vec<DeviceId> = devices.iter().map(|d| d.device.id).collect();
        for variable in self.variables_of(&ids).await? {
            if let Some(device) = devices
                .iter_mut()
                .find(|d| d.device.id == variable.device_id)
            {
                device.variables.push(variable);
            }
        }
        Ok(devices)
    }

    /// Every row of `resource` whose `product` is one of `products`, oldest first.
    async fn of_products<T>(
        &self,
        resource: &'static Resource,
        product: &'static Field,
        company_id: CompanyId,
        products: &[ProductId],
        decode: impl Fn(&DB::Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let ids = products.iter().map(|id| Value::Int(id.get())).collect();
        let mut of_these = ListQuery::default().with(product, Lookup::In, Value::List(ids));
        of_these.order = Some(Ordering {
            field: &resource.id,
            descending: false,
        });
        let all = Page {
            limit: u32::MAX,
            offset: 0,
        };
        let listing = self
            .list_matching(&resource.table, company_id, &of_these, all, decode)
            .await?;
        Ok(listing.items)
    }

    /// The products with their features and custom fields: two reads for the whole page.
    async fn with_parts(
        &self,
        company_id: CompanyId,
        mut products: Vec<ProductRecord>,
    ) -> StoreResult<Vec<ProductRecord>> {
        let ids: Vec<ProductId> = products.iter().map(|p| p.product.id).collect();
        let features = self
            .of_products(
                &PRODUCT_FEATURES,
                &FEATURE_PRODUCT,
                company_id,
                &ids,
                feature_record_from_row,
            )
            .await?;
        let custom_fields = self
            .of_products(
                &PRODUCT_CUSTOM_FIELDS,
                &CUSTOM_FIELD_PRODUCT,
                company_id,
                &ids,
                product_custom_field_from_row,
            )
            .await?;
        for record in &mut products {
            let id = record.product.id;
            record.features = features
                .iter()
                .filter(|f| f.feature.product_id == id)
                .cloned()
                .collect();
            record.custom_fields = custom_fields
                .iter()
                .filter(|f| f.product_id == id)
                .cloned()
                .collect();
        }
        Ok(products)
    }

    /// Runs a statement that changes one row of the company and returns its id; `NotFound` when it
    /// matched none.
    async fn change_one(
        conn: &mut DB::Connection,
        sql: &str,
        values: Vec<Param<'_>>,
        what: &'static str,
        duplicate: &'static str,
    ) -> StoreResult<i64> {
        let mut statement = query(sql);
        for value in values {
            statement = statement.bind(value);
        }
        let row = statement
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| unique_violation(e, duplicate))?
            .ok_or(StoreError::NotFound(what))?;
        Ok(row.read_at(0)?)
    }

    /// Inserts `row` for the company's product; `UnknownProduct` when the company has none by that id.
    async fn insert_for_product(
        conn: &mut DB::Connection,
        row: ProductRow<'_>,
        product_id: ProductId,
        change: &Change<'_>,
    ) -> StoreResult<i64> {
        let ProductRow {
            table,
            columns,
            mut values,
            duplicate,
        } = row;
        let stored = values.len();
        values.extend([
            millis(change.now).into(),
            product_id.into(),
            change.company_id.into(),
        ]);
        let sql = format!(
            "INSERT INTO {table} (product_id, {columns}, created_at) \
             SELECT id, {} FROM products WHERE id = ${} AND company_id = ${} RETURNING id",
            placeholders(1, stored + 1),
            stored + 2,
            stored + 3
        );
        Self::change_one(conn, &sql, values, "product", duplicate)
            .await
            .map_err(|error| match error {
                StoreError::NotFound(_) => StoreError::UnknownProduct,
                other => other,
            })
    }

    /// Binds a feature's values in the order `FEATURE_VALUES` lists them, from `$first` on.
    fn feature_values(feature: &FeatureValues) -> Vec<Param<'_>> {
        let defaults = &feature.defaults;
        vec![
            feature.code.as_str().into(),
            feature.name.as_str().into(),
            feature.feature_type.as_str().into(),
            feature.metadata.as_str().into(),
            defaults.max_consumption.into(),
            defaults.allow_unlimited_consumptions.into(),
            defaults.allow_overages.into(),
            defaults.max_overages.into(),
            defaults.reset_consumption.into(),
            defaults.consumption_period.map(|p| p.as_str()).into(),
            defaults.is_floating.into(),
            defaults.is_floating_cloud.into(),
            defaults.floating_users.into(),
            defaults.floating_timeout.into(),
        ]
    }

    /// A release's values in the order the statements list them.
    fn release_values(release: &NewRelease) -> Vec<Param<'_>> {
        vec![
            release.version.as_str().into(),
            release.channel.as_str().into(),
            release.environment.as_str().into(),
            release.installation_file.as_str().into(),
            (&release.hash_md5).into(),
            (&release.size).into(),
            (&release.eula_link).into(),
            (&release.release_notes_link).into(),
            (&release.requires_version).into(),
            release.release_date.map(millis).into(),
        ]
    }

    /// Deletes one row of the company by a statement with `$1` = id, `$2` = company id, and records
    /// the event.
    #[allow(clippy::too_many_arguments)]
    async fn delete_one(
        &self,
        sql: &str,
        company_id: CompanyId,
        id: i64,
        what: &'static str,
        event: &'static str,
        subjects: EventSubjects,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let deleted = query(sql)
            .bind(id)
            .bind(company_id)
            .execute(&mut *tx)
            .await?;
        if DB::rows_affected(&deleted) == 0 {
            return Err(StoreError::NotFound(what));
        }
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, event, subjects, json!({"id": id})).await?;
        Ok(())
    }
}

const FEATURE_VALUES: &str = "code, name, feature_type, metadata, max_consumption, allow_unlimited_consumptions, \
    allow_overages, max_overages, reset_consumption, consumption_period, is_floating, is_floating_cloud, \
    floating_users, floating_timeout";

const RELEASE_VALUES: &str =
    "version, channel, environment, installation_file, hash_md5, size, eula_link, \
    release_notes_link, requires_version, release_date";

/// `column = $n, ...` for each of `columns` from `$first` on.
fn assignments(columns: &str, first: usize) -> String {
    columns
        .split(',')
        .enumerate()
        .map(|(n, column)| format!("{} = ${}", column.trim(), first + n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn product_subject(product_id: ProductId) -> EventSubjects {
    EventSubjects {
        product_id: Some(product_id),
        ..Default::default()
    }
}

#[async_trait]
impl<DB: Backend> CatalogAdminStore for SqlStore<DB> {
    async fn list_devices(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<DeviceRecord>> {
        let listing = self
            .list_matching(
                &DEVICES.table,
                company_id,
                list_query,
                page,
                device_record_from_row,
            )
            .await?;
        Ok(Listing {
            total: listing.total,
            items: self.with_variables(listing.items).await?,
        })
    }

    async fn device_record(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
    ) -> StoreResult<DeviceRecord> {
        let device = self
            .one(
                &DEVICES,
                company_id,
                device_id.get(),
                device_record_from_row,
            )
            .await?;
        let mut devices = self.with_variables(vec![device]).await?;
        devices.pop().ok_or(StoreError::NotFound("device"))
    }

    async fn reset_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.deactivate_device(company_id, device_id, false, actor, now)
            .await
    }

    async fn blacklist_device_by_id(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.deactivate_device(company_id, device_id, true, actor, now)
            .await
    }

    async fn borrow_device(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        until: Option<DateTime<Utc>>,
        rule: DeviceRule<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceBorrow> {
        let (mut tx, owner) = self.lock_device(company_id, device_id).await?;
        let license = Self::license_on(&mut tx, company_id, owner.license_id).await?;
        let event = match until {
            Some(until) => {
                let device = Self::device_on(&mut tx, device_id).await?;
                let product_row = query(&format!(
                    "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1"
                ))
                .bind(license.product_id)
                .fetch_one(&mut *tx)
                .await?;
                let product = product_from_row(&product_row)?;
                rule(&license.rules(&product, None), Some(device.state()))?;
                if !license.floating.is_floating_cloud {
                    return Err(DomainError::BorrowNotAllowed.into());
                }
                let request = SeatRequest::Borrow { until: Some(until) };
                Self::hold_license_seat(&mut tx, &license, &device, request, now).await?;
                "device.borrowed"
            }
            None => {
                query("UPDATE devices SET borrowed_until = NULL WHERE id = $1")
                    .bind(device_id)
                    .execute(&mut *tx)
                    .await?;
                "device.borrow_released"
            }
        };
        let device = Self::device_on(&mut tx, device_id).await?;
        let subjects = EventSubjects {
            license_id: Some(license.id),
            device_id: Some(device_id),
            ..Default::default()
        };
        let data = json!({"borrowed_until": device.borrowed_until.map(|t| t.to_rfc3339())});
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, event, subjects, data).await?;
        Ok(DeviceBorrow {
            device_id,
            license_id: license.id,
            borrowed_until: device.borrowed_until,
            max_borrow_time: license.floating.max_borrow_time,
        })
    }

    async fn list_device_variables(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<DeviceVariable>> {
        self.list_matching(
            &DEVICE_VARIABLES.table,
            company_id,
            list_query,
            page,
            |row| Ok(variable_from_row(row)?),
        )
        .await
    }

    async fn device_variable(&self, company_id: CompanyId, id: i64) -> StoreResult<DeviceVariable> {
        self.one(&DEVICE_VARIABLES, company_id, id, |row| {
            Ok(variable_from_row(row)?)
        })
        .await
    }

    async fn create_device_variable(
        &self,
        company_id: CompanyId,
        device_id: DeviceId,
        name: &str,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceVariable> {
        let mut tx = self.begin_write().await?;
        let owner = Self::device_owner(&mut tx, company_id, device_id).await?;
        let id = Self::change_one(
            &mut tx,
            "INSERT INTO device_variables (device_id, name, value, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            vec![device_id.into(), name.into(), value.into(), millis(now).into()],
            "device",
            "variable",
        )
        .await?;
        let subjects = EventSubjects {
            license_id: Some(owner.license_id),
            device_id: Some(device_id),
            ..Default::default()
        };
        let data = json!({"id": id, "variable": name, "value": value});
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "device_variable.created", subjects, data).await?;
        self.device_variable(company_id, id).await
    }

    async fn update_device_variable(
        &self,
        company_id: CompanyId,
        id: i64,
        name: &str,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<DeviceVariable> {
        let mut tx = self.begin_write().await?;
        let device_id: i64 = Self::change_one(
            &mut tx,
            "UPDATE device_variables SET name = $1, value = $2 WHERE id = $3 AND device_id IN \
             (SELECT d.id FROM devices d JOIN licenses l ON l.id = d.license_id WHERE l.company_id = $4) \
             RETURNING device_id",
            vec![name.into(), value.into(), id.into(), company_id.into()],
            "device variable",
            "variable",
        )
        .await?;
        let subjects = EventSubjects {
            device_id: Some(DeviceId::new(device_id)),
            ..Default::default()
        };
        let data = json!({"id": id, "variable": name, "value": value});
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "device_variable.updated", subjects, data).await?;
        self.device_variable(company_id, id).await
    }

    async fn delete_device_variable(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let variable = self.device_variable(company_id, id).await?;
        let subjects = EventSubjects {
            device_id: Some(variable.device_id),
            ..Default::default()
        };
        self.delete_one(
            "DELETE FROM device_variables WHERE id = $1 AND device_id IN \
             (SELECT d.id FROM devices d JOIN licenses l ON l.id = d.license_id WHERE l.company_id = $2)",
            company_id,
            id,
            "device variable",
            "device_variable.deleted",
            subjects,
            actor,
            now,
        )
        .await
    }

    async fn list_products(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductRecord>> {
        let listing = self
            .list_matching(
                &PRODUCTS.table,
                company_id,
                list_query,
                page,
                product_record_from_row,
            )
            .await?;
        Ok(Listing {
            total: listing.total,
            items: self.with_parts(company_id, listing.items).await?,
        })
    }

    async fn product_record(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<ProductRecord> {
        let product = self
            .one(
                &PRODUCTS,
                company_id,
                product_id.get(),
                product_record_from_row,
            )
            .await?;
        let mut products = self.with_parts(company_id, vec![product]).await?;
        products.pop().ok_or(StoreError::UnknownProduct)
    }

    async fn insert_product(
        &self,
        product: NewProduct,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductRecord> {
        let mut tx = self.begin_write().await?;
        let id = Self::change_one(
            &mut tx,
            "INSERT INTO products (company_id, code, name, authorization_method, prevent_vm, allow_trial, \
             trial_days, metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![
                product.company_id.into(),
                product.code.as_str().into(),
                product.name.as_str().into(),
                product.authorization_method.as_str().into(),
                product.prevent_vm.into(),
                product.allow_trial.into(),
                product.trial_days.into(),
                product.metadata.as_str().into(),
                millis(now).into(),
            ],
            "product",
            "short_code",
        )
        .await?;
        let product_id = ProductId::new(id);
        let data = json!({"id": id, "short_code": product.code, "product_name": product.name});
        let change = Change::by(product.company_id, actor, now);
        Self::commit_with_event(
            tx,
            change,
            "product.created",
            product_subject(product_id),
            data,
        )
        .await?;
        self.product_record(product.company_id, product_id).await
    }

    async fn update_product(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
        changes: &ProductChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductRecord> {
        let mut tx = self.begin_write().await?;
        Self::change_one(
            &mut tx,
            "UPDATE products SET name = $1, authorization_method = $2, prevent_vm = $3, allow_trial = $4, \
             trial_days = $5, floating_timeout = $6, metadata = $7, is_archived = $8, updated_at = $9 \
             WHERE id = $10 AND company_id = $11 RETURNING id",
            vec![
                changes.name.as_str().into(),
                changes.authorization_method.as_str().into(),
                changes.prevent_vm.into(),
                changes.allow_trial.into(),
                changes.trial_days.into(),
                changes.floating_timeout.into(),
                changes.metadata.as_str().into(),
                changes.is_archived.into(),
                millis(now).into(),
                product_id.into(),
                company_id.into(),
            ],
            "product",
            "short_code",
        )
        .await?;
        let data = json!({
            "id": product_id.get(),
            "product_name": changes.name,
            "authorization_method": changes.authorization_method.as_str(),
            "prevent_vm": changes.prevent_vm,
            "allow_trial": changes.allow_trial,
            "trial_days": changes.trial_days,
            "floating_timeout": changes.floating_timeout,
            "is_archived": changes.is_archived,
        });
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(
            tx,
            change,
            "product.updated",
            product_subject(product_id),
            data,
        )
        .await?;
        self.product_record(company_id, product_id).await
    }

    async fn list_product_features(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductFeatureRecord>> {
        self.list_matching(
            &PRODUCT_FEATURES.table,
            company_id,
            list_query,
            page,
            feature_record_from_row,
        )
        .await
    }

    async fn product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
    ) -> StoreResult<ProductFeatureRecord> {
        self.one(
            &PRODUCT_FEATURES,
            company_id,
            feature_id.get(),
            feature_record_from_row,
        )
        .await
    }

    async fn insert_product_feature(
        &self,
        company_id: CompanyId,
        feature: &FeatureValues,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductFeatureRecord> {
        let mut tx = self.begin_write().await?;
        let change = Change::by(company_id, actor, now);
        let row = ProductRow {
            table: "product_features",
            columns: FEATURE_VALUES,
            values: Self::feature_values(feature),
            duplicate: "code",
        };
        let id = Self::insert_for_product(&mut tx, row, feature.product_id, &change).await?;
        let data = json!({"id": id, "code": feature.code, "name": feature.name});
        let subjects = product_subject(feature.product_id);
        Self::commit_with_event(tx, change, "product_feature.created", subjects, data).await?;
        self.product_feature(company_id, ProductFeatureId::new(id))
            .await
    }

    async fn update_product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
        feature: &FeatureValues,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductFeatureRecord> {
        let mut tx = self.begin_write().await?;
        let mut values = Self::feature_values(feature);
        values.extend([millis(now).into(), feature_id.into(), company_id.into()]);
        let sql = format!(
            "UPDATE product_features SET {}, updated_at = $15 WHERE id = $16 AND product_id IN \
             (SELECT id FROM products WHERE company_id = $17) RETURNING id",
            assignments(FEATURE_VALUES, 1)
        );
        Self::change_one(&mut tx, &sql, values, "product feature", "code").await?;
        let data = json!({"id": feature_id.get(), "code": feature.code, "name": feature.name});
        let subjects = product_subject(feature.product_id);
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "product_feature.updated", subjects, data).await?;
        self.product_feature(company_id, feature_id).await
    }

    async fn delete_product_feature(
        &self,
        company_id: CompanyId,
        feature_id: ProductFeatureId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let feature = self.product_feature(company_id, feature_id).await?;
        let mut tx = self.begin_write().await?;
        // One statement decides: a license taking the feature meanwhile keeps it.
        let deleted = query(
            "DELETE FROM product_features WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM license_features lf WHERE lf.product_feature_id = $1)",
        )
        .bind(feature_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&deleted) == 0 {
            return Ok(false);
        }
        let data = json!({"id": feature_id.get(), "code": feature.feature.code});
        let subjects = product_subject(feature.feature.product_id);
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "product_feature.deleted", subjects, data).await?;
        Ok(true)
    }

    async fn list_releases(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<Release>> {
        self.list_matching(&RELEASES.table, company_id, list_query, page, |row| {
            Ok(release_from_row(row)?)
        })
        .await
    }

    async fn release(&self, company_id: CompanyId, release_id: ReleaseId) -> StoreResult<Release> {
        self.one(&RELEASES, company_id, release_id.get(), |row| {
            Ok(release_from_row(row)?)
        })
        .await
    }

    async fn insert_release(
        &self,
        company_id: CompanyId,
        release: &NewRelease,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Release> {
        let mut tx = self.begin_write().await?;
        let change = Change::by(company_id, actor, now);
        let row = ProductRow {
            table: "releases",
            columns: RELEASE_VALUES,
            values: Self::release_values(release),
            duplicate: "version",
        };
        let id = Self::insert_for_product(&mut tx, row, release.product_id, &change).await?;
        let data =
            json!({"id": id, "version": release.version, "environment": release.environment});
        let subjects = product_subject(release.product_id);
        Self::commit_with_event(tx, change, "installation_file.created", subjects, data).await?;
        self.release(company_id, ReleaseId::new(id)).await
    }

    async fn update_release(
        &self,
        company_id: CompanyId,
        release_id: ReleaseId,
        release: &NewRelease,
        enabled: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Release> {
        let mut tx = self.begin_write().await?;
        let mut values = Self::release_values(release);
        values.extend([enabled.into(), release_id.into(), company_id.into()]);
        let sql = format!(
            "UPDATE releases SET {}, enabled = $11 WHERE id = $12 AND product_id IN \
             (SELECT id FROM products WHERE company_id = $13) RETURNING id",
            assignments(RELEASE_VALUES, 1)
        );
        Self::change_one(&mut tx, &sql, values, "installation file", "version").await?;
        let data = json!({
            "id": release_id.get(),
            "version": release.version,
            "environment": release.environment,
            "enabled": enabled,
        });
        let subjects = product_subject(release.product_id);
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "installation_file.updated", subjects, data).await?;
        self.release(company_id, release_id).await
    }

    async fn delete_release(
        &self,
        company_id: CompanyId,
        release_id: ReleaseId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let release = self.release(company_id, release_id).await?;
        self.delete_one(
            "DELETE FROM releases WHERE id = $1 AND product_id IN \
             (SELECT id FROM products WHERE company_id = $2)",
            company_id,
            release_id.get(),
            "installation file",
            "installation_file.deleted",
            product_subject(release.product_id),
            actor,
            now,
        )
        .await
    }

    async fn list_product_custom_fields(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<ProductCustomField>> {
        self.list_matching(
            &PRODUCT_CUSTOM_FIELDS.table,
            company_id,
            list_query,
            page,
            product_custom_field_from_row,
        )
        .await
    }

    async fn product_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
    ) -> StoreResult<ProductCustomField> {
        self.one(
            &PRODUCT_CUSTOM_FIELDS,
            company_id,
            id,
            product_custom_field_from_row,
        )
        .await
    }

    async fn save_product_custom_field(
        &self,
        company_id: CompanyId,
        id: Option<i64>,
        field: &ProductCustomField,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<ProductCustomField> {
        let mut tx = self.begin_write().await?;
        let values: Vec<Param<'_>> = vec![
            field.name.as_str().into(),
            (&field.data_type).into(),
            field.default_value.as_str().into(),
            (&field.description).into(),
            company_id.into(),
        ];
        let (saved, event) = match id {
            None => {
                let mut values = values;
                values.extend([field.product_id.into(), millis(now).into()]);
                let id = Self::change_one(
                    &mut tx,
                    "INSERT INTO product_custom_fields (product_id, name, data_type, default_value, \
                     description, created_at) SELECT id, $1, $2, $3, $4, $7 FROM products \
                     WHERE id = $6 AND company_id = $5 RETURNING id",
                    values,
                    "product",
                    "name",
                )
                .await
                .map_err(|error| match error {
                    StoreError::NotFound(_) => StoreError::UnknownProduct,
                    other => other,
                })?;
                (id, "product_custom_field.created")
            }
            Some(id) => {
                let mut values = values;
                values.push(id.into());
                Self::change_one(
                    &mut tx,
                    "UPDATE product_custom_fields SET name = $1, data_type = $2, default_value = $3, \
                     description = $4 WHERE id = $6 AND product_id IN \
                     (SELECT id FROM products WHERE company_id = $5) RETURNING id",
                    values,
                    "product custom field",
                    "name",
                )
                .await?;
                (id, "product_custom_field.updated")
            }
        };
        let data = json!({
            "id": saved,
            "name": field.name,
            "data_type": field.data_type,
            "default_value": field.default_value,
        });
        let subjects = product_subject(field.product_id);
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, event, subjects, data).await?;
        self.product_custom_field(company_id, saved).await
    }

    async fn delete_product_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let field = self.product_custom_field(company_id, id).await?;
        let mut tx = self.begin_write().await?;
        // The licenses' values go with their field: they override nothing any more.
        query("DELETE FROM license_custom_fields WHERE product_custom_field_id = $1")
            .bind(field.id)
            .execute(&mut *tx)
            .await?;
        let deleted = query(
            "DELETE FROM product_custom_fields WHERE id = $1 AND product_id IN \
             (SELECT id FROM products WHERE company_id = $2)",
        )
        .bind(id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&deleted) == 0 {
            return Err(StoreError::NotFound("product custom field"));
        }
        let data = json!({"id": id, "name": field.name});
        let subjects = product_subject(field.product_id);
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "product_custom_field.deleted", subjects, data).await?;
        Ok(())
    }

    async fn list_license_custom_fields(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<LicenseCustomField>> {
        self.list_matching(
            &LICENSE_CUSTOM_FIELDS.table,
            company_id,
            list_query,
            page,
            license_custom_field_from_row,
        )
        .await
    }

    async fn license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
    ) -> StoreResult<LicenseCustomField> {
        self.one(
            &LICENSE_CUSTOM_FIELDS,
            company_id,
            id,
            license_custom_field_from_row,
        )
        .await
    }

    async fn create_license_custom_field(
        &self,
        company_id: CompanyId,
        field: &LicenseCustomField,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseCustomField> {
        let mut tx = self.begin_write().await?;
        // Only a field of the license's own product, both of the company.
        let id = Self::change_one(
            &mut tx,
            "INSERT INTO license_custom_fields (license_id, product_custom_field_id, value) \
             SELECT l.id, pcf.id, $3 FROM licenses l \
             JOIN product_custom_fields pcf ON pcf.product_id = l.product_id \
             WHERE l.id = $1 AND pcf.id = $2 AND l.company_id = $4 RETURNING id",
            vec![
                field.license_id.into(),
                field.product_custom_field_id.into(),
                field.value.as_str().into(),
                company_id.into(),
            ],
            "license or product custom field",
            "product_custom_field",
        )
        .await?;
        let data = json!({
            "id": id,
            "product_custom_field": field.product_custom_field_id,
            "value": field.value,
        });
        let subjects = EventSubjects {
            license_id: Some(field.license_id),
            ..Default::default()
        };
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "license_custom_field.created", subjects, data).await?;
        self.license_custom_field(company_id, id).await
    }

    async fn update_license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        value: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<LicenseCustomField> {
        let mut tx = self.begin_write().await?;
        let license_id = Self::change_one(
            &mut tx,
            "UPDATE license_custom_fields SET value = $1 WHERE id = $2 AND license_id IN \
             (SELECT id FROM licenses WHERE company_id = $3) RETURNING license_id",
            vec![value.into(), id.into(), company_id.into()],
            "license custom field",
            "value",
        )
        .await?;
        let subjects = EventSubjects {
            license_id: Some(LicenseId::new(license_id)),
            ..Default::default()
        };
        let data = json!({"id": id, "value": value});
        let change = Change::by(company_id, actor, now);
        Self::commit_with_event(tx, change, "license_custom_field.updated", subjects, data).await?;
        self.license_custom_field(company_id, id).await
    }

    async fn delete_license_custom_field(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let field = self.license_custom_field(company_id, id).await?;
        let subjects = EventSubjects {
            license_id: Some(field.license_id),
            ..Default::default()
        };
        self.delete_one(
            "DELETE FROM license_custom_fields WHERE id = $1 AND license_id IN \
             (SELECT id FROM licenses WHERE company_id = $2)",
            company_id,
            id,
            "license custom field",
            "license_custom_field.deleted",
            subjects,
            actor,
            now,
        )
        .await
    }

    async fn custom_field_values(
        &self,
        company_id: CompanyId,
        license_id: LicenseId,
    ) -> StoreResult<Vec<CustomFieldValue>> {
        let rows = query(&format!(
            "SELECT {} FROM licenses l JOIN product_custom_fields pcf ON pcf.product_id = l.product_id \
             LEFT JOIN license_custom_fields lcf ON lcf.license_id = l.id \
             AND lcf.product_custom_field_id = pcf.id \
             WHERE l.id = $1 AND l.company_id = $2 ORDER BY pcf.name",
            super::CUSTOM_FIELD_VALUE_COLUMNS
        ))
        .bind(license_id)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(collect_rows(&rows, custom_field_value_from_row)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_number_their_columns_from_the_first_placeholder() {
        assert_eq!(assignments("a, b,c", 3), "a = $3, b = $4, c = $5");
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
        assert_eq!(FEATURE_VALUES.split(',').count(), 14);
        assert_eq!(RELEASE_VALUES.split(',').count(), 10);
    }
}
