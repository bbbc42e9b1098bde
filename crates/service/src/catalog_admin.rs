//! What vendors manage beyond licenses, as the Management API offers it: devices and their variables,
//! products, product features, installation files (releases) and custom fields. Values are checked
//! here; each change is recorded in the event log as made by the tenant's actor.

use chrono::{DateTime, Utc};
use latch_domain::{
    decide_device_use, ConsumptionPeriod, DeviceId, DomainError, LicenseId, ProductFeatureId,
    ProductId, ReleaseId,
};
use latch_store::query::ListQuery;
use latch_store::{
    AuthorizationMethod, DeviceBorrow, DeviceRecord, DeviceVariable, FeatureDefaults, FeatureType,
    FeatureValues, LicenseCustomField, Listing, NewRelease, Page, ProductChanges,
    ProductCustomField, ProductFeatureRecord, ProductRecord, Release, StoreError,
};

use crate::products::ReleaseSpec;
use crate::terms::{require_code, validate_metadata};
use crate::{ServiceError, ServiceResult, Tenant};

/// The environments an installation file can be for (LicenseSpring's list); empty: every one.
pub const ENVIRONMENTS: &[&str] = &[
    "win", "win32", "win64", "mac", "linux", "linux32", "linux64",
];

/// The types a custom field's value can have.
pub const CUSTOM_FIELD_TYPES: &[&str] = &["number", "text", "date/time"];

/// Changes to a product; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProductUpdate {
    pub name: Option<String>,
    /// `license-key` or `user`.
    pub authorization_method: Option<String>,
    pub prevent_vm: Option<bool>,
    pub allow_trial: Option<bool>,
    pub trial_days: Option<i64>,
    /// Minutes.
    pub floating_timeout: Option<i64>,
    /// A JSON object.
    pub metadata: Option<String>,
    pub is_archived: Option<bool>,
}

/// A product feature's settings as a vendor writes them; `None` keeps the current value (or the
/// default, on creation).
#[derive(Debug, Clone, Default)]
pub struct FeatureUpdate {
    pub code: Option<String>,
    pub name: Option<String>,
    /// `activation` or `consumption`.
    pub feature_type: Option<String>,
    pub metadata: Option<String>,
    pub max_consumption: Option<i64>,
    pub allow_unlimited_consumptions: Option<bool>,
    pub allow_overages: Option<bool>,
    pub max_overages: Option<i64>,
    pub reset_consumption: Option<bool>,
    /// `daily`, `weekly`, `monthly`, `annually`; `Some(None)` clears it.
    pub consumption_period: Option<Option<String>>,
    pub is_floating: Option<bool>,
    pub is_floating_cloud: Option<bool>,
    pub floating_users: Option<i64>,
    pub floating_timeout: Option<i64>,
}

/// Changes to an installation file; `None` keeps the current value, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ReleaseUpdate {
    pub version: Option<String>,
    pub url: Option<String>,
    pub channel: Option<String>,
    pub environment: Option<String>,
    pub hash_md5: Option<Option<String>>,
    pub size: Option<Option<String>>,
    pub eula_link: Option<Option<String>>,
    pub release_notes_link: Option<Option<String>>,
    pub requires_version: Option<Option<String>>,
    pub release_date: Option<Option<DateTime<Utc>>>,
    pub enabled: Option<bool>,
}

/// Changes to a product custom field; `None` keeps the current value, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CustomFieldUpdate {
    pub name: Option<String>,
    pub data_type: Option<Option<String>>,
    pub default_value: Option<String>,
    pub description: Option<Option<String>>,
}

/// Django REST Framework's words for a related id that names nothing.
fn no_such(field: &'static str, id: i64) -> ServiceError {
    ServiceError::invalid(
        field,
        format!("Invalid pk \"{id}\" - object does not exist."),
    )
}

/// A store's "not found" as an invalid related id in a body.
fn related(field: &'static str, id: i64) -> impl FnOnce(StoreError) -> ServiceError {
    move |error| match error {
        StoreError::NotFound(_) | StoreError::UnknownProduct | StoreError::LicenseNotFound => {
            no_such(field, id)
        }
        other => other.into(),
    }
}

fn not_negative(field: &'static str, value: i64) -> ServiceResult<i64> {
    if value < 0 {
        return Err(ServiceError::invalid(field, "must not be negative"));
    }
    Ok(value)
}

fn not_blank(field: &'static str, value: String) -> ServiceResult<String> {
    if value.trim().is_empty() {
        return Err(ServiceError::invalid(field, "This field may not be blank."));
    }
    Ok(value)
}

/// Whether an `authorization_method` (`license-key` or `user`) makes a product user-based.
pub fn is_user_based(text: &str) -> ServiceResult<bool> {
    Ok(authorization_method(text)? == AuthorizationMethod::User)
}

fn authorization_method(text: &str) -> ServiceResult<AuthorizationMethod> {
    AuthorizationMethod::parse(text).ok_or_else(|| {
        ServiceError::invalid(
            "authorization_method",
            format!("\"{text}\" is not a valid choice; use license-key or user."),
        )
    })
}

fn feature_type(text: &str) -> ServiceResult<FeatureType> {
    FeatureType::parse(text).ok_or_else(|| {
        ServiceError::invalid(
            "feature_type",
            format!("\"{text}\" is not a valid choice; use activation or consumption."),
        )
    })
}

/// A consumption period; `null` (as text too, which LicenseSpring's examples send) or empty is none.
fn consumption_period(text: Option<&str>) -> ServiceResult<Option<ConsumptionPeriod>> {
    match text {
        None | Some("" | "null") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ServiceError::invalid(
                "consumption_period",
                format!(
                    "\"{text}\" is not a valid choice; use daily, weekly, monthly or annually."
                ),
            )
        }),
    }
}

fn custom_field_type(data_type: Option<String>) -> ServiceResult<Option<String>> {
    match data_type {
        Some(text) if !CUSTOM_FIELD_TYPES.contains(&text.as_str()) => Err(ServiceError::invalid(
            "data_type",
            format!("\"{text}\" is not a valid choice; use number, text or date/time."),
        )),
        other => Ok(other),
    }
}

/// A release's values checked: a version, a known environment, an MD5 of 32 hex digits, a size
/// of digits.
fn checked_release(release: NewRelease) -> ServiceResult<NewRelease> {
    if release.version.trim().is_empty() {
        return Err(ServiceError::invalid("version", "must not be empty"));
    }
    if !release.environment.is_empty() && !ENVIRONMENTS.contains(&release.environment.as_str()) {
        return Err(ServiceError::invalid(
            "environment",
            format!(
                "\"{}\" is not a valid choice; use one of {}.",
                release.environment,
                ENVIRONMENTS.join(", ")
            ),
        ));
    }
    if let Some(hash) = &release.hash_md5 {
        if hash.len() != 32 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ServiceError::invalid(
                "hash_md5",
                "must be an MD5 hash: 32 hexadecimal digits",
            ));
        }
    }
    if let Some(size) = &release.size {
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ServiceError::invalid("size", "must be a number of bytes"));
        }
    }
    Ok(release)
}

impl FeatureUpdate {
    /// The feature's values after this update.
    fn apply(self, mut values: FeatureValues) -> ServiceResult<FeatureValues> {
        if let Some(code) = self.code {
            require_code("code", &code)?;
            values.code = code;
        }
        if let Some(name) = self.name {
            values.name = not_blank("name", name)?;
        }
        if let Some(text) = self.feature_type {
            values.feature_type = feature_type(&text)?;
        }
        if let Some(text) = self.metadata {
            values.metadata = validate_metadata(&text)?;
        }
        let defaults = &mut values.defaults;
        if let Some(max) = self.max_consumption {
            defaults.max_consumption = not_negative("max_consumption", max)?;
        }
        if let Some(max) = self.max_overages {
            defaults.max_overages = not_negative("max_overages", max)?;
        }
        if let Some(users) = self.floating_users {
            defaults.floating_users = not_negative("floating_users", users)?;
        }
        if let Some(minutes) = self.floating_timeout {
            defaults.floating_timeout = not_negative("floating_timeout", minutes)?;
        }
        if let Some(period) = self.consumption_period {
            defaults.consumption_period = consumption_period(period.as_deref())?;
        }
        let flags = [
            (
                self.allow_unlimited_consumptions,
                &mut defaults.allow_unlimited_consumptions,
            ),
            (self.allow_overages, &mut defaults.allow_overages),
            (self.reset_consumption, &mut defaults.reset_consumption),
            (self.is_floating, &mut defaults.is_floating),
            (self.is_floating_cloud, &mut defaults.is_floating_cloud),
        ];
        for (given, flag) in flags {
            if let Some(given) = given {
                *flag = given;
            }
        }
        Ok(values)
    }
}

impl Tenant<'_> {
    pub async fn devices_matching(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<DeviceRecord>> {
        Ok(self
            .store
            .list_devices(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn device_record(&self, device: DeviceId) -> ServiceResult<DeviceRecord> {
        Ok(self.store.device_record(self.company_id(), device).await?)
    }

    /// Deactivates the device and frees its activation: another device may take it.
    pub async fn reset_device(&self, device: DeviceId) -> ServiceResult<()> {
        Ok(self
            .store
            .reset_device(self.company_id(), device, &self.actor, Utc::now())
            .await?)
    }

    /// Blacklists the device: its activation is freed and the License API refuses it from now on.
    pub async fn blacklist_device_by_id(&self, device: DeviceId) -> ServiceResult<()> {
        Ok(self
            .store
            .blacklist_device_by_id(self.company_id(), device, &self.actor, Utc::now())
            .await?)
    }

    /// Borrows the license's floating seat for the device until `until` (None: releases the
    /// borrow), under the License API's rules for the device and for borrowing.
    pub async fn borrow_device(
        &self,
        device: DeviceId,
        until: Option<DateTime<Utc>>,
    ) -> ServiceResult<DeviceBorrow> {
        self.store
            .borrow_device(
                self.company_id(),
                device,
                until,
                &decide_device_use,
                &self.actor,
                Utc::now(),
            )
            .await
            .map_err(|error| match error {
                StoreError::Rejected(
                    refused @ (DomainError::BorrowNotAllowed | DomainError::BorrowUntilNotValid),
                ) => ServiceError::invalid("borrowed_until", refused.to_string()),
                other => other.into(),
            })
    }

    pub async fn device_variables(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<DeviceVariable>> {
        Ok(self
            .store
            .list_device_variables(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn device_variable(&self, id: i64) -> ServiceResult<DeviceVariable> {
        Ok(self.store.device_variable(self.company_id(), id).await?)
    }

    pub async fn create_device_variable(
        &self,
        device: DeviceId,
        name: String,
        value: String,
    ) -> ServiceResult<DeviceVariable> {
        let name = not_blank("variable", name)?;
        self.store
            .create_device_variable(
                self.company_id(),
                device,
                &name,
                &value,
                &self.actor,
                Utc::now(),
            )
            .await
            .map_err(related("device", device.get()))
    }

    pub async fn update_device_variable(
        &self,
        id: i64,
        name: Option<String>,
        value: Option<String>,
    ) -> ServiceResult<DeviceVariable> {
        let current = self.device_variable(id).await?;
        let name = not_blank("variable", name.unwrap_or(current.name))?;
        let value = value.unwrap_or(current.value);
        Ok(self
            .store
            .update_device_variable(
                self.company_id(),
                id,
                &name,
                &value,
                &self.actor,
                Utc::now(),
            )
            .await?)
    }

    pub async fn delete_device_variable(&self, id: i64) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_device_variable(self.company_id(), id, &self.actor, Utc::now())
            .await?)
    }

    pub async fn products_matching(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<ProductRecord>> {
        Ok(self
            .store
            .list_products(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn product_record(&self, product: ProductId) -> ServiceResult<ProductRecord> {
        Ok(self
            .store
            .product_record(self.company_id(), product)
            .await?)
    }

    pub async fn update_product(
        &self,
        product: ProductId,
        update: ProductUpdate,
    ) -> ServiceResult<ProductRecord> {
        let current = self.product_record(product).await?;
        let changes = ProductChanges {
            name: match update.name {
                Some(name) => not_blank("product_name", name)?,
                None => current.product.name,
            },
            authorization_method: match update.authorization_method {
                Some(text) => authorization_method(&text)?,
                None => current.product.authorization_method,
            },
            prevent_vm: update.prevent_vm.unwrap_or(current.product.prevent_vm),
            allow_trial: update.allow_trial.unwrap_or(current.product.allow_trial),
            trial_days: not_negative(
                "trial_days",
                update.trial_days.unwrap_or(current.product.trial_days),
            )?,
            floating_timeout: not_negative(
                "floating_timeout",
                update
                    .floating_timeout
                    .unwrap_or(current.product.floating_timeout),
            )?,
            metadata: match update.metadata {
                Some(text) => validate_metadata(&text)?,
                None => current.product.metadata,
            },
            is_archived: update.is_archived.unwrap_or(current.is_archived),
        };
        Ok(self
            .store
            .update_product(
                self.company_id(),
                product,
                &changes,
                &self.actor,
                Utc::now(),
            )
            .await?)
    }

    pub async fn product_features_matching(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<ProductFeatureRecord>> {
        Ok(self
            .store
            .list_product_features(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn product_feature(
        &self,
        feature: ProductFeatureId,
    ) -> ServiceResult<ProductFeatureRecord> {
        Ok(self
            .store
            .product_feature(self.company_id(), feature)
            .await?)
    }

    /// Adds a feature to a product, with `settings` over the default limits.
    pub async fn create_product_feature(
        &self,
        product: ProductId,
        code: String,
        name: String,
        kind: &str,
        settings: FeatureUpdate,
    ) -> ServiceResult<ProductFeatureRecord> {
        require_code("code", &code)?;
        let values = settings.apply(FeatureValues {
            product_id: product,
            code,
            name: not_blank("name", name)?,
            feature_type: feature_type(kind)?,
            metadata: "{}".to_owned(),
            defaults: FeatureDefaults::default(),
        })?;
        self.store
            .insert_product_feature(self.company_id(), &values, &self.actor, Utc::now())
            .await
            .map_err(related("product", product.get()))
    }

    pub async fn update_product_feature(
        &self,
        feature: ProductFeatureId,
        update: FeatureUpdate,
    ) -> ServiceResult<ProductFeatureRecord> {
        let current = self.product_feature(feature).await?;
        let values = update.apply(FeatureValues {
            product_id: current.feature.product_id,
            code: current.feature.code,
            name: current.feature.name,
            feature_type: current.feature.feature_type,
            metadata: current.feature.metadata,
            defaults: current.defaults,
        })?;
        Ok(self
            .store
            .update_product_feature(self.company_id(), feature, &values, &self.actor, Utc::now())
            .await?)
    }

    /// Deletes a feature that no license holds.
    pub async fn delete_product_feature(&self, feature: ProductFeatureId) -> ServiceResult<()> {
        let deleted = self
            .store
            .delete_product_feature(self.company_id(), feature, &self.actor, Utc::now())
            .await?;
        if !deleted {
            return Err(ServiceError::invalid(
                "non_field_errors",
                "Licenses hold this feature; remove it from them first.",
            ));
        }
        Ok(())
    }

    pub async fn releases_matching(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<Release>> {
        Ok(self
            .store
            .list_releases(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn release(&self, release: ReleaseId) -> ServiceResult<Release> {
        Ok(self.store.release(self.company_id(), release).await?)
    }

    /// Adds an installation file (a release) to a product.
    pub async fn create_release(
        &self,
        product: ProductId,
        spec: ReleaseSpec,
    ) -> ServiceResult<Release> {
        let release = checked_release(NewRelease {
            product_id: product,
            version: spec.version,
            channel: spec.channel,
            environment: spec.environment,
            installation_file: spec.url,
            hash_md5: spec.hash_md5,
            size: spec.size,
            eula_link: spec.eula_link,
            release_notes_link: spec.release_notes_link,
            requires_version: spec.requires_version,
            release_date: spec.release_date,
        })?;
        self.store
            .insert_release(self.company_id(), &release, &self.actor, Utc::now())
            .await
            .map_err(related("product", product.get()))
    }

    pub async fn update_release(
        &self,
        release: ReleaseId,
        update: ReleaseUpdate,
    ) -> ServiceResult<Release> {
        let current = self.release(release).await?;
        let values = checked_release(NewRelease {
            product_id: current.product_id,
            version: update.version.unwrap_or(current.version),
            channel: update.channel.unwrap_or(current.channel),
            environment: update.environment.unwrap_or(current.environment),
            installation_file: update.url.unwrap_or(current.installation_file),
            hash_md5: update.hash_md5.unwrap_or(current.hash_md5),
            size: update.size.unwrap_or(current.size),
            eula_link: update.eula_link.unwrap_or(current.eula_link),
            release_notes_link: update
                .release_notes_link
                .unwrap_or(current.release_notes_link),
            requires_version: update.requires_version.unwrap_or(current.requires_version),
            release_date: update.release_date.unwrap_or(current.release_date),
        })?;
        let enabled = update.enabled.unwrap_or(current.enabled);
        Ok(self
            .store
            .update_release(
                self.company_id(),
                release,
                &values,
                enabled,
                &self.actor,
                Utc::now(),
            )
            .await?)
    }

    pub async fn delete_release(&self, release: ReleaseId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_release(self.company_id(), release, &self.actor, Utc::now())
            .await?)
    }

    pub async fn product_custom_fields(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<ProductCustomField>> {
        Ok(self
            .store
            .list_product_custom_fields(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn product_custom_field(&self, id: i64) -> ServiceResult<ProductCustomField> {
        Ok(self
            .store
            .product_custom_field(self.company_id(), id)
            .await?)
    }

    /// Defines a custom field on a product, with the value its licenses show by default.
    pub async fn create_product_custom_field(
        &self,
        product: ProductId,
        name: String,
        default_value: String,
        data_type: Option<String>,
        description: Option<String>,
    ) -> ServiceResult<ProductCustomField> {
        let field = ProductCustomField {
            id: 0,
            product_id: product,
            name: not_blank("name", name)?,
            data_type: custom_field_type(data_type)?,
            default_value,
            description,
        };
        self.store
            .save_product_custom_field(self.company_id(), None, &field, &self.actor, Utc::now())
            .await
            .map_err(related("product", product.get()))
    }

    pub async fn update_product_custom_field(
        &self,
        id: i64,
        update: CustomFieldUpdate,
    ) -> ServiceResult<ProductCustomField> {
        let current = self.product_custom_field(id).await?;
        let field = ProductCustomField {
            name: not_blank("name", update.name.unwrap_or(current.name))?,
            data_type: custom_field_type(update.data_type.unwrap_or(current.data_type))?,
            default_value: update.default_value.unwrap_or(current.default_value),
            description: update.description.unwrap_or(current.description),
            ..current
        };
        Ok(self
            .store
            .save_product_custom_field(self.company_id(), Some(id), &field, &self.actor, Utc::now())
            .await?)
    }

    /// Deletes a product custom field with every license's value of it.
    pub async fn delete_product_custom_field(&self, id: i64) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_product_custom_field(self.company_id(), id, &self.actor, Utc::now())
            .await?)
    }

    pub async fn license_custom_fields(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<LicenseCustomField>> {
        Ok(self
            .store
            .list_license_custom_fields(self.company_id(), list_query, page)
            .await?)
    }

    pub async fn license_custom_field(&self, id: i64) -> ServiceResult<LicenseCustomField> {
        Ok(self
            .store
            .license_custom_field(self.company_id(), id)
            .await?)
    }

    /// Sets a license's own value of one of its product's custom fields.
    pub async fn create_license_custom_field(
        &self,
        license: LicenseId,
        product_custom_field: i64,
        value: String,
    ) -> ServiceResult<LicenseCustomField> {
        let company = self.company_id();
        let held = self
            .store
            .license(company, license)
            .await
            .map_err(related("license", license.get()))?;
        let field = self
            .store
            .product_custom_field(company, product_custom_field)
            .await
            .map_err(related("product_custom_field", product_custom_field))?;
        if field.product_id != held.product_id {
            return Err(ServiceError::invalid(
                "product_custom_field",
                "The field belongs to another product than the license's.",
            ));
        }
        let value = LicenseCustomField {
            id: 0,
            license_id: license,
            product_custom_field_id: product_custom_field,
            value,
        };
        Ok(self
            .store
            .create_license_custom_field(company, &value, &self.actor, Utc::now())
            .await?)
    }

    pub async fn update_license_custom_field(
        &self,
        id: i64,
        value: String,
    ) -> ServiceResult<LicenseCustomField> {
        Ok(self
            .store
            .update_license_custom_field(self.company_id(), id, &value, &self.actor, Utc::now())
            .await?)
    }

    pub async fn delete_license_custom_field(&self, id: i64) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_license_custom_field(self.company_id(), id, &self.actor, Utc::now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(environment: &str, hash: Option<&str>) -> ServiceResult<NewRelease> {
        checked_release(NewRelease {
            product_id: ProductId::new(1),
            version: "1.0".into(),
            channel: String::new(),
            environment: environment.into(),
            installation_file: "https://example.com/app".into(),
            hash_md5: hash.map(Into::into),
            size: None,
            eula_link: None,
            release_notes_link: None,
            requires_version: None,
            release_date: None,
        })
    }

    fn refused_field(result: ServiceResult<NewRelease>) -> &'static str {
        match result {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn an_installation_file_needs_a_known_environment_and_an_md5() {
        assert!(release("win64", Some("d41d8cd98f00b204e9800998ecf8427e")).is_ok());
        assert!(release("", None).is_ok());
        assert_eq!(refused_field(release("windows", None)), "environment");
        assert_eq!(refused_field(release("mac", Some("abc"))), "hash_md5");
        assert_eq!(
            refused_field(release("mac", Some("g41d8cd98f00b204e9800998ecf8427e"))),
            "hash_md5"
        );
    }

    #[test]
    fn a_null_consumption_period_is_none_even_as_text() {
        assert_eq!(consumption_period(Some("null")).unwrap(), None);
        assert_eq!(
            consumption_period(Some("weekly")).unwrap(),
            Some(ConsumptionPeriod::Weekly)
        );
        assert!(consumption_period(Some("hourly")).is_err());
    }

    #[test]
    fn a_feature_update_keeps_what_it_does_not_name() {
        let values = FeatureValues {
            product_id: ProductId::new(1),
            code: "f".into(),
            name: "F".into(),
            feature_type: FeatureType::Activation,
            metadata: "{}".into(),
            defaults: FeatureDefaults {
                max_consumption: 5,
                ..Default::default()
            },
        };
        let updated = FeatureUpdate {
            allow_overages: Some(true),
            ..Default::default()
        }
        .apply(values)
        .unwrap();
        assert_eq!(updated.code, "f");
        assert_eq!(updated.defaults.max_consumption, 5);
        assert!(updated.defaults.allow_overages);
    }
}
