use chrono::{DateTime, Utc};

/// Every way a licensing rule can refuse a request. The API code for each lives in the server's error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("The license is not enabled")]
    LicenseNotEnabled,
    #[error("The license is not active")]
    LicenseNotActive,
    #[error("License validity period has expired")]
    LicenseExpired,
    #[error("Trial period has expired")]
    TrialExpired,
    #[error("This license cannot be activated before start date: {0}")]
    LicenseStartDate(DateTime<Utc>),
    #[error("This license key has already been activated the maximum number of times")]
    ActivatedMaxTimes,
    #[error("A device matching this hardware_id is already created on the license.")]
    DeviceExists,
    #[error("This device is blacklisted")]
    Blacklisted,
    #[error("Virtual machine not allowed")]
    VmNotAllowed,
    #[error("An active device matching the hardware_id not found")]
    DeviceNotFound,
}
