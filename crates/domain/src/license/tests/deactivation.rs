//! `decide_deactivation`

use super::*;

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
