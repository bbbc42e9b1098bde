//! `decide_activation`: transfers to new devices.

use super::*;

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
