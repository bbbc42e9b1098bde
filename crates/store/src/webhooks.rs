//! Webhook endpoints, their deliveries (the outbox of the event log) and the attempts to send them.

use chrono::{DateTime, Utc};
use latch_domain::CompanyId;
use secrecy::SecretString;

use crate::Event;

/// Where a company's events are sent, as vendors see it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub company_id: CompanyId,
    pub url: String,
    pub description: String,
    /// Subscribed event names and patterns (`license.*`, `*`).
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why Latch disabled it, when it did: `gone` (the receiver answered 410) or `failing`.
    pub disabled_reason: Option<String>,
    /// Until when deliveries also carry the signature of the secret rotated out.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The first failed attempt since the last one that succeeded: deliveries have been failing
    /// since then.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new endpoint; the store seals its secret.
#[derive(Debug)]
pub struct NewWebhook<'a> {
    pub company_id: CompanyId,
    pub url: &'a str,
    pub description: &'a str,
    pub events: &'a [String],
    pub enabled: bool,
    pub secret: &'a str,
}

/// Changes to an endpoint; `None` keeps a value.
#[derive(Debug, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<String>>,
    /// Enabling an endpoint Latch disabled clears its reason and its failing streak.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not sent yet, or to be retried.
    Pending,
    /// The receiver answered 2xx.
    Succeeded,
    /// Every attempt failed, or the receiver answered 410.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The event's public id: the `webhook-id` of every attempt.
    pub event_id: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: DateTime<Utc>,
    /// The payload sent, fixed by the first attempt.
    pub body: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub response_status: Option<i64>,
    /// The first 2 KB of the answer.
    pub response_body: Option<String>,
    /// Why there was no answer (timeout, refused address, ...).
    pub error: Option<String>,
}

/// A delivery a node has claimed to send, with what sending needs.
#[derive(Debug)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub url: String,
    /// The current secret first, then the one rotated out while it is still valid.
    pub secrets: Vec<SecretString>,
    pub event: Event,
    /// The payload of an earlier attempt, sent again unchanged.
    pub body: Option<String>,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The endpoint's first failure since its last success.
    pub failing_since: Option<DateTime<Utc>>,
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryVerdict {
    Delivered,
    RetryAt(DateTime<Utc>),
    /// No attempt is left.
    Failed,
}

/// Why Latch disables an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableReason {
    /// The receiver answered 410 Gone.
    Gone,
    /// It has failed for too long.
    Failing,
}

impl DisableReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisableReason::Gone => "gone",
            DisableReason::Failing => "failing",
        }
    }
}

/// An attempt's result, to record with the claim it was made under.
#[derive(Debug)]
pub struct AttemptRecord<'a> {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub body: &'a str,
    pub attempt: WebhookAttempt,
    pub verdict: DeliveryVerdict,
    pub disable: Option<DisableReason>,
}
