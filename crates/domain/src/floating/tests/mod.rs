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

mod borrow_until;
mod lease_end;
mod seat;
mod take_seat;
