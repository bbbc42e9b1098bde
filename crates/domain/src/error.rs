use chrono::{DateTime, Utc};

/// Every way a licensing rule can refuse a request. The API code for each lives in the server's error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("license is disabled")]
    LicenseNotEnabled,
    #[error("license is not active")]
    LicenseNotActive,
    #[error("license validity period has expired")]
    LicenseExpired,
    #[error("trial has expired")]
    TrialExpired,
    #[error("license cannot be activated before {0}")]
    LicenseStartDate(DateTime<Utc>),
    #[error("license has reached its maximum number of activations")]
    ActivatedMaxTimes,
    #[error("a device with this hardware id is already active on the license")]
    DeviceExists,
    #[error("device is blacklisted")]
    Blacklisted,
    #[error("virtual machines are not allowed")]
    VmNotAllowed,
    #[error("no active device with this hardware id on the license")]
    DeviceNotFound,
}
