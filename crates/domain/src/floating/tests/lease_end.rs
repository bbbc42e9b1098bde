//! `FloatingPolicy::lease_end`: when a floating lease ends.

use super::*;

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
