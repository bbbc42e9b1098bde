use chrono::TimeZone;
use latch_domain::{CompanyId, CustomerId, ProductId};

use super::*;

fn product(method: AuthorizationMethod) -> Product {
    Product {
        id: ProductId::new(7),
        company_id: CompanyId::new(3),
        code: "app".into(),
        name: "App".into(),
        authorization_method: method,
        prevent_vm: false,
        allow_trial: false,
        trial_days: 0,
        floating_timeout: 0,
        metadata: "{}".into(),
    }
}

fn key_based() -> Product {
    product(AuthorizationMethod::LicenseKey)
}

fn issue(terms: LicenseTerms) -> ServiceResult<NewLicense> {
    terms.new_license(&key_based(), None, || Ok("GENE-RATE-DKEY-0000".into()))
}

fn refused_field(result: ServiceResult<NewLicense>) -> &'static str {
    match result {
        Err(ServiceError::Invalid { field, .. }) => field,
        other => panic!("expected a refused term, got {other:?}"),
    }
}

fn day(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn defaults_are_a_perpetual_enabled_license_for_one_device_with_a_generated_key() {
    let license = issue(LicenseTerms::default()).unwrap();
    assert_eq!(license.license_type, LicenseType::Perpetual);
    assert_eq!(license.license_key.as_deref(), Some("GENE-RATE-DKEY-0000"));
    assert_eq!(
        (license.company_id, license.product_id),
        (CompanyId::new(3), ProductId::new(7))
    );
    assert!(license.enabled && !license.is_trial && !license.prevent_vm);
    assert_eq!(license.max_activations, 1);
    assert_eq!(license.max_transfers, 0);
    assert!(!license.allow_grace_period);
    assert_eq!(license.metadata, "{}");
    assert_eq!(license.floating, FloatingColumns::default());
    assert_eq!(license.consumption, ConsumptionColumns::default());
}

#[test]
fn a_given_key_is_kept_and_the_generator_is_not_called() {
    let terms = LicenseTerms {
        key: Some("MY-KEY".into()),
        ..LicenseTerms::default()
    };
    let license = terms
        .new_license(&key_based(), Some(CustomerId::new(9)), || {
            panic!("no key needed")
        })
        .unwrap();
    assert_eq!(license.license_key.as_deref(), Some("MY-KEY"));
    assert_eq!(license.customer_id, Some(CustomerId::new(9)));
}

#[test]
fn blank_or_overlong_keys_are_refused() {
    for key in ["", "   ", &"K".repeat(257)] {
        let terms = LicenseTerms {
            key: Some(key.to_owned()),
            ..LicenseTerms::default()
        };
        assert_eq!(refused_field(issue(terms)), "license_key", "{key:?}");
    }
    let longest = LicenseTerms {
        key: Some("K".repeat(256)),
        ..LicenseTerms::default()
    };
    assert!(issue(longest).is_ok());
}

#[test]
fn user_based_products_have_licenses_without_keys() {
    let user_based = product(AuthorizationMethod::User);
    let license = LicenseTerms::default()
        .new_license(&user_based, None, || {
            panic!("no key for user-based licenses")
        })
        .unwrap();
    assert_eq!(license.license_key, None);
    let with_key = LicenseTerms {
        key: Some("K".into()),
        ..LicenseTerms::default()
    };
    let refused = with_key.new_license(&user_based, None, || Ok("x".into()));
    assert_eq!(refused_field(refused), "license_key");
}

#[test]
fn validity_goes_with_time_limited_and_subscription_licenses_only() {
    for license_type in [LicenseType::TimeLimited, LicenseType::Subscription] {
        let without = LicenseTerms {
            license_type,
            ..LicenseTerms::default()
        };
        assert_eq!(refused_field(issue(without)), "validity_period");
        let with = LicenseTerms {
            license_type,
            valid_until: Some(day(2030)),
            ..LicenseTerms::default()
        };
        assert_eq!(issue(with).unwrap().validity_period, Some(day(2030)));
    }
    let perpetual_with_end = LicenseTerms {
        valid_until: Some(day(2030)),
        ..LicenseTerms::default()
    };
    assert_eq!(refused_field(issue(perpetual_with_end)), "validity_period");
    let consumption = LicenseTerms {
        license_type: LicenseType::Consumption,
        ..LicenseTerms::default()
    };
    assert!(issue(consumption).is_ok());
}

#[test]
fn negative_limits_are_refused_by_name_and_zero_is_accepted() {
    type Set = fn(&mut LicenseTerms, i64);
    let cases: [(&str, Set); 8] = [
        ("max_activations", |t, v| t.max_activations = v),
        ("max_transfers", |t, v| t.max_transfers = v),
        ("max_license_users", |t, v| t.max_license_users = v),
        ("grace_period", |t, v| t.grace_period = Some(v)),
        ("max_consumptions", |t, v| {
            t.consumption.max_consumptions = v
        }),
        ("max_overages", |t, v| t.consumption.max_overages = v),
        ("max_borrow_time", |t, v| t.floating.max_borrow_time = v),
        ("floating_users", |t, v| t.floating.floating_users = Some(v)),
    ];
    for (field, set) in cases {
        let mut terms = LicenseTerms::default();
        set(&mut terms, -1);
        assert_eq!(refused_field(issue(terms)), field);
        let mut zero = LicenseTerms::default();
        set(&mut zero, 0);
        let accepted = issue(zero);
        if field == "floating_users" {
            assert_eq!(
                refused_field(accepted),
                "floating_users",
                "a floating license needs a seat"
            );
        } else {
            assert!(accepted.is_ok(), "{field} = 0: {accepted:?}");
        }
    }
}

#[test]
fn a_grace_period_turns_grace_on() {
    let terms = LicenseTerms {
        license_type: LicenseType::Subscription,
        valid_until: Some(day(2030)),
        grace_period: Some(48),
        ..LicenseTerms::default()
    };
    let license = issue(terms).unwrap();
    assert!(license.allow_grace_period);
    assert_eq!(license.grace_period, 48);
}

#[test]
fn floating_settings_apply_only_to_floating_licenses() {
    let not_floating = FloatingTerms {
        max_borrow_time: 24,
        ..FloatingTerms::default()
    };
    let columns = not_floating.columns().unwrap();
    assert!(!columns.is_floating_cloud);
    assert_eq!(columns.floating_timeout, 0);
    assert!(columns.can_borrow);

    let floating = FloatingTerms {
        floating_users: Some(5),
        floating_timeout: 10,
        max_borrow_time: 0,
    };
    let columns = floating.columns().unwrap();
    assert!(columns.is_floating_cloud && !columns.can_borrow);
    assert_eq!((columns.floating_users, columns.floating_timeout), (5, 10));

    let no_timeout = FloatingTerms {
        floating_timeout: 0,
        ..floating
    };
    assert!(matches!(
        no_timeout.columns(),
        Err(ServiceError::Invalid {
            field: "floating_timeout",
            ..
        })
    ));
}

#[test]
fn overages_and_resets_follow_their_settings() {
    let terms = ConsumptionTerms {
        max_consumptions: 10,
        max_overages: 3,
        consumption_period: Some(ConsumptionPeriod::Monthly),
        ..ConsumptionTerms::default()
    };
    let columns = terms.columns().unwrap();
    assert!(columns.allow_overages && columns.reset_consumption);
    assert_eq!(columns.consumption_period, Some(ConsumptionPeriod::Monthly));
    let plain = ConsumptionTerms::default().columns().unwrap();
    assert!(!plain.allow_overages && !plain.reset_consumption);
}

#[test]
fn metadata_must_be_an_object_without_index_like_keys() {
    assert_eq!(
        validate_metadata(r#"{ "tier": "gold" }"#).unwrap(),
        r#"{"tier":"gold"}"#
    );
    for bad in ["[1]", r#"{"10":"x"}"#, "{", "3"] {
        assert!(
            matches!(
                validate_metadata(bad),
                Err(ServiceError::Invalid {
                    field: "metadata",
                    ..
                })
            ),
            "{bad}"
        );
    }
    let terms = LicenseTerms {
        metadata: Some("[]".into()),
        ..LicenseTerms::default()
    };
    assert_eq!(refused_field(issue(terms)), "metadata");
}

#[test]
fn codes_have_one_to_128_characters() {
    assert!(require_code("code", "app").is_ok());
    assert!(require_code("code", &"c".repeat(128)).is_ok());
    for bad in ["", "  ", &"c".repeat(129)] {
        assert!(require_code("code", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn term_lengths_count_days_months_and_years() {
    let start = day(2024);
    let after = |text: &str| {
        TermLength::parse("valid_duration", text)
            .unwrap()
            .after(start)
    };
    assert_eq!(after("35d"), Some(start + chrono::Duration::days(35)));
    assert_eq!(
        after("4m"),
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(after("2y"), Some(day(2026)));
    for bad in ["", "d", "3w", "-1d", "1.5y", "y2"] {
        assert!(TermLength::parse("valid_duration", bad).is_err(), "{bad}");
    }
}
