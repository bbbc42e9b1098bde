//! Offline activation files: the request files SDKs write on a device cut off from the network, and the
//! license and refresh files answering them.
//!
//! A request file is base64 of JSON. Schema 2 wraps the request: `{"request": {...}, "signature": S}`,
//! where `S` is base64 HMAC-SHA256 over the exact text of the `request` object (each SDK serializes it
//! its own way, so the text is kept as sent, never re-serialized). The legacy form is the request object
//! itself, signed only by its inner `signature` ([`offline_signature`]).

use aws_lc_rs::{constant_time, hmac};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::body::LicenseBody;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestFileError {
    #[error("the request file is empty")]
    Empty,
    #[error("the request file is not base64 text")]
    NotBase64,
    #[error("the request file does not hold a JSON object: {0}")]
    NotJson(String),
}

/// A decoded request file, its signature not yet checked.
#[derive(Debug, Clone)]
pub struct RequestFile {
    /// The request's parameters.
    pub fields: Map<String, Value>,
    /// Schema 2: the exact text of the `request` object and the wrapper's signature over it.
    pub wrapper: Option<SignedText>,
}

#[derive(Debug, Clone)]
pub struct SignedText {
    pub text: String,
    pub signature: String,
}

#[derive(Deserialize)]
struct Wrapper<'a> {
    #[serde(borrow)]
    request: &'a RawValue,
    signature: Option<String>,
}

impl RequestFile {
    /// Reads the base64 text of a request file (surrounding whitespace, such as the newline the
    /// Python SDK ends its files with, is ignored).
    pub fn decode(text: &str) -> Result<Self, RequestFileError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RequestFileError::Empty);
        }
        let bytes = B64.decode(text).map_err(|_| RequestFileError::NotBase64)?;
        let json = String::from_utf8(bytes)
            .map_err(|_| RequestFileError::NotJson("it is not UTF-8 text".into()))?;
        let not_json = |error: serde_json::Error| RequestFileError::NotJson(error.to_string());
        let Value::Object(outer) = serde_json::from_str(&json).map_err(not_json)? else {
            return Err(RequestFileError::NotJson("it is not an object".into()));
        };
        // Node tells the two forms apart the same way: a `request` that is an object is a wrapper.
        let Some(Value::Object(fields)) = outer.get("request") else {
            return Ok(Self {
                fields: outer,
                wrapper: None,
            });
        };
        let wrapper: Wrapper = serde_json::from_str(&json).map_err(not_json)?;
        Ok(Self {
            fields: fields.clone(),
            wrapper: Some(SignedText {
                text: wrapper.request.get().to_owned(),
                signature: wrapper.signature.unwrap_or_default(),
            }),
        })
    }

    /// Whether the wrapper's signature is the HMAC of the request text under `key`; a legacy file
    /// has no wrapper and never matches.
    pub fn wrapper_signed_with(&self, key: &str) -> bool {
        self.wrapper
            .as_ref()
            .is_some_and(|signed| same(&hmac_base64(key, &signed.text), &signed.signature))
    }
}

/// base64 HMAC-SHA256 of `message` under `key`.
fn hmac_base64(key: &str, message: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    B64.encode(hmac::sign(&key, message.as_bytes()).as_ref())
}

/// Compares two signatures in constant time.
pub fn same(expected: &str, sent: &str) -> bool {
    constant_time::verify_slices_are_equal(expected.as_bytes(), sent.as_bytes()).is_ok()
}

/// The `offline_signature`: base64 HMAC-SHA256 under the shared key (or OAuth client secret) of
/// `licenseSpring\ndate: <date>\n<license key or user name>\n<hardware id>\n<api key or client id>`.
/// Legacy request files carry it as their inner `signature`; license files answer with one.
pub fn offline_signature(
    key: &str,
    date: &str,
    ident: &str,
    hardware_id: &str,
    key_id: &str,
) -> String {
    hmac_base64(
        key,
        &format!("licenseSpring\ndate: {date}\n{ident}\n{hardware_id}\n{key_id}"),
    )
}

/// An offline license object: the license file (`.lic`, and the `activate_offline` answer) or a
/// refresh file. The signatures come last, so removing them gives back the bytes they sign.
#[derive(Debug, Clone, Serialize)]
pub struct OfflineLicenseBody {
    #[serde(flatten)]
    pub license: LicenseBody,
    pub device_id: i64,
    /// Exactly as the request file spelled it.
    pub hardware_id: String,
    /// The license user's name as the request spelled it (user-based licenses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The request file's id, echoed (license files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When the file was made (RFC 7231), the date `offline_signature` signs.
    pub date: String,
    pub offline_signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_signature_v2: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        B64.encode(json)
    }

    #[test]
    fn wrapped_requests_keep_the_exact_signed_text() {
        // Python's json.dumps: spaces after separators, non-ASCII escaped.
        let request = r#"{"request": "activation", "product": "app", "name": "Jos\u00e9"}"#;
        let signature = hmac_base64("shared", request);
        let file = encode(&format!(
            r#"{{"request": {request}, "signature": "{signature}"}}"#
        ));
        let decoded = RequestFile::decode(&format!("{file}\n")).unwrap();
        assert_eq!(decoded.wrapper.as_ref().unwrap().text, request);
        assert_eq!(decoded.fields["name"], "José");
        assert!(decoded.wrapper_signed_with("shared"));
        assert!(!decoded.wrapper_signed_with("other"));
    }

    #[test]
    fn flat_requests_have_no_wrapper() {
        let decoded =
            RequestFile::decode(&encode(r#"{"request":"activation","product":"app"}"#)).unwrap();
        assert!(decoded.wrapper.is_none());
        assert_eq!(decoded.fields["product"], "app");
        assert!(!decoded.wrapper_signed_with("shared"));
    }

    #[test]
    fn bad_files_are_named() {
        let error = |text: &str| RequestFile::decode(text).unwrap_err();
        assert_eq!(error(" \n"), RequestFileError::Empty);
        assert_eq!(error("not base64!"), RequestFileError::NotBase64);
        assert!(matches!(
            error(&encode("[1]")),
            RequestFileError::NotJson(_)
        ));
        assert!(matches!(error(&encode("{")), RequestFileError::NotJson(_)));
        assert!(matches!(
            error(&B64.encode([0xff, 0xfe])),
            RequestFileError::NotJson(_)
        ));
    }

    #[test]
    fn offline_signature_signs_the_documented_lines() {
        assert_eq!(
            offline_signature("k", "Tue, 07 Jun 2011 20:51:35 GMT", "KEY", "hw", "api"),
            hmac_base64(
                "k",
                "licenseSpring\ndate: Tue, 07 Jun 2011 20:51:35 GMT\nKEY\nhw\napi"
            )
        );
    }
}
