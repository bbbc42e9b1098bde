//! Rotating the master key that seals signing keys, shared keys and initial passwords at rest.

use std::path::PathBuf;

use latch_store::SecretBox;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::setup::{write_private_file, MASTER_KEY_FILE, PREVIOUS_MASTER_KEY_FILE};
use crate::{Service, ServiceError, ServiceResult};

/// A new random master key (base64, 32 bytes) for configuration.
pub fn generate_master_key() -> ServiceResult<SecretString> {
    Ok(SecretBox::generate_master_key()?.into())
}

/// What a rotation did, and what the operator must do next.
#[derive(Debug)]
pub enum MasterKeyRotation {
    /// The key is configured: the new key must replace it before the next start.
    Configured {
        resealed: u64,
        new_key: SecretString,
    },
    /// The key file was replaced; the old one is kept beside it.
    File {
        resealed: u64,
        path: PathBuf,
        previous: PathBuf,
    },
}

impl Service {
    /// Re-seals every secret under `new_key` (generated when absent) in one transaction, then replaces
    /// the key file when the key came from one.
    pub async fn rotate_master_key(
        &self,
        config: &Config,
        new_key: Option<SecretString>,
    ) -> ServiceResult<MasterKeyRotation> {
        let new_key = match new_key {
            Some(key) => key,
            None => generate_master_key()?,
        };
        let sealer = SecretBox::from_base64(new_key.expose_secret())
            .map_err(|e| ServiceError::invalid("new_key", e.to_string()))?;
        let resealed = self.store.reseal_secrets(&sealer).await?;
        if config.master_key.is_some() {
            return Ok(MasterKeyRotation::Configured { resealed, new_key });
        }
        let path = config.data_dir.join(MASTER_KEY_FILE);
        let previous = config.data_dir.join(PREVIOUS_MASTER_KEY_FILE);
        std::fs::rename(&path, &previous)
            .map_err(|source| ServiceError::io("move", &path, source))?;
        write_private_file(&path, new_key.expose_secret())
            .map_err(|source| ServiceError::io("write", &path, source))?;
        Ok(MasterKeyRotation::File {
            resealed,
            path,
            previous,
        })
    }
}
