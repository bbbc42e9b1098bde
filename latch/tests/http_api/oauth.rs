//! OAuth clients: `oauth_url`, the token endpoint, and Bearer access tokens in place of the HMAC scheme.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, RequestBuilder};
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

/// Form fields of a token request.
type Form<'a> = &'a [(&'a str, &'a str)];

/// An OAuth client's id and secret.
struct Client {
    id: String,
    secret: String,
}

impl Client {
    fn create(latch: &Latch, company: &Company) -> Self {
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
        Self {
            id: field("client_id"),
            secret: field("client_secret"),
        }
    }

    /// The token request of this client, sending `secret` as its secret.
    fn form<'a>(&'a self, secret: &'a str) -> [(&'a str, &'a str); 3] {
        [
            ("grant_type", "client_credentials"),
            ("client_id", &self.id),
            ("client_secret", secret),
        ]
    }
}

/// A deployment with product `app`, one license of it and an OAuth client of its company, and a
/// server started with `env`.
struct Deployment {
    latch: Latch,
    company: Company,
    key: String,
    client: Client,
    server: Server,
}

async fn deployment(
    backend: Backend,
    name: &str,
    license_args: &[&str],
    env: &[(&str, &str)],
) -> Deployment {
    let latch = Latch::new(backend, name).await;
    let (company, key) = set_up(&latch, license_args);
    let client = Client::create(&latch, &company);
    let server = latch.serve_with(env);
    Deployment {
        latch,
        company,
        key,
        client,
        server,
    }
}

fn token_post(server: &Server) -> RequestBuilder {
    server.http.post(server.url("/api/v4/oauth/token"))
}

/// `POST /api/v4/oauth/token` with a form of `fields`.
async fn token_request(server: &Server, fields: Form<'_>) -> Reply {
    send(token_post(server).form(fields)).await
}

/// A new access token for `client` (the form way), asserting the RFC 6749 answer.
async fn access_token(server: &Server, client: &Client) -> String {
    let reply = token_request(server, &client.form(&client.secret)).await;
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
async fn bearer_get(server: &Server, token: &str, endpoint: &str, query: Form<'_>) -> Reply {
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

const APP_DETAILS: Form = &[("product", "app")];

async fn token_endpoint(backend: Backend) {
    let Deployment {
        latch,
        company,
        client,
        server,
        ..
    } = deployment(backend, "token_endpoint", &[], &[]).await;

    let mut with_scope = client.form(&client.secret).to_vec();
    with_scope.push(("scope", "ignored"));
    let reply = token_request(&server, &with_scope).await;
    let body = reply.ok();
    assert_eq!(body["expires_in"], 3600, "{body}");
    assert_eq!(reply.headers["pragma"], "no-cache");
    assert_ne!(
        access_token(&server, &client).await,
        body["access_token"].as_str().unwrap(),
        "every request gets a token of its own"
    );

    // HTTP Basic client authentication (RFC 6749 §2.3.1): form-encoded halves, base64.
    let with_basic = |secret: &str, fields: Form| {
        let credentials = B64.encode(format!("{}:{secret}", client.id));
        send(
            token_post(&server)
                .header(AUTHORIZATION, format!("Basic {credentials}"))
                .form(fields),
        )
    };
    let grant_only: Form = &[("grant_type", "client_credentials")];
    let reply = with_basic(&client.secret, grant_only).await;
    assert_eq!(reply.ok()["token_type"], "Bearer");
    let reply = with_basic("wrong", grant_only).await;
    assert_token_error(&reply, 401, "invalid_client");
    assert!(reply.headers.contains_key(WWW_AUTHENTICATE));
    let both = with_basic(&client.secret, &client.form(&client.secret)).await;
    assert_token_error(&both, 400, "invalid_request");

    // Refusals, each in RFC 6749's form.
    let unknown = Client {
        id: "oauth_NOSUCHCLIENT".into(),
        secret: client.secret.clone(),
    };
    let [grant, id, secret] = client.form(&client.secret);
    let refusals: [(Form, u16, &str); 5] = [
        (&client.form("wrong"), 401, "invalid_client"),
        (&unknown.form(&unknown.secret), 401, "invalid_client"),
        (&[grant, id], 401, "invalid_client"),
        (&[id, secret], 400, "invalid_request"),
        (
            &[("grant_type", "password"), id, secret],
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
            token_post(&server)
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
    let Deployment {
        latch,
        company,
        key,
        client,
        server,
    } = deployment(backend, "bearer_tokens", &["--max-activations", "2"], &[]).await;
    let other = latch.company("Other");
    latch.product(&other, "theirs");
    let spare = Client::create(&latch, &company);
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
    bearer_get(&second_node, &token, "product_details", APP_DETAILS)
        .await
        .ok();
    second_node.stop();

    let unknown = format!("latch_at_{}", "A".repeat(43));
    for garbled in ["garbage", "", unknown.as_str(), &token[..token.len() - 1]] {
        bearer_get(&server, garbled, "product_details", APP_DETAILS)
            .await
            .assert_error(401, "oauth_token_malformed");
    }

    // Revoked: its tokens are refused by every node within 2 s, and it gets no new one; the
    // company's other client is untouched.
    let spare_token = access_token(&server, &spare).await;
    let revoked = latch.cli(&["oauth-client", "revoke", &client.id]);
    assert_eq!(revoked["revoked"], true, "{revoked}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    bearer_get(&server, &token, "product_details", APP_DETAILS)
        .await
        .assert_error(401, "oauth_token_expired");
    let reply = token_request(&server, &client.form(&client.secret)).await;
    assert_token_error(&reply, 401, "invalid_client");
    bearer_get(&server, &spare_token, "product_details", APP_DETAILS)
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
    // Bound, so that the deployment (data dir, database schema) lasts until the test ends.
    let Deployment {
        latch: _latch,
        client,
        server,
        ..
    } = deployment(
        backend,
        "expired_tokens",
        &[],
        &[("LATCH_OAUTH_TOKEN_LIFETIME", "1")],
    )
    .await;

    let body = token_request(&server, &client.form(&client.secret))
        .await
        .ok();
    assert_eq!(body["expires_in"], 1, "{body}");
    let token = body["access_token"].as_str().unwrap();
    bearer_get(&server, token, "product_details", APP_DETAILS)
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    bearer_get(&server, token, "product_details", APP_DETAILS)
        .await
        .assert_error(401, "oauth_token_expired");
    // A fresh token is never refused as expired or malformed.
    let fresh = access_token(&server, &client).await;
    bearer_get(&server, &fresh, "product_details", APP_DETAILS)
        .await
        .ok();
    server.stop();
}

/// `GET /api/v4/oauth_url?login_type=LOGIN_TYPE` with an optional `Host` header.
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
    let client_credentials = |host| oauth_url(&server, host, "client_credentials");
    // Neither Date nor Authorization: this is how a client finds where to get its credential.
    assert_eq!(
        client_credentials(None).await.ok(),
        json!({"url": server.url("/api/v4/oauth/token"), "login_type": "client_credentials"})
    );
    let body = client_credentials(Some("licensing.example.com:8443"))
        .await
        .ok();
    assert_eq!(
        body["url"],
        "http://licensing.example.com:8443/api/v4/oauth/token"
    );
    client_credentials(Some("evil@licensing.example.com"))
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
    // Bound, so that the deployment (data dir, database schema) lasts until the test ends.
    let Deployment {
        latch: _latch,
        client,
        server,
        ..
    } = deployment(
        backend,
        "oauth_failures",
        &[],
        &[("LATCH_PASSWORD_ADDRESS_FAILURES", "2")],
    )
    .await;
    for _ in 0..2 {
        let reply = token_request(&server, &client.form("wrong")).await;
        assert_token_error(&reply, 401, "invalid_client");
    }
    // The address now waits, even with the right secret.
    let reply = token_request(&server, &client.form(&client.secret)).await;
    assert_token_error(&reply, 429, "too_many_requests");
    assert!(reply.headers.contains_key(RETRY_AFTER));
    server.stop();
}
