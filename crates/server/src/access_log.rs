//! Every request's id, span, log line and metrics observation. The span carries the request id,
//! method, path and, once authenticated, the company id, so every line a request writes names it; the
//! request line adds the status, the latency and the query parameters with secrets left out: the SDKs
//! send license keys, hardware ids and passwords in GET query strings, so a query string is never
//! logged as sent.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::state::AppState;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client request id kept; a longer one is replaced by a new id.
const MAX_REQUEST_ID_CHARS: usize = 128;
/// The route label of requests that matched no route (so stray paths cannot grow the metrics).
const UNMATCHED: &str = "unmatched";
/// Characters of an identifying value (license key, hardware id) kept in the log.
const SHOWN_PREFIX: usize = 4;
/// Longest product code logged in full.
const MAX_PRODUCT_CHARS: usize = 64;

/// Inside the router, where the route is known: hands its template out with the response.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Around the router: the request's id (the client's `x-request-id`, or a new UUID), echoed in the
/// answer; its span; its line and its metrics.
pub async fn log_and_measure(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    logged(request, next, |route, status, latency| {
        state.metrics.request(route, status, latency)
    })
    .await
}

/// The request run in its span, with its id and its line; `measure` is given the route, status and
/// latency of the answer.
pub(crate) async fn logged(
    request: Request,
    next: Next,
    measure: impl FnOnce(&str, u16, Duration),
) -> Response {
    let started = Instant::now();
    let request_id = request_id(&request);
    // The id and the path are visible ASCII (a header value that is not fails `to_str`; a path holds
    // no control characters), so they are logged as they are, without quoting.
    let span = tracing::info_span!(
        "request",
        request_id = %request_id.to_str().unwrap_or_default(),
        method = %request.method(),
        path = %request.uri().path(),
        company_id = tracing::field::Empty,
    );
    // Kept for the line: a reference count on the request's bytes, not a copy.
    let uri = request.uri().clone();
    async move {
        let mut response = next.run(request).await;
        let latency = started.elapsed();
        let route = response
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str);
        let status = response.status().as_u16();
        measure(route, status, latency);
        // The parameters are read only when the line is written.
        tracing::info!(
            status,
            latency_ms = format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
            params = loggable_query(uri.query().unwrap_or_default()),
            "request"
        );
        response
            .headers_mut()
            .insert(REQUEST_ID.clone(), request_id);
        response
    }
    .instrument(span)
    .await
}

/// The client's request id when it is a short visible-ASCII value, else a new UUID.
fn request_id(request: &Request) -> HeaderValue {
    if let Some(sent) = request.headers().get(&REQUEST_ID) {
        if sent.len() <= MAX_REQUEST_ID_CHARS && sent.to_str().is_ok_and(|id| !id.is_empty()) {
            return sent.clone();
        }
    }
    // A thread-local generator: ids need to be unique, not secret, and the system call behind
    // `Uuid::new_v4` cost about 1 % of a check answered from memory.
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    HeaderValue::from_str(
        id.hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    )
    .expect("a UUID is a header value")
}

/// The query parameters as `name=value` pairs with only harmless values: the product code in full,
/// license keys and hardware ids cut to their first characters, every other value (passwords, e-mail
/// addresses, tokens, anything unknown) left out, and odd parameter names replaced.
fn loggable_query(query: &str) -> String {
    let mut logged = String::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if !logged.is_empty() {
            logged.push(' ');
        }
        let plain_name = !name.is_empty()
            && name.len() <= 40
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain_name {
            logged.push('?');
            continue;
        }
        logged.push_str(&name);
        let shown = match &*name {
            "product" => MAX_PRODUCT_CHARS,
            "license_key" | "hardware_id" => SHOWN_PREFIX,
            _ => continue,
        };
        let _ = write!(logged, "={}", shortened(&value, shown));
    }
    logged
}

/// The first `keep` characters, with `…` when some were cut.
fn shortened(value: &str, keep: usize) -> String {
    match value.char_indices().nth(keep) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_queries_are_left_out_and_keys_cut() {
        let logged = loggable_query(
            "product=app&license_key=ABCD-EFGH-JKLM&hardware_id=0123456789&password=hunter2\
             &username=a%40b.example&sdk_ver=1",
        );
        assert_eq!(
            logged,
            "product=app license_key=ABCD… hardware_id=0123… password username sdk_ver"
        );
    }

    #[test]
    fn odd_names_are_not_echoed() {
        assert_eq!(loggable_query("SECRET-KEY-IN-NAME"), "?");
        assert_eq!(loggable_query(""), "");
        assert_eq!(loggable_query("a&&b"), "a b");
        assert_eq!(loggable_query("product=%FF%FE"), "product=\u{fffd}\u{fffd}");
        assert_eq!(shortened("ÄÖÜßxyz", 4), "ÄÖÜß…");
        assert_eq!(shortened("abc", 4), "abc");
    }
}
