//! `decide_activation`: the license user's own activation limit.

use super::*;

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
        (None, INACTIVE, Ok(Reactivate { transfer: false })),
        (user(0, 2, false), NEW, Ok(NewDevice { transfer: false })),
        (user(1, 2, false), NEW, Ok(NewDevice { transfer: false })),
        (
            user(1, 2, false),
            INACTIVE,
            Ok(Reactivate { transfer: false }),
        ),
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
        (
            user(100, 0, true),
            INACTIVE,
            Ok(Reactivate { transfer: false }),
        ),
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
            released_slots: 1,
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
            released_slots: 1,
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
