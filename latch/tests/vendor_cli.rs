//! Vendor operations that change live licenses (reset, renewal, master-key rotation between runs), and
//! what a restart keeps: each device's last answer signature.

mod support;

use serde_json::json;
use support::{Backend, Company, Latch, Reply, Server};

fn activation(product: &str, key: &str, hardware_id: &str) -> serde_json::Value {
    json!({"product": product, "license_key": key, "hardware_id": hardware_id})
}

/// A deployment with company "Acme", product "app" and one license made with `license_args`.
async fn deployment(
    backend: Backend,
    name: &str,
    license_args: &[&str],
) -> (Latch, Company, String) {
    let latch = Latch::new(backend, name).await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", license_args);
    (latch, company, key)
}

async fn activate(server: &Server, company: &Company, key: &str, hardware_id: &str) -> Reply {
    server
        .post(
            &company.creds,
            "activate_license",
            &activation("app", key, hardware_id),
        )
        .await
}

async fn check(server: &Server, company: &Company, key: &str, hardware_id: &str) -> Reply {
    let query = [
        ("product", "app"),
        ("license_key", key),
        ("hardware_id", hardware_id),
    ];
    server.get(&company.creds, "check_license", &query).await
}

async fn reset_frees_every_activation(backend: Backend) {
    let (latch, company, key) = deployment(backend, "reset", &["--max-activations", "1"]).await;
    let server = latch.serve();
    activate(&server, &company, &key, "hw-1").await.ok();
    activate(&server, &company, &key, "hw-2")
        .await
        .assert_error(400, "license_activated_max_times");

    let reset = latch.cli(&["license", "reset", &key]);
    assert_eq!(reset["times_activated"], 0, "{reset}");
    assert!(latch
        .devices(&company, &key)
        .iter()
        .all(|d| d["active"] == false));
    activate(&server, &company, &key, "hw-2").await.ok();
    check(&server, &company, &key, "hw-1")
        .await
        .assert_error(400, "device_not_found");
    server.stop();
}

async fn renewal_moves_the_end_of_validity(backend: Backend) {
    let latch = Latch::new(backend, "renew").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(
        &company,
        "app",
        &["--type", "subscription", "--valid-until", "2020-01-01"],
    );
    let server = latch.serve();
    activate(&server, &company, &key, "hw-1")
        .await
        .assert_error(400, "license_expired");

    let renewed = latch.cli(&["license", "renew", &key, "--valid-until", "2099-01-01"]);
    assert_eq!(
        renewed["validity_period"], "2099-01-01T00:00:00+00:00",
        "{renewed}"
    );
    let body = activate(&server, &company, &key, "hw-1").await.ok();
    assert_eq!(
        body["validity_period"], "2099-01-01T00:00:00.000Z",
        "{body}"
    );
    assert_eq!(body["is_expired"], false, "{body}");

    let perpetual = latch.license(&company, "app", &[]);
    let refused = latch.cli_error(&[
        "license",
        "renew",
        &perpetual,
        "--valid-until",
        "2099-01-01",
    ]);
    assert!(refused.contains("perpetual"), "{refused}");
    server.stop();
}

async fn master_key_rotation_keeps_clients_working(backend: Backend) {
    let (latch, company, key) = deployment(backend, "rotate", &[]).await;
    let server = latch.serve();
    activate(&server, &company, &key, "hw-1").await.ok();
    server.stop();

    let rotated = latch.cli(&["master-key", "rotate"]);
    assert!(rotated["resealed"].as_u64().unwrap() >= 2, "{rotated}");
    assert!(latch.dir.join("master.key.previous").exists());

    // The same API key, shared key and public key work against the re-sealed secrets.
    let server = latch.serve();
    let reply = check(&server, &company, &key, "hw-1").await;
    reply.assert_signed_by(&company.public_key_pem);
    reply.ok();
    server.stop();
}

/// A check answer's signature is stored with the device behind the answer (flushed at shutdown), so an
/// unchanged answer is not signed again after a restart or on another node.
async fn answer_signatures_are_stored_with_the_device(backend: Backend) {
    use base64::Engine as _;
    let (latch, company, key) = deployment(backend, "answer", &[]).await;
    let server = latch.serve();
    activate(&server, &company, &key, "hw-1").await.ok();
    let reply = check(&server, &company, &key, "hw-1").await;
    reply.ok();
    server.stop();

    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &reply.body);
    let digest = base64::engine::general_purpose::STANDARD.encode(digest);
    let signature = reply.headers["LicenseSignature"]
        .to_str()
        .unwrap()
        .to_owned();
    let stored = latch
        .db_scalar(
            "SELECT COUNT(*) FROM devices WHERE answer_digest = $1 AND answer_signature = $2",
            &[&digest, &signature],
        )
        .await;
    assert_eq!(
        stored, 1,
        "the answer's digest and signature are stored with the device"
    );

    let server = latch.serve();
    let again = check(&server, &company, &key, "hw-1").await;
    again.assert_signed_by(&company.public_key_pem);
    assert_eq!(
        again.body, reply.body,
        "an unchanged license answers with the same bytes"
    );
    server.stop();
}

both_backends!(
    answer_signatures_are_stored_with_the_device,
    reset_frees_every_activation,
    renewal_moves_the_end_of_validity,
    master_key_rotation_keeps_clients_working,
);
