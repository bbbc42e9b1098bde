//! Unit tests for the pure licensing rules in `license.rs`.
//!
//! Every test runs against the fixed clock `now()`; boundaries are stated as offsets of whole seconds
//! from it, so "expired at the exact second" really is the exact second.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The fixed "current time" of every test.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 15, 12, 0, 0).unwrap()
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

/// A license every rule accepts: enabled, perpetual, not a trial, VMs allowed, no dates,
/// one device active out of three allowed. Tests change only the fields they are about,
/// with struct update syntax: `LicenseRules { enabled: false, ..rules() }`.
fn rules() -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::Perpetual,
        enabled: true,
        is_trial: false,
        prevent_vm: false,
        start_date: None,
        validity_period: None,
        grace_period_hours: 0,
        allow_grace_period: false,
        max_activations: 3,
        allow_unlimited_activations: false,
        times_activated: 1,
        devices_seen: 1,
        transfer_count: 0,
        max_transfers: 0,
        user: None,
    }
}

/// A license valid until `now() + offset`, otherwise like `rules()`.
fn valid_until(offset: Duration) -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::TimeLimited,
        validity_period: Some(now() + offset),
        ..rules()
    }
}

/// A subscription whose validity period ended at `now() + offset`, with a 24 hour grace period.
fn subscription_until(offset: Duration, allow_grace_period: bool) -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::Subscription,
        validity_period: Some(now() + offset),
        grace_period_hours: 24,
        allow_grace_period,
        ..rules()
    }
}

const NEW: Option<DeviceState> = None;
const ACTIVE: Option<DeviceState> = Some(DeviceState {
    active: true,
    blacklisted: false,
});
const INACTIVE: Option<DeviceState> = Some(DeviceState {
    active: false,
    blacklisted: false,
});
const BLACKLISTED: Option<DeviceState> = Some(DeviceState {
    active: false,
    blacklisted: true,
});
const BLACKLISTED_ACTIVE: Option<DeviceState> = Some(DeviceState {
    active: true,
    blacklisted: true,
});

const ALL_TYPES: [LicenseType; 4] = [
    LicenseType::Perpetual,
    LicenseType::TimeLimited,
    LicenseType::Subscription,
    LicenseType::Consumption,
];

/// Everything a `decide_*` call looks at, so precedence tests can fix one fault at a time.
#[derive(Debug, Clone)]
struct Request {
    license: LicenseRules,
    device: Option<DeviceState>,
    is_vm: bool,
}

impl Request {
    fn activate(&self) -> Result<ActivationOutcome, DomainError> {
        decide_activation(&self.license, self.device, self.is_vm, now())
    }

    fn check(&self) -> Result<(), DomainError> {
        decide_check(&self.license, self.device, self.is_vm, now())
    }
}

type Fix = fn(&mut Request);

// ---------------------------------------------------------------------------------------------
// LicenseType
// ---------------------------------------------------------------------------------------------

#[test]
fn license_type_wire_spelling() {
    let cases = [
        (LicenseType::Perpetual, "perpetual"),
        (LicenseType::TimeLimited, "time-limited"),
        (LicenseType::Subscription, "subscription"),
        (LicenseType::Consumption, "consumption"),
    ];
    for (license_type, wire) in cases {
        assert_eq!(license_type.as_str(), wire);
        assert_eq!(license_type.to_string(), wire, "Display must match as_str");
        assert_eq!(wire.parse::<LicenseType>(), Ok(license_type));
    }
}

#[test]
fn license_type_round_trips_through_as_str() {
    for license_type in ALL_TYPES {
        assert_eq!(license_type.as_str().parse(), Ok(license_type));
        assert_eq!(license_type.to_string().parse(), Ok(license_type));
    }
}

#[test]
fn license_type_parse_rejects_anything_else_and_keeps_the_input() {
    let bad = [
        "",
        "Perpetual",
        "PERPETUAL",
        "time_limited",
        "timelimited",
        "TimeLimited",
        " subscription",
        "subscription ",
        "consumption\n",
        "trial",
    ];
    for input in bad {
        let err = input.parse::<LicenseType>().unwrap_err();
        assert_eq!(err, ParseLicenseTypeError(input.to_owned()));
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "message {err} should quote the input {input:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// LicenseRules::expires_at / is_expired / is_active
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Expiry cases shared by decide_activation and decide_check
// ---------------------------------------------------------------------------------------------

/// (name, license, expected expiry error at `now()`). Each boundary is given from both sides.
fn expiry_cases() -> Vec<(&'static str, LicenseRules, Option<DomainError>)> {
    let trial = |license: LicenseRules| LicenseRules {
        is_trial: true,
        ..license
    };
    let expired = Some(DomainError::LicenseExpired);
    let trial_expired = Some(DomainError::TrialExpired);
    vec![
        ("no validity period", rules(), None),
        ("validity 1s ahead", valid_until(secs(1)), None),
        ("validity == now", valid_until(secs(0)), expired.clone()),
        ("validity 1s ago", valid_until(secs(-1)), expired.clone()),
        ("trial 1s ahead", trial(valid_until(secs(1))), None),
        (
            "trial == now",
            trial(valid_until(secs(0))),
            trial_expired.clone(),
        ),
        (
            "trial 1s ago",
            trial(valid_until(secs(-1))),
            trial_expired.clone(),
        ),
        (
            "subscription in grace, last second",
            subscription_until(secs(1) - hours(24), true),
            None,
        ),
        (
            "subscription grace ends == now",
            subscription_until(-hours(24), true),
            expired.clone(),
        ),
        (
            "subscription, grace not allowed, validity == now",
            subscription_until(secs(0), false),
            expired.clone(),
        ),
        (
            "subscription, grace not allowed, 1h past",
            subscription_until(-hours(1), false),
            expired.clone(),
        ),
        (
            "time-limited gets no grace even when allowed",
            LicenseRules {
                allow_grace_period: true,
                grace_period_hours: 24,
                ..valid_until(-hours(1))
            },
            expired.clone(),
        ),
        (
            "trial subscription in grace",
            trial(subscription_until(-hours(1), true)),
            None,
        ),
        (
            "trial subscription after grace",
            trial(subscription_until(-hours(24), true)),
            trial_expired,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// decide_activation
// ---------------------------------------------------------------------------------------------

#[test]
fn activation_outcome_depends_on_the_device() {
    let cases = [
        (NEW, ActivationOutcome::NewDevice { transfer: false }),
        (INACTIVE, ActivationOutcome::Reactivate),
    ];
    for (device, outcome) in cases {
        assert_eq!(
            decide_activation(&rules(), device, false, now()),
            Ok(outcome),
            "{device:?}"
        );
    }
}

#[test]
fn activation_refused_when_disabled() {
    let license = LicenseRules {
        enabled: false,
        ..rules()
    };
    for device in [NEW, INACTIVE, ACTIVE] {
        assert_eq!(
            decide_activation(&license, device, false, now()),
            Err(DomainError::LicenseNotEnabled),
            "{device:?}"
        );
    }
}

#[test]
fn activation_refused_for_blacklisted_device_even_if_active() {
    for device in [BLACKLISTED, BLACKLISTED_ACTIVE] {
        assert_eq!(
            decide_activation(&rules(), device, false, now()),
            Err(DomainError::Blacklisted),
            "{device:?}"
        );
    }
}

#[test]
fn activation_refuses_vm_only_when_license_prevents_it() {
    // (is_vm, prevent_vm, refused)
    let cases = [
        (false, false, false),
        (false, true, false),
        (true, false, false),
        (true, true, true),
    ];
    for (is_vm, prevent_vm, refused) in cases {
        let license = LicenseRules {
            prevent_vm,
            ..rules()
        };
        for device in [NEW, INACTIVE] {
            let result = decide_activation(&license, device, is_vm, now());
            assert_eq!(
                result == Err(DomainError::VmNotAllowed),
                refused,
                "is_vm={is_vm} prevent_vm={prevent_vm} {device:?}: {result:?}"
            );
            assert!(refused || result.is_ok(), "{result:?}");
        }
    }
}

#[test]
fn activation_allowed_from_the_exact_second_of_start_date() {
    // (start offset from now, refused)
    let cases = [
        (secs(1), true),
        (hours(24), true),
        (secs(0), false),
        (secs(-1), false),
    ];
    for (offset, refused) in cases {
        let start = now() + offset;
        let license = LicenseRules {
            start_date: Some(start),
            ..rules()
        };
        let expected = if refused {
            Err(DomainError::LicenseStartDate(start))
        } else {
            Ok(ActivationOutcome::NewDevice { transfer: false })
        };
        assert_eq!(
            decide_activation(&license, NEW, false, now()),
            expected,
            "start = now + {offset}"
        );
    }
}

#[test]
fn activation_start_date_error_carries_the_start_date() {
    let start = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
    let license = LicenseRules {
        start_date: Some(start),
        ..rules()
    };
    let err = decide_activation(&license, NEW, false, now()).unwrap_err();
    assert_eq!(err, DomainError::LicenseStartDate(start));
    assert!(err.to_string().contains("2030-01-02 03:04:05"), "{err}");
}

#[test]
fn activation_expiry_boundaries() {
    for (name, license, error) in expiry_cases() {
        for (device, outcome) in [
            (NEW, Ok(ActivationOutcome::NewDevice { transfer: false })),
            (INACTIVE, Ok(ActivationOutcome::Reactivate)),
            (ACTIVE, Err(DomainError::DeviceExists)),
        ] {
            let expected = error.clone().map_or(outcome, Err);
            assert_eq!(
                decide_activation(&license, device, false, now()),
                expected,
                "{name}, {device:?}"
            );
        }
    }
}

#[test]
fn activation_respects_max_activations() {
    use ActivationOutcome::*;
    let full = Err(DomainError::ActivatedMaxTimes);
    // (times_activated, max_activations, allow_unlimited_activations, device, expected)
    let cases = [
        (2, 3, false, NEW, Ok(NewDevice { transfer: false })),
        (2, 3, false, INACTIVE, Ok(Reactivate)),
        (3, 3, false, NEW, full.clone()),
        (3, 3, false, INACTIVE, full.clone()),
        (4, 3, false, NEW, full.clone()),
        (0, 0, false, NEW, full.clone()),
        (0, 1, false, NEW, Ok(NewDevice { transfer: false })),
        // An already active device is refused as existing, whether or not the license is full.
        (3, 3, false, ACTIVE, Err(DomainError::DeviceExists)),
        (1, 3, false, ACTIVE, Err(DomainError::DeviceExists)),
        // Unlimited activations ignore the maximum.
        (3, 3, true, NEW, Ok(NewDevice { transfer: false })),
        (3, 3, true, INACTIVE, Ok(Reactivate)),
        (100, 3, true, NEW, Ok(NewDevice { transfer: false })),
        (0, 0, true, NEW, Ok(NewDevice { transfer: false })),
        (3, 3, true, ACTIVE, Err(DomainError::DeviceExists)),
    ];
    for (times_activated, max_activations, allow_unlimited_activations, device, expected) in cases {
        let license = LicenseRules {
            times_activated,
            max_activations,
            allow_unlimited_activations,
            // No device ever gave a slot back: every new device is a first-time activation.
            devices_seen: times_activated,
            ..rules()
        };
        assert_eq!(
            decide_activation(&license, device, false, now()),
            expected,
            "{times_activated}/{max_activations} unlimited={allow_unlimited_activations} {device:?}"
        );
    }
}

/// Starts from a request that breaks every activation rule at once, then fixes one fault at a
/// time: each step must report the highest-precedence fault still present.
#[test]
fn activation_error_precedence() {
    let mut request = Request {
        license: LicenseRules {
            enabled: false,
            prevent_vm: true,
            start_date: Some(now() + secs(1)),
            validity_period: Some(now()),
            times_activated: 3,
            max_activations: 3,
            ..rules()
        },
        device: BLACKLISTED,
        is_vm: true,
    };
    let steps: [(DomainError, Fix); 6] = [
        (DomainError::LicenseNotEnabled, |r| r.license.enabled = true),
        (DomainError::Blacklisted, |r| r.device = INACTIVE),
        (DomainError::VmNotAllowed, |r| r.is_vm = false),
        (DomainError::LicenseStartDate(now() + secs(1)), |r| {
            r.license.start_date = None
        }),
        (DomainError::LicenseExpired, |r| {
            r.license.validity_period = None
        }),
        (DomainError::ActivatedMaxTimes, |r| {
            r.license.times_activated = 2
        }),
    ];
    for (expected, fix) in steps {
        assert_eq!(request.activate(), Err(expected), "{request:?}");
        fix(&mut request);
    }
    assert_eq!(request.activate(), Ok(ActivationOutcome::Reactivate));
}

#[test]
fn activation_trial_expiry_beats_max_activations() {
    let license = LicenseRules {
        is_trial: true,
        times_activated: 3,
        max_activations: 3,
        ..valid_until(secs(0))
    };
    assert_eq!(
        decide_activation(&license, NEW, false, now()),
        Err(DomainError::TrialExpired)
    );
}

// ---------------------------------------------------------------------------------------------
// decide_activation: transfers
// ---------------------------------------------------------------------------------------------

/// A license with room for one more device (2 of 3 active) that has seen `devices_seen` devices
/// and made `transfer_count` of at most `max_transfers` transfers.
fn transfers(devices_seen: i64, transfer_count: i64, max_transfers: i64) -> LicenseRules {
    LicenseRules {
        max_activations: 3,
        times_activated: 2,
        devices_seen,
        transfer_count,
        max_transfers,
        ..rules()
    }
}

#[test]
fn activation_of_a_new_device_beyond_the_devices_seen_is_a_transfer() {
    use ActivationOutcome::*;
    let refused = Err(DomainError::TransferredMaxTimes);
    // (devices_seen, transfer_count, max_transfers, expected for a new device)
    let cases = [
        // Fewer devices seen than allowed: a first-time activation, whatever the transfer budget.
        (0, 0, 0, Ok(NewDevice { transfer: false })),
        (2, 0, 0, Ok(NewDevice { transfer: false })),
        (2, 0, 1, Ok(NewDevice { transfer: false })),
        (2, 5, 1, Ok(NewDevice { transfer: false })),
        // As many devices seen as allowed, or more: the new device takes a slot given back.
        (3, 0, 0, Ok(NewDevice { transfer: true })),
        (4, 0, 0, Ok(NewDevice { transfer: true })),
        (50, 0, 0, Ok(NewDevice { transfer: true })),
        // max_transfers 0 means no limit (a negative maximum is no limit either).
        (3, 1_000, 0, Ok(NewDevice { transfer: true })),
        (3, 1_000, -1, Ok(NewDevice { transfer: true })),
        // Below the maximum: allowed; at or over it: refused.
        (3, 0, 1, Ok(NewDevice { transfer: true })),
        (3, 1, 2, Ok(NewDevice { transfer: true })),
        (3, 1, 1, refused.clone()),
        (3, 2, 2, refused.clone()),
        (3, 3, 2, refused.clone()),
        (7, 5, 5, refused),
    ];
    for (devices_seen, transfer_count, max_transfers, expected) in cases {
        assert_eq!(
            decide_activation(
                &transfers(devices_seen, transfer_count, max_transfers),
                NEW,
                false,
                now()
            ),
            expected,
            "seen={devices_seen} transfers={transfer_count}/{max_transfers}"
        );
    }
}

#[test]
fn activation_transfer_boundary_follows_max_activations() {
    // (max_activations, devices_seen, transfer)
    let cases = [
        (1, 0, false),
        (1, 1, true),
        (5, 4, false),
        (5, 5, true),
        (5, 6, true),
    ];
    for (max_activations, devices_seen, transfer) in cases {
        let license = LicenseRules {
            max_activations,
            times_activated: 0,
            devices_seen,
            ..rules()
        };
        assert_eq!(
            decide_activation(&license, NEW, false, now()),
            Ok(ActivationOutcome::NewDevice { transfer }),
            "max={max_activations} seen={devices_seen}"
        );
    }
}

/// A device the license already knows takes back its own slot: never a transfer, even when
/// transfers are used up.
#[test]
fn activation_reactivating_a_known_device_is_never_a_transfer() {
    let cases = [
        transfers(2, 0, 0),
        transfers(3, 0, 0),
        transfers(3, 1, 1),
        transfers(10, 9, 2),
    ];
    for license in cases {
        assert_eq!(
            decide_activation(&license, INACTIVE, false, now()),
            Ok(ActivationOutcome::Reactivate),
            "{license:?}"
        );
        assert_eq!(
            decide_activation(&license, ACTIVE, false, now()),
            Err(DomainError::DeviceExists),
            "{license:?}"
        );
    }
}

#[test]
fn activation_with_unlimited_activations_never_transfers() {
    // (devices_seen, transfer_count, max_transfers)
    let cases = [(0, 0, 0), (3, 0, 0), (100, 0, 0), (100, 1, 1), (100, 9, 2)];
    for (devices_seen, transfer_count, max_transfers) in cases {
        let license = LicenseRules {
            allow_unlimited_activations: true,
            times_activated: 50,
            ..transfers(devices_seen, transfer_count, max_transfers)
        };
        assert_eq!(
            decide_activation(&license, NEW, false, now()),
            Ok(ActivationOutcome::NewDevice { transfer: false }),
            "seen={devices_seen} transfers={transfer_count}/{max_transfers}"
        );
    }
}

/// A full license is refused as full, not as out of transfers.
#[test]
fn activation_max_activations_beats_transfers() {
    let license = LicenseRules {
        times_activated: 3,
        ..transfers(5, 2, 2)
    };
    assert_eq!(
        decide_activation(&license, NEW, false, now()),
        Err(DomainError::ActivatedMaxTimes)
    );
}

// ---------------------------------------------------------------------------------------------
// decide_activation: user limits
// ---------------------------------------------------------------------------------------------

fn user(
    total_activations: i64,
    max_activations: i64,
    allow_unlimited_activations: bool,
) -> Option<UserActivations> {
    Some(UserActivations {
        max_activations,
        allow_unlimited_activations,
        total_activations,
    })
}

#[test]
fn activation_respects_the_user_limit() {
    use ActivationOutcome::*;
    let refused = Err(DomainError::UserActivatedMaxTimes);
    // (user, device, expected)
    let cases = [
        (None, NEW, Ok(NewDevice { transfer: false })),
        (None, INACTIVE, Ok(Reactivate)),
        (user(0, 2, false), NEW, Ok(NewDevice { transfer: false })),
        (user(1, 2, false), NEW, Ok(NewDevice { transfer: false })),
        (user(1, 2, false), INACTIVE, Ok(Reactivate)),
        (user(2, 2, false), NEW, refused.clone()),
        (user(2, 2, false), INACTIVE, refused.clone()),
        (user(3, 2, false), NEW, refused.clone()),
        (user(0, 0, false), NEW, refused.clone()),
        (user(0, 0, false), INACTIVE, refused),
        // An active device is refused as existing before any limit is looked at.
        (user(2, 2, false), ACTIVE, Err(DomainError::DeviceExists)),
        // A user with unlimited activations ignores the user maximum.
        (user(2, 2, true), NEW, Ok(NewDevice { transfer: false })),
        (user(100, 0, true), NEW, Ok(NewDevice { transfer: false })),
        (user(100, 0, true), INACTIVE, Ok(Reactivate)),
    ];
    for (user, device, expected) in cases {
        let license = LicenseRules { user, ..rules() };
        assert_eq!(
            decide_activation(&license, device, false, now()),
            expected,
            "{user:?} {device:?}"
        );
    }
}

/// The license's own limit still applies to a user with unlimited activations, and the user's
/// limit still applies on a license with unlimited activations.
#[test]
fn activation_license_and_user_limits_are_independent() {
    // (allow_unlimited_activations on the license, user, expected)
    let cases = [
        (false, user(0, 5, true), Err(DomainError::ActivatedMaxTimes)),
        (
            true,
            user(5, 5, false),
            Err(DomainError::UserActivatedMaxTimes),
        ),
        (
            true,
            user(5, 5, true),
            Ok(ActivationOutcome::NewDevice { transfer: false }),
        ),
    ];
    for (allow_unlimited_activations, user, expected) in cases {
        let license = LicenseRules {
            allow_unlimited_activations,
            times_activated: 3,
            max_activations: 3,
            devices_seen: 3,
            user,
            ..rules()
        };
        assert_eq!(
            decide_activation(&license, NEW, false, now()),
            expected,
            "license unlimited={allow_unlimited_activations} {user:?}"
        );
    }
}

/// Starts from a new device on a license that is full, whose user is at their limit and whose
/// transfers are used up; fixes one fault at a time.
#[test]
fn activation_limit_precedence() {
    let mut request = Request {
        license: LicenseRules {
            times_activated: 3,
            max_activations: 3,
            devices_seen: 3,
            transfer_count: 2,
            max_transfers: 2,
            user: user(4, 4, false),
            ..rules()
        },
        device: NEW,
        is_vm: false,
    };
    let steps: [(DomainError, Fix); 3] = [
        (DomainError::ActivatedMaxTimes, |r| {
            r.license.times_activated = 2
        }),
        (DomainError::UserActivatedMaxTimes, |r| {
            r.license.user = user(3, 4, false)
        }),
        (DomainError::TransferredMaxTimes, |r| {
            r.license.max_transfers = 3
        }),
    ];
    for (expected, fix) in steps {
        assert_eq!(request.activate(), Err(expected), "{request:?}");
        fix(&mut request);
    }
    assert_eq!(
        request.activate(),
        Ok(ActivationOutcome::NewDevice { transfer: true })
    );
}

/// Every earlier refusal still comes before the limits added for transfers and users.
#[test]
fn activation_earlier_refusals_beat_transfer_and_user_limits() {
    let exhausted = LicenseRules {
        user: user(4, 4, false),
        ..transfers(3, 2, 2)
    };
    // (name, license, device, is_vm, expected)
    let cases = [
        (
            "disabled",
            LicenseRules {
                enabled: false,
                ..exhausted.clone()
            },
            NEW,
            false,
            DomainError::LicenseNotEnabled,
        ),
        (
            "blacklisted",
            exhausted.clone(),
            BLACKLISTED,
            false,
            DomainError::Blacklisted,
        ),
        (
            "vm",
            LicenseRules {
                prevent_vm: true,
                ..exhausted.clone()
            },
            NEW,
            true,
            DomainError::VmNotAllowed,
        ),
        (
            "not started",
            LicenseRules {
                start_date: Some(now() + secs(1)),
                ..exhausted.clone()
            },
            NEW,
            false,
            DomainError::LicenseStartDate(now() + secs(1)),
        ),
        (
            "expired",
            LicenseRules {
                validity_period: Some(now()),
                ..exhausted.clone()
            },
            NEW,
            false,
            DomainError::LicenseExpired,
        ),
        (
            "device exists",
            exhausted,
            ACTIVE,
            false,
            DomainError::DeviceExists,
        ),
    ];
    for (name, license, device, is_vm, expected) in cases {
        assert_eq!(
            decide_activation(&license, device, is_vm, now()),
            Err(expected),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// decide_check
// ---------------------------------------------------------------------------------------------

#[test]
fn check_accepts_an_active_device_on_an_active_license() {
    assert_eq!(decide_check(&rules(), ACTIVE, false, now()), Ok(()));
}

#[test]
fn check_refusals() {
    // (name, license, device, is_vm, expected)
    let cases = [
        (
            "disabled",
            LicenseRules {
                enabled: false,
                ..rules()
            },
            ACTIVE,
            false,
            DomainError::LicenseNotEnabled,
        ),
        (
            "blacklisted",
            rules(),
            BLACKLISTED,
            false,
            DomainError::Blacklisted,
        ),
        (
            "blacklisted but active",
            rules(),
            BLACKLISTED_ACTIVE,
            false,
            DomainError::Blacklisted,
        ),
        (
            "no device holds the license",
            LicenseRules {
                times_activated: 0,
                ..rules()
            },
            ACTIVE,
            false,
            DomainError::LicenseNotActive,
        ),
        (
            "unknown device",
            rules(),
            NEW,
            false,
            DomainError::DeviceNotFound,
        ),
        (
            "deactivated device",
            rules(),
            INACTIVE,
            false,
            DomainError::DeviceNotFound,
        ),
        (
            "vm prevented",
            LicenseRules {
                prevent_vm: true,
                ..rules()
            },
            ACTIVE,
            true,
            DomainError::VmNotAllowed,
        ),
    ];
    for (name, license, device, is_vm, expected) in cases {
        assert_eq!(
            decide_check(&license, device, is_vm, now()),
            Err(expected),
            "{name}"
        );
    }
}

#[test]
fn check_refuses_vm_only_when_license_prevents_it() {
    for (is_vm, prevent_vm) in [(false, false), (false, true), (true, false), (true, true)] {
        let license = LicenseRules {
            prevent_vm,
            ..rules()
        };
        let expected = if is_vm && prevent_vm {
            Err(DomainError::VmNotAllowed)
        } else {
            Ok(())
        };
        assert_eq!(
            decide_check(&license, ACTIVE, is_vm, now()),
            expected,
            "is_vm={is_vm} prevent_vm={prevent_vm}"
        );
    }
}

#[test]
fn check_expiry_boundaries() {
    for (name, license, error) in expiry_cases() {
        assert_eq!(
            decide_check(&license, ACTIVE, false, now()),
            error.map_or(Ok(()), Err),
            "{name}"
        );
    }
}

/// Rules only activation enforces: a device that already holds the license keeps passing checks.
#[test]
fn check_ignores_activation_only_rules() {
    let cases = [
        (
            "start date in the future",
            LicenseRules {
                start_date: Some(now() + hours(1)),
                ..rules()
            },
        ),
        (
            "more devices than allowed",
            LicenseRules {
                times_activated: 5,
                max_activations: 3,
                ..rules()
            },
        ),
    ];
    for (name, license) in cases {
        assert_eq!(
            decide_check(&license, ACTIVE, false, now()),
            Ok(()),
            "{name}"
        );
    }
}

/// Starts from a request that breaks every check rule at once, then fixes one fault at a time.
#[test]
fn check_error_precedence() {
    let mut request = Request {
        license: LicenseRules {
            enabled: false,
            is_trial: true,
            prevent_vm: true,
            validity_period: Some(now()),
            times_activated: 0,
            ..rules()
        },
        device: BLACKLISTED,
        is_vm: true,
    };
    let steps: [(DomainError, Fix); 6] = [
        (DomainError::LicenseNotEnabled, |r| r.license.enabled = true),
        (DomainError::Blacklisted, |r| r.device = INACTIVE),
        (DomainError::LicenseNotActive, |r| {
            r.license.times_activated = 1
        }),
        (DomainError::DeviceNotFound, |r| r.device = ACTIVE),
        (DomainError::VmNotAllowed, |r| r.is_vm = false),
        (DomainError::TrialExpired, |r| {
            r.license.validity_period = None
        }),
    ];
    for (expected, fix) in steps {
        assert_eq!(request.check(), Err(expected), "{request:?}");
        fix(&mut request);
    }
    assert_eq!(request.check(), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// decide_deactivation
// ---------------------------------------------------------------------------------------------

#[test]
fn deactivation_rules_and_precedence() {
    let disabled = LicenseRules {
        enabled: false,
        ..rules()
    };
    // (license, device, expected)
    let cases = [
        (rules(), ACTIVE, Ok(())),
        (rules(), INACTIVE, Err(DomainError::DeviceNotFound)),
        (rules(), NEW, Err(DomainError::DeviceNotFound)),
        (rules(), BLACKLISTED, Err(DomainError::Blacklisted)),
        (rules(), BLACKLISTED_ACTIVE, Err(DomainError::Blacklisted)),
        (
            disabled.clone(),
            ACTIVE,
            Err(DomainError::LicenseNotEnabled),
        ),
        (
            disabled.clone(),
            INACTIVE,
            Err(DomainError::LicenseNotEnabled),
        ),
        (disabled.clone(), NEW, Err(DomainError::LicenseNotEnabled)),
        (
            disabled.clone(),
            BLACKLISTED,
            Err(DomainError::LicenseNotEnabled),
        ),
        (
            disabled,
            BLACKLISTED_ACTIVE,
            Err(DomainError::LicenseNotEnabled),
        ),
    ];
    for (license, device, expected) in cases {
        assert_eq!(
            decide_deactivation(&license, device),
            expected,
            "enabled={} {device:?}",
            license.enabled
        );
    }
}

/// Deactivation looks at neither time nor activation counts nor VMs: an active device can
/// always give its activation back from an enabled license.
#[test]
fn deactivation_allowed_whatever_the_license_state() {
    let cases = [
        ("expired", valid_until(-hours(1))),
        (
            "trial expired",
            LicenseRules {
                is_trial: true,
                ..valid_until(-hours(1))
            },
        ),
        (
            "subscription past grace",
            subscription_until(-hours(48), true),
        ),
        (
            "not yet started",
            LicenseRules {
                start_date: Some(now() + hours(1)),
                ..rules()
            },
        ),
        (
            "no activations counted",
            LicenseRules {
                times_activated: 0,
                ..rules()
            },
        ),
        (
            "over the maximum",
            LicenseRules {
                times_activated: 9,
                max_activations: 3,
                ..rules()
            },
        ),
        (
            "vm prevented",
            LicenseRules {
                prevent_vm: true,
                ..rules()
            },
        ),
    ];
    for (name, license) in cases {
        assert_eq!(decide_deactivation(&license, ACTIVE), Ok(()), "{name}");
    }
}
