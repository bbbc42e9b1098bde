//! The License API over HTTP against a real `latch serve`, on SQLite and on PostgreSQL, one module per
//! concern: authentication, API keys, bad input, response signatures, tenant isolation, health and
//! shutdown, and CLI errors. Run one with e.g. `cargo test -p latch --test http_api signatures::`.

#[path = "../support/mod.rs"]
#[macro_use]
mod support;

mod api_keys;
mod auth;
mod bad_input;
mod cli_errors;
mod health;
mod oauth;
mod offline;
mod signatures;
mod tenants;
mod trailing_slash;

use serde_json::{json, Value};
use support::{Company, Latch};

/// The activation body the Python SDK sends.
fn activation(product: &str, license_key: &str, hardware_id: &str) -> Value {
    json!({
        "product": product,
        "license_key": license_key,
        "hardware_id": hardware_id,
        "os_ver": "linux",
        "hostname": "test-host",
        "ip": null,
        "mac_address": null,
        "is_vm": false,
        "vm_info": null,
        "sdk_ver": "PythonSDK 4.0.0",
    })
}

/// `product`, `hardware_id` and `license_key` as a body or query.
fn identity(product: &str, license_key: &str, hardware_id: &str) -> Value {
    json!({"product": product, "license_key": license_key, "hardware_id": hardware_id})
}

fn query<'a>(
    product: &'a str,
    license_key: &'a str,
    hardware_id: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("product", product),
        ("license_key", license_key),
        ("hardware_id", hardware_id),
        ("include_expired_features", "false"),
    ]
}

/// A deployment with one company, product `app` and one license (extra `license create` arguments).
fn set_up(latch: &Latch, license_args: &[&str]) -> (Company, String) {
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", license_args);
    (company, key)
}
