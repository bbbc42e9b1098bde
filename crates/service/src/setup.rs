//! Opening the configured database: the data dir, the master key that seals secrets, migrations.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use latch_store::{SecretBox, Store};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;

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
    create_private_dir(data_dir)?;
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

/// How long the first connection to PostgreSQL may take before the start fails.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the configured store, creating the data dir (private to its owner) and master key as needed;
/// the SQLite files are made private to their owner too.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, ServiceError> {
    create_private_dir(&config.data_dir)?;
    let secrets = load_master_key(config.master_key.as_ref(), &config.data_dir)?;
    if config.sqlite_file().is_none() {
        check_postgres(&config.database_url).await?;
    }
    let store = latch_store::connect(
        &config.database_url,
        config.database_schema.as_deref(),
        latch_store::StoreTuning {
            sqlite_durability: config.sqlite_synchronous,
            postgres_pool_size: config.database_pool_size,
        },
        secrets,
    )
    .await
    .map_err(|source| ServiceError::Database {
        url: config.redacted_database_url(),
        source,
    })?;
    if let Some(database) = config.sqlite_file() {
        restrict_sqlite_files(&database)?;
    }
    Ok(store)
}

/// Creates the directory readable by its owner only; an existing one is left as it is.
fn create_private_dir(dir: &Path) -> Result<(), ServiceError> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| set_mode(dir, 0o700))
        .map_err(|source| ServiceError::io("create the data dir", dir, source))
}

/// The database file and its write-ahead log and shared-memory files, owner only.
fn restrict_sqlite_files(database: &Path) -> Result<(), ServiceError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let file = Path::new(&name);
        if file.exists() {
            restrict_to_owner(file)
                .map_err(|source| ServiceError::io("restrict the permissions of", file, source))?;
        }
    }
    Ok(())
}

/// Makes a file readable and writable by its owner only.
pub(crate) fn restrict_to_owner(file: &Path) -> std::io::Result<()> {
    set_mode(file, 0o600)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// One direct connection first, so an unreachable server or a refused login is reported at once and
/// plainly rather than as a pool timeout.
async fn check_postgres(url: &str) -> Result<(), ServiceError> {
    let options =
        PgConnectOptions::from_str(url).map_err(|error| ServiceError::DatabaseUnreachable {
            address: "(unparsable URL)".into(),
            reason: error.to_string(),
        })?;
    let address = format!("{}:{}", options.get_host(), options.get_port());
    let unreachable = |reason: String| ServiceError::DatabaseUnreachable {
        address: address.clone(),
        reason,
    };
    match tokio::time::timeout(
        POSTGRES_CONNECT_TIMEOUT,
        sqlx::PgConnection::connect_with(&options),
    )
    .await
    {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(sqlx::Error::Io(error))) => Err(unreachable(match error.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            _ => error.to_string(),
        })),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            POSTGRES_CONNECT_TIMEOUT.as_secs()
        ))),
    }
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

    #[tokio::test]
    async fn an_unreachable_postgres_is_named_at_once() {
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        let error = check_postgres("postgres://latch@127.0.0.1:1/latch")
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused"
        );
    }
}
