//! Every License API path answers with and without a trailing slash (LicenseSpring's own Postman
//! collection adds one), authenticated and signed the same way.

use serde_json::json;

use super::support::{Backend, Latch};
use super::{activation, query, set_up};

both_backends!(license_api_paths_answer_with_a_trailing_slash);

async fn license_api_paths_answer_with_a_trailing_slash(backend: Backend) {
    let latch = Latch::new(backend, "trailing_slash").await;
    let (company, key) = set_up(&latch, &["--max-activations", "2"]);
    let server = latch.serve();
    let creds = &company.creds;

    let activated = server
        .post(
            creds,
            "activate_license/",
            &activation("app", &key, "hw-slash"),
        )
        .await;
    activated.assert_signed_by(&company.public_key_pem);
    assert_eq!(activated.ok()["license_key"], key);

    for endpoint in ["check_license", "check_license/"] {
        let checked = server
            .get(creds, endpoint, &query("app", &key, "hw-slash"))
            .await;
        checked.assert_signed_by(&company.public_key_pem);
        assert_eq!(checked.ok()["license_key"], key, "{endpoint}");
    }
    let details = server
        .get(creds, "product_details/", &[("product", "app")])
        .await;
    details.assert_signed_by(&company.public_key_pem);
    assert_eq!(details.ok()["short_code"], "app");

    // Authentication still applies: a wrong shared key is refused on the slashed path too.
    let mut forged = creds.clone();
    forged.shared_key = "not-the-shared-key".into();
    server
        .get(&forged, "product_details/", &[("product", "app")])
        .await
        .assert_error(400, "signature_mismatch");
    server
        .post(creds, "no_such_endpoint/", &json!({}))
        .await
        .assert_error(404, "not_found");
}
