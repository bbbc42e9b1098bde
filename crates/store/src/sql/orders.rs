//! Orders: placed by a vendor's store in one transaction with their customer, licenses, features,
//! custom field values and users; listed, shown and changed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, LicenseUserId, ProductId};

use super::database::{query, ReadColumn, SqlRow};
use super::listing::Table;
use super::people::{customer_record_columns, customer_record_from_row};
use super::rows::{collect_rows, joined_id, license_from_row, returned_id, unique_violation};
use super::{Backend, SqlStore, LICENSE_COLUMNS};
use crate::query::ListQuery;
use crate::*;

macro_rules! order_columns {
    () => {
        "o.id AS o_id, o.company_id AS o_company_id, o.store_id AS o_store_id, \
    o.customer_id AS o_customer_id, o.order_type AS o_order_type, o.is_test AS o_is_test, \
    o.is_trial AS o_is_trial, o.download_id AS o_download_id, o.language AS o_language, \
    o.campaign_params AS o_campaign_params, o.reference AS o_reference, o.metadata AS o_metadata, \
    o.created_at AS o_created_at, o.updated_at AS o_updated_at, \
    (SELECT COUNT(*) FROM licenses ol WHERE ol.order_id = o.id AND ol.enabled) AS o_enabled_licenses"
    };
}

const ORDER_COLUMNS: &str = order_columns!();

const ORDERS_FROM: &str = "orders o LEFT JOIN customers c ON c.id = o.customer_id";

const ORDER_RECORDS: Table = Table {
    columns: concat!(order_columns!(), ", ", customer_record_columns!()),
    from: ORDERS_FROM,
    company: "o.company_id",
    id: "o.id",
};

fn order_from_row<R: SqlRow>(row: &R) -> Result<Order, sqlx::Error> {
    Ok(Order {
        id: row.read("o_id")?,
        company_id: CompanyId::new(row.read("o_company_id")?),
        store_id: row.read("o_store_id")?,
        customer_id: joined_id(row, "o_customer_id")?,
        order_type: row.read("o_order_type")?,
        is_test: row.read("o_is_test")?,
        is_trial: row.read("o_is_trial")?,
        download_id: row.read("o_download_id")?,
        language: row.read("o_language")?,
        campaign_params: row.read("o_campaign_params")?,
        reference: row.read("o_reference")?,
        metadata: row.read("o_metadata")?,
        created_at: from_millis(row.read("o_created_at")?),
        updated_at: from_millis(row.read("o_updated_at")?),
    })
}

fn order_record<R: SqlRow>(row: &R) -> StoreResult<OrderRecord> {
    let enabled: i64 = row.read("o_enabled_licenses")?;
    Ok(OrderRecord {
        order: order_from_row(row)?,
        customer: customer_record_from_row(row)?,
        has_active_licenses: enabled > 0,
    })
}

/// The order its licenses are placed on, for whom, by whom and when.
#[derive(Clone, Copy)]
struct Placing<'a> {
    order_id: i64,
    customer_id: Option<latch_domain::CustomerId>,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

impl<DB: Backend> SqlStore<DB> {
    async fn order_record_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        order_id: i64,
    ) -> StoreResult<Option<OrderRecord>> {
        let row = query(&format!(
            "SELECT {} FROM {ORDERS_FROM} WHERE o.id = $1 AND o.company_id = $2",
            ORDER_RECORDS.columns
        ))
        .bind(order_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(order_record).transpose()
    }

    async fn order_licenses_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        order_id: i64,
    ) -> StoreResult<Vec<License>> {
        let rows = query(&format!(
            "SELECT {LICENSE_COLUMNS} FROM licenses l WHERE l.order_id = $1 AND l.company_id = $2 \
             ORDER BY l.id"
        ))
        .bind(order_id)
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(collect_rows(&rows, license_from_row)?)
    }

    /// The customer an order names: found by e-mail and changed with the given fields, or created.
    async fn upsert_customer(
        conn: &mut DB::Connection,
        customer: &OrderCustomer,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<latch_domain::CustomerId> {
        let company_id = customer.new.company_id;
        let existing = query("SELECT id FROM customers WHERE company_id = $1 AND email = $2")
            .bind(company_id)
            .bind(&customer.new.email)
            .fetch_optional(&mut *conn)
            .await?;
        match existing {
            Some(row) => {
                let id = returned_id(&row)?;
                Self::change_customer(conn, company_id, id, &customer.changes, actor, now).await?;
                Ok(id)
            }
            None => Self::insert_customer(conn, &customer.new, actor, now).await,
        }
    }

    /// Inserts the order, or finds the one with its store id: `(id, created)`.
    async fn insert_order(
        conn: &mut DB::Connection,
        order: &NewOrder,
        customer_id: Option<latch_domain::CustomerId>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, bool)> {
        let fields = &order.fields;
        let inserted = query(
            "INSERT INTO orders (company_id, store_id, customer_id, order_type, is_test, is_trial, \
             download_id, language, campaign_params, reference, metadata, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (company_id, store_id) DO NOTHING RETURNING id",
        )
        .bind(order.company_id)
        .bind(&order.store_id)
        .bind(customer_id)
        .bind(&fields.order_type)
        .bind(fields.is_test)
        .bind(fields.is_trial)
        .bind(&fields.download_id)
        .bind(&fields.language)
        .bind(&fields.campaign_params)
        .bind(&fields.reference)
        .bind(&fields.metadata)
        .bind(millis(fields.created_at.unwrap_or(now)))
        .bind(millis(now))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = inserted {
            return Ok((row.read_at(0)?, true));
        }
        let row = query("SELECT id FROM orders WHERE company_id = $1 AND store_id = $2")
            .bind(order.company_id)
            .bind(&order.store_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok((row.read_at(0)?, false))
    }

    /// One license of an order with its features, custom field values and users, then the licenses
    /// a bundle license comes with; records `license.created` and `license_user.created` for each
    /// user it creates.
    async fn insert_order_license(
        &self,
        conn: &mut DB::Connection,
        placing: &Placing<'_>,
        item: &OrderLicense,
        new_users: &mut Vec<(LicenseUserId, String)>,
    ) -> StoreResult<Vec<License>> {
        let Placing {
            order_id,
            customer_id,
            actor,
            now,
        } = *placing;
        let new = NewLicense {
            customer_id,
            ..item.license.clone()
        };
        let company_id = new.company_id;
        let license = Self::insert_license(conn, &new, now).await?;
        query("UPDATE licenses SET order_id = $1, note = $2 WHERE id = $3")
            .bind(order_id)
            .bind(&item.note)
            .bind(license.id)
            .execute(&mut *conn)
            .await?;
        let event = NewEvent {
            company_id,
            event: "license.created",
            actor: actor.clone(),
            subjects: EventSubjects {
                license_id: Some(license.id),
                customer_id,
                product_id: Some(license.product_id),
                order_id: Some(order_id),
                ..Default::default()
            },
            data: serde_json::json!({"license_key": license.license_key, "order": order_id})
                .to_string(),
        };
        Self::insert_event(conn, &event, now).await?;
        for feature in &item.features {
            let feature = NewLicenseFeature {
                license_id: license.id,
                ..feature.clone()
            };
            Self::insert_license_feature(conn, company_id, &feature).await?;
        }
        for (field_id, value) in &item.custom_fields {
            query(
                "INSERT INTO license_custom_fields (license_id, product_custom_field_id, value) \
                 VALUES ($1, $2, $3)",
            )
            .bind(license.id)
            .bind(*field_id)
            .bind(value)
            .execute(&mut *conn)
            .await
            .map_err(|e| unique_violation(e, "custom field"))?;
        }
        for user in &item.users {
            let created = match &user.new {
                Some(new) => self.insert_user_row(conn, new, now, true).await?,
                None => None,
            };
            let user_id = match created {
                Some(id) => {
                    let event = NewEvent {
                        company_id,
                        event: "license_user.created",
                        actor: actor.clone(),
                        subjects: EventSubjects {
                            license_user_id: Some(id),
                            ..Default::default()
                        },
                        data: serde_json::json!({"email": user.email}).to_string(),
                    };
                    Self::insert_event(conn, &event, now).await?;
                    new_users.push((id, user.email.clone()));
                    id
                }
                None => returned_id(
                    &query("SELECT id FROM license_users WHERE company_id = $1 AND email = $2")
                        .bind(company_id)
                        .bind(&user.email)
                        .fetch_optional(&mut *conn)
                        .await?
                        .ok_or(StoreError::NotFound("license user"))?,
                )?,
            };
            let assignment = Assignment {
                license_id: license.id,
                license_user_id: user_id,
                max_activations: user.max_activations,
                allow_unlimited_activations: user.allow_unlimited_activations,
                total_activations: 0,
            };
            Self::insert_assignment(conn, company_id, &assignment).await?;
        }
        let included =
            Self::insert_bundle_licenses(conn, &license, &new, Some(order_id), actor, now).await?;
        Ok(std::iter::once(license).chain(included).collect())
    }
}

#[async_trait]
impl<DB: Backend> OrderStore for SqlStore<DB> {
    async fn place_order(
        &self,
        order: NewOrder,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<PlacedOrder> {
        let company_id = order.company_id;
        let mut tx = self.begin_write().await?;
        let customer_id = match &order.customer {
            Some(customer) => Some(Self::upsert_customer(&mut tx, customer, actor, now).await?),
            None => None,
        };
        let (order_id, created) = Self::insert_order(&mut tx, &order, customer_id, now).await?;
        if !created && !order.append {
            // A repeat: the order as it is, and nothing else changed (the rollback undoes the
            // customer's changes too).
            let record = Self::order_record_on(&mut tx, company_id, order_id)
                .await?
                .ok_or(StoreError::NotFound("order"))?;
            let licenses = Self::order_licenses_on(&mut tx, company_id, order_id).await?;
            tx.rollback().await?;
            return Ok(PlacedOrder {
                order: record.order,
                created_anything: false,
                licenses,
                new_users: Vec::new(),
            });
        }
        // Appended licenses go to the order's customer when the request names none.
        let customer_id = match customer_id {
            None if !created => Self::order_record_on(&mut tx, company_id, order_id)
                .await?
                .and_then(|record| record.order.customer_id),
            given => given,
        };
        let mut licenses = Vec::with_capacity(order.licenses.len());
        let mut new_users = Vec::new();
        let placing = Placing {
            order_id,
            customer_id,
            actor,
            now,
        };
        for item in &order.licenses {
            licenses.extend(
                self.insert_order_license(&mut tx, &placing, item, &mut new_users)
                    .await?,
            );
        }
        if !created {
            query(
                "UPDATE orders SET updated_at = $1, customer_id = COALESCE(customer_id, $2) \
                 WHERE id = $3",
            )
            .bind(millis(now))
            .bind(customer_id)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        }
        let event = NewEvent {
            company_id,
            event: if created {
                "order.created"
            } else {
                "order.updated"
            },
            actor: actor.clone(),
            subjects: EventSubjects {
                order_id: Some(order_id),
                customer_id,
                ..Default::default()
            },
            data: serde_json::json!({
                "store_id": order.store_id,
                "licenses_added": licenses.iter().map(|l| l.id.get()).collect::<Vec<_>>(),
            })
            .to_string(),
        };
        Self::insert_event(&mut tx, &event, now).await?;
        let record = Self::order_record_on(&mut tx, company_id, order_id)
            .await?
            .ok_or(StoreError::NotFound("order"))?;
        tx.commit().await?;
        Ok(PlacedOrder {
            order: record.order,
            created_anything: true,
            licenses,
            new_users,
        })
    }

    async fn order(
        &self,
        company_id: CompanyId,
        order_id: i64,
    ) -> StoreResult<Option<OrderRecord>> {
        let mut conn = self.reader.acquire().await?;
        Self::order_record_on(&mut conn, company_id, order_id).await
    }

    async fn orders(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<OrderRecord>> {
        self.list_matching(&ORDER_RECORDS, company_id, list_query, page, order_record)
            .await
    }

    async fn order_licenses(
        &self,
        company_id: CompanyId,
        order_id: i64,
    ) -> StoreResult<Vec<License>> {
        let mut conn = self.reader.acquire().await?;
        Self::order_licenses_on(&mut conn, company_id, order_id).await
    }

    async fn update_order(
        &self,
        company_id: CompanyId,
        order_id: i64,
        changes: &OrderChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OrderRecord>> {
        let mut tx = self.begin_write().await?;
        let row = query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.company_id = $2{}",
            DB::LOCK_ROW
        ))
        .bind(order_id)
        .bind(company_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(mut order) = row.as_ref().map(order_from_row).transpose()? else {
            return Ok(None);
        };
        if let Some(Some(customer_id)) = changes.customer_id {
            let known = query("SELECT id FROM customers WHERE id = $1 AND company_id = $2")
                .bind(customer_id)
                .bind(company_id)
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::NotFound("customer"));
            }
        }
        let changed = changes.apply(&mut order);
        if !changed.is_empty() {
            query(
                "UPDATE orders SET store_id = $1, customer_id = $2, order_type = $3, is_test = $4, \
                 is_trial = $5, download_id = $6, language = $7, campaign_params = $8, reference = $9, \
                 metadata = $10, updated_at = $11 WHERE id = $12",
            )
            .bind(&order.store_id)
            .bind(order.customer_id)
            .bind(&order.order_type)
            .bind(order.is_test)
            .bind(order.is_trial)
            .bind(&order.download_id)
            .bind(&order.language)
            .bind(&order.campaign_params)
            .bind(&order.reference)
            .bind(&order.metadata)
            .bind(millis(now))
            .bind(order_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_violation(e, "store_id"))?;
            let event = NewEvent {
                company_id,
                event: "order.updated",
                actor: actor.clone(),
                subjects: EventSubjects {
                    order_id: Some(order_id),
                    customer_id: order.customer_id,
                    ..Default::default()
                },
                data: serde_json::Value::Object(changed).to_string(),
            };
            Self::insert_event(&mut tx, &event, now).await?;
        }
        let record = Self::order_record_on(&mut tx, company_id, order_id).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn product_custom_field_names(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<(i64, String)>> {
        let rows = query(
            "SELECT f.id, f.name FROM product_custom_fields f JOIN products p ON p.id = f.product_id \
             WHERE f.product_id = $1 AND p.company_id = $2 ORDER BY f.id",
        )
        .bind(product_id)
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        rows.iter()
            .map(|row| Ok((row.read("id")?, row.read("name")?)))
            .collect()
    }
}
