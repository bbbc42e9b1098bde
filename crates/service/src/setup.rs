//! Opening the configured database: the data dir, the master key that seals secrets, migrations.

use std::path::Path;
use std::sync::Arc;

use latch_store::{SecretBox, Store};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::ServiceError;

/// The file in the data dir holding the master key when none is configured.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Where a rotation keeps the replaced key file.
pub const PREVIOUS_MASTER_KEY_FILE: &str = "master.key.previous";

/// The master key: from configuration when given, else from `master.key` in the data dir, created
/// (readable by its owner only) on first use.
pub fn load_master_key(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> Result<SecretBox, ServiceError> {
    if let Some(key) = configured {
        return Ok(SecretBox::from_base64(key.expose_secret())?);
    }
    let path = data_dir.join(MASTER_KEY_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(SecretBox::from_base64(&existing)?);
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|source| ServiceError::io("create the data dir", data_dir, source))?;
    let key = SecretBox::generate_master_key()?;
    write_private_file(&path, &key)
        .map_err(|source| ServiceError::io("write the master key file", &path, source))?;
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
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, ServiceError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| ServiceError::io("create the data dir", &config.data_dir, source))?;
    let secrets = load_master_key(config.master_key.as_ref(), &config.data_dir)?;
    latch_store::connect(
        &config.database_url,
        config.database_schema.as_deref(),
        secrets,
    )
    .await
    .map_err(|source| ServiceError::Database {
        url: config.redacted_database_url(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let mode = std::fs::metadata(dir.join(MASTER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
