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
    #[error("License user has activated this license max times")]
    UserActivatedMaxTimes,
    #[error("This license has already been transferred the maximum number of times")]
    TransferredMaxTimes,
    #[error("A device matching this hardware_id is already created on the license.")]
    DeviceExists,
    #[error("This device is blacklisted")]
    Blacklisted,
    #[error("Virtual machine not allowed")]
    VmNotAllowed,
    #[error("An active device matching the hardware_id not found")]
    DeviceNotFound,
    #[error("License is not a consumption license")]
    LicenseNotConsumption,
    #[error("Not enough consumptions left")]
    NotEnoughConsumptions,
    #[error("Feature is not a consumption feature")]
    FeatureNotConsumption,
    #[error("Not enough feature consumptions left")]
    FeatureNotEnoughConsumptions,
    #[error("Negative consumptions are not allowed (or would bring the total below zero)")]
    NegativeConsumptionsNotAllowed,
    #[error("No available slots for floating license")]
    FloatingNotAvailable,
    #[error("Borrowing is not allowed for this license")]
    BorrowNotAllowed,
    #[error("borrowed_until must be in the future and within max_borrow_time hours")]
    BorrowUntilNotValid,
    #[error("Feature is not floating")]
    FeatureNotFloating,
    #[error("This device does not hold the floating feature")]
    FloatingFeatureDeviceNotInUse,
}
