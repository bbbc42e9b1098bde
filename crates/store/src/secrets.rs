//! Secrets at rest: company signing keys and API shared keys are sealed with AES-256-GCM under a
//! master key that lives outside the database, so a copy of the database alone cannot sign answers
//! or forge client requests.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// Length of a master key in bytes.
pub const MASTER_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("master key must be {MASTER_KEY_LEN} bytes, base64-encoded")]
    BadMasterKey,
    #[error("a sealed secret could not be opened: wrong master key or damaged data")]
    Open,
    #[error("random number generator failed")]
    Random,
}

/// Seals and opens secrets with the master key. `purpose` is bound into each ciphertext, so a sealed
/// shared key cannot be swapped in where a signing key belongs.
pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_base64(master_key: &str) -> Result<Self, SecretError> {
        let bytes = B64
            .decode(master_key.trim())
            .map_err(|_| SecretError::BadMasterKey)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() != MASTER_KEY_LEN {
            return Err(SecretError::BadMasterKey);
        }
        let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SecretError::BadMasterKey)?;
        Ok(Self {
            key: LessSafeKey::new(key),
            rng: SystemRandom::new(),
        })
    }

    /// A new random master key, base64-encoded.
    pub fn generate_master_key() -> Result<String, SecretError> {
        let mut bytes = [0u8; MASTER_KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SecretError::Random)?;
        Ok(B64.encode(bytes))
    }

    /// base64(nonce || ciphertext || tag)
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(B64.encode(out))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SecretError> {
        let bytes = B64.decode(sealed).map_err(|_| SecretError::Open)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Open)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buffer)
            .map_err(|_| SecretError::Open)?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_box() -> SecretBox {
        SecretBox::from_base64(&SecretBox::generate_master_key().unwrap()).unwrap()
    }

    #[test]
    fn sealed_secrets_open_with_the_same_key_and_purpose_only() {
        let first = secret_box();
        let sealed = first.seal("shared_key", b"s3cret").unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(first.open("shared_key", &sealed).unwrap(), b"s3cret");
        assert!(first.open("signing_key", &sealed).is_err());
        assert!(secret_box().open("shared_key", &sealed).is_err());
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let secret_box = secret_box();
        assert_ne!(
            secret_box.seal("p", b"same").unwrap(),
            secret_box.seal("p", b"same").unwrap()
        );
    }

    #[test]
    fn damaged_or_short_data_does_not_open() {
        let secret_box = secret_box();
        for sealed in ["", "AAAA", "not base64!"] {
            assert!(secret_box.open("p", sealed).is_err(), "{sealed}");
        }
        let mut sealed = B64.decode(secret_box.seal("p", b"x").unwrap()).unwrap();
        *sealed.last_mut().unwrap() ^= 1;
        assert!(secret_box.open("p", &B64.encode(sealed)).is_err());
    }

    #[test]
    fn master_keys_must_be_32_bytes() {
        assert!(SecretBox::from_base64(&B64.encode([0u8; 16])).is_err());
        assert!(SecretBox::from_base64("%%%").is_err());
        assert!(SecretBox::from_bytes(&[7u8; 32]).is_ok());
    }
}
