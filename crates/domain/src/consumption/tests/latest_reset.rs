//! `ConsumptionPeriod::latest_reset`: the last reset boundary not after now.

use super::*;

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
