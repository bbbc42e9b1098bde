//! The HTTP client deliveries go out through: 10 s for the whole exchange, no redirects, no proxy,
//! TLS with the system's roots, and only public addresses unless private targets are allowed. Names
//! are resolved here and only allowed addresses are handed to the connector, so the address
//! connected to is one that was checked (a name cannot resolve to a public address for a check and
//! to a private one for the connection).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use latch_service::{check_webhook_url, is_public_address, WebhookTargets};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::StatusCode;

/// How long one attempt may take, from connecting to the end of the answer's first 2 KB.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer is kept.
pub const RESPONSE_KEPT: usize = 2048;

/// What a receiver answered, or why it did not.
#[derive(Debug, Default)]
pub struct Answer {
    pub status: Option<StatusCode>,
    /// The first [`RESPONSE_KEPT`] bytes, as text.
    pub body: Option<String>,
    /// `Retry-After`, when the answer had one.
    pub retry_after: Option<Duration>,
    pub error: Option<String>,
}

impl Answer {
    fn failed(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            ..Self::default()
        }
    }
}

/// Resolves names, keeping the addresses deliveries may go to.
struct CheckedResolver {
    targets: WebhookTargets,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let targets = self.targets;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|address| allowed(targets, address))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{} resolves only to loopback, private or link-local addresses, refused unless \
                     webhook_allow_private is set",
                    name.as_str()
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

fn allowed(targets: WebhookTargets, address: &SocketAddr) -> bool {
    targets.allow_private || is_public_address(address.ip())
}

/// Sends deliveries.
#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    targets: WebhookTargets,
}

impl WebhookClient {
    pub fn new(targets: WebhookTargets) -> anyhow::Result<Self> {
        let http = crate::outbound::client_builder(ATTEMPT_TIMEOUT)?
            .dns_resolver(Arc::new(CheckedResolver { targets }))
            .user_agent(concat!("Latch-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, targets })
    }

    /// POSTs `body` with `headers`; never fails, the failure is in the answer.
    pub async fn post(&self, url: &str, headers: HeaderMap, body: String) -> Answer {
        // Literal addresses are not resolved, so they are checked here (the setting may also have
        // changed since the endpoint was saved).
        if let Err(refused) = check_webhook_url(url, self.targets) {
            return Answer::failed(format!("url {refused}"));
        }
        let response = match self.http.post(url).headers(headers).body(body).send().await {
            Ok(response) => response,
            Err(error) => return Answer::failed(describe(&error)),
        };
        if let Some(address) = response.remote_addr() {
            if !allowed(self.targets, &address) {
                return Answer::failed(format!("connected to {address}, a private address"));
            }
        }
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let (body, error) = read_start(response).await;
        Answer {
            status: Some(status),
            body: Some(body),
            retry_after,
            error,
        }
    }
}

/// The first [`RESPONSE_KEPT`] bytes of the answer, and why reading stopped early if it failed.
async fn read_start(mut response: reqwest::Response) -> (String, Option<String>) {
    let mut kept = Vec::new();
    let mut error = None;
    while kept.len() < RESPONSE_KEPT {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(failure) => {
                error = Some(describe(&failure));
                break;
            }
        }
    }
    kept.truncate(RESPONSE_KEPT);
    (String::from_utf8_lossy(&kept).into_owned(), error)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn describe(error: &reqwest::Error) -> String {
    crate::outbound::describe(error, ATTEMPT_TIMEOUT)
}

/// A header value from text the worker made (digits, base64, hex, a UUID): always valid.
pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn names_resolving_only_to_private_addresses_are_refused() {
        let strict = CheckedResolver {
            targets: WebhookTargets::default(),
        };
        let refused = strict.resolve(Name::from_str("localhost").unwrap()).await;
        let error = refused.err().expect("localhost is refused").to_string();
        assert!(error.contains("private"), "{error}");
        let lenient = CheckedResolver {
            targets: WebhookTargets {
                allow_private: true,
            },
        };
        let found: Vec<SocketAddr> = lenient
            .resolve(Name::from_str("localhost").unwrap())
            .await
            .unwrap()
            .collect();
        assert!(found.iter().all(|address| address.ip().is_loopback()));
    }

    #[tokio::test]
    async fn literal_private_addresses_are_refused_before_connecting() {
        let client = WebhookClient::new(WebhookTargets::default()).unwrap();
        let answer = client
            .post("https://127.0.0.1:9/hook", HeaderMap::new(), String::new())
            .await;
        assert!(answer.status.is_none());
        assert!(answer.error.unwrap().contains("private"));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        headers.insert(RETRY_AFTER, header_value(&httpdate::fmt_http_date(later)));
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
    }
}
