//! The `LicenseSignature` of successes and business errors, by the company's own key.

use serde_json::json;

use crate::support::{Backend, Latch};
use crate::{activation, identity, query, set_up};

both_backends!(responses_are_signed);

async fn responses_are_signed(backend: Backend) {
    let latch = Latch::new(backend, "signatures").await;
    let (company, key) = set_up(&latch, &["--max-activations", "2"]);
    let other = latch.company("Other");
    // The PEM `company public-key` prints is the one `company create` returned.
    let printed = latch
        .command()
        .args([
            "company",
            "public-key",
            "--company",
            &company.id.to_string(),
        ])
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap().trim(),
        company.public_key_pem.trim()
    );
    let server = latch.serve();
    let creds = &company.creds;
    let pem = company.public_key_pem.as_str();

    let mut activate = activation("app", &key, "hw-1");
    activate["variables"] = json!({"seats": 3});
    let mut track = identity("app", &key, "hw-1");
    track["variables"] = json!({"plan": "pro", "ok": true});
    let successes = [
        server.post(creds, "activate_license", &activate).await,
        server
            .get(creds, "check_license", &query("app", &key, "hw-1"))
            .await,
        server.post(creds, "track_device_variables", &track).await,
        server
            .get(creds, "get_device_variables", &query("app", &key, "hw-1"))
            .await,
        server
            .get(creds, "product_details", &[("product", "app")])
            .await,
        server
            .get(
                creds,
                "product_details",
                &[
                    ("product", "app"),
                    ("include_latest_version", "true"),
                    ("include_custom_fields", "true"),
                ],
            )
            .await,
    ];
    for reply in &successes {
        reply.ok();
        reply.assert_signed_by(pem);
        assert!(
            !reply.signature_verifies(&other.public_key_pem),
            "another company's key verifies {}",
            reply.text()
        );
    }
    let deactivated = server
        .post(creds, "deactivate_license", &identity("app", &key, "hw-1"))
        .await;
    assert_eq!(deactivated.ok(), json!("license_deactivated"));
    deactivated.assert_signed_by(pem);

    // Business errors are signed too.
    server
        .post(creds, "activate_license", &activation("app", &key, "hw-2"))
        .await
        .ok();
    let errors = [
        (
            server
                .post(
                    creds,
                    "activate_license",
                    &activation("app", "NO-SUCH-KEY", "hw"),
                )
                .await,
            400,
            "license_not_found",
        ),
        (
            server
                .get(creds, "check_license", &query("nope", &key, "hw-2"))
                .await,
            400,
            "unknown_product",
        ),
        (
            server
                .post(creds, "activate_license", &activation("app", &key, "hw-2"))
                .await,
            409,
            "license_device_exists",
        ),
        (
            server
                .post(creds, "deactivate_license", &identity("app", &key, "hw-1"))
                .await,
            400,
            "device_not_found",
        ),
    ];
    for (reply, status, code) in &errors {
        reply.assert_error(*status, code);
        reply.assert_signed_by(pem);
    }
    server.stop();
}
