//! What every request shares: the store, caches in front of it, and the write-behind queue.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use latch_domain::{CompanyId, ProductId};
use latch_service::config::{OAuthSettings, PasswordLimits, RateLimitSettings};
use latch_service::model::{ManagementKey, OAuthClient, OAuthToken};
use latch_service::oauth::access_token_hash;
use latch_service::passwords::PasswordPool;
use latch_service::{management_key_hash, Service, WebhookTargets};
use latch_store::changes::LicenseChanges;
use latch_store::{ApiKey, DeferredWrite, DeviceKey, LicenseLookup, Product, Release, Store};
use latch_wire::auth::{AuthError, RequestSigningKey};
use latch_wire::body::LicenseBody;
use latch_wire::signing::Signer;
use quick_cache::sync::Cache;
use secrecy::ExposeSecret;

use crate::answer_memo::AnswerMemo;
use crate::check_cache::CheckCache;
use crate::error::{ApiError, InternalError};
use crate::management::error::ManagementError;
use crate::metrics::{Metrics, SignatureSource};
use crate::rate_limits::RateLimits;
use crate::sso::IdentityProviders;
use crate::write_behind::WriteBehind;

/// How long a looked-up API key is trusted before it is read again: a revocation reaches every node
/// within this time.
pub const API_KEY_TTL: Duration = Duration::from_secs(2);
/// How long a looked-up management key is trusted before it is read again: a revocation reaches
/// every node within this time.
pub const MANAGEMENT_KEY_TTL: Duration = Duration::from_secs(2);
/// How long a looked-up OAuth client is trusted before it is read again: a revocation reaches every
/// node within this time.
pub const OAUTH_CLIENT_TTL: Duration = Duration::from_secs(2);
/// How long a product's release list is reused before it is read again.
pub const RELEASES_TTL: Duration = Duration::from_secs(5);

/// Values trusted for a fixed time after they were read.
struct Expiring<K, V> {
    entries: Cache<K, (V, Instant)>,
    ttl: Duration,
}

impl<K: Eq + std::hash::Hash + Clone, V: Clone> Expiring<K, V> {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: Cache::new(capacity),
            ttl,
        }
    }

    fn get<Q: std::hash::Hash + quick_cache::Equivalent<K> + ?Sized>(&self, key: &Q) -> Option<V> {
        self.entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(value, _)| value)
    }

    fn insert(&self, key: K, value: V) {
        self.entries.insert(key, (value, Instant::now()));
    }
}

/// An API key as authentication uses it: its record, and the HMAC key of its shared key (built once,
/// not for every request it signs).
pub struct KnownApiKey {
    pub record: ApiKey,
    pub signing_key: RequestSigningKey,
}

/// Signatures by (company, SHA-256 of the signed body).
type BodySignatures = Cache<(CompanyId, String), Arc<str>>;

/// The server's state, behind one reference count: axum clones it for every extractor and layer
/// of every request, and one atomic increment is cheaper than one per field (measured: cloning and
/// dropping the field-by-field state was 7 % of a repeated check's CPU).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

pub struct SharedState {
    pub store: Arc<dyn Store>,
    api_keys: Arc<Expiring<String, Option<Arc<KnownApiKey>>>>,
    /// Management keys by the SHA-256 of the key.
    management_keys: Arc<Expiring<String, Option<ManagementKey>>>,
    /// What access tokens grant, by the token's SHA-256: a token never changes, so entries stay until
    /// evicted; whether its client is still usable is asked of `oauth_clients`.
    access_tokens: Arc<Cache<String, OAuthToken>>,
    /// OAuth clients by client id.
    oauth_clients: Arc<Expiring<String, Option<OAuthClient>>>,
    /// How access tokens are issued and where clients are told to get them.
    pub oauth: OAuthSettings,
    /// The vendor operations, for the Management API.
    pub service: Service,
    /// `https` when this node serves TLS itself: the scheme of links in Management API answers.
    pub scheme: &'static str,
    signers: Arc<Cache<CompanyId, Arc<Signer>>>,
    /// Header signatures by (company, SHA-256 of the body): identical bodies are signed once.
    body_signatures: Arc<BodySignatures>,
    releases: Arc<Expiring<ProductId, Arc<Vec<Release>>>>,
    /// `check_license` reads kept behind the store's change stream; `None` reads the store each time.
    check_cache: Option<Arc<CheckCache>>,
    /// The bytes of devices' last check answers.
    pub answers: AnswerMemo<LicenseBody>,
    pub write_behind: WriteBehind,
    pub metrics: Arc<Metrics>,
    /// Where license users' passwords are hashed and verified.
    pub passwords: Arc<PasswordPool>,
    pub rate_limits: Arc<RateLimits>,
    /// Where webhook endpoints may point.
    pub webhook_targets: WebhookTargets,
    /// Customer accounts' identity providers, for single sign-on.
    pub(crate) identity_providers: Arc<IdentityProviders>,
}

impl AppState {
    /// Fails only when no HTTP client for identity providers can be made (no usable TLS).
    pub fn new(store: Arc<dyn Store>, write_behind: WriteBehind) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(SharedState {
            service: Service::new(store.clone()),
            store,
            api_keys: Arc::new(Expiring::new(10_000, API_KEY_TTL)),
            management_keys: Arc::new(Expiring::new(1_000, MANAGEMENT_KEY_TTL)),
            // A token per running app: sized like the check cache's devices.
            access_tokens: Arc::new(Cache::new(50_000)),
            oauth_clients: Arc::new(Expiring::new(10_000, OAUTH_CLIENT_TTL)),
            oauth: OAuthSettings::default(),
            scheme: "http",
            signers: Arc::new(Cache::new(10_000)),
            // 20k signatures of ~350 bytes: a few MB, enough for the devices that check repeatedly.
            body_signatures: Arc::new(Cache::new(20_000)),
            releases: Arc::new(Expiring::new(10_000, RELEASES_TTL)),
            check_cache: None,
            answers: AnswerMemo::default(),
            write_behind,
            metrics: Arc::new(Metrics::default()),
            passwords: Arc::new(PasswordPool::sized_to_machine()),
            rate_limits: Arc::new(RateLimits::new(
                RateLimitSettings::default(),
                PasswordLimits::default(),
            )),
            webhook_targets: WebhookTargets::default(),
            identity_providers: Arc::new(IdentityProviders::new()?),
        })))
    }

    /// The state while it is configured, before the server shares it.
    fn configured(&mut self) -> &mut SharedState {
        Arc::get_mut(&mut self.0).expect("the state is configured before it is shared")
    }

    /// Whether webhook endpoints may be on loopback, private or link-local addresses.
    pub fn with_webhook_targets(mut self, allow_private: bool) -> Self {
        self.configured().webhook_targets = WebhookTargets { allow_private };
        self
    }

    pub fn with_oauth(mut self, oauth: OAuthSettings) -> Self {
        self.configured().oauth = oauth;
        self
    }

    pub fn with_limits(mut self, rates: RateLimitSettings, passwords: PasswordLimits) -> Self {
        self.configured().rate_limits = Arc::new(RateLimits::new(rates, passwords));
        self
    }

    /// Answers unchanged devices' checks from memory, at most `capacity` devices (0: never).
    pub fn with_check_cache(mut self, changes: Arc<dyn LicenseChanges>, capacity: usize) -> Self {
        self.configured().check_cache =
            (capacity > 0).then(|| Arc::new(CheckCache::new(changes, capacity)));
        self
    }

    /// The read `check_license` decides on: from the check cache when it holds a current copy.
    pub async fn check_lookup(&self, key: &DeviceKey<'_>) -> Result<LicenseLookup, ApiError> {
        let (found, hit) = match &self.check_cache {
            Some(cache) => cache.lookup(self.store.as_ref(), key).await?,
            None => (self.store.lookup(key).await?, false),
        };
        self.metrics.check_read(hit);
        Ok(found)
    }

    /// Called after a request that may have written: returns once the check cache knows of the writes.
    pub async fn after_write(&self) {
        if let Some(cache) = &self.check_cache {
            cache.after_write().await;
        }
    }

    /// Queues a write for the write-behind batch; signatures also reach the check cache's copy.
    pub fn defer(&self, write: DeferredWrite) {
        if let Some(cache) = &self.check_cache {
            cache.remember(&write);
        }
        self.write_behind.defer(write);
    }

    /// Counts a License API refusal of the company's request: in the metrics at once, in storage
    /// with the write-behind batch.
    pub fn count_refusal(&self, company_id: CompanyId, code: &'static str) {
        self.metrics.refusal(code);
        self.defer(DeferredWrite::Refused {
            company_id,
            code,
            at: Utc::now(),
        });
    }

    pub async fn api_key(&self, api_key: &str) -> Result<Option<Arc<KnownApiKey>>, ApiError> {
        if let Some(found) = self.api_keys.get(api_key) {
            return Ok(found);
        }
        let found = self.store.api_key(api_key).await?.map(|record| {
            Arc::new(KnownApiKey {
                signing_key: RequestSigningKey::new(record.shared_key.expose_secret()),
                record,
            })
        });
        self.api_keys.insert(api_key.to_owned(), found.clone());
        Ok(found)
    }

    /// What a bearer token grants, if it is a current access token of a usable client. The refusals
    /// are the codes on which the Python SDK fetches a new token and tries again.
    pub async fn access_token(&self, token: &str) -> Result<OAuthToken, ApiError> {
        let hash = access_token_hash(token).ok_or(AuthError::OAuthTokenMalformed)?;
        let grant = match self.access_tokens.get(&hash) {
            Some(grant) => grant,
            None => {
                let grant = self
                    .service
                    .access_token(token)
                    .await?
                    .ok_or(AuthError::OAuthTokenMalformed)?;
                self.access_tokens.insert(hash, grant.clone());
                grant
            }
        };
        if Utc::now() >= grant.expires_at {
            return Err(AuthError::OAuthTokenExpired.into());
        }
        let client = match self.oauth_clients.get(&grant.client_id) {
            Some(client) => client,
            None => {
                let client = self.service.oauth_client(&grant.client_id).await?;
                self.oauth_clients
                    .insert(grant.client_id.clone(), client.clone());
                client
            }
        };
        if client.is_none_or(|client| client.revoked) {
            return Err(AuthError::OAuthClientRevoked.into());
        }
        Ok(grant)
    }

    /// The management key `secret` is, revoked or not; read through a short-lived cache.
    pub async fn management_key(
        &self,
        secret: &str,
    ) -> Result<Option<ManagementKey>, ManagementError> {
        let hash = management_key_hash(secret);
        if let Some(found) = self.management_keys.get(&hash) {
            return Ok(found);
        }
        let found = self.service.management_key(secret).await?;
        self.management_keys.insert(hash, found.clone());
        Ok(found)
    }

    /// Links in Management API answers use `https`.
    pub fn with_tls_links(mut self, tls: bool) -> Self {
        self.configured().scheme = if tls { "https" } else { "http" };
        self
    }

    /// A product's enabled releases, newest first; read through a short-lived cache because every
    /// check answer carries the latest one.
    pub async fn releases(&self, product: &Product) -> Result<Arc<Vec<Release>>, ApiError> {
        if let Some(releases) = self.releases.get(&product.id) {
            return Ok(releases);
        }
        let releases = Arc::new(self.store.releases(product.company_id, product.id).await?);
        self.releases.insert(product.id, releases.clone());
        Ok(releases)
    }

    pub async fn signer(&self, company_id: CompanyId) -> Result<Arc<Signer>, ApiError> {
        if let Some(signer) = self.signers.get(&company_id) {
            return Ok(signer);
        }
        let der = self.store.company_signing_key(company_id).await?;
        let signer = Arc::new(Signer::from_pkcs8(&der).map_err(|error| {
            InternalError::caused(
                format!("unusable signing key of company {company_id}"),
                error,
            )
        })?);
        self.signers.insert(company_id, signer.clone());
        Ok(signer)
    }

    /// The `LicenseSignature` of `body` (whose SHA-256 is `digest`), reusing an earlier signature of the
    /// same bytes.
    pub fn sign_body(
        &self,
        company_id: CompanyId,
        signer: &Signer,
        digest: &str,
        body: &[u8],
    ) -> Result<Arc<str>, ApiError> {
        let key = (company_id, digest.to_owned());
        if let Some(signature) = self.body_signatures.get(&key) {
            self.metrics.signature(SignatureSource::Cached);
            return Ok(signature);
        }
        let signature: Arc<str> = signer
            .sign(body)
            .map_err(|error| InternalError::caused("signing an answer", error))?
            .into();
        self.metrics.signature(SignatureSource::Computed);
        self.body_signatures.insert(key, signature.clone());
        Ok(signature)
    }
}
