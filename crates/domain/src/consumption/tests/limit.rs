//! `Consumption::limit`: the most that may be consumed, overages included.

use super::*;

#[test]
fn limit_adds_overages_only_when_allowed() {
    // (max_consumptions, allow_overages, max_overages, expected)
    let cases = [
        (10, false, 0, 10),
        (10, false, 5, 10),
        (10, true, 0, 10),
        (10, true, 5, 15),
        (10, true, -5, 10), // a negative overage is none, not a lower limit
        (10, false, -5, 10),
        (0, true, 3, 3),
        (0, false, 3, 0),
        (i64::MAX, true, 5, i64::MAX), // saturates instead of overflowing
        (i64::MAX - 2, true, i64::MAX, i64::MAX),
        (5, true, i64::MAX, i64::MAX),
    ];
    for (max_consumptions, allow_overages, max_overages, expected) in cases {
        let consumption = Consumption {
            max_consumptions,
            allow_overages,
            max_overages,
            ..used(0)
        };
        assert_eq!(
            consumption.limit(),
            expected,
            "max={max_consumptions} overages={allow_overages}/{max_overages}"
        );
    }
}

#[test]
fn limit_ignores_unlimited_and_usage() {
    let cases = [
        unlimited(0),
        unlimited(50),
        refundable(3),
        used(10),
        used(11),
    ];
    for consumption in cases {
        assert_eq!(consumption.limit(), 10, "{consumption:?}");
    }
}
