//! Configuration: an optional TOML file, overridden by `LATCH_*` environment variables, validated once
//! at start so a bad value stops the server with one clear message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "latch-data";
pub const DEFAULT_LOG: &str = "info,sqlx=warn";
/// About 1.5 KB of memory per device.
pub const DEFAULT_CHECK_CACHE_ENTRIES: usize = 50_000;

/// What the TOML file may set; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    database_schema: Option<String>,
    data_dir: Option<PathBuf>,
    log: Option<String>,
    master_key: Option<String>,
    check_cache_entries: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// PostgreSQL schema holding Latch's tables (default: the connection's search path).
    pub database_schema: Option<String>,
    pub data_dir: PathBuf,
    pub log: String,
    /// base64 master key from configuration; when absent, a key file in the data dir is used.
    pub master_key: Option<SecretString>,
    /// How many devices' check reads each node keeps in memory (0: none).
    pub check_cache_entries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid listen address {0:?} (expected host:port, e.g. 127.0.0.1:8080)")]
    Listen(String),
    #[error("invalid database URL {0:?} (expected sqlite://FILE or postgres://...)")]
    DatabaseUrl(String),
    #[error("invalid LATCH_CHECK_CACHE_ENTRIES {0:?} (expected a number of devices, 0 to turn the cache off)")]
    CheckCacheEntries(String),
}

impl Config {
    /// Loads the file (if any), then applies the environment as read by `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let from_file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => FileConfig::default(),
        };
        let listen = env("LATCH_LISTEN")
            .or(from_file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen
            .parse()
            .map_err(|_| ConfigError::Listen(listen.clone()))?;
        let data_dir = env("LATCH_DATA_DIR")
            .map(PathBuf::from)
            .or(from_file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = env("LATCH_DATABASE_URL")
            .or(from_file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("latch.db").display()));
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(ConfigError::DatabaseUrl(database_url));
        }
        let check_cache_entries = match env("LATCH_CHECK_CACHE_ENTRIES") {
            Some(text) => text
                .parse()
                .map_err(|_| ConfigError::CheckCacheEntries(text.clone()))?,
            None => from_file
                .check_cache_entries
                .unwrap_or(DEFAULT_CHECK_CACHE_ENTRIES),
        };
        Ok(Self {
            listen,
            check_cache_entries,
            database_url,
            database_schema: env("LATCH_DATABASE_SCHEMA").or(from_file.database_schema),
            data_dir,
            log: env("LATCH_LOG")
                .or(from_file.log)
                .unwrap_or_else(|| DEFAULT_LOG.to_owned()),
            master_key: env("LATCH_MASTER_KEY")
                .or(from_file.master_key)
                .map(SecretString::from),
        })
    }

    /// The database URL with any password replaced by `***`, for logs and error messages.
    pub fn redacted_database_url(&self) -> String {
        redact_password(&self.database_url)
    }

    pub fn from_environment(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load(file, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }
}

/// `scheme://user:secret@host/...` becomes `scheme://user:***@host/...`; other URLs are unchanged.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn file_with(text: &str) -> tempfile_path::TempFile {
        tempfile_path::TempFile::new(text)
    }

    mod tempfile_path {
        /// A file removed when dropped.
        pub struct TempFile(pub std::path::PathBuf);
        impl TempFile {
            pub fn new(text: &str) -> Self {
                let path = std::env::temp_dir().join(format!(
                    "latch-config-{}-{}.toml",
                    std::process::id(),
                    text.len()
                ));
                std::fs::write(&path, text).unwrap();
                Self(path)
            }
        }
        impl Drop for TempFile {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn defaults_put_sqlite_inside_the_data_dir() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(config.database_url, "sqlite://latch-data/latch.db");
        assert_eq!(config.log, DEFAULT_LOG);
        assert!(config.master_key.is_none());
    }

    #[test]
    fn environment_overrides_the_file() {
        let file =
            file_with("listen = \"127.0.0.1:9000\"\nlog = \"debug\"\ndata_dir = \"/srv/a\"\n");
        let config = Config::load(Some(&file.0), env(&[("LATCH_LISTEN", "0.0.0.0:7000")])).unwrap();
        assert_eq!(config.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(config.log, "debug");
        assert_eq!(config.database_url, "sqlite:///srv/a/latch.db");
    }

    #[test]
    fn invalid_values_are_reported_by_name() {
        let bad_listen = Config::load(None, env(&[("LATCH_LISTEN", "nowhere")])).unwrap_err();
        assert!(bad_listen.to_string().contains("invalid listen address"));
        let bad_url = Config::load(None, env(&[("LATCH_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(bad_url.to_string().contains("invalid database URL"));
        let unknown_key = file_with("colour = \"blue\"\n");
        let error = Config::load(Some(&unknown_key.0), env(&[])).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
        let missing =
            Config::load(Some(Path::new("/nonexistent/latch.toml")), env(&[])).unwrap_err();
        assert!(missing.to_string().contains("cannot read config file"));
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_password("postgres://latch:s3cr@t@db:5432/latch?sslmode=require"),
            "postgres://latch:***@db:5432/latch?sslmode=require"
        );
        assert_eq!(
            redact_password("postgres://latch@db/latch"),
            "postgres://latch@db/latch"
        );
        assert_eq!(
            redact_password("sqlite://latch-data/latch.db"),
            "sqlite://latch-data/latch.db"
        );
        assert_eq!(redact_password("not a url"), "not a url");
    }
}
