//! `FloatingPolicy::borrow_until`: how long a seat may be borrowed.

use super::*;

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
