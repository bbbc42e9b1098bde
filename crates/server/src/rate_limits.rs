//! Request limits. Flood control lives in memory, per node: per API key and per client address for
//! every License API request, per product and address for trials (token buckets: GCRA, one timestamp
//! per key, allowing `burst` requests at once, refilled at `per_second`), and a backoff for client
//! addresses that keep failing passwords. Keys live in bounded caches, so a flood of distinct keys
//! cannot grow memory. Business limits and per-user password attempts are fixed windows counted in
//! the database, so they hold across nodes: activations per license, password attempts per user name.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::OptionalFromRequestParts;
use axum::http::request::Parts;
use chrono::Utc;
use latch_domain::CompanyId;
use latch_service::config::{
    AttemptLimit, FailureBackoff, PasswordLimits, RateLimit, RateLimitSettings,
};
use latch_store::{AttemptKind, AttemptWindow, GuardStore};
use quick_cache::sync::Cache;

use crate::error::ApiError;

/// Keys remembered per limit; a forgotten key starts with a full bucket again.
const KEYS_PER_LIMIT: usize = 100_000;

/// The first wait of a failing address; each further failure doubles it.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// The client's address, put into each request's extensions by the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Extracted as `Option<ClientAddr>`: requests driven in process, without the listener, have none.
impl<S: Send + Sync> OptionalFromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<ClientAddr>().copied())
    }
}

/// 429 with the wait in whole seconds, rounded up and at least one.
fn too_many_requests(wait: Duration) -> ApiError {
    ApiError::TooManyRequests {
        retry_after: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
    }
}

/// A cell per key in a bounded cache, created by `fresh` on first use.
fn cell<K: Eq + Hash + Clone, V>(
    cache: &Cache<K, Arc<Mutex<V>>>,
    key: &K,
    fresh: impl FnOnce() -> V,
) -> Arc<Mutex<V>> {
    cache
        .get_or_insert_with(key, || {
            Ok::<_, std::convert::Infallible>(Arc::new(Mutex::new(fresh())))
        })
        .unwrap_or_else(|never| match never {})
}

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
        let cell = cell(&self.full_at, &key, || now);
        let mut full_at = cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = (*full_at).max(now) + self.interval;
        let allowed_until = now + self.burst_window;
        if next > allowed_until {
            return Err(too_many_requests(next - allowed_until));
        }
        *full_at = next;
        Ok(())
    }
}

/// The failed password attempts of one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AddressFailures {
    failures: u32,
    /// No password attempt from the address is checked before this.
    must_wait_until: Instant,
}

impl AddressFailures {
    fn fresh(now: Instant) -> Self {
        Self {
            failures: 0,
            must_wait_until: now,
        }
    }

    /// The record after one more failure at `now`. Failures are forgotten once the address has neither
    /// failed nor had to wait for `window`: measured from the end of its last wait, so an address that
    /// retries as soon as each wait ends keeps doubling it.
    fn after_failure(self, now: Instant, policy: &FailureBackoff) -> Self {
        let quiet = now.saturating_duration_since(self.must_wait_until) >= policy.window;
        let failures = if quiet {
            1
        } else {
            self.failures.saturating_add(1)
        };
        let wait = backoff(failures, policy);
        Self {
            failures,
            must_wait_until: now + wait,
        }
    }
}

/// How long an address must wait after its `failures`-th failure: nothing before `policy.failures`,
/// then 1 s doubling with each further failure, at most `policy.max_delay`.
fn backoff(failures: u32, policy: &FailureBackoff) -> Duration {
    match failures.checked_sub(policy.failures) {
        Some(beyond) => FIRST_BACKOFF
            .saturating_mul(1 << beyond.min(31))
            .min(policy.max_delay),
        None => Duration::ZERO,
    }
}

/// Failed password attempts per client address, with backoff.
struct PasswordBackoff {
    policy: FailureBackoff,
    addresses: Cache<IpAddr, Arc<Mutex<AddressFailures>>>,
}

impl PasswordBackoff {
    fn new(policy: FailureBackoff) -> Option<Self> {
        (policy.failures > 0).then(|| Self {
            policy,
            addresses: Cache::new(KEYS_PER_LIMIT),
        })
    }

    /// Refuses an address that must still wait.
    fn admit(&self, address: IpAddr, now: Instant) -> Result<(), ApiError> {
        let Some(cell) = self.addresses.get(&address) else {
            return Ok(());
        };
        let failures = *cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match failures.must_wait_until.checked_duration_since(now) {
            Some(wait) if !wait.is_zero() => Err(too_many_requests(wait)),
            _ => Ok(()),
        }
    }

    fn failed(&self, address: IpAddr, now: Instant) {
        let cell = cell(&self.addresses, &address, || AddressFailures::fresh(now));
        let mut failures = cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *failures = failures.after_failure(now, &self.policy);
    }
}

/// The refusal for an attempt that made `attempts` in a window of `limit`, if it is one too many.
fn over_limit(
    attempts: AttemptWindow,
    limit: AttemptLimit,
    window: chrono::Duration,
    now: chrono::DateTime<Utc>,
) -> Option<ApiError> {
    (attempts.count > i64::from(limit.attempts)).then(|| {
        let wait = (attempts.window_start + window - now)
            .to_std()
            .unwrap_or_default();
        too_many_requests(wait)
    })
}

/// Counts one attempt of `kind` for `subject` in the database; refuses it over the limit.
async fn take_attempt(
    store: &(impl GuardStore + ?Sized),
    company_id: CompanyId,
    kind: AttemptKind,
    subject: &str,
    limit: AttemptLimit,
) -> Result<(), ApiError> {
    let window = chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::days(1));
    let now = Utc::now();
    let attempts = store
        .take_attempt(company_id, kind, subject, now, window)
        .await?;
    match over_limit(attempts, limit, window, now) {
        Some(refused) => Err(refused),
        None => Ok(()),
    }
}

/// Every limit of one node; a limit configured to 0 is off.
pub struct RateLimits {
    per_api_key: Option<Bucket<String>>,
    per_address: Option<Bucket<IpAddr>>,
    activations: Option<AttemptLimit>,
    trials: Option<Bucket<(CompanyId, String, IpAddr)>>,
    password_attempts_per_user: AttemptLimit,
    password_failures_per_address: Option<PasswordBackoff>,
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings, passwords: PasswordLimits) -> Self {
        Self {
            per_api_key: Bucket::new(settings.per_api_key),
            per_address: Bucket::new(settings.per_address),
            activations: settings.activations_per_license,
            trials: Bucket::new(settings.trials_per_address),
            password_attempts_per_user: passwords.per_user,
            password_failures_per_address: PasswordBackoff::new(passwords.per_address),
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

    /// An activation of the license named by `license` (its key, or the license user's name), counted
    /// in the database: a business limit, it holds across nodes.
    pub async fn activation(
        &self,
        store: &(impl GuardStore + ?Sized),
        company_id: CompanyId,
        license: &str,
    ) -> Result<(), ApiError> {
        match self.activations {
            Some(limit) => {
                take_attempt(store, company_id, AttemptKind::Activation, license, limit).await
            }
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

    /// Before a license user's password is checked: refuses an address that must wait after its
    /// failures, then counts one attempt for the user name (lower-cased), in the database.
    pub async fn password_attempt(
        &self,
        store: &(impl GuardStore + ?Sized),
        company_id: CompanyId,
        username: &str,
        address: Option<ClientAddr>,
    ) -> Result<(), ApiError> {
        self.sign_in_attempt(store, company_id, AttemptKind::Password, username, address)
            .await
    }

    /// A right password gives the user name's attempt back; the address's failures stay, so signing in
    /// to one account does not buy guesses at others.
    pub async fn password_right(
        &self,
        store: &(impl GuardStore + ?Sized),
        company_id: CompanyId,
        username: &str,
    ) -> Result<(), ApiError> {
        store
            .return_attempt(company_id, AttemptKind::Password, username)
            .await?;
        Ok(())
    }

    /// Before a dashboard staff member's password is checked: the same limits as a license user's,
    /// counted in their own windows.
    pub async fn staff_sign_in_attempt(
        &self,
        store: &(impl GuardStore + ?Sized),
        company_id: CompanyId,
        email: &str,
        address: Option<ClientAddr>,
    ) -> Result<(), ApiError> {
        self.sign_in_attempt(store, company_id, AttemptKind::StaffSignIn, email, address)
            .await
    }

    /// Refuses an address that must wait after its failures, then counts one attempt of `kind` for
    /// `subject` in the database.
    async fn sign_in_attempt(
        &self,
        store: &(impl GuardStore + ?Sized),
        company_id: CompanyId,
        kind: AttemptKind,
        subject: &str,
        address: Option<ClientAddr>,
    ) -> Result<(), ApiError> {
        self.secret_attempt(address)?;
        take_attempt(
            store,
            company_id,
            kind,
            subject,
            self.password_attempts_per_user,
        )
        .await
    }

    /// Before a password or an OAuth client's secret is checked: refuses an address that must wait
    /// after its failures.
    pub fn secret_attempt(&self, address: Option<ClientAddr>) -> Result<(), ApiError> {
        match (&self.password_failures_per_address, address) {
            (Some(backoff), Some(ClientAddr(ip))) => backoff.admit(ip, Instant::now()),
            _ => Ok(()),
        }
    }

    /// A wrong password (or an unknown user), or a wrong OAuth client secret (or an unknown client),
    /// counts against the address it came from.
    pub fn secret_wrong(&self, address: Option<ClientAddr>) {
        if let (Some(backoff), Some(ClientAddr(ip))) =
            (&self.password_failures_per_address, address)
        {
            backoff.failed(ip, Instant::now());
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

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn retry_after(result: Result<(), ApiError>) -> Option<u64> {
        match result {
            Ok(()) => None,
            Err(ApiError::TooManyRequests { retry_after }) => Some(retry_after),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_is_the_wait_rounded_up_to_whole_seconds() {
        for (wait, expected) in [
            (0, 1),
            (1, 1),
            (1000, 1),
            (1001, 2),
            (59_500, 60),
            (60_000, 60),
        ] {
            assert_eq!(
                retry_after(Err(too_many_requests(ms(wait)))),
                Some(expected),
                "{wait} ms"
            );
        }
    }

    const POLICY: FailureBackoff = FailureBackoff {
        failures: 3,
        window: Duration::from_secs(60),
        max_delay: Duration::from_secs(10),
    };

    #[test]
    fn backoff_waits_from_the_threshold_on_doubling_up_to_the_cap() {
        let waits: Vec<u64> = (0..=9).map(|n| backoff(n, &POLICY).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(backoff(u32::MAX, &POLICY), POLICY.max_delay);
        let a_day = FailureBackoff {
            failures: 1,
            max_delay: Duration::from_secs(86_400),
            ..POLICY
        };
        assert_eq!(backoff(1 + 16, &a_day), Duration::from_secs(65_536));
        assert_eq!(backoff(1 + 17, &a_day), a_day.max_delay);
        assert_eq!(backoff(u32::MAX, &a_day), a_day.max_delay);
    }

    #[test]
    fn an_address_waits_after_its_failures_and_twice_as_long_after_each_further_one() {
        let backoff = PasswordBackoff::new(POLICY).unwrap();
        let (address, other): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        for n in 0..3 {
            assert_eq!(retry_after(backoff.admit(address, t0)), None, "attempt {n}");
            backoff.failed(address, t0);
        }
        // Refusals are not failures: asking again and again does not lengthen the wait.
        for _ in 0..5 {
            assert_eq!(retry_after(backoff.admit(address, t0)), Some(1));
        }
        assert_eq!(retry_after(backoff.admit(other, t0)), None);
        let mut now = t0 + ms(1000);
        for expected_wait in [2, 4, 8, 10, 10] {
            assert_eq!(retry_after(backoff.admit(address, now)), None);
            backoff.failed(address, now);
            assert_eq!(
                retry_after(backoff.admit(address, now + ms(500))),
                Some(expected_wait)
            );
            now += Duration::from_secs(expected_wait);
        }
        assert_eq!(retry_after(backoff.admit(address, now)), None);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_window_counted_from_the_end_of_the_last_wait() {
        let record = |failures_at: &[u64], t0: Instant| {
            failures_at
                .iter()
                .fold(AddressFailures::fresh(t0), |record, at| {
                    record.after_failure(t0 + ms(*at), &POLICY)
                })
        };
        let t0 = Instant::now();
        let waiting = record(&[0, 0, 0], t0);
        assert_eq!(waiting.failures, 3);
        assert_eq!(waiting.must_wait_until, t0 + ms(1000));
        // 59.9 s after the wait ended: not quiet long enough, the count goes on.
        let not_quiet = waiting.after_failure(t0 + ms(60900), &POLICY);
        assert_eq!(not_quiet.failures, 4);
        assert_eq!(not_quiet.must_wait_until, t0 + ms(62900));
        // 60 s after the wait ended: a fresh start, and no wait below the threshold.
        let quiet = waiting.after_failure(t0 + ms(61000), &POLICY);
        assert_eq!(quiet.failures, 1);
        assert_eq!(quiet.must_wait_until, t0 + ms(61000));
        // Below the threshold the window runs from the last failure.
        let spread = record(&[0, 59_000, 118_000], t0);
        assert_eq!(
            (spread.failures, spread.must_wait_until),
            (3, t0 + ms(119000))
        );
        let forgotten = record(&[0, 60_000, 120_000], t0);
        assert_eq!(forgotten.failures, 1);
    }

    #[test]
    fn a_failure_during_a_wait_restarts_it_doubled() {
        let t0 = Instant::now();
        let waiting = (0..3).fold(AddressFailures::fresh(t0), |record, _| {
            record.after_failure(t0, &POLICY)
        });
        // An attempt admitted before the wait began fails half-way through it.
        let later = waiting.after_failure(t0 + ms(500), &POLICY);
        assert_eq!(later.failures, 4);
        assert_eq!(later.must_wait_until, t0 + ms(2500));
    }

    #[test]
    fn zero_failures_turns_the_address_backoff_off() {
        let off = FailureBackoff {
            failures: 0,
            ..POLICY
        };
        assert!(PasswordBackoff::new(off).is_none());
    }

    #[test]
    fn an_attempt_window_refuses_only_beyond_its_limit_until_the_window_ends() {
        let limit = AttemptLimit {
            attempts: 3,
            window: Duration::from_secs(60),
        };
        let window = chrono::Duration::seconds(60);
        let now = Utc::now();
        let refusal = |count, started_ago: chrono::Duration| {
            over_limit(
                AttemptWindow {
                    count,
                    window_start: now - started_ago,
                },
                limit,
                window,
                now,
            )
            .map(|refused| retry_after(Err(refused)).unwrap())
        };
        for count in 1..=3 {
            assert_eq!(refusal(count, chrono::Duration::zero()), None);
        }
        assert_eq!(refusal(4, chrono::Duration::zero()), Some(60));
        assert_eq!(refusal(4, chrono::Duration::milliseconds(500)), Some(60));
        assert_eq!(refusal(100, chrono::Duration::seconds(59)), Some(1));
        assert_eq!(refusal(4, chrono::Duration::milliseconds(59_999)), Some(1));
    }
}
