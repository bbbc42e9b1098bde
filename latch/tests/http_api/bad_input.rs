//! Malformed bodies, parameters, paths and methods: each a 4xx in the error format, never a 5xx.

use latch_wire::auth::authorization_header;
use reqwest::header::{AUTHORIZATION, DATE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{http_date_now, send, Backend, Latch, Reply};
use crate::{activation, query, set_up};

both_backends!(bad_input_is_a_4xx_json_error);

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
        let reply = send(server.signed(method.clone(), endpoint, creds)).await;
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
