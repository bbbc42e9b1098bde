//! `decide_activation`: license state, dates, VMs, activation counts and the precedence of refusals.

use super::*;

#[test]
fn activation_outcome_depends_on_the_device() {
    let cases = [
        (NEW, ActivationOutcome::NewDevice { transfer: false }),
        (INACTIVE, ActivationOutcome::Reactivate { transfer: false }),
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
            (
                INACTIVE,
                Ok(ActivationOutcome::Reactivate { transfer: false }),
            ),
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
        (2, 3, false, INACTIVE, Ok(Reactivate { transfer: false })),
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
        (3, 3, true, INACTIVE, Ok(Reactivate { transfer: false })),
        (100, 3, true, NEW, Ok(NewDevice { transfer: false })),
        (0, 0, true, NEW, Ok(NewDevice { transfer: false })),
        (3, 3, true, ACTIVE, Err(DomainError::DeviceExists)),
    ];
    for (times_activated, max_activations, allow_unlimited_activations, device, expected) in cases {
        let license = LicenseRules {
            times_activated,
            max_activations,
            allow_unlimited_activations,
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
    assert_eq!(
        request.activate(),
        Ok(ActivationOutcome::Reactivate { transfer: false })
    );
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
