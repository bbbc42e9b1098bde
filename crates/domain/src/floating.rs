//! Floating (cloud) seats: a device holds a seat while its lease or borrow lasts; expired leases are
//! simply not counted, so seats come back without any background job.

use chrono::{DateTime, Duration, Utc};

use crate::DomainError;

/// A license's or feature's floating settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatingPolicy {
    /// Seats: devices that may hold the license at once.
    pub users: i64,
    /// Lease length in minutes; every check renews it.
    pub timeout_minutes: i64,
    pub can_borrow: bool,
    /// Longest borrow, in hours.
    pub max_borrow_hours: i64,
}

/// One device's hold on a seat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seat {
    pub floating_until: Option<DateTime<Utc>>,
    pub borrowed_until: Option<DateTime<Utc>>,
}

impl Seat {
    /// Holding a seat means a lease or a borrow that ends after `now`.
    pub fn is_held(&self, now: DateTime<Utc>) -> bool {
        self.floating_until.is_some_and(|t| t > now) || self.is_borrowed(now)
    }

    pub fn is_borrowed(&self, now: DateTime<Utc>) -> bool {
        self.borrowed_until.is_some_and(|t| t > now)
    }
}

impl FloatingPolicy {
    pub fn lease_end(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        Duration::try_minutes(self.timeout_minutes.max(0))
            .and_then(|lease| now.checked_add_signed(lease))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Takes or renews this device's seat: returns the new lease end.
    /// `held_by_others` counts the other devices holding a seat now.
    pub fn take_seat(
        &self,
        seat: Seat,
        held_by_others: i64,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        if !seat.is_held(now) && held_by_others >= self.users {
            return Err(DomainError::FloatingNotAvailable);
        }
        Ok(self.lease_end(now))
    }

    /// When a borrow asked for `requested` (None: as long as allowed) would end.
    pub fn borrow_until(
        &self,
        requested: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DomainError> {
        // Only a floating seat can be borrowed: a policy without seats has nothing to lend.
        if !self.can_borrow || self.users <= 0 {
            return Err(DomainError::BorrowNotAllowed);
        }
        let longest = Duration::try_hours(self.max_borrow_hours.max(0))
            .and_then(|limit| now.checked_add_signed(limit))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let until = requested.unwrap_or(longest);
        if until <= now || until > longest {
            return Err(DomainError::BorrowUntilNotValid);
        }
        Ok(until)
    }
}

/// What a device asks of a floating seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatRequest {
    /// Take or renew a lease of `timeout_minutes`.
    Lease,
    /// Borrow the seat until the given time (None: as long as allowed).
    Borrow { until: Option<DateTime<Utc>> },
}

impl FloatingPolicy {
    /// The seat a request ends with, or why it cannot have one. A borrow is judged before the seat, so
    /// a bad date is reported even when no seat is free.
    pub fn decide(
        &self,
        seat: Seat,
        held_by_others: i64,
        request: SeatRequest,
        now: DateTime<Utc>,
    ) -> Result<Seat, DomainError> {
        let borrowed_until = match request {
            SeatRequest::Lease => seat.borrowed_until.filter(|until| *until > now),
            SeatRequest::Borrow { until } => Some(self.borrow_until(until, now)?),
        };
        Ok(Seat {
            floating_until: Some(self.take_seat(seat, held_by_others, now)?),
            borrowed_until,
        })
    }
}

#[cfg(test)]
mod tests;
