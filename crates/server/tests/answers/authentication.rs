//! Request authentication, common to every License API endpoint: the `Date` and HMAC `Authorization`
//! headers, and the API key's state.

use axum::http::Method;
use chrono::{Duration, Utc};
use latch_wire::auth::{authorization_header, request_signature};
use serde_json::{json, Value};

use crate::support::*;

/// `name="value"` pairs joined the way the Python SDK writes them.
fn authorization(parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .map(|(name, value)| format!("{name}=\"{value}\""))
        .collect::<Vec<_>>()
        .join(",")
}

/// `GET /api/v4/product_details` with the given `Date` and `Authorization` headers.
async fn details_with(app: &App, date: Option<&str>, authorization: Option<&str>) -> Answer {
    let request = unsigned(Method::GET, "product_details", &json!({"product": PRODUCT}));
    app.send(with_auth_headers(request, date, authorization))
        .await
}

#[tokio::test]
async fn authentication_refusals() {
    let app = App::new().await;
    let date = date_now();
    let signature = request_signature(WRITE_KEY.shared_key, &date);
    let parts = |algorithm, headers| {
        authorization(&[
            ("algorithm", algorithm),
            ("headers", headers),
            ("signature", &signature),
            ("apiKey", WRITE_KEY.api_key),
        ])
    };
    let stale = latch_wire::time::http_date(Utc::now() - Duration::minutes(16));

    assert_unsigned_answer!(details_with(&app, None, None).await, "missing_headers");
    assert_unsigned_answer!(
        details_with(
            &app,
            Some(&stale),
            Some(&authorization_header(
                WRITE_KEY.api_key,
                WRITE_KEY.shared_key,
                &stale
            ))
        )
        .await,
        "date_header_diff"
    );
    assert_unsigned_answer!(
        details_with(
            &app,
            Some(&date),
            Some(&parts("hmac-sha256", "date content-type"))
        )
        .await,
        "authorization_invalid_headers"
    );
    assert_unsigned_answer!(
        details_with(
            &app,
            Some(&date),
            Some(&authorization(&[
                ("algorithm", "hmac-sha256"),
                ("headers", "date"),
                ("apiKey", WRITE_KEY.api_key),
            ]))
        )
        .await,
        "authorization_missing_params"
    );
    assert_unsigned_answer!(
        details_with(&app, Some(&date), Some(&parts("hmac-sha1", "date"))).await,
        "hmac_required"
    );
    assert_unsigned_answer!(
        details_with(
            &app,
            Some(&date),
            Some(&authorization_header(
                WRITE_KEY.api_key,
                "not-the-shared-key",
                &date
            ))
        )
        .await,
        "signature_mismatch"
    );
    assert_unsigned_answer!(
        details_with(
            &app,
            Some(&date),
            Some(&authorization_header(
                "NOSUCHKEY",
                WRITE_KEY.shared_key,
                &date
            ))
        )
        .await,
        "invalid_api_key"
    );
    assert_unsigned_answer!(
        app.send(signed(
            REVOKED_KEY,
            Method::GET,
            "product_details",
            &json!({"product": PRODUCT})
        ))
        .await,
        "revoked_api_key"
    );
}

/// Every endpoint that changes licenses, devices, users or trials, with parameters it would accept.
fn write_calls() -> Vec<(Method, &'static str, Value)> {
    let feature = with(identity(KEY, HARDWARE_ID), "feature", json!("seats"));
    vec![
        (
            Method::POST,
            "activate_license",
            activation(KEY, HARDWARE_ID),
        ),
        (
            Method::POST,
            "deactivate_license",
            identity(KEY, HARDWARE_ID),
        ),
        (
            Method::POST,
            "track_device_variables",
            with(identity(KEY, HARDWARE_ID), "variables", json!({"a": 1})),
        ),
        (Method::POST, "add_consumption", identity(KEY, HARDWARE_ID)),
        (Method::POST, "add_feature_consumption", feature.clone()),
        (Method::POST, "floating/borrow", identity(KEY, HARDWARE_ID)),
        (Method::POST, "floating/release", identity(KEY, HARDWARE_ID)),
        (Method::POST, "floating/feature_borrow", feature.clone()),
        (Method::POST, "floating/feature_release", feature),
        (
            Method::GET,
            "trial_key",
            json!({"product": PRODUCT, "hardware_id": HARDWARE_ID}),
        ),
        (
            Method::POST,
            "change_password",
            json!({"username": USER_EMAIL, "password": USER_PASSWORD, "new_password": "long-enough"}),
        ),
    ]
}

#[tokio::test]
async fn read_only_keys_cannot_write() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    let mut answers = Vec::new();
    for (method, endpoint, params) in write_calls() {
        let answer = app
            .send(signed(READ_ONLY_KEY, method.clone(), endpoint, &params))
            .await;
        answer.assert_signed();
        answers.push((format!("{method} {endpoint}"), answer));
    }
    // One snapshot stands for all: every write endpoint refuses with the same answer.
    let (_, first) = &answers[0];
    for (call, answer) in &answers {
        assert_eq!(answer.snapshot(), first.snapshot(), "{call}");
    }
    snapshot!(first, "read_only_api_key");
    // The key is refused before the body is read: a malformed one gets the same answer.
    let malformed = sign(
        READ_ONLY_KEY,
        request(Method::POST, "/api/v4/activate_license", r#"{"product":"#),
    );
    assert_eq!(app.send(malformed).await.snapshot(), first.snapshot());
}
