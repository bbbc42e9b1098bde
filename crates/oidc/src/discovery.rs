//! The provider's discovery document (OpenID Connect Discovery 1.0) and the authorization URL built
//! from it.

use serde::Deserialize;

use crate::DocumentError;

/// Where the provider at `issuer` publishes its discovery document.
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// What Latch reads of a discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    /// Absent at providers that only issue tokens from the authorization endpoint.
    pub token_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    /// How the token endpoint authenticates clients; `client_secret_basic` when absent.
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// How Latch authenticates at the token endpoint with its client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic authentication (`client_secret_basic`).
    Basic,
    /// `client_id` and `client_secret` in the form (`client_secret_post`).
    Post,
}

/// What the app asks the provider for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// An authorization code, which Latch exchanges for an id token.
    Code,
    /// An id token straight from the provider (the implicit flow).
    IdToken,
}

impl ResponseType {
    /// The SDKs' `response_type`: `code`, or `token` (also spelled `id_token`) for a token.
    pub fn from_request(value: &str) -> Option<Self> {
        match value {
            "code" => Some(Self::Code),
            "token" | "id_token" => Some(Self::IdToken),
            _ => None,
        }
    }

    /// As the authorization endpoint spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::IdToken => "id_token",
        }
    }
}

/// The parameters of an authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub response_type: ResponseType,
    pub state: &'a str,
    pub nonce: &'a str,
}

/// The scopes Latch asks for: an id token, with the e-mail address in it.
const SCOPE: &str = "openid email";

fn web_url(name: &str, value: &str) -> Result<url::Url, DocumentError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(url),
        _ => Err(DocumentError(format!(
            "the discovery document's {name} {value:?} is not an http(s) URL"
        ))),
    }
}

impl Discovery {
    /// The discovery document of the provider at `issuer`, which must name itself exactly so
    /// (otherwise its tokens could not be told from another provider's).
    pub fn parse(bytes: &[u8], issuer: &str) -> Result<Self, DocumentError> {
        let document: Self = serde_json::from_slice(bytes).map_err(|error| {
            DocumentError(format!("the discovery document is not usable: {error}"))
        })?;
        if document.issuer != issuer {
            return Err(DocumentError(format!(
                "the discovery document names the issuer {:?}, not {issuer:?}",
                document.issuer
            )));
        }
        web_url("authorization_endpoint", &document.authorization_endpoint)?;
        web_url("jwks_uri", &document.jwks_uri)?;
        if let Some(endpoint) = &document.token_endpoint {
            web_url("token_endpoint", endpoint)?;
        }
        Ok(document)
    }

    /// How to authenticate at the token endpoint: HTTP Basic where the provider accepts it (the
    /// default when it says nothing), else the form; `None` when it accepts neither.
    pub fn client_auth(&self) -> Option<ClientAuth> {
        let Some(methods) = &self.token_endpoint_auth_methods_supported else {
            return Some(ClientAuth::Basic);
        };
        let accepts = |method: &str| methods.iter().any(|m| m == method);
        if accepts("client_secret_basic") {
            Some(ClientAuth::Basic)
        } else if accepts("client_secret_post") {
            Some(ClientAuth::Post)
        } else {
            None
        }
    }

    /// The authorization endpoint with the request's parameters added to any it already has.
    pub fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<String, DocumentError> {
        let mut url = web_url("authorization_endpoint", &self.authorization_endpoint)?;
        url.query_pairs_mut()
            .append_pair("client_id", request.client_id)
            .append_pair("response_type", request.response_type.as_str())
            .append_pair("scope", SCOPE)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("state", request.state)
            .append_pair("nonce", request.nonce);
        Ok(url.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://login.example.com/realms/acme";

    fn document(extra: &str) -> String {
        format!(
            r#"{{"issuer":"{ISSUER}","authorization_endpoint":"{ISSUER}/auth?kc_idp_hint=acme",
            "token_endpoint":"{ISSUER}/token","jwks_uri":"{ISSUER}/certs"{extra}}}"#
        )
    }

    #[test]
    fn the_document_sits_under_the_issuer() {
        assert_eq!(
            discovery_url("https://login.example.com/"),
            "https://login.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url(ISSUER),
            format!("{ISSUER}/.well-known/openid-configuration")
        );
    }

    #[test]
    fn the_issuer_must_match_exactly() {
        assert!(Discovery::parse(document("").as_bytes(), ISSUER).is_ok());
        let error = Discovery::parse(document("").as_bytes(), &format!("{ISSUER}/")).unwrap_err();
        assert!(error.0.contains("names the issuer"), "{error}");
        assert!(Discovery::parse(b"{}", ISSUER).is_err());
        assert!(Discovery::parse(b"<html>", ISSUER).is_err());
        let bad_keys = document("").replace(&format!("{ISSUER}/certs"), "file:///etc/passwd");
        assert!(Discovery::parse(bad_keys.as_bytes(), ISSUER).is_err());
    }

    #[test]
    fn basic_authentication_unless_the_provider_only_takes_the_form() {
        let parse = |extra: &str| Discovery::parse(document(extra).as_bytes(), ISSUER).unwrap();
        assert_eq!(parse("").client_auth(), Some(ClientAuth::Basic));
        let post = r#","token_endpoint_auth_methods_supported":["client_secret_post"]"#;
        assert_eq!(parse(post).client_auth(), Some(ClientAuth::Post));
        let both = r#","token_endpoint_auth_methods_supported":["client_secret_post","client_secret_basic"]"#;
        assert_eq!(parse(both).client_auth(), Some(ClientAuth::Basic));
        let neither = r#","token_endpoint_auth_methods_supported":["private_key_jwt"]"#;
        assert_eq!(parse(neither).client_auth(), None);
    }

    #[test]
    fn the_authorize_url_keeps_the_endpoints_own_parameters() {
        let discovery = Discovery::parse(document("").as_bytes(), ISSUER).unwrap();
        let url = discovery
            .authorize_url(&AuthorizeRequest {
                client_id: "latch app",
                redirect_uri: "http://localhost:3333/cb",
                response_type: ResponseType::Code,
                state: "s1",
                nonce: "n1",
            })
            .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        assert_eq!(value("kc_idp_hint"), Some("acme"));
        assert_eq!(value("client_id"), Some("latch app"));
        assert_eq!(value("response_type"), Some("code"));
        assert_eq!(value("scope"), Some("openid email"));
        assert_eq!(value("redirect_uri"), Some("http://localhost:3333/cb"));
        assert_eq!((value("state"), value("nonce")), (Some("s1"), Some("n1")));
    }

    #[test]
    fn response_types_as_the_sdks_send_them() {
        assert_eq!(ResponseType::from_request("code"), Some(ResponseType::Code));
        assert_eq!(
            ResponseType::from_request("token").map(ResponseType::as_str),
            Some("id_token")
        );
        assert_eq!(ResponseType::from_request("password"), None);
    }
}
