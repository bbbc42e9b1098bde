//! `POST /api/v4/activate_license`

use chrono::Duration;
use latch_domain::LicenseType;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn key_based_activation() {
    let app = App::new().await;
    app.key_license(|license| {
        license.max_activations = 2;
        license.validity_period = Some(far_future());
        license.license_type = LicenseType::TimeLimited;
    })
    .await;
    let params = with(
        activation(KEY, HARDWARE_ID),
        "variables",
        json!({"seats": 3, "plan": "pro", "trial": false}),
    );
    assert_answer!(app.post("activate_license", params).await, "key_based");
}

#[tokio::test]
async fn user_based_activation() {
    let app = App::new().await;
    let customer = app.customer().await;
    app.user_license(Some(&customer), 2).await;
    assert_answer!(
        app.post("activate_license", user_activation(HARDWARE_ID))
            .await,
        "user_based"
    );
}

#[tokio::test]
async fn activation_refusals() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    let refused = |params| app.post("activate_license", params);

    assert_answer!(refused(activation(KEY, HARDWARE_ID)).await, "device_exists");
    assert_answer!(
        refused(activation(KEY, OTHER_HARDWARE_ID)).await,
        "activated_max_times"
    );
    assert_answer!(
        refused(activation("NO-SUCH-KEY", HARDWARE_ID)).await,
        "license_not_found"
    );
    assert_answer!(
        refused(with(activation(KEY, HARDWARE_ID), "product", json!("nope"))).await,
        "unknown_product"
    );
    assert_answer!(
        refused(without(activation(KEY, HARDWARE_ID), "hardware_id")).await,
        "missing_hardware_id"
    );
    assert_answer!(
        refused(without(activation(KEY, HARDWARE_ID), "license_key")).await,
        "missing_license_key"
    );
    assert_answer!(
        refused(without(activation(KEY, HARDWARE_ID), "product")).await,
        "missing_product"
    );
}

#[tokio::test]
async fn activation_refused_by_the_license_state() {
    let app = App::new().await;
    let product = app.product.clone();
    let now = chrono::Utc::now();
    app.license(&product, Some("DISABLED"), |license| {
        license.enabled = false
    })
    .await;
    app.license(&product, Some("EXPIRED"), |license| {
        license.license_type = LicenseType::TimeLimited;
        license.validity_period = Some(fixed_time());
    })
    .await;
    app.license(&product, Some("TRIAL-EXPIRED"), |license| {
        license.license_type = LicenseType::TimeLimited;
        license.is_trial = true;
        license.validity_period = Some(now - Duration::days(1));
    })
    .await;
    app.license(&product, Some("NOT-YET"), |license| {
        license.start_date = Some(far_future())
    })
    .await;
    app.license(&product, Some("NO-VM"), |license| license.prevent_vm = true)
        .await;
    let blacklisting = app.license(&product, Some("BLACKLIST"), |_| {}).await;
    app.store
        .blacklist_device(
            blacklisting.company_id,
            blacklisting.id,
            HARDWARE_ID,
            fixed_change(),
        )
        .await
        .unwrap();

    for (key, name) in [
        ("DISABLED", "license_not_enabled"),
        ("EXPIRED", "license_expired"),
        ("TRIAL-EXPIRED", "trial_expired"),
        ("NOT-YET", "license_start_date"),
        ("BLACKLIST", "blacklisted"),
    ] {
        let answer = app
            .post("activate_license", activation(key, HARDWARE_ID))
            .await;
        answer.assert_signed();
        snapshot!(answer, name);
    }
    let on_a_vm = with(activation("NO-VM", HARDWARE_ID), "is_vm", json!(true));
    assert_answer!(
        app.post("activate_license", on_a_vm).await,
        "vm_not_allowed"
    );
}

#[tokio::test]
async fn activation_refused_after_the_last_transfer() {
    let app = App::new().await;
    app.key_license(|license| license.max_transfers = 1).await;
    // The second device is the one transfer allowed; the third would be another.
    for hardware_id in ["hw-a", "hw-b"] {
        app.activate(hardware_id).await;
        let answer = app
            .post("deactivate_license", identity(KEY, hardware_id))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    assert_answer!(
        app.post("activate_license", activation(KEY, "hw-c")).await,
        "transferred_max_times"
    );
}

#[tokio::test]
async fn user_activation_refusals() {
    let app = App::new().await;
    app.user_license(None, 1).await;
    app.activate_user(HARDWARE_ID).await;

    assert_answer!(
        app.post("activate_license", user_activation(OTHER_HARDWARE_ID))
            .await,
        "user_activated_max_times"
    );
    assert_answer!(
        app.post(
            "activate_license",
            with(
                user_activation(OTHER_HARDWARE_ID),
                "password",
                json!("wrong")
            )
        )
        .await,
        "wrong_password"
    );
    assert_answer!(
        app.post(
            "activate_license",
            without(user_activation(OTHER_HARDWARE_ID), "password")
        )
        .await,
        "missing_password"
    );
}
