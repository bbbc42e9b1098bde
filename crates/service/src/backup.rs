//! `latch backup`: a consistent copy of a live SQLite database, taken through its own connection with
//! `VACUUM INTO` (readers and writers carry on meanwhile). PostgreSQL has `pg_dump` for this.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Connection as _;

use crate::config::Config;
use crate::ServiceError;

/// Copies the configured SQLite database into `out`, a new file (never overwritten), private to its
/// owner.
pub async fn backup(config: &Config, out: &Path) -> Result<(), ServiceError> {
    let Some(database) = config.sqlite_file() else {
        return Err(ServiceError::BackupUnsupported(pg_dump_hint(config)));
    };
    if out.exists() {
        return Err(ServiceError::BackupExists(out.display().to_string()));
    }
    let failed = |source| ServiceError::Backup {
        path: out.display().to_string(),
        source,
    };
    let options = SqliteConnectOptions::new()
        .filename(&database)
        .create_if_missing(false)
        .read_only(true);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .map_err(failed)?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(out.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    copied.map_err(failed)?;
    crate::setup::restrict_to_owner(out)
        .map_err(|source| ServiceError::io("restrict the permissions of", out, source))
}

/// What to run instead for PostgreSQL, with the configured URL (password hidden) and schema.
fn pg_dump_hint(config: &Config) -> String {
    let schema = config
        .database_schema
        .as_deref()
        .map(|schema| format!(" --schema='{schema}'"))
        .unwrap_or_default();
    format!(
        "latch backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. \
         pg_dump --format=custom{schema} --file=latch.dump '{}' (restore with pg_restore)",
        config.redacted_database_url()
    )
}
