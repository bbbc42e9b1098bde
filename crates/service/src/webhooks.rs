//! Webhook endpoints: where a company's events are delivered, which events, and the secret that
//! signs them. Delivery itself runs in the server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use chrono::{Duration, Utc};
use latch_store::query::fields::WEBHOOK_DELIVERY_FIELDS;
use latch_store::query::{find_field, ListQuery, Lookup, Value};
use latch_store::{
    Listing, NewWebhook, Page, WebhookAttempt, WebhookChanges, WebhookDelivery, WebhookEndpoint,
};

use crate::{ServiceError, ServiceResult, Tenant};

/// How long a rotated-out secret keeps signing deliveries beside the new one.
pub const PREVIOUS_SECRET_VALIDITY: Duration = Duration::hours(24);

/// The longest URL an endpoint may have.
const MAX_URL_LENGTH: usize = 2048;

/// The subscriptions offered to choose from: every event, each license event, and the events of
/// each other resource by pattern (docs/WEBHOOKS.md describes them).
pub const WEBHOOK_EVENT_CHOICES: &[&str] = &[
    "*",
    "license.*",
    "license.created",
    "license.updated",
    "license.deleted",
    "license.reset",
    "license.license_user.assigned",
    "license.license_user.unassigned",
    "license.activated",
    "license.deactivated",
    "license.consumption",
    "license.borrowed",
    "license.released",
    "license.floating_seat_taken",
    "license.feature_seat_taken",
    "license.feature_borrowed",
    "license.feature_released",
    "customer.*",
    "customer_account.*",
    "license_user.*",
    "order.*",
    "product.*",
    "product_feature.*",
    "device.*",
    "device_variable.*",
    "installation_file.*",
    "product_custom_field.*",
    "license_custom_field.*",
    "api_key.*",
    "oauth_client.*",
    "management_key.*",
    "webhook.*",
    "license_import.*",
    "staff.*",
];

/// A new endpoint, or an endpoint's new values (`None`: unchanged, on updates).
#[derive(Debug, Default, Clone)]
pub struct WebhookSpec {
    pub url: Option<String>,
    pub description: Option<String>,
    /// Event names and patterns; all events when none is given on creation.
    pub events: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// A new endpoint with its secret, shown this once.
#[derive(Debug)]
pub struct CreatedWebhook {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// Whether endpoints may be on loopback, private or link-local addresses (and use plain http).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookTargets {
    pub allow_private: bool,
}

/// Whether `address` is reachable on the public internet: not loopback, private, link-local,
/// shared, documentation, multicast or otherwise reserved. Webhooks go only to such addresses unless
/// private targets are allowed.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            let unique_local = segments[0] & 0xfe00 == 0xfc00;
            let link_local = segments[0] & 0xffc0 == 0xfe80;
            let documentation = segments[0] == 0x2001 && segments[1] == 0x0db8;
            // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
            let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if nat64 {
                let [.., high, low] = segments;
                return is_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || unique_local
                || link_local
                || documentation
                || v6 == Ipv6Addr::from(1u128 << 32)) // ::1:0:0, never routed
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let benchmarking = a == 198 && (b == 18 || b == 19);
    let reserved = a >= 240 || a == 0;
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || shared
        || benchmarking
        || reserved)
}

/// Checks an endpoint URL: https (http only where private targets are allowed), a host, and no
/// literal private address or `localhost` unless allowed. Names are resolved when delivering, where
/// each connected address is checked again.
pub fn check_webhook_url(url: &str, targets: WebhookTargets) -> ServiceResult<()> {
    let invalid = |message: &str| Err(ServiceError::invalid("url", message));
    if url.len() > MAX_URL_LENGTH {
        return invalid("is longer than 2048 characters");
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return invalid("is not a valid URL");
    };
    match parsed.scheme() {
        "https" => {}
        "http" if targets.allow_private => {}
        "http" => return invalid("must use https"),
        _ => return invalid("must be an https URL"),
    }
    let private = match parsed.host() {
        None => return invalid("has no host"),
        Some(url::Host::Ipv4(v4)) => !is_public_address(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => !is_public_address(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if private && !targets.allow_private {
        return invalid(
            "is a loopback, private or link-local address, refused unless webhook_allow_private is set",
        );
    }
    Ok(())
}

/// Checks subscriptions: `*`, an event name such as `license.activated`, or a prefix pattern such as
/// `license.*`; at least one.
pub fn check_webhook_events(events: &[String]) -> ServiceResult<()> {
    if events.is_empty() {
        return Err(ServiceError::invalid(
            "events",
            "must name at least one event or pattern",
        ));
    }
    for pattern in events {
        let name = pattern.strip_suffix(".*").unwrap_or(pattern);
        let valid = pattern == "*"
            || (!name.is_empty()
                && name.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                }));
        if !valid {
            return Err(ServiceError::invalid(
                "events",
                format!(
                    "{pattern:?} is not an event name (license.activated), a pattern (license.*) or *"
                ),
            ));
        }
    }
    Ok(())
}

/// A Standard Webhooks secret: `whsec_` and 32 random bytes in base64.
fn generate_secret() -> ServiceResult<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServiceError::Random)?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

impl Tenant<'_> {
    /// Creates an endpoint (enabled unless `spec.enabled` says otherwise) with a new secret.
    pub async fn create_webhook(
        &self,
        spec: WebhookSpec,
        targets: WebhookTargets,
    ) -> ServiceResult<CreatedWebhook> {
        let Some(url) = spec.url else {
            return Err(ServiceError::invalid("url", "is required"));
        };
        check_webhook_url(&url, targets)?;
        let events = spec.events.unwrap_or_else(|| vec!["*".to_owned()]);
        check_webhook_events(&events)?;
        let secret = generate_secret()?;
        let endpoint = self
            .store
            .create_webhook(
                NewWebhook {
                    company_id: self.company_id(),
                    url: &url,
                    description: spec.description.as_deref().unwrap_or_default(),
                    events: &events,
                    enabled: spec.enabled.unwrap_or(true),
                    secret: &secret,
                },
                &self.actor,
                Utc::now(),
            )
            .await?;
        Ok(CreatedWebhook { endpoint, secret })
    }

    /// The company's endpoints, newest first.
    pub async fn webhooks(&self) -> ServiceResult<Vec<WebhookEndpoint>> {
        Ok(self.store.webhooks(self.company_id()).await?)
    }

    pub async fn webhook(&self, id: i64) -> ServiceResult<WebhookEndpoint> {
        Ok(self.store.webhook(self.company_id(), id).await?)
    }

    /// Changes the values given; enabling an endpoint Latch disabled starts it afresh.
    pub async fn update_webhook(
        &self,
        id: i64,
        spec: WebhookSpec,
        targets: WebhookTargets,
    ) -> ServiceResult<WebhookEndpoint> {
        if let Some(url) = &spec.url {
            check_webhook_url(url, targets)?;
        }
        if let Some(events) = &spec.events {
            check_webhook_events(events)?;
        }
        let changes = WebhookChanges {
            url: spec.url,
            description: spec.description,
            events: spec.events,
            enabled: spec.enabled,
        };
        Ok(self
            .store
            .update_webhook(self.company_id(), id, &changes, &self.actor, Utc::now())
            .await?)
    }

    /// Deletes the endpoint and its deliveries.
    pub async fn delete_webhook(&self, id: i64) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_webhook(self.company_id(), id, &self.actor, Utc::now())
            .await?)
    }

    /// Gives the endpoint a new secret, shown this once; the old one keeps signing deliveries (a
    /// second signature) for [`PREVIOUS_SECRET_VALIDITY`].
    pub async fn rotate_webhook_secret(&self, id: i64) -> ServiceResult<CreatedWebhook> {
        let secret = generate_secret()?;
        let now = Utc::now();
        let endpoint = self
            .store
            .rotate_webhook_secret(
                self.company_id(),
                id,
                &secret,
                now + PREVIOUS_SECRET_VALIDITY,
                &self.actor,
                now,
            )
            .await?;
        Ok(CreatedWebhook { endpoint, secret })
    }

    /// The endpoint's deliveries that match, newest first unless the query orders them.
    pub async fn webhook_deliveries(
        &self,
        id: i64,
        list_query: &ListQuery,
        page: Page,
    ) -> ServiceResult<Listing<WebhookDelivery>> {
        self.webhook(id).await?;
        let endpoint = find_field(WEBHOOK_DELIVERY_FIELDS, "webhook")
            .expect("deliveries are listed by endpoint");
        let list_query = list_query
            .clone()
            .with(endpoint, Lookup::Exact, Value::Int(id));
        Ok(self
            .store
            .webhook_deliveries(self.company_id(), &list_query, page)
            .await?)
    }

    /// One delivery of the endpoint with its attempts, oldest first.
    pub async fn webhook_delivery(
        &self,
        id: i64,
        delivery_id: i64,
    ) -> ServiceResult<(WebhookDelivery, Vec<WebhookAttempt>)> {
        Ok(self
            .store
            .webhook_delivery(self.company_id(), id, delivery_id)
            .await?)
    }

    /// Sends the delivery again as soon as possible (if its endpoint is enabled).
    pub async fn retry_webhook_delivery(
        &self,
        id: i64,
        delivery_id: i64,
    ) -> ServiceResult<WebhookDelivery> {
        Ok(self
            .store
            .retry_webhook_delivery(self.company_id(), id, delivery_id, Utc::now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: WebhookTargets = WebhookTargets {
        allow_private: false,
    };
    const LENIENT: WebhookTargets = WebhookTargets {
        allow_private: true,
    };

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(
                !is_public_address(address.parse().unwrap()),
                "{address} is private"
            );
        }
        for address in ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822"] {
            assert!(
                is_public_address(address.parse().unwrap()),
                "{address} is public"
            );
        }
    }

    #[test]
    fn urls_must_be_https_to_public_hosts_unless_private_targets_are_allowed() {
        assert!(check_webhook_url("https://hooks.example.com/latch", STRICT).is_ok());
        for refused in [
            "http://hooks.example.com/latch",
            "https://127.0.0.1/x",
            "https://localhost:8443/x",
            "https://[::1]/x",
            "https://10.0.0.5/x",
            "ftp://example.com/",
            "not a url",
        ] {
            assert!(check_webhook_url(refused, STRICT).is_err(), "{refused}");
        }
        assert!(check_webhook_url("http://127.0.0.1:9000/x", LENIENT).is_ok());
        assert!(check_webhook_url("ftp://example.com/", LENIENT).is_err());
    }

    #[test]
    fn subscriptions_are_names_prefix_patterns_or_everything() {
        let events = |list: &[&str]| list.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert!(check_webhook_events(&events(&[
            "*",
            "license.*",
            "license.activated",
            "license.license_user.assigned"
        ]))
        .is_ok());
        for refused in [
            &[][..],
            &["license*"],
            &["*.activated"],
            &["License.x"],
            &[""],
        ] {
            assert!(
                check_webhook_events(&events(refused)).is_err(),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn every_offered_choice_is_a_valid_subscription() {
        let choices: Vec<String> = WEBHOOK_EVENT_CHOICES
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert!(check_webhook_events(&choices).is_ok());
    }

    #[test]
    fn secrets_are_standard_webhooks_secrets() {
        let secret = generate_secret().unwrap();
        let encoded = secret.strip_prefix("whsec_").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(bytes.len(), 32);
    }
}
