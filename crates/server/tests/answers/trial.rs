//! `GET /api/v4/trial_key`

use latch_store::AuthorizationMethod;
use serde_json::json;

use crate::support::*;

fn trial(product: &str, hardware_id: &str) -> serde_json::Value {
    json!({"product": product, "hardware_id": hardware_id})
}

fn user_trial(hardware_id: &str) -> serde_json::Value {
    let mut params = trial(USER_PRODUCT, hardware_id);
    params["email"] = json!("Trial.User@Example.com");
    params["password"] = json!("chosen-password");
    params["first_name"] = json!("Tia");
    params["last_name"] = json!("Trial");
    params["phone"] = json!("+1 555 0199");
    params
}

#[tokio::test]
async fn key_trial() {
    let app = App::new().await;
    // The key is generated and the trial ends a number of days from now.
    assert_answer!(
        app.get("trial_key", trial(PRODUCT, HARDWARE_ID)).await,
        "new_key_trial",
        ".body.license",
        ".body.license_key",
        ".body.validity_period",
    );
    assert_answer!(
        app.get("trial_key", trial(PRODUCT, HARDWARE_ID)).await,
        "existing_key_trial",
        ".body.license",
    );
}

#[tokio::test]
async fn user_trial_answers() {
    let app = App::new().await;
    assert_answer!(
        app.get("trial_key", user_trial(HARDWARE_ID)).await,
        "new_user_trial",
        ".body.validity_period",
    );
    assert_answer!(
        app.get("trial_key", user_trial(HARDWARE_ID)).await,
        "existing_user_trial"
    );
}

#[tokio::test]
async fn trial_refusals() {
    let app = App::new().await;
    create_product(
        &app.store,
        &app.company,
        "no-trials",
        AuthorizationMethod::LicenseKey,
        false,
    )
    .await;
    let get = |params| app.get("trial_key", params);
    assert_answer!(
        get(trial("no-trials", HARDWARE_ID)).await,
        "trial_not_allowed"
    );
    assert_answer!(get(trial("nope", HARDWARE_ID)).await, "unknown_product");
    assert_answer!(
        get(json!({"product": PRODUCT})).await,
        "missing_hardware_id"
    );
    assert_answer!(
        get(json!({"hardware_id": HARDWARE_ID})).await,
        "missing_product"
    );
    assert_answer!(get(trial(USER_PRODUCT, HARDWARE_ID)).await, "missing_email");
    // A trial may create its license user: text that is no e-mail address is refused.
    let mut not_an_address = user_trial(HARDWARE_ID);
    not_an_address["email"] = json!("trial user");
    let refused = get(not_an_address).await.snapshot();
    assert_eq!(
        (&refused["status"], &refused["body"]["code"]),
        (&json!(400), &json!("validation_error")),
        "{refused}"
    );
}
