//! OAuth clients: `oauth_url`, the token endpoint, and Bearer access tokens in place of the HMAC scheme.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{send, Backend, Company, Latch, Reply, Server};
use crate::{activation, query, set_up};

both_backends!(
    token_endpoint,
    bearer_tokens,
    expired_tokens,
    oauth_url_names_the_token_endpoint,
    failed_client_authentications_make_the_address_wait,
);

/// An OAuth client's id and secret.
struct Client {
    id: String,
    secret: String,
}

fn oauth_client(latch: &Latch, company: &Company) -> Client {
    let created = latch.cli(&[
        "oauth-client",
        "create",
        "--company",
        &company.id.to_string(),
    ]);
    let field = |name: &str| {
        created[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {created}"))
            .to_owned()
    };
    Client {
        id: field("client_id"),
        secret: field("client_secret"),
    }
}

/// `POST /api/v4/oauth/token` with a form of `fields`.
async fn token_request(server: &Server, fields: &[(&str, &str)]) -> Reply {
    send(
        server
            .http
            .post(server.url("/api/v4/oauth/token"))
            .form(fields),
    )
    .await
}

/// A new access token for `client` (the form way), asserting the RFC 6749 answer.
async fn access_token(server: &Server, client: &Client) -> String {
    let reply = token_request(
        server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ],
    )
    .await;
    let body = reply.ok();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(reply.headers[CACHE_CONTROL], "no-store");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Asserts an RFC 6749 error answer (`{"error", "error_description"}`) with this status and code.
#[track_caller]
fn assert_token_error(reply: &Reply, status: u16, error: &str) {
    let body = reply.json();
    assert_eq!(
        (reply.status, body["error"].as_str()),
        (status, Some(error)),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

/// `GET /api/v4/ENDPOINT?QUERY` with `Authorization: Bearer <token>` and no `Date`.
async fn bearer_get(server: &Server, token: &str, endpoint: &str, query: &[(&str, &str)]) -> Reply {
    send(
        server
            .http
            .get(server.url(&format!("/api/v4/{endpoint}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .query(query),
    )
    .await
}

async fn bearer_post(server: &Server, token: &str, endpoint: &str, body: &Value) -> Reply {
    send(
        server
            .http
            .post(server.url(&format!("/api/v4/{endpoint}")))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string()),
    )
    .await
}

async fn token_endpoint(backend: Backend) {
    let latch = Latch::new(backend, "token_endpoint").await;
    let (company, _key) = set_up(&latch, &[]);
    let client = oauth_client(&latch, &company);
    let server = latch.serve();

    let reply = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
            ("scope", "ignored"),
        ],
    )
    .await;
    let body = reply.ok();
    assert_eq!(body["expires_in"], 3600, "{body}");
    assert_eq!(reply.headers["pragma"], "no-cache");
    let first = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(
        access_token(&server, &client).await,
        first,
        "every request gets a token of its own"
    );

    // HTTP Basic client authentication (RFC 6749 §2.3.1): form-encoded halves, base64.
    let basic = |id: &str, secret: &str| format!("Basic {}", B64.encode(format!("{id}:{secret}")));
    let with_basic = |authorization: String, fields: &[(&str, &str)]| {
        let request = server
            .http
            .post(server.url("/api/v4/oauth/token"))
            .header(AUTHORIZATION, authorization)
            .form(fields);
        send(request)
    };
    let grant = [("grant_type", "client_credentials")];
    let reply = with_basic(basic(&client.id, &client.secret), &grant).await;
    assert_eq!(reply.ok()["token_type"], "Bearer");
    let reply = with_basic(basic(&client.id, "wrong"), &grant).await;
    assert_token_error(&reply, 401, "invalid_client");
    assert!(reply.headers.contains_key(WWW_AUTHENTICATE));
    let both = [
        ("grant_type", "client_credentials"),
        ("client_id", client.id.as_str()),
    ];
    assert_token_error(
        &with_basic(basic(&client.id, &client.secret), &both).await,
        400,
        "invalid_request",
    );

    // Refusals, each in RFC 6749's form.
    let refusals: [(&[(&str, &str)], u16, &str); 5] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client.id),
                ("client_secret", "wrong"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "oauth_NOSUCHCLIENT"),
                ("client_secret", &client.secret),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client.id),
            ],
            401,
            "invalid_client",
        ),
        (
            &[("client_id", &client.id), ("client_secret", &client.secret)],
            400,
            "invalid_request",
        ),
        (
            &[
                ("grant_type", "password"),
                ("client_id", &client.id),
                ("client_secret", &client.secret),
            ],
            400,
            "unsupported_grant_type",
        ),
    ];
    for (fields, status, error) in refusals {
        assert_token_error(&token_request(&server, fields).await, status, error);
    }
    let repeated = format!(
        "grant_type=client_credentials&client_id={0}&client_id={0}&client_secret={1}",
        client.id, client.secret
    );
    let not_a_form = json!({"grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret});
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", repeated),
        ("application/json", not_a_form.to_string()),
    ] {
        let reply = send(
            server
                .http
                .post(server.url("/api/v4/oauth/token"))
                .header(CONTENT_TYPE, content_type)
                .body(body),
        )
        .await;
        assert_token_error(&reply, 400, "invalid_request");
    }
    server
        .plain(Method::GET, "/api/v4/oauth/token")
        .await
        .assert_error(405, "method_not_allowed");

    let events = latch.cli(&[
        "events",
        "--company",
        &company.id.to_string(),
        "--event",
        "oauth_client.created",
    ]);
    assert_eq!(
        events["events"][0]["data"]["client_id"],
        client.id.as_str(),
        "{events}"
    );
    server.stop();
}

async fn bearer_tokens(backend: Backend) {
    let latch = Latch::new(backend, "bearer_tokens").await;
    let (company, key) = set_up(&latch, &["--max-activations", "2"]);
    let other = latch.company("Other");
    latch.product(&other, "theirs");
    let client = oauth_client(&latch, &company);
    let spare = oauth_client(&latch, &company);
    let server = latch.serve();
    let token = access_token(&server, &client).await;

    // The License API takes the token in place of Date and the HMAC Authorization, and signs as usual.
    let activated = bearer_post(
        &server,
        &token,
        "activate_license",
        &activation("app", &key, "hw-1"),
    )
    .await;
    assert_eq!(activated.ok()["license_key"], key.as_str());
    activated.assert_signed_by(&company.public_key_pem);
    let checked = bearer_get(
        &server,
        &token,
        "check_license",
        &query("app", &key, "hw-1"),
    )
    .await;
    assert_eq!(checked.ok()["hardware_id"], "hw-1");
    checked.assert_signed_by(&company.public_key_pem);
    assert_eq!(latch.show_license(&company, &key)["times_activated"], 1);
    // Only its own company's products.
    bearer_get(&server, &token, "product_details", &[("product", "theirs")])
        .await
        .assert_error(400, "unknown_product");

    // Another node of the deployment accepts a token this one issued.
    let second_node = latch.serve();
    bearer_get(
        &second_node,
        &token,
        "product_details",
        &[("product", "app")],
    )
    .await
    .ok();
    second_node.stop();

    let unknown = format!("latch_at_{}", "A".repeat(43));
    for garbled in ["garbage", "", unknown.as_str(), &token[..token.len() - 1]] {
        bearer_get(&server, garbled, "product_details", &[("product", "app")])
            .await
            .assert_error(401, "oauth_token_malformed");
    }

    // Revoked: its tokens are refused by every node within 2 s, and it gets no new one; the
    // company's other client is untouched.
    let spare_token = access_token(&server, &spare).await;
    let revoked = latch.cli(&["oauth-client", "revoke", &client.id]);
    assert_eq!(revoked["revoked"], true, "{revoked}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    bearer_get(&server, &token, "product_details", &[("product", "app")])
        .await
        .assert_error(401, "oauth_token_expired");
    let reply = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ],
    )
    .await;
    assert_token_error(&reply, 401, "invalid_client");
    bearer_get(
        &server,
        &spare_token,
        "product_details",
        &[("product", "app")],
    )
    .await
    .ok();
    let listed = latch.cli(&["oauth-client", "list", "--company", &company.id.to_string()]);
    let states: Vec<(&str, bool)> = listed["oauth_clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["client_id"].as_str().unwrap(),
                c["revoked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [(spare.id.as_str(), false), (client.id.as_str(), true)]
    );
    assert!(
        listed["oauth_clients"][0].get("client_secret").is_none(),
        "{listed}"
    );
    server.stop();
}

async fn expired_tokens(backend: Backend) {
    let latch = Latch::new(backend, "expired_tokens").await;
    let (company, _key) = set_up(&latch, &[]);
    let client = oauth_client(&latch, &company);
    let server = latch.serve_with(&[("LATCH_OAUTH_TOKEN_LIFETIME", "1")]);

    let reply = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", &client.secret),
        ],
    )
    .await;
    let body = reply.ok();
    assert_eq!(body["expires_in"], 1, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    bearer_get(&server, &token, "product_details", &[("product", "app")])
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    bearer_get(&server, &token, "product_details", &[("product", "app")])
        .await
        .assert_error(401, "oauth_token_expired");
    // A fresh token is never refused as expired or malformed.
    let fresh = access_token(&server, &client).await;
    bearer_get(&server, &fresh, "product_details", &[("product", "app")])
        .await
        .ok();
    server.stop();
}

/// `GET /api/v4/oauth_url?login_type=client_credentials` with an optional `Host` header.
async fn oauth_url(server: &Server, host: Option<&str>, login_type: &str) -> Reply {
    let mut request = server
        .http
        .get(server.url("/api/v4/oauth_url"))
        .query(&[("login_type", login_type)]);
    if let Some(host) = host {
        request = request.header(HOST, host);
    }
    send(request).await
}

async fn oauth_url_names_the_token_endpoint(backend: Backend) {
    let latch = Latch::new(backend, "oauth_url").await;
    let server = latch.serve();
    // Neither Date nor Authorization: this is how a client finds where to get its credential.
    let body = oauth_url(&server, None, "client_credentials").await.ok();
    assert_eq!(
        body,
        json!({"url": server.url("/api/v4/oauth/token"), "login_type": "client_credentials"})
    );
    let body = oauth_url(
        &server,
        Some("licensing.example.com:8443"),
        "client_credentials",
    )
    .await
    .ok();
    assert_eq!(
        body["url"],
        "http://licensing.example.com:8443/api/v4/oauth/token"
    );
    oauth_url(
        &server,
        Some("evil@licensing.example.com"),
        "client_credentials",
    )
    .await
    .assert_error(400, "validation_error");
    oauth_url(&server, None, "password")
        .await
        .assert_error(400, "validation_error");
    server.stop();

    // Behind a proxy: the configured public URL, whatever the client's Host.
    let proxied = latch.serve_with(&[("LATCH_PUBLIC_URL", "https://licensing.example.com/latch/")]);
    let body = oauth_url(&proxied, Some("10.0.0.5:8080"), "client_credentials")
        .await
        .ok();
    assert_eq!(
        body["url"],
        "https://licensing.example.com/latch/api/v4/oauth/token"
    );
    proxied.stop();
}

async fn failed_client_authentications_make_the_address_wait(backend: Backend) {
    let latch = Latch::new(backend, "oauth_failures").await;
    let (company, _key) = set_up(&latch, &[]);
    let client = oauth_client(&latch, &company);
    let server = latch.serve_with(&[("LATCH_PASSWORD_ADDRESS_FAILURES", "2")]);
    let form = |secret: &str| {
        [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", client.id.clone()),
            ("client_secret", secret.to_owned()),
        ]
    };
    for _ in 0..2 {
        let reply = send(
            server
                .http
                .post(server.url("/api/v4/oauth/token"))
                .form(&form("wrong")),
        )
        .await;
        assert_token_error(&reply, 401, "invalid_client");
    }
    // The address now waits, even with the right secret.
    let reply = send(
        server
            .http
            .post(server.url("/api/v4/oauth/token"))
            .form(&form(&client.secret)),
    )
    .await;
    assert_token_error(&reply, 429, "too_many_requests");
    assert!(reply.headers.contains_key(RETRY_AFTER));
    server.stop();
}
