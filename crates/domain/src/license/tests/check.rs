//! `decide_check`

use super::*;

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
