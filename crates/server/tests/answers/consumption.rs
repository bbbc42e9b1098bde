//! `POST /api/v4/add_consumption` and `POST /api/v4/add_feature_consumption`

use latch_domain::LicenseType;
use latch_store::FeatureType;
use serde_json::json;

use crate::support::*;

fn consuming(consumptions: i64) -> serde_json::Value {
    with(
        identity(KEY, HARDWARE_ID),
        "consumptions",
        json!(consumptions),
    )
}

fn consuming_feature(feature: &str, consumptions: i64) -> serde_json::Value {
    with(consuming(consumptions), "feature", json!(feature))
}

#[tokio::test]
async fn license_consumption() {
    let app = App::new().await;
    app.key_license(|license| {
        license.license_type = LicenseType::Consumption;
        license.consumption.max_consumptions = 10;
        license.consumption.allow_overages = true;
        license.consumption.max_overages = 2;
    })
    .await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(app.post("add_consumption", consuming(4)).await, "added");
    assert_answer!(
        app.post("add_consumption", consuming(9)).await,
        "not_enough_consumptions"
    );
    assert_answer!(
        app.post("add_consumption", consuming(-1)).await,
        "negative_not_allowed"
    );
    assert_answer!(
        app.post(
            "add_consumption",
            with(identity(KEY, HARDWARE_ID), "consumptions", json!("many"))
        )
        .await,
        "consumptions_not_an_integer"
    );
}

#[tokio::test]
async fn consumption_on_another_license_type() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.post("add_consumption", consuming(1)).await,
        "license_not_consumption"
    );
}

#[tokio::test]
async fn feature_consumption() {
    let app = App::new().await;
    let license = app.key_license(|_| {}).await;
    app.feature(&license, "renders", FeatureType::Consumption, |feature| {
        feature.consumption.max_consumptions = 5;
        feature.consumption.allow_negative_consumptions = true;
    })
    .await;
    app.feature(&license, "export", FeatureType::Activation, |_| {})
        .await;
    app.activate(HARDWARE_ID).await;
    let add = |params| app.post("add_feature_consumption", params);

    assert_answer!(add(consuming_feature("renders", 3)).await, "feature_added");
    assert_answer!(
        add(consuming_feature("renders", -1)).await,
        "feature_refunded"
    );
    assert_answer!(
        add(consuming_feature("renders", 4)).await,
        "feature_not_enough_consumptions"
    );
    assert_answer!(
        add(consuming_feature("export", 1)).await,
        "not_a_consumption_feature"
    );
    assert_answer!(add(consuming_feature("nope", 1)).await, "unknown_feature");
    assert_answer!(add(consuming(1)).await, "missing_feature");
    assert_answer!(
        add(with(
            identity(KEY, OTHER_HARDWARE_ID),
            "feature",
            json!("renders")
        ))
        .await,
        "feature_device_not_found"
    );
}
