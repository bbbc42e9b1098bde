//! Customer accounts' identity providers as the License API reaches them: each provider's discovery
//! document and signing keys are fetched over HTTP and kept for an hour; a token signed with a key
//! the kept set lacks (a key the provider rotated in) has the set fetched again, at most once per
//! 10 s per provider; authorization codes are exchanged at the provider's token endpoint.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latch_oidc::{
    discovery_url, id_token_from_response, token_request_form, verify_id_token, Discovery,
    DocumentError, Expected, KeySet, TokenError, TokenResponse,
};
use latch_service::model::OidcProvider;
use quick_cache::sync::Cache;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

/// How long one request to a provider may take.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a discovery document and key set are used before they are fetched again.
pub const PROVIDER_MAX_AGE: Duration = Duration::from_secs(3600);
/// The shortest time between two fetches of a provider's key set for unknown key ids, so tokens
/// naming made-up keys cannot make Latch hammer the provider.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// The largest provider document read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why signing in through a provider failed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The token (or the code's token) is not acceptable: the client's doing.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The provider refused the authorization code.
    #[error("the identity provider refused the authorization code: {0}")]
    CodeRefused(String),
    /// The provider cannot be used: unreachable, or its answers are not what OpenID Connect says.
    #[error("the identity provider at {issuer} cannot be used: {reason}")]
    Provider { issuer: String, reason: String },
}

/// A provider's documents, as last fetched.
#[derive(Clone)]
struct Fetched {
    discovery: Arc<Discovery>,
    keys: Arc<KeySet>,
    fetched_at: Instant,
    keys_fetched_at: Instant,
}

/// One provider's documents; the lock makes concurrent requests wait for one fetch.
type Slot = Arc<Mutex<Option<Fetched>>>;

/// The identity providers of every company's customer accounts, by issuer.
pub struct IdentityProviders {
    http: reqwest::Client,
    providers: Cache<String, Slot>,
}

impl IdentityProviders {
    pub fn new() -> anyhow::Result<Self> {
        let http = crate::outbound::client_builder(PROVIDER_TIMEOUT)?
            .connect_timeout(PROVIDER_TIMEOUT / 2)
            .user_agent(concat!("Latch/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            providers: Cache::new(1024),
        })
    }

    fn slot(&self, issuer: &str) -> Slot {
        if let Some(slot) = self.providers.get(issuer) {
            return slot;
        }
        let slot = Slot::default();
        self.providers.insert(issuer.to_owned(), slot.clone());
        slot
    }

    /// The provider's documents, fetched when not held or older than [`PROVIDER_MAX_AGE`].
    async fn fetched(&self, issuer: &str) -> Result<Fetched, SsoError> {
        let slot = self.slot(issuer);
        let mut held = slot.lock().await;
        if let Some(fetched) = held.as_ref() {
            if fetched.fetched_at.elapsed() < PROVIDER_MAX_AGE {
                return Ok(fetched.clone());
            }
        }
        let failed = |reason: String| SsoError::Provider {
            issuer: issuer.to_owned(),
            reason,
        };
        let document = self.get(&discovery_url(issuer)).await.map_err(failed)?;
        let discovery = Discovery::parse(&document, issuer).map_err(|e| failed(e.0))?;
        let keys = self.key_set(&discovery).await.map_err(failed)?;
        let now = Instant::now();
        let fetched = Fetched {
            discovery: Arc::new(discovery),
            keys: Arc::new(keys),
            fetched_at: now,
            keys_fetched_at: now,
        };
        *held = Some(fetched.clone());
        Ok(fetched)
    }

    /// The provider's discovery document.
    pub async fn discovery(&self, issuer: &str) -> Result<Arc<Discovery>, SsoError> {
        Ok(self.fetched(issuer).await?.discovery)
    }

    /// The key set after a token named a key it lacks: fetched again unless it was fetched in the
    /// last [`KEY_REFETCH_INTERVAL`] (by this request's neighbours, perhaps).
    async fn keys_for_unknown_key(&self, issuer: &str) -> Result<Arc<KeySet>, SsoError> {
        let slot = self.slot(issuer);
        let mut held = slot.lock().await;
        let Some(fetched) = held.as_mut() else {
            drop(held);
            return Ok(self.fetched(issuer).await?.keys);
        };
        if fetched.keys_fetched_at.elapsed() >= KEY_REFETCH_INTERVAL {
            let keys =
                self.key_set(&fetched.discovery)
                    .await
                    .map_err(|reason| SsoError::Provider {
                        issuer: issuer.to_owned(),
                        reason,
                    })?;
            tracing::info!(issuer, keys = keys.len(), "fetched a provider's keys again");
            fetched.keys = Arc::new(keys);
            fetched.keys_fetched_at = Instant::now();
        }
        Ok(fetched.keys.clone())
    }

    /// The e-mail address `token`, issued by the account's provider to Latch's client there,
    /// vouches for.
    pub async fn verify(&self, oidc: &OidcProvider, token: &str) -> Result<String, SsoError> {
        let expected = Expected {
            issuer: &oidc.issuer,
            client_id: &oidc.client_id,
            email_claim: &oidc.email_claim,
        };
        let keys = self.fetched(&oidc.issuer).await?.keys;
        let now = chrono::Utc::now().timestamp();
        match verify_id_token(token, &keys, &expected, now) {
            Err(refused) if refused.is_unknown_key() => {
                let keys = self.keys_for_unknown_key(&oidc.issuer).await?;
                Ok(verify_id_token(token, &keys, &expected, now)?)
            }
            verified => Ok(verified?),
        }
    }

    /// Exchanges an authorization code for an id token at the provider's token endpoint, sending
    /// the redirect URI the code was issued for, and verifies the token.
    pub async fn exchange_code(
        &self,
        oidc: &OidcProvider,
        code: &str,
        redirect_uri: &str,
    ) -> Result<String, SsoError> {
        let failed = |reason: String| SsoError::Provider {
            issuer: oidc.issuer.clone(),
            reason,
        };
        let discovery = self.discovery(&oidc.issuer).await?;
        let endpoint = discovery
            .token_endpoint
            .as_deref()
            .ok_or_else(|| failed("its discovery document names no token endpoint".into()))?;
        let auth = discovery.client_auth().ok_or_else(|| {
            failed(
                "its token endpoint takes neither client_secret_basic nor client_secret_post"
                    .into(),
            )
        })?;
        let request = token_request_form(
            code,
            redirect_uri,
            &oidc.client_id,
            oidc.client_secret.expose_secret(),
            auth,
        );
        let mut post = self
            .http
            .post(endpoint)
            .header(ACCEPT, "application/json")
            .form(&request.form);
        if let Some(credentials) = request.authorization {
            post = post.header(AUTHORIZATION, credentials);
        }
        let response = post
            .send()
            .await
            .map_err(|error| failed(describe(&error)))?;
        let status = response.status();
        let body = read_limited(response).await.map_err(failed)?;
        let answer = id_token_from_response(&body).map_err(|DocumentError(reason)| {
            failed(format!("its token endpoint answered {status}: {reason}"))
        })?;
        match answer {
            TokenResponse::IdToken(token) if status.is_success() => self.verify(oidc, &token).await,
            TokenResponse::Refused { error, description } if error == "invalid_grant" => {
                Err(SsoError::CodeRefused(match description {
                    Some(description) => format!("{error} ({description})"),
                    None => error,
                }))
            }
            TokenResponse::Refused { error, .. } => Err(failed(format!(
                "its token endpoint refused Latch's request: {error}"
            ))),
            TokenResponse::IdToken(_) => {
                Err(failed(format!("its token endpoint answered {status}")))
            }
        }
    }

    async fn key_set(&self, discovery: &Discovery) -> Result<KeySet, String> {
        let document = self.get(&discovery.jwks_uri).await?;
        KeySet::parse(&document).map_err(|DocumentError(reason)| reason)
    }

    /// The body of a successful GET, or why there is none.
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let response = self
            .http
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| describe(&error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url} answered {status}"));
        }
        read_limited(response).await
    }
}

fn describe(error: &reqwest::Error) -> String {
    crate::outbound::describe(error, PROVIDER_TIMEOUT)
}

/// A whole answer of at most [`MAX_DOCUMENT_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| describe(&error))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "{} answered more than {MAX_DOCUMENT_BYTES} bytes",
                response.url()
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
