//! Licenses as the Management API manages them: whole records, partial updates with their rules,
//! features set wholesale, users on a license and floating seats. Every change records its event.

use chrono::{DateTime, Months, Utc};
use latch_domain::{
    ConsumptionPeriod, DeviceId, LicenseFeatureId, LicenseId, LicenseType, LicenseUserId,
    ProductFeatureId,
};
use latch_store::query::ListQuery;
use latch_store::{
    ColumnValue, ConsumptionColumns, FeatureGrant, FloatingColumns, License, LicenseColumn,
    LicenseFeature, LicenseRecord, LicenseUpdate, LicenseUser, Listing, Page, SeatHolder,
    StoreError, UserActivationsChange,
};

use crate::licenses::license_not_found;
use crate::terms::validate_metadata;
use crate::users::LicenseUserSpec;
use crate::{ServiceError, ServiceResult, Tenant};

/// A partial change of a license, as PATCH and bulk updates send it: `None` leaves a value as it is;
/// for nullable values `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct LicensePatch {
    pub max_activations: Option<i64>,
    pub allow_unlimited_activations: Option<bool>,
    pub max_consumptions: Option<i64>,
    pub total_consumptions: Option<i64>,
    pub allow_overages: Option<bool>,
    pub max_overages: Option<i64>,
    pub reset_consumption: Option<bool>,
    pub consumption_period: Option<Option<String>>,
    pub is_trial: Option<bool>,
    /// A trial's length in days: its validity ends that many days from now.
    pub trial_days: Option<i64>,
    pub enable_maintenance_period: Option<bool>,
    /// `<n>d`, `<n>m` or `<n>y` from now.
    pub maintenance_duration: Option<String>,
    pub maintenance_period: Option<Option<DateTime<Utc>>>,
    pub is_floating_cloud: Option<bool>,
    pub floating_users: Option<i64>,
    pub floating_timeout: Option<i64>,
    /// `<n>d`, `<n>m` or `<n>y` from now.
    pub valid_duration: Option<String>,
    pub validity_period: Option<Option<DateTime<Utc>>>,
    pub start_date: Option<Option<DateTime<Utc>>>,
    pub prevent_vm: Option<bool>,
    pub note: Option<String>,
    pub max_license_users: Option<i64>,
    pub max_transfers: Option<i64>,
    pub order: Option<Option<i64>>,
    /// A JSON object.
    pub metadata: Option<String>,
    pub allow_grace_period: Option<bool>,
    pub grace_period: Option<i64>,
}

/// The end of a duration `<n>d`, `<n>w`, `<n>m` or `<n>y` that starts at `from`.
pub fn duration_end(text: &str, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let count: u32 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    match unit.to_ascii_lowercase() {
        'd' => from.checked_add_signed(chrono::Duration::days(count.into())),
        'w' => from.checked_add_signed(chrono::Duration::weeks(count.into())),
        'm' => from.checked_add_months(Months::new(count)),
        'y' => from.checked_add_months(Months::new(count.checked_mul(12)?)),
        _ => None,
    }
}

/// A consumption period as the Management API spells it (`annualy` too, as its license pages do).
fn parse_period(text: &str) -> Option<ConsumptionPeriod> {
    match text {
        "annualy" => Some(ConsumptionPeriod::Annually),
        other => other.parse().ok(),
    }
}

/// Field errors collected while reading a request, so all of them are answered at once.
#[derive(Default)]
struct Refusals(Vec<(&'static str, String)>);

impl Refusals {
    fn refuse(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    fn not_negative(&mut self, field: &'static str, value: Option<i64>) {
        if value.is_some_and(|value| value < 0) {
            self.refuse(field, "Ensure this value is greater than or equal to 0.");
        }
    }

    fn into_result<T>(self, value: T) -> ServiceResult<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ServiceError::InvalidFields(self.0))
        }
    }
}

impl LicensePatch {
    /// The column changes this patch makes to `license`, or every field it cannot take.
    pub fn changes(
        &self,
        license: &License,
        now: DateTime<Utc>,
    ) -> ServiceResult<Vec<(LicenseColumn, ColumnValue)>> {
        use ColumnValue::{Bool, Int, Text, Time};
        use LicenseColumn as C;
        let mut refusals = Refusals::default();
        let mut changes = Vec::new();
        for (field, value) in [
            ("max_activations", self.max_activations),
            ("max_consumptions", self.max_consumptions),
            ("total_consumptions", self.total_consumptions),
            ("max_overages", self.max_overages),
            ("max_license_users", self.max_license_users),
            ("max_transfers", self.max_transfers),
            ("grace_period", self.grace_period),
        ] {
            refusals.not_negative(field, value);
        }
        for (column, value) in [
            (C::MaxActivations, self.max_activations),
            (C::MaxConsumptions, self.max_consumptions),
            (C::TotalConsumptions, self.total_consumptions),
            (C::MaxOverages, self.max_overages),
            (C::MaxLicenseUsers, self.max_license_users),
            (C::MaxTransfers, self.max_transfers),
            (C::GracePeriod, self.grace_period),
        ] {
            if let Some(value) = value {
                changes.push((column, Int(Some(value))));
            }
        }
        for (column, value) in [
            (
                C::AllowUnlimitedActivations,
                self.allow_unlimited_activations,
            ),
            (C::AllowOverages, self.allow_overages),
            (C::ResetConsumption, self.reset_consumption),
            (C::IsTrial, self.is_trial),
            (C::PreventVm, self.prevent_vm),
            (C::AllowGracePeriod, self.allow_grace_period),
        ] {
            if let Some(value) = value {
                changes.push((column, Bool(value)));
            }
        }
        if let Some(period) = &self.consumption_period {
            match period.as_deref().map(parse_period) {
                Some(None) => refusals.refuse(
                    "consumption_period",
                    "Choose daily, weekly, monthly or annually.",
                ),
                parsed => changes.push((
                    C::ConsumptionPeriod,
                    Text(parsed.flatten().map(|period| period.as_str().to_owned())),
                )),
            }
        }
        if let Some(note) = &self.note {
            changes.push((C::Note, Text(Some(note.clone()))));
        }
        if let Some(order) = self.order {
            changes.push((C::OrderId, Int(order)));
        }
        if let Some(start) = self.start_date {
            changes.push((C::StartDate, Time(start)));
        }
        if let Some(metadata) = &self.metadata {
            match validate_metadata(metadata) {
                Ok(metadata) => changes.push((C::Metadata, Text(Some(metadata)))),
                Err(error) => refusals.refuse("metadata", error.to_string()),
            }
        }
        self.validity(license, now, &mut refusals, &mut changes);
        self.maintenance(now, &mut refusals, &mut changes);
        self.floating(license, &mut refusals, &mut changes);
        refusals.into_result(changes)
    }

    /// `valid_duration`, `validity_period` and `trial_days`: one new end of validity at most.
    fn validity(
        &self,
        license: &License,
        now: DateTime<Utc>,
        refusals: &mut Refusals,
        changes: &mut Vec<(LicenseColumn, ColumnValue)>,
    ) {
        if self.valid_duration.is_some() && self.validity_period.is_some() {
            let message = "Send valid_duration or validity_period, not both.";
            refusals.refuse("valid_duration", message);
            refusals.refuse("validity_period", message);
            return;
        }
        if self.trial_days.is_some() && self.is_trial.is_none() {
            refusals.refuse("trial_days", "Send is_trial with trial_days.");
            return;
        }
        let (field, end) = match (&self.valid_duration, self.validity_period, self.trial_days) {
            (Some(duration), _, _) => match duration_end(duration, now) {
                Some(end) => ("valid_duration", Some(end)),
                None => {
                    refusals.refuse("valid_duration", "Enter a duration such as 35d, 4m or 2y.");
                    return;
                }
            },
            (None, Some(end), _) => ("validity_period", end),
            (None, None, Some(days)) if days < 1 => {
                refusals.refuse(
                    "trial_days",
                    "Ensure this value is greater than or equal to 1.",
                );
                return;
            }
            (None, None, Some(days)) => ("trial_days", Some(now + chrono::Duration::days(days))),
            (None, None, None) => return,
        };
        match (license.license_type, end) {
            (LicenseType::Perpetual, Some(_)) => {
                refusals.refuse(field, "A perpetual license has no end of validity.")
            }
            (LicenseType::TimeLimited | LicenseType::Subscription, None) => refusals.refuse(
                field,
                format!(
                    "A {} license needs an end of validity.",
                    license.license_type
                ),
            ),
            _ => changes.push((LicenseColumn::ValidityPeriod, ColumnValue::Time(end))),
        }
    }

    /// `enable_maintenance_period` with `maintenance_duration` or `maintenance_period`.
    fn maintenance(
        &self,
        now: DateTime<Utc>,
        refusals: &mut Refusals,
        changes: &mut Vec<(LicenseColumn, ColumnValue)>,
    ) {
        let given = [
            ("maintenance_duration", self.maintenance_duration.is_some()),
            ("maintenance_period", self.maintenance_period.is_some()),
        ];
        match self.enable_maintenance_period {
            None => {
                for (field, _) in given.iter().filter(|(_, sent)| *sent) {
                    refusals.refuse(field, "Send enable_maintenance_period with it.");
                }
            }
            Some(false) => {
                changes.push((LicenseColumn::MaintenancePeriod, ColumnValue::Time(None)))
            }
            Some(true) => {
                let end = match (&self.maintenance_duration, self.maintenance_period) {
                    (Some(_), Some(_)) => {
                        let message = "Send maintenance_duration or maintenance_period, not both.";
                        refusals.refuse("maintenance_duration", message);
                        refusals.refuse("maintenance_period", message);
                        return;
                    }
                    (Some(duration), None) => match duration_end(duration, now) {
                        Some(end) => end,
                        None => {
                            refusals.refuse(
                                "maintenance_duration",
                                "Enter a duration such as 35d, 4m or 2y.",
                            );
                            return;
                        }
                    },
                    (None, Some(Some(end))) => end,
                    (None, _) => {
                        refusals.refuse(
                            "enable_maintenance_period",
                            "Send maintenance_duration or maintenance_period with it.",
                        );
                        return;
                    }
                };
                changes.push((
                    LicenseColumn::MaintenancePeriod,
                    ColumnValue::Time(Some(end)),
                ));
            }
        }
    }

    /// Floating on or off, with enough seats and a timeout when on.
    fn floating(
        &self,
        license: &License,
        refusals: &mut Refusals,
        changes: &mut Vec<(LicenseColumn, ColumnValue)>,
    ) {
        let floating = self
            .is_floating_cloud
            .unwrap_or(license.floating.is_floating_cloud);
        if let Some(flag) = self.is_floating_cloud {
            changes.push((LicenseColumn::IsFloatingCloud, ColumnValue::Bool(flag)));
        }
        let users = self
            .floating_users
            .unwrap_or(license.floating.floating_users);
        if self.floating_users.is_some() || floating {
            if floating && users < 1 {
                refusals.refuse(
                    "floating_users",
                    "Ensure this value is greater than or equal to 1.",
                );
            } else if let Some(users) = self.floating_users {
                refusals.not_negative("floating_users", Some(users));
                changes.push((LicenseColumn::FloatingUsers, ColumnValue::Int(Some(users))));
            }
        }
        let timeout = match self.floating_timeout {
            Some(minutes) if minutes < 1 => {
                refusals.refuse(
                    "floating_timeout",
                    "Ensure this value is greater than or equal to 1.",
                );
                return;
            }
            Some(minutes) => Some(minutes),
            // A license turned floating needs a timeout: the one a new license gets.
            None if floating && license.floating.floating_timeout < 1 => Some(30),
            None => None,
        };
        if let Some(minutes) = timeout {
            changes.push((
                LicenseColumn::FloatingTimeout,
                ColumnValue::Int(Some(minutes)),
            ));
        }
    }
}

/// What `custom_bulk_reset` resets on each license.
#[derive(Debug, Clone, Copy, Default)]
pub struct LicenseReset {
    pub validity_period: bool,
    pub consumptions: bool,
    pub maintenance_period: bool,
    pub product_features: bool,
    pub custom_fields: bool,
    pub metadata: bool,
}

/// A feature's limits as `update_features` and `license-product-features` send them; `None` keeps the
/// feature's current value, or the default for a new grant.
#[derive(Debug, Clone, Default)]
pub struct FeaturePatch {
    pub max_consumption: Option<i64>,
    pub total_consumptions: Option<i64>,
    pub expiry_date: Option<Option<DateTime<Utc>>>,
    pub allow_overages: Option<bool>,
    pub max_overages: Option<i64>,
    pub reset_consumption: Option<bool>,
    pub consumption_period: Option<Option<String>>,
    pub allow_unlimited_consumptions: Option<bool>,
    pub allow_negative_consumptions: Option<bool>,
    pub is_floating_cloud: Option<bool>,
    pub floating_users: Option<i64>,
    pub floating_timeout: Option<i64>,
}

impl FeaturePatch {
    /// The grant of `product_feature_id` after this patch over `current` (none: a new grant).
    fn grant(
        &self,
        product_feature_id: ProductFeatureId,
        current: Option<&LicenseFeature>,
    ) -> ServiceResult<FeatureGrant> {
        let mut refusals = Refusals::default();
        for (field, value) in [
            ("max_consumption", self.max_consumption),
            ("total_consumptions", self.total_consumptions),
            ("max_overages", self.max_overages),
            ("floating_users", self.floating_users),
        ] {
            refusals.not_negative(field, value);
        }
        let consumption = current.map(|f| f.consumption.clone()).unwrap_or_default();
        let floating = current.map(|f| f.floating.clone()).unwrap_or_default();
        let period = match &self.consumption_period {
            None => consumption.consumption_period,
            Some(None) => None,
            Some(Some(text)) => parse_period(text).or_else(|| {
                refusals.refuse(
                    "consumption_period",
                    "Choose daily, weekly, monthly or annually.",
                );
                None
            }),
        };
        let is_floating_cloud = self.is_floating_cloud.unwrap_or(floating.is_floating_cloud);
        let floating_users = self.floating_users.unwrap_or(floating.floating_users);
        if is_floating_cloud && floating_users < 1 {
            refusals.refuse(
                "floating_users",
                "Ensure this value is greater than or equal to 1.",
            );
        }
        let floating_timeout = match self.floating_timeout {
            Some(minutes) => minutes,
            None if is_floating_cloud && floating.floating_timeout < 1 => 30,
            None => floating.floating_timeout,
        };
        if is_floating_cloud && floating_timeout < 1 {
            refusals.refuse(
                "floating_timeout",
                "Ensure this value is greater than or equal to 1.",
            );
        }
        let grant = FeatureGrant {
            product_feature_id,
            expiry_date: self
                .expiry_date
                .unwrap_or_else(|| current.and_then(|f| f.expiry_date)),
            floating: FloatingColumns {
                is_floating_cloud,
                floating_users,
                floating_timeout,
                ..floating
            },
            consumption: ConsumptionColumns {
                max_consumptions: self.max_consumption.unwrap_or(consumption.max_consumptions),
                total_consumptions: self
                    .total_consumptions
                    .unwrap_or(consumption.total_consumptions),
                allow_overages: self.allow_overages.unwrap_or(consumption.allow_overages),
                max_overages: self.max_overages.unwrap_or(consumption.max_overages),
                reset_consumption: self
                    .reset_consumption
                    .unwrap_or(consumption.reset_consumption),
                allow_unlimited_consumptions: self
                    .allow_unlimited_consumptions
                    .unwrap_or(consumption.allow_unlimited_consumptions),
                allow_negative_consumptions: self
                    .allow_negative_consumptions
                    .unwrap_or(consumption.allow_negative_consumptions),
                consumption_period: period,
                ..consumption
            },
        };
        refusals.into_result(grant)
    }
}

/// A user to place on a license (`assign_user`): found by e-mail, or created.
#[derive(Debug, Clone, Default)]
pub struct UserPlacement {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    /// A new user's password; generated when absent. An existing user keeps theirs.
    pub password: Option<String>,
    pub max_activations: Option<i64>,
}

/// A user placed on a license, and the password to hand over when the user is new.
#[derive(Debug)]
pub struct PlacedUser {
    pub user: LicenseUser,
    pub new_password: Option<String>,
}

impl Tenant<'_> {
    /// The company's license with this id, whole.
    pub async fn license_record(&self, id: LicenseId) -> ServiceResult<LicenseRecord> {
        self.store
            .license_records(self.company_id(), &[id], Utc::now())
            .await?
            .pop()
            .ok_or_else(|| ServiceError::NotFound(format!("license with id {id}")))
    }

    /// The company's licenses that match, whole, newest first unless ordered otherwise.
    pub async fn license_records(
        &self,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<LicenseRecord>> {
        let ids = self
            .store
            .license_ids(self.company_id(), list_query, page, None)
            .await?;
        let items = self
            .store
            .license_records(self.company_id(), &ids.items, Utc::now())
            .await?;
        Ok(Listing {
            total: ids.total,
            items,
        })
    }

    /// Applies every patch or none; a license not of the company is refused by its id.
    pub async fn patch_licenses(&self, patches: &[(LicenseId, LicensePatch)]) -> ServiceResult<()> {
        let now = Utc::now();
        let mut updates = Vec::with_capacity(patches.len());
        for (id, patch) in patches {
            let license = self.license(*id).await?;
            updates.push(LicenseUpdate {
                changes: patch.changes(&license, now)?,
                ..LicenseUpdate::new(*id)
            });
        }
        self.apply_updates(updates).await
    }

    /// Applies every update or none; one that sets a new validity also stores the v1 signatures its
    /// license's devices need for it.
    pub(crate) async fn apply_updates(&self, mut updates: Vec<LicenseUpdate>) -> ServiceResult<()> {
        self.sign_for_new_validity(&mut updates).await?;
        self.store
            .update_licenses(self.company_id(), &updates, &self.actor, Utc::now())
            .await
            .map_err(|error| match error {
                StoreError::NotFound("order") => {
                    ServiceError::invalid("order", "No order with this id.")
                }
                StoreError::LicenseNotFound => {
                    ServiceError::NotFound("license of the company".to_owned())
                }
                other => other.into(),
            })
    }

    /// Disables every license or none.
    pub async fn disable_licenses(&self, ids: &[LicenseId]) -> ServiceResult<()> {
        let updates: Vec<LicenseUpdate> = ids
            .iter()
            .map(|id| LicenseUpdate {
                changes: vec![(LicenseColumn::Enabled, ColumnValue::Bool(false))],
                ..LicenseUpdate::new(*id)
            })
            .collect();
        self.apply_updates(updates).await
    }

    /// Resets what `reset` names on every license, or on none.
    pub async fn reset_licenses(
        &self,
        ids: &[LicenseId],
        reset: LicenseReset,
    ) -> ServiceResult<()> {
        // Latch keeps no policy to take a license's original validity or maintenance from.
        let mut refusals = Refusals::default();
        if reset.validity_period {
            refusals.refuse(
                "reset_validity_period",
                "Latch has no license policy to reset the validity period from.",
            );
        }
        if reset.maintenance_period {
            refusals.refuse(
                "reset_maintenance_period",
                "Latch has no license policy to reset the maintenance period from.",
            );
        }
        refusals.into_result(())?;
        let now = Utc::now();
        let updates: Vec<LicenseUpdate> = ids
            .iter()
            .map(|id| {
                let mut update = LicenseUpdate::new(*id);
                if reset.consumptions {
                    update.changes = consumption_reset(now);
                    update.reset_feature_consumptions = true;
                }
                update.reset_feature_consumptions |= reset.product_features;
                update.reset_custom_fields = reset.custom_fields;
                if reset.metadata {
                    update.changes.push((
                        LicenseColumn::Metadata,
                        ColumnValue::Text(Some("{}".into())),
                    ));
                }
                update
            })
            .collect();
        self.apply_updates(updates).await
    }

    /// Sets the consumption counters of the license and its features back to zero.
    pub async fn reset_license_consumption(&self, id: LicenseId) -> ServiceResult<()> {
        let update = LicenseUpdate {
            changes: consumption_reset(Utc::now()),
            reset_feature_consumptions: true,
            ..LicenseUpdate::new(id)
        };
        self.apply_updates(vec![update]).await
    }

    /// Deletes the license with its devices, features, users' places and custom field values.
    pub async fn delete_license(&self, id: LicenseId) -> ServiceResult<()> {
        self.store
            .delete_license(self.company_id(), id, &self.actor, Utc::now())
            .await
            .map_err(license_not_found(id))
    }

    /// Makes the listed features (by code) the license's features; unlisted ones are deleted.
    pub async fn set_license_features(
        &self,
        id: LicenseId,
        features: &[(String, FeaturePatch)],
    ) -> ServiceResult<()> {
        let license = self.license(id).await?;
        let product_features = self
            .store
            .product_features(self.company_id(), license.product_id)
            .await?;
        let current = self.store.license_features(self.company_id(), id).await?;
        let mut grants = Vec::with_capacity(features.len());
        for (code, patch) in features {
            let product_feature = product_features
                .iter()
                .find(|feature| &feature.code == code)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "product_features",
                        format!("The license's product has no feature {code:?}."),
                    )
                })?;
            let existing = current
                .iter()
                .find(|feature| feature.feature.id == product_feature.id);
            grants.push(patch.grant(product_feature.id, existing)?);
        }
        self.store
            .replace_license_features(self.company_id(), id, &grants, &self.actor, Utc::now())
            .await
            .map_err(license_not_found(id))
    }

    /// Grants a product feature (by id) to the license.
    pub async fn grant_license_feature(
        &self,
        id: LicenseId,
        product_feature_id: ProductFeatureId,
        patch: &FeaturePatch,
    ) -> ServiceResult<LicenseFeature> {
        let grant = patch.grant(product_feature_id, None)?;
        self.store
            .grant_license_feature(self.company_id(), id, &grant, &self.actor, Utc::now())
            .await
            .map_err(|error| match error {
                StoreError::LicenseNotFound => {
                    ServiceError::invalid("license", "No license with this id.")
                }
                StoreError::UnknownFeature => ServiceError::invalid(
                    "product_feature",
                    "No feature with this id on the license's product.",
                ),
                other => other.into(),
            })
    }

    pub async fn license_feature(&self, id: LicenseFeatureId) -> ServiceResult<LicenseFeature> {
        Ok(self.store.license_feature(self.company_id(), id).await?)
    }

    /// Places a user on the license, creating the user when the e-mail is new.
    pub async fn place_license_user(
        &self,
        id: LicenseId,
        placement: UserPlacement,
    ) -> ServiceResult<PlacedUser> {
        self.license(id).await?;
        let (user, new_password) = match self
            .store
            .license_user(self.company_id(), placement.email.trim())
            .await?
        {
            Some(user) => (user, None),
            None => {
                let created = self
                    .create_license_user(LicenseUserSpec {
                        email: placement.email,
                        password: placement.password,
                        customer: None,
                        first_name: placement.first_name,
                        last_name: placement.last_name,
                        phone: placement.phone_number,
                    })
                    .await?;
                let password =
                    secrecy::ExposeSecret::expose_secret(&created.initial_password).to_owned();
                (created.user, Some(password))
            }
        };
        self.assign_license_user(
            id,
            &user.email,
            placement.max_activations.unwrap_or(1),
            false,
        )
        .await?;
        Ok(PlacedUser { user, new_password })
    }

    /// Takes a user (by id or e-mail) off the license; the user's devices on it are deactivated.
    pub async fn remove_license_user(
        &self,
        id: LicenseId,
        user_id: Option<LicenseUserId>,
        email: Option<&str>,
    ) -> ServiceResult<()> {
        let user_id = match (user_id, email) {
            (Some(user_id), _) => user_id,
            (None, Some(email)) => self.license_user(email).await?.id,
            (None, None) => {
                return Err(ServiceError::invalid(
                    "license_user_id",
                    "Send license_user_id or license_user_email.",
                ))
            }
        };
        self.store
            .unassign_license_user(self.company_id(), id, user_id, &self.actor, Utc::now())
            .await
            .map_err(license_not_found(id))
    }

    /// Sets users' activation limits on the license and resets their counts, all or none.
    pub async fn set_users_activations(
        &self,
        id: LicenseId,
        changes: &[UserActivationsChange],
    ) -> ServiceResult<()> {
        if changes
            .iter()
            .any(|change| change.max_activations.is_some_and(|max| max < 0))
        {
            return Err(ServiceError::invalid(
                "max_activations",
                "Ensure this value is greater than or equal to 0.",
            ));
        }
        self.store
            .set_users_activations(self.company_id(), id, changes, &self.actor, Utc::now())
            .await
            .map_err(license_not_found(id))
    }

    /// Devices holding a floating seat on the license or its features now.
    pub async fn floating_seats(&self, id: LicenseId) -> ServiceResult<Vec<SeatHolder>> {
        self.store
            .seat_holders(self.company_id(), id, Utc::now())
            .await
            .map_err(license_not_found(id))
    }

    /// Frees the seats a device holds on the license: another device may take them at once.
    pub async fn release_floating_seat(
        &self,
        id: LicenseId,
        device: DeviceId,
    ) -> ServiceResult<()> {
        self.store
            .release_seat(self.company_id(), id, device, &self.actor, Utc::now())
            .await
            .map_err(license_not_found(id))
    }
}

/// The license counter back to zero, its reset period starting now.
fn consumption_reset(now: DateTime<Utc>) -> Vec<(LicenseColumn, ColumnValue)> {
    vec![
        (LicenseColumn::TotalConsumptions, ColumnValue::Int(Some(0))),
        (
            LicenseColumn::ConsumptionResetAt,
            ColumnValue::Time(Some(now)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use latch_domain::{CompanyId, ProductId};
    use latch_store::NewLicense;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap()
    }

    fn license(license_type: LicenseType) -> License {
        let new = NewLicense::basic(CompanyId::new(1), ProductId::new(1), "K".into());
        License {
            id: LicenseId::new(1),
            company_id: new.company_id,
            product_id: new.product_id,
            customer_id: None,
            license_key: new.license_key,
            license_type,
            enabled: true,
            is_trial: false,
            prevent_vm: false,
            start_date: None,
            validity_period: None,
            grace_period: 0,
            allow_grace_period: false,
            maintenance_period: None,
            max_activations: 1,
            allow_unlimited_activations: false,
            times_activated: 0,
            released_slots: 0,
            transfer_count: 0,
            max_transfers: 0,
            max_license_users: 0,
            floating: FloatingColumns::default(),
            consumption: ConsumptionColumns::default(),
            metadata: "{}".into(),
            created_at: now(),
        }
    }

    fn refused(patch: LicensePatch, license_type: LicenseType) -> Vec<&'static str> {
        match patch.changes(&license(license_type), now()) {
            Err(ServiceError::InvalidFields(fields)) => {
                fields.into_iter().map(|(field, _)| field).collect()
            }
            other => panic!("expected refusals, got {other:?}"),
        }
    }

    #[test]
    fn durations_count_days_weeks_months_and_years() {
        let end = |text| duration_end(text, now()).map(|at| at.date_naive().to_string());
        assert_eq!(end("35d").as_deref(), Some("2026-03-07"));
        assert_eq!(end("2w").as_deref(), Some("2026-02-14"));
        assert_eq!(end("1m").as_deref(), Some("2026-02-28"));
        assert_eq!(end("2y").as_deref(), Some("2028-01-31"));
        for bad in ["", "d", "5", "5x", "-3d", "1.5m"] {
            assert_eq!(end(bad), None, "{bad}");
        }
    }

    #[test]
    fn valid_duration_and_validity_period_are_refused_together_by_name() {
        let patch = LicensePatch {
            valid_duration: Some("1y".into()),
            validity_period: Some(Some(now())),
            ..LicensePatch::default()
        };
        assert_eq!(
            refused(patch, LicenseType::TimeLimited),
            ["valid_duration", "validity_period"]
        );
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let patch = LicensePatch {
            max_activations: Some(-1),
            consumption_period: Some(Some("hourly".into())),
            maintenance_duration: Some("1y".into()),
            trial_days: Some(7),
            ..LicensePatch::default()
        };
        let mut fields = refused(patch, LicenseType::TimeLimited);
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "consumption_period",
                "maintenance_duration",
                "max_activations",
                "trial_days"
            ]
        );
    }

    #[test]
    fn a_perpetual_license_takes_no_end_of_validity() {
        let patch = LicensePatch {
            valid_duration: Some("30d".into()),
            ..LicensePatch::default()
        };
        assert_eq!(refused(patch, LicenseType::Perpetual), ["valid_duration"]);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let patch = LicensePatch {
            max_activations: Some(5),
            is_trial: Some(true),
            valid_duration: Some("1m".into()),
            consumption_period: Some(Some("annualy".into())),
            ..LicensePatch::default()
        };
        let changes = patch
            .changes(&license(LicenseType::TimeLimited), now())
            .unwrap();
        let end = Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap();
        assert_eq!(
            changes,
            [
                (LicenseColumn::MaxActivations, ColumnValue::Int(Some(5))),
                (LicenseColumn::IsTrial, ColumnValue::Bool(true)),
                (
                    LicenseColumn::ConsumptionPeriod,
                    ColumnValue::Text(Some("annually".into()))
                ),
                (LicenseColumn::ValidityPeriod, ColumnValue::Time(Some(end))),
            ]
        );
    }

    #[test]
    fn turning_floating_on_needs_seats_and_gets_a_timeout() {
        let on = LicensePatch {
            is_floating_cloud: Some(true),
            ..LicensePatch::default()
        };
        assert_eq!(refused(on, LicenseType::Perpetual), ["floating_users"]);
        let with_seats = LicensePatch {
            is_floating_cloud: Some(true),
            floating_users: Some(3),
            ..LicensePatch::default()
        };
        let changes = with_seats
            .changes(&license(LicenseType::Perpetual), now())
            .unwrap();
        assert!(changes.contains(&(LicenseColumn::FloatingTimeout, ColumnValue::Int(Some(30)))));
        assert!(changes.contains(&(LicenseColumn::FloatingUsers, ColumnValue::Int(Some(3)))));
    }

    #[test]
    fn a_feature_patch_keeps_what_it_does_not_name() {
        let patch = FeaturePatch {
            max_consumption: Some(30),
            ..FeaturePatch::default()
        };
        let grant = patch.grant(ProductFeatureId::new(4), None).unwrap();
        assert_eq!(grant.consumption.max_consumptions, 30);
        assert_eq!(grant.consumption.total_consumptions, 0);
        assert!(!grant.floating.is_floating_cloud);
    }
}
