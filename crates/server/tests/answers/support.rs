//! One Latch router per test on a fresh SQLite database, signed requests as the SDKs send them, store
//! fixtures, and the snapshot form of an answer.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Method, Request};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use latch_server::state::AppState;
use latch_server::write_behind::WriteBehind;
use latch_store::{
    Actor, Assignment, AuthorizationMethod, Change, Company, Customer, CustomerAccountRef,
    FeatureType, License, LicenseFeature, LicenseUser, NewCompany, NewLicense, NewLicenseFeature,
    NewLicenseUser, NewProduct, NewRelease, Product, Release, SecretBox, SqliteStore, Store,
};
use latch_store::{FeatureValues, LicenseCustomField, ProductCustomField};
use latch_wire::signing::{generate_key, GeneratedKey};
use serde_json::{json, Value};
use tower::ServiceExt as _;

/// The product most tests use: key-based, with 14-day trials.
pub const PRODUCT: &str = "app";
/// The product whose licenses are held by license users.
pub const USER_PRODUCT: &str = "team-app";
pub const KEY: &str = "AAAA-BBBB-CCCC-DDDD";
pub const HARDWARE_ID: &str = "hw-1";
pub const OTHER_HARDWARE_ID: &str = "hw-2";
pub const USER_EMAIL: &str = "user@example.com";
pub const USER_PASSWORD: &str = "initial-password";
pub const CUSTOMER_EMAIL: &str = "buyer@example.com";

/// API key credentials, fixed so requests and answers are the same on every run.
#[derive(Debug, Clone, Copy)]
pub struct Creds {
    pub api_key: &'static str,
    pub shared_key: &'static str,
}

pub const WRITE_KEY: Creds = Creds {
    api_key: "WRITEKEY",
    shared_key: "write-shared-key",
};
pub const READ_ONLY_KEY: Creds = Creds {
    api_key: "READONLYKEY",
    shared_key: "read-only-shared-key",
};
pub const REVOKED_KEY: Creds = Creds {
    api_key: "REVOKEDKEY",
    shared_key: "revoked-shared-key",
};

/// A fixed instant for fixture rows, so dates the vendor set show the same in every snapshot.
pub fn fixed_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
}

/// A vendor's change from the command line at [`fixed_time`].
pub fn fixed_change() -> Change<'static> {
    static CLI: Actor = Actor::Cli;
    Change {
        actor: &CLI,
        at: fixed_time(),
    }
}

/// A date far enough ahead that no license using it expires during the tests.
pub fn far_future() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2099, 12, 31, 0, 0, 0).unwrap()
}

/// RSA key generation is the slowest part of a fixture: every company in this process shares one key.
fn signing_key() -> &'static GeneratedKey {
    static KEY: OnceLock<GeneratedKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key().expect("generate an RSA key"))
}

/// A data dir removed when the test ends (kept when it fails, for a look at the database).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static UNIQUE: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "latch-answers-{}-{}",
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the test data dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A router on its own database, with one company, its three API keys (write, read-only, revoked)
/// and the products [`PRODUCT`] and [`USER_PRODUCT`].
pub struct App {
    router: Router,
    pub store: Arc<dyn Store>,
    pub company: Company,
    pub product: Product,
    pub user_product: Product,
    _dir: TempDir,
}

impl App {
    pub async fn new() -> Self {
        let dir = TempDir::new();
        let url = format!("sqlite://{}", dir.0.join("latch.db").display());
        let secrets = SecretBox::from_base64(&SecretBox::generate_master_key().unwrap()).unwrap();
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::connect(&url, Default::default(), secrets)
                .await
                .unwrap(),
        );
        let key = signing_key();
        let company = store
            .create_company(
                NewCompany {
                    name: "Acme",
                    signing_key_pkcs8: &key.pkcs8_der,
                    public_key_pem: &key.public_key_pem,
                },
                fixed_time(),
            )
            .await
            .unwrap();
        for (creds, read_only) in [
            (WRITE_KEY, false),
            (READ_ONLY_KEY, true),
            (REVOKED_KEY, false),
        ] {
            store
                .create_api_key(
                    company.id,
                    creds.api_key,
                    creds.shared_key,
                    read_only,
                    fixed_change(),
                )
                .await
                .unwrap();
        }
        store
            .revoke_api_key(REVOKED_KEY.api_key, fixed_change())
            .await
            .unwrap();
        let product = create_product(
            &store,
            &company,
            PRODUCT,
            AuthorizationMethod::LicenseKey,
            true,
        )
        .await;
        let user_product = create_product(
            &store,
            &company,
            USER_PRODUCT,
            AuthorizationMethod::User,
            true,
        )
        .await;
        // The writer task ends with the router's last sender; nothing a snapshot shows waits on it.
        let (write_behind, _writer) =
            WriteBehind::start(store.clone(), chrono::Duration::minutes(30));
        Self {
            router: latch_server::router(
                AppState::new(store.clone(), write_behind).expect("the server's state"),
            ),
            store,
            company,
            product,
            user_product,
            _dir: dir,
        }
    }

    /// Sends one request through the router and reads the whole answer.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer {
            status,
            headers,
            bytes: bytes.to_vec(),
        }
    }

    /// `GET /api/v4/ENDPOINT` with `params` as the query, signed with the write key.
    pub async fn get(&self, endpoint: &str, params: Value) -> Answer {
        self.send(signed(WRITE_KEY, Method::GET, endpoint, &params))
            .await
    }

    /// `POST /api/v4/ENDPOINT` with `params` as the JSON body, signed with the write key.
    pub async fn post(&self, endpoint: &str, params: Value) -> Answer {
        self.send(signed(WRITE_KEY, Method::POST, endpoint, &params))
            .await
    }

    /// A license on `product`, as `customize` changes [`NewLicense::basic`] (one activation).
    pub async fn license(
        &self,
        product: &Product,
        key: Option<&str>,
        customize: impl FnOnce(&mut NewLicense),
    ) -> License {
        let mut license = NewLicense::basic(self.company.id, product.id, String::new());
        license.license_key = key.map(str::to_owned);
        customize(&mut license);
        self.store
            .create_license(license, fixed_change())
            .await
            .unwrap()
    }

    /// A key-based license [`KEY`] on [`PRODUCT`].
    pub async fn key_license(&self, customize: impl FnOnce(&mut NewLicense)) -> License {
        self.license(&self.product.clone(), Some(KEY), customize)
            .await
    }

    /// A customer [`CUSTOMER_EMAIL`].
    pub async fn customer(&self) -> Customer {
        self.customer_of(None).await
    }

    /// A customer [`CUSTOMER_EMAIL`] of `account`.
    pub async fn customer_of(&self, account: Option<CustomerAccountRef>) -> Customer {
        self.store
            .add_customer(
                Customer {
                    company_id: self.company.id,
                    email: CUSTOMER_EMAIL.into(),
                    first_name: "Bea".into(),
                    last_name: "Buyer".into(),
                    company_name: "Buyer Ltd".into(),
                    metadata: "{}".into(),
                    account,
                    ..Customer::default()
                },
                &Actor::Cli,
                fixed_time(),
            )
            .await
            .unwrap()
            .customer
    }

    /// The license user [`USER_EMAIL`] (password [`USER_PASSWORD`]) holding a [`USER_PRODUCT`] license
    /// of `customer` with `max_activations` activations of their own.
    pub async fn user_license(
        &self,
        customer: Option<&Customer>,
        max_activations: i64,
    ) -> (LicenseUser, License) {
        let license = self
            .license(&self.user_product.clone(), None, |license| {
                license.customer_id = customer.map(|c| c.id);
                license.max_activations = 5;
                license.max_license_users = 3;
            })
            .await;
        let user = self
            .store
            .create_license_user(
                NewLicenseUser {
                    company_id: self.company.id,
                    customer_id: customer.map(|c| c.id),
                    email: USER_EMAIL.into(),
                    password_hash: latch_service::passwords::hash(USER_PASSWORD).unwrap(),
                    initial_password: USER_PASSWORD.into(),
                    first_name: "Uma".into(),
                    last_name: "User".into(),
                    phone_number: "+1 555 0100".into(),
                },
                fixed_change(),
            )
            .await
            .unwrap();
        self.store
            .assign_license_user(
                self.company.id,
                Assignment {
                    license_id: license.id,
                    license_user_id: user.id,
                    max_activations,
                    allow_unlimited_activations: false,
                    total_activations: 0,
                },
                fixed_change(),
            )
            .await
            .unwrap();
        (user, license)
    }

    /// A feature `code` of [`PRODUCT`] granted to `license`, as `customize` sets its limits.
    pub async fn feature(
        &self,
        license: &License,
        code: &str,
        feature_type: FeatureType,
        customize: impl FnOnce(&mut NewLicenseFeature),
    ) -> LicenseFeature {
        let product_feature = self
            .store
            .insert_product_feature(
                license.company_id,
                &FeatureValues {
                    product_id: license.product_id,
                    code: code.into(),
                    name: format!("Feature {code}"),
                    feature_type,
                    metadata: "{}".into(),
                    defaults: Default::default(),
                },
                &Actor::Cli,
                fixed_time(),
            )
            .await
            .unwrap()
            .feature;
        let mut feature = NewLicenseFeature {
            license_id: license.id,
            product_feature_id: product_feature.id,
            expiry_date: None,
            floating: Default::default(),
            consumption: Default::default(),
        };
        customize(&mut feature);
        self.store
            .add_license_feature(license.company_id, feature, fixed_change())
            .await
            .unwrap()
    }

    /// A release `version` of [`PRODUCT`], released on `day` of January 2025.
    pub async fn release(&self, version: &str, day: u32) -> Release {
        self.store
            .insert_release(
                self.company.id,
                &NewRelease {
                    product_id: self.product.id,
                    version: version.into(),
                    channel: "stable".into(),
                    environment: "linux".into(),
                    installation_file: format!(
                        "https://downloads.example.com/app-{version}.tar.gz"
                    ),
                    hash_md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
                    size: Some("1048576".into()),
                    eula_link: Some("https://example.com/eula".into()),
                    release_notes_link: Some(format!("https://example.com/notes/{version}")),
                    requires_version: None,
                    release_date: Some(Utc.with_ymd_and_hms(2025, 1, day, 12, 0, 0).unwrap()),
                },
                &Actor::Cli,
                fixed_time(),
            )
            .await
            .unwrap()
    }

    /// A custom field `name` of [`PRODUCT`]; with `own_value`, `license` shows that instead of the
    /// default.
    pub async fn custom_field(
        &self,
        name: &str,
        data_type: Option<&str>,
        default_value: &str,
        own_value: Option<(&License, &str)>,
    ) {
        let field = ProductCustomField {
            id: 0,
            product_id: self.product.id,
            name: name.into(),
            data_type: data_type.map(Into::into),
            default_value: default_value.into(),
            description: None,
        };
        let field = self
            .store
            .save_product_custom_field(self.company.id, None, &field, &Actor::Cli, fixed_time())
            .await
            .unwrap();
        if let Some((license, value)) = own_value {
            let own = LicenseCustomField {
                id: 0,
                license_id: license.id,
                product_custom_field_id: field.id,
                value: value.into(),
            };
            self.store
                .create_license_custom_field(self.company.id, &own, &Actor::Cli, fixed_time())
                .await
                .unwrap();
        }
    }

    /// Activates [`KEY`] on `hardware_id`, which must succeed.
    pub async fn activate(&self, hardware_id: &str) {
        let answer = self
            .post("activate_license", activation(KEY, hardware_id))
            .await;
        assert_eq!(answer.status, 200, "activation failed: {}", answer.text());
    }

    /// Activates [`USER_EMAIL`]'s license on `hardware_id`, which must succeed.
    pub async fn activate_user(&self, hardware_id: &str) {
        let answer = self
            .post("activate_license", user_activation(hardware_id))
            .await;
        assert_eq!(answer.status, 200, "activation failed: {}", answer.text());
    }
}

/// A product `code` with 14-day trials when `allow_trial`.
pub async fn create_product(
    store: &Arc<dyn Store>,
    company: &Company,
    code: &str,
    authorization_method: AuthorizationMethod,
    allow_trial: bool,
) -> Product {
    store
        .insert_product(
            NewProduct {
                company_id: company.id,
                code: code.into(),
                name: format!("Product {code}"),
                authorization_method,
                prevent_vm: false,
                allow_trial,
                trial_days: 14,
                metadata: r#"{"tier":"test"}"#.into(),
            },
            &Actor::Cli,
            fixed_time(),
        )
        .await
        .unwrap()
        .product
}

/// `product`, `license_key` and `hardware_id` of [`PRODUCT`].
pub fn identity(license_key: &str, hardware_id: &str) -> Value {
    json!({"product": PRODUCT, "license_key": license_key, "hardware_id": hardware_id})
}

/// `product`, `username` and `hardware_id` of [`USER_PRODUCT`].
pub fn user_identity(hardware_id: &str) -> Value {
    json!({"product": USER_PRODUCT, "username": USER_EMAIL, "hardware_id": hardware_id})
}

/// The device details the Python SDK sends with an activation.
fn with_device_details(mut params: Value) -> Value {
    params.as_object_mut().unwrap().extend(
        json!({
            "os_ver": "linux",
            "hostname": "test-host",
            "ip": null,
            "mac_address": null,
            "is_vm": false,
            "vm_info": null,
            "sdk_ver": "PythonSDK 4.0.0",
        })
        .as_object()
        .unwrap()
        .clone(),
    );
    params
}

/// A key-based activation body.
pub fn activation(license_key: &str, hardware_id: &str) -> Value {
    with_device_details(identity(license_key, hardware_id))
}

/// A user-based activation body with the right password.
pub fn user_activation(hardware_id: &str) -> Value {
    let mut params = with_device_details(user_identity(hardware_id));
    params["password"] = json!(USER_PASSWORD);
    params
}

/// `params` with `name` set to `value`.
pub fn with(mut params: Value, name: &str, value: Value) -> Value {
    params[name] = value;
    params
}

/// `params` without `name`.
pub fn without(mut params: Value, name: &str) -> Value {
    params.as_object_mut().unwrap().remove(name);
    params
}

/// A request to `path` with `body`, sent as JSON.
pub fn request(method: Method, path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

/// A request to `/api/v4/ENDPOINT` with neither `Date` nor `Authorization`: a GET carries `params`
/// as its query (values as text, as the SDKs send them), any other method as its JSON body.
pub fn unsigned(method: Method, endpoint: &str, params: &Value) -> Request<Body> {
    let path = format!("/api/v4/{endpoint}");
    if method != Method::GET {
        return request(method, &path, params.to_string());
    }
    let pairs: Vec<(&str, String)> = params
        .as_object()
        .expect("parameters are an object")
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) => (name.as_str(), text.clone()),
            other => (name.as_str(), other.to_string()),
        })
        .collect();
    let query = serde_urlencoded::to_string(pairs).unwrap();
    request(method, &format!("{path}?{query}"), Body::empty())
}

/// Adds the `Date` and `Authorization` headers given (each optional) to a request.
pub fn with_auth_headers(
    mut request: Request<Body>,
    date: Option<&str>,
    authorization: Option<&str>,
) -> Request<Body> {
    let headers = request.headers_mut();
    if let Some(date) = date {
        headers.insert(header::DATE, date.parse().unwrap());
    }
    if let Some(authorization) = authorization {
        headers.insert(header::AUTHORIZATION, authorization.parse().unwrap());
    }
    request
}

/// The `Date` header for now.
pub fn date_now() -> String {
    latch_wire::time::http_date(Utc::now())
}

/// `request` signed with `creds` as the SDKs sign it. Each signed request gets a `Date` of its own
/// (stepping back a second per request, within the accepted window): Latch answers a request identical
/// to an earlier one, `Date` included, as a replay, and each request here stands for a new call.
pub fn sign(creds: Creds, request: Request<Body>) -> Request<Body> {
    static SIGNED: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let step = SIGNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 600;
    let date = latch_wire::time::http_date(Utc::now() - chrono::Duration::seconds(step));
    let authorization =
        latch_wire::auth::authorization_header(creds.api_key, creds.shared_key, &date);
    with_auth_headers(request, Some(&date), Some(&authorization))
}

/// A request to `/api/v4/ENDPOINT` as [`unsigned`] builds it, signed with `creds`.
pub fn signed(creds: Creds, method: Method, endpoint: &str, params: &Value) -> Request<Body> {
    sign(creds, unsigned(method, endpoint, params))
}

/// A whole answer of the router.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// What a snapshot records: the HTTP status and the body (as JSON when it is JSON).
    pub fn snapshot(&self) -> Value {
        let body = serde_json::from_slice(&self.bytes).unwrap_or_else(|_| json!(self.text()));
        json!({"status": self.status, "body": body})
    }

    /// Asserts the `LicenseSignature` header is a signature of the exact body bytes by the company's
    /// key.
    #[track_caller]
    pub fn assert_signed(&self) {
        let signature = self
            .headers
            .get("LicenseSignature")
            .unwrap_or_else(|| panic!("no LicenseSignature header on {}", self.text()));
        let signature = B64
            .decode(signature.as_bytes())
            .expect("LicenseSignature is base64");
        let public_key: String = signing_key()
            .public_key_pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let public_key = B64.decode(public_key).unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            public_key,
        )
        .verify(&self.bytes, &signature)
        .unwrap_or_else(|_| panic!("LicenseSignature does not verify over {}", self.text()));
    }

    /// Asserts there is no `LicenseSignature` header: the request never reached a tenant.
    #[track_caller]
    pub fn assert_unsigned(&self) {
        assert!(
            !self.headers.contains_key("LicenseSignature"),
            "unexpected LicenseSignature on {}",
            self.text()
        );
    }
}

/// Values that differ on every run (times the server takes from its clock, generated keys and
/// signatures) show as a placeholder; `null` stays `null`, so set and unset still differ.
pub fn redactions(extra: &[&'static str]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_sort_maps(true);
    let volatile = [
        ".**.created_at",
        ".**.updated_at",
        ".**.borrowed_until",
        ".**.license_signature",
    ];
    for selector in volatile.iter().chain(extra) {
        settings.add_redaction(
            selector,
            insta::dynamic_redaction(|value, _| {
                if value.is_nil() {
                    value
                } else {
                    "[redacted]".into()
                }
            }),
        );
    }
    settings
}

/// Panics when two snapshots of one module share a name: they would take turns overwriting one file.
pub fn claim_snapshot_name(module: &str, name: &str) {
    static CLAIMED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let claimed = CLAIMED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(format!("{module}::{name}"));
    assert!(claimed, "snapshot name {name:?} is used twice in {module}");
}
