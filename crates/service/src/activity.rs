//! What the dashboard's overview charts: activations and checks per UTC day, and the License API's
//! recent refusals by code.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use latch_store::RefusalTotal;

use crate::{ServiceResult, Tenant};

/// One count per day, oldest first, days without any included as 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyActivity {
    pub days: Vec<NaiveDate>,
    pub activations: Vec<i64>,
    pub checks: Vec<i64>,
}

impl Tenant<'_> {
    /// The last `days` days (today included) of activations, from the event log, and of checks,
    /// from the hourly check counts.
    pub async fn daily_activity(&self, days: u32) -> ServiceResult<DailyActivity> {
        let today = Utc::now().date_naive();
        let first = today - Duration::days(i64::from(days.max(1)) - 1);
        let since = first.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let activations = self
            .store
            .daily_events(self.company_id(), "license.activated", since)
            .await?;
        let checks = self.store.daily_checks(self.company_id(), since).await?;
        let days: Vec<NaiveDate> = first.iter_days().take_while(|day| *day <= today).collect();
        let epoch_day = |day: &NaiveDate| {
            day.signed_duration_since(DateTime::UNIX_EPOCH.date_naive())
                .num_days()
        };
        let on = |counts: &[(i64, i64)]| -> Vec<i64> {
            days.iter()
                .map(|day| {
                    let wanted = epoch_day(day);
                    counts
                        .iter()
                        .find(|(day, _)| *day == wanted)
                        .map_or(0, |(_, count)| *count)
                })
                .collect()
        };
        Ok(DailyActivity {
            activations: on(&activations),
            checks: on(&checks),
            days,
        })
    }

    /// The License API's refusals of the last `days` days (counted by started hour), one total per
    /// code, most frequent first.
    pub async fn recent_refusals(&self, days: i64) -> ServiceResult<Vec<RefusalTotal>> {
        Ok(self
            .store
            .refusals_by_code(self.company_id(), Utc::now() - Duration::days(days))
            .await?)
    }
}
