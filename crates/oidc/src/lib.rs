//! OpenID Connect as Latch uses it, as a relying party of a customer account's identity provider:
//! the provider's discovery document, the authorization URL an app opens, the token request that
//! exchanges an authorization code, and the verification of id tokens against the provider's keys.
//! Pure: fetching documents is the caller's, and the clock is a parameter.

mod discovery;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod token;

pub use discovery::{discovery_url, AuthorizeRequest, ClientAuth, Discovery, ResponseType};
pub use token::{
    id_token_from_response, token_request_form, verify_id_token, Expected, KeySet, TokenError,
    TokenRequest, TokenResponse, LEEWAY_SECONDS,
};

/// A provider document Latch cannot use: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DocumentError(pub String);
