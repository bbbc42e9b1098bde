//! `FloatingPolicy::take_seat`: taking or renewing a floating seat.

use super::*;

#[test]
fn take_seat() {
    let lease_end = Ok(now() + minutes(30));
    let full = Err(DomainError::FloatingNotAvailable);
    // (name, users, this device's seat, held_by_others, expected)
    let cases = [
        // Free seats: anyone gets one.
        ("empty", 2, NO_SEAT, 0, lease_end.clone()),
        ("one free", 2, NO_SEAT, 1, lease_end.clone()),
        ("one seat, free", 1, NO_SEAT, 0, lease_end.clone()),
        (
            "expired lease, one free",
            2,
            lease(secs(0)),
            1,
            lease_end.clone(),
        ),
        // Full: only a device that holds a seat may renew it.
        ("full", 2, NO_SEAT, 2, full.clone()),
        ("over-full", 2, NO_SEAT, 5, full.clone()),
        ("one seat, taken", 1, NO_SEAT, 1, full.clone()),
        ("no seats at all", 0, NO_SEAT, 0, full.clone()),
        ("negative seats", -1, NO_SEAT, 0, full.clone()),
        (
            "full, own lease ended at this second",
            2,
            lease(secs(0)),
            2,
            full.clone(),
        ),
        (
            "full, own lease ended 1s ago",
            2,
            lease(secs(-1)),
            2,
            full.clone(),
        ),
        (
            "full, own borrow ended at this second",
            2,
            borrow(secs(0)),
            2,
            full.clone(),
        ),
        (
            "full, holding a lease for 1s more",
            2,
            lease(secs(1)),
            2,
            lease_end.clone(),
        ),
        (
            "full, holding a lease for 1ms more",
            2,
            lease(ms(1)),
            2,
            lease_end.clone(),
        ),
        (
            "over-full, holding a lease",
            2,
            lease(minutes(10)),
            5,
            lease_end.clone(),
        ),
        (
            "full, holding a borrow",
            2,
            borrow(hours(5)),
            2,
            lease_end.clone(),
        ),
        (
            "full, lease over but borrow on",
            2,
            both(secs(-1), secs(1)),
            2,
            lease_end.clone(),
        ),
        (
            "no seats, holding one",
            0,
            lease(secs(1)),
            0,
            lease_end.clone(),
        ),
        // Renewal always gives a fresh full lease, even shorter than the one held.
        ("renewing a longer lease", 2, lease(hours(2)), 0, lease_end),
    ];
    for (name, users, seat, held_by_others, expected) in cases {
        let policy = FloatingPolicy { users, ..policy() };
        assert_eq!(
            policy.take_seat(seat, held_by_others, now()),
            expected,
            "{name}: users={users} others={held_by_others} {seat:?}"
        );
    }
}

/// The caller counts other devices with `Seat::is_held`: expired leases and borrows of other
/// devices free their seats without anyone releasing them.
#[test]
fn take_seat_with_others_counted_by_is_held() {
    let others = [
        lease(secs(1)),   // held
        borrow(hours(3)), // held
        lease(secs(0)),   // lease ended at this second
        lease(-hours(1)), // lease ended long ago
        borrow(secs(0)),  // borrow ended at this second
        both(secs(-1), secs(-1)),
        NO_SEAT,
    ];
    let held_by_others = others.iter().filter(|s| s.is_held(now())).count() as i64;
    assert_eq!(held_by_others, 2);
    // (users, expected)
    let cases = [
        (3, Ok(now() + minutes(30))),
        (7, Ok(now() + minutes(30))),
        (2, Err(DomainError::FloatingNotAvailable)),
        (1, Err(DomainError::FloatingNotAvailable)),
    ];
    for (users, expected) in cases {
        let policy = FloatingPolicy { users, ..policy() };
        assert_eq!(
            policy.take_seat(NO_SEAT, held_by_others, now()),
            expected,
            "users={users}"
        );
    }
}

#[test]
fn take_seat_lease_ends_timeout_minutes_from_now() {
    // (timeout_minutes, expected lease end)
    let cases = [
        (30, now() + minutes(30)),
        (1, now() + minutes(1)),
        (0, now()),
        (-10, now()),
        (1_000_000_000_000, MAX),
        (i64::MAX, MAX),
    ];
    for (timeout_minutes, expected) in cases {
        let policy = FloatingPolicy {
            timeout_minutes,
            ..policy()
        };
        for (seat, others) in [(NO_SEAT, 0), (lease(secs(1)), 2)] {
            assert_eq!(
                policy.take_seat(seat, others, now()),
                Ok(expected),
                "timeout={timeout_minutes} {seat:?}"
            );
        }
    }
}
