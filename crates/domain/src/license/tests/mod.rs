//! Unit tests for the pure licensing rules in `license.rs`.
//!
//! Every test runs against the fixed clock `now()`; boundaries are stated as offsets of whole seconds
//! from it, so "expired at the exact second" really is the exact second.

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

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

/// A license every rule accepts: enabled, perpetual, not a trial, VMs allowed, no dates,
/// one device active out of three allowed. Tests change only the fields they are about,
/// with struct update syntax: `LicenseRules { enabled: false, ..rules() }`.
fn rules() -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::Perpetual,
        enabled: true,
        is_trial: false,
        prevent_vm: false,
        start_date: None,
        validity_period: None,
        grace_period_hours: 0,
        allow_grace_period: false,
        max_activations: 3,
        allow_unlimited_activations: false,
        times_activated: 1,
        released_slots: 0,
        transfer_count: 0,
        max_transfers: 0,
        user: None,
    }
}

/// A license valid until `now() + offset`, otherwise like `rules()`.
fn valid_until(offset: Duration) -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::TimeLimited,
        validity_period: Some(now() + offset),
        ..rules()
    }
}

/// A subscription whose validity period ended at `now() + offset`, with a 24 hour grace period.
fn subscription_until(offset: Duration, allow_grace_period: bool) -> LicenseRules {
    LicenseRules {
        license_type: LicenseType::Subscription,
        validity_period: Some(now() + offset),
        grace_period_hours: 24,
        allow_grace_period,
        ..rules()
    }
}

const NEW: Option<DeviceState> = None;
const ACTIVE: Option<DeviceState> = Some(DeviceState {
    active: true,
    blacklisted: false,
    released: false,
});
/// Deactivated by the vendor (a reset), not by itself: it gave no activation back to others.
const INACTIVE: Option<DeviceState> = Some(DeviceState {
    active: false,
    blacklisted: false,
    released: false,
});
/// Deactivated by itself, and no other device took its activation since.
const RELEASED: Option<DeviceState> = Some(DeviceState {
    active: false,
    blacklisted: false,
    released: true,
});
const BLACKLISTED: Option<DeviceState> = Some(DeviceState {
    active: false,
    blacklisted: true,
    released: false,
});
const BLACKLISTED_ACTIVE: Option<DeviceState> = Some(DeviceState {
    active: true,
    blacklisted: true,
    released: false,
});

const ALL_TYPES: [LicenseType; 4] = [
    LicenseType::Perpetual,
    LicenseType::TimeLimited,
    LicenseType::Subscription,
    LicenseType::Consumption,
];

/// Everything a `decide_*` call looks at, so precedence tests can fix one fault at a time.
#[derive(Debug, Clone)]
struct Request {
    license: LicenseRules,
    device: Option<DeviceState>,
    is_vm: bool,
}

impl Request {
    fn activate(&self) -> Result<ActivationOutcome, DomainError> {
        decide_activation(&self.license, self.device, self.is_vm, now())
    }

    fn check(&self) -> Result<(), DomainError> {
        decide_check(&self.license, self.device, self.is_vm, now())
    }
}

type Fix = fn(&mut Request);

// ---------------------------------------------------------------------------------------------
// Expiry cases shared by decide_activation and decide_check
// ---------------------------------------------------------------------------------------------

/// (name, license, expected expiry error at `now()`). Each boundary is given from both sides.
fn expiry_cases() -> Vec<(&'static str, LicenseRules, Option<DomainError>)> {
    let trial = |license: LicenseRules| LicenseRules {
        is_trial: true,
        ..license
    };
    let expired = Some(DomainError::LicenseExpired);
    let trial_expired = Some(DomainError::TrialExpired);
    vec![
        ("no validity period", rules(), None),
        ("validity 1s ahead", valid_until(secs(1)), None),
        ("validity == now", valid_until(secs(0)), expired.clone()),
        ("validity 1s ago", valid_until(secs(-1)), expired.clone()),
        ("trial 1s ahead", trial(valid_until(secs(1))), None),
        (
            "trial == now",
            trial(valid_until(secs(0))),
            trial_expired.clone(),
        ),
        (
            "trial 1s ago",
            trial(valid_until(secs(-1))),
            trial_expired.clone(),
        ),
        (
            "subscription in grace, last second",
            subscription_until(secs(1) - hours(24), true),
            None,
        ),
        (
            "subscription grace ends == now",
            subscription_until(-hours(24), true),
            expired.clone(),
        ),
        (
            "subscription, grace not allowed, validity == now",
            subscription_until(secs(0), false),
            expired.clone(),
        ),
        (
            "subscription, grace not allowed, 1h past",
            subscription_until(-hours(1), false),
            expired.clone(),
        ),
        (
            "time-limited gets no grace even when allowed",
            LicenseRules {
                allow_grace_period: true,
                grace_period_hours: 24,
                ..valid_until(-hours(1))
            },
            expired.clone(),
        ),
        (
            "trial subscription in grace",
            trial(subscription_until(-hours(1), true)),
            None,
        ),
        (
            "trial subscription after grace",
            trial(subscription_until(-hours(24), true)),
            trial_expired,
        ),
    ]
}

/// A license with room for one more device (2 of 3 active) with `released_slots` activations given
/// back by devices that deactivated themselves, which made `transfer_count` of at most
/// `max_transfers` transfers; the transfer and user-limit tests both start from it.
fn transfers(released_slots: i64, transfer_count: i64, max_transfers: i64) -> LicenseRules {
    LicenseRules {
        max_activations: 3,
        times_activated: 2,
        released_slots,
        transfer_count,
        max_transfers,
        ..rules()
    }
}

mod activation;
mod check;
mod deactivation;
mod license_type;
mod transfer_limits;
mod user_limits;
mod validity;
