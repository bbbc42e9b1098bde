//! Request rate limits per node, in memory: per API key and per client address for every License API
//! request, per license for activations, per product and address for trials. Each limit is a token
//! bucket (GCRA: one timestamp per key) allowing `burst` requests at once, refilled at `per_second`;
//! the keys live in a bounded cache, so a flood of distinct keys cannot grow memory.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use latch_domain::CompanyId;
use latch_service::config::{RateLimit, RateLimitSettings};
use quick_cache::sync::Cache;

use crate::error::ApiError;

/// Keys remembered per limit; a forgotten key starts with a full bucket again.
const KEYS_PER_LIMIT: usize = 100_000;

/// The client's address, put into each request's extensions by the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

struct Bucket<K> {
    /// When the bucket will be full again ("theoretical arrival time").
    full_at: Cache<K, Arc<Mutex<Instant>>>,
    interval: Duration,
    burst_window: Duration,
}

impl<K: Eq + Hash + Clone> Bucket<K> {
    fn new(limit: RateLimit) -> Option<Self> {
        if limit.per_second <= 0.0 || limit.burst == 0 {
            return None;
        }
        let interval = Duration::from_secs_f64(1.0 / limit.per_second);
        Some(Self {
            full_at: Cache::new(KEYS_PER_LIMIT),
            interval,
            burst_window: interval * limit.burst,
        })
    }

    /// Takes one token for `key`, or says how many seconds until one is free.
    fn take(&self, key: K) -> Result<(), ApiError> {
        let now = Instant::now();
        let cell = self
            .full_at
            .get_or_insert_with(&key, || {
                Ok::<_, std::convert::Infallible>(Arc::new(Mutex::new(now)))
            })
            .unwrap_or_else(|never| match never {});
        let mut full_at = cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = (*full_at).max(now) + self.interval;
        let allowed_until = now + self.burst_window;
        if next > allowed_until {
            let wait = next - allowed_until;
            return Err(ApiError::TooManyRequests {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            });
        }
        *full_at = next;
        Ok(())
    }
}

/// Every limit of one node; a limit configured to 0 is off.
pub struct RateLimits {
    per_api_key: Option<Bucket<String>>,
    per_address: Option<Bucket<IpAddr>>,
    activations: Option<Bucket<(CompanyId, String)>>,
    trials: Option<Bucket<(CompanyId, String, IpAddr)>>,
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            per_api_key: Bucket::new(settings.per_api_key),
            per_address: Bucket::new(settings.per_address),
            activations: Bucket::new(settings.activations_per_license),
            trials: Bucket::new(settings.trials_per_address),
        }
    }

    pub fn address(&self, address: Option<ClientAddr>) -> Result<(), ApiError> {
        match (&self.per_address, address) {
            (Some(bucket), Some(ClientAddr(ip))) => bucket.take(ip),
            _ => Ok(()),
        }
    }

    pub fn api_key(&self, api_key: &str) -> Result<(), ApiError> {
        match &self.per_api_key {
            Some(bucket) => bucket.take(api_key.to_owned()),
            None => Ok(()),
        }
    }

    /// An activation of the license named by `license` (its key, or the license user's name).
    pub fn activation(&self, company_id: CompanyId, license: &str) -> Result<(), ApiError> {
        match &self.activations {
            Some(bucket) => bucket.take((company_id, license.to_owned())),
            None => Ok(()),
        }
    }

    pub fn trial(
        &self,
        company_id: CompanyId,
        product: &str,
        address: Option<ClientAddr>,
    ) -> Result<(), ApiError> {
        match (&self.trials, address) {
            (Some(bucket), Some(ClientAddr(ip))) => {
                bucket.take((company_id, product.to_owned(), ip))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let bucket = Bucket::new(RateLimit {
            per_second: 1.0,
            burst: 3,
        })
        .unwrap();
        for _ in 0..3 {
            bucket.take("k").unwrap();
        }
        match bucket.take("k") {
            Err(ApiError::TooManyRequests { retry_after }) => assert_eq!(retry_after, 1),
            other => panic!("{other:?}"),
        }
        bucket.take("other").unwrap();
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let off = RateLimit {
            per_second: 0.0,
            burst: 10,
        };
        assert!(Bucket::<String>::new(off).is_none());
    }
}
