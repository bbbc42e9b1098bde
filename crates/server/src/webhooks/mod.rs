//! Delivers the event log to vendors' webhook endpoints, in the background of `latch serve`, never
//! on a request's path. Each node polls for due deliveries (every 250 ms while idle, at once after a
//! busy round), claims a batch for a lease, sends it concurrently and records every attempt. A node
//! that dies leaves its claims to expire: another node, or this one after a restart, sends them
//! again (at least once; the `webhook-id` lets receivers drop the repeat).

mod client;
pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{DateTime, Utc};
use latch_service::config::WebhookSettings;
use latch_service::{Service, WebhookTargets};
use latch_store::{AttemptRecord, ClaimedDelivery, DeliveryVerdict, DisableReason, WebhookAttempt};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::StatusCode;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::client::{header_value, Answer, WebhookClient};
use crate::management::webhook_payload;
use crate::metrics::{Metrics, WebhookOutcome};

/// How often an idle node looks for due deliveries.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long a claim lasts: longer than a batch can take (attempts run at once, each at most 10 s),
/// short enough that a dead node's deliveries are taken over within a minute.
const CLAIM_LEASE: Duration = Duration::from_secs(30);
/// Deliveries claimed at once.
const BATCH: u32 = 32;
/// An endpoint whose deliveries have all failed for this long is disabled.
const DISABLE_FAILING_AFTER: chrono::Duration = chrono::Duration::days(3);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The running delivery task.
pub struct Webhooks {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Webhooks {
    /// Starts delivering in the background.
    pub fn start(
        service: Service,
        metrics: Arc<Metrics>,
        settings: WebhookSettings,
    ) -> anyhow::Result<Self> {
        let targets = WebhookTargets {
            allow_private: settings.allow_private,
        };
        let deliverer = Arc::new(Deliverer {
            client: WebhookClient::new(targets)?,
            service,
            metrics,
            retry_delays: settings.retry_delays.0,
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(deliverer.run(stopped));
        Ok(Self { stop, task })
    }

    /// Stops after the attempts under way (at most their 10 s timeout); what is left is claimed
    /// again after the lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(client::ATTEMPT_TIMEOUT + Duration::from_secs(2), self.task)
            .await
            .is_err()
        {
            tracing::warn!("webhook deliveries did not finish in time; they will be sent again");
        }
    }
}

struct Deliverer {
    client: WebhookClient,
    service: Service,
    metrics: Arc<Metrics>,
    retry_delays: Vec<Duration>,
}

impl Deliverer {
    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let lease = chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::MAX);
        loop {
            if *stopped.borrow() {
                return;
            }
            let claim = uuid::Uuid::new_v4().to_string();
            let claimed = self
                .service
                .store()
                .claim_webhook_deliveries(&claim, Utc::now(), lease, BATCH)
                .await;
            let busy = match claimed {
                Ok(batch) => {
                    let busy = !batch.is_empty();
                    self.clone().send_all(&claim, batch).await;
                    busy
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot claim webhook deliveries");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = stopped.changed() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        }
    }

    async fn send_all(self: Arc<Self>, claim: &str, batch: Vec<ClaimedDelivery>) {
        let mut attempts = tokio::task::JoinSet::new();
        for delivery in batch {
            let deliverer = self.clone();
            let claim = claim.to_owned();
            attempts.spawn(async move { deliverer.send(&claim, delivery).await });
        }
        while attempts.join_next().await.is_some() {}
    }

    /// One attempt at one delivery, recorded under the claim.
    async fn send(&self, claim: &str, delivery: ClaimedDelivery) {
        let started = Utc::now();
        let clock = std::time::Instant::now();
        let body = match &delivery.body {
            Some(body) => Ok(body.clone()),
            None => webhook_payload::envelope(&self.service, &delivery.event)
                .await
                .map(|envelope| envelope.to_string()),
        };
        let (body, answer) = match body {
            Ok(body) => {
                let headers = signed_headers(&delivery, &body, started.timestamp());
                let answer = self.client.post(&delivery.url, headers, body.clone()).await;
                (body, answer)
            }
            Err(error) => (
                String::new(),
                Answer {
                    error: Some(format!("cannot read the event's resources: {error}")),
                    ..Answer::default()
                },
            ),
        };
        let (verdict, disable) = judge(
            &self.retry_delays,
            delivery.attempts,
            delivery.failing_since,
            &answer,
            started,
        );
        self.metrics.webhook_attempt(match verdict {
            DeliveryVerdict::Delivered => WebhookOutcome::Delivered,
            DeliveryVerdict::RetryAt(_) => WebhookOutcome::Retried,
            DeliveryVerdict::Failed => WebhookOutcome::Failed,
        });
        let record = AttemptRecord {
            delivery_id: delivery.id,
            endpoint_id: delivery.endpoint_id,
            body: &body,
            attempt: WebhookAttempt {
                attempted_at: started,
                duration_ms: i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX),
                response_status: answer.status.map(|status| i64::from(status.as_u16())),
                response_body: answer.body,
                error: answer.error,
            },
            verdict,
            disable,
        };
        match self
            .service
            .store()
            .record_webhook_attempt(claim, &record, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery = delivery.id,
                "a webhook delivery's claim expired before its attempt was recorded"
            ),
            Err(error) => tracing::warn!(
                %error,
                delivery = delivery.id,
                "cannot record a webhook attempt; the delivery will be sent again"
            ),
        }
    }
}

/// What becomes of a delivery after an answer, given the attempts made before and the endpoint's
/// failing streak, and whether its endpoint is disabled.
fn judge(
    retry_delays: &[Duration],
    attempts_before: i64,
    failing_since: Option<DateTime<Utc>>,
    answer: &Answer,
    now: DateTime<Utc>,
) -> (DeliveryVerdict, Option<DisableReason>) {
    let status = answer.status.filter(|_| answer.error.is_none());
    if status.is_some_and(|status| status.is_success()) {
        return (DeliveryVerdict::Delivered, None);
    }
    if status == Some(StatusCode::GONE) {
        return (DeliveryVerdict::Failed, Some(DisableReason::Gone));
    }
    let failing_too_long = failing_since.is_some_and(|since| now - since >= DISABLE_FAILING_AFTER);
    let disable = failing_too_long.then_some(DisableReason::Failing);
    // The schedule holds the wait before each retry: after the first attempt, its first entry.
    let Some(delay) = usize::try_from(attempts_before)
        .ok()
        .and_then(|done| retry_delays.get(done))
    else {
        return (DeliveryVerdict::Failed, disable);
    };
    let asks_to_wait = matches!(
        status,
        Some(StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE)
    );
    let wait = match answer.retry_after.filter(|_| asks_to_wait) {
        Some(wait) => wait.min(MAX_RETRY_AFTER),
        None => jittered(*delay),
    };
    let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    (DeliveryVerdict::RetryAt(at), disable)
}

/// The delivery's headers: JSON, and both signature schemes over the same timestamp.
fn signed_headers(delivery: &ClaimedDelivery, body: &str, timestamp: i64) -> HeaderMap {
    let id = &delivery.event.id;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, header_value("application/json"));
    headers.insert("webhook-id", header_value(id));
    headers.insert("webhook-timestamp", header_value(&timestamp.to_string()));
    headers.insert(
        "webhook-signature",
        header_value(&signing::standard_signature(
            &delivery.secrets,
            id,
            timestamp,
            body,
        )),
    );
    headers.insert(
        signing::LICENSESPRING_SIGNATURE,
        header_value(&signing::licensespring_signature(
            &delivery.secrets,
            timestamp,
            body,
        )),
    );
    headers
}

/// `delay` stretched or shrunk by up to 10 %, so endpoints that failed together do not all retry
/// at the same moment.
fn jittered(delay: Duration) -> Duration {
    let mut bytes = [0u8; 4];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return delay;
    }
    let unit = f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX);
    delay.mul_f64(0.9 + 0.2 * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<u64>) -> Answer {
        Answer {
            status: Some(StatusCode::from_u16(status).unwrap()),
            body: Some(String::new()),
            retry_after: retry_after.map(Duration::from_secs),
            error: None,
        }
    }

    #[test]
    fn only_2xx_delivers_410_disables_and_the_schedule_ends_in_failure() {
        let delays = [1, 60].map(Duration::from_secs);
        let now = Utc::now();
        assert_eq!(
            judge(&delays, 0, None, &answer(204, None), now).0,
            DeliveryVerdict::Delivered
        );
        assert_eq!(
            judge(&delays, 0, None, &answer(410, None), now),
            (DeliveryVerdict::Failed, Some(DisableReason::Gone))
        );
        for status in [301, 400, 500] {
            assert!(matches!(
                judge(&delays, 0, None, &answer(status, None), now).0,
                DeliveryVerdict::RetryAt(_)
            ));
        }
        let DeliveryVerdict::RetryAt(at) = judge(&delays, 1, None, &answer(500, None), now).0
        else {
            panic!("a second retry is scheduled");
        };
        assert!(
            at >= now + chrono::Duration::seconds(54) && at <= now + chrono::Duration::seconds(66)
        );
        assert_eq!(
            judge(&delays, 2, None, &answer(500, None), now).0,
            DeliveryVerdict::Failed
        );
        let timeout = Answer {
            error: Some("timed out".into()),
            ..Answer::default()
        };
        assert!(matches!(
            judge(&delays, 0, None, &timeout, now).0,
            DeliveryVerdict::RetryAt(_)
        ));
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_only() {
        let delays = [Duration::from_secs(1)];
        let now = Utc::now();
        for status in [429, 503] {
            assert_eq!(
                judge(&delays, 0, None, &answer(status, Some(120)), now).0,
                DeliveryVerdict::RetryAt(now + chrono::Duration::seconds(120))
            );
        }
        let DeliveryVerdict::RetryAt(at) = judge(&delays, 0, None, &answer(500, Some(120)), now).0
        else {
            panic!("retried");
        };
        assert!(at < now + chrono::Duration::seconds(2));
    }

    #[test]
    fn an_endpoint_failing_for_days_is_disabled() {
        let delays = [Duration::from_secs(1)];
        let now = Utc::now();
        let recent = Some(now - chrono::Duration::hours(1));
        let long_ago = Some(now - chrono::Duration::days(4));
        assert_eq!(judge(&delays, 0, recent, &answer(500, None), now).1, None);
        assert_eq!(
            judge(&delays, 0, long_ago, &answer(500, None), now).1,
            Some(DisableReason::Failing)
        );
        assert_eq!(judge(&delays, 0, long_ago, &answer(200, None), now).1, None);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let delay = Duration::from_secs(100);
        for _ in 0..200 {
            let wait = jittered(delay);
            assert!(wait >= Duration::from_secs(90) && wait <= Duration::from_secs(110));
        }
    }
}
