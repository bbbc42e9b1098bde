//! What a valid license, license feature and product code are: pure checks and defaults, no I/O.

use chrono::{DateTime, Utc};
use latch_domain::{ConsumptionPeriod, CustomerId, LicenseType};
use latch_store::{AuthorizationMethod, ConsumptionColumns, FloatingColumns, NewLicense, Product};
use serde_json::Value;

use crate::{ServiceError, ServiceResult};

/// Everything a vendor chooses when issuing a license; [`Default`] is a perpetual license for one device.
#[derive(Debug, Clone)]
pub struct LicenseTerms {
    pub license_type: LicenseType,
    /// The key of a key-based license; generated when absent. User-based licenses have none.
    pub key: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    /// No activation before this date.
    pub start_date: Option<DateTime<Utc>>,
    /// Hours a subscription keeps working after its validity ends.
    pub grace_period: Option<i64>,
    pub maintenance_until: Option<DateTime<Utc>>,
    pub max_activations: i64,
    pub unlimited_activations: bool,
    /// Transfers allowed (0: no limit).
    pub max_transfers: i64,
    pub enabled: bool,
    pub prevent_vm: bool,
    pub trial: bool,
    /// The customer holding the license (e-mail).
    pub customer: Option<String>,
    /// Most license users (user-based licenses; 0: no limit).
    pub max_license_users: i64,
    pub metadata: Option<String>,
    pub consumption: ConsumptionTerms,
    pub floating: FloatingTerms,
}

impl Default for LicenseTerms {
    fn default() -> Self {
        Self {
            license_type: LicenseType::Perpetual,
            key: None,
            valid_until: None,
            start_date: None,
            grace_period: None,
            maintenance_until: None,
            max_activations: 1,
            unlimited_activations: false,
            max_transfers: 0,
            enabled: true,
            prevent_vm: false,
            trial: false,
            customer: None,
            max_license_users: 0,
            metadata: None,
            consumption: ConsumptionTerms::default(),
            floating: FloatingTerms::default(),
        }
    }
}

/// Consumption limits of a license or a license feature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumptionTerms {
    pub max_consumptions: i64,
    pub unlimited_consumptions: bool,
    /// Allow negative consumptions (refunds).
    pub allow_negative_consumptions: bool,
    /// Consumptions allowed beyond the maximum (overages are on when above 0).
    pub max_overages: i64,
    /// Reset the counter every period.
    pub consumption_period: Option<ConsumptionPeriod>,
}

/// Floating (cloud) settings of a license or a license feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatingTerms {
    /// Floating when set: at most this many devices hold it at once.
    pub floating_users: Option<i64>,
    /// Minutes a device keeps its seat after its last check.
    pub floating_timeout: i64,
    /// Hours a device may borrow its seat (0: no borrowing).
    pub max_borrow_time: i64,
}

impl Default for FloatingTerms {
    fn default() -> Self {
        Self {
            floating_users: None,
            floating_timeout: 30,
            max_borrow_time: 0,
        }
    }
}

fn not_negative(field: &'static str, value: i64) -> ServiceResult<()> {
    if value < 0 {
        return Err(ServiceError::invalid(field, "must not be negative"));
    }
    Ok(())
}

impl ConsumptionTerms {
    pub fn columns(&self) -> ServiceResult<ConsumptionColumns> {
        not_negative("max_consumptions", self.max_consumptions)?;
        not_negative("max_overages", self.max_overages)?;
        Ok(ConsumptionColumns {
            max_consumptions: self.max_consumptions,
            allow_unlimited_consumptions: self.unlimited_consumptions,
            allow_negative_consumptions: self.allow_negative_consumptions,
            allow_overages: self.max_overages > 0,
            max_overages: self.max_overages,
            reset_consumption: self.consumption_period.is_some(),
            consumption_period: self.consumption_period,
            ..ConsumptionColumns::default()
        })
    }
}

impl FloatingTerms {
    pub fn columns(&self) -> ServiceResult<FloatingColumns> {
        if self.floating_users.is_some_and(|users| users < 1) {
            return Err(ServiceError::invalid(
                "floating_users",
                "must be at least 1",
            ));
        }
        if self.floating_timeout < 1 {
            return Err(ServiceError::invalid(
                "floating_timeout",
                "must be at least 1 minute",
            ));
        }
        not_negative("max_borrow_time", self.max_borrow_time)?;
        let floating = self.floating_users.is_some();
        Ok(FloatingColumns {
            is_floating_cloud: floating,
            floating_users: self.floating_users.unwrap_or(0),
            floating_timeout: if floating { self.floating_timeout } else { 0 },
            can_borrow: self.max_borrow_time > 0,
            max_borrow_time: self.max_borrow_time,
        })
    }
}

impl LicenseTerms {
    /// The license to store for `product`, or the first term that is not acceptable. `generate_key`
    /// is called only when a key-based license has no key of its own.
    pub fn new_license(
        self,
        product: &Product,
        customer_id: Option<CustomerId>,
        generate_key: impl FnOnce() -> ServiceResult<String>,
    ) -> ServiceResult<NewLicense> {
        not_negative("max_activations", self.max_activations)?;
        not_negative("max_transfers", self.max_transfers)?;
        not_negative("max_license_users", self.max_license_users)?;
        if let Some(hours) = self.grace_period {
            not_negative("grace_period", hours)?;
        }
        match (self.license_type, self.valid_until) {
            (LicenseType::Perpetual, Some(_)) => {
                return Err(ServiceError::invalid(
                    "validity_period",
                    "a perpetual license has no end of validity",
                ))
            }
            (LicenseType::TimeLimited | LicenseType::Subscription, None) => {
                return Err(ServiceError::invalid(
                    "validity_period",
                    format!("a {} license needs an end of validity", self.license_type),
                ))
            }
            _ => {}
        }
        let license_key = match (product.authorization_method, self.key) {
            (AuthorizationMethod::User, Some(_)) => {
                return Err(ServiceError::invalid(
                    "license_key",
                    "licenses of a user-based product have no key",
                ))
            }
            (AuthorizationMethod::User, None) => None,
            (AuthorizationMethod::LicenseKey, Some(key)) => {
                if key.trim().is_empty() || key.len() > 256 {
                    return Err(ServiceError::invalid(
                        "license_key",
                        "must have 1 to 256 characters",
                    ));
                }
                Some(key)
            }
            (AuthorizationMethod::LicenseKey, None) => Some(generate_key()?),
        };
        let metadata = match self.metadata {
            Some(text) => validate_metadata(&text)?,
            None => "{}".to_owned(),
        };
        Ok(NewLicense {
            company_id: product.company_id,
            product_id: product.id,
            customer_id,
            license_key,
            license_type: self.license_type,
            enabled: self.enabled,
            is_trial: self.trial,
            prevent_vm: self.prevent_vm,
            start_date: self.start_date,
            validity_period: self.valid_until,
            grace_period: self.grace_period.unwrap_or(0),
            allow_grace_period: self.grace_period.is_some(),
            maintenance_period: self.maintenance_until,
            max_activations: self.max_activations,
            allow_unlimited_activations: self.unlimited_activations,
            max_transfers: self.max_transfers,
            max_license_users: self.max_license_users,
            floating: self.floating.columns()?,
            consumption: self.consumption.columns()?,
            metadata,
        })
    }
}

/// A product or feature code: what the SDKs send, so it must be short and not blank.
pub(crate) fn require_code(field: &'static str, code: &str) -> ServiceResult<()> {
    if code.trim().is_empty() || code.len() > 128 {
        return Err(ServiceError::invalid(
            field,
            "must have 1 to 128 characters",
        ));
    }
    Ok(())
}

/// Metadata: a JSON object whose keys JavaScript keeps in order (no integer-like keys), so signed
/// bodies survive the Node SDK's re-serialization. Returns it compactly serialized.
pub fn validate_metadata(text: &str) -> ServiceResult<String> {
    let invalid = |message: String| ServiceError::invalid("metadata", message);
    let parsed: Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("is not JSON: {e}")))?;
    let Value::Object(map) = &parsed else {
        return Err(invalid("must be a JSON object".into()));
    };
    if let Some(key) = map.keys().find(|k| k.parse::<u32>().is_ok()) {
        return Err(invalid(format!(
            "key {key:?} looks like an array index; use a non-numeric key"
        )));
    }
    Ok(parsed.to_string())
}

/// A length of time as the Management API writes one: a count and `d` (days), `m` (months) or
/// `y` (years), e.g. `35d`, `4m`, `2y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermLength {
    count: u32,
    unit: char,
}

impl TermLength {
    pub fn parse(field: &'static str, text: &str) -> ServiceResult<Self> {
        let invalid = || {
            ServiceError::invalid(
                field,
                "must be a count and d, m or y (days, months, years), e.g. 30d",
            )
        };
        let text = text.trim();
        let unit = text.chars().last().ok_or_else(invalid)?;
        if !matches!(unit, 'd' | 'm' | 'y') {
            return Err(invalid());
        }
        let count = text[..text.len() - 1]
            .parse::<u32>()
            .map_err(|_| invalid())?;
        Ok(Self { count, unit })
    }

    /// The moment this long after `from`; `None` beyond the calendar.
    pub fn after(self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.unit {
            'd' => from.checked_add_signed(chrono::Duration::days(i64::from(self.count))),
            'm' => from.checked_add_months(chrono::Months::new(self.count)),
            _ => from.checked_add_months(chrono::Months::new(self.count.checked_mul(12)?)),
        }
    }
}

#[cfg(test)]
mod tests;
