//! Unit tests for the consumption rules in `consumption.rs`.
//!
//! Every test runs against the fixed clock `now()` or against explicit calendar instants built with
//! `at(..)`; boundaries are checked from both sides, to the second and to the millisecond.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The fixed "current time" of every test that does not name its own instant.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 15, 12, 0, 0).unwrap()
}

/// A UTC instant on the calendar.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// Midnight UTC of a calendar day.
fn day(y: i32, mo: u32, d: u32) -> DateTime<Utc> {
    at(y, mo, d, 0, 0, 0)
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

const MAX: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

const ALL_PERIODS: [ConsumptionPeriod; 4] = [
    ConsumptionPeriod::Daily,
    ConsumptionPeriod::Weekly,
    ConsumptionPeriod::Monthly,
    ConsumptionPeriod::Annually,
];

/// Last resets that exercise every kind of calendar edge: an ordinary day, month ends of short
/// and long months, leap days, year ends, and instants with a time of day and milliseconds.
fn anchors() -> Vec<DateTime<Utc>> {
    vec![
        now(),
        day(2023, 1, 31),
        at(2024, 1, 31, 23, 59, 59),
        day(2024, 2, 29),
        day(2023, 3, 31),
        at(2023, 12, 31, 18, 30, 0),
        day(2100, 1, 31),
        at(2024, 5, 31, 7, 8, 9) + ms(250),
    ]
}

/// A counter every rule accepts: 10 allowed, none used, no overages, refunds or resets.
/// Tests change only the fields they are about: `Consumption { allow_negative: true, ..used(5) }`.
fn used(total_consumptions: i64) -> Consumption {
    Consumption {
        max_consumptions: 10,
        total_consumptions,
        allow_unlimited: false,
        allow_negative: false,
        allow_overages: false,
        max_overages: 0,
        reset: None,
    }
}

/// Like `used`, with overages allowed up to `max_overages` beyond the 10 allowed.
fn with_overages(total_consumptions: i64, max_overages: i64) -> Consumption {
    Consumption {
        allow_overages: true,
        max_overages,
        ..used(total_consumptions)
    }
}

/// Like `used`, with refunds allowed.
fn refundable(total_consumptions: i64) -> Consumption {
    Consumption {
        allow_negative: true,
        ..used(total_consumptions)
    }
}

/// Like `used`, with no limit at all.
fn unlimited(total_consumptions: i64) -> Consumption {
    Consumption {
        allow_unlimited: true,
        ..used(total_consumptions)
    }
}

/// Like `used`, reset every `period`, last reset at `last_reset`.
fn resetting(
    total_consumptions: i64,
    period: ConsumptionPeriod,
    last_reset: DateTime<Utc>,
) -> Consumption {
    Consumption {
        reset: Some((period, last_reset)),
        ..used(total_consumptions)
    }
}

fn counter(total: i64, last_reset: Option<DateTime<Utc>>) -> Counter {
    Counter { total, last_reset }
}

// ---------------------------------------------------------------------------------------------
// ConsumptionPeriod: wire spelling
// ---------------------------------------------------------------------------------------------

#[test]
fn period_wire_spelling() {
    let cases = [
        (ConsumptionPeriod::Daily, "daily"),
        (ConsumptionPeriod::Weekly, "weekly"),
        (ConsumptionPeriod::Monthly, "monthly"),
        (ConsumptionPeriod::Annually, "annually"),
    ];
    for (period, wire) in cases {
        assert_eq!(period.as_str(), wire);
        assert_eq!(period.to_string(), wire, "Display must match as_str");
        assert_eq!(wire.parse::<ConsumptionPeriod>(), Ok(period));
    }
}

#[test]
fn period_round_trips_through_as_str() {
    for period in ALL_PERIODS {
        assert_eq!(period.as_str().parse(), Ok(period));
        assert_eq!(period.to_string().parse(), Ok(period));
    }
}

#[test]
fn period_parse_rejects_anything_else_and_keeps_the_input() {
    let bad = [
        "",
        "Daily",
        "DAILY",
        "day",
        "weekly ",
        " monthly",
        "month",
        "yearly",
        "annual",
        "annually\n",
        "hourly",
    ];
    for input in bad {
        let err = input.parse::<ConsumptionPeriod>().unwrap_err();
        assert_eq!(err, ParsePeriodError(input.to_owned()));
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "message {err} should quote the input {input:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ConsumptionPeriod::after
// ---------------------------------------------------------------------------------------------

#[test]
fn after_adds_one_period() {
    use ConsumptionPeriod::*;
    // (period, from, expected)
    let cases = [
        // Daily and weekly are fixed lengths, across month, year and leap-day boundaries.
        (Daily, now(), now() + days(1)),
        (Daily, day(2024, 2, 28), day(2024, 2, 29)),
        (Daily, day(2023, 2, 28), day(2023, 3, 1)),
        (Daily, day(2024, 2, 29), day(2024, 3, 1)),
        (
            Daily,
            at(2023, 12, 31, 23, 59, 59),
            at(2024, 1, 1, 23, 59, 59),
        ),
        (Weekly, now(), now() + days(7)),
        (Weekly, day(2024, 2, 26), day(2024, 3, 4)),
        (Weekly, day(2023, 2, 26), day(2023, 3, 5)),
        (Weekly, day(2023, 12, 28), day(2024, 1, 4)),
        // Monthly: same day next month, clamped to the month's last day.
        (Monthly, now(), at(2024, 7, 15, 12, 0, 0)),
        (Monthly, day(2023, 1, 31), day(2023, 2, 28)),
        (Monthly, day(2024, 1, 31), day(2024, 2, 29)),
        (Monthly, day(2024, 1, 30), day(2024, 2, 29)),
        (Monthly, day(2024, 1, 29), day(2024, 2, 29)),
        (Monthly, day(2023, 1, 29), day(2023, 2, 28)),
        (Monthly, day(2024, 1, 28), day(2024, 2, 28)),
        (Monthly, day(2000, 1, 31), day(2000, 2, 29)), // divisible by 400: leap
        (Monthly, day(2100, 1, 31), day(2100, 2, 28)), // divisible by 100 only: not leap
        (Monthly, day(2024, 2, 29), day(2024, 3, 29)),
        (Monthly, day(2024, 3, 31), day(2024, 4, 30)),
        (Monthly, day(2024, 5, 31), day(2024, 6, 30)),
        (Monthly, day(2024, 8, 31), day(2024, 9, 30)),
        (Monthly, day(2024, 4, 30), day(2024, 5, 30)),
        (Monthly, day(2023, 12, 31), day(2024, 1, 31)),
        (
            Monthly,
            at(2023, 12, 15, 23, 59, 59),
            at(2024, 1, 15, 23, 59, 59),
        ),
        // Annually: same date next year; Feb 29 becomes Feb 28.
        (Annually, now(), at(2025, 6, 15, 12, 0, 0)),
        (Annually, day(2024, 2, 29), day(2025, 2, 28)),
        (Annually, day(2023, 2, 28), day(2024, 2, 28)),
        (Annually, day(2023, 3, 1), day(2024, 3, 1)),
        (Annually, day(2099, 2, 28), day(2100, 2, 28)),
        (
            Annually,
            at(2023, 12, 31, 23, 59, 59),
            at(2024, 12, 31, 23, 59, 59),
        ),
    ];
    for (period, from, expected) in cases {
        assert_eq!(period.after(from), expected, "{period} after {from}");
    }
}

#[test]
fn after_keeps_the_time_of_day_to_the_millisecond() {
    let offset = Duration::hours(13) + Duration::minutes(45) + secs(30) + ms(500);
    let cases = [
        (ConsumptionPeriod::Daily, day(2024, 2, 29)),
        (ConsumptionPeriod::Weekly, day(2024, 2, 29)),
        (ConsumptionPeriod::Monthly, day(2024, 2, 29)),
        (ConsumptionPeriod::Monthly, day(2024, 3, 31)), // clamped to Apr 30
        (ConsumptionPeriod::Annually, day(2024, 2, 29)), // clamped to Feb 28 2025
    ];
    for (period, midnight) in cases {
        let next = period.after(midnight + offset);
        let next_midnight = period.after(midnight);
        assert_eq!(next, next_midnight + offset, "{period} from {midnight}");
    }
}

#[test]
fn after_is_always_later_for_representable_instants() {
    for period in ALL_PERIODS {
        for from in anchors() {
            assert!(period.after(from) > from, "{period} after {from}");
        }
    }
}

#[test]
fn after_saturates_at_the_latest_representable_instant() {
    for period in ALL_PERIODS {
        for from in [MAX, MAX - secs(1), MAX - ms(1), MAX - days(1) + ms(1)] {
            assert_eq!(period.after(from), MAX, "{period} after {from}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ConsumptionPeriod::latest_reset
// ---------------------------------------------------------------------------------------------

/// For each period and calendar edge: before the next boundary nothing reset; from the exact
/// boundary on, the boundary is the latest reset, up to the boundary after it.
#[test]
fn latest_reset_at_exact_period_boundaries() {
    for period in ALL_PERIODS {
        for last in anchors() {
            let first = period.after(last);
            let second = period.after(first);
            // (now, expected latest reset)
            let cases = [
                (last, last),
                (last + ms(1), last),
                (first - secs(1), last),
                (first - ms(1), last),
                (first, first),
                (first + ms(1), first),
                (first + secs(1), first),
                (second - ms(1), first),
                (second, second),
            ];
            for (now, expected) in cases {
                assert_eq!(
                    period.latest_reset(last, now),
                    expected,
                    "{period}: last reset {last}, now {now}"
                );
            }
        }
    }
}

#[test]
fn latest_reset_is_last_reset_when_now_is_not_after_it() {
    for period in ALL_PERIODS {
        for last in anchors() {
            for now in [last, last - ms(1), last - secs(1), last - days(400)] {
                assert_eq!(
                    period.latest_reset(last, now),
                    last,
                    "{period}: last reset {last}, now {now}"
                );
            }
        }
    }
}

#[test]
fn latest_reset_after_many_periods() {
    use ConsumptionPeriod::*;
    // (period, last reset, now, expected)
    let cases = [
        (Daily, day(2020, 1, 1), now(), day(2024, 6, 15)),
        (Daily, day(2020, 1, 1), now() - ms(1), day(2024, 6, 15)),
        (
            Daily,
            at(2020, 1, 1, 12, 0, 0),
            now() - ms(1),
            day(2024, 6, 14) + Duration::hours(12),
        ),
        (
            Daily,
            at(2020, 1, 1, 12, 0, 0) + ms(1),
            now(),
            at(2024, 6, 14, 12, 0, 0) + ms(1),
        ),
        // 2020-01-01 is a Wednesday; 1627 days later is 232 weeks and 3 days.
        (Weekly, day(2020, 1, 1), now(), day(2024, 6, 12)),
        (Weekly, day(2024, 6, 8), now(), day(2024, 6, 15)),
        (
            Weekly,
            at(2024, 6, 8, 12, 0, 0) + ms(1),
            now(),
            at(2024, 6, 8, 12, 0, 0) + ms(1),
        ),
        (Monthly, day(2020, 1, 1), now(), day(2024, 6, 1)),
        (
            Monthly,
            day(1970, 1, 15),
            now(),
            now() - Duration::hours(12),
        ),
        (
            Monthly,
            day(1970, 1, 15),
            now() - Duration::hours(12) - ms(1),
            day(2024, 5, 15),
        ),
        (Annually, day(2020, 1, 1), now(), day(2024, 1, 1)),
        (Annually, day(1970, 6, 15), now(), day(2024, 6, 15)),
        (
            Annually,
            at(1970, 6, 15, 12, 0, 1),
            now(),
            at(2023, 6, 15, 12, 0, 1),
        ),
        // Every reset is one period after the previous one: once a month end was clamped, the
        // next resets follow the clamped day (Jan 31 -> Feb 29 -> Mar 29 -> Apr 29).
        (
            Monthly,
            day(2024, 1, 31),
            day(2024, 3, 28),
            day(2024, 2, 29),
        ),
        (
            Monthly,
            day(2024, 1, 31),
            day(2024, 3, 29),
            day(2024, 3, 29),
        ),
        (
            Monthly,
            day(2024, 1, 31),
            day(2024, 4, 30),
            day(2024, 4, 29),
        ),
        (
            Annually,
            day(2024, 2, 29),
            day(2028, 2, 29),
            day(2028, 2, 28),
        ),
        // A very long gap still terminates and lands on a period boundary.
        (
            Daily,
            day(1, 1, 1),
            day(9999, 12, 31) + ms(1),
            day(9999, 12, 31),
        ),
        (
            Weekly,
            day(2001, 1, 1),
            day(9999, 12, 31),
            day(9999, 12, 27),
        ),
        (
            Monthly,
            day(1, 1, 31),
            day(9999, 12, 31) - ms(1),
            day(9999, 12, 28),
        ),
        (Annually, day(1, 1, 1), day(9999, 12, 31), day(9999, 1, 1)),
    ];
    for (period, last, now, expected) in cases {
        assert_eq!(
            period.latest_reset(last, now),
            expected,
            "{period}: last reset {last}, now {now}"
        );
    }
}

/// The latest reset is on the chain `last, after(last), after(after(last)), ..`, at or before
/// `now`, and the next link is after `now`.
#[test]
fn latest_reset_is_the_last_boundary_not_after_now() {
    let offsets = [
        ms(1),
        secs(1),
        days(1),
        days(6),
        days(29),
        days(31),
        days(365),
        days(1461),
    ];
    for period in ALL_PERIODS {
        for last in anchors() {
            for offset in offsets {
                let now = last + offset;
                let latest = period.latest_reset(last, now);
                assert!(latest >= last && latest <= now, "{period}: {last} .. {now}");
                assert!(period.after(latest) > now, "{period}: {last} .. {now}");
                let mut link = last;
                while link < latest {
                    link = period.after(link);
                }
                assert_eq!(
                    link, latest,
                    "{period}: {last} .. {now} is not on the chain"
                );
            }
        }
    }
}

/// Storing an intermediate reset must not change later answers: checking the counter on some day
/// in between (and saving that reset) gives the same latest reset as not checking at all.
#[test]
fn latest_reset_does_not_depend_on_intermediate_checks() {
    let offsets = [days(0), days(1), days(13), days(30), days(59), days(400)];
    for period in ALL_PERIODS {
        for last in anchors() {
            for early in offsets {
                for late in offsets {
                    let (t1, t2) = (last + early, last + early + late);
                    let stored = period.latest_reset(last, t1);
                    assert_eq!(
                        period.latest_reset(stored, t2),
                        period.latest_reset(last, t2),
                        "{period}: last reset {last}, checked at {t1} then {t2}"
                    );
                }
            }
        }
    }
}

#[test]
fn latest_reset_terminates_at_the_end_of_time() {
    for period in ALL_PERIODS {
        for last in [MAX - days(10), MAX - days(400)] {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(period.latest_reset(last, MAX));
            });
            let latest = rx
                .recv_timeout(std::time::Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{period}: latest_reset({last}, MAX) does not return"));
            assert!(latest >= last && latest <= MAX, "{period}: {latest}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Consumption::current
// ---------------------------------------------------------------------------------------------

#[test]
fn current_without_reset_is_the_stored_total_at_any_time() {
    for when in [now(), day(1970, 1, 1), day(9999, 12, 31), MAX] {
        for total in [0, 7, 10, 15] {
            assert_eq!(
                used(total).current(when),
                counter(total, None),
                "{total} at {when}"
            );
        }
    }
}

#[test]
fn current_resets_from_the_exact_boundary() {
    use ConsumptionPeriod::*;
    // (period, last reset, now, expected counter)
    let cases = [
        (
            Daily,
            now() - days(1) + secs(1),
            now(),
            counter(7, Some(now() - days(1) + secs(1))),
        ),
        (
            Daily,
            now() - days(1) + ms(1),
            now(),
            counter(7, Some(now() - days(1) + ms(1))),
        ),
        (Daily, now() - days(1), now(), counter(0, Some(now()))),
        (
            Daily,
            now() - days(3) - secs(1),
            now(),
            counter(0, Some(now() - secs(1))),
        ),
        (
            Weekly,
            now() - days(7) + secs(1),
            now(),
            counter(7, Some(now() - days(7) + secs(1))),
        ),
        (Weekly, now() - days(7), now(), counter(0, Some(now()))),
        (
            Weekly,
            now() - days(15),
            now(),
            counter(0, Some(now() - days(1))),
        ),
        (
            Monthly,
            day(2024, 1, 31),
            day(2024, 2, 29) - secs(1),
            counter(7, Some(day(2024, 1, 31))),
        ),
        (
            Monthly,
            day(2024, 1, 31),
            day(2024, 2, 29),
            counter(0, Some(day(2024, 2, 29))),
        ),
        (
            Monthly,
            day(2023, 1, 31),
            day(2023, 2, 28) - ms(1),
            counter(7, Some(day(2023, 1, 31))),
        ),
        (
            Monthly,
            day(2023, 1, 31),
            day(2023, 2, 28),
            counter(0, Some(day(2023, 2, 28))),
        ),
        (
            Monthly,
            day(2023, 1, 31),
            now(),
            counter(0, Some(day(2024, 5, 28))),
        ),
        (
            Annually,
            day(2024, 2, 29),
            day(2025, 2, 28) - secs(1),
            counter(7, Some(day(2024, 2, 29))),
        ),
        (
            Annually,
            day(2024, 2, 29),
            day(2025, 2, 28),
            counter(0, Some(day(2025, 2, 28))),
        ),
        // A clock behind the last reset never resets.
        (
            Daily,
            now() + secs(1),
            now(),
            counter(7, Some(now() + secs(1))),
        ),
        (
            Annually,
            now() + days(800),
            now(),
            counter(7, Some(now() + days(800))),
        ),
    ];
    for (period, last, now, expected) in cases {
        assert_eq!(
            resetting(7, period, last).current(now),
            expected,
            "{period}: last reset {last}, now {now}"
        );
    }
}

#[test]
fn current_after_a_reset_is_zero_even_for_totals_over_the_limit() {
    for total in [0, 1, 10, 15, i64::MAX] {
        let consumption = resetting(total, ConsumptionPeriod::Daily, now() - days(1));
        assert_eq!(
            consumption.current(now()),
            counter(0, Some(now())),
            "{total}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Consumption::limit
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Consumption::add
// ---------------------------------------------------------------------------------------------

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
