//! OAuth clients of the License API (the client credentials grant the Python SDK's `client_id` /
//! `client_secret` configuration uses): a vendor creates clients per company; an app trades its
//! client's id and secret for a short-lived access token, which the License API accepts in place of
//! the HMAC scheme. Offline files made under OAuth are HMAC'd with the client secret, so the secret is
//! sealed at rest like shared keys, not hashed.
//!
//! Tokens are random and stored as a SHA-256 with their expiry, like dashboard sessions: every node of
//! a deployment accepts a token another issued, a revoked client's tokens stop working without any key
//! to rotate, and issuing (once per token lifetime per app) is the only write.

use aws_lc_rs::constant_time;
use chrono::{DateTime, Duration, Utc};
use latch_store::{NewOAuthToken, OAuthClient, OAuthToken, StoreError};
use secrecy::{ExposeSecret, SecretString};

use crate::keys::{generate_shared_key, random_string, secret_hash, KEY_ALPHABET, SECRET_ALPHABET};
use crate::{Service, ServiceError, ServiceResult, Tenant};

/// Client ids start with this, so a vendor tells them from API keys at a glance.
pub const CLIENT_ID_PREFIX: &str = "oauth_";
/// Access tokens start with this; anything else is not a token Latch issued.
const ACCESS_TOKEN_PREFIX: &str = "latch_at_";
/// Random characters of an access token after its prefix: 43 of 6 bits, 258 bits in all.
const ACCESS_TOKEN_RANDOM_CHARS: usize = 43;
/// How long an expired token is still recognised as one of Latch's (and answered as expired rather
/// than unknown).
const EXPIRED_TOKENS_KEPT: Duration = Duration::days(1);

/// An access token just issued: the token itself (shown to the client only) and when it expires.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// The stored form of an access token, or `None` for text that cannot be one Latch issued.
pub fn access_token_hash(token: &str) -> Option<String> {
    let random = token.strip_prefix(ACCESS_TOKEN_PREFIX)?;
    let shaped = random.len() == ACCESS_TOKEN_RANDOM_CHARS
        && random.bytes().all(|byte| SECRET_ALPHABET.contains(&byte));
    shaped.then(|| secret_hash(token))
}

impl Tenant<'_> {
    /// A new OAuth client; its secret is shown to the vendor only in this answer.
    pub async fn create_oauth_client(&self) -> ServiceResult<OAuthClient> {
        let client_id = format!("{CLIENT_ID_PREFIX}{}", random_string(KEY_ALPHABET, 24)?);
        let client_secret = generate_shared_key()?;
        Ok(self
            .store
            .create_oauth_client(self.company_id(), &client_id, &client_secret, self.change())
            .await?)
    }

    /// The company's OAuth clients, revoked ones included, newest first.
    pub async fn oauth_clients(&self) -> ServiceResult<Vec<OAuthClient>> {
        Ok(self.store.oauth_clients(self.company_id()).await?)
    }
}

impl Service {
    /// Revokes an OAuth client of any company (its id is the proof of which): its tokens stop
    /// working and it gets no new ones.
    pub async fn revoke_oauth_client(&self, client_id: &str) -> ServiceResult<OAuthClient> {
        self.store
            .revoke_oauth_client(
                client_id,
                latch_store::Change::now(&latch_store::Actor::Cli),
            )
            .await
            .map_err(|error| match error {
                StoreError::NotFound(_) => {
                    ServiceError::NotFound(format!("OAuth client {client_id}"))
                }
                other => other.into(),
            })
    }

    /// The OAuth client with this id, of any company, revoked or not.
    pub async fn oauth_client(&self, client_id: &str) -> ServiceResult<Option<OAuthClient>> {
        Ok(self.store.oauth_client(client_id).await?)
    }

    /// An access token valid for `lifetime` from `now`, if `client_secret` is the secret of the
    /// usable client `client_id`; `None` for an unknown or revoked client and a wrong secret alike.
    pub async fn issue_access_token(
        &self,
        client_id: &str,
        client_secret: &str,
        lifetime: std::time::Duration,
        now: DateTime<Utc>,
    ) -> ServiceResult<Option<IssuedToken>> {
        let lifetime = Duration::from_std(lifetime)
            .map_err(|_| ServiceError::invalid("oauth_token_lifetime", "too long"))?;
        let Some(client) = self.store.oauth_client(client_id).await? else {
            return Ok(None);
        };
        let secret_matches = constant_time::verify_slices_are_equal(
            client.client_secret.expose_secret().as_bytes(),
            client_secret.as_bytes(),
        )
        .is_ok();
        if !secret_matches || client.revoked {
            return Ok(None);
        }
        let access_token = format!(
            "{ACCESS_TOKEN_PREFIX}{}",
            random_string(SECRET_ALPHABET, ACCESS_TOKEN_RANDOM_CHARS)?
        );
        let expires_at = now + lifetime;
        self.store
            .insert_oauth_token(NewOAuthToken {
                token_hash: &secret_hash(&access_token),
                client_id,
                issued_at: now,
                expires_at,
                forget_expired_before: now - EXPIRED_TOKENS_KEPT,
            })
            .await?;
        Ok(Some(IssuedToken {
            access_token: access_token.into(),
            expires_at,
        }))
    }

    /// What an access token grants, expired or not; `None` for text that is no token Latch issued
    /// (or one expired so long ago that it is forgotten).
    pub async fn access_token(&self, token: &str) -> ServiceResult<Option<OAuthToken>> {
        let Some(hash) = access_token_hash(token) else {
            return Ok(None);
        };
        Ok(self.store.oauth_token(&hash).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_shaped_like_an_issued_token_has_a_hash() {
        let token = format!(
            "{ACCESS_TOKEN_PREFIX}{}",
            "a".repeat(ACCESS_TOKEN_RANDOM_CHARS)
        );
        assert_eq!(access_token_hash(&token), Some(secret_hash(&token)));
        for garbled in [
            String::new(),
            "a".repeat(ACCESS_TOKEN_RANDOM_CHARS),
            format!("{token}a"),
            token[..token.len() - 1].to_owned(),
            format!(
                "{ACCESS_TOKEN_PREFIX}{}!",
                "a".repeat(ACCESS_TOKEN_RANDOM_CHARS - 1)
            ),
        ] {
            assert_eq!(access_token_hash(&garbled), None, "{garbled}");
        }
    }
}
