//! One log line and one metrics observation per request. The line is written inside the request's
//! span (request id, method, path, company id once authenticated) and adds the status, the latency and
//! the query parameters with secrets left out: the SDKs send license keys, hardware ids and passwords
//! in GET query strings, so a query string is never logged as sent.

use std::fmt::Write as _;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

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

/// Around the router: the request line and the request metrics.
pub async fn log_and_measure(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let params = loggable_query(request.uri().query().unwrap_or_default());
    let response = next.run(request).await;
    let latency = started.elapsed();
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str);
    let status = response.status().as_u16();
    state.metrics.request(route, status, latency);
    tracing::info!(
        status,
        latency_ms = format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
        params,
        "request"
    );
    response
}

/// The query parameters as `name=value` pairs with only harmless values: the product code in full,
/// license keys and hardware ids cut to their first characters, every other value (passwords, e-mail
/// addresses, tokens, anything unknown) left out, and odd parameter names replaced.
fn loggable_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
        return "(malformed)".to_owned();
    };
    let mut logged = String::new();
    for (name, value) in pairs {
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
        match name.as_str() {
            "product" => {
                let _ = write!(logged, "={}", shortened(&value, MAX_PRODUCT_CHARS));
            }
            "license_key" | "hardware_id" => {
                let _ = write!(logged, "={}", shortened(&value, SHOWN_PREFIX));
            }
            _ => {}
        }
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
        assert_eq!(shortened("ÄÖÜßxyz", 4), "ÄÖÜß…");
        assert_eq!(shortened("abc", 4), "abc");
    }
}
