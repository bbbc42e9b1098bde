//! Licensing rules as pure functions: no I/O, no clock, no randomness.
//! Every decision takes the current time as a parameter so each boundary can be tested to the second.

mod consumption;
mod email;
mod error;
mod floating;
mod ids;
mod license;

pub use consumption::{
    Consumption, ConsumptionPeriod, ConsumptionRefused, Counter, ParsePeriodError,
};
pub use email::{Email, InvalidEmail};
pub use error::DomainError;
pub use floating::{FloatingPolicy, Seat, SeatRequest};
pub use ids::{
    kind, CompanyId, CustomerAccountId, CustomerId, DeviceId, Id, LicenseFeatureId, LicenseId,
    LicenseUserId, ProductFeatureId, ProductId, ReleaseId,
};
pub use license::{
    decide_activation, decide_check, decide_consumption_use, decide_deactivation,
    decide_device_use, ActivationOutcome, DeviceState, LicenseRules, LicenseType,
    ParseLicenseTypeError, UserActivations,
};
