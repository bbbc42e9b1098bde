//! `GET /api/v4/sso_url` and sign-ins through a customer account's identity provider
//! (`activate_license` with `customer_account_code` and an `id_token`), against a provider serving
//! its discovery document and keys in the test.

use axum::routing::get;
use axum::{Json, Router};
use latch_oidc::testing::{discovery_document, key_set, TestKey};
use latch_store::{Actor, NewCustomerAccount, OidcProvider};
use serde_json::{json, Value};

use crate::support::*;

const ACCOUNT: &str = "acme";
const PLAIN_ACCOUNT: &str = "plain";
const DOWN_ACCOUNT: &str = "down";
const CLIENT_ID: &str = "latch-desktop";
const REDIRECT_URI: &str = "http://localhost:3333/callback";

/// A provider on 127.0.0.1 serving its discovery document and one signing key; the key signs
/// tokens for the tests.
async fn provider() -> (String, TestKey) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let key = TestKey::rsa("answers-key");
    let (document, keys) = (discovery_document(&issuer), key_set(&[&key]));
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(document) }),
        )
        .route("/jwks", get(move || async move { Json(keys) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (issuer, key)
}

/// The app with the accounts `acme` (signing in at `issuer`; the user of [`App::user_license`]
/// belongs to its customer), `plain` (no provider) and `down` (a provider no one answers for).
async fn app_with_accounts(issuer: &str) -> App {
    let app = App::new().await;
    let provider = |issuer: &str| OidcProvider {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: "client-secret".to_owned().into(),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        email_claim: "email".to_owned(),
    };
    let mut accounts = Vec::new();
    for (code, oidc) in [
        (ACCOUNT, Some(provider(issuer))),
        (PLAIN_ACCOUNT, None),
        (DOWN_ACCOUNT, Some(provider("http://127.0.0.1:9"))),
    ] {
        let account = NewCustomerAccount {
            company_id: app.company.id,
            code: code.to_owned(),
            name: "Acme Corp".to_owned(),
            oidc,
        };
        accounts.push(
            app.store
                .create_customer_account(account, &Actor::Cli, fixed_time())
                .await
                .unwrap(),
        );
    }
    let customer = app.customer_of(Some(accounts[0].reference())).await;
    app.user_license(Some(&customer), 2).await;
    app
}

fn claims(issuer: &str, email: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": issuer, "aud": CLIENT_ID, "sub": email, "email": email, "iat": now,
           "exp": now + 300})
}

fn sso_activation(account: &str, token: &str) -> Value {
    json!({"product": USER_PRODUCT, "hardware_id": HARDWARE_ID, "customer_account_code": account,
           "id_token": token})
}

#[tokio::test]
async fn sso_url() {
    let (issuer, _) = provider().await;
    let app = app_with_accounts(&issuer).await;
    let query = json!({"product": USER_PRODUCT, "customer_account_code": ACCOUNT});
    let answer = app.get("sso_url", query.clone()).await;
    let url = answer.snapshot()["body"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with(&format!(
            "{issuer}/authorize?client_id={CLIENT_ID}&response_type=code&"
        )),
        "{url}"
    );
    assert_answer!(
        answer,
        "sso_url",
        ".body.url",
        ".body.openid_configuration.issuer",
        ".body.openid_configuration.authorization_endpoint",
        ".body.openid_configuration.token_endpoint",
        ".body.openid_configuration.end_session_endpoint",
        ".body.openid_configuration.jwks_uri",
    );
    let sso_url = |params| app.get("sso_url", params);
    assert_answer!(
        sso_url(with(
            query.clone(),
            "customer_account_code",
            json!("nobody")
        ))
        .await,
        "unknown_account"
    );
    assert_answer!(
        sso_url(with(
            query.clone(),
            "customer_account_code",
            json!(PLAIN_ACCOUNT)
        ))
        .await,
        "account_without_provider"
    );
    assert_answer!(
        sso_url(with(
            query.clone(),
            "redirect_uri",
            json!("https://elsewhere.example/cb")
        ))
        .await,
        "unregistered_redirect_uri"
    );
    assert_answer!(
        sso_url(with(query.clone(), "response_type", json!("password"))).await,
        "unknown_response_type"
    );
    assert_answer!(
        sso_url(without(query.clone(), "customer_account_code")).await,
        "missing_account"
    );
    assert_answer!(
        sso_url(with(query, "customer_account_code", json!(DOWN_ACCOUNT))).await,
        "provider_unavailable"
    );
}

#[tokio::test]
async fn activation_with_an_id_token() {
    let (issuer, key) = provider().await;
    let app = app_with_accounts(&issuer).await;
    let activate = |params| app.post("activate_license", params);
    let expired = claims(&issuer, USER_EMAIL)
        .as_object()
        .cloned()
        .map(|mut claims| {
            claims.insert("exp".into(), json!(chrono::Utc::now().timestamp() - 3600));
            Value::Object(claims)
        })
        .unwrap();
    assert_answer!(
        activate(sso_activation(ACCOUNT, &key.sign(&expired))).await,
        "expired_token"
    );
    assert_answer!(
        activate(sso_activation(
            ACCOUNT,
            &key.sign(&claims(&issuer, "nobody@example.com"))
        ))
        .await,
        "no_license_user"
    );
    let token = key.sign(&claims(&issuer, USER_EMAIL));
    assert_answer!(
        activate(sso_activation("nobody", &token)).await,
        "activation_unknown_account"
    );
    assert_answer!(
        activate(sso_activation(PLAIN_ACCOUNT, &token)).await,
        "activation_account_without_provider"
    );
    assert_answer!(
        activate(sso_activation(DOWN_ACCOUNT, &token)).await,
        "activation_provider_unavailable"
    );
    assert_answer!(
        activate(sso_activation(ACCOUNT, &token)).await,
        "activation"
    );
}
