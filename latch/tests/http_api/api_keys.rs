//! API keys that are revoked or read-only.

use serde_json::json;

use crate::support::{Backend, Creds, Latch};
use crate::{activation, identity, query, set_up};

both_backends!(revoked_api_key, read_only_api_key);

async fn revoked_api_key(backend: Backend) {
    let latch = Latch::new(backend, "revoked_api_key").await;
    let (company, _key) = set_up(&latch, &[]);
    // Revoked before it is ever used: no server cache can hold it.
    let never_used = latch.api_key(&company, false);
    latch.revoke(&never_used);
    let used = latch.api_key(&company, false);
    let server = latch.serve();
    let details = [("product", "app")];

    server
        .get(&never_used, "product_details", &details)
        .await
        .assert_error(400, "revoked_api_key");
    // A wrong signature with a revoked key is still a signature problem, never a success.
    let bad = Creds {
        api_key: never_used.api_key.clone(),
        shared_key: "wrong".into(),
    };
    let reply = server.get(&bad, "product_details", &details).await;
    assert!(
        ["signature_mismatch", "revoked_api_key"].contains(&reply.error_code().as_str()),
        "{}",
        reply.text()
    );

    // Revoked while in use: refused once the server's 2 s key cache has expired.
    server.get(&used, "product_details", &details).await.ok();
    latch.revoke(&used);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    server
        .get(&used, "product_details", &details)
        .await
        .assert_error(400, "revoked_api_key");
    server
        .post(&used, "activate_license", &activation("app", "ANY", "hw"))
        .await
        .assert_error(400, "revoked_api_key");

    // The company's other key is untouched.
    server
        .get(&company.creds, "product_details", &details)
        .await
        .ok();
    server.stop();
}

async fn read_only_api_key(backend: Backend) {
    let latch = Latch::new(backend, "read_only_api_key").await;
    let (company, key) = set_up(&latch, &["--max-activations", "3"]);
    let read_only = latch.api_key(&company, true);
    let server = latch.serve();

    server
        .post(
            &company.creds,
            "activate_license",
            &activation("app", &key, "hw-1"),
        )
        .await
        .ok();

    // Reads are allowed.
    let check = server
        .get(&read_only, "check_license", &query("app", &key, "hw-1"))
        .await;
    assert_eq!(check.ok()["license_key"], key.as_str());
    check.assert_signed_by(&company.public_key_pem);
    let details = server
        .get(&read_only, "product_details", &[("product", "app")])
        .await;
    assert_eq!(details.ok()["short_code"], "app");
    server
        .get(
            &read_only,
            "get_device_variables",
            &query("app", &key, "hw-1"),
        )
        .await
        .ok();

    // Changes are refused.
    server
        .post(
            &read_only,
            "activate_license",
            &activation("app", &key, "hw-2"),
        )
        .await
        .assert_error(400, "read_only_api_key");
    server
        .post(
            &read_only,
            "deactivate_license",
            &identity("app", &key, "hw-1"),
        )
        .await
        .assert_error(400, "read_only_api_key");
    let mut track = identity("app", &key, "hw-1");
    track["variables"] = json!({"seats": "3"});
    server
        .post(&read_only, "track_device_variables", &track)
        .await
        .assert_error(400, "read_only_api_key");

    // ... and changed nothing.
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);
    let devices = latch.devices(&company, &key);
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["hardware_id"], "hw-1");
    assert_eq!(devices[0]["active"], true);
    let variables = server
        .get(
            &company.creds,
            "get_device_variables",
            &query("app", &key, "hw-1"),
        )
        .await
        .ok();
    assert_eq!(variables, json!([]));
    server.stop();
}
