//! `GET /api/v4/check_license_feature`, `POST /api/v4/floating/feature_borrow` and
//! `POST /api/v4/floating/feature_release`

use latch_store::{FeatureType, NewLicenseFeature};
use serde_json::{json, Value};

use crate::support::*;

fn feature(code: &str) -> Value {
    with(identity(KEY, HARDWARE_ID), "feature", json!(code))
}

/// A floating feature with one seat, borrowable for up to `max_borrow_time` hours (a feature can be
/// borrowed exactly when that is positive).
fn floating(max_borrow_time: i64) -> impl FnOnce(&mut NewLicenseFeature) {
    move |feature| {
        feature.floating.is_floating_cloud = true;
        feature.floating.floating_users = 1;
        feature.floating.floating_timeout = 15;
        feature.floating.max_borrow_time = max_borrow_time;
    }
}

/// A license activated on [`HARDWARE_ID`] with the features `export` (activation), `renders`
/// (consumption), `seats` (floating, borrowable) and `pinned` (floating, not borrowable).
async fn app_with_features() -> App {
    let app = App::new().await;
    let license = app.key_license(|license| license.max_activations = 2).await;
    app.feature(&license, "export", FeatureType::Activation, |feature| {
        feature.expiry_date = Some(far_future())
    })
    .await;
    app.feature(&license, "renders", FeatureType::Consumption, |feature| {
        feature.consumption.max_consumptions = 100
    })
    .await;
    app.feature(&license, "seats", FeatureType::Activation, floating(24))
        .await;
    app.feature(&license, "pinned", FeatureType::Activation, floating(0))
        .await;
    app.activate(HARDWARE_ID).await;
    app
}

#[tokio::test]
async fn check_license_feature() {
    let app = app_with_features().await;
    let check = |code| app.get("check_license_feature", feature(code));
    assert_answer!(check("export").await, "activation_feature");
    assert_answer!(check("renders").await, "consumption_feature");
    assert_answer!(check("seats").await, "floating_feature");
    assert_answer!(check("nope").await, "check_unknown_feature");
    assert_answer!(
        app.get("check_license_feature", identity(KEY, HARDWARE_ID))
            .await,
        "missing_feature"
    );
    assert_answer!(
        app.get(
            "check_license_feature",
            with(identity(KEY, OTHER_HARDWARE_ID), "feature", json!("export"))
        )
        .await,
        "device_not_found"
    );
}

#[tokio::test]
async fn feature_borrow() {
    let app = app_with_features().await;
    let borrow = |params| app.post("floating/feature_borrow", params);
    assert_answer!(borrow(feature("seats")).await, "borrowed");
    assert_answer!(
        borrow(feature("export")).await,
        "borrow_feature_not_floating"
    );
    assert_answer!(borrow(feature("pinned")).await, "borrow_not_allowed");
    assert_answer!(
        borrow(with(
            feature("seats"),
            "borrowed_until",
            json!("2020-01-01")
        ))
        .await,
        "borrow_until_not_valid"
    );
    assert_answer!(
        borrow(with(feature("seats"), "borrowed_until", json!("someday"))).await,
        "borrow_until_not_a_date"
    );
    assert_answer!(borrow(feature("nope")).await, "borrow_unknown_feature");
}

#[tokio::test]
async fn feature_release() {
    let app = app_with_features().await;
    let release = |code| app.post("floating/feature_release", feature(code));
    assert_answer!(release("seats").await, "not_in_use");
    let taken = app.get("check_license_feature", feature("seats")).await;
    assert_eq!(taken.status, 200, "{}", taken.text());
    assert_answer!(release("seats").await, "released");
    assert_answer!(release("export").await, "release_feature_not_floating");
    assert_answer!(release("nope").await, "release_unknown_feature");
}
