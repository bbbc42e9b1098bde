//! Replayed requests. The protocol signs only the `Date` header, so a captured state-changing request
//! could be sent again while its date is accepted. Each one is claimed in the database by a hash of its
//! API key, `Date`, signature, method, path and body: the first runs and its answer is stored, and an
//! identical request within the window gets those bytes and that signature again without running, on
//! any node. Two genuine identical calls in the same second are therefore merged into one. Only
//! successes are stored: a refused request changed nothing, and running its duplicate again is
//! harmless.
//!
//! `activate_license`, the busiest state-changing endpoint, claims inside its own transaction instead
//! (see [`answer_once_claimed_by_handler`]): one durable commit per activation instead of two.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use latch_store::{
    ClaimTicket, DeferredWrite, RequestClaim, StoreError, StoreResult, StoredAnswer,
};
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

/// The endpoints whose handler takes the request's claim in the transaction of its effect, through
/// the [`HandlerClaim`] it finds among the request's extensions.
const CLAIMED_BY_HANDLER: &[&str] = &["/api/v4/activate_license"];

/// Whether the request's handler claims it itself.
pub fn is_claimed_by_handler(parts: &Parts) -> bool {
    parts
        .extensions
        .get::<MatchedPath>()
        .is_some_and(|path| CLAIMED_BY_HANDLER.contains(&path.as_str()))
}

/// [`answer_once`] for an endpoint whose handler claims the request in its own transaction. An
/// identical request already claimed is answered as that one was, without running; otherwise the
/// handler runs with a [`HandlerClaim`], and its transaction claims the request or finds that an
/// identical one claimed it meanwhile, in which case this request waits for that one's answer (or
/// runs, if that one was refused). Only identical requests arriving together both run the
/// handler's steps before its transaction (its limits and sign-in), as two new requests would.
pub async fn answer_once_claimed_by_handler<Run, Answer>(
    state: &AppState,
    request_hash: &str,
    parts: Parts,
    body: Bytes,
    run: Run,
) -> Response
where
    Run: Fn(Request) -> Answer,
    Answer: Future<Output = Response>,
{
    let fresh_after = Utc::now() - replay_window();
    let claimed_before = match state.store.claimed_request(request_hash, fresh_after).await {
        Ok(found) => found.is_some(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    if !claimed_before {
        let claim = HandlerClaim::new(request_hash, fresh_after);
        let mut first = Request::from_parts(parts.clone(), Body::from(body.clone()));
        first.extensions_mut().insert(claim.clone());
        let response = run(first).await;
        match claim.outcome() {
            Some(ClaimOutcome::Committed) => return remember(state, request_hash, response).await,
            Some(ClaimOutcome::ClaimedByAnother) => {}
            // Refused before its transaction committed: no claim was left to release.
            None => return response,
        }
    }
    let request = Request::from_parts(parts, Body::from(body));
    answer_once(state, request_hash, run(request)).await
}

/// A request's claim, handed to its handler to take inside the transaction of its effect, and how
/// that transaction ended, read back by [`answer_once_claimed_by_handler`].
#[derive(Clone)]
pub struct HandlerClaim(Arc<HandlerClaimState>);

struct HandlerClaimState {
    request_hash: String,
    fresh_after: DateTime<Utc>,
    /// Unset while no transaction given the ticket has ended with a claim decided.
    outcome: OnceLock<ClaimOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaimOutcome {
    Committed,
    ClaimedByAnother,
}

impl HandlerClaim {
    fn new(request_hash: &str, fresh_after: DateTime<Utc>) -> Self {
        Self(Arc::new(HandlerClaimState {
            request_hash: request_hash.to_owned(),
            fresh_after,
            outcome: OnceLock::new(),
        }))
    }

    /// What the handler's transaction takes.
    pub fn ticket(&self) -> ClaimTicket<'_> {
        ClaimTicket {
            request_hash: &self.0.request_hash,
            fresh_after: self.0.fresh_after,
        }
    }

    /// Records how the transaction given [`Self::ticket`] ended, and passes its result on. Any
    /// other failure rolled the claim back with the rest.
    pub fn settle<T>(&self, result: StoreResult<T>) -> StoreResult<T> {
        let outcome = match &result {
            Ok(_) => ClaimOutcome::Committed,
            Err(StoreError::RequestClaimed) => ClaimOutcome::ClaimedByAnother,
            Err(_) => return result,
        };
        // One transaction per request takes the ticket: a second outcome cannot arrive.
        let _ = self.0.outcome.set(outcome);
        result
    }

    fn outcome(&self) -> Option<ClaimOutcome> {
        self.0.outcome.get().copied()
    }

    /// Whether an identical request took the claim first: this request's own answer is then
    /// dropped for that one's, so it is neither signed nor counted as a refusal.
    pub fn lost_to_another(&self) -> bool {
        self.outcome() == Some(ClaimOutcome::ClaimedByAnother)
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::middleware::{self, Next};
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt as _;

    use super::*;

    /// The License API's routes are nested under `/api/v4` and its middleware is a route layer: the
    /// path it matches against is the whole route's.
    #[tokio::test]
    async fn only_activation_is_claimed_by_its_handler() {
        let seen = Arc::new(Mutex::new(vec![]));
        let record = {
            let seen = seen.clone();
            move |request: Request, next: Next| {
                let (parts, body) = request.into_parts();
                seen.lock().unwrap().push(is_claimed_by_handler(&parts));
                next.run(Request::from_parts(parts, body))
            }
        };
        let api = Router::new()
            .route("/activate_license", post(|| async {}))
            .route("/add_consumption", post(|| async {}))
            .route_layer(middleware::from_fn(record));
        let app = Router::new().nest("/api/v4", api);
        for path in ["/api/v4/activate_license", "/api/v4/add_consumption"] {
            let request = Request::post(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert_eq!(*seen.lock().unwrap(), [true, false]);
    }
}
