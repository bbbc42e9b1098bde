//! The license object the Management API answers with (show, PATCH, update_features, order items),
//! shaped as LicenseSpring's, with the fields Latch has data for.

use chrono::{DateTime, Utc};
use latch_service::model::{
    AppliedCustomField, Assignment, Customer, LicenseFeature, LicenseRecord, LicenseUser, Product,
};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A license as the Management API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseOut {
    pub id: i64,
    /// `Active` (a device holds an activation), `Inactive` or `Disabled`.
    pub status: &'static str,
    /// Devices holding a floating seat now.
    pub floating_in_use_devices: i64,
    pub customer: Option<LicenseCustomerOut>,
    pub product_features: Vec<LicenseFeatureOut>,
    /// The product's custom fields the license has not overridden, with their defaults.
    pub product_custom_fields: Vec<CustomFieldOut>,
    /// Every custom field with the value that applies to the license (Latch's own).
    pub custom_fields: Vec<CustomFieldValueOut>,
    pub license_users: Vec<LicenseUserPlaceOut>,
    pub order_store_id: Option<String>,
    pub active_up_to_date_devices: i64,
    pub total_active_devices: i64,
    pub product: LicenseProductOut,
    pub created_at: DateTime<Utc>,
    /// The latest recorded change, or the creation.
    pub updated_at: DateTime<Utc>,
    /// Null on user-based licenses.
    pub license_key: Option<String>,
    pub license_type: String,
    pub active: bool,
    pub enabled: bool,
    /// The first activation.
    pub time_activated: Option<DateTime<Utc>>,
    pub last_check: Option<DateTime<Utc>>,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub times_activated: i64,
    pub transfer_count: i64,
    pub max_transfers: i64,
    pub max_consumptions: i64,
    pub total_consumptions: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_negative_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    pub consumption_period: Option<String>,
    pub is_trial: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    pub enable_maintenance_period: bool,
    pub maintenance_period: Option<DateTime<Utc>>,
    pub allow_grace_period: bool,
    /// Hours.
    pub grace_period: i64,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    /// Minutes.
    pub floating_timeout: i64,
    pub can_borrow: bool,
    /// Hours.
    pub max_borrow_time: i64,
    pub max_license_users: i64,
    pub note: String,
    /// The order's id.
    pub order: Option<i64>,
    #[schema(value_type = Object)]
    pub metadata: Value,
}

/// The customer holding a license.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseCustomerOut {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub phone: String,
    pub reference: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub country: String,
    pub state: String,
    pub company: i64,
    #[schema(value_type = Object)]
    pub metadata: Value,
}

/// A license's product.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseProductOut {
    pub id: i64,
    pub product_name: String,
    pub short_code: String,
    /// `license-key` or `user`.
    pub authorization_method: &'static str,
    pub prevent_vm: bool,
    pub allow_trial: bool,
    pub trial_days: i64,
}

/// A product feature.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseProductFeatureOut {
    pub id: i64,
    pub name: String,
    pub code: String,
    /// `activation` or `consumption`.
    pub feature_type: &'static str,
    #[schema(value_type = Object)]
    pub metadata: Value,
}

/// A feature's limits on a license.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureLimitsOut {
    pub max_consumption: i64,
    pub total_consumptions: i64,
    pub allow_unlimited_consumptions: bool,
    pub allow_negative_consumptions: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    pub reset_consumption: bool,
    pub consumption_period: Option<String>,
    pub expiry_date: Option<DateTime<Utc>>,
    pub is_floating: bool,
    pub is_floating_cloud: bool,
    pub floating_users: i64,
    /// Minutes.
    pub floating_timeout: i64,
    /// Hours.
    pub max_borrow_time: i64,
}

/// A product feature granted to a license (the license feature's id, the product feature nested).
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseFeatureOut {
    pub id: i64,
    /// The license's id.
    pub license: i64,
    pub product_feature: LicenseProductFeatureOut,
    #[serde(flatten)]
    pub limits: FeatureLimitsOut,
}

/// A product custom field with its default.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldOut {
    pub id: i64,
    pub name: String,
    /// `number`, `text`, `date/time` or null.
    pub data_type: Option<String>,
    pub default_value: String,
    pub description: Option<String>,
}

/// A custom field's value on the license: its own, or the product's default.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldValueOut {
    /// The product custom field's id.
    pub product_custom_field: i64,
    /// The license custom field's id, when the license overrides the default.
    pub license_custom_field: Option<i64>,
    pub name: String,
    pub data_type: Option<String>,
    pub value: String,
}

/// A license user on a license, with the user's activations on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LicenseUserPlaceOut {
    pub id: i64,
    pub email: String,
    pub true_email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_manager: bool,
    /// Shown until the user changes it.
    pub initial_password: Option<String>,
    pub is_initial_password: bool,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub total_activations: i64,
}

/// Metadata text as a JSON object (an empty one if it were ever unreadable).
pub fn metadata(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Default::default()))
}

impl From<&Customer> for LicenseCustomerOut {
    fn from(customer: &Customer) -> Self {
        Self {
            id: customer.id.get(),
            email: customer.email.clone(),
            first_name: customer.first_name.clone(),
            last_name: customer.last_name.clone(),
            company_name: customer.company_name.clone(),
            phone: customer.phone.clone(),
            reference: customer.reference.clone(),
            address: customer.address.clone(),
            postcode: customer.postcode.clone(),
            city: customer.city.clone(),
            country: customer.country.clone(),
            state: customer.state.clone(),
            company: customer.company_id.get(),
            metadata: metadata(&customer.metadata),
        }
    }
}

impl From<&Product> for LicenseProductOut {
    fn from(product: &Product) -> Self {
        Self {
            id: product.id.get(),
            product_name: product.name.clone(),
            short_code: product.code.clone(),
            authorization_method: product.authorization_method.as_str(),
            prevent_vm: product.prevent_vm,
            allow_trial: product.allow_trial,
            trial_days: product.trial_days,
        }
    }
}

impl From<&LicenseFeature> for FeatureLimitsOut {
    fn from(feature: &LicenseFeature) -> Self {
        let consumption = &feature.consumption;
        let floating = &feature.floating;
        Self {
            max_consumption: consumption.max_consumptions,
            total_consumptions: consumption.total_consumptions,
            allow_unlimited_consumptions: consumption.allow_unlimited_consumptions,
            allow_negative_consumptions: consumption.allow_negative_consumptions,
            allow_overages: consumption.allow_overages,
            max_overages: consumption.max_overages,
            reset_consumption: consumption.reset_consumption,
            consumption_period: consumption
                .consumption_period
                .map(|p| p.as_str().to_owned()),
            expiry_date: feature.expiry_date,
            is_floating: floating.is_floating_cloud,
            is_floating_cloud: floating.is_floating_cloud,
            floating_users: floating.floating_users,
            floating_timeout: floating.floating_timeout,
            max_borrow_time: floating.max_borrow_time,
        }
    }
}

impl From<&LicenseFeature> for LicenseFeatureOut {
    fn from(feature: &LicenseFeature) -> Self {
        let product_feature = &feature.feature;
        Self {
            id: feature.id.get(),
            license: feature.license_id.get(),
            product_feature: LicenseProductFeatureOut {
                id: product_feature.id.get(),
                name: product_feature.name.clone(),
                code: product_feature.code.clone(),
                feature_type: product_feature.feature_type.as_str(),
                metadata: metadata(&product_feature.metadata),
            },
            limits: feature.into(),
        }
    }
}

impl From<&(LicenseUser, Assignment)> for LicenseUserPlaceOut {
    fn from((user, assignment): &(LicenseUser, Assignment)) -> Self {
        Self {
            id: user.id.get(),
            email: user.email.clone(),
            true_email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            phone_number: user.phone_number.clone(),
            is_active: true,
            is_manager: false,
            initial_password: user
                .initial_password
                .as_ref()
                .filter(|_| user.is_initial_password)
                .map(|password| password.expose_secret().to_owned()),
            is_initial_password: user.is_initial_password,
            max_activations: assignment.max_activations,
            allow_unlimited_activations: assignment.allow_unlimited_activations,
            total_activations: assignment.total_activations,
        }
    }
}

fn custom_field_value(field: &AppliedCustomField) -> CustomFieldValueOut {
    CustomFieldValueOut {
        product_custom_field: field.product_custom_field_id,
        license_custom_field: field.license_value.as_ref().map(|(id, _)| *id),
        name: field.name.clone(),
        data_type: field.data_type.clone(),
        value: field
            .license_value
            .as_ref()
            .map_or_else(|| field.default_value.clone(), |(_, value)| value.clone()),
    }
}

/// The license object of a whole license record.
pub fn license_object(record: &LicenseRecord) -> LicenseOut {
    let license = &record.license;
    let consumption = &license.consumption;
    let floating = &license.floating;
    let status = match (license.enabled, record.active_devices > 0) {
        (false, _) => "Disabled",
        (true, true) => "Active",
        (true, false) => "Inactive",
    };
    LicenseOut {
        id: license.id.get(),
        status,
        floating_in_use_devices: record.floating_in_use,
        customer: record.customer.as_ref().map(LicenseCustomerOut::from),
        product_features: record.features.iter().map(Into::into).collect(),
        product_custom_fields: record
            .custom_fields
            .iter()
            .filter(|field| field.license_value.is_none())
            .map(|field| CustomFieldOut {
                id: field.product_custom_field_id,
                name: field.name.clone(),
                data_type: field.data_type.clone(),
                default_value: field.default_value.clone(),
                description: field.description.clone(),
            })
            .collect(),
        custom_fields: record
            .custom_fields
            .iter()
            .map(custom_field_value)
            .collect(),
        license_users: record.users.iter().map(Into::into).collect(),
        order_store_id: record.order_store_id.clone(),
        active_up_to_date_devices: record.active_devices,
        total_active_devices: record.active_devices,
        product: (&record.product).into(),
        created_at: license.created_at,
        updated_at: record.updated_at,
        license_key: license.license_key.clone(),
        license_type: license.license_type.as_str().to_owned(),
        active: record.active_devices > 0,
        enabled: license.enabled,
        time_activated: record.time_activated,
        last_check: record.last_check,
        max_activations: license.max_activations,
        allow_unlimited_activations: license.allow_unlimited_activations,
        times_activated: license.times_activated,
        transfer_count: license.transfer_count,
        max_transfers: license.max_transfers,
        max_consumptions: consumption.max_consumptions,
        total_consumptions: consumption.total_consumptions,
        allow_unlimited_consumptions: consumption.allow_unlimited_consumptions,
        allow_negative_consumptions: consumption.allow_negative_consumptions,
        allow_overages: consumption.allow_overages,
        max_overages: consumption.max_overages,
        reset_consumption: consumption.reset_consumption,
        consumption_period: consumption
            .consumption_period
            .map(|p| p.as_str().to_owned()),
        is_trial: license.is_trial,
        prevent_vm: license.prevent_vm,
        start_date: license.start_date,
        validity_period: license.validity_period,
        enable_maintenance_period: license.maintenance_period.is_some(),
        maintenance_period: license.maintenance_period,
        allow_grace_period: license.allow_grace_period,
        grace_period: license.grace_period,
        is_floating: floating.is_floating_cloud,
        is_floating_cloud: floating.is_floating_cloud,
        floating_users: floating.floating_users,
        floating_timeout: floating.floating_timeout,
        can_borrow: floating.can_borrow,
        max_borrow_time: floating.max_borrow_time,
        max_license_users: license.max_license_users,
        note: record.note.clone(),
        order: record.order_id,
        metadata: metadata(&license.metadata),
    }
}
