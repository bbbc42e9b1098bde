//! `POST /api/v4/floating/borrow` and `POST /api/v4/floating/release`

use serde_json::json;

use crate::support::*;

/// A floating license [`KEY`] with one seat, activated on [`HARDWARE_ID`]; borrowable for up to two
/// days when `can_borrow`.
async fn floating_app(can_borrow: bool) -> App {
    let app = App::new().await;
    app.key_license(|license| {
        license.max_activations = 2;
        license.floating.is_floating_cloud = true;
        license.floating.floating_users = 1;
        license.floating.floating_timeout = 30;
        license.floating.can_borrow = can_borrow;
        license.floating.max_borrow_time = 48;
    })
    .await;
    app.activate(HARDWARE_ID).await;
    app
}

#[tokio::test]
async fn floating_borrow() {
    let app = floating_app(true).await;
    let borrow = |params| app.post("floating/borrow", params);
    assert_answer!(borrow(identity(KEY, HARDWARE_ID)).await, "borrowed");
    assert_answer!(
        borrow(with(
            identity(KEY, HARDWARE_ID),
            "borrowed_until",
            json!("2020-01-01T00:00:00Z")
        ))
        .await,
        "borrow_until_not_valid"
    );
    assert_answer!(
        borrow(identity(KEY, OTHER_HARDWARE_ID)).await,
        "borrow_device_not_found"
    );
}

#[tokio::test]
async fn floating_borrow_not_allowed() {
    let app = floating_app(false).await;
    assert_answer!(
        app.post("floating/borrow", identity(KEY, HARDWARE_ID))
            .await,
        "borrow_not_allowed"
    );
}

#[tokio::test]
async fn floating_borrow_by_a_license_user() {
    let app = App::new().await;
    app.user_license(None, 2).await;
    app.activate_user(HARDWARE_ID).await;
    let wrong_password = with(user_identity(HARDWARE_ID), "password", json!("wrong"));
    assert_answer!(
        app.post("floating/borrow", wrong_password).await,
        "wrong_password"
    );
}

#[tokio::test]
async fn floating_release() {
    let app = floating_app(false).await;
    let release = |hardware_id| app.post("floating/release", identity(KEY, hardware_id));
    assert_answer!(release(HARDWARE_ID).await, "released");
    assert_answer!(release(OTHER_HARDWARE_ID).await, "release_device_not_found");
    assert_answer!(
        app.post("floating/release", identity("NO-SUCH-KEY", HARDWARE_ID))
            .await,
        "release_license_not_found"
    );
}
