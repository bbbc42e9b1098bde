//! `GET /api/v4/user_licenses`, `GET /api/v4/customer_license_users` and
//! `POST /api/v4/change_password`

use serde_json::{json, Value};

use crate::support::*;

fn credentials(password: &str) -> Value {
    json!({"username": USER_EMAIL, "password": password})
}

#[tokio::test]
async fn user_licenses() {
    let app = App::new().await;
    let customer = app.customer().await;
    app.user_license(Some(&customer), 2).await;
    app.activate_user(HARDWARE_ID).await;
    let licenses = |params| app.get("user_licenses", params);
    assert_answer!(licenses(credentials(USER_PASSWORD)).await, "all_products");
    assert_answer!(
        licenses(with(credentials(USER_PASSWORD), "product", json!(PRODUCT))).await,
        "product_without_licenses"
    );
    assert_answer!(
        licenses(credentials("wrong")).await,
        "user_licenses_wrong_password"
    );
    assert_answer!(
        licenses(with(
            credentials(USER_PASSWORD),
            "username",
            json!("nobody@example.com")
        ))
        .await,
        "unknown_user"
    );
    // Text that is no e-mail address names no one: answered as an unknown user.
    assert_eq!(
        licenses(with(
            credentials(USER_PASSWORD),
            "username",
            json!("not an address")
        ))
        .await
        .snapshot(),
        licenses(with(
            credentials(USER_PASSWORD),
            "username",
            json!("nobody@example.com")
        ))
        .await
        .snapshot()
    );
    assert_answer!(
        licenses(with(credentials(USER_PASSWORD), "product", json!("nope"))).await,
        "user_licenses_unknown_product"
    );
    assert_answer!(
        licenses(without(credentials(USER_PASSWORD), "password")).await,
        "missing_password"
    );
}

#[tokio::test]
async fn customer_license_users() {
    let app = App::new().await;
    let customer = app.customer().await;
    app.user_license(Some(&customer), 2).await;
    let users = |params| app.get("customer_license_users", params);
    let query = json!({"product": USER_PRODUCT, "customer": CUSTOMER_EMAIL});
    assert_answer!(users(query.clone()).await, "listed");
    assert_answer!(
        users(with(
            query.clone(),
            "customer",
            json!("stranger@example.com")
        ))
        .await,
        "customer_does_not_exist"
    );
    assert_eq!(
        users(with(query.clone(), "customer", json!("no-at-sign")))
            .await
            .snapshot(),
        users(with(
            query.clone(),
            "customer",
            json!("stranger@example.com")
        ))
        .await
        .snapshot()
    );
    // Addresses are compared trimmed and lower-cased.
    assert_eq!(
        users(with(
            query.clone(),
            "customer",
            json!(format!(" {} ", CUSTOMER_EMAIL.to_uppercase()))
        ))
        .await
        .snapshot(),
        users(query.clone()).await.snapshot()
    );
    assert_answer!(
        users(with(query.clone(), "product", json!("nope"))).await,
        "customer_users_unknown_product"
    );
    assert_answer!(users(without(query, "customer")).await, "missing_customer");
}

#[tokio::test]
async fn change_password() {
    let app = App::new().await;
    app.user_license(None, 2).await;
    let change = |params| app.post("change_password", params);
    let changing = with(
        credentials(USER_PASSWORD),
        "new_password",
        json!("a-new-password"),
    );
    assert_answer!(
        change(with(changing.clone(), "new_password", json!("short"))).await,
        "new_password_too_short"
    );
    assert_answer!(
        change(without(changing.clone(), "new_password")).await,
        "missing_new_password"
    );
    assert_answer!(change(changing.clone()).await, "changed");
    // The old password no longer works. (Another new password, so the request is not the same one
    // again within a second, which would be answered as a replay of the first.)
    assert_answer!(
        change(with(
            changing,
            "new_password",
            json!("yet-another-password")
        ))
        .await,
        "change_password_wrong_password"
    );
}
