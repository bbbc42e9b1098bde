//! Single sign-on through a customer account's identity provider, against a real `latch serve` on
//! SQLite and on PostgreSQL: an OpenID Connect provider runs inside the test (discovery document,
//! key set, token endpoint; keys made at test time), and apps sign in with its id tokens and codes.

#[path = "support/mod.rs"]
#[macro_use]
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use latch_oidc::testing::{discovery_document, hs256_token, key_set, unsigned_token, TestKey};
use serde_json::{json, Value};
use support::{spki_der, Backend, Company, Latch, Reply, Server};

const CLIENT_ID: &str = "latch-desktop";
const CLIENT_SECRET: &str = "provider-issued-secret";
const FIRST_REDIRECT: &str = "http://localhost:3333/callback";
const SECOND_REDIRECT: &str = "myapp://signed-in";
const USER: &str = "pat@acme.example";

/// The provider's side: what it publishes and the codes it has issued.
struct Provider {
    issuer: String,
    /// The published keys; the first signs unless a test picks another.
    keys: Mutex<Vec<Arc<TestKey>>>,
    key_fetches: AtomicUsize,
    /// Issued codes: the claims of the token each gives, and the redirect URI it was issued for.
    codes: Mutex<HashMap<String, (Value, String)>>,
}

impl Provider {
    fn signing_key(&self) -> Arc<TestKey> {
        self.keys.lock().unwrap()[0].clone()
    }
}

async fn discovery(State(provider): State<Arc<Provider>>) -> Json<Value> {
    Json(discovery_document(&provider.issuer))
}

async fn jwks(State(provider): State<Arc<Provider>>) -> Json<Value> {
    provider.key_fetches.fetch_add(1, Ordering::SeqCst);
    let keys = provider.keys.lock().unwrap().clone();
    Json(key_set(&keys.iter().map(Arc::as_ref).collect::<Vec<_>>()))
}

/// The token endpoint: client_secret_basic (the discovery document names no other), and each code
/// once, for the redirect URI it was issued for.
async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let expected = format!(
        "Basic {}",
        B64.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        );
    }
    let issued = form
        .get("code")
        .and_then(|code| provider.codes.lock().unwrap().remove(code));
    match issued {
        Some((claims, redirect_uri))
            if form.get("grant_type").map(String::as_str) == Some("authorization_code")
                && form.get("redirect_uri") == Some(&redirect_uri) =>
        {
            let id_token = provider.signing_key().sign(&claims);
            (
                StatusCode::OK,
                Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token})),
            )
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "unknown or used code"})),
        ),
    }
}

/// An OpenID Connect provider on 127.0.0.1, for as long as the test holds it.
struct Issuer {
    url: String,
    provider: Arc<Provider>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Issuer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let url = format!("http://{address}");
        let provider = Arc::new(Provider {
            issuer: url.clone(),
            keys: Mutex::new(vec![
                Arc::new(TestKey::rsa("key-1")),
                Arc::new(TestKey::ec("ec-1")),
            ]),
            key_fetches: AtomicUsize::new(0),
            codes: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(provider.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            provider,
            task,
        }
    }

    /// Claims of a good token for `email`, valid for five minutes.
    fn claims(&self, email: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": self.url, "aud": CLIENT_ID, "sub": email, "email": email,
               "iat": now, "exp": now + 300})
    }

    /// `claims` with `changes` applied.
    fn claims_with(&self, email: &str, changes: Value) -> Value {
        let mut claims = self.claims(email);
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    }

    fn token(&self, claims: &Value) -> String {
        self.provider.signing_key().sign(claims)
    }

    /// A code the token endpoint exchanges once, for `redirect_uri`, for a token of `email`.
    fn issue_code(&self, email: &str, redirect_uri: &str) -> String {
        let code = format!("code-{}", uuid_like());
        self.provider
            .codes
            .lock()
            .unwrap()
            .insert(code.clone(), (self.claims(email), redirect_uri.to_owned()));
        code
    }

    /// Publishes only `key`, which signs from now on.
    fn rotate_to(&self, key: TestKey) {
        *self.provider.keys.lock().unwrap() = vec![Arc::new(key)];
    }

    fn key_fetches(&self) -> usize {
        self.provider.key_fetches.load(Ordering::SeqCst)
    }
}

fn uuid_like() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A company whose user-based product `app` has licenses for a user of the customer account
/// `acme` (signing in at the test's provider) and for a user of a customer outside it.
struct Setup {
    latch: Latch,
    company: Company,
    issuer: Issuer,
    server: Server,
    account_id: i64,
}

impl Setup {
    async fn new(backend: Backend, name: &str) -> Self {
        let latch = Latch::new(backend, name).await;
        let issuer = Issuer::start().await;
        let company = latch.company("Acme Software");
        let id = company.id.to_string();
        let cli = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--company", &id]);
            latch.cli(&all)
        };
        cli(&[
            "product",
            "create",
            "--code",
            "app",
            "--name",
            "App",
            "--user-based",
        ]);
        let account = cli(&[
            "customer-account",
            "create",
            "--code",
            "acme",
            "--name",
            "Acme Corp",
            "--oidc-issuer",
            &issuer.url,
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-client-secret",
            CLIENT_SECRET,
            "--oidc-redirect-uri",
            FIRST_REDIRECT,
            "--oidc-redirect-uri",
            SECOND_REDIRECT,
        ]);
        cli(&["customer-account", "create", "--code", "plain"]);
        for (customer, user, account) in [
            ("buyer@acme.example", USER, Some("acme")),
            ("other@else.example", "sam@else.example", None),
        ] {
            let mut args = vec!["customer", "create", "--email", customer];
            if let Some(account) = account {
                args.extend(["--account", account]);
            }
            cli(&args);
            cli(&["user", "create", "--email", user, "--customer", customer]);
            let license = cli(&[
                "license",
                "create",
                "--product",
                "app",
                "--customer",
                customer,
                "--floating-users",
                "5",
                "--floating-timeout",
                "30",
                "--max-borrow-time",
                "24",
                "--max-activations",
                "10",
            ]);
            let license_id = license["license_id"].to_string();
            latch.cli(&[
                "license",
                "assign-user",
                "--license-id",
                &license_id,
                "--user",
                user,
                "--max-activations",
                "10",
            ]);
        }
        let server = latch.serve();
        Self {
            account_id: account["customer_account_id"].as_i64().unwrap(),
            latch,
            company,
            issuer,
            server,
        }
    }

    async fn activate(&self, hardware_id: &str, credentials: Value) -> Reply {
        let mut body = json!({"product": "app", "hardware_id": hardware_id});
        for (name, value) in credentials.as_object().unwrap() {
            body[name] = value.clone();
        }
        self.server
            .post(&self.company.creds, "activate_license", &body)
            .await
    }

    /// `latch customer-account update` of the account `code` with `changes`.
    fn update_account(&self, code: &str, changes: &[&str]) {
        let id = self.company.id.to_string();
        let mut args = vec![
            "customer-account",
            "update",
            "--company",
            &id,
            "--code",
            code,
        ];
        args.extend_from_slice(changes);
        self.latch.cli(&args);
    }

    /// `GET endpoint` (`sso_url`, spelled one way or another) for the account `acme`.
    async fn acme_sso_url(&self, endpoint: &str) -> Reply {
        let query = [("product", "app"), ("customer_account_code", "acme")];
        self.server.get(&self.company.creds, endpoint, &query).await
    }

    /// `check_license` naming the license user, as the SDKs do after a sign-in.
    async fn check_as_user(&self, hardware_id: &str) -> Reply {
        self.server
            .get(
                &self.company.creds,
                "check_license",
                &[
                    ("product", "app"),
                    ("hardware_id", hardware_id),
                    ("username", USER),
                    ("include_expired_features", "false"),
                ],
            )
            .await
    }

    async fn activate_with_token(&self, hardware_id: &str, token: &str) -> Reply {
        self.activate(
            hardware_id,
            json!({"customer_account_code": "acme", "id_token": token}),
        )
        .await
    }
}

/// Asserts the answer of a provider Latch cannot use: 503 `sso_provider_unavailable`, in the
/// License API's error format.
fn assert_provider_unavailable(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        (body["status"].as_u64(), body["code"].as_str()),
        (Some(503), Some("sso_provider_unavailable")),
        "{body}"
    );
}

/// Whether `signature` is the company's v1 signature of `hardware_id#ident#` (no validity).
fn v1_signature_verifies(
    company: &Company,
    hardware_id: &str,
    ident: &str,
    signature: &str,
) -> bool {
    let message = format!("{hardware_id}#{ident}#").to_lowercase();
    let signature = B64.decode(signature).unwrap();
    UnparsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        spki_der(&company.public_key_pem),
    )
    .verify(message.as_bytes(), &signature)
    .is_ok()
}

both_backends!(
    sso_url_points_at_the_providers_sign_in_page,
    an_id_token_acts_for_the_accounts_license_user,
    a_code_is_exchanged_at_the_providers_token_endpoint,
    refused_sign_ins_get_coded_answers,
    a_key_rotated_at_the_provider_is_accepted_within_15_seconds,
);

async fn sso_url_points_at_the_providers_sign_in_page(backend: Backend) {
    let setup = Setup::new(backend, "sso_url").await;
    let creds = &setup.company.creds;
    let issuer = &setup.issuer.url;
    let reply = setup.acme_sso_url("sso_url").await;
    reply.assert_signed_by(&setup.company.public_key_pem);
    let answer = reply.ok();
    assert_eq!(
        answer["openid_configuration"],
        json!({"issuer": issuer, "authorization_endpoint": format!("{issuer}/authorize"),
               "token_endpoint": format!("{issuer}/token"),
               "end_session_endpoint": format!("{issuer}/logout"),
               "jwks_uri": format!("{issuer}/jwks")})
    );
    assert_eq!(answer["alternate_urls"], json!([]));
    let url = reqwest::Url::parse(answer["url"].as_str().unwrap()).unwrap();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        format!("{issuer}/authorize")
    );
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["scope"], "openid email");
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["redirect_uri"], FIRST_REDIRECT);
    assert!(
        query["state"].len() >= 16 && query["nonce"].len() >= 16,
        "{query:?}"
    );

    let implicit = setup
        .server
        .get(
            creds,
            "sso_url",
            &[
                ("product", "app"),
                ("customer_account_code", "acme"),
                ("response_type", "token"),
                ("redirect_uri", SECOND_REDIRECT),
            ],
        )
        .await
        .ok();
    let url = reqwest::Url::parse(implicit["url"].as_str().unwrap()).unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "id_token");
    assert_eq!(query["redirect_uri"], SECOND_REDIRECT);

    for (query, status, code) in [
        (
            vec![("product", "app"), ("customer_account_code", "nobody")],
            400,
            "customer_account_not_found",
        ),
        (
            vec![("product", "app"), ("customer_account_code", "plain")],
            400,
            "sso_not_configured",
        ),
        (
            vec![("product", "nope"), ("customer_account_code", "acme")],
            400,
            "unknown_product",
        ),
        (vec![("product", "app")], 400, "missing_parameters"),
        (
            vec![
                ("product", "app"),
                ("customer_account_code", "acme"),
                ("redirect_uri", "https://attacker.example/cb"),
            ],
            400,
            "validation_error",
        ),
        (
            vec![
                ("product", "app"),
                ("customer_account_code", "acme"),
                ("response_type", "password"),
            ],
            400,
            "validation_error",
        ),
    ] {
        setup
            .server
            .get(creds, "sso_url", &query)
            .await
            .assert_error(status, code);
    }
    // The trailing-slash spelling reaches the same endpoint.
    let slashed = setup.acme_sso_url("sso_url/").await;
    assert!(slashed.ok()["url"].is_string());
}

async fn an_id_token_acts_for_the_accounts_license_user(backend: Backend) {
    let setup = Setup::new(backend, "sso_token").await;
    let creds = &setup.company.creds;
    let token = setup.issuer.token(&setup.issuer.claims("Pat@Acme.example"));
    let reply = setup.activate_with_token("HW-Token-1", &token).await;
    reply.assert_signed_by(&setup.company.public_key_pem);
    let license = reply.ok();
    assert_eq!(license["user"]["email"], USER);
    assert!(license.get("license_key").is_none(), "{license}");
    assert_eq!(license["hardware_id"], "HW-Token-1");
    assert_eq!(
        license["customer"]["customer_account"],
        json!({"id": setup.account_id, "name": "Acme Corp", "code": "acme"})
    );
    // The Node SDK checks the v1 signature with user.email when the request signed in with a token.
    let signature = license["license_signature"].as_str().unwrap();
    assert!(v1_signature_verifies(
        &setup.company,
        "HW-Token-1",
        USER,
        signature
    ));

    // Later calls name the license user, as both SDKs do after an activation.
    let check = setup.check_as_user("HW-Token-1").await.ok();
    assert_eq!(check["license_active"], true);
    // A renamed account shows in the next checks (the check cache learns of it from the database).
    setup.update_account("acme", &["--name", "Acme Group"]);
    let renamed_at = Instant::now();
    loop {
        let check = setup.check_as_user("HW-Token-1").await.ok();
        if check["customer"]["customer_account"]["name"] == "Acme Group" {
            break;
        }
        assert!(renamed_at.elapsed() < Duration::from_secs(2), "{check}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let held = setup
        .server
        .get(
            creds,
            "user_licenses",
            &[
                ("product", "app"),
                ("customer_account_code", "acme"),
                ("id_token", &token),
            ],
        )
        .await
        .ok();
    assert_eq!(held.as_array().unwrap().len(), 1, "{held}");
    assert_eq!(held[0]["user"]["email"], USER);
    assert_eq!(held[0]["license"]["id"], license["id"]);

    let borrowed = setup
        .server
        .post(
            creds,
            "floating/borrow",
            &json!({"product": "app", "hardware_id": "HW-Token-1", "borrowed_until": null,
                    "customer_account_code": "acme", "id_token": token}),
        )
        .await
        .ok();
    assert_eq!(borrowed["license_id"], license["id"]);
    assert!(borrowed["borrowed_until"].as_str().unwrap().ends_with('Z'));

    // The provider's P-256 key signs ES256 tokens that work as well.
    let ec = setup.issuer.provider.keys.lock().unwrap()[1].clone();
    let reply = setup
        .activate_with_token("HW-Token-2", &ec.sign(&setup.issuer.claims(USER)))
        .await;
    assert_eq!(reply.ok()["user"]["email"], USER);
}

async fn a_code_is_exchanged_at_the_providers_token_endpoint(backend: Backend) {
    let setup = Setup::new(backend, "sso_code").await;
    // No redirect_uri in the request (the Python SDK sends none): the account's first.
    let code = setup.issuer.issue_code(USER, FIRST_REDIRECT);
    let credentials = json!({"customer_account_code": "acme", "code": code});
    let license = setup.activate("HW-Code-1", credentials.clone()).await.ok();
    assert_eq!(license["user"]["email"], USER);
    let signature = license["license_signature"].as_str().unwrap();
    assert!(v1_signature_verifies(
        &setup.company,
        "HW-Code-1",
        USER,
        signature
    ));
    // A code is good once.
    setup
        .activate("HW-Code-2", credentials)
        .await
        .assert_error(400, "sso_token_invalid");

    // The redirect URI the request names, sent exactly so.
    let code = setup.issuer.issue_code(USER, SECOND_REDIRECT);
    let named = json!({"customer_account_code": "acme", "code": code,
                       "redirect_uri": SECOND_REDIRECT});
    assert_eq!(
        setup.activate("HW-Code-3", named).await.ok()["user"]["email"],
        USER
    );
    let code = setup.issuer.issue_code(USER, SECOND_REDIRECT);
    setup
        .activate(
            "HW-Code-4",
            json!({"customer_account_code": "acme", "code": code}),
        )
        .await
        .assert_error(400, "sso_token_invalid");

    // A wrong client secret is the vendor's to fix: the app is told the provider cannot be used.
    setup.update_account("acme", &["--oidc-client-secret", "not-the-secret"]);
    let code = setup.issuer.issue_code(USER, FIRST_REDIRECT);
    let reply = setup
        .activate(
            "HW-Code-5",
            json!({"customer_account_code": "acme", "code": code}),
        )
        .await;
    assert_provider_unavailable(&reply);
}

async fn refused_sign_ins_get_coded_answers(backend: Backend) {
    let setup = Setup::new(backend, "sso_refusals").await;
    let issuer = &setup.issuer;
    let claims_with = |changes| issuer.claims_with(USER, changes);
    let stranger = TestKey::rsa("key-1");
    let unknown = TestKey::rsa("key-unknown");
    let modulus = issuer.provider.signing_key().jwk()["n"]
        .as_str()
        .unwrap()
        .to_owned();
    let long_ago = chrono::Utc::now().timestamp() - 3600;
    let cases = [
        (
            "expired",
            issuer.token(&claims_with(json!({"exp": long_ago}))),
            "sso_token_invalid",
        ),
        (
            "not yet valid",
            issuer.token(&claims_with(json!({"nbf": long_ago + 7200}))),
            "sso_token_invalid",
        ),
        (
            "wrong audience",
            issuer.token(&claims_with(json!({"aud": "another-app"}))),
            "sso_token_invalid",
        ),
        (
            "wrong issuer",
            issuer.token(&claims_with(json!({"iss": "https://evil.example"}))),
            "sso_token_invalid",
        ),
        (
            "alg none",
            unsigned_token(&issuer.claims(USER)),
            "sso_token_invalid",
        ),
        (
            "HS256 with the public key",
            hs256_token(modulus.as_bytes(), "key-1", &issuer.claims(USER)),
            "sso_token_invalid",
        ),
        (
            "unknown key id",
            unknown.sign(&issuer.claims(USER)),
            "sso_token_invalid",
        ),
        (
            "forged signature",
            stranger.sign(&issuer.claims(USER)),
            "sso_token_invalid",
        ),
        (
            "no e-mail claim",
            issuer.token(&claims_with(json!({"email": null}))),
            "sso_token_invalid",
        ),
        (
            "a user outside the account",
            issuer.token(&issuer.claims("sam@else.example")),
            "sso_user_not_found",
        ),
        (
            "nobody",
            issuer.token(&issuer.claims("nobody@acme.example")),
            "sso_user_not_found",
        ),
        ("not a token", "garbage".to_owned(), "sso_token_invalid"),
    ];
    for (case, token, code) in cases {
        let reply = setup.activate_with_token("HW-Refused", &token).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (400, code.to_owned()),
            "{case}: {}",
            reply.text()
        );
    }
    let good = issuer.token(&issuer.claims(USER));
    for (credentials, code) in [
        (
            json!({"customer_account_code": "nobody", "id_token": good}),
            "customer_account_not_found",
        ),
        (
            json!({"customer_account_code": "plain", "id_token": good}),
            "sso_not_configured",
        ),
        // An account code alone is no sign-in: the request names no license.
        (
            json!({"customer_account_code": "acme"}),
            "missing_parameters",
        ),
    ] {
        setup
            .activate("HW-Refused", credentials)
            .await
            .assert_error(400, code);
    }
    // Nothing was activated by any of them.
    let devices = setup
        .latch
        .db_scalar("SELECT COUNT(*) FROM devices", &[])
        .await;
    assert_eq!(devices, 0);

    // An unreachable provider is not the app's fault, and is never a bare 500.
    setup.update_account(
        "plain",
        &[
            "--oidc-issuer",
            "http://127.0.0.1:9",
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-client-secret",
            CLIENT_SECRET,
            "--oidc-redirect-uri",
            FIRST_REDIRECT,
        ],
    );
    let reply = setup
        .activate(
            "HW-Refused",
            json!({"customer_account_code": "plain", "id_token": good}),
        )
        .await;
    assert_provider_unavailable(&reply);
    let reply = setup
        .server
        .get(
            &setup.company.creds,
            "sso_url",
            &[("product", "app"), ("customer_account_code", "plain")],
        )
        .await;
    assert_provider_unavailable(&reply);
}

async fn a_key_rotated_at_the_provider_is_accepted_within_15_seconds(backend: Backend) {
    let setup = Setup::new(backend, "sso_rotation").await;
    let issuer = &setup.issuer;
    let first = issuer.token(&issuer.claims(USER));
    assert_eq!(
        setup.activate_with_token("HW-Rot-0", &first).await.status,
        200
    );
    assert_eq!(issuer.key_fetches(), 1);

    issuer.rotate_to(TestKey::rsa("key-2"));
    let rotated_at = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let token = issuer.token(&issuer.claims(USER));
        let reply = setup
            .activate_with_token(&format!("HW-Rot-{attempts}"), &token)
            .await;
        if reply.status == 200 {
            break;
        }
        reply.assert_error(400, "sso_token_invalid");
        assert!(
            rotated_at.elapsed() < Duration::from_secs(15),
            "the rotated key was still refused after 15 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Tokens with the new key arrived every half second, yet the keys were fetched again once.
    assert!(attempts > 2, "the key set was fetched again too soon");
    assert_eq!(issuer.key_fetches(), 2);
}
