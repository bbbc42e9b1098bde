//! Management keys: who may call the Management API, and what a read-only or revoked key gets.

use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use serde_json::json;

use super::support::{send, Backend, Latch};
use super::{detail, expect, management_key, Api};

both_backends!(
    only_a_live_management_key_of_the_right_kind_gets_in,
    a_read_only_key_reads_but_never_writes,
    a_revoked_key_is_refused_within_seconds,
    keys_are_managed_over_http_within_the_company,
);

async fn only_a_live_management_key_of_the_right_kind_gets_in(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_auth").await;
    let company = latch.company("Acme");
    let key = management_key(&latch, &company, false);
    let server = latch.serve();

    let anonymous = send(server.http.get(server.url("/api/v1/events/"))).await;
    assert_eq!(
        detail(&anonymous, 403),
        "Authentication credentials were not provided."
    );
    let wrong_scheme = send(
        server
            .http
            .get(server.url("/api/v1/events/"))
            .header(AUTHORIZATION, format!("Bearer {key}")),
    )
    .await;
    detail(&wrong_scheme, 403);
    for refused in [
        "nope.nope".to_owned(),
        company.creds.api_key.clone(),
        company.creds.shared_key.clone(),
    ] {
        assert_eq!(
            detail(&Api::new(&server, &refused).get("events/").await, 403),
            "Invalid API key."
        );
    }
    // The management key is no License API key.
    let as_license_key = super::support::Creds {
        api_key: key.clone(),
        shared_key: key.clone(),
    };
    let refused = server
        .get(&as_license_key, "product_details", &[("product", "x")])
        .await;
    assert!(refused.status >= 400, "{}", refused.text());

    let api = Api::new(&server, &key);
    expect(&api.get("events/").await, 200);
    // With or without the trailing slash.
    expect(&api.get("events").await, 200);
    assert_eq!(detail(&api.get("no-such-thing/").await, 404), "Not found.");
    assert_eq!(
        detail(&api.call(reqwest::Method::PUT, "events/", None).await, 405),
        "Method \"PUT\" not allowed."
    );
    detail(&api.patch("events/", &serde_json::json!({})).await, 405);
    detail(&api.delete("management-keys/").await, 405);
}

async fn a_read_only_key_reads_but_never_writes(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_read_only").await;
    let company = latch.company("Acme");
    let key = management_key(&latch, &company, true);
    let server = latch.serve();
    let api = Api::new(&server, &key);

    expect(&api.get("management-keys/").await, 200);
    assert_eq!(api.get("public-key/").await.status, 200);
    for path in ["management-keys/", "api-keys/"] {
        assert_eq!(
            detail(&api.post(path, &json!({})).await, 403),
            "You do not have permission to perform this action."
        );
    }
    let keys = expect(&api.get("management-keys/").await, 200);
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
}

async fn a_revoked_key_is_refused_within_seconds(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_revoke").await;
    let company = latch.company("Acme");
    let key = management_key(&latch, &company, false);
    let servers = [latch.serve(), latch.serve()];
    for server in &servers {
        expect(&Api::new(server, &key).get("events/").await, 200);
    }

    let revoked = latch.cli(&["management-key", "revoke", &key]);
    assert_eq!(revoked["revoked"], true);
    let started = Instant::now();
    for server in &servers {
        loop {
            let reply = Api::new(server, &key).get("events/").await;
            if reply.status == 403 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "a revoked key still works after 5 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn keys_are_managed_over_http_within_the_company(backend: Backend) {
    let latch = Latch::new(backend, "mgmt_keys").await;
    let acme = latch.company("Acme");
    let other = latch.company("Other");
    let acme_key = management_key(&latch, &acme, false);
    let other_key = management_key(&latch, &other, false);
    let server = latch.serve();
    let api = Api::new(&server, &acme_key);

    let created = expect(
        &api.post("management-keys/", &json!({"read_only": true}))
            .await,
        201,
    );
    let new_key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(created["read_only"], true);
    assert!(new_key.starts_with(created["prefix"].as_str().unwrap()));
    expect(&Api::new(&server, &new_key).get("events/").await, 200);

    // Another company's key id is unknown here, and stays live.
    let other_keys = expect(
        &Api::new(&server, &other_key).get("management-keys/").await,
        200,
    );
    let other_id = other_keys[0]["id"].as_i64().unwrap();
    detail(
        &api.post(&format!("management-keys/{other_id}/revoke/"), &json!({}))
            .await,
        404,
    );
    expect(&Api::new(&server, &other_key).get("events/").await, 200);

    let new_id = created["id"].as_i64().unwrap();
    let revoked = expect(
        &api.post(&format!("management-keys/{new_id}/revoke"), &json!({}))
            .await,
        200,
    );
    assert_eq!(revoked["revoked"], true);

    // License API keys: created with their shared key, listed without it, revoked.
    let api_key = expect(&api.post("api-keys/", &json!({})).await, 201);
    assert!(api_key["shared_key"].as_str().unwrap().len() > 20);
    let listed = expect(&api.get("api-keys/").await, 200);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|key| key.get("shared_key").is_none()));
    let name = api_key["api_key"].as_str().unwrap();
    detail(
        &Api::new(&server, &other_key)
            .post(&format!("api-keys/{name}/revoke/"), &json!({}))
            .await,
        404,
    );
    expect(
        &api.post(&format!("api-keys/{name}/revoke/"), &json!({}))
            .await,
        200,
    );

    let pem = api.get("public-key/").await;
    assert_eq!(pem.status, 200);
    assert_eq!(pem.text(), acme.public_key_pem);

    // Bad bodies are refused by field or as a whole, never with a server error.
    let wrong_type = expect(
        &api.post("management-keys/", &json!({"read_only": "yes"}))
            .await,
        400,
    );
    assert!(wrong_type["read_only"].is_array(), "{wrong_type}");
    let malformed = send(
        server
            .http
            .post(server.url("/api/v1/management-keys/"))
            .header(AUTHORIZATION, format!("Api-Key {acme_key}"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{\"read_only\": tru"),
    )
    .await;
    assert!(detail(&malformed, 400).starts_with("JSON parse error"));
    let not_json = send(
        server
            .http
            .post(server.url("/api/v1/management-keys/"))
            .header(AUTHORIZATION, format!("Api-Key {acme_key}"))
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .body("read_only"),
    )
    .await;
    detail(&not_json, 415);
}
