//! Prometheus metrics: requests by route template and status, their latency, License API refusals by
//! code, how answer and v1 license signatures were obtained, the write-behind queue and the open
//! connections.
//! Served as text at `GET /metrics`.

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::InternalError;
use crate::state::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Where a signature in an answer came from: the `LicenseSignature` header, or the v1
/// `license_signature` (computed or stored only).
#[derive(Debug, Clone, Copy)]
pub enum SignatureSource {
    /// An RSA signature made for this answer.
    Computed,
    /// The signature of identical bytes, from the in-memory cache.
    Cached,
    /// The signature stored with the device: for its unchanged last answer, or its v1 signature
    /// made for the same validity.
    Stored,
}

impl SignatureSource {
    fn label(self) -> SignatureLabels {
        let source = match self {
            SignatureSource::Computed => "computed",
            SignatureSource::Cached => "cached",
            SignatureSource::Stored => "stored",
        };
        SignatureLabels { source }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignatureLabels {
    source: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

/// What became of a webhook attempt.
#[derive(Debug, Clone, Copy)]
pub enum WebhookOutcome {
    Delivered,
    /// Failed; another attempt is scheduled.
    Retried,
    /// Failed, and the delivery with it (no attempt left, or 410 Gone).
    Failed,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    check_cache: Family<CacheLabels, Counter>,
    database_connections: Family<PoolLabels, Gauge>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    refusals: Family<RefusalLabels, Counter>,
    signatures: Family<SignatureLabels, Counter>,
    license_signatures: Family<SignatureLabels, Counter>,
    write_behind_depth: Gauge,
    connections_open: Gauge,
    connections_max: Gauge,
    webhook_queue_depth: Gauge,
    webhook_attempts: Family<WebhookLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("latch");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        // 0.25 ms to about 8 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's headers to its answer, by route template",
            latency.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "license_api_refusals",
            "License API refusals of authenticated requests, by code",
            refusals.clone(),
        );
        let signatures = Family::<SignatureLabels, Counter>::default();
        registry.register(
            "answer_signatures",
            "License API answer signatures: computed, reused from the cache, or the device's stored one",
            signatures.clone(),
        );
        let license_signatures = Family::<SignatureLabels, Counter>::default();
        registry.register(
            "license_signatures",
            "v1 license signatures in License API answers: computed, or the device's stored one",
            license_signatures.clone(),
        );
        let check_cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "check_cache_lookups",
            "check_license reads: hit (answered from memory) or miss (read from the database)",
            check_cache.clone(),
        );
        let database_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "database_connections",
            "Database connections by pool (reader, writer; one pool on PostgreSQL) and state (idle, busy)",
            database_connections.clone(),
        );
        let write_behind_depth = Gauge::default();
        registry.register(
            "write_behind_queue_depth",
            "Deferred writes (check times, refusals, answer signatures) waiting to be flushed",
            write_behind_depth.clone(),
        );
        let connections_open = Gauge::default();
        registry.register(
            "connections_open",
            "Client connections being served",
            connections_open.clone(),
        );
        let connections_max = Gauge::default();
        registry.register(
            "connections_max",
            "Most client connections served at once; more wait to be accepted",
            connections_max.clone(),
        );
        let webhook_queue_depth = Gauge::default();
        registry.register(
            "webhook_queue_depth",
            "Webhook deliveries waiting to be sent or retried, across all nodes",
            webhook_queue_depth.clone(),
        );
        let webhook_attempts = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook attempts by this node, by outcome: delivered, retried (failed, to be retried) or failed",
            webhook_attempts.clone(),
        );
        Self {
            webhook_queue_depth,
            webhook_attempts,
            registry,
            check_cache,
            database_connections,
            requests,
            latency,
            refusals,
            signatures,
            license_signatures,
            write_behind_depth,
            connections_open,
            connections_max,
        }
    }
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, latency: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(latency.as_secs_f64());
    }

    /// A License API refusal of an authenticated request.
    pub fn refusal(&self, code: &'static str) {
        self.refusals.get_or_create(&RefusalLabels { code }).inc();
    }

    /// A `check_license` read, from the check cache (`hit`) or the database.
    pub fn check_read(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.check_cache
            .get_or_create(&CacheLabels { result })
            .inc();
    }

    pub fn signature(&self, source: SignatureSource) {
        self.signatures.get_or_create(&source.label()).inc();
    }

    /// A v1 `license_signature` put in an answer: signed now, or the one stored with the device.
    pub fn license_signature(&self, source: SignatureSource) {
        self.license_signatures.get_or_create(&source.label()).inc();
    }

    pub fn connection_opened(&self) {
        self.connections_open.inc();
    }

    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    pub fn set_connections_max(&self, max: usize) {
        self.connections_max
            .set(i64::try_from(max).unwrap_or(i64::MAX));
    }

    pub fn webhook_attempt(&self, outcome: WebhookOutcome) {
        let outcome = match outcome {
            WebhookOutcome::Delivered => "delivered",
            WebhookOutcome::Retried => "retried",
            WebhookOutcome::Failed => "failed",
        };
        self.webhook_attempts
            .get_or_create(&WebhookLabels { outcome })
            .inc();
    }

    /// The pools' connections at scrape time.
    fn set_pools(&self, pools: &[latch_store::PoolConnections]) {
        for pool in pools {
            let idle = i64::try_from(pool.idle).unwrap_or(i64::MAX);
            let busy = i64::from(pool.open) - idle;
            for (state, count) in [("idle", idle), ("busy", busy.max(0))] {
                self.database_connections
                    .get_or_create(&PoolLabels {
                        pool: pool.pool,
                        state,
                    })
                    .set(count);
            }
        }
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// `GET /metrics`: the OpenMetrics text exposition, which Prometheus reads.
pub async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .write_behind_depth
        .set(i64::try_from(state.write_behind.depth()).unwrap_or(i64::MAX));
    state.metrics.set_pools(&state.store.pool_connections());
    match state.store.pending_webhook_deliveries().await {
        Ok(depth) => {
            state.metrics.webhook_queue_depth.set(depth);
        }
        Err(error) => tracing::warn!(%error, "cannot count pending webhook deliveries"),
    }
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            crate::error::ApiError::from(InternalError::caused("encoding the metrics", error))
                .into_response()
        }
    }
}
