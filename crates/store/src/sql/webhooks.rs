//! Webhook endpoints and deliveries. The event log is the outbox: recording an event inserts, in the
//! same transaction, one delivery for every enabled endpoint of the company whose subscriptions match,
//! so whatever committed is delivered however the process ends. Sending nodes claim due deliveries
//! for a lease (`FOR NO KEY UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer), so each is
//! sent by one node at a time and a dead node's claims pass to another when the lease ends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use latch_domain::CompanyId;
use secrecy::SecretString;

use super::database::{query, ReadColumn, SqlRow};
use super::listing::Table;
use super::management::{event_from_row, EVENTS};
use super::rows::id_column;
use super::tenant::PURPOSE_WEBHOOK_SECRET;
use super::{Backend, SqlStore};
use crate::query::ListQuery;
use crate::*;

const ENDPOINT_COLUMNS: &str = "w.id, w.company_id, w.url, w.description, w.events, w.enabled, \
    w.disabled_reason, w.previous_secret_until, w.failing_since, w.created_at, w.updated_at";

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, e.uuid AS event_uuid, e.event AS event_name, \
    d.status, d.attempts, d.next_attempt_at, d.body, d.last_attempt_at, d.last_status, \
    d.last_response, d.last_error, d.created_at AS delivery_created_at, d.completed_at";

const DELIVERIES: Table = Table {
    columns: DELIVERY_COLUMNS,
    from: "webhook_deliveries d JOIN events e ON e.id = d.event_id",
    company: "d.company_id",
    id: "d.id",
};

/// Whether subscription `s` covers the event named by the `?` parameter: `*`, the name itself, or a
/// `prefix.*` the name starts with (compared as text, so `_` in names is no wildcard).
const SUBSCRIPTION_MATCHES: &str = "(s.pattern = '*' OR s.pattern = $5 OR (s.pattern LIKE '%.*' \
    AND substr($5, 1, length(s.pattern) - 1) = substr(s.pattern, 1, length(s.pattern) - 1)))";

fn time<R: SqlRow>(row: &R, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    Ok(from_millis(row.read(column)?))
}

fn optional_time<R: SqlRow>(row: &R, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    Ok(ReadColumn::<Option<i64>>::read(row, column)?.map(from_millis))
}

fn endpoint_from_row<R: SqlRow>(row: &R) -> StoreResult<WebhookEndpoint> {
    let events: String = row.read("events")?;
    Ok(WebhookEndpoint {
        id: row.read("id")?,
        company_id: id_column(row, "company_id")?,
        url: row.read("url")?,
        description: row.read("description")?,
        events: serde_json::from_str(&events).map_err(|error| sqlx::Error::Decode(error.into()))?,
        enabled: row.read("enabled")?,
        disabled_reason: row.read("disabled_reason")?,
        previous_secret_until: optional_time(row, "previous_secret_until")?,
        failing_since: optional_time(row, "failing_since")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn delivery_from_row<R: SqlRow>(row: &R) -> StoreResult<WebhookDelivery> {
    let status: String = row.read("status")?;
    Ok(WebhookDelivery {
        id: row.read("id")?,
        endpoint_id: row.read("endpoint_id")?,
        event_id: row.read("event_uuid")?,
        event: row.read("event_name")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown delivery status {status}").into())
        })?,
        attempts: row.read("attempts")?,
        next_attempt_at: time(row, "next_attempt_at")?,
        body: row.read("body")?,
        last_attempt_at: optional_time(row, "last_attempt_at")?,
        last_status: row.read("last_status")?,
        last_response: row.read("last_response")?,
        last_error: row.read("last_error")?,
        created_at: time(row, "delivery_created_at")?,
        completed_at: optional_time(row, "completed_at")?,
    })
}

fn attempt_from_row<R: SqlRow>(row: &R) -> StoreResult<WebhookAttempt> {
    Ok(WebhookAttempt {
        attempted_at: time(row, "attempted_at")?,
        duration_ms: row.read("duration_ms")?,
        response_status: row.read("response_status")?,
        response_body: row.read("response_body")?,
        error: row.read("error")?,
    })
}

fn events_json(events: &[String]) -> String {
    serde_json::Value::from(events.to_vec()).to_string()
}

impl<DB: Backend> SqlStore<DB> {
    /// Inserts the deliveries of a just-recorded event, in its transaction.
    pub(super) async fn enqueue_webhook_deliveries(
        conn: &mut DB::Connection,
        event_id: i64,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        query(&format!(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, company_id, license_id, next_attempt_at, \
             created_at) SELECT w.id, $1, w.company_id, $2, $3, $3 FROM webhook_endpoints w \
             WHERE w.company_id = $4 AND w.enabled AND EXISTS (SELECT 1 FROM webhook_subscriptions s \
             WHERE s.endpoint_id = w.id AND {SUBSCRIPTION_MATCHES})"
        ))
        .bind(event_id)
        .bind(event.subjects.license_id)
        .bind(millis(now))
        .bind(event.company_id)
        .bind(event.event)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn open_secret(&self, sealed: &str) -> StoreResult<SecretString> {
        let plain = String::from_utf8(self.secrets.open(PURPOSE_WEBHOOK_SECRET, sealed)?)
            .map_err(|_| secrets::SecretError::Open)?;
        Ok(plain.into())
    }

    async fn endpoint_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        id: i64,
    ) -> StoreResult<WebhookEndpoint> {
        let row = query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.id = $1 AND w.company_id = $2"
        ))
        .bind(id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("webhook"))?;
        endpoint_from_row(&row)
    }

    async fn replace_subscriptions(
        conn: &mut DB::Connection,
        endpoint_id: i64,
        events: &[String],
    ) -> StoreResult<()> {
        query("DELETE FROM webhook_subscriptions WHERE endpoint_id = $1")
            .bind(endpoint_id)
            .execute(&mut *conn)
            .await?;
        for pattern in events {
            query(
                "INSERT INTO webhook_subscriptions (endpoint_id, pattern) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(endpoint_id)
            .bind(pattern.as_str())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Records a change to an endpoint in the event log.
    async fn webhook_event(
        conn: &mut DB::Connection,
        endpoint: &WebhookEndpoint,
        name: &'static str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let event = NewEvent::new(endpoint.company_id, name, actor).data(serde_json::json!({
            "id": endpoint.id,
            "url": endpoint.url,
            "events": endpoint.events,
            "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason,
        }));
        Self::insert_event(conn, &event, now).await
    }

    async fn delivery_on(
        conn: &mut DB::Connection,
        company_id: CompanyId,
        endpoint_id: i64,
        delivery_id: i64,
    ) -> StoreResult<WebhookDelivery> {
        let row = query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {} WHERE d.id = $1 AND d.endpoint_id = $2 AND d.company_id = $3",
            DELIVERIES.from
        ))
        .bind(delivery_id)
        .bind(endpoint_id)
        .bind(company_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("webhook delivery"))?;
        delivery_from_row(&row)
    }

    fn claimed_from_row(&self, row: &DB::Row) -> StoreResult<ClaimedDelivery> {
        let current: String = row.read("secret")?;
        let mut secrets = vec![self.open_secret(&current)?];
        let previous: Option<String> = row.read("previous_secret")?;
        if let Some(previous) = previous {
            secrets.push(self.open_secret(&previous)?);
        }
        Ok(ClaimedDelivery {
            id: row.read("delivery_id")?,
            endpoint_id: row.read("endpoint_id")?,
            url: row.read("url")?,
            secrets,
            event: event_from_row(row)?,
            body: row.read("body")?,
            attempts: row.read("attempts")?,
            failing_since: optional_time(row, "failing_since")?,
        })
    }
}

#[async_trait]
impl<DB: Backend> WebhookStore for SqlStore<DB> {
    async fn create_webhook(
        &self,
        webhook: NewWebhook<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint> {
        let sealed = self
            .secrets
            .seal(PURPOSE_WEBHOOK_SECRET, webhook.secret.as_bytes())?;
        let mut tx = self.begin_write().await?;
        let row = query(
            "INSERT INTO webhook_endpoints (company_id, url, description, events, enabled, secret, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(webhook.company_id)
        .bind(webhook.url)
        .bind(webhook.description)
        .bind(events_json(webhook.events))
        .bind(webhook.enabled)
        .bind(sealed)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.read_at(0)?;
        Self::replace_subscriptions(&mut tx, id, webhook.events).await?;
        let endpoint = Self::endpoint_on(&mut tx, webhook.company_id, id).await?;
        Self::webhook_event(&mut tx, &endpoint, "webhook.created", actor, now).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn webhooks(&self, company_id: CompanyId) -> StoreResult<Vec<WebhookEndpoint>> {
        let rows = query(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints w WHERE w.company_id = $1 ORDER BY w.id DESC"
        ))
        .bind(company_id)
        .fetch_all(&mut *self.reader.acquire().await?)
        .await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    async fn webhook(&self, company_id: CompanyId, id: i64) -> StoreResult<WebhookEndpoint> {
        Self::endpoint_on(&mut *self.reader.acquire().await?, company_id, id).await
    }

    async fn update_webhook(
        &self,
        company_id: CompanyId,
        id: i64,
        changes: &WebhookChanges,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint> {
        let mut tx = self.begin_write().await?;
        let current = Self::endpoint_on(&mut tx, company_id, id).await?;
        let events = changes.events.as_ref().unwrap_or(&current.events);
        let enabled = changes.enabled.unwrap_or(current.enabled);
        // Enabling clears Latch's reason and the failing streak; the endpoint starts afresh.
        let (reason, failing_reset) = match changes.enabled {
            Some(true) => (None, true),
            _ => (current.disabled_reason.clone(), false),
        };
        query(
            "UPDATE webhook_endpoints SET url = $1, description = $2, events = $3, enabled = $4, \
             disabled_reason = $5, updated_at = $6, \
             failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END WHERE id = $8",
        )
        .bind(changes.url.as_deref().unwrap_or(&current.url))
        .bind(
            changes
                .description
                .as_deref()
                .unwrap_or(&current.description),
        )
        .bind(events_json(events))
        .bind(enabled)
        .bind(reason.as_deref())
        .bind(millis(now))
        .bind(failing_reset)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(events) = &changes.events {
            Self::replace_subscriptions(&mut tx, id, events).await?;
        }
        let endpoint = Self::endpoint_on(&mut tx, company_id, id).await?;
        Self::webhook_event(&mut tx, &endpoint, "webhook.updated", actor, now).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn delete_webhook(
        &self,
        company_id: CompanyId,
        id: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let endpoint = Self::endpoint_on(&mut tx, company_id, id).await?;
        for statement in [
            "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
            "DELETE FROM webhook_subscriptions WHERE endpoint_id = $1",
            "DELETE FROM webhook_endpoints WHERE id = $1",
        ] {
            query(statement).bind(id).execute(&mut *tx).await?;
        }
        Self::webhook_event(&mut tx, &endpoint, "webhook.deleted", actor, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_webhook_secret(
        &self,
        company_id: CompanyId,
        id: i64,
        secret: &str,
        keep_previous_until: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint> {
        let sealed = self
            .secrets
            .seal(PURPOSE_WEBHOOK_SECRET, secret.as_bytes())?;
        let mut tx = self.begin_write().await?;
        Self::endpoint_on(&mut tx, company_id, id).await?;
        query(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, \
             secret = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(millis(keep_previous_until))
        .bind(sealed)
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let endpoint = Self::endpoint_on(&mut tx, company_id, id).await?;
        Self::webhook_event(&mut tx, &endpoint, "webhook.secret_rotated", actor, now).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    async fn webhook_deliveries(
        &self,
        company_id: CompanyId,
        list_query: &ListQuery,
        page: Page,
    ) -> StoreResult<Listing<WebhookDelivery>> {
        self.list_matching(&DELIVERIES, company_id, list_query, page, delivery_from_row)
            .await
    }

    async fn webhook_delivery(
        &self,
        company_id: CompanyId,
        endpoint_id: i64,
        delivery_id: i64,
    ) -> StoreResult<(WebhookDelivery, Vec<WebhookAttempt>)> {
        let mut conn = self.reader.acquire().await?;
        let delivery = Self::delivery_on(&mut conn, company_id, endpoint_id, delivery_id).await?;
        let rows = query(
            "SELECT attempted_at, duration_ms, response_status, response_body, error \
             FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(delivery_id)
        .fetch_all(&mut *conn)
        .await?;
        let attempts = rows
            .iter()
            .map(attempt_from_row)
            .collect::<StoreResult<_>>()?;
        Ok((delivery, attempts))
    }

    async fn retry_webhook_delivery(
        &self,
        company_id: CompanyId,
        endpoint_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookDelivery> {
        let mut tx = self.begin_write().await?;
        Self::delivery_on(&mut tx, company_id, endpoint_id, delivery_id).await?;
        query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, completed_at = NULL \
             WHERE id = $2",
        )
        .bind(millis(now))
        .bind(delivery_id)
        .execute(&mut *tx)
        .await?;
        let delivery = Self::delivery_on(&mut tx, company_id, endpoint_id, delivery_id).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    async fn claim_webhook_deliveries(
        &self,
        claim: &str,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        const DUE: &str = "d.status = 'pending' AND d.next_attempt_at <= $1 \
            AND (d.claimed_until IS NULL OR d.claimed_until < $1) \
            AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.enabled) \
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.status = 'pending' \
                AND p.endpoint_id = d.endpoint_id AND p.license_id = d.license_id \
                AND p.event_id < d.event_id AND p.attempts = 0)";
        // A read first, so an idle node does not take SQLite's write lock every poll.
        let due = query(&format!(
            "SELECT d.id FROM webhook_deliveries d WHERE {DUE} LIMIT 1"
        ))
        .bind(millis(now))
        .fetch_optional(&mut *self.reader.acquire().await?)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        query(&format!(
            "UPDATE webhook_deliveries SET claimed_by = $2, claimed_until = $3 WHERE id IN \
             (SELECT d.id FROM webhook_deliveries d WHERE {DUE} ORDER BY d.next_attempt_at, d.id \
             LIMIT $4{})",
            DB::CLAIM_ROWS
        ))
        .bind(millis(now))
        .bind(claim)
        .bind(millis(now + lease))
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await?;
        let rows = query(&format!(
            "SELECT d.id AS delivery_id, d.endpoint_id, d.body, d.attempts, w.url, w.secret, \
             CASE WHEN w.previous_secret_until > $2 THEN w.previous_secret END AS previous_secret, \
             w.failing_since, {} FROM webhook_deliveries d \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id \
             WHERE d.claimed_by = $1 ORDER BY d.event_id",
            EVENTS.columns
        ))
        .bind(claim)
        .bind(millis(now))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(|row| self.claimed_from_row(row)).collect()
    }

    async fn record_webhook_attempt(
        &self,
        claim: &str,
        record: &AttemptRecord<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let attempt = &record.attempt;
        let (status, next_attempt_at, completed_at) = match record.verdict {
            DeliveryVerdict::Delivered => (DeliveryStatus::Succeeded, now, Some(millis(now))),
            DeliveryVerdict::RetryAt(at) => (DeliveryStatus::Pending, at, None),
            DeliveryVerdict::Failed => (DeliveryStatus::Failed, now, Some(millis(now))),
        };
        let mut tx = self.begin_write().await?;
        let updated = query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
             body = COALESCE(body, $3), last_attempt_at = $4, last_status = $5, last_response = $6, \
             last_error = $7, completed_at = $8, claimed_by = NULL, claimed_until = NULL \
             WHERE id = $9 AND claimed_by = $10",
        )
        .bind(status.as_str())
        .bind(millis(next_attempt_at))
        .bind(record.body)
        .bind(millis(attempt.attempted_at))
        .bind(attempt.response_status)
        .bind(attempt.response_body.as_deref())
        .bind(attempt.error.as_deref())
        .bind(completed_at)
        .bind(record.delivery_id)
        .bind(claim)
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&updated) == 0 {
            return Ok(false);
        }
        query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, duration_ms, response_status, \
             response_body, error) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.delivery_id)
        .bind(millis(attempt.attempted_at))
        .bind(attempt.duration_ms)
        .bind(attempt.response_status)
        .bind(attempt.response_body.as_deref())
        .bind(attempt.error.as_deref())
        .execute(&mut *tx)
        .await?;
        // The failing streak starts with the first failure after a success and ends with a success.
        let streak = if record.verdict == DeliveryVerdict::Delivered {
            query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                .bind(record.endpoint_id)
        } else {
            query("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1")
                .bind(record.endpoint_id)
                .bind(millis(attempt.attempted_at))
        };
        streak.execute(&mut *tx).await?;
        if let Some(reason) = record.disable {
            let disabled = query(&format!(
                "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $1, updated_at = $2 \
                 WHERE id = $3 AND enabled RETURNING {}",
                ENDPOINT_COLUMNS.replace("w.", "")
            ))
            .bind(reason.as_str())
            .bind(millis(now))
            .bind(record.endpoint_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = disabled {
                let endpoint = endpoint_from_row(&row)?;
                Self::webhook_event(&mut tx, &endpoint, "webhook.disabled", &Actor::System, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn pending_webhook_deliveries(&self) -> StoreResult<i64> {
        let row = query("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&mut *self.reader.acquire().await?)
            .await?;
        Ok(row.read_at(0)?)
    }
}
