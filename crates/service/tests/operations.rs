//! Every vendor operation against a real database: SQLite in a temp dir, and PostgreSQL (its own schema)
//! at `LATCH_TEST_POSTGRES_URL` (default: the local server).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use latch_domain::{CompanyId, LicenseType};
use latch_service::config::Config;
use latch_service::{
    AccountName, ConsumptionTerms, CustomerAccountSpec, CustomerSpec, FeatureSpec, FloatingTerms,
    LicenseQuery, LicenseRef, LicenseTerms, LicenseUserSpec, MasterKeyRotation, OidcSpec, Page,
    ProductSpec, ReleaseSpec, Service, ServiceError,
};
use latch_store::{FeatureType, SecretBox, Store};
use secrecy::ExposeSecret;

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("latch-service-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn postgres_url() -> String {
    std::env::var("LATCH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh database of each backend, named after the test.
async fn stores(name: &str) -> Vec<(&'static str, Arc<dyn Store>, PathBuf)> {
    let dir = scratch_dir(name);
    let secrets = || SecretBox::from_base64(&SecretBox::generate_master_key().unwrap()).unwrap();
    let sqlite = latch_store::connect(
        &format!("sqlite://{}", dir.join("latch.db").display()),
        None,
        Default::default(),
        secrets(),
    )
    .await
    .unwrap();
    let schema = format!("service_{name}_{}", std::process::id());
    reset_schema(&schema).await;
    let postgres = latch_store::connect(
        &postgres_url(),
        Some(&schema),
        Default::default(),
        secrets(),
    )
    .await
    .expect("PostgreSQL must be reachable at LATCH_TEST_POSTGRES_URL");
    vec![("sqlite", sqlite, dir.clone()), ("postgres", postgres, dir)]
}

async fn reset_schema(schema: &str) {
    use sqlx::Executor;
    let pool = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
    pool.execute(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE").as_str())
        .await
        .unwrap();
    pool.close().await;
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ServiceError>, expected_field: &str) {
    match result {
        Err(ServiceError::Invalid { field, .. }) => assert_eq!(field, expected_field),
        other => panic!("expected {expected_field} to be refused, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, ServiceError>) {
    assert!(
        matches!(result, Err(ServiceError::NotFound(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn companies_api_keys_and_tenant_scoping() {
    for (backend, store, _) in stores("companies").await {
        let service = Service::new(store);
        assert_invalid(service.create_company("  ").await, "name");
        let acme = service.create_company("Acme").await.unwrap();
        let other = service.create_company("Other").await.unwrap();
        assert!(acme.company.public_key_pem.contains("PUBLIC KEY"));
        assert_eq!(acme.api_key.company_id, acme.company.id);
        assert!(!acme.api_key.read_only);

        let listed = service
            .companies(Page {
                limit: 1,
                offset: 0,
            })
            .await
            .unwrap();
        assert_eq!(listed.total, 2, "{backend}");
        assert_eq!(listed.items[0].id, other.company.id, "newest first");
        let second = service
            .companies(Page {
                limit: 1,
                offset: 1,
            })
            .await
            .unwrap();
        assert_eq!(second.items[0].id, acme.company.id);

        assert_not_found(service.tenant(CompanyId::new(999_999)).await);
        let tenant = service.tenant(acme.company.id).await.unwrap();
        let reader = tenant.create_api_key(true).await.unwrap();
        assert!(reader.read_only);
        let keys = tenant.api_keys().await.unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].api_key, reader.api_key);

        service.revoke_api_key(&reader.api_key).await.unwrap();
        assert!(tenant.api_keys().await.unwrap()[0].revoked);
        assert_not_found(service.revoke_api_key("NO-SUCH-KEY").await);
    }
}

#[tokio::test]
async fn oauth_clients_get_access_tokens_until_revoked() {
    let second = std::time::Duration::from_secs(1);
    for (backend, store, _) in stores("oauth").await {
        let service = Service::new(store);
        let acme = service.create_company("Acme").await.unwrap().company;
        let tenant = service.tenant(acme.id).await.unwrap();
        let client = tenant.create_oauth_client().await.unwrap();
        let (id, secret) = (&client.client_id, client.client_secret.expose_secret());
        let now = Utc::now();

        assert!(service
            .issue_access_token(id, "wrong", second, now)
            .await
            .unwrap()
            .is_none());
        assert!(service
            .issue_access_token("oauth_NONE", secret, second, now)
            .await
            .unwrap()
            .is_none());
        let issued = service
            .issue_access_token(id, secret, second * 60, now)
            .await
            .unwrap()
            .expect("a token for the right secret");
        let token = issued.access_token.expose_secret();
        let grant = service.access_token(token).await.unwrap().unwrap();
        assert_eq!(
            (grant.company_id, &grant.client_id),
            (acme.id, id),
            "{backend}"
        );
        assert_eq!(
            grant.expires_at.timestamp(),
            (now + chrono::Duration::minutes(1)).timestamp()
        );
        assert!(service
            .access_token("latch_at_short")
            .await
            .unwrap()
            .is_none());

        // An expired token is still known for a day (answered as expired, not unknown), then
        // forgotten when another token is issued.
        let long_ago = now - chrono::Duration::days(2);
        let old = service
            .issue_access_token(id, secret, second, long_ago)
            .await
            .unwrap()
            .unwrap();
        let old = old.access_token.expose_secret();
        assert!(
            service.access_token(old).await.unwrap().is_some(),
            "{backend}"
        );
        service
            .issue_access_token(id, secret, second, now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            service.access_token(old).await.unwrap().is_none(),
            "{backend}"
        );
        assert!(
            service.access_token(token).await.unwrap().is_some(),
            "{backend}"
        );

        let revoked = service.revoke_oauth_client(id).await.unwrap();
        assert!(revoked.revoked);
        assert!(service
            .issue_access_token(id, secret, second, now)
            .await
            .unwrap()
            .is_none());
        assert!(tenant.oauth_clients().await.unwrap()[0].revoked);
        assert_not_found(service.revoke_oauth_client("oauth_NONE").await);
    }
}

#[tokio::test]
async fn initial_password_exposure_is_a_company_setting_off_by_default() {
    for (backend, store, _) in stores("exposure").await {
        let service = Service::new(store);
        let acme = service.create_company("Acme").await.unwrap().company;
        let other = service.create_company("Other").await.unwrap().company;
        assert!(!acme.expose_initial_passwords, "{backend}");

        let mut tenant = service.tenant(acme.id).await.unwrap();
        tenant.set_expose_initial_passwords(true).await.unwrap();
        assert!(tenant.company().expose_initial_passwords, "{backend}");
        let reread = service.tenant(acme.id).await.unwrap();
        assert!(reread.company().expose_initial_passwords, "{backend}");
        let untouched = service.tenant(other.id).await.unwrap();
        assert!(!untouched.company().expose_initial_passwords, "{backend}");

        let mut tenant = service.tenant(acme.id).await.unwrap();
        tenant.set_expose_initial_passwords(false).await.unwrap();
        let reread = service.tenant(acme.id).await.unwrap();
        assert!(!reread.company().expose_initial_passwords, "{backend}");
    }
}

#[tokio::test]
async fn products_features_releases_customers_and_users() {
    for (backend, store, _) in stores("catalog").await {
        let service = Service::new(store);
        let created = service.create_company("Acme").await.unwrap();
        let tenant = service.tenant(created.company.id).await.unwrap();

        assert_invalid(
            tenant
                .create_product(ProductSpec {
                    code: "".into(),
                    ..ProductSpec::default()
                })
                .await,
            "code",
        );
        assert_invalid(
            tenant
                .create_product(ProductSpec {
                    code: "app".into(),
                    metadata: Some("[1]".into()),
                    ..ProductSpec::default()
                })
                .await,
            "metadata",
        );
        let product = tenant
            .create_product(ProductSpec {
                code: "app".into(),
                name: "App".into(),
                user_based: true,
                ..ProductSpec::default()
            })
            .await
            .unwrap();
        assert_eq!(product.authorization_method.as_str(), "user");
        let duplicate = tenant
            .create_product(ProductSpec {
                code: "app".into(),
                ..ProductSpec::default()
            })
            .await;
        assert!(
            matches!(duplicate, Err(ServiceError::Duplicate(_))),
            "{backend}: {duplicate:?}"
        );
        assert_eq!(tenant.products(Page::default()).await.unwrap().total, 1);
        assert_not_found(tenant.product("nope").await);

        let (_, feature) = tenant
            .add_product_feature(
                "app",
                FeatureSpec {
                    code: "export".into(),
                    name: "Export".into(),
                    feature_type: FeatureType::Consumption,
                },
            )
            .await
            .unwrap();
        assert_eq!(feature.feature_type, FeatureType::Consumption);
        let (_, release) = tenant
            .add_release(
                "app",
                ReleaseSpec {
                    version: "2.1.0".into(),
                    url: "https://example.com/app.exe".into(),
                    ..ReleaseSpec::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(release.version, "2.1.0");
        assert_invalid(
            tenant.add_release("app", ReleaseSpec::default()).await,
            "version",
        );

        let customer = tenant
            .create_customer(CustomerSpec {
                email: " Buyer@Example.com ".into(),
                ..CustomerSpec::default()
            })
            .await
            .unwrap();
        assert_eq!(customer.customer.email, "buyer@example.com");
        assert_invalid(
            tenant
                .create_customer(CustomerSpec {
                    email: "not-an-address".into(),
                    ..CustomerSpec::default()
                })
                .await,
            "email",
        );
        assert_eq!(
            tenant
                .customer_by_email("customer", "BUYER@example.com")
                .await
                .unwrap()
                .id,
            customer.customer.id
        );
        assert_eq!(tenant.customers(Page::default()).await.unwrap().total, 1);

        let user = tenant
            .create_license_user(LicenseUserSpec {
                email: "Person@Example.com".into(),
                customer: Some("buyer@example.com".into()),
                ..LicenseUserSpec::default()
            })
            .await
            .unwrap();
        assert_eq!(user.user.email, "person@example.com");
        assert_eq!(user.user.customer_id, Some(customer.customer.id));
        assert_eq!(user.initial_password.expose_secret().len(), 16);
        assert!(latch_service::passwords::verify(
            user.initial_password.expose_secret(),
            &user.user.password_hash
        ));
        assert_invalid(
            tenant
                .create_license_user(LicenseUserSpec {
                    email: "x@example.com".into(),
                    password: Some(String::new()),
                    ..LicenseUserSpec::default()
                })
                .await,
            "password",
        );
        let users = tenant.license_users(Page::default()).await.unwrap();
        assert_eq!(users.total, 1);
        assert_eq!(
            users.items[0]
                .initial_password
                .as_ref()
                .map(ExposeSecret::expose_secret),
            Some(user.initial_password.expose_secret())
        );
    }
}

#[tokio::test]
async fn licenses_are_issued_listed_changed_and_scoped_to_their_company() {
    for (backend, store, _) in stores("licenses").await {
        let service = Service::new(store);
        let acme = service.create_company("Acme").await.unwrap().company;
        let other = service.create_company("Other").await.unwrap().company;
        let tenant = service.tenant(acme.id).await.unwrap();
        let stranger = service.tenant(other.id).await.unwrap();
        for t in [&tenant, &stranger] {
            t.create_product(ProductSpec {
                code: "app".into(),
                name: "App".into(),
                ..ProductSpec::default()
            })
            .await
            .unwrap();
        }
        tenant
            .add_product_feature(
                "app",
                FeatureSpec {
                    code: "export".into(),
                    name: "Export".into(),
                    feature_type: FeatureType::Activation,
                },
            )
            .await
            .unwrap();
        tenant
            .create_customer(CustomerSpec {
                email: "buyer@example.com".into(),
                ..CustomerSpec::default()
            })
            .await
            .unwrap();

        assert_invalid(
            tenant
                .issue_license(
                    "app",
                    LicenseTerms {
                        license_type: LicenseType::Subscription,
                        ..LicenseTerms::default()
                    },
                )
                .await,
            "validity_period",
        );
        assert_not_found(tenant.issue_license("nope", LicenseTerms::default()).await);
        let generated = tenant
            .issue_license("app", LicenseTerms::default())
            .await
            .unwrap();
        assert_eq!(generated.license.license_key.as_ref().unwrap().len(), 19);
        let subscription = tenant
            .issue_license(
                "app",
                LicenseTerms {
                    key: Some("SUB-0001".into()),
                    license_type: LicenseType::Subscription,
                    valid_until: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
                    customer: Some("buyer@example.com".into()),
                    ..LicenseTerms::default()
                },
            )
            .await
            .unwrap();
        let duplicate = tenant
            .issue_license(
                "app",
                LicenseTerms {
                    key: Some("SUB-0001".into()),
                    ..LicenseTerms::default()
                },
            )
            .await;
        assert!(
            matches!(duplicate, Err(ServiceError::Duplicate(_))),
            "{backend}: {duplicate:?}"
        );
        // The same key in another company is a different license.
        let foreign = stranger
            .issue_license(
                "app",
                LicenseTerms {
                    key: Some("SUB-0001".into()),
                    ..LicenseTerms::default()
                },
            )
            .await
            .unwrap();

        let everything = tenant
            .licenses(&LicenseQuery::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(everything.total, 2, "{backend}");
        assert_eq!(
            everything.items[0].id, subscription.license.id,
            "newest first"
        );
        let by_prefix = LicenseQuery {
            key_prefix: Some("SUB-".into()),
            ..LicenseQuery::default()
        };
        let found = tenant.licenses(&by_prefix, Page::default()).await.unwrap();
        assert_eq!(
            (found.total, found.items[0].id),
            (1, subscription.license.id)
        );
        let by_customer = LicenseQuery {
            customer: Some("BUYER@example.com".into()),
            product: Some("app".into()),
            ..LicenseQuery::default()
        };
        assert_eq!(
            tenant
                .licenses(&by_customer, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        let paged = tenant
            .licenses(
                &LicenseQuery::default(),
                Page {
                    limit: 1,
                    offset: 1,
                },
            )
            .await
            .unwrap();
        assert_eq!((paged.total, paged.items.len()), (2, 1));
        assert_eq!(paged.items[0].id, generated.license.id);

        let id = subscription.license.id;
        assert!(!tenant.set_license_enabled(id, false).await.unwrap().enabled);
        let disabled = LicenseQuery {
            enabled: Some(false),
            ..LicenseQuery::default()
        };
        assert_eq!(
            tenant
                .licenses(&disabled, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        assert!(tenant.set_license_enabled(id, true).await.unwrap().enabled);
        let renewed_until = Utc.with_ymd_and_hms(2031, 6, 1, 0, 0, 0).unwrap();
        let renewed = tenant.renew_license(id, renewed_until).await.unwrap();
        assert_eq!(renewed.validity_period, Some(renewed_until));
        assert_invalid(
            tenant
                .renew_license(generated.license.id, renewed_until)
                .await,
            "validity_period",
        );
        assert_eq!(tenant.reset_license(id).await.unwrap().times_activated, 0);

        let feature = tenant
            .add_license_feature(
                id,
                "export",
                None,
                &ConsumptionTerms::default(),
                &FloatingTerms::default(),
            )
            .await
            .unwrap();
        assert_eq!(feature.feature.code, "export");
        assert_not_found(
            tenant
                .add_license_feature(
                    id,
                    "nope",
                    None,
                    &ConsumptionTerms::default(),
                    &FloatingTerms::default(),
                )
                .await,
        );
        let details = tenant.license_details(id).await.unwrap();
        assert_eq!(details.features.len(), 1);
        assert_eq!(details.product.code, "app");

        // Another company's license is "not found" through this tenant, for every operation.
        let foreign_id = foreign.license.id;
        assert_not_found(tenant.license(foreign_id).await);
        assert_not_found(tenant.set_license_enabled(foreign_id, false).await);
        assert_not_found(tenant.reset_license(foreign_id).await);
        assert_not_found(tenant.devices(foreign_id).await);
        assert_not_found(tenant.blacklist_device(foreign_id, "hw").await);
        assert!(stranger.license(foreign_id).await.unwrap().enabled);

        // An operator finds a license by key across companies only when the key is unambiguous.
        let ambiguous = service
            .find_license(&LicenseRef {
                key: Some("SUB-0001".into()),
                ..LicenseRef::default()
            })
            .await;
        assert!(
            matches!(ambiguous, Err(ServiceError::AmbiguousLicenseKey(_))),
            "{ambiguous:?}"
        );
        let (scoped, license) = service
            .find_license(&LicenseRef {
                key: Some("SUB-0001".into()),
                company: Some(other.id),
                ..LicenseRef::default()
            })
            .await
            .unwrap();
        assert_eq!(
            (scoped.company().id, license.id),
            (other.id, foreign.license.id)
        );
        let (_, by_id) = service
            .find_license(&LicenseRef {
                id: Some(id),
                ..LicenseRef::default()
            })
            .await
            .unwrap();
        assert_eq!(by_id.id, subscription.license.id);
        assert_not_found(
            service
                .find_license(&LicenseRef {
                    key: Some("NOPE".into()),
                    ..LicenseRef::default()
                })
                .await,
        );
    }
}

#[tokio::test]
async fn users_are_assigned_and_devices_blacklisted() {
    for (_, store, _) in stores("devices").await {
        let service = Service::new(store);
        let acme = service.create_company("Acme").await.unwrap().company;
        let tenant = service.tenant(acme.id).await.unwrap();
        tenant
            .create_product(ProductSpec {
                code: "team".into(),
                name: "Team".into(),
                user_based: true,
                ..ProductSpec::default()
            })
            .await
            .unwrap();
        let license = tenant
            .issue_license("team", LicenseTerms::default())
            .await
            .unwrap();
        assert_eq!(license.license.license_key, None);
        let id = license.license.id;
        tenant
            .create_license_user(LicenseUserSpec {
                email: "person@example.com".into(),
                password: Some("pw".into()),
                ..LicenseUserSpec::default()
            })
            .await
            .unwrap();
        let (user, assignment) = tenant
            .assign_license_user(id, "PERSON@example.com", 2, false)
            .await
            .unwrap();
        assert_eq!(
            (user.email.as_str(), assignment.max_activations),
            ("person@example.com", 2)
        );
        assert_invalid(
            tenant
                .assign_license_user(id, "person@example.com", -1, false)
                .await,
            "max_activations",
        );
        assert_not_found(
            tenant
                .assign_license_user(id, "nobody@example.com", 1, false)
                .await,
        );

        assert!(tenant.devices(id).await.unwrap().is_empty());
        let device = tenant.blacklist_device(id, "hw-1").await.unwrap();
        assert!(device.blacklisted && !device.active);
        let devices = tenant.devices(id).await.unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].device.hardware_id, "hw-1");
        assert_invalid(tenant.blacklist_device(id, " ").await, "hardware_id");
    }
}

#[tokio::test]
async fn the_demo_is_created_once_and_the_master_key_rotates() {
    let dir = scratch_dir("demo");
    let config = Config::load(None, |name| match name {
        "LATCH_DATA_DIR" => Some(dir.display().to_string()),
        _ => None,
    })
    .unwrap();
    let service = Service::new(latch_service::setup::open_store(&config).await.unwrap());
    let demo = service
        .create_demo(&config.data_dir)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(demo.product.code, "demo");
    assert_eq!(demo.licenses.len(), 2);
    assert_eq!(
        std::fs::read_to_string(&demo.public_key_path).unwrap(),
        demo.company.public_key_pem
    );
    assert!(service
        .create_demo(&config.data_dir)
        .await
        .unwrap()
        .is_none());

    let rotation = service.rotate_master_key(&config, None).await.unwrap();
    let MasterKeyRotation::File {
        resealed,
        path,
        previous,
    } = rotation
    else {
        panic!("the key came from the data dir's file");
    };
    assert_eq!(resealed, 2, "the signing key and the shared key");
    assert!(path.exists() && previous.exists());
    assert_invalid(
        service
            .rotate_master_key(&config, Some("short".into()))
            .await,
        "new_key",
    );

    // A new process with the rotated key opens the secrets sealed under it.
    let reopened = Service::new(latch_service::setup::open_store(&config).await.unwrap());
    let tenant = reopened.tenant(demo.company.id).await.unwrap();
    assert_eq!(
        tenant.api_keys().await.unwrap()[0]
            .shared_key
            .expose_secret(),
        demo.api_key.shared_key.expose_secret()
    );
}

#[tokio::test]
async fn staff_are_added_sign_in_through_sessions_and_are_signed_out() {
    use latch_service::model::StaffRole;
    for (backend, store, _) in stores("staff").await {
        let service = Service::new(store);
        let acme = service.create_company("Acme").await.unwrap().company.id;
        let other = service.create_company("Other").await.unwrap().company.id;
        let tenant = service.tenant(acme).await.unwrap();
        assert_invalid(
            tenant
                .add_staff("not an address", "long enough", StaffRole::Admin)
                .await,
            "email",
        );
        assert_invalid(
            tenant
                .add_staff("a@example.com", "short", StaffRole::Admin)
                .await,
            "password",
        );
        let staff = tenant
            .add_staff(" Admin@Example.com ", "long enough", StaffRole::Support)
            .await
            .unwrap();
        assert_eq!(staff.email, "admin@example.com", "{backend}");
        assert_eq!(staff.role, StaffRole::Support);
        // One account per address, across companies.
        let elsewhere = service.tenant(other).await.unwrap();
        assert_invalid(
            elsewhere
                .add_staff("admin@example.com", "long enough", StaffRole::Viewer)
                .await,
            "email",
        );
        assert_eq!(tenant.staff_members().await.unwrap(), vec![staff.clone()]);
        assert!(elsewhere.staff_members().await.unwrap().is_empty());

        let found = service
            .staff_for_sign_in("ADMIN@example.com")
            .await
            .unwrap()
            .expect("found by any case");
        assert_eq!(found.staff, staff);
        assert!(latch_service::passwords::verify(
            "long enough",
            &found.password_hash
        ));
        assert!(found.totp_secret.is_none());

        // The second factor: on only with the app's current code, sealed at rest, and off again.
        let setup = latch_service::staff::TotpSetup::new(&staff.email).unwrap();
        assert!(setup
            .link
            .starts_with("otpauth://totp/Latch:admin%40example.com?secret="));
        assert_invalid(
            tenant
                .set_staff_totp(&staff.email, Some(&setup.secret), Some("000000"))
                .await
                .map(|_| ()),
            "code",
        );
        let code = totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            totp_rs::Secret::Encoded(setup.secret.clone())
                .to_bytes()
                .unwrap(),
        )
        .unwrap()
        .generate_current()
        .unwrap();
        let on = tenant
            .set_staff_totp(&staff.email, Some(&setup.secret), Some(&code))
            .await
            .unwrap();
        assert!(on.two_factor);
        let found = service
            .staff_for_sign_in(&staff.email)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            found.totp_secret.unwrap().expose_secret(),
            setup.secret,
            "{backend}"
        );
        assert!(latch_service::staff::totp_code_matches(
            &setup.secret,
            &code
        ));
        let off = tenant
            .set_staff_totp(&staff.email, None, None)
            .await
            .unwrap();
        assert!(!off.two_factor);
        assert!(service.staff_for_sign_in("nobody").await.unwrap().is_none());

        let session = service.start_staff_session(&staff).await.unwrap();
        let live = service
            .staff_session(session.secret.expose_secret())
            .await
            .unwrap()
            .expect("a live session");
        assert_eq!(live.staff, staff);
        assert!(service.staff_session("forged").await.unwrap().is_none());
        service.end_staff_session(&session.secret).await.unwrap();
        assert!(service
            .staff_session(session.secret.expose_secret())
            .await
            .unwrap()
            .is_none());

        let first = service.start_staff_session(&staff).await.unwrap();
        service.start_staff_session(&staff).await.unwrap();
        assert_not_found(elsewhere.revoke_staff_sessions("admin@example.com").await);
        assert_eq!(
            tenant
                .revoke_staff_sessions("admin@example.com")
                .await
                .unwrap(),
            2
        );
        assert!(service
            .staff_session(first.secret.expose_secret())
            .await
            .unwrap()
            .is_none());
    }
}

/// The store `stores(name)` made for `backend`, connected again with `secrets`.
async fn reopen(
    backend: &str,
    name: &str,
    dir: &std::path::Path,
    secrets: SecretBox,
) -> Arc<dyn Store> {
    let (url, schema) = match backend {
        "sqlite" => (format!("sqlite://{}", dir.join("latch.db").display()), None),
        _ => (
            postgres_url(),
            Some(format!("service_{name}_{}", std::process::id())),
        ),
    };
    latch_store::connect(&url, schema.as_deref(), Default::default(), secrets)
        .await
        .unwrap()
}

#[tokio::test]
async fn customer_accounts_keep_their_provider_with_its_secret_sealed() {
    for (backend, store, dir) in stores("accounts").await {
        let service = Service::new(store.clone());
        let acme = service.create_company("Acme").await.unwrap();
        let tenant = service.tenant(acme.company.id).await.unwrap();
        let provider = OidcSpec {
            issuer: Some("https://login.example.com".into()),
            client_id: Some("latch".into()),
            client_secret: Some("first-secret".into()),
            redirect_uris: Some(vec!["myapp://signed-in".into()]),
            ..OidcSpec::default()
        };
        assert_invalid(
            tenant
                .create_customer_account(CustomerAccountSpec::default())
                .await,
            "code",
        );
        let account = tenant
            .create_customer_account(CustomerAccountSpec {
                code: Some("acme".into()),
                name: Some("Acme Corp".into()),
                oidc: provider.clone(),
            })
            .await
            .unwrap();
        assert_eq!(account.oidc.as_ref().unwrap().email_claim, "email");
        assert_invalid(
            tenant
                .create_customer_account(CustomerAccountSpec {
                    code: Some("acme".into()),
                    ..CustomerAccountSpec::default()
                })
                .await,
            "code",
        );
        let customer = tenant
            .create_customer(CustomerSpec {
                email: "buyer@acme.example".into(),
                account: Some(AccountName::Code("acme".into())),
                ..CustomerSpec::default()
            })
            .await
            .unwrap();
        assert_eq!(customer.customer.account, Some(account.reference()));
        assert_invalid(
            tenant
                .create_customer(CustomerSpec {
                    email: "other@acme.example".into(),
                    account: Some(AccountName::Code("nope".into())),
                    ..CustomerSpec::default()
                })
                .await,
            "customer_account",
        );

        let by_code = AccountName::Code("acme".into());
        let updated = tenant
            .update_customer_account(
                &by_code,
                CustomerAccountSpec {
                    oidc: OidcSpec {
                        client_secret: Some("second-secret".into()),
                        ..OidcSpec::default()
                    },
                    ..CustomerAccountSpec::default()
                },
            )
            .await
            .unwrap();
        let oidc = updated.oidc.unwrap();
        assert_eq!(oidc.client_secret.expose_secret(), "second-secret");
        assert_eq!(oidc.redirect_uris, vec!["myapp://signed-in".to_owned()]);
        assert_eq!(updated.total_customers, 1, "{backend}");

        // The client secret is sealed: rotation re-seals it with the signing and shared keys.
        let new_key = SecretBox::generate_master_key().unwrap();
        let resealed = store
            .reseal_secrets(&SecretBox::from_base64(&new_key).unwrap())
            .await
            .unwrap();
        assert_eq!(resealed, 3, "{backend}");
        assert!(
            tenant.customer_account(&by_code).await.is_err(),
            "{backend}"
        );
        let reopened = Service::new(
            reopen(
                backend,
                "accounts",
                &dir,
                SecretBox::from_base64(&new_key).unwrap(),
            )
            .await,
        );
        let tenant = reopened.tenant(acme.company.id).await.unwrap();
        let account = tenant.customer_account(&by_code).await.unwrap();
        assert_eq!(
            account.oidc.unwrap().client_secret.expose_secret(),
            "second-secret"
        );

        // Deleting the account leaves its customers, without it.
        tenant.delete_customer_account(&by_code).await.unwrap();
        assert_not_found(tenant.customer_account(&by_code).await);
        let customer = tenant.customer(customer.customer.id).await.unwrap();
        assert_eq!(customer.customer.account, None, "{backend}");
        let listed = tenant
            .customer_accounts(&Default::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(listed.total, 0);
    }
}
