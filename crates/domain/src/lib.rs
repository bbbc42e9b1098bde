//! Licensing rules as pure functions: no I/O, no clock, no randomness.
//! Every decision takes the current time as a parameter so each boundary can be tested to the second.

mod error;
mod license;

pub use error::DomainError;
pub use license::{
    decide_activation, decide_check, decide_deactivation, decide_device_use, ActivationOutcome,
    DeviceState, LicenseRules, LicenseType, ParseLicenseTypeError,
};
