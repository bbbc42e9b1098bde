//! `LicenseRules::expires_at`, `is_expired` and `is_active`.

use super::*;

#[test]
fn expires_at_is_none_without_validity_period_even_with_grace() {
    for license_type in ALL_TYPES {
        let license = LicenseRules {
            license_type,
            allow_grace_period: true,
            grace_period_hours: 24,
            ..rules()
        };
        assert_eq!(license.expires_at(), None, "{license_type}");
    }
}

#[test]
fn expires_at_adds_grace_only_to_subscriptions_that_allow_it() {
    // (type, allow_grace_period, grace_period_hours, expected grace added)
    let cases = [
        (LicenseType::Subscription, true, 48, 48),
        (LicenseType::Subscription, true, 1, 1),
        (LicenseType::Subscription, true, 0, 0),
        (LicenseType::Subscription, true, -5, 0), // negative grace is clamped to none
        (LicenseType::Subscription, false, 48, 0),
        (LicenseType::Perpetual, true, 48, 0),
        (LicenseType::TimeLimited, true, 48, 0),
        (LicenseType::Consumption, true, 48, 0),
        (LicenseType::TimeLimited, false, 48, 0),
    ];
    for (license_type, allow_grace_period, grace_period_hours, grace) in cases {
        let license = LicenseRules {
            license_type,
            allow_grace_period,
            grace_period_hours,
            validity_period: Some(now()),
            ..rules()
        };
        assert_eq!(
            license.expires_at(),
            Some(now() + hours(grace)),
            "{license_type} allow_grace={allow_grace_period} hours={grace_period_hours}"
        );
    }
}

#[test]
fn is_expired_never_without_validity_period() {
    let far_future = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    for license_type in ALL_TYPES {
        let license = LicenseRules {
            license_type,
            ..rules()
        };
        assert!(!license.is_expired(now()), "{license_type}");
        assert!(!license.is_expired(far_future), "{license_type}");
    }
}

#[test]
fn is_expired_from_the_exact_second_of_expiry() {
    // (license, seconds from now() at which it expires)
    let day = 24 * 3600;
    let cases = [
        ("time-limited", valid_until(secs(0)), 0),
        (
            "subscription without grace",
            subscription_until(secs(0), false),
            0,
        ),
        (
            "subscription with grace",
            subscription_until(secs(0), true),
            day,
        ),
        (
            "time-limited ignores grace",
            LicenseRules {
                allow_grace_period: true,
                grace_period_hours: 24,
                ..valid_until(secs(0))
            },
            0,
        ),
    ];
    for (name, license, expiry) in cases {
        assert!(
            !license.is_expired(now() + secs(expiry - 1)),
            "{name}: 1s before"
        );
        assert!(
            license.is_expired(now() + secs(expiry)),
            "{name}: exact second"
        );
        assert!(
            license.is_expired(now() + secs(expiry + 1)),
            "{name}: 1s after"
        );
    }
}

#[test]
fn is_active_while_at_least_one_device_holds_it() {
    for (times_activated, active) in [(-1, false), (0, false), (1, true), (5, true)] {
        let license = LicenseRules {
            times_activated,
            ..rules()
        };
        assert_eq!(
            license.is_active(),
            active,
            "times_activated={times_activated}"
        );
    }
}

#[test]
fn huge_grace_period_does_not_panic_and_never_expires() {
    for grace_period_hours in [i64::MAX, 10_000_000_000] {
        let license = LicenseRules {
            grace_period_hours,
            ..subscription_until(-hours(1), true)
        };
        assert!(!license.is_expired(now()), "hours={grace_period_hours}");
        assert_eq!(decide_check(&license, ACTIVE, false, now()), Ok(()));
    }
}
