//! PostgreSQL's change stream: the triggers' notifications, and this node's own ticks through the same
//! channel to know how recent its view is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::{NotifiedChanges, Ticker, TICK_INTERVAL};

pub(crate) const CHANNEL: &str = "latch_license_changes";

/// Starts listening; the returned view is trusted once the first tick comes back.
pub(crate) async fn listen(pool: PgPool) -> sqlx::Result<Arc<NotifiedChanges>> {
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await?;
    let tick_prefix = format!("tick:{}:", node_id());
    let started = Instant::now();
    let ticker = PoolTicker {
        pool: pool.clone(),
        tick_prefix: tick_prefix.clone(),
        started,
    };
    let changes = Arc::new(NotifiedChanges::new(Box::new(ticker)));
    let node = Node {
        changes: changes.clone(),
        prefix: format!("{schema}:"),
        tick_prefix,
        started,
    };
    tokio::spawn(node.run(pool));
    Ok(changes)
}

/// Ticks go out through the store's pool; the payload carries the send time since `started`.
struct PoolTicker {
    pool: PgPool,
    tick_prefix: String,
    started: Instant,
}

#[async_trait::async_trait]
impl Ticker for PoolTicker {
    async fn send_tick(&self, sent_at: Instant) {
        let offset = tick_offset(self.started, sent_at);
        let sent = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{}{offset}", self.tick_prefix))
            .execute(&self.pool)
            .await;
        if let Err(error) = sent {
            // No tick arrives, so cached answers stop being trusted within the staleness bound.
            tracing::warn!(%error, "cannot send a change-stream tick");
        }
    }
}

/// A tick carries its send time as whole nanoseconds since the node started, so the time read back is
/// exactly the `Instant` a barrier waits for. (Whole microseconds came back up to 1 µs early: a barrier
/// then missed its own tick and waited for the next periodic one, adding ~100 ms to every write.)
fn tick_offset(started: Instant, sent_at: Instant) -> u64 {
    // u64 nanoseconds last 584 years.
    u64::try_from(sent_at.duration_since(started).as_nanos()).unwrap_or(u64::MAX)
}

fn tick_time(started: Instant, offset: u64) -> Instant {
    started + Duration::from_nanos(offset)
}

/// A per-process id, so a node recognises its own ticks among every node's.
fn node_id() -> String {
    let mut bytes = [0u8; 8];
    // A clash only costs a node trusting another's ticks, which are as recent as its own.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    u64::from_le_bytes(bytes).to_string()
}

struct Node {
    changes: Arc<NotifiedChanges>,
    /// Payloads about licenses of this deployment's schema start with this.
    prefix: String,
    tick_prefix: String,
    started: Instant,
}

impl Node {
    async fn run(self, pool: PgPool) {
        loop {
            if let Err(error) = self.listen_until_disconnected(&pool).await {
                tracing::warn!(%error, "license change notifications interrupted; cached answers are bypassed");
            }
            self.changes.disconnected();
            tokio::time::sleep(TICK_INTERVAL).await;
        }
    }

    async fn listen_until_disconnected(&self, pool: &PgPool) -> sqlx::Result<()> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let mut ticks = tokio::time::interval(TICK_INTERVAL);
        loop {
            tokio::select! {
                received = listener.try_recv() => match received? {
                    Some(notification) => self.received(notification.payload()),
                    // The connection dropped; notifications sent meanwhile are lost.
                    None => return Ok(()),
                },
                _ = ticks.tick() => self.changes.send_tick().await,
            }
        }
    }

    fn received(&self, payload: &str) {
        // Ticks first: a schema may be named like the tick prefix.
        if let Some(sent) = payload.strip_prefix(&self.tick_prefix) {
            if let Ok(offset) = sent.parse() {
                self.changes.tick_received(tick_time(self.started, offset));
            }
        } else if let Some(license_id) = payload.strip_prefix(&self.prefix) {
            if let Ok(license_id) = license_id.parse() {
                let license_id = latch_domain::LicenseId::new(license_id);
                self.changes.log.record([license_id], Instant::now());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_reads_back_as_the_instant_it_was_sent_at() {
        let started = Instant::now();
        for sent_at in [
            started,
            Instant::now(),
            started + Duration::new(3_600, 123_456_789),
        ] {
            assert_eq!(tick_time(started, tick_offset(started, sent_at)), sent_at);
        }
    }
}
