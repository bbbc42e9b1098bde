//! The demo data `latch serve --demo` creates on an empty database.

use std::path::{Path, PathBuf};

use chrono::Utc;
use latch_domain::LicenseType;
use latch_store::{ApiKey, Company, License, Product};

use crate::{LicenseTerms, ProductSpec, Service, ServiceError, ServiceResult};

/// What the demo created; its secrets are shown only now.
#[derive(Debug)]
pub struct Demo {
    pub company: Company,
    pub api_key: ApiKey,
    pub product: Product,
    pub licenses: Vec<License>,
    /// Where the company's public key PEM was written, for the SDKs.
    pub public_key_path: PathBuf,
}

impl Service {
    /// On an empty database, a demo company, a product `demo` with trials, a perpetual license for three
    /// devices and a one-year time-limited license for one; `None` when the database has data.
    pub async fn create_demo(&self, data_dir: &Path) -> ServiceResult<Option<Demo>> {
        if self.store.company_count().await? > 0 {
            return Ok(None);
        }
        let created = self.create_company("Demo Company").await?;
        let tenant = self.tenant(created.company.id).await?;
        let product = tenant
            .create_product(ProductSpec {
                code: "demo".into(),
                name: "Demo Product".into(),
                allow_trial: true,
                trial_days: 14,
                ..ProductSpec::default()
            })
            .await?;
        let perpetual = LicenseTerms {
            max_activations: 3,
            ..LicenseTerms::default()
        };
        let time_limited = LicenseTerms {
            license_type: LicenseType::TimeLimited,
            valid_until: Some(Utc::now() + chrono::Duration::days(365)),
            ..LicenseTerms::default()
        };
        let mut licenses = Vec::new();
        for terms in [perpetual, time_limited] {
            licenses.push(tenant.issue_license(&product.code, terms).await?.license);
        }
        let public_key_path = data_dir.join("demo-public-key.pem");
        std::fs::write(&public_key_path, &created.company.public_key_pem)
            .map_err(|source| ServiceError::io("write", &public_key_path, source))?;
        Ok(Some(Demo {
            company: created.company,
            api_key: created.api_key,
            product,
            licenses,
            public_key_path,
        }))
    }
}
