//! `decide_activation`: transfers, LicenseSpring's rule: deactivated on one device, then activated
//! on another.

use super::*;

#[test]
fn activation_taking_an_activation_another_device_gave_back_is_a_transfer() {
    use ActivationOutcome::*;
    let refused = Err(DomainError::TransferredMaxTimes);
    // (released_slots, transfer_count, max_transfers, expected for a new device)
    let cases = [
        // No device gave its activation back: a first-time activation, whatever the budget.
        (0, 0, 0, Ok(NewDevice { transfer: false })),
        (0, 0, 1, Ok(NewDevice { transfer: false })),
        (0, 5, 1, Ok(NewDevice { transfer: false })),
        // Another device deactivated itself: the new device takes its activation.
        (1, 0, 0, Ok(NewDevice { transfer: true })),
        (2, 0, 0, Ok(NewDevice { transfer: true })),
        (50, 0, 0, Ok(NewDevice { transfer: true })),
        // max_transfers 0 means no limit (a negative maximum is no limit either).
        (1, 1_000, 0, Ok(NewDevice { transfer: true })),
        (1, 1_000, -1, Ok(NewDevice { transfer: true })),
        // Below the maximum: allowed; at or over it: refused.
        (1, 0, 1, Ok(NewDevice { transfer: true })),
        (1, 1, 2, Ok(NewDevice { transfer: true })),
        (1, 1, 1, refused.clone()),
        (1, 2, 2, refused.clone()),
        (1, 3, 2, refused.clone()),
        (7, 5, 5, refused),
    ];
    for (released_slots, transfer_count, max_transfers, expected) in cases {
        assert_eq!(
            decide_activation(
                &transfers(released_slots, transfer_count, max_transfers),
                NEW,
                false,
                now()
            ),
            expected,
            "released={released_slots} transfers={transfer_count}/{max_transfers}"
        );
    }
}

/// Free activations do not make a transfer a first-time activation: one device deactivating and
/// another activating is a transfer however many activations are left.
#[test]
fn activation_transfer_does_not_depend_on_free_activations() {
    // (max_activations, times_activated, released_slots, transfer)
    let cases = [
        (1, 0, 0, false),
        (1, 0, 1, true),
        (5, 0, 1, true),
        (5, 4, 0, false),
        (5, 4, 1, true),
        (100, 1, 1, true),
    ];
    for (max_activations, times_activated, released_slots, transfer) in cases {
        let license = LicenseRules {
            max_activations,
            times_activated,
            released_slots,
            ..rules()
        };
        assert_eq!(
            decide_activation(&license, NEW, false, now()),
            Ok(ActivationOutcome::NewDevice { transfer }),
            "max={max_activations} active={times_activated} released={released_slots}"
        );
    }
}

/// A device that deactivated itself takes its own activation back: never a transfer, even when
/// transfers are used up.
#[test]
fn activation_taking_back_its_own_activation_is_never_a_transfer() {
    for license in [transfers(1, 0, 0), transfers(1, 1, 1), transfers(3, 9, 2)] {
        assert_eq!(
            decide_activation(&license, RELEASED, false, now()),
            Ok(ActivationOutcome::Reactivate { transfer: false }),
            "{license:?}"
        );
    }
}

/// A known device whose activation another device took, or that a vendor reset, moves the license
/// again when it takes an activation some other device gave back.
#[test]
fn activation_of_a_known_device_can_be_a_transfer() {
    // (released_slots, transfer_count, max_transfers, expected for a device deactivated before)
    let cases = [
        (
            0,
            0,
            0,
            Ok(ActivationOutcome::Reactivate { transfer: false }),
        ),
        (
            0,
            3,
            3,
            Ok(ActivationOutcome::Reactivate { transfer: false }),
        ),
        (
            1,
            0,
            0,
            Ok(ActivationOutcome::Reactivate { transfer: true }),
        ),
        (
            1,
            0,
            1,
            Ok(ActivationOutcome::Reactivate { transfer: true }),
        ),
        (1, 1, 1, Err(DomainError::TransferredMaxTimes)),
    ];
    for (released_slots, transfer_count, max_transfers, expected) in cases {
        let license = transfers(released_slots, transfer_count, max_transfers);
        assert_eq!(
            decide_activation(&license, INACTIVE, false, now()),
            expected,
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
    // (released_slots, transfer_count, max_transfers)
    let cases = [(0, 0, 0), (3, 0, 0), (100, 0, 0), (100, 1, 1), (100, 9, 2)];
    for (released_slots, transfer_count, max_transfers) in cases {
        let license = LicenseRules {
            allow_unlimited_activations: true,
            times_activated: 50,
            ..transfers(released_slots, transfer_count, max_transfers)
        };
        for (device, expected) in [
            (NEW, ActivationOutcome::NewDevice { transfer: false }),
            (INACTIVE, ActivationOutcome::Reactivate { transfer: false }),
        ] {
            assert_eq!(
                decide_activation(&license, device, false, now()),
                Ok(expected),
                "released={released_slots} transfers={transfer_count}/{max_transfers}"
            );
        }
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
