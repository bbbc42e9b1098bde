//! The vendor dashboard at `/dashboard/`: server-rendered pages (maud) for a company's staff, over
//! the same service calls as the Management API, acting as `Actor::Staff` so the event log names
//! the member. Its stylesheet and script are compiled into the binary. Every page needs a session
//! (`session.rs`), every POST its CSRF token, and every action the role it takes.

mod customer_accounts;
mod error;
mod imports;
mod issue;
mod licenses;
mod lists;
mod overview;
mod page;
mod products;
mod session;
mod settings;
mod staff;
mod webhooks;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

const STYLESHEET: &str = include_str!("assets/dashboard.css");
const SCRIPT: &str = include_str!("assets/dashboard.js");

/// Every dashboard route, at its full path.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Redirect::permanent("/dashboard/") }),
        )
        .route("/dashboard/", get(overview::overview))
        .route(
            "/dashboard/login",
            get(session::sign_in).post(session::sign_in_submit),
        )
        .route("/dashboard/logout", post(session::sign_out))
        .route("/dashboard/licenses", get(licenses::list))
        .route("/dashboard/licenses/disable", post(licenses::disable_many))
        .route("/dashboard/licenses/export.csv", get(licenses::export))
        .route("/dashboard/licenses/{id}", get(licenses::detail))
        .route("/dashboard/licenses/{id}/{action}", post(licenses::act))
        .route(
            "/dashboard/licenses/{id}/seats/{device}/release",
            post(licenses::release_seat),
        )
        .route("/dashboard/devices", get(lists::devices))
        .route(
            "/dashboard/devices/{id}/{action}",
            post(licenses::device_action),
        )
        .route("/dashboard/issue", get(issue::form).post(issue::submit))
        .route("/dashboard/orders/{id}/keys.csv", get(issue::keys_csv))
        .route("/dashboard/customers", get(lists::customers))
        .route(
            "/dashboard/customer-accounts",
            get(customer_accounts::list).post(customer_accounts::create),
        )
        .route(
            "/dashboard/customer-accounts/new",
            get(customer_accounts::new_form),
        )
        .route(
            "/dashboard/customer-accounts/{id}",
            get(customer_accounts::detail).post(customer_accounts::update),
        )
        .route(
            "/dashboard/customer-accounts/{id}/customers",
            post(customer_accounts::add_customer),
        )
        .route(
            "/dashboard/customer-accounts/{id}/customers/{customer}/remove",
            post(customer_accounts::remove_customer),
        )
        .route("/dashboard/license-users", get(lists::license_users))
        .route(
            "/dashboard/license-users/{id}/password",
            post(licenses::reset_user_password),
        )
        .route(
            "/dashboard/products",
            get(products::list).post(products::create),
        )
        .route("/dashboard/products/new", get(products::new_form))
        .route("/dashboard/products/{id}", get(products::detail))
        .route("/dashboard/products/{id}/{form}", post(products::change))
        .route(
            "/dashboard/products/{id}/{section}/{item}",
            get(products::edit_form).post(products::save),
        )
        .route(
            "/dashboard/products/{id}/{section}/{item}/delete",
            post(products::delete),
        )
        .route("/dashboard/events", get(lists::events))
        .route("/dashboard/staff", get(staff::list).post(staff::add))
        .route("/dashboard/staff/{id}/revoke", post(staff::revoke))
        .route("/dashboard/staff/{id}/role", post(staff::change_role))
        .route("/dashboard/staff/{id}/remove", post(staff::remove))
        .route(
            "/dashboard/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/dashboard/webhooks/{id}", get(webhooks::detail))
        .route("/dashboard/webhooks/{id}/{action}", post(webhooks::act))
        .route(
            "/dashboard/webhooks/{id}/deliveries/{delivery}",
            get(webhooks::delivery),
        )
        .route(
            "/dashboard/webhooks/{id}/deliveries/{delivery}/retry",
            post(webhooks::retry),
        )
        .route("/dashboard/account", get(staff::account))
        .route("/dashboard/account/totp", post(staff::start_totp))
        .route("/dashboard/account/totp/confirm", post(staff::confirm_totp))
        .route("/dashboard/account/totp/off", post(staff::turn_off_totp))
        .route(
            "/dashboard/imports",
            get(imports::form)
                .post(imports::start)
                .layer(DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES)),
        )
        .route("/dashboard/imports/{id}", get(imports::detail))
        .route("/dashboard/imports/{id}/progress", get(imports::progress))
        .route(
            "/dashboard/imports/{id}/errors.csv",
            get(imports::errors_csv),
        )
        .route("/dashboard/settings", get(settings::settings))
        .route(
            "/dashboard/settings/public-key.pem",
            get(settings::public_key),
        )
        .route(
            "/dashboard/settings/api-keys",
            post(settings::create_api_key),
        )
        .route(
            "/dashboard/settings/api-keys/{api_key}/revoke",
            post(settings::revoke_api_key),
        )
        .route(
            "/dashboard/settings/management-keys",
            post(settings::create_management_key),
        )
        .route(
            "/dashboard/settings/management-keys/{id}/revoke",
            post(settings::revoke_management_key),
        )
        .route("/dashboard/assets/dashboard.css", get(stylesheet))
        .route("/dashboard/assets/dashboard.js", get(script))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::management::known_to_checks,
        ))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

/// Pages run only the dashboard's own script and style, are never framed and never cached: they
/// show a company's data to one signed-in member.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
