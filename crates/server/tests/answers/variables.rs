//! `POST /api/v4/track_device_variables` and `GET /api/v4/get_device_variables`

use serde_json::json;

use crate::support::*;

fn tracking(variables: serde_json::Value) -> serde_json::Value {
    with(identity(KEY, HARDWARE_ID), "variables", variables)
}

#[tokio::test]
async fn device_variables() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.get("get_device_variables", identity(KEY, HARDWARE_ID))
            .await,
        "none"
    );
    assert_answer!(
        app.post(
            "track_device_variables",
            tracking(json!({"plan": "pro", "seats": 3, "beta": true}))
        )
        .await,
        "tracked"
    );
    assert_answer!(
        app.get("get_device_variables", identity(KEY, HARDWARE_ID))
            .await,
        "listed"
    );
}

#[tokio::test]
async fn device_variable_refusals() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.post("track_device_variables", identity(KEY, HARDWARE_ID))
            .await,
        "track_missing_variables"
    );
    assert_answer!(
        app.post("track_device_variables", tracking(json!(["plan"])))
            .await,
        "track_variables_not_an_object"
    );
    assert_answer!(
        app.post(
            "track_device_variables",
            tracking(json!({"plan": {"nested": 1}}))
        )
        .await,
        "track_variable_not_a_scalar"
    );
    assert_answer!(
        app.post(
            "track_device_variables",
            with(
                identity(KEY, OTHER_HARDWARE_ID),
                "variables",
                json!({"a": 1})
            )
        )
        .await,
        "track_device_not_found"
    );
    assert_answer!(
        app.get("get_device_variables", identity(KEY, OTHER_HARDWARE_ID))
            .await,
        "get_device_not_found"
    );
    assert_answer!(
        app.get("get_device_variables", identity("NO-SUCH-KEY", HARDWARE_ID))
            .await,
        "get_license_not_found"
    );
}
