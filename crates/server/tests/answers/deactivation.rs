//! `POST /api/v4/deactivate_license`

use crate::support::*;

#[tokio::test]
async fn deactivation() {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.activate(HARDWARE_ID).await;
    assert_answer!(
        app.post("deactivate_license", identity(KEY, HARDWARE_ID))
            .await,
        "deactivated"
    );
    assert_answer!(
        app.post("deactivate_license", identity(KEY, HARDWARE_ID))
            .await,
        "device_not_found"
    );
    assert_answer!(
        app.post("deactivate_license", identity("NO-SUCH-KEY", HARDWARE_ID))
            .await,
        "license_not_found"
    );
    assert_answer!(
        app.post(
            "deactivate_license",
            without(identity(KEY, HARDWARE_ID), "hardware_id")
        )
        .await,
        "missing_hardware_id"
    );
}

#[tokio::test]
async fn deactivation_refused_by_the_license_state() {
    let app = App::new().await;
    let license = app.key_license(|license| license.max_activations = 2).await;
    app.activate(HARDWARE_ID).await;
    app.store
        .blacklist_device(license.company_id, license.id, HARDWARE_ID, fixed_change())
        .await
        .unwrap();
    assert_answer!(
        app.post("deactivate_license", identity(KEY, HARDWARE_ID))
            .await,
        "blacklisted"
    );
    app.activate(OTHER_HARDWARE_ID).await;
    app.store
        .set_license_enabled(license.company_id, license.id, false, fixed_change())
        .await
        .unwrap();
    assert_answer!(
        app.post("deactivate_license", identity(KEY, OTHER_HARDWARE_ID))
            .await,
        "license_not_enabled"
    );
}
