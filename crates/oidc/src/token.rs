//! Id tokens: the provider's signing keys, the verification of a token against them and the
//! account's expectations, and the token request that exchanges an authorization code.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{ClientAuth, DocumentError};

/// Seconds a token's `exp` and `nbf` may be off, for clocks that differ a little.
pub const LEEWAY_SECONDS: i64 = 60;

/// The signature algorithms accepted: never `none`, never a shared secret (HS*).
const ACCEPTED: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Why an id token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the id token is not a JWT signed with RS256 or ES256")]
    Malformed,
    #[error("the id token is signed with {0}; only RS256 and ES256 are accepted")]
    Algorithm(String),
    /// No key of the provider's key set fits the token: the set may be out of date.
    #[error("the provider has no signing key {0}")]
    UnknownKey(String),
    #[error("the id token's signature does not verify")]
    Signature,
    #[error("the id token was not issued by the customer account's provider")]
    Issuer,
    #[error("the id token is not meant for the customer account's client")]
    Audience,
    #[error("the id token has expired")]
    Expired,
    #[error("the id token is not valid yet")]
    NotYetValid,
    #[error("the id token has no {0} claim")]
    MissingClaim(String),
    #[error("the provider has not verified the e-mail address")]
    EmailNotVerified,
}

impl TokenError {
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, Self::UnknownKey(_))
    }
}

/// The provider's signing keys that Latch can use: RSA keys and P-256 keys meant for signatures.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<Value>,
}

fn signs_with(jwk: &Jwk, alg: Algorithm) -> bool {
    let family_fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        _ => false,
    };
    let declared_fits = jwk
        .common
        .key_algorithm
        .is_none_or(|declared| declared.to_string() == format!("{alg:?}"));
    family_fits && declared_fits
}

impl KeySet {
    /// A JWK Set document; keys of other kinds or uses are left out, not refused, since providers
    /// publish encryption keys beside signing keys.
    pub fn parse(bytes: &[u8]) -> Result<Self, DocumentError> {
        let raw: RawKeySet = serde_json::from_slice(bytes)
            .map_err(|error| DocumentError(format!("the key set is not usable: {error}")))?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .filter(|jwk| {
                matches!(
                    jwk.common.public_key_use,
                    None | Some(PublicKeyUse::Signature)
                ) && ACCEPTED.iter().any(|alg| signs_with(jwk, *alg))
            })
            .collect();
        Ok(Self { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys a token signed with `alg` may have been signed with: the one its `kid` names, or
    /// every key of the algorithm when it names none.
    fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<&Jwk> {
        self.keys
            .iter()
            .filter(|jwk| kid.is_none_or(|kid| jwk.common.key_id.as_deref() == Some(kid)))
            .filter(|jwk| signs_with(jwk, alg))
            .collect()
    }
}

/// What the customer account expects of its provider's tokens.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The claim that holds the license user's e-mail address.
    pub email_claim: &'a str,
}

fn refusal(error: jsonwebtoken::errors::Error) -> TokenError {
    match error.into_kind() {
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidKeyFormat
        | ErrorKind::InvalidAlgorithm => TokenError::Signature,
        ErrorKind::InvalidIssuer => TokenError::Issuer,
        ErrorKind::InvalidAudience => TokenError::Audience,
        ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim),
        _ => TokenError::Malformed,
    }
}

/// A NumericDate claim in whole seconds.
fn seconds(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    value.as_i64().or_else(|| value.as_f64().map(|s| s as i64))
}

/// The claims of `token` once its signature, algorithm, issuer, audience and times check out
/// (`now` in seconds since the epoch).
fn verified_claims(
    token: &str,
    keys: &KeySet,
    expected: &Expected<'_>,
    now: i64,
) -> Result<Map<String, Value>, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(TokenError::Algorithm(format!("{:?}", header.alg)));
    }
    let candidates = keys.candidates(header.kid.as_deref(), header.alg);
    if candidates.is_empty() {
        let kid = header
            .kid
            .map_or("(no key id)".to_owned(), |kid| format!("{kid:?}"));
        return Err(TokenError::UnknownKey(kid));
    }
    let mut validation = Validation::new(header.alg);
    // Times are checked below against the caller's clock.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    let mut outcome = Err(TokenError::Signature);
    for jwk in candidates {
        let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::Signature)?;
        outcome = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(refusal);
        if outcome != Err(TokenError::Signature) {
            break;
        }
    }
    let claims = outcome?;
    let expires = seconds(&claims, "exp").ok_or(TokenError::MissingClaim("exp".into()))?;
    if now > expires.saturating_add(LEEWAY_SECONDS) {
        return Err(TokenError::Expired);
    }
    if seconds(&claims, "nbf").is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECONDS) > now) {
        return Err(TokenError::NotYetValid);
    }
    // A token for several audiences names the one it was issued to.
    if claims
        .get("azp")
        .is_some_and(|azp| azp.as_str() != Some(expected.client_id))
    {
        return Err(TokenError::Audience);
    }
    Ok(claims)
}

/// The e-mail address an id token vouches for, once the token checks out.
pub fn verify_id_token(
    token: &str,
    keys: &KeySet,
    expected: &Expected<'_>,
    now: i64,
) -> Result<String, TokenError> {
    let claims = verified_claims(token, keys, expected, now)?;
    let email = claims
        .get(expected.email_claim)
        .and_then(Value::as_str)
        .ok_or_else(|| TokenError::MissingClaim(expected.email_claim.to_owned()))?;
    let verified = match claims.get("email_verified") {
        None => true,
        Some(Value::Bool(verified)) => *verified,
        // Some providers send it as text.
        Some(Value::String(text)) => text == "true",
        Some(_) => false,
    };
    if expected.email_claim == "email" && !verified {
        return Err(TokenError::EmailNotVerified);
    }
    Ok(email.to_owned())
}

/// A token request exchanging an authorization code: the form, and the `Authorization` header when
/// the client authenticates with HTTP Basic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub form: Vec<(&'static str, String)>,
    pub authorization: Option<String>,
}

/// Percent-encodes as a form does, as RFC 6749 (2.3.1) asks of Basic credentials.
fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The request that exchanges `code`, sent back with the `redirect_uri` it was issued for.
pub fn token_request_form(
    code: &str,
    redirect_uri: &str,
    client_id: &str,
    client_secret: &str,
    auth: ClientAuth,
) -> TokenRequest {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    let authorization = match auth {
        ClientAuth::Basic => Some(format!(
            "Basic {}",
            B64.encode(format!(
                "{}:{}",
                form_encoded(client_id),
                form_encoded(client_secret)
            ))
        )),
        ClientAuth::Post => {
            form.push(("client_id", client_id.to_owned()));
            form.push(("client_secret", client_secret.to_owned()));
            None
        }
    };
    TokenRequest {
        form,
        authorization,
    }
}

/// What a token endpoint answered: an id token, or its refusal (`invalid_grant`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenResponse {
    IdToken(String),
    Refused {
        error: String,
        description: Option<String>,
    },
}

/// Reads a token endpoint's JSON answer.
pub fn id_token_from_response(bytes: &[u8]) -> Result<TokenResponse, DocumentError> {
    #[derive(Deserialize)]
    struct Answer {
        id_token: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(bytes).map_err(|error| {
        DocumentError(format!(
            "the token endpoint's answer is not usable: {error}"
        ))
    })?;
    match (answer.id_token, answer.error) {
        (_, Some(error)) => Ok(TokenResponse::Refused {
            error,
            description: answer.error_description,
        }),
        (Some(token), None) => Ok(TokenResponse::IdToken(token)),
        (None, None) => Err(DocumentError(
            "the token endpoint answered without an id token (is the openid scope allowed?)"
                .to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests;
