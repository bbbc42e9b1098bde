//! Offline activation: request files over `activate_offline` / `deactivate_offline`, and through
//! `latch offline` while a server runs on the same database. Refusals are coded 4xx, never 5xx, and
//! a refused CLI request writes no file.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Value};

use super::set_up;
use crate::support::{
    hmac_b64, http_date_now, offline_activation as activation, offline_request as request_file,
    spki_der, Backend, Company, Latch,
};

both_backends!(offline_over_http, offline_through_the_cli);

/// The file with its request changed after signing: the signature no longer covers it.
fn tampered(file: &str) -> String {
    let text = String::from_utf8(B64.decode(file).expect("base64")).expect("UTF-8");
    B64.encode(text.replace("hw-1", "hw-9"))
}

/// Asserts `license_signature_v2` signs the answer without its two signatures (which come last).
fn assert_v2_signed(company: &Company, body: &[u8]) {
    let text = std::str::from_utf8(body).expect("UTF-8 answer");
    let cut = text
        .rfind(r#","license_signature":""#)
        .expect("license_signature comes last but one");
    let signed = format!("{}}}", &text[..cut]);
    let answer: Value = serde_json::from_str(text).expect("JSON answer");
    let signature = B64
        .decode(
            answer["license_signature_v2"]
                .as_str()
                .expect("v2 signature"),
        )
        .expect("base64 signature");
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        spki_der(&company.public_key_pem),
    )
    .verify(signed.as_bytes(), &signature)
    .expect("license_signature_v2 verifies over the answer without its signatures");
}

async fn offline_over_http(backend: Backend) {
    let latch = Latch::new(backend, "offline_http").await;
    let (company, key) = set_up(&latch, &["--max-activations", "2"]);
    let creds = &company.creds;
    let server = latch.serve();

    let file = activation(creds, "app", &key, "hw-1");
    let answer = server
        .post_raw(creds, "activate_offline", file.into_bytes())
        .await;
    let body = answer.ok();
    assert_eq!(
        (&body["license_key"], &body["hardware_id"]),
        (&json!(key), &json!("hw-1"))
    );
    assert!(body["request_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("req-")));
    assert_v2_signed(&company, &answer.body);
    answer.assert_signed_by(&company.public_key_pem);
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);

    let refusals = [
        ("empty", String::new(), "missing_content"),
        ("not base64", "%%%".to_owned(), "validation_error"),
        ("not JSON", B64.encode("not json"), "validation_error"),
        (
            "wrong HMAC",
            tampered(&activation(creds, "app", &key, "hw-1")),
            "signature_mismatch",
        ),
        (
            "wrong product",
            activation(creds, "no-such-product", &key, "hw-2"),
            "unknown_product",
        ),
        (
            "unknown license",
            activation(creds, "app", "NO-SUCH-KEY", "hw-2"),
            "license_not_found",
        ),
        (
            "deactivation file",
            request_file(
                creds,
                json!({"request": "deactivation", "product": "app", "license_key": key, "hardware_id": "hw-1"}),
            ),
            "validation_error",
        ),
        (
            "already active",
            activation(creds, "app", &key, "hw-1"),
            "license_device_exists",
        ),
    ];
    for (case, file, code) in refusals {
        let refused = server
            .post_raw(creds, "activate_offline", file.into_bytes())
            .await;
        let status = if code == "license_device_exists" {
            409
        } else {
            400
        };
        assert_eq!(
            (refused.status, refused.error_code()),
            (status, code.to_owned()),
            "{case}: {}",
            refused.text()
        );
    }

    // The legacy flat form, signed only by its inner offline signature.
    let date = http_date_now();
    let inner = hmac_b64(
        &creds.shared_key,
        &format!(
            "licenseSpring\ndate: {date}\n{key}\nhw-legacy\n{}",
            creds.api_key
        ),
    );
    let legacy = B64.encode(
        json!({
            "product": "app", "license_key": key, "hardware_id": "hw-legacy",
            "date": date, "signature": inner, "api_key": creds.api_key,
        })
        .to_string(),
    );
    let answer = server
        .post_raw(creds, "activate_offline", legacy.into_bytes())
        .await;
    assert_eq!(answer.ok()["hardware_id"], "hw-legacy");

    // Node's License.deactivateOffline file: no `request`, no `request_id`.
    let deactivation = request_file(
        creds,
        json!({"license_key": key, "product": "app", "hardware_id": "hw-1", "variables": {}}),
    );
    let answer = server
        .post_raw(creds, "deactivate_offline", deactivation.into_bytes())
        .await;
    assert_eq!(answer.ok(), json!("license_deactivated"));
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);
    server.stop();
}

async fn offline_through_the_cli(backend: Backend) {
    let latch = Latch::new(backend, "offline_cli").await;
    let (company, key) = set_up(&latch, &["--max-activations", "1"]);
    let id = company.id.to_string();
    let server = latch.serve();
    let dir = &latch.dir;
    let write = |name: &str, content: &str| {
        let path = dir.join(name);
        std::fs::write(&path, content).expect("write a request file");
        path.display().to_string()
    };
    let out = dir.join("device.lic");
    let out_text = out.display().to_string();

    let request = write(
        "tampered.req",
        &tampered(&activation(&company.creds, "app", &key, "hw-1")),
    );
    let error = latch.cli_error(&[
        "offline",
        "activate",
        "--company",
        &id,
        "--request",
        &request,
        "--out",
        &out_text,
    ]);
    assert!(error.contains("signature_mismatch"), "{error}");
    assert!(!out.exists(), "a refused request wrote {out_text}");

    let request = write("hw-1.req", &activation(&company.creds, "app", &key, "hw-1"));
    latch.cli(&[
        "offline",
        "activate",
        "--company",
        &id,
        "--request",
        &request,
        "--out",
        &out_text,
    ]);
    let license: Value = serde_json::from_slice(
        &B64.decode(std::fs::read(&out).expect("license file"))
            .expect("base64"),
    )
    .expect("JSON license file");
    assert_eq!(
        (&license["license_key"], &license["hardware_id"]),
        (&json!(key), &json!("hw-1"))
    );
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);

    // The seat is taken: a second device is refused with the activation code, and gets no file.
    let second = dir.join("second.lic");
    let request = write("hw-2.req", &activation(&company.creds, "app", &key, "hw-2"));
    let error = latch.cli_error(&[
        "offline",
        "activate",
        "--company",
        &id,
        "--request",
        &request,
        "--out",
        &second.display().to_string(),
    ]);
    assert!(error.contains("license_activated_max_times"), "{error}");
    assert!(!second.exists());

    let refresh = dir.join("refresh.lic");
    latch.cli(&[
        "offline",
        "refresh",
        "--company",
        &id,
        "--license",
        &key,
        "--hardware-id",
        "hw-1",
        "--out",
        &refresh.display().to_string(),
    ]);
    assert!(refresh.exists());

    let request = write(
        "deactivate.req",
        &request_file(
            &company.creds,
            json!({"request": "deactivation", "product": "app", "license_key": key, "hardware_id": "hw-1"}),
        ),
    );
    latch.cli(&[
        "offline",
        "deactivate",
        "--company",
        &id,
        "--request",
        &request,
    ]);
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 0);
    server.stop();
}
