//! How results are printed: JSON objects with `--json`, else `name: value` lines.

use chrono::{DateTime, Utc};
use latch_service::model::{ApiKey, Company, Customer, License, LicenseUser, Product};
use latch_service::{DeviceDetails, LicenseDetails};
use serde_json::{json, Value};

/// Text output prints a bare string as is (a PEM can be redirected to a file), other fields as
/// `name: value` lines, and lists as one line per item.
pub fn print(output: &Value, as_json: bool) {
    if as_json {
        println!("{output}");
        return;
    }
    match output {
        Value::String(text) => print!("{text}"),
        Value::Object(map) => {
            for (name, value) in map {
                match value {
                    Value::String(s) => println!("{name}: {s}"),
                    Value::Array(items) => {
                        println!("{name}:");
                        for item in items {
                            println!("  {}", one_line(item));
                        }
                    }
                    other => println!("{name}: {other}"),
                }
            }
        }
        other => println!("{other}"),
    }
}

fn one_line(item: &Value) -> String {
    match item {
        Value::Object(map) => map
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => format!("{name}={s}"),
                other => format!("{name}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map(|d| Value::String(d.to_rfc3339()))
        .unwrap_or(Value::Null)
}

pub fn company(company: &Company) -> Value {
    json!({
        "company_id": company.id,
        "name": company.name,
        "expose_initial_passwords": company.expose_initial_passwords,
    })
}

/// An API key as listed: the shared key is shown only when created.
pub fn api_key(key: &ApiKey) -> Value {
    json!({"api_key": key.api_key, "read_only": key.read_only, "revoked": key.revoked})
}

pub fn product(product: &Product) -> Value {
    json!({
        "product_id": product.id,
        "code": product.code,
        "name": product.name,
        "authorization_method": product.authorization_method.as_str(),
    })
}

pub fn customer(customer: &Customer) -> Value {
    json!({
        "customer_id": customer.id,
        "email": customer.email,
        "customer_account": customer.account.as_ref().map(|account| &account.code),
    })
}

pub fn license_user(user: &LicenseUser) -> Value {
    json!({
        "user_id": user.id,
        "email": user.email,
        "customer_id": user.customer_id,
        "is_initial_password": user.is_initial_password,
    })
}

/// A license in a list: enough to pick it out and see its state.
pub fn license_summary(license: &License) -> Value {
    json!({
        "license_id": license.id,
        "license_key": license.license_key,
        "product_id": license.product_id,
        "license_type": license.license_type.as_str(),
        "enabled": license.enabled,
        "times_activated": license.times_activated,
        "max_activations": license.max_activations,
        "validity_period": time(license.validity_period),
    })
}

pub fn license(details: &LicenseDetails) -> Value {
    let license = &details.license;
    let features: Vec<Value> = details
        .features
        .iter()
        .map(|f| json!({"code": f.feature.code, "total_consumptions": f.consumption.total_consumptions}))
        .collect();
    json!({
        "license_id": license.id,
        "license_key": license.license_key,
        "product": details.product.code,
        "license_type": license.license_type.as_str(),
        "enabled": license.enabled,
        "is_trial": license.is_trial,
        "max_activations": license.max_activations,
        "times_activated": license.times_activated,
        "transfer_count": license.transfer_count,
        "max_transfers": license.max_transfers,
        "start_date": time(license.start_date),
        "validity_period": time(license.validity_period),
        "prevent_vm": license.prevent_vm,
        "is_floating_cloud": license.floating.is_floating_cloud,
        "floating_users": license.floating.floating_users,
        "max_consumptions": license.consumption.max_consumptions,
        "total_consumptions": license.consumption.total_consumptions,
        "features": features,
    })
}

pub fn device(details: &DeviceDetails) -> Value {
    let device = &details.device;
    let variables: serde_json::Map<String, Value> = details
        .variables
        .iter()
        .map(|v| (v.name.clone(), Value::String(v.value.clone())))
        .collect();
    json!({
        "id": device.id,
        "hardware_id": device.hardware_id,
        "active": device.active,
        "blacklisted": device.blacklisted,
        "is_vm": device.is_vm,
        "os_ver": device.os_ver,
        "hostname": device.hostname,
        "floating_until": time(device.floating_until),
        "borrowed_until": time(device.borrowed_until),
        "created_at": device.created_at.to_rfc3339(),
        "last_check_at": time(device.last_check_at),
        "variables": variables,
    })
}
