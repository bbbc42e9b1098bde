//! Requests no endpoint can use: unknown paths, wrong methods, and bodies or parameters that are not
//! what the License API takes.

use axum::http::Method;
use serde_json::json;

use crate::support::*;

/// A signed `POST /api/v4/activate_license` with `body` as it is.
async fn activate_raw(app: &App, body: impl Into<axum::body::Body>) -> Answer {
    let path = "/api/v4/activate_license";
    app.send(sign(WRITE_KEY, request(Method::POST, path, body)))
        .await
}

#[tokio::test]
async fn unknown_paths() {
    let app = App::new().await;
    assert_unsigned_answer!(
        app.send(signed(
            WRITE_KEY,
            Method::GET,
            "no_such_endpoint",
            &json!({})
        ))
        .await,
        "unknown_endpoint"
    );
    assert_unsigned_answer!(
        app.send(request(Method::GET, "/no/such/path", "")).await,
        "unknown_path"
    );
}

#[tokio::test]
async fn wrong_methods() {
    let app = App::new().await;
    assert_answer!(
        app.send(signed(
            WRITE_KEY,
            Method::GET,
            "activate_license",
            &json!({})
        ))
        .await,
        "get_on_a_post_endpoint"
    );
    assert_answer!(
        app.send(signed(WRITE_KEY, Method::POST, "check_license", &json!({})))
            .await,
        "post_on_a_get_endpoint"
    );
}

#[tokio::test]
async fn malformed_bodies() {
    let app = App::new().await;
    assert_answer!(activate_raw(&app, r#"{"product":"#).await, "invalid_json");
    assert_answer!(activate_raw(&app, "[1,2]").await, "not_an_object");
    assert_answer!(activate_raw(&app, "").await, "empty_body");
    let padding = "x".repeat(65 * 1024);
    let oversized = with(activation(KEY, HARDWARE_ID), "padding", json!(padding));
    assert_answer!(
        activate_raw(&app, oversized.to_string()).await,
        "payload_too_large"
    );
}

#[tokio::test]
async fn malformed_parameters() {
    let app = App::new().await;
    let activate = |params| app.post("activate_license", params);
    let good = || activation(KEY, HARDWARE_ID);
    assert_answer!(
        activate(with(good(), "hardware_id", json!(5))).await,
        "string_of_another_type"
    );
    assert_answer!(
        activate(with(good(), "hardware_id", json!("h".repeat(1025)))).await,
        "string_too_long"
    );
    assert_answer!(
        activate(with(good(), "hardware_id", json!("hw\u{0}nul"))).await,
        "string_with_nul"
    );
    assert_answer!(
        activate(with(good(), "is_vm", json!(1))).await,
        "flag_of_another_type"
    );
    assert_answer!(
        activate(with(good(), "variables", json!({"": "x"}))).await,
        "variable_without_name"
    );
}
