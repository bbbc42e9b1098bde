//! What every request shares: the store, caches in front of it, and the write-behind queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use latch_store::{ApiKey, Store};
use latch_wire::signing::Signer;
use quick_cache::sync::Cache;

use crate::error::ApiError;
use crate::write_behind::WriteBehind;

/// How long a looked-up API key is trusted before it is read again: a revocation reaches every node
/// within this time.
pub const API_KEY_TTL: Duration = Duration::from_secs(2);

/// Signatures by (company, SHA-256 of the signed body).
type BodySignatures = Cache<(i64, [u8; 32]), Arc<str>>;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    api_keys: Arc<Cache<String, (Option<ApiKey>, Instant)>>,
    signers: Arc<Cache<i64, Arc<Signer>>>,
    /// Header signatures by (company, SHA-256 of the body): identical bodies are signed once.
    body_signatures: Arc<BodySignatures>,
    pub write_behind: WriteBehind,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, write_behind: WriteBehind) -> Self {
        Self {
            store,
            api_keys: Arc::new(Cache::new(10_000)),
            signers: Arc::new(Cache::new(10_000)),
            body_signatures: Arc::new(Cache::new(100_000)),
            write_behind,
        }
    }

    pub async fn api_key(&self, api_key: &str) -> Result<Option<ApiKey>, ApiError> {
        if let Some((found, at)) = self.api_keys.get(api_key) {
            if at.elapsed() < API_KEY_TTL {
                return Ok(found);
            }
        }
        let found = self.store.api_key(api_key).await?;
        self.api_keys
            .insert(api_key.to_owned(), (found.clone(), Instant::now()));
        Ok(found)
    }

    pub async fn signer(&self, company_id: i64) -> Result<Arc<Signer>, ApiError> {
        if let Some(signer) = self.signers.get(&company_id) {
            return Ok(signer);
        }
        let der = self.store.company_signing_key(company_id).await?;
        let signer = Arc::new(Signer::from_pkcs8(&der).map_err(|error| {
            tracing::error!(company_id, %error, "unusable signing key");
            ApiError::Internal
        })?);
        self.signers.insert(company_id, signer.clone());
        Ok(signer)
    }

    /// The `LicenseSignature` of `body`, reusing an earlier signature of the same bytes.
    pub fn sign_body(
        &self,
        company_id: i64,
        signer: &Signer,
        body: &[u8],
    ) -> Result<Arc<str>, ApiError> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
        let key = (
            company_id,
            digest
                .as_ref()
                .try_into()
                .expect("SHA-256 digests are 32 bytes"),
        );
        if let Some(signature) = self.body_signatures.get(&key) {
            return Ok(signature);
        }
        let signature: Arc<str> = signer.sign(body).map_err(|_| ApiError::Internal)?.into();
        self.body_signatures.insert(key, signature.clone());
        Ok(signature)
    }
}
