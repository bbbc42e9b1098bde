//! `Date` + `Authorization` HMAC request authentication, or an OAuth access token.
//!
//! The client signs `licenseSpring\ndate: <Date>` with HMAC-SHA256 under its shared key and sends
//! `algorithm="hmac-sha256",headers="date",signature="<b64>",apiKey="<key>"`. An OAuth client sends
//! `Bearer <access token>` instead (no `Date` needed).

use aws_lc_rs::{constant_time, hmac};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};

/// How far the client's `Date` may be from the server clock, either way.
pub const MAX_DATE_SKEW: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Some headers are missing: Date and Authorization are required")]
    MissingHeaders,
    #[error(
        "Date header is not a valid RFC 7231 date or is more than 15 minutes from server time"
    )]
    DateHeaderDiff,
    #[error("Authorization header is malformed or signs headers other than date")]
    InvalidHeaders,
    #[error("Authorization header lacks algorithm, headers, signature or apiKey")]
    MissingParams,
    #[error("only algorithm hmac-sha256 is supported")]
    HmacRequired,
    #[error("request signature does not match")]
    SignatureMismatch,
    #[error("unknown API key")]
    InvalidApiKey,
    #[error("API key has been revoked")]
    RevokedApiKey,
    #[error("read-only API key cannot change licenses")]
    ReadOnlyApiKey,
    #[error("the access token has expired; get a new one")]
    OAuthTokenExpired,
    #[error("the access token's OAuth client has been revoked")]
    OAuthClientRevoked,
    #[error("the bearer token is not an access token this server issued")]
    OAuthTokenMalformed,
}

/// The token of an `Authorization: Bearer <token>` header (possibly empty), or `None` for any other
/// scheme. The scheme name is case-insensitive (RFC 7235).
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let (scheme, token) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The parameters of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationParams {
    pub api_key: String,
    pub signature: String,
}

/// Parses the header leniently: parameter names case-insensitive, optional spaces after commas,
/// optional quotes around values.
pub fn parse_authorization(header: &str) -> Result<AuthorizationParams, AuthError> {
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut api_key = None;
    for part in header.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = part.split_once('=').ok_or(AuthError::InvalidHeaders)?;
        let value = unquote(value.trim());
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "algorithm" => &mut algorithm,
            "headers" => &mut headers,
            "signature" => &mut signature,
            "apikey" => &mut api_key,
            _ => continue,
        };
        *slot = Some(value.to_owned());
    }
    let (Some(algorithm), Some(headers), Some(signature), Some(api_key)) =
        (algorithm, headers, signature, api_key)
    else {
        return Err(AuthError::MissingParams);
    };
    if !algorithm.eq_ignore_ascii_case("hmac-sha256") {
        return Err(AuthError::HmacRequired);
    }
    if !headers.eq_ignore_ascii_case("date") {
        return Err(AuthError::InvalidHeaders);
    }
    if signature.is_empty() || api_key.is_empty() {
        return Err(AuthError::MissingParams);
    }
    Ok(AuthorizationParams { api_key, signature })
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// Accepts a `Date` header within [`MAX_DATE_SKEW`] of `now`, inclusive at both edges.
pub fn check_date(date_header: &str, now: DateTime<Utc>) -> Result<(), AuthError> {
    let sent =
        httpdate::parse_http_date(date_header.trim()).map_err(|_| AuthError::DateHeaderDiff)?;
    let sent: DateTime<Utc> = sent.into();
    if (now - sent).abs() > MAX_DATE_SKEW {
        return Err(AuthError::DateHeaderDiff);
    }
    Ok(())
}

fn signing_string(date_header: &str) -> String {
    format!("licenseSpring\ndate: {date_header}")
}

/// An API key's shared key as an HMAC key, built once for all the requests it signs.
pub struct RequestSigningKey(hmac::Key);

impl RequestSigningKey {
    pub fn new(shared_key: &str) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, shared_key.as_bytes()))
    }

    /// The signature a client with this key sends for `date_header`.
    pub fn signature(&self, date_header: &str) -> String {
        B64.encode(hmac::sign(&self.0, signing_string(date_header).as_bytes()).as_ref())
    }

    /// Compares the sent signature with the expected one in constant time.
    pub fn verify(&self, date_header: &str, sent_signature: &str) -> Result<(), AuthError> {
        let expected = self.signature(date_header);
        constant_time::verify_slices_are_equal(expected.as_bytes(), sent_signature.as_bytes())
            .map_err(|_| AuthError::SignatureMismatch)
    }
}

/// The signature a client with `shared_key` sends for `date_header`.
pub fn request_signature(shared_key: &str, date_header: &str) -> String {
    RequestSigningKey::new(shared_key).signature(date_header)
}

/// The full `Authorization` header value a client would send (used by tests and the load generator).
pub fn authorization_header(api_key: &str, shared_key: &str, date_header: &str) -> String {
    format!(
        "algorithm=\"hmac-sha256\",headers=\"date\",signature=\"{}\",apiKey=\"{}\"",
        request_signature(shared_key, date_header),
        api_key
    )
}

#[cfg(test)]
mod tests;
