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

mod add;
mod current;
mod latest_reset;
mod limit;
mod period_after;
mod period_spelling;
