//! OAuth for the License API (spec §2.26): `oauth_url` names the token endpoint, and the token endpoint
//! trades an OAuth client's id and secret for an access token (RFC 6749 §4.4, the client credentials
//! grant), which the authentication layer then accepts as `Authorization: Bearer <token>`. Both
//! endpoints are reached without `Date` or `Authorization`: they are how a client gets its credential.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::Utc;
use latch_wire::body::{AccessTokenBody, OAuthUrlBody};
use secrecy::ExposeSecret;

use super::json;
use crate::error::{ApiError, TokenError};
use crate::params::{read_body, Params};
use crate::rate_limits::ClientAddr;
use crate::state::AppState;

/// The one login type Latch offers.
const CLIENT_CREDENTIALS: &str = "client_credentials";
/// The token endpoint's path in the License API.
pub const TOKEN_ENDPOINT: &str = "/oauth/token";

/// `GET /api/v4/oauth_url?login_type=client_credentials`: `{"url": <token endpoint>, "login_type"}`.
/// The token endpoint is on the configured public URL, or else at the address the client used.
pub async fn oauth_url(
    State(state): State<AppState>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    state.rate_limits.address(client)?;
    if let Some(login_type) = params.optional_str("login_type")? {
        if login_type != CLIENT_CREDENTIALS {
            return Err(ApiError::Validation(format!(
                "login_type must be {CLIENT_CREDENTIALS}"
            )));
        }
    }
    let base = match &state.oauth.public_url {
        Some(public_url) => public_url.clone(),
        None => format!("{}://{}", state.scheme, request_host(&headers)?),
    };
    Ok(json(&OAuthUrlBody {
        url: &format!("{base}/api/v4{TOKEN_ENDPOINT}"),
        login_type: CLIENT_CREDENTIALS,
    }))
}

/// The request's `Host`, if it is a plain host and port (no user information, path or spaces).
fn request_host(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| {
            host.parse::<axum::http::uri::Authority>()
                .is_ok_and(|authority| authority.as_str() == *host && !host.contains('@'))
        })
        .ok_or_else(|| {
            ApiError::Validation(
                "a Host header naming this server is needed to answer the token URL".into(),
            )
        })
}

/// `POST /api/v4/oauth/token`: a form with `grant_type=client_credentials` and the client's id and
/// secret (in the form, or as HTTP Basic credentials); answers `{"access_token", "token_type":
/// "Bearer", "expires_in"}`. Failed client authentications count against the client's address, like
/// wrong passwords.
pub async fn token(
    State(state): State<AppState>,
    client: Option<ClientAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TokenError> {
    state.rate_limits.address(client)?;
    state.rate_limits.secret_attempt(client)?;
    let form = TokenForm::read(&headers, &read_body(body).await?)?;
    match form.value("grant_type") {
        None => return Err(TokenError::InvalidRequest("grant_type is required".into())),
        Some(CLIENT_CREDENTIALS) => {}
        Some(_) => return Err(TokenError::UnsupportedGrantType),
    }
    let basic = basic_credentials(&headers)?;
    let (client_id, client_secret) =
        match (&basic, form.value("client_id"), form.value("client_secret")) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(TokenError::InvalidRequest(
                    "send the client's credentials either in the form or as HTTP Basic, not both"
                        .into(),
                ))
            }
            (Some((id, secret)), None, None) => (id.as_str(), secret.as_str()),
            (None, Some(id), Some(secret)) => (id, secret),
            (None, _, _) => return Err(TokenError::InvalidClient { basic: false }),
        };
    let lifetime = state.oauth.token_lifetime;
    let issued = state
        .service
        .issue_access_token(client_id, client_secret, lifetime, Utc::now())
        .await?;
    let Some(issued) = issued else {
        state.rate_limits.secret_wrong(client);
        return Err(TokenError::InvalidClient {
            basic: basic.is_some(),
        });
    };
    let body = latch_wire::body::to_json(&AccessTokenBody {
        access_token: issued.access_token.expose_secret(),
        token_type: "Bearer",
        expires_in: lifetime.as_secs(),
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body,
    )
        .into_response())
}

/// The token endpoint's form parameters, each sent at most once (RFC 6749 §3.2).
struct TokenForm(Vec<(String, String)>);

impl TokenForm {
    fn read(headers: &HeaderMap, body: &[u8]) -> Result<Self, TokenError> {
        let form_encoded = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| {
                essence
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_encoded {
            return Err(TokenError::InvalidRequest(
                "the body must be application/x-www-form-urlencoded".into(),
            ));
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        for (at, (name, _)) in pairs.iter().enumerate() {
            if pairs[..at].iter().any(|(earlier, _)| earlier == name) {
                return Err(TokenError::InvalidRequest(format!(
                    "{name} is sent more than once"
                )));
            }
        }
        Ok(Self(pairs))
    }

    /// A parameter's value; an empty one counts as absent.
    fn value(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(found, _)| found == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }
}

/// The client id and secret of an `Authorization: Basic` header, each form-url-decoded
/// (RFC 6749 §2.3.1); `None` without such a header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(authorization) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || TokenError::InvalidClient { basic: true };
    let authorization = authorization.to_str().map_err(|_| malformed())?.trim();
    let Some((scheme, encoded)) = authorization.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenError::InvalidRequest(
            "the token endpoint takes client credentials as HTTP Basic or in the form".into(),
        ));
    }
    let decoded = B64.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((
        form_decoded(id).ok_or_else(malformed)?,
        form_decoded(secret).ok_or_else(malformed)?,
    )))
}

/// One form-url-encoded value; `None` if it holds the separators an encoded value cannot.
fn form_decoded(encoded: &str) -> Option<String> {
    if encoded.contains(['&', '=']) {
        return None;
    }
    Some(
        form_urlencoded::parse(encoded.as_bytes())
            .next()
            .map(|(decoded, _)| decoded.into_owned())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded_halves() {
        let encoded = B64.encode("oauth_ABC:s%2Fcret+with%3Aparts");
        let found = basic_credentials(&with_authorization(&format!("Basic {encoded}"))).unwrap();
        assert_eq!(
            found,
            Some(("oauth_ABC".to_owned(), "s/cret with:parts".to_owned()))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
        for broken in [
            "Basic",
            "Basic !!!",
            &format!("Basic {}", B64.encode("no-colon")),
        ] {
            assert!(
                matches!(
                    basic_credentials(&with_authorization(broken)),
                    Err(TokenError::InvalidClient { basic: true })
                ),
                "{broken}"
            );
        }
        assert!(matches!(
            basic_credentials(&with_authorization("Bearer x")),
            Err(TokenError::InvalidRequest(_))
        ));
    }

    #[test]
    fn a_host_must_be_a_plain_authority() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, HeaderValue::from_str(value).unwrap());
            request_host(&headers).map(str::to_owned)
        };
        assert_eq!(
            host("licensing.example.com").unwrap(),
            "licensing.example.com"
        );
        assert_eq!(host("127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(host("[::1]:8080").unwrap(), "[::1]:8080");
        for bad in ["evil@example.com", "example.com/path", "a b", ""] {
            assert!(host(bad).is_err(), "{bad}");
        }
        assert!(request_host(&HeaderMap::new()).is_err());
    }
}
