//! Products, their features and their releases.

use chrono::{DateTime, Utc};
use latch_store::{
    AuthorizationMethod, FeatureType, Listing, NewProduct, Page, Product, ProductFeature,
    ProductRecord, Release,
};

use crate::catalog_admin::FeatureUpdate;
use crate::terms::{require_code, validate_metadata};
use crate::{ServiceError, ServiceResult, Tenant};

/// What a vendor sets when creating a product.
#[derive(Debug, Clone, Default)]
pub struct ProductSpec {
    /// The short code the SDKs send as `product`.
    pub code: String,
    pub name: String,
    /// Licenses are held by license users (e-mail and password) instead of keys.
    pub user_based: bool,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
    /// A JSON object shown to clients as `metadata`; `{}` when absent.
    pub metadata: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FeatureSpec {
    pub code: String,
    pub name: String,
    pub feature_type: FeatureType,
}

/// A release (installation file) of a product.
#[derive(Debug, Clone, Default)]
pub struct ReleaseSpec {
    pub version: String,
    /// Download URL.
    pub url: String,
    pub channel: String,
    /// Target environment, e.g. win64; empty matches every client.
    pub environment: String,
    pub hash_md5: Option<String>,
    pub size: Option<String>,
    pub eula_link: Option<String>,
    pub release_notes_link: Option<String>,
    pub requires_version: Option<String>,
    pub release_date: Option<DateTime<Utc>>,
}

impl Tenant<'_> {
    pub async fn create_product(&self, spec: ProductSpec) -> ServiceResult<Product> {
        Ok(self.create_product_record(spec).await?.product)
    }

    /// Creates a product and records `product.created`; answers it as vendors inspect it.
    pub async fn create_product_record(&self, spec: ProductSpec) -> ServiceResult<ProductRecord> {
        require_code("code", &spec.code)?;
        if spec.trial_days < 0 {
            return Err(ServiceError::invalid("trial_days", "must not be negative"));
        }
        let metadata = match spec.metadata {
            Some(text) => validate_metadata(&text)?,
            None => "{}".to_owned(),
        };
        let product = NewProduct {
            company_id: self.company_id(),
            code: spec.code,
            name: spec.name,
            authorization_method: if spec.user_based {
                AuthorizationMethod::User
            } else {
                AuthorizationMethod::LicenseKey
            },
            prevent_vm: spec.prevent_vm,
            allow_trial: spec.allow_trial,
            trial_days: spec.trial_days,
            metadata,
        };
        Ok(self
            .store
            .insert_product(product, &self.actor, Utc::now())
            .await?)
    }

    pub async fn products(&self, page: Page) -> ServiceResult<Listing<Product>> {
        Ok(self.store.products(self.company_id(), page).await?)
    }

    /// The company's product with this code.
    pub async fn product(&self, code: &str) -> ServiceResult<Product> {
        self.store
            .product(self.company_id(), code)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "product with code {code} in company {}",
                    self.company_id()
                ))
            })
    }

    pub async fn add_product_feature(
        &self,
        product_code: &str,
        spec: FeatureSpec,
    ) -> ServiceResult<(Product, ProductFeature)> {
        let product = self.product(product_code).await?;
        let feature = self
            .create_product_feature(
                product.id,
                spec.code,
                spec.name,
                spec.feature_type.as_str(),
                FeatureUpdate::default(),
            )
            .await?;
        Ok((product, feature.feature))
    }

    pub async fn add_release(
        &self,
        product_code: &str,
        spec: ReleaseSpec,
    ) -> ServiceResult<(Product, Release)> {
        let product = self.product(product_code).await?;
        let release = self.create_release(product.id, spec).await?;
        Ok((product, release))
    }
}
