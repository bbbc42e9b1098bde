//! Vendor operations shared by the CLI and the demo set-up: they create secrets and call the store.

use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::Utc;
use latch_store::{ApiKey, Company, NewCompany, SecretBox, Store, StoreError};
use latch_wire::signing::generate_key;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not generate a signing key")]
    KeyGeneration,
    #[error("random number generator failed")]
    Random,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Secret(#[from] latch_store::secrets::SecretError),
}

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I).
const KEY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn random_string(alphabet: &[u8], len: usize) -> Result<String, AdminError> {
    let mut bytes = vec![0u8; len];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AdminError::Random)?;
    // 256 is a multiple of both alphabets' lengths (32 and 64), so the modulo keeps characters uniform.
    debug_assert_eq!(256 % alphabet.len(), 0);
    Ok(bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect())
}

/// A license key like `ABCD-EFGH-JKLM-NPQR`.
pub fn generate_license_key() -> Result<String, AdminError> {
    let raw = random_string(KEY_ALPHABET, 16)?;
    Ok(raw
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-"))
}

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A random password for a license user who did not choose one.
pub fn generate_password() -> Result<String, AdminError> {
    random_string(SECRET_ALPHABET, 16)
}

/// Letters and digits only: an API key is typed on command lines, where a leading `-` reads as a flag.
fn new_api_key() -> Result<String, AdminError> {
    random_string(KEY_ALPHABET, 32)
}

pub async fn create_api_key(
    store: &dyn Store,
    company_id: i64,
    read_only: bool,
) -> Result<ApiKey, AdminError> {
    let api_key = new_api_key()?;
    let shared_key = random_string(SECRET_ALPHABET, 43)?;
    Ok(store
        .create_api_key(company_id, &api_key, &shared_key, read_only, Utc::now())
        .await?)
}

/// A company with its own RSA-2048 signing key and a first API key.
pub async fn create_company(
    store: &dyn Store,
    name: &str,
) -> Result<(Company, ApiKey), AdminError> {
    let key = generate_key().map_err(|_| AdminError::KeyGeneration)?;
    let company = store
        .create_company(
            NewCompany {
                name,
                signing_key_pkcs8: &key.pkcs8_der,
                public_key_pem: &key.public_key_pem,
            },
            Utc::now(),
        )
        .await?;
    let api_key = create_api_key(store, company.id, false).await?;
    Ok((company, api_key))
}

/// The master key: from configuration when given, else from `master.key` in the data dir, created
/// (readable by its owner only) on first use.
pub fn load_master_key(configured: Option<&str>, data_dir: &Path) -> Result<SecretBox, AdminError> {
    if let Some(key) = configured {
        return Ok(SecretBox::from_base64(key)?);
    }
    let path = data_dir.join("master.key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(SecretBox::from_base64(&existing)?);
    }
    std::fs::create_dir_all(data_dir)?;
    let key = SecretBox::generate_master_key()?;
    write_private_file(&path, &key)?;
    Ok(SecretBox::from_base64(&key)?)
}

/// Writes a new file readable and writable by its owner only.
pub fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// Opens the configured store, creating the data dir and master key as needed.
pub async fn open_store(config: &crate::config::Config) -> Result<Arc<dyn Store>, AdminError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let secrets = load_master_key(config.master_key.as_deref(), &config.data_dir)?;
    Ok(latch_store::connect(
        &config.database_url,
        config.database_schema.as_deref(),
        secrets,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_keys_have_four_groups_of_unambiguous_characters() {
        let key = generate_license_key().unwrap();
        let groups: Vec<&str> = key.split('-').collect();
        assert_eq!(groups.len(), 4, "{key}");
        for group in groups {
            assert_eq!(group.len(), 4);
            assert!(group.bytes().all(|b| KEY_ALPHABET.contains(&b)), "{key}");
        }
        assert_ne!(generate_license_key().unwrap(), key);
    }

    #[test]
    fn api_keys_never_look_like_command_line_flags() {
        for _ in 0..200 {
            let key = new_api_key().unwrap();
            assert_eq!(key.len(), 32);
            assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
        }
    }

    #[test]
    fn the_master_key_file_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("latch-master-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = load_master_key(None, &dir).unwrap();
        let sealed = first.seal("p", b"x").unwrap();
        let second = load_master_key(None, &dir).unwrap();
        assert_eq!(second.open("p", &sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("master.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
