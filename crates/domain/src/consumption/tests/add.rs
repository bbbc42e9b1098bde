//! `Consumption::add`: adding, refunding and refusing consumptions, with and without resets.

use super::*;

#[test]
fn add_without_reset() {
    use ConsumptionRefused::*;
    let ok = |total| Ok(counter(total, None));
    // (name, consumption, amount, expected)
    let cases = [
        // Within the limit of 10.
        ("first use", used(0), 1, ok(1)),
        ("within", used(3), 4, ok(7)),
        ("zero amount", used(3), 0, ok(3)),
        ("exactly at limit", used(7), 3, ok(10)),
        ("from zero to the limit", used(0), 10, ok(10)),
        ("one over", used(7), 4, Err(Exhausted)),
        ("one over from zero", used(0), 11, Err(Exhausted)),
        ("at limit, one more", used(10), 1, Err(Exhausted)),
        ("zero amount at limit", used(10), 0, ok(10)),
        ("zero amount above limit", used(12), 0, ok(12)),
        ("above limit, one more", used(12), 1, Err(Exhausted)),
        (
            "zero limit",
            Consumption {
                max_consumptions: 0,
                ..used(0)
            },
            1,
            Err(Exhausted),
        ),
        // Overages: up to max_consumptions + max_overages = 15.
        ("overage", with_overages(10, 5), 1, ok(11)),
        ("overage up to the end", with_overages(10, 5), 5, ok(15)),
        ("from zero into overage", with_overages(0, 5), 15, ok(15)),
        (
            "one over the overage",
            with_overages(10, 5),
            6,
            Err(Exhausted),
        ),
        ("overage used up", with_overages(15, 5), 1, Err(Exhausted)),
        ("zero overages", with_overages(10, 0), 1, Err(Exhausted)),
        (
            "negative overages",
            with_overages(10, -3),
            1,
            Err(Exhausted),
        ),
        (
            "overages not allowed",
            Consumption {
                max_overages: 5,
                ..used(10)
            },
            1,
            Err(Exhausted),
        ),
        // Unlimited ignores both the maximum and the overages.
        ("unlimited", unlimited(10), 1, ok(11)),
        (
            "unlimited far beyond",
            unlimited(1_000),
            1_000_000,
            ok(1_001_000),
        ),
        (
            "unlimited with overages",
            Consumption {
                allow_unlimited: true,
                ..with_overages(15, 5)
            },
            1,
            ok(16),
        ),
        // Refunds.
        ("refund not allowed", used(5), -1, Err(NegativeNotAllowed)),
        (
            "refund not allowed at zero",
            used(0),
            -1,
            Err(NegativeNotAllowed),
        ),
        (
            "unlimited does not allow refunds",
            unlimited(5),
            -1,
            Err(NegativeNotAllowed),
        ),
        ("refund", refundable(5), -1, ok(4)),
        ("refund to zero", refundable(5), -5, ok(0)),
        (
            "refund below zero",
            refundable(5),
            -6,
            Err(NegativeNotAllowed),
        ),
        (
            "refund from zero",
            refundable(0),
            -1,
            Err(NegativeNotAllowed),
        ),
        ("refund at limit", refundable(10), -3, ok(7)),
        (
            "refund from overage",
            Consumption {
                allow_negative: true,
                ..with_overages(15, 5)
            },
            -10,
            ok(5),
        ),
        ("refund above limit", refundable(12), -1, ok(11)),
        ("zero amount when refundable", refundable(5), 0, ok(5)),
        // Huge values saturate instead of overflowing.
        ("huge amount", used(5), i64::MAX, Err(Exhausted)),
        ("huge amount at limit", used(10), i64::MAX, Err(Exhausted)),
        ("unlimited saturates", unlimited(5), i64::MAX, ok(i64::MAX)),
        ("unlimited at max", unlimited(i64::MAX), 1, ok(i64::MAX)),
        (
            "huge refund",
            refundable(5),
            i64::MIN,
            Err(NegativeNotAllowed),
        ),
        (
            "huge refund of a huge total",
            refundable(i64::MAX),
            i64::MIN,
            Err(NegativeNotAllowed),
        ),
        (
            "refund of a huge total",
            Consumption {
                allow_negative: true,
                ..unlimited(i64::MAX)
            },
            -i64::MAX,
            ok(0),
        ),
    ];
    for (name, consumption, amount, expected) in cases {
        assert_eq!(
            consumption.add(amount, now()),
            expected,
            "{name}: {consumption:?} + {amount}"
        );
    }
}

#[test]
fn add_with_reset() {
    use ConsumptionPeriod::*;
    use ConsumptionRefused::*;
    let full_daily = |last| resetting(10, Daily, last);
    let full_monthly = |last| resetting(10, Monthly, last);
    // (name, consumption, amount, now, expected)
    let cases = [
        (
            "full, reset 1s away",
            full_daily(now() - days(1) + secs(1)),
            1,
            now(),
            Err(Exhausted),
        ),
        (
            "full, reset due now makes room",
            full_daily(now() - days(1)),
            1,
            now(),
            Ok(counter(1, Some(now()))),
        ),
        (
            "reset makes room for the whole limit",
            full_daily(now() - days(1)),
            10,
            now(),
            Ok(counter(10, Some(now()))),
        ),
        (
            "but not more",
            full_daily(now() - days(1)),
            11,
            now(),
            Err(Exhausted),
        ),
        (
            "many periods later",
            full_daily(now() - days(30) - secs(5)),
            4,
            now(),
            Ok(counter(4, Some(now() - secs(5)))),
        ),
        (
            "not due: total and last reset kept",
            resetting(3, Daily, now() - secs(1)),
            2,
            now(),
            Ok(counter(5, Some(now() - secs(1)))),
        ),
        (
            "refund right after a reset goes below zero",
            Consumption {
                allow_negative: true,
                ..full_daily(now() - days(1))
            },
            -1,
            now(),
            Err(NegativeNotAllowed),
        ),
        (
            "refund before the reset",
            Consumption {
                allow_negative: true,
                ..full_daily(now() - days(1) + secs(1))
            },
            -1,
            now(),
            Ok(counter(9, Some(now() - days(1) + secs(1)))),
        ),
        (
            "monthly, Jan 31 -> Feb 29, 1s before",
            full_monthly(day(2024, 1, 31)),
            1,
            day(2024, 2, 29) - secs(1),
            Err(Exhausted),
        ),
        (
            "monthly, Jan 31 -> Feb 29, at the boundary",
            full_monthly(day(2024, 1, 31)),
            1,
            day(2024, 2, 29),
            Ok(counter(1, Some(day(2024, 2, 29)))),
        ),
        (
            "monthly, Jan 31 -> Feb 28 in a common year",
            full_monthly(day(2023, 1, 31)),
            1,
            day(2023, 2, 28),
            Ok(counter(1, Some(day(2023, 2, 28)))),
        ),
        (
            "weekly, at the boundary",
            resetting(10, Weekly, now() - days(7)),
            1,
            now(),
            Ok(counter(1, Some(now()))),
        ),
        (
            "annually, 1ms before",
            resetting(10, Annually, at(2023, 6, 15, 12, 0, 0)),
            1,
            now() - ms(1),
            Err(Exhausted),
        ),
        (
            "annually, at the boundary",
            resetting(10, Annually, day(2023, 6, 15) + Duration::hours(12)),
            1,
            now(),
            Ok(counter(1, Some(now()))),
        ),
        (
            "overages after a reset",
            Consumption {
                reset: Some((Daily, now() - days(1))),
                ..with_overages(15, 5)
            },
            15,
            now(),
            Ok(counter(15, Some(now()))),
        ),
        (
            "clock behind the last reset",
            resetting(10, Daily, now() + days(2)),
            1,
            now(),
            Err(Exhausted),
        ),
    ];
    for (name, consumption, amount, when, expected) in cases {
        assert_eq!(
            consumption.add(amount, when),
            expected,
            "{name}: {consumption:?} + {amount}"
        );
    }
}

#[test]
fn add_does_not_reset_without_a_reset_policy() {
    for when in [now(), now() + days(10_000)] {
        assert_eq!(
            used(10).add(1, when),
            Err(ConsumptionRefused::Exhausted),
            "{when}"
        );
    }
}
