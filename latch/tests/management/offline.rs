//! Offline activation through the Management API: a device's request file (JSON or multipart) turns
//! into its license file, a deactivation file frees the seat, refusals name the License API's code.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};

use super::support::{offline_activation, offline_request, send, Backend, Latch};
use super::{management_key, Api};

both_backends!(request_files_activate_and_deactivate);

async fn request_files_activate_and_deactivate(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_offline").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "1"]);
    let server = latch.serve();
    let api = Api::new(&server, &management_key(&latch, &company, false));

    let file = offline_activation(&company.creds, "app", &key, "hw-1");
    let answer = api
        .post(
            "licenses/offline_activation/",
            &json!({"request_file": file}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let license: Value =
        serde_json::from_slice(&B64.decode(answer.text()).expect("a base64 license file"))
            .expect("JSON inside");
    assert_eq!(
        (&license["license_key"], &license["hardware_id"]),
        (&json!(key), &json!("hw-1"))
    );
    assert!(license["license_signature_v2"].is_string());
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);

    // The seat is taken: the refusal names the field and the License API's code.
    let second = offline_activation(&company.creds, "app", &key, "hw-2");
    let refused = api
        .post(
            "licenses/offline_activation/",
            &json!({"request_file": second}),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    let message = refused.json()["request_file"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("license_activated_max_times"),
        "{message}"
    );
    for (body, field) in [
        (json!({"request_file": "%%%"}), "request_file"),
        (json!({}), "request_file"),
        (json!({"request_file": 5}), "request_file"),
    ] {
        let refused = api.post("licenses/offline_activation/", &body).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text());
        assert!(
            refused.json()[field].is_array(),
            "{body}: {}",
            refused.text()
        );
    }

    // A deactivation file as a multipart form.
    let deactivation = offline_request(
        &company.creds,
        json!({"request": "deactivation", "product": "app", "license_key": key, "hardware_id": "hw-1"}),
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text(deactivation).file_name("deactivate_offline.req"),
    );
    let answer = send(
        server
            .http
            .post(server.url("/api/v1/licenses/offline_deactivation/"))
            .header(
                AUTHORIZATION,
                format!("Api-Key {}", management_key(&latch, &company, false)),
            )
            .multipart(form),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 0);

    // A read-only key may not activate.
    let reader = Api::new(&server, &management_key(&latch, &company, true));
    let third = offline_activation(&company.creds, "app", &key, "hw-3");
    let refused = reader
        .post(
            "licenses/offline_activation/",
            &json!({"request_file": third}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    server.stop();
}
