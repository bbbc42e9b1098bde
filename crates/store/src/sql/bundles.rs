//! Bundles: products that group other products, and the licenses a bundle license comes with (one
//! per included product, with the bundle license's key and terms, linked to it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, LicenseId, ProductId};

use super::database::{query, ReadColumn};
use super::license_api::DeviceReport;
use super::rows::*;
use super::{Backend, SqlStore, PRODUCT_COLUMNS};
use crate::*;

impl<DB: Backend> SqlStore<DB> {
    /// Creates the licenses a new license of a bundle comes with: one per included product, on the
    /// bundle license's terms, in its order; none for a product that is not a bundle.
    pub(super) async fn insert_bundle_licenses(
        conn: &mut DB::Connection,
        bundle: &License,
        terms: &NewLicense,
        order_id: Option<i64>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<License>> {
        let included: Vec<ProductId> = query(
            "SELECT product_id FROM bundle_items WHERE bundle_product_id = $1 ORDER BY product_id",
        )
        .bind(bundle.product_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| id_column(row, "product_id"))
        .collect::<Result<_, _>>()?;
        let mut created = Vec::with_capacity(included.len());
        for product_id in included {
            let new = NewLicense {
                product_id,
                customer_id: bundle.customer_id,
                ..terms.clone()
            };
            let license = Self::insert_license(conn, &new, now).await?;
            query("UPDATE licenses SET bundle_license_id = $1, order_id = $2 WHERE id = $3")
                .bind(bundle.id)
                .bind(order_id)
                .bind(license.id)
                .execute(&mut *conn)
                .await?;
            let event = NewEvent::new(license.company_id, "license.created", actor)
                .license(&license)
                .data(serde_json::json!({
                    "license_key": license.license_key,
                    "license_type": license.license_type.as_str(),
                    "bundle_license": bundle.id.get(),
                }));
            Self::insert_event(conn, &event, now).await?;
            created.push(license);
        }
        Ok(created)
    }

    /// The licenses a bundle license comes with, by license id, with their product codes.
    async fn bundle_license_codes(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        bundle_license_id: LicenseId,
    ) -> StoreResult<Vec<(LicenseId, String)>> {
        let rows = query(
            "SELECT l.id AS id, p.code AS code FROM licenses l JOIN products p ON p.id = l.product_id \
             WHERE l.bundle_license_id = $1 AND l.company_id = $2 ORDER BY l.id",
        )
        .bind(bundle_license_id)
        .bind(company_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(rows
            .iter()
            .map(|row| Ok((id_column(row, "id")?, row.read("code")?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    async fn products_where(
        &self,
        condition: &str,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<Product>> {
        let rows = query(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.company_id = $1 AND {condition} ORDER BY p.id"
        ))
        .bind(company_id)
        .bind(product_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        Ok(rows
            .iter()
            .map(product_from_row)
            .collect::<Result<_, _>>()?)
    }
}

#[async_trait]
impl<DB: Backend> BundleStore for SqlStore<DB> {
    async fn set_bundle_items(
        &self,
        company_id: CompanyId,
        bundle_id: ProductId,
        included: &[ProductId],
        change: Change<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated = query(
            "UPDATE products SET is_bundle = $1, updated_at = $2 WHERE id = $3 AND company_id = $4",
        )
        .bind(!included.is_empty())
        .bind(millis(change.at))
        .bind(bundle_id)
        .bind(company_id)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&updated) == 0 {
            return Err(StoreError::UnknownProduct);
        }
        query("DELETE FROM bundle_items WHERE bundle_product_id = $1")
            .bind(bundle_id)
            .execute(&mut *tx)
            .await?;
        for product_id in included {
            // Only the company's own products can be included.
            query(
                "INSERT INTO bundle_items (bundle_product_id, product_id) \
                 SELECT $1, id FROM products WHERE id = $2 AND company_id = $3",
            )
            .bind(bundle_id)
            .bind(*product_id)
            .bind(company_id)
            .execute(&mut *tx)
            .await?;
        }
        let event = NewEvent::new(company_id, "product.updated", change.actor)
            .product(bundle_id)
            .data(serde_json::json!({
                "id": bundle_id.get(),
                "is_bundle": !included.is_empty(),
                "bundle_products": included.iter().map(|id| id.get()).collect::<Vec<_>>(),
            }));
        Self::insert_event(&mut tx, &event, change.at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn bundle_items(
        &self,
        company_id: CompanyId,
        bundle_id: ProductId,
    ) -> StoreResult<Vec<Product>> {
        self.products_where(
            "p.id IN (SELECT product_id FROM bundle_items WHERE bundle_product_id = $2)",
            company_id,
            bundle_id,
        )
        .await
    }

    async fn bundles_including(
        &self,
        company_id: CompanyId,
        product_id: ProductId,
    ) -> StoreResult<Vec<Product>> {
        self.products_where(
            "p.id IN (SELECT bundle_product_id FROM bundle_items WHERE product_id = $2)",
            company_id,
            product_id,
        )
        .await
    }

    async fn product_is_bundle(&self, company_id: CompanyId, code: &str) -> StoreResult<bool> {
        let row = query("SELECT is_bundle FROM products WHERE company_id = $1 AND code = $2")
            .bind(company_id)
            .bind(code)
            .fetch_optional(&mut *self.reader.acquire().await?)
            .await?
            .ok_or(StoreError::UnknownProduct)?;
        Ok(row.read_at(0)?)
    }

    async fn bundle_licenses(
        &self,
        company_id: CompanyId,
        bundle_license_id: LicenseId,
    ) -> StoreResult<Vec<(LicenseId, String)>> {
        let mut conn = self.reader.acquire().await?;
        Self::bundle_license_codes(&mut conn, company_id, bundle_license_id).await
    }

    async fn activate_bundle(
        &self,
        key: &DeviceKey<'_>,
        info: &DeviceInfo,
        variables: &[(String, String)],
        rule: ActivationRule<'_>,
        now: DateTime<Utc>,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<Vec<Activation>> {
        // The bundle license is locked first, then its licenses in id order: every bundle
        // activation takes the locks in the same order.
        let report = DeviceReport {
            info,
            variables,
            offline,
        };
        let mut tx = self.begin_write().await?;
        let bundle = self.activate_on(&mut tx, key, report, rule, now).await?;
        let bundle_license = &bundle.view.license;
        let included =
            Self::bundle_license_codes(&mut tx, bundle_license.company_id, bundle_license.id)
                .await?;
        let mut activations = vec![bundle];
        for (license_id, code) in &included {
            let included_key = DeviceKey {
                product_code: code,
                license_id: Some(*license_id),
                ..*key
            };
            activations.push(
                self.activate_on(&mut tx, &included_key, report, rule, now)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(activations)
    }

    async fn deactivate_bundle(
        &self,
        key: &DeviceKey<'_>,
        rule: DeviceRule<'_>,
        offline: Option<OfflineOrigin<'_>>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let (_, bundle, device) = self.locked_device(&mut tx, key, rule).await?;
        Self::deactivate_on(&mut tx, &bundle, &device, offline).await?;
        let included = Self::bundle_license_codes(&mut tx, bundle.company_id, bundle.id).await?;
        for (license_id, code) in &included {
            let included_key = DeviceKey {
                product_code: code,
                license_id: Some(*license_id),
                ..*key
            };
            // Licenses of the bundle this device no longer holds (deactivated on their own) are
            // left as they are.
            let (found, license) = self.lock_lookup(&mut tx, &included_key).await?;
            if let Some(device) = found.device.filter(|d| d.active) {
                Self::deactivate_on(&mut tx, &license, &device, offline).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
