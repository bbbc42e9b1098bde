//! Request authentication: the `Date` and HMAC `Authorization` headers, well-formed and not.

use chrono::{Duration, Utc};
use latch_wire::auth::{authorization_header, request_signature};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{http_date, http_date_now, send, Backend, Latch, Reply, Server};
use crate::{activation, set_up};

both_backends!(auth_errors);

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
