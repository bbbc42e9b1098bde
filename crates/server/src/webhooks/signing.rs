//! The two signatures every delivery carries, so a receiver can verify it with either library:
//! Standard Webhooks (`webhook-signature`) and LicenseSpring's `licensespring.webhook`
//! (`LicenseSpring-Signature`). While a rotated-out secret is still valid, each header carries one
//! signature per secret.

use aws_lc_rs::hmac;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

/// The header with LicenseSpring's signature scheme: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`.
pub const LICENSESPRING_SIGNATURE: &str = "licensespring-signature";

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> hmac::Tag {
    let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for part in parts {
        context.update(part);
    }
    context.sign()
}

/// The key Standard Webhooks signs with: the secret after `whsec_`, base64-decoded (the whole
/// string's bytes if it is not base64, as the reference libraries do not accept such secrets anyway).
fn standard_key(secret: &str) -> Vec<u8> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| secret.as_bytes().to_vec())
}

/// `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated.
pub fn standard_signature(
    secrets: &[SecretString],
    id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    let timestamp = timestamp.to_string();
    secrets
        .iter()
        .map(|secret| {
            let tag = hmac_sha256(
                &standard_key(secret.expose_secret()),
                &[
                    id.as_bytes(),
                    b".",
                    timestamp.as_bytes(),
                    b".",
                    body.as_bytes(),
                ],
            );
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// LicenseSpring's header value: `t=<timestamp>` and `v1=<hex HMAC-SHA256 of "t.body">` per secret,
/// keyed with the whole secret string as shown to the vendor.
pub fn licensespring_signature(secrets: &[SecretString], timestamp: i64, body: &str) -> String {
    let timestamp = timestamp.to_string();
    let mut value = format!("t={timestamp}");
    for secret in secrets {
        let tag = hmac_sha256(
            secret.expose_secret().as_bytes(),
            &[timestamp.as_bytes(), b".", body.as_bytes()],
        );
        value.push_str(",v1=");
        for byte in tag.as_ref() {
            value.push_str(&format!("{byte:02x}"));
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's reference libraries.
        let signature = standard_signature(
            &secrets(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn licensespring_signature_is_hex_hmac_of_timestamp_and_body_under_the_whole_secret() {
        let value = licensespring_signature(&secrets(&["whsec_abc"]), 1700000000, "{}");
        let expected = hmac_sha256(b"whsec_abc", &[b"1700000000.{}"]);
        let hex: String = expected
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(value, format!("t=1700000000,v1={hex}"));
    }

    #[test]
    fn every_valid_secret_signs() {
        let both = secrets(&["whsec_bmV3", "whsec_b2xk"]);
        assert_eq!(
            standard_signature(&both, "id", 1, "{}").split(' ').count(),
            2
        );
        assert_eq!(
            licensespring_signature(&both, 1, "{}")
                .matches(",v1=")
                .count(),
            2
        );
    }
}
