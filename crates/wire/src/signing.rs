//! RSA-2048 PKCS#1 v1.5 SHA-256 signatures with a company's key (aws-lc-rs).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};

use crate::time::iso_millis;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("could not generate an RSA key pair")]
    Generate,
    #[error("stored signing key is not a valid PKCS#8 RSA key")]
    InvalidKey,
    #[error("RSA signing failed")]
    Sign,
}

/// A company's signing key.
pub struct Signer {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

/// A freshly generated key pair: the private key as PKCS#8 DER (to store encrypted) and the public
/// key as PEM (to hand to SDKs).
pub struct GeneratedKey {
    pub pkcs8_der: Vec<u8>,
    pub public_key_pem: String,
}

pub fn generate_key() -> Result<GeneratedKey, SigningError> {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| SigningError::Generate)?;
    let pkcs8_der = key
        .as_der()
        .map_err(|_| SigningError::Generate)?
        .as_ref()
        .to_vec();
    let public_der = key
        .public_key()
        .as_der()
        .map_err(|_| SigningError::Generate)?;
    Ok(GeneratedKey {
        pkcs8_der,
        public_key_pem: pem("PUBLIC KEY", public_der.as_ref()),
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl Signer {
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, SigningError> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|_| SigningError::InvalidKey)?;
        Ok(Self {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// base64 of the PKCS#1 v1.5 SHA-256 signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String, SigningError> {
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                message,
                &mut signature,
            )
            .map_err(|_| SigningError::Sign)?;
        Ok(B64.encode(signature))
    }

    /// The `license_signature` of a license body: over
    /// `lowercase(hardware_id#ident#validity)`, where `ident` is the license key (or user name) and
    /// `validity` the validity period as the body writes it (ISO, milliseconds), or empty.
    pub fn license_signature(
        &self,
        hardware_id: &str,
        ident: &str,
        validity: Option<DateTime<Utc>>,
    ) -> Result<String, SigningError> {
        let validity = validity.map(iso_millis).unwrap_or_default();
        let message = format!("{hardware_id}#{ident}#{validity}");
        self.sign(message.to_lowercase().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use chrono::TimeZone;

    fn der_from_pem(pem: &str) -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        B64.decode(b64).unwrap()
    }

    fn verify(public_pem: &str, message: &[u8], signature_b64: &str) -> bool {
        let spki = der_from_pem(public_pem);
        let signature = B64.decode(signature_b64).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &spki)
            .verify(message, &signature)
            .is_ok()
    }

    #[test]
    fn signatures_verify_with_the_public_key_and_only_over_the_signed_bytes() {
        let generated = generate_key().unwrap();
        let signer = Signer::from_pkcs8(&generated.pkcs8_der).unwrap();
        let body = br#"{"id":1,"license_key":"AAAA-BBBB"}"#;
        let signature = signer.sign(body).unwrap();
        assert!(verify(&generated.public_key_pem, body, &signature));
        assert!(!verify(
            &generated.public_key_pem,
            br#"{"id":2}"#,
            &signature
        ));
        let other = generate_key().unwrap();
        assert!(!verify(&other.public_key_pem, body, &signature));
    }

    #[test]
    fn signatures_are_deterministic() {
        let generated = generate_key().unwrap();
        let signer = Signer::from_pkcs8(&generated.pkcs8_der).unwrap();
        assert_eq!(signer.sign(b"same").unwrap(), signer.sign(b"same").unwrap());
    }

    #[test]
    fn license_signature_lowercases_its_message() {
        let generated = generate_key().unwrap();
        let signer = Signer::from_pkcs8(&generated.pkcs8_der).unwrap();
        let signature = signer
            .license_signature(
                "HW-1",
                "ABCD-EFGH",
                Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()),
            )
            .unwrap();
        assert!(verify(
            &generated.public_key_pem,
            b"hw-1#abcd-efgh#2027-01-01t00:00:00.000z",
            &signature
        ));
        let perpetual = signer.license_signature("HW-1", "ABCD-EFGH", None).unwrap();
        assert!(verify(
            &generated.public_key_pem,
            b"hw-1#abcd-efgh#",
            &perpetual
        ));
    }

    #[test]
    fn public_key_is_pem_wrapped_at_64_columns() {
        let generated = generate_key().unwrap();
        let lines: Vec<&str> = generated.public_key_pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(*lines.last().unwrap(), "-----END PUBLIC KEY-----");
        assert!(lines[1..lines.len() - 2].iter().all(|l| l.len() == 64));
    }

    #[test]
    fn garbage_is_not_a_signing_key() {
        assert!(Signer::from_pkcs8(b"not a key").is_err());
    }
}
