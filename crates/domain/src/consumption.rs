//! Consumption counters (licenses and features): limits, overages, refunds and periodic resets.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, Utc};

/// How often a consumption counter starts again from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumptionPeriod {
    Daily,
    Weekly,
    Monthly,
    Annually,
}

impl ConsumptionPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumptionPeriod::Daily => "daily",
            ConsumptionPeriod::Weekly => "weekly",
            ConsumptionPeriod::Monthly => "monthly",
            ConsumptionPeriod::Annually => "annually",
        }
    }

    /// The first reset after `from`: one period later (calendar months and years; a month end is
    /// clamped, so Jan 31 + 1 month is Feb 28/29).
    pub fn after(self, from: DateTime<Utc>) -> DateTime<Utc> {
        let next = match self {
            ConsumptionPeriod::Daily => from.checked_add_signed(Duration::days(1)),
            ConsumptionPeriod::Weekly => from.checked_add_signed(Duration::weeks(1)),
            ConsumptionPeriod::Monthly => from.checked_add_months(Months::new(1)),
            ConsumptionPeriod::Annually => from.checked_add_months(Months::new(12)),
        };
        next.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The latest reset instant at or before `now`, counting whole periods from `last_reset`.
    pub fn latest_reset(self, last_reset: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        let fixed = match self {
            ConsumptionPeriod::Daily => Some(Duration::days(1)),
            ConsumptionPeriod::Weekly => Some(Duration::weeks(1)),
            ConsumptionPeriod::Monthly | ConsumptionPeriod::Annually => None,
        };
        if now <= last_reset {
            return last_reset;
        }
        if let Some(step) = fixed {
            let periods = (now - last_reset).num_milliseconds() / step.num_milliseconds();
            return last_reset + step * periods as i32;
        }
        let mut reset = last_reset;
        loop {
            let next = self.after(reset);
            // `after` saturates at the end of time: stop there too.
            if next > now || next <= reset {
                return reset;
            }
            reset = next;
        }
    }
}

impl fmt::Display for ConsumptionPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown consumption period {0:?} (expected daily, weekly, monthly or annually)")]
pub struct ParsePeriodError(pub String);

impl FromStr for ConsumptionPeriod {
    type Err = ParsePeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "daily" => Ok(ConsumptionPeriod::Daily),
            "weekly" => Ok(ConsumptionPeriod::Weekly),
            "monthly" => Ok(ConsumptionPeriod::Monthly),
            "annually" => Ok(ConsumptionPeriod::Annually),
            other => Err(ParsePeriodError(other.to_owned())),
        }
    }
}

/// A consumption counter and its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumption {
    pub max_consumptions: i64,
    pub total_consumptions: i64,
    pub allow_unlimited: bool,
    pub allow_negative: bool,
    pub allow_overages: bool,
    pub max_overages: i64,
    /// Periodic reset: the period and when the counter last started from zero.
    pub reset: Option<(ConsumptionPeriod, DateTime<Utc>)>,
}

/// Why a consumption was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumptionRefused {
    Exhausted,
    NegativeNotAllowed,
}

/// The counter after a reset check or an accepted consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub total: i64,
    pub last_reset: Option<DateTime<Utc>>,
}

impl Consumption {
    /// The counter as of `now`: zero again when a reset period has passed since the last reset.
    pub fn current(&self, now: DateTime<Utc>) -> Counter {
        match self.reset {
            Some((period, last_reset)) => {
                let latest = period.latest_reset(last_reset, now);
                Counter {
                    total: if latest > last_reset {
                        0
                    } else {
                        self.total_consumptions
                    },
                    last_reset: Some(latest),
                }
            }
            None => Counter {
                total: self.total_consumptions,
                last_reset: None,
            },
        }
    }

    /// The most the counter may reach: the maximum plus any allowed overage.
    pub fn limit(&self) -> i64 {
        let overage = if self.allow_overages {
            self.max_overages.max(0)
        } else {
            0
        };
        self.max_consumptions.saturating_add(overage)
    }

    /// Adds `amount` (negative: a refund) at `now`.
    pub fn add(&self, amount: i64, now: DateTime<Utc>) -> Result<Counter, ConsumptionRefused> {
        let current = self.current(now);
        let total = current.total.saturating_add(amount);
        if amount < 0 && (!self.allow_negative || total < 0) {
            return Err(ConsumptionRefused::NegativeNotAllowed);
        }
        if amount > 0 && !self.allow_unlimited && total > self.limit() {
            return Err(ConsumptionRefused::Exhausted);
        }
        Ok(Counter { total, ..current })
    }
}

#[cfg(test)]
mod tests;
