//! `Consumption::current`: the counter as of a time, after the resets due by then.

use super::*;

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
