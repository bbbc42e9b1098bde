use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use crate::DomainError;

/// How long a license lasts. Spelled on the wire exactly as `as_str` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseType {
    Perpetual,
    TimeLimited,
    Subscription,
    Consumption,
}

impl LicenseType {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseType::Perpetual => "perpetual",
            LicenseType::TimeLimited => "time-limited",
            LicenseType::Subscription => "subscription",
            LicenseType::Consumption => "consumption",
        }
    }
}

impl fmt::Display for LicenseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown license type {0:?} (expected perpetual, time-limited, subscription or consumption)"
)]
pub struct ParseLicenseTypeError(pub String);

impl FromStr for LicenseType {
    type Err = ParseLicenseTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "perpetual" => Ok(LicenseType::Perpetual),
            "time-limited" => Ok(LicenseType::TimeLimited),
            "subscription" => Ok(LicenseType::Subscription),
            "consumption" => Ok(LicenseType::Consumption),
            other => Err(ParseLicenseTypeError(other.to_owned())),
        }
    }
}

/// The part of a license that the activation, check and deactivation rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseRules {
    pub license_type: LicenseType,
    pub enabled: bool,
    pub is_trial: bool,
    pub prevent_vm: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub validity_period: Option<DateTime<Utc>>,
    /// Hours a subscription keeps working after `validity_period`, when `allow_grace_period` is set.
    pub grace_period_hours: i64,
    pub allow_grace_period: bool,
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    /// Devices currently active on the license.
    pub times_activated: i64,
    /// Activations given back by devices that deactivated themselves and not taken again since:
    /// another device activating takes one of them, a transfer.
    pub released_slots: i64,
    pub transfer_count: i64,
    /// Most transfers allowed; 0 means no limit.
    pub max_transfers: i64,
    /// The license user's own limit, on user-based licenses.
    pub user: Option<UserActivations>,
}

/// A license user's activations of one license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserActivations {
    pub max_activations: i64,
    pub allow_unlimited_activations: bool,
    pub total_activations: i64,
}

impl LicenseRules {
    /// The instant after which the license no longer works: validity plus any grace period.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        let validity = self.validity_period?;
        let grace_hours =
            if self.allow_grace_period && self.license_type == LicenseType::Subscription {
                self.grace_period_hours.max(0)
            } else {
                0
            };
        // A grace period too long to represent never ends.
        Some(
            Duration::try_hours(grace_hours)
                .and_then(|grace| validity.checked_add_signed(grace))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// Expired from the expiry instant on: at `expires_at` itself the license is already expired.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at().is_some_and(|end| now >= end)
    }

    /// A license is active while at least one device holds it.
    pub fn is_active(&self) -> bool {
        self.times_activated > 0
    }

    fn has_free_activation(&self) -> bool {
        self.allow_unlimited_activations || self.times_activated < self.max_activations
    }

    fn user_has_free_activation(&self) -> bool {
        self.user.is_none_or(|u| {
            u.allow_unlimited_activations || u.total_activations < u.max_activations
        })
    }

    /// Would this device take an activation another device gave back? Not when it takes back its
    /// own, and never with unlimited activations, where nothing is given back to be taken.
    fn is_transfer(&self, device: Option<DeviceState>) -> bool {
        !self.allow_unlimited_activations
            && !device.is_some_and(|d| d.released)
            && self.released_slots > 0
    }

    fn may_transfer(&self) -> bool {
        self.max_transfers <= 0 || self.transfer_count < self.max_transfers
    }

    fn expired_error(&self) -> DomainError {
        if self.is_trial {
            DomainError::TrialExpired
        } else {
            DomainError::LicenseExpired
        }
    }
}

/// What the store knows about this hardware id on this license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceState {
    pub active: bool,
    pub blacklisted: bool,
    /// The device deactivated itself and no other device has taken its activation since.
    pub released: bool,
}

/// What an accepted activation has to do; `transfer` when the activation it takes was given back
/// by another device (deactivated on one device, then activated on another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationOutcome {
    /// The device is new to the license: create it and take an activation.
    NewDevice { transfer: bool },
    /// The device was deactivated before: mark it active again and take an activation.
    Reactivate { transfer: bool },
}

impl ActivationOutcome {
    pub fn is_transfer(self) -> bool {
        match self {
            ActivationOutcome::NewDevice { transfer }
            | ActivationOutcome::Reactivate { transfer } => transfer,
        }
    }
}

/// May this device activate the license now?
pub fn decide_activation(
    license: &LicenseRules,
    device: Option<DeviceState>,
    is_vm: bool,
    now: DateTime<Utc>,
) -> Result<ActivationOutcome, DomainError> {
    if !license.enabled {
        return Err(DomainError::LicenseNotEnabled);
    }
    if device.is_some_and(|d| d.blacklisted) {
        return Err(DomainError::Blacklisted);
    }
    if is_vm && license.prevent_vm {
        return Err(DomainError::VmNotAllowed);
    }
    if let Some(start) = license.start_date {
        if now < start {
            return Err(DomainError::LicenseStartDate(start));
        }
    }
    if license.is_expired(now) {
        return Err(license.expired_error());
    }
    if device.is_some_and(|d| d.active) {
        // The hardware id already holds an activation: the client must deactivate first.
        return Err(DomainError::DeviceExists);
    }
    if !license.has_free_activation() {
        return Err(DomainError::ActivatedMaxTimes);
    }
    if !license.user_has_free_activation() {
        return Err(DomainError::UserActivatedMaxTimes);
    }
    let transfer = license.is_transfer(device);
    if transfer && !license.may_transfer() {
        return Err(DomainError::TransferredMaxTimes);
    }
    Ok(match device {
        Some(_) => ActivationOutcome::Reactivate { transfer },
        None => ActivationOutcome::NewDevice { transfer },
    })
}

/// May this device use the license at all (send variables, read them)? Time limits are not looked at.
pub fn decide_device_use(
    license: &LicenseRules,
    device: Option<DeviceState>,
) -> Result<(), DomainError> {
    if !license.enabled {
        return Err(DomainError::LicenseNotEnabled);
    }
    if device.is_some_and(|d| d.blacklisted) {
        return Err(DomainError::Blacklisted);
    }
    if !license.is_active() {
        return Err(DomainError::LicenseNotActive);
    }
    if !device.is_some_and(|d| d.active) {
        return Err(DomainError::DeviceNotFound);
    }
    Ok(())
}

/// May this device change the license's consumption counter?
pub fn decide_consumption_use(
    license: &LicenseRules,
    device: Option<DeviceState>,
) -> Result<(), DomainError> {
    decide_device_use(license, device)?;
    if license.license_type != LicenseType::Consumption {
        return Err(DomainError::LicenseNotConsumption);
    }
    Ok(())
}

/// Does this device hold a working license now?
pub fn decide_check(
    license: &LicenseRules,
    device: Option<DeviceState>,
    is_vm: bool,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    decide_device_use(license, device)?;
    if is_vm && license.prevent_vm {
        return Err(DomainError::VmNotAllowed);
    }
    if license.is_expired(now) {
        return Err(license.expired_error());
    }
    Ok(())
}

/// May this device give its activation back? Expired licenses may still be deactivated.
pub fn decide_deactivation(
    license: &LicenseRules,
    device: Option<DeviceState>,
) -> Result<(), DomainError> {
    if !license.enabled {
        return Err(DomainError::LicenseNotEnabled);
    }
    match device {
        Some(d) if d.blacklisted => Err(DomainError::Blacklisted),
        Some(d) if d.active => Ok(()),
        _ => Err(DomainError::DeviceNotFound),
    }
}

#[cfg(test)]
mod tests;
