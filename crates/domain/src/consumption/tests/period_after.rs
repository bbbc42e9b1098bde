//! `ConsumptionPeriod::after`: one period later.

use super::*;

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
