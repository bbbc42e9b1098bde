//! The License API over HTTP against a real `latch serve`, on SQLite and on PostgreSQL: authentication
//! errors, bad input, response signatures, tenant isolation, health, shutdown and CLI errors.

mod support;

use chrono::{Duration, Utc};
use latch_wire::auth::{authorization_header, request_signature};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE};
use reqwest::Method;
use serde_json::{json, Value};
use support::{http_date, http_date_now, send, Backend, Company, Creds, Latch, Reply, Server};

both_backends!(
    auth_errors,
    revoked_api_key,
    read_only_api_key,
    bad_input_is_a_4xx_json_error,
    responses_are_signed,
    tenant_isolation,
    health_and_graceful_shutdown,
    cli_errors,
);

/// The activation body the Python SDK sends.
fn activation(product: &str, license_key: &str, hardware_id: &str) -> Value {
    json!({
        "product": product,
        "license_key": license_key,
        "hardware_id": hardware_id,
        "os_ver": "linux",
        "hostname": "test-host",
        "ip": null,
        "mac_address": null,
        "is_vm": false,
        "vm_info": null,
        "sdk_ver": "PythonSDK 4.0.0",
    })
}

/// `product`, `hardware_id` and `license_key` as a body or query.
fn identity(product: &str, license_key: &str, hardware_id: &str) -> Value {
    json!({"product": product, "license_key": license_key, "hardware_id": hardware_id})
}

fn query<'a>(
    product: &'a str,
    license_key: &'a str,
    hardware_id: &'a str,
) -> [(&'a str, &'a str); 4] {
    [
        ("product", product),
        ("license_key", license_key),
        ("hardware_id", hardware_id),
        ("include_expired_features", "false"),
    ]
}

/// A deployment with one company, product `app` and one license (extra `license create` arguments).
fn set_up(latch: &Latch, license_args: &[&str]) -> (Company, String) {
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", license_args);
    (company, key)
}

/// A request to `endpoint` with the given `Date` and `Authorization` headers (each optional).
async fn with_headers(
    server: &Server,
    method: Method,
    endpoint: &str,
    date: Option<&str>,
    authorization: Option<&str>,
    body: &Value,
) -> Reply {
    let mut request = server
        .http
        .request(method.clone(), server.url(&format!("/api/v4/{endpoint}")))
        .header(CONTENT_TYPE, "application/json");
    if let Some(date) = date {
        request = request.header(DATE, date);
    }
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    request = if method == Method::GET {
        let pairs: Vec<(String, String)> = body
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        request.query(&pairs)
    } else {
        request.body(body.to_string())
    };
    send(request).await
}

/// `name="value"` pairs joined the way the Python SDK writes them.
fn authorization(parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .map(|(name, value)| format!("{name}=\"{value}\""))
        .collect::<Vec<_>>()
        .join(",")
}

async fn auth_errors(backend: Backend) {
    let latch = Latch::new(backend, "auth_errors").await;
    let (company, key) = set_up(&latch, &["--max-activations", "100"]);
    let other = latch.company("Other");
    let server = latch.serve();
    let creds = &company.creds;

    // Every case on a read (GET) and a write (POST) endpoint.
    let endpoints = [
        (Method::GET, "product_details", json!({"product": "app"})),
        (
            Method::POST,
            "activate_license",
            activation("app", &key, "hw-auth"),
        ),
    ];
    for (method, endpoint, body) in &endpoints {
        let now = http_date_now();
        let good = authorization_header(&creds.api_key, &creds.shared_key, &now);
        let signature = request_signature(&creds.shared_key, &now);
        let call = |date: Option<String>, auth: Option<String>| {
            let method = method.clone();
            let server = &server;
            async move {
                with_headers(
                    server,
                    method,
                    endpoint,
                    date.as_deref(),
                    auth.as_deref(),
                    body,
                )
                .await
            }
        };
        let context = format!("{method} {endpoint}");

        // The well-formed request works; so do the Node SDK's `apikey=` and the docs' spaces.
        let reply = call(Some(now.clone()), Some(good.clone())).await;
        assert_eq!(reply.status, 200, "{context}: {}", reply.text());
        for variant in [
            good.replace("apiKey=", "apikey="),
            good.replace("\",", "\", "),
        ] {
            let reply = call(Some(now.clone()), Some(variant.clone())).await;
            assert!(
                reply.status == 200 || reply.error_code() == "license_device_exists",
                "{context} with Authorization {variant}: {}",
                reply.text()
            );
        }

        // missing_headers
        for (date, auth) in [
            (None, Some(good.clone())),
            (Some(now.clone()), None),
            (None, None),
        ] {
            call(date, auth).await.assert_error(400, "missing_headers");
        }

        // date_header_diff: 16 minutes stale or ahead, correctly signed for that date.
        for offset in [Duration::minutes(-16), Duration::minutes(16)] {
            let date = http_date(Utc::now() + offset);
            let auth = authorization_header(&creds.api_key, &creds.shared_key, &date);
            let reply = call(Some(date.clone()), Some(auth)).await;
            assert_eq!(
                (reply.status, reply.error_code()),
                (400, "date_header_diff".to_owned()),
                "{context} with Date {date}"
            );
        }
        // 14 minutes off is within the accepted skew.
        for offset in [Duration::minutes(-14), Duration::minutes(14)] {
            let date = http_date(Utc::now() + offset);
            let auth = authorization_header(&creds.api_key, &creds.shared_key, &date);
            let reply = call(Some(date.clone()), Some(auth)).await;
            assert!(
                reply.status == 200 || reply.error_code() == "license_device_exists",
                "{context} with Date {date} (within 15 min) was refused: {}",
                reply.text()
            );
        }

        // authorization_invalid_headers: signs other headers than date, or is not name=value.
        for auth in [
            authorization(&[
                ("algorithm", "hmac-sha256"),
                ("headers", "date content-type"),
                ("signature", &signature),
                ("apiKey", &creds.api_key),
            ]),
            authorization(&[
                ("algorithm", "hmac-sha256"),
                ("headers", "(request-target)"),
                ("signature", &signature),
                ("apiKey", &creds.api_key),
            ]),
            "Basic dXNlcjpwYXNz".to_owned(),
        ] {
            let reply = call(Some(now.clone()), Some(auth.clone())).await;
            assert_eq!(
                (reply.status, reply.error_code()),
                (400, "authorization_invalid_headers".to_owned()),
                "{context} with Authorization {auth}"
            );
        }

        // authorization_missing_params: each of the four left out.
        let full = [
            ("algorithm", "hmac-sha256"),
            ("headers", "date"),
            ("signature", signature.as_str()),
            ("apiKey", creds.api_key.as_str()),
        ];
        for left_out in 0..full.len() {
            let parts: Vec<(&str, &str)> = full
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != left_out)
                .map(|(_, part)| *part)
                .collect();
            let auth = authorization(&parts);
            let reply = call(Some(now.clone()), Some(auth.clone())).await;
            assert_eq!(
                (reply.status, reply.error_code()),
                (400, "authorization_missing_params".to_owned()),
                "{context} with Authorization {auth}"
            );
        }

        // hmac_required
        let auth = authorization(&[
            ("algorithm", "hmac-sha1"),
            ("headers", "date"),
            ("signature", &signature),
            ("apiKey", &creds.api_key),
        ]);
        call(Some(now.clone()), Some(auth))
            .await
            .assert_error(400, "hmac_required");

        // signature_mismatch: another shared key, another date, another company's shared key.
        let earlier = http_date(Utc::now() - Duration::seconds(30));
        for auth in [
            authorization_header(&creds.api_key, "not-the-shared-key", &now),
            authorization_header(&creds.api_key, &creds.shared_key, &earlier),
            authorization_header(&creds.api_key, &other.creds.shared_key, &now),
        ] {
            call(Some(now.clone()), Some(auth))
                .await
                .assert_error(400, "signature_mismatch");
        }

        // invalid_api_key
        let auth = authorization_header("no-such-api-key", &creds.shared_key, &now);
        call(Some(now.clone()), Some(auth))
            .await
            .assert_error(400, "invalid_api_key");
    }
    server.stop();
}

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

/// A 200, or a 4xx in the error format: never a 5xx.
#[track_caller]
fn assert_not_5xx(reply: &Reply, what: &str) {
    assert!(
        reply.status < 500,
        "{what}: server error {}: {}",
        reply.status,
        reply.text()
    );
    if reply.status != 200 {
        reply.error_code();
    }
}

async fn bad_input_is_a_4xx_json_error(backend: Backend) {
    let latch = Latch::new(backend, "bad_input").await;
    let (company, key) = set_up(&latch, &["--max-activations", "100"]);
    let server = latch.serve();
    let creds = &company.creds;
    let good = activation("app", &key, "hw-good");

    // Malformed JSON.
    for body in [
        &b"{\"product\":"[..],
        b"{product: 1}",
        b"{\"a\":1,}",
        b"nul",
    ] {
        server
            .post_raw(creds, "activate_license", body.to_vec())
            .await
            .assert_error(400, "invalid_json");
    }
    // Valid JSON that is not an object.
    for body in ["[1,2]", "[]", "\"text\"", "42"] {
        let reply = server
            .post_raw(creds, "activate_license", body.as_bytes().to_vec())
            .await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "validation_error".to_owned()),
            "body {body}"
        );
    }
    // Wrong types.
    for (name, value) in [
        ("hardware_id", json!(5)),
        ("product", json!({})),
        ("license_key", json!(true)),
        ("is_vm", json!("maybe")),
        ("is_vm", json!(1)),
        ("os_ver", json!(["linux"])),
        ("variables", json!([1])),
        ("variables", json!({"nested": {"a": 1}})),
        ("variables", json!("seats=3")),
    ] {
        let mut body = good.clone();
        body[name] = value.clone();
        let reply = server.post(creds, "activate_license", &body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "validation_error".to_owned()),
            "{name} = {value}"
        );
    }
    // GET parameters are strings: a bad boolean is a validation error there too.
    let mut check = query("app", &key, "hw-good").to_vec();
    check.push(("is_vm", "maybe"));
    server
        .get(creds, "check_license", &check)
        .await
        .assert_error(400, "validation_error");

    // Missing (or null, or empty) required parameters.
    for name in ["product", "hardware_id", "license_key"] {
        for missing in [None, Some(Value::Null), Some(json!(""))] {
            let mut body = good.clone();
            match &missing {
                None => {
                    body.as_object_mut().unwrap().remove(name);
                }
                Some(value) => body[name] = value.clone(),
            }
            let reply = server.post(creds, "activate_license", &body).await;
            assert_eq!(
                (reply.status, reply.error_code()),
                (400, "missing_parameters".to_owned()),
                "activate_license with {name} = {missing:?}"
            );
        }
        let params: Vec<(&str, &str)> = query("app", &key, "hw-good")
            .into_iter()
            .filter(|(n, _)| *n != name)
            .collect();
        let reply = server.get(creds, "check_license", &params).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "missing_parameters".to_owned()),
            "check_license without {name}"
        );
    }
    server
        .post_raw(creds, "activate_license", Vec::new())
        .await
        .assert_error(400, "missing_parameters");

    // Over 64 KiB.
    let mut big = good.clone();
    big["padding"] = json!("x".repeat(65 * 1024));
    server
        .post(creds, "activate_license", &big)
        .await
        .assert_error(413, "payload_too_large");

    // Bytes that are not UTF-8.
    for body in [
        b"{\"product\":\"\xff\xfe\",\"hardware_id\":\"h\",\"license_key\":\"k\"}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"\xc3\x28".to_vec(),
    ] {
        let reply = server.post_raw(creds, "activate_license", body).await;
        let code = reply.error_code();
        assert_eq!(reply.status, 400, "{code}: {}", reply.text());
    }

    // Unknown paths: 404 in the error format, with or without credentials.
    server
        .get(creds, "no_such_endpoint", &[])
        .await
        .assert_error(404, "not_found");
    server
        .post(creds, "activate_license/extra", &good)
        .await
        .assert_error(404, "not_found");
    for path in [
        "/no/such/path",
        "/api/v4/no_such_endpoint",
        "/api/v3/check_license",
    ] {
        server
            .plain(Method::GET, path)
            .await
            .assert_error(404, "not_found");
    }

    // Wrong methods: 405 in the error format.
    for (method, endpoint) in [
        (Method::GET, "activate_license"),
        (Method::POST, "check_license"),
        (Method::DELETE, "deactivate_license"),
    ] {
        let reply = support::send(server.signed(method.clone(), endpoint, creds)).await;
        let code = reply.error_code();
        assert_eq!(reply.status, 405, "{method} {endpoint}: {code}");
    }

    // Strings longer than 1024 characters (required and optional ones).
    let long = "h".repeat(1025);
    for name in [
        "hardware_id",
        "license_key",
        "product",
        "os_ver",
        "hostname",
    ] {
        let mut body = good.clone();
        body[name] = json!(long);
        let reply = server.post(creds, "activate_license", &body).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, "validation_error".to_owned()),
            "{name} of 1025 characters"
        );
    }
    let mut body = good.clone();
    body["variables"] = json!({ "v": long });
    server
        .post(creds, "activate_license", &body)
        .await
        .assert_error(400, "validation_error");
    let mut check = query("app", &key, "hw-good").to_vec();
    check[2] = ("hardware_id", &long);
    server
        .get(creds, "check_license", &check)
        .await
        .assert_error(400, "validation_error");
    // 1024 characters is still fine.
    let longest = "h".repeat(1024);
    let mut body = good.clone();
    body["hardware_id"] = json!(longest);
    let reply = server.post(creds, "activate_license", &body).await;
    assert_eq!(reply.ok()["hardware_id"], longest.as_str());

    // Extra, unknown parameters are ignored.
    let mut body = good.clone();
    body["include_expired_features"] = json!(true);
    body["env"] = json!("linux64");
    body["unknown"] = json!({"nested": [1, 2, {"x": null}]});
    body["tpm_enrollment"] = json!({"signing_public_key": "abc"});
    let reply = server.post(creds, "activate_license", &body).await;
    assert_eq!(reply.ok()["license_key"], key.as_str());
    let mut check = query("app", &key, "hw-good").to_vec();
    check.extend([("env", "linux"), ("mac_adddress", "x"), ("whatever", "1")]);
    server.get(creds, "check_license", &check).await.ok();

    // Odd but well-formed input: never a 5xx. NUL characters (which PostgreSQL cannot store) are a
    // validation error on every backend; for the rest any 200 or 4xx will do.
    const NUL_REFUSED: Option<&str> = Some("validation_error");
    let odd_bodies: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        (
            "NUL in hardware_id",
            activation("app", &key, "hw\u{0}nul")
                .to_string()
                .into_bytes(),
            NUL_REFUSED,
        ),
        (
            "NUL in a variable name",
            {
                let mut body = activation("app", &key, "hw-var-name-nul");
                body["variables"] = json!({"v\u{0}": "a"});
                body.to_string().into_bytes()
            },
            NUL_REFUSED,
        ),
        (
            "NUL in a variable value",
            {
                let mut body = activation("app", &key, "hw-var-nul");
                body["variables"] = json!({"v": "a\u{0}b"});
                body.to_string().into_bytes()
            },
            NUL_REFUSED,
        ),
        (
            "NUL in os_ver",
            {
                let mut body = activation("app", &key, "hw-os-nul");
                body["os_ver"] = json!("linux\u{0}");
                body.to_string().into_bytes()
            },
            NUL_REFUSED,
        ),
        (
            "lone surrogate",
            br#"{"product":"app","license_key":"k","hardware_id":"\ud800"}"#.to_vec(),
            None,
        ),
        (
            "deep nesting",
            {
                let mut text = String::from(r#"{"product":"app","deep":"#);
                text.push_str(&"[".repeat(5000));
                text.push_str(&"]".repeat(5000));
                text.push('}');
                text.into_bytes()
            },
            None,
        ),
        (
            "huge number",
            br#"{"product":"app","license_key":"k","hardware_id":"h","is_vm":1e999}"#.to_vec(),
            None,
        ),
        (
            "duplicate keys",
            format!(
                r#"{{"product":"app","product":"app","license_key":"{key}","hardware_id":"hw-dup"}}"#
            )
            .into_bytes(),
            None,
        ),
    ];
    // Every case is tried before failing, so one run reports them all.
    let mut server_errors = Vec::new();
    let mut check_reply = |what: &str, reply: &Reply, expected: Option<&str>| {
        if reply.status >= 500 {
            server_errors.push(format!("{what}: {} {}", reply.status, reply.text()));
            return;
        }
        assert_not_5xx(reply, what);
        if let Some(code) = expected {
            if (reply.status, reply.error_code().as_str()) != (400, code) {
                server_errors.push(format!(
                    "{what}: expected 400 {code}, got {} {}",
                    reply.status,
                    reply.text()
                ));
            }
        }
    };
    for (what, body, expected) in odd_bodies {
        let reply = server.post_raw(creds, "activate_license", body).await;
        check_reply(what, &reply, expected);
    }
    for (what, path, expected) in [
        (
            "invalid percent-encoded UTF-8",
            "/api/v4/check_license?product=%FF&license_key=%FE&hardware_id=%C3%28".to_owned(),
            None,
        ),
        (
            "NUL in query",
            format!("/api/v4/check_license?product=app&license_key={key}&hardware_id=a%00b"),
            NUL_REFUSED,
        ),
        (
            "broken percent-encoding",
            "/api/v4/check_license?product=%&x=%G1".to_owned(),
            None,
        ),
    ] {
        let date = http_date_now();
        let request = server
            .http
            .get(server.url(&path))
            .header(DATE, &date)
            .header(
                AUTHORIZATION,
                authorization_header(&creds.api_key, &creds.shared_key, &date),
            );
        let reply = send(request).await;
        check_reply(what, &reply, expected);
    }
    assert!(
        server_errors.is_empty(),
        "odd input answered wrongly:\n{}",
        server_errors.join("\n")
    );
    server.stop();
}

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

async fn health_and_graceful_shutdown(backend: Backend) {
    let latch = Latch::new(backend, "health").await;
    let server = latch.serve();
    for path in ["/healthz", "/"] {
        let reply = server.plain(Method::GET, path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    }
    // Also with the headers the Python SDK sends on is_online().
    let reply = send(
        server
            .http
            .get(server.url("/"))
            .header(CONTENT_TYPE, "application/json"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let url = server.url("/healthz");
    let http = server.http.clone();
    // SIGTERM: exit status 0 (asserted by stop), even with idle keep-alive connections open.
    server.stop();
    assert!(
        http.get(&url).send().await.is_err(),
        "the server still answers after SIGTERM"
    );
}

async fn cli_errors(backend: Backend) {
    let latch = Latch::new(backend, "cli_errors").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);

    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "unknown company (product)",
            vec![
                "product",
                "create",
                "--company",
                "999999",
                "--code",
                "x",
                "--name",
                "x",
            ],
        ),
        (
            "unknown company (license)",
            vec![
                "license",
                "create",
                "--company",
                "999999",
                "--product",
                "app",
            ],
        ),
        (
            "unknown company (api key)",
            vec!["api-key", "create", "--company", "999999"],
        ),
        (
            "unknown company (public key)",
            vec!["company", "public-key", "--company", "999999"],
        ),
        (
            "duplicate product code",
            vec![
                "product",
                "create",
                "--company",
                &id,
                "--code",
                "app",
                "--name",
                "again",
            ],
        ),
        (
            "unknown product",
            vec!["license", "create", "--company", &id, "--product", "nope"],
        ),
        (
            "bad --valid-until",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--type",
                "time-limited",
                "--valid-until",
                "2030-13-45",
            ],
        ),
        (
            "bad --start-date",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--start-date",
                "tomorrow",
            ],
        ),
        (
            "negative max activations (=)",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--max-activations=-1",
            ],
        ),
        (
            "negative max activations",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--max-activations",
                "-1",
            ],
        ),
        (
            "time-limited without --valid-until",
            vec![
                "license",
                "create",
                "--company",
                &id,
                "--product",
                "app",
                "--type",
                "time-limited",
            ],
        ),
        ("unknown license", vec!["license", "show", "NO-SUCH-KEY"]),
        (
            "revoke unknown API key",
            vec!["api-key", "revoke", "no-such-key"],
        ),
    ];
    // Every case is tried before failing, so one run reports them all.
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(what, args)| {
            latch
                .try_cli_error(args)
                .err()
                .map(|e| format!("{what}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "CLI errors:\n{}",
        failures.join("\n\n")
    );

    // The failed commands created nothing.
    let shown = latch.show_license(&company, &key);
    assert_eq!(shown["max_activations"], 1, "{shown}");
    let listed = latch.run(&["license", "show", &key]);
    assert!(listed.status.success());
}
