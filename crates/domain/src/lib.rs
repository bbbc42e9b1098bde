//! Licensing rules as pure functions: no I/O, no clock, no randomness.
//! Every decision takes the current time as a parameter so each boundary can be tested to the second.

mod consumption;
mod error;
mod floating;
mod license;

pub use consumption::{
    Consumption, ConsumptionPeriod, ConsumptionRefused, Counter, ParsePeriodError,
};
pub use error::DomainError;
pub use floating::{FloatingPolicy, Seat, SeatRequest};
pub use license::{
    decide_activation, decide_check, decide_consumption_use, decide_deactivation,
    decide_device_use, ActivationOutcome, DeviceState, LicenseRules, LicenseType,
    ParseLicenseTypeError, UserActivations,
};
