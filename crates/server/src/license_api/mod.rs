//! The License API v4: one module per endpoint, each a thin handler (parameters -> domain rule -> store
//! -> wire body).

mod activate;
mod body;
mod check;
mod deactivate;
mod product_details;
mod variables;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use latch_store::{DeviceInfo, DeviceKey};

use crate::error::ApiError;
use crate::params::Params;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activate_license", post(activate::activate_license))
        .route("/check_license", get(check::check_license))
        .route("/deactivate_license", post(deactivate::deactivate_license))
        .route(
            "/track_device_variables",
            post(variables::track_device_variables),
        )
        .route(
            "/get_device_variables",
            get(variables::get_device_variables),
        )
        .route("/product_details", get(product_details::product_details))
}

/// The identity parameters most endpoints take: product, hardware id and license key.
pub(crate) struct Identity<'a> {
    pub product: &'a str,
    pub hardware_id: &'a str,
    pub license_key: &'a str,
}

impl<'a> Identity<'a> {
    pub fn from_params(params: &'a Params) -> Result<Self, ApiError> {
        Ok(Self {
            product: params.required_str("product")?,
            hardware_id: params.required_str("hardware_id")?,
            license_key: params.required_str("license_key")?,
        })
    }

    pub fn device_key(&self, company_id: i64) -> DeviceKey<'a> {
        DeviceKey {
            company_id,
            product_code: self.product,
            license_key: self.license_key,
            hardware_id: self.hardware_id,
        }
    }
}

fn device_info(params: &Params) -> Result<DeviceInfo, ApiError> {
    let text = |name| params.optional_str(name).map(|v| v.map(str::to_owned));
    Ok(DeviceInfo {
        is_vm: params.flag("is_vm")?,
        vm_info: text("vm_info")?,
        os_ver: text("os_ver")?,
        hostname: text("hostname")?,
        ip: text("ip")?,
        mac_address: text("mac_address")?,
        app_ver: text("app_ver")?,
        sdk_ver: text("sdk_ver")?,
    })
}

/// A 200 answer with a compact JSON body (signed by the authentication layer).
fn json(body: &impl serde::Serialize) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        latch_wire::body::to_json(body),
    )
        .into_response()
}
