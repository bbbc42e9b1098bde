//! Bundles: a product that groups other products. A license of a bundle comes with one license per
//! included product (same key and terms, linked to it), created with it by `latch license create`
//! and by orders; the License API activates, checks and deactivates them together.

use latch_domain::{LicenseId, ProductId};
use latch_store::{AuthorizationMethod, License, Product, ProductRecord};

use crate::{ProductSpec, ServiceError, ServiceResult, Tenant};

/// How a vendor names a product to include: by id or by short code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Id(ProductId),
    Code(String),
}

const INCLUDES: &str = "includes";

impl Tenant<'_> {
    /// Creates a product that bundles `includes`.
    pub async fn create_bundle_product(
        &self,
        spec: ProductSpec,
        includes: &[ProductRef],
    ) -> ServiceResult<ProductRecord> {
        if spec.user_based {
            return Err(ServiceError::invalid(
                "authorization_method",
                "A bundle is key-based.",
            ));
        }
        // Checked before the product exists, so a refused bundle leaves nothing behind.
        let included = self.bundle_items_named(None, includes).await?;
        let record = self.create_product_record(spec).await?;
        self.store
            .set_bundle_items(
                self.company_id(),
                record.product.id,
                &included,
                self.change(),
            )
            .await?;
        self.product_record(record.product.id).await
    }

    /// Makes the product a bundle of `includes` (replacing what it included), or, with none, no
    /// longer a bundle. Licenses issued before keep the licenses they came with.
    pub async fn set_bundle(
        &self,
        bundle: ProductId,
        includes: &[ProductRef],
    ) -> ServiceResult<ProductRecord> {
        let record = self.product_record(bundle).await?;
        let included = if includes.is_empty() {
            Vec::new()
        } else {
            if record.product.authorization_method != AuthorizationMethod::LicenseKey {
                return Err(ServiceError::invalid(
                    "authorization_method",
                    "A bundle is key-based.",
                ));
            }
            if !self
                .store
                .bundles_including(self.company_id(), bundle)
                .await?
                .is_empty()
            {
                return Err(ServiceError::invalid(
                    "is_bundle",
                    "A product included in a bundle cannot be a bundle.",
                ));
            }
            self.bundle_items_named(Some(bundle), includes).await?
        };
        self.store
            .set_bundle_items(self.company_id(), bundle, &included, self.change())
            .await?;
        self.product_record(bundle).await
    }

    /// The products a bundle includes, by id.
    pub async fn bundle_products(&self, bundle: ProductId) -> ServiceResult<Vec<ProductRecord>> {
        self.product_record(bundle).await?;
        let products = self.store.bundle_items(self.company_id(), bundle).await?;
        self.records_of(products).await
    }

    /// The bundles that include a product, by id.
    pub async fn bundles_including(&self, product: ProductId) -> ServiceResult<Vec<ProductRecord>> {
        self.product_record(product).await?;
        let products = self
            .store
            .bundles_including(self.company_id(), product)
            .await?;
        self.records_of(products).await
    }

    /// A bundle license and the licenses it came with, each with its product: the bundle's own
    /// first, as offline bundle files list them.
    pub async fn bundle_licenses(
        &self,
        bundle_license: LicenseId,
    ) -> ServiceResult<Vec<(License, Product)>> {
        let mut ids = vec![bundle_license];
        ids.extend(
            self.store
                .bundle_licenses(self.company_id(), bundle_license)
                .await?
                .into_iter()
                .map(|(id, _)| id),
        );
        let mut licenses = Vec::with_capacity(ids.len());
        for id in ids {
            let details = self.license_details(id).await?;
            licenses.push((details.license, details.product));
        }
        Ok(licenses)
    }

    async fn records_of(&self, products: Vec<Product>) -> ServiceResult<Vec<ProductRecord>> {
        let mut records = Vec::with_capacity(products.len());
        for product in products {
            records.push(self.product_record(product.id).await?);
        }
        Ok(records)
    }

    /// The products `includes` names, each once: key-based products of the company that are not
    /// bundles themselves, and not `bundle`.
    async fn bundle_items_named(
        &self,
        bundle: Option<ProductId>,
        includes: &[ProductRef],
    ) -> ServiceResult<Vec<ProductId>> {
        if includes.is_empty() {
            return Err(ServiceError::invalid(
                INCLUDES,
                "A bundle includes at least one product.",
            ));
        }
        let mut included = Vec::with_capacity(includes.len());
        for reference in includes {
            let record = match reference {
                ProductRef::Id(id) => self.product_record(*id).await.map_err(|_| {
                    ServiceError::invalid(INCLUDES, format!("No product with id {id}."))
                })?,
                ProductRef::Code(code) => {
                    let product = self.product(code).await.map_err(|_| {
                        ServiceError::invalid(INCLUDES, format!("No product with code \"{code}\"."))
                    })?;
                    self.product_record(product.id).await?
                }
            };
            let code = &record.product.code;
            if Some(record.product.id) == bundle {
                return Err(ServiceError::invalid(
                    INCLUDES,
                    "A bundle cannot include itself.",
                ));
            }
            if record.is_bundle {
                return Err(ServiceError::invalid(
                    INCLUDES,
                    format!("\"{code}\" is a bundle; bundles do not nest."),
                ));
            }
            if record.product.authorization_method != AuthorizationMethod::LicenseKey {
                return Err(ServiceError::invalid(
                    INCLUDES,
                    format!("\"{code}\" is user-based; a bundle includes key-based products."),
                ));
            }
            if !included.contains(&record.product.id) {
                included.push(record.product.id);
            }
        }
        Ok(included)
    }
}
