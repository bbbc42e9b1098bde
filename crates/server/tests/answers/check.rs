//! `GET /api/v4/check_license`

use chrono::{Duration, Utc};
use latch_domain::LicenseType;
use latch_store::{Actor, ColumnValue, FeatureType, LicenseColumn, LicenseUpdate};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn check_without_releases() {
    let app = App::new().await;
    let license = app.key_license(|license| license.max_activations = 3).await;
    app.feature(&license, "export", FeatureType::Activation, |_| {})
        .await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.get("check_license", identity(KEY, HARDWARE_ID)).await,
        "key_based"
    );
}

#[tokio::test]
async fn check_with_custom_fields() {
    let app = App::new().await;
    let license = app.key_license(|_| {}).await;
    app.feature(&license, "export", FeatureType::Activation, |_| {})
        .await;
    // A license's own value overrides the product's default; features and fields both show.
    app.custom_field("seats", Some("number"), "5", Some((&license, "7")))
        .await;
    app.custom_field("edition", None, "standard", None).await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.get("check_license", identity(KEY, HARDWARE_ID)).await,
        "custom_fields"
    );
}

#[tokio::test]
async fn check_with_the_latest_release() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.release("1.0.0", 10).await;
    app.release("1.1.0", 20).await;
    app.activate(HARDWARE_ID).await;
    let params = with(
        with(identity(KEY, HARDWARE_ID), "env", json!("linux")),
        "channel",
        json!("stable"),
    );
    assert_answer!(app.get("check_license", params).await, "latest_release");
}

#[tokio::test]
async fn check_of_a_user_license() {
    let app = App::new().await;
    let customer = app.customer().await;
    app.user_license(Some(&customer), 2).await;
    app.activate_user(HARDWARE_ID).await;
    assert_answer!(
        app.get("check_license", user_identity(HARDWARE_ID)).await,
        "user_based"
    );
    let check_as = |username: &str| {
        let params = with(user_identity(HARDWARE_ID), "username", json!(username));
        async { app.get("check_license", params).await.snapshot() }
    };
    // The user name is an e-mail address, compared trimmed and lower-cased.
    assert_eq!(
        check_as(" User@Example.COM ").await,
        check_as(USER_EMAIL).await
    );
    // Text that is no address names no one: answered as an unknown user.
    assert_eq!(
        check_as("not an address").await,
        check_as("nobody@example.com").await
    );
}

#[tokio::test]
async fn check_of_a_floating_license() {
    let app = App::new().await;
    app.key_license(|license| {
        license.max_activations = 2;
        license.floating.is_floating_cloud = true;
        license.floating.floating_users = 1;
        license.floating.floating_timeout = 30;
    })
    .await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.get("check_license", identity(KEY, HARDWARE_ID)).await,
        "floating"
    );
    // The only seat goes to the second device once the first gives it back.
    let released = app
        .post("floating/release", identity(KEY, HARDWARE_ID))
        .await;
    assert_eq!(released.status, 200, "{}", released.text());
    app.activate(OTHER_HARDWARE_ID).await;
    assert_answer!(
        app.get("check_license", identity(KEY, HARDWARE_ID)).await,
        "floating_not_available"
    );
}

#[tokio::test]
async fn check_refusals() {
    let app = App::new().await;
    let license = app.key_license(|license| license.max_activations = 2).await;
    let get = |params| app.get("check_license", params);

    assert_answer!(get(identity(KEY, HARDWARE_ID)).await, "license_not_active");
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        get(identity(KEY, OTHER_HARDWARE_ID)).await,
        "device_not_found"
    );
    assert_answer!(
        get(identity("NO-SUCH-KEY", HARDWARE_ID)).await,
        "license_not_found"
    );
    assert_answer!(
        get(with(identity(KEY, HARDWARE_ID), "product", json!("nope"))).await,
        "unknown_product"
    );
    assert_answer!(
        get(without(identity(KEY, HARDWARE_ID), "product")).await,
        "missing_product"
    );
    assert_answer!(
        get(with(identity(KEY, HARDWARE_ID), "is_vm", json!("maybe"))).await,
        "invalid_flag"
    );
    app.activate(OTHER_HARDWARE_ID).await;
    app.store
        .blacklist_device(
            license.company_id,
            license.id,
            OTHER_HARDWARE_ID,
            fixed_change(),
        )
        .await
        .unwrap();
    assert_answer!(get(identity(KEY, OTHER_HARDWARE_ID)).await, "blacklisted");
    app.store
        .set_license_enabled(license.company_id, license.id, false, fixed_change())
        .await
        .unwrap();
    assert_answer!(get(identity(KEY, HARDWARE_ID)).await, "license_not_enabled");
}

#[tokio::test]
async fn check_refused_by_time_and_machine() {
    let app = App::new().await;
    let product = app.product.clone();
    let expiring = app
        .license(&product, Some("EXPIRING"), |license| {
            license.license_type = LicenseType::TimeLimited;
            license.validity_period = Some(far_future());
        })
        .await;
    let trial = app
        .license(&product, Some("TRIAL"), |license| {
            license.license_type = LicenseType::TimeLimited;
            license.is_trial = true;
            license.validity_period = Some(far_future());
        })
        .await;
    app.license(&product, Some("NO-VM"), |license| license.prevent_vm = true)
        .await;
    for key in ["EXPIRING", "TRIAL", "NO-VM"] {
        let answer = app
            .post("activate_license", activation(key, HARDWARE_ID))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    // Validity ends after the activation, as a subscription that was not renewed.
    let yesterday = Utc::now() - Duration::days(1);
    for license in [&expiring, &trial] {
        let mut update = LicenseUpdate::new(license.id);
        update.changes.push((
            LicenseColumn::ValidityPeriod,
            ColumnValue::Time(Some(yesterday)),
        ));
        app.store
            .update_licenses(license.company_id, &[update], &Actor::Cli, fixed_time())
            .await
            .unwrap();
    }
    assert_answer!(
        app.get("check_license", identity("EXPIRING", HARDWARE_ID))
            .await,
        "license_expired"
    );
    assert_answer!(
        app.get("check_license", identity("TRIAL", HARDWARE_ID))
            .await,
        "trial_expired"
    );
    assert_answer!(
        app.get(
            "check_license",
            with(identity("NO-VM", HARDWARE_ID), "is_vm", json!(true))
        )
        .await,
        "vm_not_allowed"
    );
}
