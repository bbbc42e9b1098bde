//! Licenses: issuing, finding, listing, enabling, resetting, renewing, features and users.

use chrono::{DateTime, Utc};
use latch_domain::{CompanyId, LicenseId, LicenseType};
use latch_store::{
    Assignment, ColumnValue, License, LicenseColumn, LicenseFeature, LicenseFilter, LicenseUpdate,
    LicenseUser, Listing, NewLicenseFeature, Page, Product, StoreError,
};

use crate::keys::generate_license_key;
use crate::terms::{ConsumptionTerms, FloatingTerms, LicenseTerms};
use crate::{Service, ServiceError, ServiceResult, Tenant};

/// How an operator names a license: by key (unique within a product) or by id, optionally limited to
/// one company.
#[derive(Debug, Clone, Default)]
pub struct LicenseRef {
    pub key: Option<String>,
    pub id: Option<LicenseId>,
    pub company: Option<CompanyId>,
}

/// Which of a company's licenses a listing shows.
#[derive(Debug, Clone, Default)]
pub struct LicenseQuery {
    /// Product code.
    pub product: Option<String>,
    /// Customer e-mail.
    pub customer: Option<String>,
    /// Licenses whose key starts with this.
    pub key_prefix: Option<String>,
    pub enabled: Option<bool>,
}

/// A license with its product and features, as vendors are shown it.
#[derive(Debug, Clone)]
pub struct LicenseDetails {
    pub license: License,
    pub product: Product,
    pub features: Vec<LicenseFeature>,
}

impl Service {
    /// The license a reference names and its company's side of the service.
    pub async fn find_license(
        &self,
        reference: &LicenseRef,
    ) -> ServiceResult<(Tenant<'_>, License)> {
        let mut found = match (&reference.key, reference.id) {
            (_, Some(id)) => {
                let company = match reference.company {
                    Some(company) => Some(company),
                    None => self.store.license_company(id).await?,
                };
                match company {
                    Some(company) => match self.store.license(company, id).await {
                        Ok(license) => vec![license],
                        Err(StoreError::LicenseNotFound) => Vec::new(),
                        Err(other) => return Err(other.into()),
                    },
                    None => Vec::new(),
                }
            }
            (Some(key), None) => self.store.licenses_by_key(reference.company, key).await?,
            (None, None) => {
                return Err(ServiceError::invalid(
                    "license",
                    "name the license by its key or its id",
                ))
            }
        };
        let license = match found.len() {
            0 => return Err(ServiceError::NotFound(describe(reference))),
            1 => found.remove(0),
            _ => {
                return Err(ServiceError::AmbiguousLicenseKey(
                    reference.key.clone().unwrap_or_default(),
                ))
            }
        };
        let tenant = self.tenant(license.company_id).await?;
        Ok((tenant, license))
    }
}

/// Names the license by the id the caller gave when the store did not find it in the company.
pub(crate) fn license_not_found(id: LicenseId) -> impl FnOnce(StoreError) -> ServiceError {
    move |error| match error {
        StoreError::LicenseNotFound => ServiceError::NotFound(format!("license with id {id}")),
        other => other.into(),
    }
}

fn describe(reference: &LicenseRef) -> String {
    match (&reference.key, reference.id) {
        (_, Some(id)) => format!("license with id {id}"),
        (Some(key), None) => format!("license with key {key}"),
        (None, None) => "license".to_owned(),
    }
}

impl Tenant<'_> {
    /// Issues a license of `product_code` on these terms.
    pub async fn issue_license(
        &self,
        product_code: &str,
        terms: LicenseTerms,
    ) -> ServiceResult<LicenseDetails> {
        let product = self.product(product_code).await?;
        let customer_id = match &terms.customer {
            Some(email) => Some(self.customer_by_email("customer", email).await?.id),
            None => None,
        };
        let new = terms.new_license(&product, customer_id, generate_license_key)?;
        let license = self.store.create_license(new, self.change()).await?;
        Ok(LicenseDetails {
            license,
            product,
            features: Vec::new(),
        })
    }

    /// The company's license with this id.
    pub async fn license(&self, id: LicenseId) -> ServiceResult<License> {
        self.store
            .license(self.company_id(), id)
            .await
            .map_err(license_not_found(id))
    }

    pub async fn license_details(&self, id: LicenseId) -> ServiceResult<LicenseDetails> {
        let license = self.license(id).await?;
        let product = self
            .store
            .product_by_id(self.company_id(), license.product_id)
            .await?;
        let features = self
            .store
            .license_features(self.company_id(), license.id)
            .await?;
        Ok(LicenseDetails {
            license,
            product,
            features,
        })
    }

    /// The company's licenses matching `query`, newest first.
    pub async fn licenses(
        &self,
        query: &LicenseQuery,
        page: Page,
    ) -> ServiceResult<Listing<License>> {
        let product_id = match &query.product {
            Some(code) => Some(self.product(code).await?.id),
            None => None,
        };
        let customer_id = match &query.customer {
            Some(email) => Some(self.customer_by_email("customer", email).await?.id),
            None => None,
        };
        let filter = LicenseFilter {
            product_id,
            customer_id,
            key_prefix: query.key_prefix.clone(),
            enabled: query.enabled,
        };
        Ok(self
            .store
            .licenses(self.company_id(), &filter, page)
            .await?)
    }

    pub async fn set_license_enabled(
        &self,
        id: LicenseId,
        enabled: bool,
    ) -> ServiceResult<License> {
        self.store
            .set_license_enabled(self.company_id(), id, enabled, self.change())
            .await
            .map_err(license_not_found(id))?;
        self.license(id).await
    }

    /// Deactivates every device of the license: all its activations are available again.
    pub async fn reset_license(&self, id: LicenseId) -> ServiceResult<License> {
        self.store
            .reset_license(self.company_id(), id, self.change())
            .await
            .map_err(license_not_found(id))?;
        self.license(id).await
    }

    /// Sets a new end of validity (renews or extends a subscription or time-limited license).
    pub async fn renew_license(
        &self,
        id: LicenseId,
        valid_until: DateTime<Utc>,
    ) -> ServiceResult<License> {
        let license = self.license(id).await?;
        if license.license_type == LicenseType::Perpetual {
            return Err(ServiceError::invalid(
                "validity_period",
                "a perpetual license has no validity to renew",
            ));
        }
        let mut update = LicenseUpdate::new(license.id);
        update.changes.push((
            LicenseColumn::ValidityPeriod,
            ColumnValue::Time(Some(valid_until)),
        ));
        self.apply_updates(vec![update]).await?;
        self.license(id).await
    }

    /// Grants one of the product's features to the license, with its own limits.
    pub async fn add_license_feature(
        &self,
        id: LicenseId,
        feature_code: &str,
        expiry_date: Option<DateTime<Utc>>,
        consumption: &ConsumptionTerms,
        floating: &FloatingTerms,
    ) -> ServiceResult<LicenseFeature> {
        let license = self.license(id).await?;
        let product_feature = self
            .store
            .product_features(self.company_id(), license.product_id)
            .await?
            .into_iter()
            .find(|f| f.code == feature_code)
            .ok_or_else(|| {
                ServiceError::NotFound(format!("feature {feature_code} on the license's product"))
            })?;
        let feature = NewLicenseFeature {
            license_id: license.id,
            product_feature_id: product_feature.id,
            expiry_date,
            floating: floating.columns()?,
            consumption: consumption.columns()?,
        };
        self.store
            .add_license_feature(self.company_id(), feature, self.change())
            .await
            .map_err(license_not_found(id))
    }

    /// Gives a license user a place on a user-based license.
    pub async fn assign_license_user(
        &self,
        id: LicenseId,
        user_email: &str,
        max_activations: i64,
        unlimited_activations: bool,
    ) -> ServiceResult<(LicenseUser, Assignment)> {
        let license = self.license(id).await?;
        if max_activations < 0 {
            return Err(ServiceError::invalid(
                "max_activations",
                "must not be negative",
            ));
        }
        let user = self.license_user(user_email).await?;
        let assignment = Assignment {
            license_id: license.id,
            license_user_id: user.id,
            max_activations,
            allow_unlimited_activations: unlimited_activations,
            total_activations: 0,
        };
        self.store
            .assign_license_user(self.company_id(), assignment, self.change())
            .await
            .map_err(license_not_found(id))?;
        Ok((user, assignment))
    }
}
