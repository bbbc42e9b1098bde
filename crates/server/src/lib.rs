//! The Latch HTTP server: License API v4, health, and the demo set-up.

pub mod auth;
pub mod error;
mod license_api;
pub mod params;
pub mod state;
pub mod write_behind;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{middleware, Router};
use latch_store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;
use crate::write_behind::WriteBehind;

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let license_api = license_api::router()
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate_and_sign,
        ));
    Router::new()
        .nest("/api/v4", license_api)
        // The Python SDK's is_online() expects 200 here.
        .route("/", get(|| async { "latch" }))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until SIGINT or SIGTERM, then drains requests and flushes deferred writes.
pub async fn serve(listener: TcpListener, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let (write_behind, writer_task) = WriteBehind::start(store.clone());
    let app = router(AppState::new(store, write_behind));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    // Every sender is gone with the router: the writer flushes and ends.
    if tokio::time::timeout(Duration::from_secs(10), writer_task)
        .await
        .is_err()
    {
        tracing::warn!("deferred writes did not flush within 10 s");
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
