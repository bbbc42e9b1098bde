//! Unit tests for the floating seat rules in `floating.rs`.
//!
//! Every test runs against the fixed clock `now()`; leases and borrows are stated as offsets of
//! whole seconds (or a millisecond, where it matters) from it.

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

fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

const MAX: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

/// Two seats, 30 minute leases, borrowing allowed for up to 24 hours. Tests change only the
/// fields they are about: `FloatingPolicy { users: 0, ..policy() }`.
fn policy() -> FloatingPolicy {
    FloatingPolicy {
        users: 2,
        timeout_minutes: 30,
        can_borrow: true,
        max_borrow_hours: 24,
    }
}

/// A seat whose lease ends at `now() + offset`.
fn lease(offset: Duration) -> Seat {
    Seat {
        floating_until: Some(now() + offset),
        borrowed_until: None,
    }
}

/// A seat borrowed until `now() + offset`.
fn borrow(offset: Duration) -> Seat {
    Seat {
        floating_until: None,
        borrowed_until: Some(now() + offset),
    }
}

/// A seat with both a lease and a borrow.
fn both(lease_offset: Duration, borrow_offset: Duration) -> Seat {
    Seat {
        floating_until: Some(now() + lease_offset),
        borrowed_until: Some(now() + borrow_offset),
    }
}

const NO_SEAT: Seat = Seat {
    floating_until: None,
    borrowed_until: None,
};

// ---------------------------------------------------------------------------------------------
// Seat::is_held / is_borrowed
// ---------------------------------------------------------------------------------------------

#[test]
fn seat_is_held_while_a_lease_or_borrow_ends_after_now() {
    // (name, seat, is_held, is_borrowed)
    let cases = [
        ("no seat", NO_SEAT, false, false),
        ("default", Seat::default(), false, false),
        ("lease ends in 1s", lease(secs(1)), true, false),
        ("lease ends in 1ms", lease(ms(1)), true, false),
        ("lease ends now", lease(secs(0)), false, false),
        ("lease ended 1ms ago", lease(-ms(1)), false, false),
        ("lease ended 1s ago", lease(secs(-1)), false, false),
        ("borrow ends in 1s", borrow(secs(1)), true, true),
        ("borrow ends in 1ms", borrow(ms(1)), true, true),
        ("borrow ends now", borrow(secs(0)), false, false),
        ("borrow ended 1s ago", borrow(secs(-1)), false, false),
        ("lease over, borrow on", both(secs(0), secs(1)), true, true),
        ("lease on, borrow over", both(secs(1), secs(0)), true, false),
        ("both on", both(secs(1), hours(24)), true, true),
        (
            "both over at this second",
            both(secs(0), secs(0)),
            false,
            false,
        ),
        ("both over", both(secs(-1), -hours(1)), false, false),
    ];
    for (name, seat, held, borrowed) in cases {
        assert_eq!(seat.is_held(now()), held, "{name}: is_held");
        assert_eq!(seat.is_borrowed(now()), borrowed, "{name}: is_borrowed");
    }
}

#[test]
fn seat_at_the_far_end_of_time() {
    let forever = Seat {
        floating_until: Some(MAX),
        borrowed_until: Some(MAX),
    };
    assert!(forever.is_held(MAX - ms(1)));
    assert!(forever.is_borrowed(MAX - ms(1)));
    assert!(!forever.is_held(MAX));
    assert!(!forever.is_borrowed(MAX));
}

// ---------------------------------------------------------------------------------------------
// FloatingPolicy::lease_end
// ---------------------------------------------------------------------------------------------

#[test]
fn lease_end_is_now_plus_timeout_minutes() {
    // (timeout_minutes, expected)
    let cases = [
        (30, now() + minutes(30)),
        (1, now() + minutes(1)),
        (0, now()),
        (-1, now()), // a negative timeout is no lease, not one in the past
        (i64::MIN, now()),
        (24 * 60, now() + hours(24)),
        (10_000_000_000, now() + minutes(10_000_000_000)), // ~19,000 years: still representable
        (1_000_000_000_000, MAX), // a valid duration, but past the last representable instant
        (i64::MAX / 60_000, MAX), // the longest duration chrono can represent
        (i64::MAX / 60_000 + 1, MAX), // not a valid duration at all
        (i64::MAX, MAX),
    ];
    for (timeout_minutes, expected) in cases {
        let policy = FloatingPolicy {
            timeout_minutes,
            ..policy()
        };
        assert_eq!(
            policy.lease_end(now()),
            expected,
            "timeout={timeout_minutes}"
        );
    }
}

#[test]
fn lease_end_saturates_near_the_end_of_time() {
    for when in [MAX, MAX - minutes(30) + ms(1)] {
        assert_eq!(policy().lease_end(when), MAX, "{when}");
    }
    assert_eq!(policy().lease_end(MAX - minutes(30)), MAX);
}

// ---------------------------------------------------------------------------------------------
// FloatingPolicy::take_seat
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// FloatingPolicy::borrow_until
// ---------------------------------------------------------------------------------------------

#[test]
fn borrow_until() {
    let no_borrow = FloatingPolicy {
        can_borrow: false,
        ..policy()
    };
    let max_hours = |max_borrow_hours| FloatingPolicy {
        max_borrow_hours,
        ..policy()
    };
    let invalid = Err(DomainError::BorrowUntilNotValid);
    let not_allowed = Err(DomainError::BorrowNotAllowed);
    let ask = |offset: Duration| Some(now() + offset);
    // (name, policy, requested, expected)
    let cases = [
        // Borrowing not allowed: refused whatever is asked.
        (
            "not allowed, as long as possible",
            no_borrow,
            None,
            not_allowed.clone(),
        ),
        (
            "not allowed, valid request",
            no_borrow,
            ask(hours(1)),
            not_allowed.clone(),
        ),
        (
            "not allowed, past request",
            no_borrow,
            ask(secs(-1)),
            not_allowed.clone(),
        ),
        (
            "not allowed, too long",
            no_borrow,
            ask(hours(48)),
            not_allowed,
        ),
        // As long as allowed.
        ("longest", policy(), None, Ok(now() + hours(24))),
        (
            "longest of 1 hour",
            max_hours(1),
            None,
            Ok(now() + hours(1)),
        ),
        // Explicit end: after now and at most max_borrow_hours away.
        (
            "exactly the maximum",
            policy(),
            ask(hours(24)),
            Ok(now() + hours(24)),
        ),
        (
            "1s under the maximum",
            policy(),
            ask(hours(24) - secs(1)),
            Ok(now() + hours(24) - secs(1)),
        ),
        (
            "1s over the maximum",
            policy(),
            ask(hours(24) + secs(1)),
            invalid.clone(),
        ),
        (
            "1ms over the maximum",
            policy(),
            ask(hours(24) + ms(1)),
            invalid.clone(),
        ),
        (
            "far over the maximum",
            policy(),
            ask(hours(24 * 365)),
            invalid.clone(),
        ),
        ("1s from now", policy(), ask(secs(1)), Ok(now() + secs(1))),
        ("1ms from now", policy(), ask(ms(1)), Ok(now() + ms(1))),
        ("now", policy(), ask(secs(0)), invalid.clone()),
        ("1s ago", policy(), ask(secs(-1)), invalid.clone()),
        ("a day ago", policy(), ask(-hours(24)), invalid.clone()),
        // No borrow time at all: nothing is both after now and within it.
        ("max 0, longest", max_hours(0), None, invalid.clone()),
        ("max 0, 1s", max_hours(0), ask(secs(1)), invalid.clone()),
        (
            "max negative, longest",
            max_hours(-5),
            None,
            invalid.clone(),
        ),
        (
            "max negative, 1s",
            max_hours(-5),
            ask(secs(1)),
            invalid.clone(),
        ),
        // Huge maxima saturate at the last representable instant instead of overflowing.
        ("huge max, longest", max_hours(i64::MAX), None, Ok(MAX)),
        (
            "huge max, a year",
            max_hours(i64::MAX),
            ask(hours(24 * 365)),
            Ok(now() + hours(24 * 365)),
        ),
        (
            "huge max, the end of time",
            max_hours(i64::MAX),
            Some(MAX),
            Ok(MAX),
        ),
        (
            "huge max, still not the past",
            max_hours(i64::MAX),
            ask(secs(0)),
            invalid.clone(),
        ),
        (
            "valid duration past the end of time",
            max_hours(1_000_000_000_000),
            None,
            Ok(MAX),
        ),
        (
            "max beyond any duration",
            max_hours(i64::MAX / 3_600_000 + 1),
            None,
            Ok(MAX),
        ),
        (
            "10,000 years",
            max_hours(24 * 365 * 10_000),
            ask(hours(24)),
            Ok(now() + hours(24)),
        ),
    ];
    for (name, policy, requested, expected) in cases {
        assert_eq!(
            policy.borrow_until(requested, now()),
            expected,
            "{name}: {policy:?} requested {requested:?}"
        );
    }
}

/// Borrowing looks at the lease length not at all, and at seats only to know the license floats.
#[test]
fn borrow_until_ignores_lease_length() {
    for timeout_minutes in [0, i64::MAX] {
        let policy = FloatingPolicy {
            timeout_minutes,
            ..policy()
        };
        assert_eq!(
            policy.borrow_until(None, now()),
            Ok(now() + hours(24)),
            "{policy:?}"
        );
    }
}

/// A policy without seats is not floating: there is nothing to borrow.
#[test]
fn borrow_needs_a_floating_seat() {
    for users in [0, -1] {
        let policy = FloatingPolicy { users, ..policy() };
        assert_eq!(
            policy.borrow_until(None, now()),
            Err(DomainError::BorrowNotAllowed),
            "{policy:?}"
        );
    }
}
