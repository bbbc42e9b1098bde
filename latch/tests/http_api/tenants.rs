//! Companies see only their own products, licenses and devices.

use serde_json::json;

use crate::support::{Backend, Latch};
use crate::{activation, identity, query};

both_backends!(tenant_isolation);

async fn tenant_isolation(backend: Backend) {
    let latch = Latch::new(backend, "tenant_isolation").await;
    let a = latch.company("A");
    let b = latch.company("B");
    latch.product(&a, "a-only");
    latch.product(&a, "shared");
    latch.product(&b, "shared");
    let a_only_key = latch.license(&a, "a-only", &[]);
    let a_key = latch.license(&a, "shared", &["--max-activations", "2"]);
    let b_key = latch.license(&b, "shared", &[]);
    // The same key in both companies.
    for company in [&a, &b] {
        latch.license(company, "shared", &["--key", "SAME-SAME-SAME-SAME"]);
    }
    let server = latch.serve();

    server
        .post(
            &a.creds,
            "activate_license",
            &activation("shared", &a_key, "hw-a"),
        )
        .await
        .ok();

    // B cannot see A's product ...
    let unknown = [
        server
            .post(
                &b.creds,
                "activate_license",
                &activation("a-only", &a_only_key, "hw-b"),
            )
            .await,
        server
            .get(
                &b.creds,
                "check_license",
                &query("a-only", &a_only_key, "hw-b"),
            )
            .await,
        server
            .get(&b.creds, "product_details", &[("product", "a-only")])
            .await,
    ];
    for reply in &unknown {
        reply.assert_error(400, "unknown_product");
        reply.assert_signed_by(&b.public_key_pem);
    }

    // ... nor A's license under B's product of the same code.
    let mut track = identity("shared", &a_key, "hw-a");
    track["variables"] = json!({"x": "1"});
    let not_found = [
        server
            .post(
                &b.creds,
                "activate_license",
                &activation("shared", &a_key, "hw-b"),
            )
            .await,
        server
            .post(
                &b.creds,
                "activate_license",
                &activation("shared", &a_key, "hw-a"),
            )
            .await,
        server
            .get(&b.creds, "check_license", &query("shared", &a_key, "hw-a"))
            .await,
        server
            .get(
                &b.creds,
                "get_device_variables",
                &query("shared", &a_key, "hw-a"),
            )
            .await,
        server
            .post(&b.creds, "track_device_variables", &track)
            .await,
        server
            .post(
                &b.creds,
                "deactivate_license",
                &identity("shared", &a_key, "hw-a"),
            )
            .await,
        // And the other way round.
        server
            .post(
                &a.creds,
                "activate_license",
                &activation("shared", &b_key, "hw-a"),
            )
            .await,
    ];
    for reply in &not_found {
        reply.assert_error(400, "license_not_found");
    }

    // A's license is untouched.
    let check = server
        .get(&a.creds, "check_license", &query("shared", &a_key, "hw-a"))
        .await;
    assert_eq!(check.ok()["license_key"], a_key.as_str());
    assert_eq!(latch.show_license(&a, &a_key)["times_activated"], 1);
    let devices = latch.devices(&a, &a_key);
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(latch.devices(&b, &b_key).len(), 0);

    // A key that exists in both companies is two licenses.
    for company in [&a, &b] {
        let reply = server
            .post(
                &company.creds,
                "activate_license",
                &activation("shared", "SAME-SAME-SAME-SAME", "hw-same"),
            )
            .await;
        reply.ok();
        reply.assert_signed_by(&company.public_key_pem);
    }
    for company in [&a, &b] {
        let shown = latch.show_license(company, "SAME-SAME-SAME-SAME");
        assert_eq!(shown["times_activated"], 1, "{shown}");
    }
    server.stop();
}
