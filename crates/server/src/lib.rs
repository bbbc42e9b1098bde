//! The Latch HTTP server: License API v4, health and metrics, behind a listener that limits and
//! times out connections and may speak TLS.

mod access_log;
mod answer_memo;
pub mod auth;
mod check_cache;
pub mod connections;
mod dashboard;
pub mod error;
mod license_api;
pub mod management;
pub mod metrics;
mod outbound;
pub mod params;
pub mod rate_limits;
mod replays;
mod sso;
pub mod state;
pub mod tls;
pub mod webhooks;
pub mod write_behind;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{middleware, Router};
use latch_service::config::{
    ConnectionLimits, OAuthSettings, PasswordLimits, RateLimitSettings, WebhookSettings,
};
use latch_store::Store;
use tokio::net::TcpListener;
use tower::ServiceBuilder;

use crate::error::ApiError;
use crate::state::AppState;
use crate::tls::Tls;
use crate::write_behind::WriteBehind;

/// The whole HTTP surface, `/metrics` included.
pub fn router(state: AppState) -> Router {
    public_router(state, true)
}

/// The License API, health and, with `with_metrics`, `/metrics`; every request given an id, logged and
/// measured.
fn public_router(state: AppState, with_metrics: bool) -> Router {
    let license_api = license_api::router()
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate_and_sign,
        ))
        .merge(
            license_api::credential_router()
                .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed }),
        );
    let mut app = Router::new()
        .nest("/api/v4", license_api)
        .nest_service("/api/v1", management::service(state.clone()))
        .merge(dashboard::router(state.clone()))
        // The Python SDK's is_online() expects 200 here.
        .route("/", get(|| async { "latch" }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready));
    if with_metrics {
        app = app.route("/metrics", get(metrics::metrics));
    }
    let app = app
        .route_layer(middleware::from_fn(access_log::remember_route))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access_log::log_and_measure,
        ))
        .with_state(state);
    // The License API's paths are rewritten before routing, so both spellings reach one route.
    Router::new().fallback_service(
        ServiceBuilder::new()
            .map_request(license_api::without_trailing_slash)
            .service(app),
    )
}

/// `/readyz`: 200 `ready` once storage answers a read and commits a write; otherwise 503
/// `storage_unavailable` (or `internal_error`), so a load balancer sends traffic elsewhere.
async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.store.probe(chrono::Utc::now()).await {
        Ok(()) => Ok("ready"),
        Err(error) if error.is_storage_unavailable() => Err(error.into()),
        Err(error) => {
            // Any failure to read or write means not ready, whatever its kind.
            tracing::warn!(%error, "readiness probe failed");
            Err(ApiError::StorageUnavailable {
                retry_after: 5,
                cause: error,
            })
        }
    }
}

/// How `serve` listens, besides its address.
pub struct ServeOptions {
    /// Ends serving; listened for since before the address was announced.
    pub shutdown: ShutdownSignal,
    pub limits: ConnectionLimits,
    /// When set, the listener speaks HTTPS only.
    pub tls: Option<Arc<Tls>>,
    /// When set, `/metrics` is served on this listener (plain HTTP) instead of the main one.
    pub metrics_listener: Option<TcpListener>,
    /// How many devices' checks are answered from memory while their license is unchanged (0: none).
    pub check_cache_entries: usize,
    /// Password attempts per license user name, failures per client address.
    pub password_limits: PasswordLimits,
    pub rate_limits: RateLimitSettings,
    pub webhooks: WebhookSettings,
    pub oauth: OAuthSettings,
}

/// Serves until SIGINT or SIGTERM, then drains requests and flushes deferred writes.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    options: ServeOptions,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    ignore_file_size_signal()?;
    let changes = store.watch_changes().await?;
    let password_window = chrono::Duration::from_std(options.password_limits.per_user.window)
        .unwrap_or(chrono::Duration::days(1));
    let keep_guards = password_window.max(replays::replay_window());
    let (write_behind, writer_task) = WriteBehind::start(store.clone(), keep_guards);
    let state = AppState::new(store, write_behind)?
        .with_tls_links(options.tls.is_some())
        .with_check_cache(changes, options.check_cache_entries)
        .with_limits(options.rate_limits, options.password_limits)
        .with_webhook_targets(options.webhooks.allow_private)
        .with_oauth(options.oauth);
    let metrics = state.metrics.clone();
    let webhooks = webhooks::Webhooks::start(
        state.service.clone(),
        state.metrics.clone(),
        options.webhooks,
    )?;
    let slots = connections::connection_slots(options.limits.max_connections);
    tracing::info!(
        max_connections = slots,
        header_timeout_s = options.limits.header_timeout.as_secs(),
        body_timeout_s = options.limits.body_timeout.as_secs(),
        idle_timeout_s = options.limits.idle_timeout.as_secs(),
        tls = options.tls.is_some(),
        "connection limits"
    );
    #[cfg(unix)]
    let reloader = match &options.tls {
        Some(tls) => Some(tls.clone().reload_on_hangup()?),
        None => None,
    };
    let metrics_server = options.metrics_listener.map(|listener| {
        let app = Router::new()
            .route("/metrics", get(metrics::metrics))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await })
    });
    let app = public_router(state, metrics_server.is_none());
    connections::accept(
        listener,
        app,
        options.limits,
        slots,
        options.tls,
        metrics,
        options.shutdown.received(),
    )
    .await;
    #[cfg(unix)]
    if let Some(reloader) = reloader {
        reloader.abort();
    }
    if let Some(metrics_server) = metrics_server {
        // It holds the state, and with it a sender of the write-behind queue.
        metrics_server.abort();
        let _ = metrics_server.await;
    }
    webhooks.stop().await;
    // Every sender is gone with the router: the writer flushes and ends.
    if tokio::time::timeout(Duration::from_secs(10), writer_task)
        .await
        .is_err()
    {
        tracing::warn!("deferred writes did not flush within 10 s");
    }
    Ok(())
}

/// A write past the file-size limit (`ulimit -f`) sends SIGXFSZ, whose default action kills the
/// process. Handled, the write fails with EFBIG instead and the request answers
/// `storage_unavailable`. Tokio's handler stays installed for the life of the process.
#[cfg(unix)]
fn ignore_file_size_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    signal(SignalKind::from_raw(libc::SIGXFSZ)).map(drop)
}

/// SIGINT and SIGTERM, listened for from the moment this is made: made before the server says where
/// it listens, a signal sent right after (while storage and workers start) still shuts it down
/// cleanly instead of killing it.
pub struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves at the first signal.
    async fn received(self) {
        #[cfg(unix)]
        {
            let Self {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use axum::body::{to_bytes, Body};
    use tower::ServiceExt as _;

    use super::*;
    use crate::error::InternalError;

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_internal_error_is_logged_once_with_its_cause_and_request_id() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let failing = Router::new().route(
            "/",
            get(|| async {
                ApiError::from(InternalError::caused(
                    "reading the disk",
                    io::Error::other("disk on fire"),
                ))
            }),
        );

        let logged = failing.layer(middleware::from_fn(|request, next| {
            access_log::logged(request, next, |_, _, _| {})
        }));
        let response = logged
            .oneshot(axum::http::Request::new(Body::empty()))
            .await
            .unwrap();

        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!request_id.is_empty());
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("disk on fire"));
        let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(lines[0].contains("reading the disk: disk on fire"), "{log}");
        assert!(lines[0].contains(&request_id), "{log}");
    }
}
