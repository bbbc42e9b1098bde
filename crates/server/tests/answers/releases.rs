//! `GET /api/v4/versions` and `GET /api/v4/installation_file`

use serde_json::json;

use crate::support::*;

/// [`KEY`] activated on [`HARDWARE_ID`], with releases 1.0.0 and 1.1.0.
async fn app_with_releases() -> App {
    let app = App::new().await;
    app.key_license(|_| {}).await;
    app.release("1.0.0", 10).await;
    app.release("1.1.0", 20).await;
    app.activate(HARDWARE_ID).await;
    app
}

#[tokio::test]
async fn versions() {
    let app = app_with_releases().await;
    let versions = |params| app.get("versions", params);
    assert_answer!(versions(identity(KEY, HARDWARE_ID)).await, "listed");
    assert_answer!(
        versions(with(identity(KEY, HARDWARE_ID), "env", json!("windows"))).await,
        "other_environment"
    );
    assert_answer!(
        versions(identity(KEY, OTHER_HARDWARE_ID)).await,
        "versions_active_license_required"
    );
    assert_answer!(
        versions(with(identity(KEY, HARDWARE_ID), "product", json!("nope"))).await,
        "versions_unknown_product"
    );
    assert_answer!(
        versions(without(identity(KEY, HARDWARE_ID), "hardware_id")).await,
        "missing_hardware_id"
    );
}

#[tokio::test]
async fn installation_file() {
    let app = app_with_releases().await;
    let file = |params| app.get("installation_file", params);
    assert_answer!(file(identity(KEY, HARDWARE_ID)).await, "latest");
    assert_answer!(
        file(with(identity(KEY, HARDWARE_ID), "version", json!("1.0.0"))).await,
        "named_version"
    );
    assert_answer!(
        file(with(identity(KEY, HARDWARE_ID), "version", json!("9.9.9"))).await,
        "version_not_found"
    );
    assert_answer!(
        file(identity(KEY, OTHER_HARDWARE_ID)).await,
        "installation_file_active_license_required"
    );
    assert_answer!(
        file(identity("NO-SUCH-KEY", HARDWARE_ID)).await,
        "unknown_license"
    );
}
