//! The license objects and feature objects License API answers and offline license files are made of.
//! Pure: the v1 `license_signature` of the device comes from the caller, which may reuse a stored one.

use chrono::{DateTime, Utc};
use latch_domain::Consumption;
use latch_store::{
    Assignment, ConsumptionColumns, CustomFieldValue, Customer, Device, DeviceVariable, License,
    LicenseFeature, LicenseUser, LicenseView, Product, Release,
};
use latch_wire::body::{
    CompanyRef, ConsumptionBody, CustomerAccountBody, CustomerBody, DeviceFields,
    DeviceVariableIso, FeatureBody, FeatureConsumptionBody, LatestRelease, LicenseBody,
    ProductDetailsBody, ReleaseDetails, RequestExtras, UserBody,
};
use latch_wire::time::iso_millis;
use serde_json::Value;

/// Parses stored metadata; it was validated as a JSON object when written.
pub fn metadata(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::Object(Default::default()))
}

pub fn product_details(product: &Product) -> ProductDetailsBody {
    ProductDetailsBody {
        product_id: product.id.get(),
        product_name: product.name.clone(),
        short_code: product.code.clone(),
        authorization_method: product.authorization_method.as_str(),
        metadata: metadata(&product.metadata),
        allow_trial: product.allow_trial,
        trial_days: product.trial_days,
        floating_timeout: product.floating_timeout,
        prevent_vm: product.prevent_vm,
        allow_overages: false,
        max_overages: 0,
        validity_period: None,
        company_id: product.company_id.get(),
    }
}

pub fn customer_body(customer: Option<&Customer>) -> CustomerBody {
    let Some(c) = customer else {
        return CustomerBody {
            metadata: Value::Object(Default::default()),
            ..CustomerBody::default()
        };
    };
    CustomerBody {
        email: c.email.clone(),
        company_name: c.company_name.clone(),
        reference: c.reference.clone(),
        phone: c.phone.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        city: c.city.clone(),
        postcode: c.postcode.clone(),
        state: c.state.clone(),
        country: c.country.clone(),
        address: c.address.clone(),
        customer_account: c.account.as_ref().map(|account| CustomerAccountBody {
            id: account.id.get(),
            name: account.name.clone(),
            code: account.code.clone(),
        }),
        metadata: metadata(&c.metadata),
    }
}

pub fn user_body(user: &LicenseUser, assignment: &Assignment) -> UserBody {
    UserBody {
        id: user.id.get(),
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        phone_number: user.phone_number.clone(),
        is_initial_password: user.is_initial_password,
        max_activations: assignment.max_activations,
        allow_unlimited_activations: assignment.allow_unlimited_activations,
        total_activations: assignment.total_activations,
    }
}

/// Consumption fields with the counter as of `now` (a due periodic reset shows as zero).
pub fn consumption_body(
    columns: &ConsumptionColumns,
    counter: &Consumption,
    now: DateTime<Utc>,
) -> ConsumptionBody {
    ConsumptionBody {
        max_consumptions: columns.max_consumptions,
        total_consumptions: counter.current(now).total,
        allow_unlimited_consumptions: columns.allow_unlimited_consumptions,
        allow_negative_consumptions: columns.allow_negative_consumptions,
        allow_overages: columns.allow_overages,
        max_overages: columns.max_overages,
        reset_consumption: columns.reset_consumption,
        consumption_period: columns.consumption_period.map(|p| p.as_str()),
    }
}

pub fn feature_consumption_body(
    feature: &LicenseFeature,
    now: DateTime<Utc>,
) -> FeatureConsumptionBody {
    let columns = &feature.consumption;
    FeatureConsumptionBody {
        max_consumption: columns.max_consumptions,
        total_consumptions: feature.consumption_counter().current(now).total,
        allow_unlimited_consumptions: columns.allow_unlimited_consumptions,
        allow_overages: columns.allow_overages,
        max_overages: columns.max_overages,
        allow_negative_consumptions: columns.allow_negative_consumptions,
        reset_consumption: columns.reset_consumption,
        consumption_period: columns.consumption_period.map(|p| p.as_str()),
    }
}

pub fn feature_body(
    feature: &LicenseFeature,
    floating_in_use: Option<i64>,
    now: DateTime<Utc>,
) -> FeatureBody {
    let is_consumption = feature.feature.feature_type == latch_store::FeatureType::Consumption;
    FeatureBody {
        id: feature.id.get(),
        code: feature.feature.code.clone(),
        name: feature.feature.name.clone(),
        feature_type: feature.feature.feature_type.as_str(),
        expiry_date: feature.expiry_date.map(iso_millis),
        metadata: metadata(&feature.feature.metadata),
        is_floating: false,
        is_floating_cloud: feature.floating.is_floating_cloud,
        floating_users: feature.floating.floating_users,
        floating_timeout: feature.floating.floating_timeout,
        max_borrow_time: feature.floating.max_borrow_time,
        floating_in_use_devices: floating_in_use,
        consumption: is_consumption.then(|| feature_consumption_body(feature, now)),
    }
}

/// A device variable as activation answers and `get_device_variables` show it.
pub fn variable_iso(variable: &DeviceVariable) -> DeviceVariableIso {
    DeviceVariableIso {
        id: variable.id,
        created_at: iso_millis(variable.created_at),
        variable: variable.name.clone(),
        value: variable.value.clone(),
        device_id: variable.device_id.get(),
    }
}

/// The latest release matching the client's environment and channel (a release with none set
/// matches every client), as check answers flatten it.
pub fn latest_release<'r>(
    releases: &'r [Release],
    env: Option<&str>,
    channel: Option<&str>,
) -> Option<&'r Release> {
    let matches = |wanted: Option<&str>, have: &str| {
        have.is_empty() || wanted.is_none_or(|w| w.is_empty() || w == have)
    };
    releases
        .iter()
        .find(|r| matches(env, &r.environment) && matches(channel, &r.channel))
}

/// What every answer about a release says of it; empty environment and channel mean "any" and show as null.
pub fn release_details(release: &Release) -> ReleaseDetails {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ReleaseDetails {
        release_date: release.release_date.map(iso_millis),
        hash_md5: release.hash_md5.clone(),
        requires_version: release.requires_version.clone(),
        environment: non_empty(&release.environment),
        eula_link: release.eula_link.clone(),
        release_notes_link: release.release_notes_link.clone(),
        size: release.size.clone(),
        channel: non_empty(&release.channel),
    }
}

pub fn latest_release_fields(release: Option<&Release>) -> LatestRelease {
    let Some(release) = release else {
        return LatestRelease::default();
    };
    LatestRelease {
        version: Some(release.version.clone()),
        installation_file: Some(release.installation_file.clone()),
        details: release_details(release),
    }
}

/// The device part of a license answer: which device, as the client named it and signed.
pub struct ShownDevice<'a> {
    pub device: &'a Device,
    pub hardware_id: &'a str,
    pub signature_ident: &'a str,
}

/// Everything a license object is made from.
pub struct LicenseParts<'a> {
    pub product: &'a Product,
    pub license: &'a License,
    pub user: Option<(&'a LicenseUser, &'a Assignment)>,
    pub features: &'a [LicenseFeature],
    pub customer: Option<&'a Customer>,
    pub custom_fields: &'a [CustomFieldValue],
    pub floating_in_use: Option<i64>,
    pub device: Option<ShownDevice<'a>>,
    pub include_expired_features: bool,
}

impl<'a> LicenseParts<'a> {
    pub fn of_view(view: &'a LicenseView, hardware_id: &'a str, signature_ident: &'a str) -> Self {
        Self {
            product: &view.product,
            license: &view.license,
            user: view.user.as_ref().map(|(u, a)| (u, a)),
            features: &view.features,
            customer: view.customer.as_ref(),
            custom_fields: &view.custom_fields,
            floating_in_use: view
                .license
                .floating
                .is_floating_cloud
                .then_some(view.floating_in_use),
            device: Some(ShownDevice {
                device: &view.device,
                hardware_id,
                signature_ident,
            }),
            include_expired_features: false,
        }
    }

    pub fn including_expired_features(self, include: bool) -> Self {
        Self {
            include_expired_features: include,
            ..self
        }
    }
}

/// A custom field as the SDKs read it: `{name, data_type, value}`.
fn custom_field_body(field: &CustomFieldValue) -> Value {
    serde_json::json!({
        "name": field.name,
        "data_type": field.data_type,
        "value": field.value,
    })
}

/// The license object of `parts` at `now`; `sign` gives the v1 `license_signature` of the shown
/// device (over its hardware id and ident as the client spelled them, and the license's validity).
pub fn license_body<E>(
    parts: LicenseParts<'_>,
    now: DateTime<Utc>,
    request_extras: Option<RequestExtras>,
    sign: impl FnOnce(&License, &ShownDevice<'_>) -> Result<String, E>,
) -> Result<LicenseBody, E> {
    let LicenseParts {
        product,
        license,
        user,
        features,
        customer,
        custom_fields,
        floating_in_use,
        device,
        include_expired_features,
    } = parts;
    let rules = license.rules(product, user.map(|(_, a)| a));
    let seat = device.as_ref().map(|d| d.device.seat()).unwrap_or_default();
    let device = device
        .map(|shown| -> Result<DeviceFields, E> {
            Ok(DeviceFields {
                device_id: shown.device.id.get(),
                hardware_id: shown.hardware_id.to_owned(),
                license_signature: sign(license, &shown)?,
            })
        })
        .transpose()?;
    let is_borrowed = seat.is_borrowed(now);
    Ok(LicenseBody {
        id: license.id.get(),
        license_key: license.license_key.clone(),
        user: user.map(|(u, a)| user_body(u, a)),
        license_type: license.license_type.as_str(),
        license_active: rules.is_active(),
        license_enabled: license.enabled,
        is_expired: rules.is_expired(now),
        is_trial: license.is_trial,
        trial_days: product.trial_days,
        validity_period: license.validity_period.map(iso_millis),
        start_date: license.start_date.map(iso_millis),
        maintenance_period: license.maintenance_period.map(iso_millis),
        enable_maintenance_period: license.maintenance_period.is_some(),
        allow_grace_period: license.allow_grace_period,
        grace_period: license.grace_period,
        times_activated: license.times_activated,
        max_activations: license.max_activations,
        allow_unlimited_activations: license.allow_unlimited_activations,
        transfer_count: license.transfer_count,
        max_transfers: license.max_transfers,
        max_license_users: license.max_license_users,
        prevent_vm: rules.prevent_vm,
        is_floating: false,
        is_floating_cloud: license.floating.is_floating_cloud,
        floating_timeout: license.floating.floating_timeout,
        floating_users: license.floating.floating_users,
        floating_in_use_devices: floating_in_use,
        can_borrow: license.floating.can_borrow,
        max_borrow_time: license.floating.max_borrow_time,
        is_borrowed,
        borrowed_until: seat.borrowed_until.filter(|_| is_borrowed).map(iso_millis),
        is_air_gapped: false,
        is_hardware_key_auth: false,
        allow_offline_activation: false,
        order_store_id: None,
        license_template_id: None,
        consumption: consumption_body(&license.consumption, &license.consumption_counter(), now),
        metadata: metadata(&license.metadata),
        custom_fields: custom_fields.iter().map(custom_field_body).collect(),
        company: CompanyRef {
            id: license.company_id.get(),
        },
        customer: customer_body(customer),
        product_details: product_details(product),
        product_features: features
            .iter()
            .filter(|f| include_expired_features || !f.is_expired(now))
            .map(|f| feature_body(f, None, now))
            .collect(),
        device,
        request_extras,
    })
}
