//! Replayed requests. The protocol signs only the `Date` header, so a captured state-changing request
//! could be sent again while its date is accepted. Each one is claimed in the database by a hash of its
//! API key, `Date`, signature, method, path and body: the first runs and its answer is stored, and an
//! identical request within the window gets those bytes and that signature again without running, on
//! any node. Two genuine identical calls in the same second are therefore merged into one. Only
//! successes are stored: a refused request changed nothing, and running its duplicate again is
//! harmless.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use axum::body::{to_bytes, Body};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;
use latch_store::{DeferredWrite, RequestClaim, StoredAnswer};
use latch_wire::auth::MAX_DATE_SKEW;

use crate::auth::{Authorization, LICENSE_SIGNATURE};
use crate::error::{ApiError, InternalError};
use crate::state::AppState;

/// How long an answer is kept: a `Date` is accepted from 15 minutes before it until 15 minutes after.
pub fn replay_window() -> chrono::Duration {
    MAX_DATE_SKEW * 2
}

/// How long a duplicate waits for the first request's answer before answering `server_busy`.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// SHA-256 over the length-prefixed fields that make two requests the same request.
pub fn request_hash(authorization: &Authorization, parts: &Parts, body: &[u8]) -> String {
    let target = parts
        .uri
        .path_and_query()
        .map_or("", |target| target.as_str());
    let mut context = digest::Context::new(&digest::SHA256);
    for field in [
        authorization.api_key.as_bytes(),
        authorization.date.as_bytes(),
        authorization.signature.as_bytes(),
        parts.method.as_str().as_bytes(),
        target.as_bytes(),
        body,
    ] {
        context.update(&(field.len() as u64).to_be_bytes());
        context.update(field);
    }
    B64.encode(context.finish())
}

/// Runs `run` unless an identical request was claimed within the window; then answers as that one did.
pub async fn answer_once(
    state: &AppState,
    request_hash: &str,
    run: impl Future<Output = Response>,
) -> Response {
    let deadline = Instant::now() + WAIT_FOR_FIRST;
    loop {
        let now = Utc::now();
        let claim = state
            .store
            .claim_request(request_hash, now, now - replay_window())
            .await;
        match claim {
            Ok(RequestClaim::First) => return remember(state, request_hash, run.await).await,
            Ok(RequestClaim::Answered(answer)) => return replayed(answer),
            Ok(RequestClaim::Running) if Instant::now() < deadline => {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
            Ok(RequestClaim::Running) => {
                return ApiError::ServerBusy { retry_after: 1 }.into_response();
            }
            Err(error) => return ApiError::from(error).into_response(),
        }
    }
}

/// Keeps a successful answer for its duplicates. A refusal or failure changed nothing, so it is not
/// kept: a duplicate runs again (a client retrying after a refusal, once the cause is gone, gets a
/// fresh decision). Both are written behind the answer (a commit fewer on the request path); a
/// duplicate arriving meanwhile finds the claim still running and waits for them.
async fn remember(state: &AppState, request_hash: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            forget(state, request_hash);
            return ApiError::from(InternalError::caused("reading an answer to keep", error))
                .into_response();
        }
    };
    let text = std::str::from_utf8(&bytes).ok();
    match text.filter(|_| parts.status.is_success()) {
        Some(text) => state.defer(DeferredWrite::ReplayAnswer {
            request_hash: request_hash.to_owned(),
            answer: StoredAnswer {
                status: parts.status.as_u16(),
                body: text.to_owned(),
                signature: parts
                    .headers
                    .get(LICENSE_SIGNATURE)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
            },
        }),
        None => forget(state, request_hash),
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn forget(state: &AppState, request_hash: &str) {
    state.defer(DeferredWrite::ReplayClaimReleased {
        request_hash: request_hash.to_owned(),
    });
}

fn replayed(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response();
    if let Some(signature) = answer
        .signature
        .and_then(|signature| HeaderValue::from_str(&signature).ok())
    {
        response.headers_mut().insert(LICENSE_SIGNATURE, signature);
    }
    response
}
