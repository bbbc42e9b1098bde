//! Row decoding shared by every query: each `*_from_row` reads the aliased columns of one table, and
//! returns `None` where a LEFT JOIN found nothing.

use chrono::{DateTime, Utc};
use latch_domain::Id;

use super::database::{ReadColumn, SqlRow};
use crate::*;

/// An id column, typed as the id of the row kind it names.
pub(crate) fn id_column<K, R: SqlRow>(row: &R, column: &str) -> Result<Id<K>, sqlx::Error> {
    Ok(Id::new(row.read(column)?))
}

/// A nullable id column, or the id column of a LEFT JOINed table: `None` where the join found nothing.
pub(crate) fn joined_id<K, R: SqlRow>(row: &R, column: &str) -> Result<Option<Id<K>>, sqlx::Error> {
    Ok(ReadColumn::<Option<i64>>::read(row, column)?.map(Id::new))
}

/// The id an `INSERT ... RETURNING id` gave the new row.
pub(crate) fn returned_id<K, R: SqlRow>(row: &R) -> Result<Id<K>, sqlx::Error> {
    Ok(Id::new(row.read_at(0)?))
}

fn opt_time<R: SqlRow>(row: &R, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(ReadColumn::<Option<i64>>::read(row, column)?.map(from_millis))
}

fn time<R: SqlRow>(row: &R, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    Ok(from_millis(row.read(column)?))
}

fn decode_error(message: String) -> sqlx::Error {
    sqlx::Error::Decode(message.into())
}

pub(crate) fn product_from_row<R: SqlRow>(row: &R) -> Result<Product, sqlx::Error> {
    let method: String = row.read("p_authorization_method")?;
    Ok(Product {
        id: id_column(row, "p_id")?,
        company_id: id_column(row, "p_company_id")?,
        code: row.read("p_code")?,
        name: row.read("p_name")?,
        authorization_method: AuthorizationMethod::parse(&method)
            .ok_or_else(|| decode_error(format!("authorization method {method:?}")))?,
        prevent_vm: row.read("p_prevent_vm")?,
        allow_trial: row.read("p_allow_trial")?,
        trial_days: row.read("p_trial_days")?,
        floating_timeout: row.read("p_floating_timeout")?,
        metadata: row.read("p_metadata")?,
    })
}

fn period<R: SqlRow>(
    row: &R,
    column: &str,
) -> Result<Option<latch_domain::ConsumptionPeriod>, sqlx::Error> {
    ReadColumn::<Option<String>>::read(row, column)?
        .map(|text| {
            text.parse()
                .map_err(|e: latch_domain::ParsePeriodError| decode_error(e.to_string()))
        })
        .transpose()
}

pub(crate) fn license_from_row<R: SqlRow>(row: &R) -> Result<Option<License>, sqlx::Error> {
    let Some(id) = joined_id(row, "l_id")? else {
        return Ok(None);
    };
    let license_type: String = row.read("l_license_type")?;
    Ok(Some(License {
        id,
        company_id: id_column(row, "l_company_id")?,
        product_id: id_column(row, "l_product_id")?,
        customer_id: joined_id(row, "l_customer_id")?,
        license_key: row.read("l_license_key")?,
        license_type: license_type
            .parse()
            .map_err(|e: latch_domain::ParseLicenseTypeError| decode_error(e.to_string()))?,
        enabled: row.read("l_enabled")?,
        is_trial: row.read("l_is_trial")?,
        prevent_vm: row.read("l_prevent_vm")?,
        start_date: opt_time(row, "l_start_date")?,
        validity_period: opt_time(row, "l_validity_period")?,
        grace_period: row.read("l_grace_period")?,
        allow_grace_period: row.read("l_allow_grace_period")?,
        maintenance_period: opt_time(row, "l_maintenance_period")?,
        max_activations: row.read("l_max_activations")?,
        allow_unlimited_activations: row.read("l_allow_unlimited_activations")?,
        times_activated: row.read("l_times_activated")?,
        released_slots: row.read("l_released_slots")?,
        transfer_count: row.read("l_transfer_count")?,
        max_transfers: row.read("l_max_transfers")?,
        max_license_users: row.read("l_max_license_users")?,
        floating: FloatingColumns {
            is_floating_cloud: row.read("l_is_floating_cloud")?,
            floating_users: row.read("l_floating_users")?,
            floating_timeout: row.read("l_floating_timeout")?,
            can_borrow: row.read("l_can_borrow")?,
            max_borrow_time: row.read("l_max_borrow_time")?,
        },
        consumption: ConsumptionColumns {
            max_consumptions: row.read("l_max_consumptions")?,
            total_consumptions: row.read("l_total_consumptions")?,
            allow_unlimited_consumptions: row.read("l_allow_unlimited_consumptions")?,
            allow_negative_consumptions: row.read("l_allow_negative_consumptions")?,
            allow_overages: row.read("l_allow_overages")?,
            max_overages: row.read("l_max_overages")?,
            reset_consumption: row.read("l_reset_consumption")?,
            consumption_period: period(row, "l_consumption_period")?,
            consumption_reset_at: opt_time(row, "l_consumption_reset_at")?,
        },
        metadata: row.read("l_metadata")?,
        created_at: time(row, "l_created_at")?,
    }))
}

pub(crate) fn device_from_row<R: SqlRow>(row: &R) -> Result<Option<Device>, sqlx::Error> {
    let Some(id) = joined_id(row, "d_id")? else {
        return Ok(None);
    };
    Ok(Some(Device {
        id,
        license_id: id_column(row, "d_license_id")?,
        license_user_id: joined_id(row, "d_license_user_id")?,
        hardware_id: row.read("d_hardware_id")?,
        active: row.read("d_active")?,
        blacklisted: row.read("d_blacklisted")?,
        released: row.read("d_released")?,
        is_vm: row.read("d_is_vm")?,
        os_ver: row.read("d_os_ver")?,
        hostname: row.read("d_hostname")?,
        floating_until: opt_time(row, "d_floating_until")?,
        borrowed_until: opt_time(row, "d_borrowed_until")?,
        license_signature: row.read("d_license_signature")?,
        signature_validity: opt_time(row, "d_signature_validity")?,
        answer_digest: row.read("d_answer_digest")?,
        answer_signature: row.read("d_answer_signature")?,
        created_at: time(row, "d_created_at")?,
        last_check_at: opt_time(row, "d_last_check_at")?,
    }))
}

/// The user row; its sealed initial password is opened by the caller.
pub(crate) fn user_from_row<R: SqlRow>(
    row: &R,
) -> Result<Option<(LicenseUser, Option<String>)>, sqlx::Error> {
    let Some(id) = joined_id(row, "u_id")? else {
        return Ok(None);
    };
    let user = LicenseUser {
        id,
        company_id: id_column(row, "u_company_id")?,
        customer_id: joined_id(row, "u_customer_id")?,
        email: row.read("u_email")?,
        password_hash: row.read("u_password_hash")?,
        initial_password: None,
        is_initial_password: row.read("u_is_initial_password")?,
        first_name: row.read("u_first_name")?,
        last_name: row.read("u_last_name")?,
        phone_number: row.read("u_phone_number")?,
    };
    Ok(Some((user, row.read("u_initial_password")?)))
}

pub(crate) fn assignment_from_row<R: SqlRow>(row: &R) -> Result<Option<Assignment>, sqlx::Error> {
    let Some(license_id) = joined_id(row, "a_license_id")? else {
        return Ok(None);
    };
    Ok(Some(Assignment {
        license_id,
        license_user_id: id_column(row, "a_license_user_id")?,
        max_activations: row.read("a_max_activations")?,
        allow_unlimited_activations: row.read("a_allow_unlimited_activations")?,
        total_activations: row.read("a_total_activations")?,
    }))
}

pub(crate) fn customer_from_row<R: SqlRow>(row: &R) -> Result<Option<Customer>, sqlx::Error> {
    let Some(id) = joined_id(row, "c_id")? else {
        return Ok(None);
    };
    Ok(Some(Customer {
        id,
        company_id: id_column(row, "c_company_id")?,
        email: row.read("c_email")?,
        first_name: row.read("c_first_name")?,
        last_name: row.read("c_last_name")?,
        company_name: row.read("c_company_name")?,
        phone: row.read("c_phone")?,
        reference: row.read("c_reference")?,
        address: row.read("c_address")?,
        city: row.read("c_city")?,
        postcode: row.read("c_postcode")?,
        state: row.read("c_state")?,
        country: row.read("c_country")?,
        metadata: row.read("c_metadata")?,
        account: super::customer_accounts::customer_account_from_row(row)?,
    }))
}

pub(crate) fn product_feature_from_row<R: SqlRow>(row: &R) -> Result<ProductFeature, sqlx::Error> {
    let feature_type: String = row.read("pf_feature_type")?;
    Ok(ProductFeature {
        id: id_column(row, "pf_id")?,
        product_id: id_column(row, "pf_product_id")?,
        code: row.read("pf_code")?,
        name: row.read("pf_name")?,
        feature_type: FeatureType::parse(&feature_type)
            .ok_or_else(|| decode_error(format!("feature type {feature_type:?}")))?,
        metadata: row.read("pf_metadata")?,
    })
}

pub(crate) fn feature_from_row<R: SqlRow>(row: &R) -> Result<Option<LicenseFeature>, sqlx::Error> {
    let Some(id) = joined_id(row, "lf_id")? else {
        return Ok(None);
    };
    Ok(Some(LicenseFeature {
        id,
        license_id: id_column(row, "lf_license_id")?,
        feature: product_feature_from_row(row)?,
        expiry_date: opt_time(row, "lf_expiry_date")?,
        floating: FloatingColumns {
            is_floating_cloud: row.read("lf_is_floating_cloud")?,
            floating_users: row.read("lf_floating_users")?,
            floating_timeout: row.read("lf_floating_timeout")?,
            can_borrow: ReadColumn::<i64>::read(row, "lf_max_borrow_time")? > 0,
            max_borrow_time: row.read("lf_max_borrow_time")?,
        },
        consumption: ConsumptionColumns {
            max_consumptions: row.read("lf_max_consumption")?,
            total_consumptions: row.read("lf_total_consumptions")?,
            allow_unlimited_consumptions: row.read("lf_allow_unlimited_consumptions")?,
            allow_negative_consumptions: row.read("lf_allow_negative_consumptions")?,
            allow_overages: row.read("lf_allow_overages")?,
            max_overages: row.read("lf_max_overages")?,
            reset_consumption: row.read("lf_reset_consumption")?,
            consumption_period: period(row, "lf_consumption_period")?,
            consumption_reset_at: opt_time(row, "lf_consumption_reset_at")?,
        },
        created_at: time(row, "pf_created_at")?,
    }))
}

pub(crate) fn variable_from_row<R: SqlRow>(row: &R) -> Result<DeviceVariable, sqlx::Error> {
    Ok(DeviceVariable {
        id: row.read("id")?,
        device_id: id_column(row, "device_id")?,
        name: row.read("name")?,
        value: row.read("value")?,
        created_at: time(row, "created_at")?,
    })
}

pub(crate) fn release_from_row<R: SqlRow>(row: &R) -> Result<Release, sqlx::Error> {
    Ok(Release {
        id: id_column(row, "id")?,
        product_id: id_column(row, "product_id")?,
        version: row.read("version")?,
        channel: row.read("channel")?,
        environment: row.read("environment")?,
        installation_file: row.read("installation_file")?,
        hash_md5: row.read("hash_md5")?,
        size: row.read("size")?,
        eula_link: row.read("eula_link")?,
        release_notes_link: row.read("release_notes_link")?,
        requires_version: row.read("requires_version")?,
        release_date: opt_time(row, "release_date")?,
        enabled: row.read("enabled")?,
        created_at: time(row, "created_at")?,
    })
}

/// Decodes every row with `decode`, dropping the `None`s of unmatched LEFT JOINs.
pub(crate) fn collect_rows<R, T>(
    rows: &[R],
    decode: impl Fn(&R) -> Result<Option<T>, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter()
        .map(decode)
        .filter_map(Result::transpose)
        .collect()
}

/// Maps a unique-constraint violation to a domain-level duplicate.
pub(crate) fn unique_violation(error: sqlx::Error, what: &'static str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Database(error),
    }
}

pub(crate) fn custom_field_value_from_row<R: SqlRow>(
    row: &R,
) -> Result<Option<CustomFieldValue>, sqlx::Error> {
    if joined_id::<(), R>(row, "cf_id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(CustomFieldValue {
        name: row.read("cf_name")?,
        data_type: row.read("cf_data_type")?,
        value: row.read("cf_value")?,
    }))
}
