//! `GET /api/v4/product_details`

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn product_details() {
    let app = App::new().await;
    let details = |params| app.get("product_details", params);
    assert_answer!(details(json!({"product": PRODUCT})).await, "plain");
    assert_answer!(
        details(json!({"product": USER_PRODUCT})).await,
        "user_based_product"
    );
    let everything = json!({
        "product": PRODUCT,
        "include_latest_version": true,
        "include_custom_fields": true,
    });
    assert_answer!(details(everything.clone()).await, "without_releases");
    app.release("1.0.0", 10).await;
    app.release("2.0.0", 20).await;
    app.custom_field("seats", Some("number"), "5", None).await;
    assert_answer!(
        details(everything).await,
        "latest_version_and_custom_fields"
    );
}

#[tokio::test]
async fn product_details_refusals() {
    let app = App::new().await;
    let details = |params| app.get("product_details", params);
    assert_answer!(details(json!({"product": "nope"})).await, "unknown_product");
    assert_answer!(details(json!({})).await, "missing_product");
    assert_answer!(
        details(json!({"product": PRODUCT, "include_latest_version": "perhaps"})).await,
        "invalid_flag"
    );
}
