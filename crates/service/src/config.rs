//! Configuration: an optional TOML file, overridden by `LATCH_*` environment variables, validated once
//! at start so a bad value stops the server with one clear message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "latch-data";
pub const DEFAULT_LOG: &str = "info,sqlx=warn";
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_PASSWORD_ATTEMPTS: u32 = 10;
pub const DEFAULT_PASSWORD_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_PASSWORD_ADDRESS_FAILURES: u32 = 50;
pub const DEFAULT_PASSWORD_ADDRESS_WINDOW: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_PASSWORD_ADDRESS_MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// The longest password window or backoff a setting may ask for.
pub const MAX_PASSWORD_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// About 1.5 KB of memory per device.
pub const DEFAULT_CHECK_CACHE_ENTRIES: usize = 50_000;
pub const DEFAULT_OAUTH_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// What the TOML file may set; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    database_schema: Option<String>,
    data_dir: Option<PathBuf>,
    log: Option<String>,
    log_format: Option<String>,
    master_key: Option<String>,
    header_timeout: Option<u64>,
    body_timeout: Option<u64>,
    idle_timeout: Option<u64>,
    max_connections: Option<u64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    metrics_listen: Option<String>,
    check_cache_entries: Option<usize>,
    password_attempts: Option<u32>,
    password_window: Option<u64>,
    password_address_failures: Option<u32>,
    password_address_window: Option<u64>,
    password_address_max_backoff: Option<u64>,
    sqlite_synchronous: Option<String>,
    database_pool_size: Option<u32>,
    rate_limit_per_api_key: Option<u32>,
    rate_limit_per_address: Option<u32>,
    rate_limit_activations: Option<u32>,
    rate_limit_trials: Option<u32>,
    webhook_allow_private: Option<bool>,
    webhook_retry_delays: Option<Vec<u64>>,
    public_url: Option<String>,
    oauth_token_lifetime: Option<u64>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (coloured only on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

/// The listener's limits on each client connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a connection's first byte of a request (or its opening) to the end of the request's headers.
    pub header_timeout: Duration,
    /// From the end of a request's headers to the end of its body.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Most connections served at once; `None` derives it from the open-file limit.
    pub max_connections: Option<usize>,
}

/// At most `attempts` per fixed window that starts with a subject's first attempt and lasts `window`,
/// counted in the database so the limit holds across nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub attempts: u32,
    pub window: Duration,
}

/// Waits imposed on a client address that keeps failing, per node: after `failures` failures it must
/// wait 1 s before its next attempt, twice as long after each further failure, at most `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBackoff {
    /// Failures before the first wait; 0 turns the backoff off.
    pub failures: u32,
    /// An address that neither failed nor had to wait for this long starts afresh.
    pub window: Duration,
    pub max_delay: Duration,
}

/// How often license users' passwords may be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    /// Attempts per license user name, from any address and node.
    pub per_user: AttemptLimit,
    /// Failed attempts per client address.
    pub per_address: FailureBackoff,
}

impl Default for PasswordLimits {
    fn default() -> Self {
        Self {
            per_user: AttemptLimit {
                attempts: DEFAULT_PASSWORD_ATTEMPTS,
                window: DEFAULT_PASSWORD_WINDOW,
            },
            per_address: FailureBackoff {
                failures: DEFAULT_PASSWORD_ADDRESS_FAILURES,
                window: DEFAULT_PASSWORD_ADDRESS_WINDOW,
                max_delay: DEFAULT_PASSWORD_ADDRESS_MAX_BACKOFF,
            },
        }
    }
}

/// A request rate: `burst` requests at once, refilled at `per_second`; a rate of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimit {
    /// `count` requests per `period`, all of them allowed at once.
    pub fn per(count: u32, period: Duration) -> Self {
        Self {
            per_second: f64::from(count) / period.as_secs_f64(),
            burst: count,
        }
    }
}

/// Request rate limits: flood control per node in memory, and activations per license (a business
/// limit) in the database.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSettings {
    pub per_api_key: RateLimit,
    pub per_address: RateLimit,
    /// Every node together; `None` is no limit.
    pub activations_per_license: Option<AttemptLimit>,
    pub trials_per_address: RateLimit,
}

pub const DEFAULT_RATE_PER_API_KEY: u32 = 10_000;
pub const DEFAULT_RATE_PER_ADDRESS: u32 = 500;
pub const DEFAULT_ACTIVATIONS_PER_LICENSE: u32 = 120;
pub const DEFAULT_TRIALS_PER_ADDRESS: u32 = 60;
pub const ACTIVATIONS_WINDOW: Duration = Duration::from_secs(60);

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_api_key: RateLimit::per(DEFAULT_RATE_PER_API_KEY, Duration::from_secs(1)),
            per_address: RateLimit::per(DEFAULT_RATE_PER_ADDRESS, Duration::from_secs(1)),
            activations_per_license: Some(AttemptLimit {
                attempts: DEFAULT_ACTIVATIONS_PER_LICENSE,
                window: ACTIVATIONS_WINDOW,
            }),
            trials_per_address: RateLimit::per(
                DEFAULT_TRIALS_PER_ADDRESS,
                Duration::from_secs(3600),
            ),
        }
    }
}

/// The certificate chain and private key (PEM files) that make the listener speak HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Whether endpoints may be on loopback, private or link-local addresses (and plain http).
    pub allow_private: bool,
    /// The waits before each retry after a failed attempt; the delivery fails after the last.
    pub retry_delays: RetryDelays,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_delays: RetryDelays(
                [5, 300, 1800, 7200, 18000, 36000, 86400]
                    .map(Duration::from_secs)
                    .to_vec(),
            ),
        }
    }
}

/// How OAuth clients get their access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// How long an access token is valid.
    pub token_lifetime: Duration,
    /// Where clients reach Latch (scheme, host and any path prefix, no trailing slash): the base of
    /// the token URL `oauth_url` answers. Unset, it answers with the address the client used.
    pub public_url: Option<String>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            token_lifetime: DEFAULT_OAUTH_TOKEN_LIFETIME,
            public_url: None,
        }
    }
}

/// An http(s) URL without credentials, query or fragment, its trailing slash dropped.
fn public_url(value: &str) -> Result<String, ()> {
    let url = url::Url::parse(value.trim()).map_err(drop)?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !usable {
        return Err(());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Waits between webhook attempts, written as whole seconds separated by commas (`5,300,1800`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryDelays(pub Vec<Duration>);

impl RetryDelays {
    fn from_seconds(seconds: &[u64]) -> Option<Self> {
        let valid = !seconds.is_empty() && seconds.len() <= 50 && !seconds.contains(&0);
        valid.then(|| Self(seconds.iter().copied().map(Duration::from_secs).collect()))
    }
}

impl FromStr for RetryDelays {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        let seconds = value
            .split(',')
            .map(|part| part.trim().parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(drop)?;
        Self::from_seconds(&seconds).ok_or(())
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// PostgreSQL schema holding Latch's tables (default: the connection's search path).
    pub database_schema: Option<String>,
    pub data_dir: PathBuf,
    pub log: String,
    pub log_format: LogFormat,
    /// base64 master key from configuration; when absent, a key file in the data dir is used.
    pub master_key: Option<SecretString>,
    pub connections: ConnectionLimits,
    /// When set, the listener speaks HTTPS only.
    pub tls: Option<TlsFiles>,
    /// When set, `/metrics` is served on this address only, not on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// How many devices' check reads each node keeps in memory (0: none).
    pub check_cache_entries: usize,
    pub password_limits: PasswordLimits,
    pub rate_limits: RateLimitSettings,
    /// SQLite's `synchronous` setting: FULL (the default) or NORMAL.
    pub sqlite_synchronous: latch_store::SqliteDurability,
    /// Most connections each node opens to PostgreSQL.
    pub database_pool_size: u32,
    pub webhooks: WebhookSettings,
    pub oauth: OAuthSettings,
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
    #[error("invalid {key} {value:?} (expected {expected})")]
    Invalid {
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("tls_cert and tls_key (LATCH_TLS_CERT, LATCH_TLS_KEY) must be set together")]
    TlsPair,
}

/// A setting from the environment (as text) or the file (typed), parsed and checked.
fn setting<T: FromStr>(
    key: &'static str,
    from_env: Option<String>,
    from_file: Option<T>,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    match from_env {
        Some(value) => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid {
                key,
                value,
                expected,
            }),
        None => Ok(from_file),
    }
}

/// A timeout in whole seconds, at least one.
fn seconds(
    key: &'static str,
    from_env: Option<String>,
    from_file: Option<u64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    const EXPECTED: &str = "a whole number of seconds, at least 1";
    match setting(key, from_env, from_file, EXPECTED)? {
        None => Ok(default),
        Some(0) => Err(ConfigError::Invalid {
            key,
            value: "0".into(),
            expected: EXPECTED,
        }),
        Some(secs) => Ok(Duration::from_secs(secs)),
    }
}

/// [`seconds`], at most [`MAX_PASSWORD_WINDOW`].
fn at_most_a_day(
    key: &'static str,
    from_env: Option<String>,
    from_file: Option<u64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let duration = seconds(key, from_env, from_file, default)?;
    if duration > MAX_PASSWORD_WINDOW {
        return Err(ConfigError::Invalid {
            key,
            value: duration.as_secs().to_string(),
            expected: "at most 86400 seconds",
        });
    }
    Ok(duration)
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
        let max_connections = match setting(
            "max_connections",
            env("LATCH_MAX_CONNECTIONS"),
            from_file.max_connections,
            "a whole number, at least 1",
        )? {
            Some(0) => {
                return Err(ConfigError::Invalid {
                    key: "max_connections",
                    value: "0".into(),
                    expected: "a whole number, at least 1",
                })
            }
            other => other.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        };
        let connections = ConnectionLimits {
            header_timeout: seconds(
                "header_timeout",
                env("LATCH_HEADER_TIMEOUT"),
                from_file.header_timeout,
                DEFAULT_HEADER_TIMEOUT,
            )?,
            body_timeout: seconds(
                "body_timeout",
                env("LATCH_BODY_TIMEOUT"),
                from_file.body_timeout,
                DEFAULT_BODY_TIMEOUT,
            )?,
            idle_timeout: seconds(
                "idle_timeout",
                env("LATCH_IDLE_TIMEOUT"),
                from_file.idle_timeout,
                DEFAULT_IDLE_TIMEOUT,
            )?,
            max_connections,
        };
        let tls = match (
            env("LATCH_TLS_CERT")
                .map(PathBuf::from)
                .or(from_file.tls_cert),
            env("LATCH_TLS_KEY")
                .map(PathBuf::from)
                .or(from_file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err(ConfigError::TlsPair),
        };
        let log_format = env("LATCH_LOG_FORMAT").or(from_file.log_format);
        let check_cache_entries = setting(
            "check_cache_entries",
            env("LATCH_CHECK_CACHE_ENTRIES"),
            from_file.check_cache_entries,
            "a number of devices, 0 to turn the cache off",
        )?
        .unwrap_or(DEFAULT_CHECK_CACHE_ENTRIES);
        let password_limits = PasswordLimits {
            per_user: AttemptLimit {
                attempts: match setting(
                    "password_attempts",
                    env("LATCH_PASSWORD_ATTEMPTS"),
                    from_file.password_attempts,
                    "a whole number, at least 1",
                )? {
                    Some(0) => {
                        return Err(ConfigError::Invalid {
                            key: "password_attempts",
                            value: "0".into(),
                            expected: "a whole number, at least 1",
                        })
                    }
                    other => other.unwrap_or(DEFAULT_PASSWORD_ATTEMPTS),
                },
                window: at_most_a_day(
                    "password_window",
                    env("LATCH_PASSWORD_WINDOW"),
                    from_file.password_window,
                    DEFAULT_PASSWORD_WINDOW,
                )?,
            },
            per_address: FailureBackoff {
                failures: setting(
                    "password_address_failures",
                    env("LATCH_PASSWORD_ADDRESS_FAILURES"),
                    from_file.password_address_failures,
                    "a whole number of failures, 0 to turn the limit off",
                )?
                .unwrap_or(DEFAULT_PASSWORD_ADDRESS_FAILURES),
                window: at_most_a_day(
                    "password_address_window",
                    env("LATCH_PASSWORD_ADDRESS_WINDOW"),
                    from_file.password_address_window,
                    DEFAULT_PASSWORD_ADDRESS_WINDOW,
                )?,
                max_delay: at_most_a_day(
                    "password_address_max_backoff",
                    env("LATCH_PASSWORD_ADDRESS_MAX_BACKOFF"),
                    from_file.password_address_max_backoff,
                    DEFAULT_PASSWORD_ADDRESS_MAX_BACKOFF,
                )?,
            },
        };
        const COUNT: &str = "a whole number of requests, 0 to turn the limit off";
        let rate = |key, from_env, from_file, default, period| {
            setting(key, from_env, from_file, COUNT)
                .map(|count: Option<u32>| RateLimit::per(count.unwrap_or(default), period))
        };
        let second = Duration::from_secs(1);
        let rate_limits = RateLimitSettings {
            per_api_key: rate(
                "rate_limit_per_api_key",
                env("LATCH_RATE_LIMIT_PER_API_KEY"),
                from_file.rate_limit_per_api_key,
                DEFAULT_RATE_PER_API_KEY,
                second,
            )?,
            per_address: rate(
                "rate_limit_per_address",
                env("LATCH_RATE_LIMIT_PER_ADDRESS"),
                from_file.rate_limit_per_address,
                DEFAULT_RATE_PER_ADDRESS,
                second,
            )?,
            activations_per_license: match setting(
                "rate_limit_activations",
                env("LATCH_RATE_LIMIT_ACTIVATIONS"),
                from_file.rate_limit_activations,
                COUNT,
            )? {
                Some(0) => None,
                count => Some(AttemptLimit {
                    attempts: count.unwrap_or(DEFAULT_ACTIVATIONS_PER_LICENSE),
                    window: ACTIVATIONS_WINDOW,
                }),
            },
            trials_per_address: rate(
                "rate_limit_trials",
                env("LATCH_RATE_LIMIT_TRIALS"),
                from_file.rate_limit_trials,
                DEFAULT_TRIALS_PER_ADDRESS,
                Duration::from_secs(3600),
            )?,
        };
        let sqlite_synchronous = setting(
            "sqlite_synchronous",
            env("LATCH_SQLITE_SYNCHRONOUS").or(from_file.sqlite_synchronous),
            None,
            "full or normal",
        )?
        .unwrap_or_default();
        let database_pool_size = match setting(
            "database_pool_size",
            env("LATCH_DATABASE_POOL_SIZE"),
            from_file.database_pool_size,
            "a number of connections, at least 1",
        )? {
            None => latch_store::StoreTuning::default().postgres_pool_size,
            Some(0) => {
                return Err(ConfigError::Invalid {
                    key: "database_pool_size",
                    value: "0".into(),
                    expected: "a number of connections, at least 1",
                })
            }
            Some(size) => size,
        };
        const DELAYS: &str = "whole seconds, at least 1 each, separated by commas (at most 50)";
        let retry_delays = match env("LATCH_WEBHOOK_RETRY_DELAYS") {
            Some(text) => setting("webhook_retry_delays", Some(text), None, DELAYS)?,
            None => match from_file.webhook_retry_delays {
                Some(seconds) => Some(RetryDelays::from_seconds(&seconds).ok_or_else(|| {
                    ConfigError::Invalid {
                        key: "webhook_retry_delays",
                        value: format!("{seconds:?}"),
                        expected: DELAYS,
                    }
                })?),
                None => None,
            },
        };
        let webhooks = WebhookSettings {
            allow_private: setting(
                "webhook_allow_private",
                env("LATCH_WEBHOOK_ALLOW_PRIVATE"),
                from_file.webhook_allow_private,
                "true or false",
            )?
            .unwrap_or(false),
            retry_delays: retry_delays.unwrap_or_else(|| WebhookSettings::default().retry_delays),
        };
        const PUBLIC_URL: &str = "an http(s) URL such as https://licensing.example.com";
        let oauth = OAuthSettings {
            token_lifetime: at_most_a_day(
                "oauth_token_lifetime",
                env("LATCH_OAUTH_TOKEN_LIFETIME"),
                from_file.oauth_token_lifetime,
                DEFAULT_OAUTH_TOKEN_LIFETIME,
            )?,
            public_url: env("LATCH_PUBLIC_URL")
                .or(from_file.public_url)
                .map(|value| {
                    public_url(&value).map_err(|()| ConfigError::Invalid {
                        key: "public_url",
                        value,
                        expected: PUBLIC_URL,
                    })
                })
                .transpose()?,
        };
        Ok(Self {
            listen,
            webhooks,
            oauth,
            database_pool_size,
            check_cache_entries,
            password_limits,
            rate_limits,
            sqlite_synchronous,
            database_url,
            database_schema: env("LATCH_DATABASE_SCHEMA").or(from_file.database_schema),
            data_dir,
            log: env("LATCH_LOG")
                .or(from_file.log)
                .unwrap_or_else(|| DEFAULT_LOG.to_owned()),
            log_format: setting("log_format", log_format, None, "text or json")?
                .unwrap_or(LogFormat::Text),
            master_key: env("LATCH_MASTER_KEY")
                .or(from_file.master_key)
                .map(SecretString::from),
            connections,
            tls,
            metrics_listen: setting(
                "metrics_listen",
                env("LATCH_METRICS_LISTEN").or(from_file.metrics_listen),
                None,
                "host:port, e.g. 127.0.0.1:9090",
            )?,
        })
    }

    /// The SQLite database file, or `None` for PostgreSQL (and in-memory SQLite).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or_default();
        (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
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
    fn webhook_settings_come_from_file_or_environment() {
        let defaults = Config::load(None, env(&[])).unwrap().webhooks;
        assert_eq!(defaults, WebhookSettings::default());
        assert_eq!(defaults.retry_delays.0.len(), 7);
        let file = file_with("webhook_allow_private = true\nwebhook_retry_delays = [1, 2]\n");
        let from_file = Config::load(Some(&file.0), env(&[])).unwrap().webhooks;
        assert!(from_file.allow_private);
        assert_eq!(from_file.retry_delays.0, [1, 2].map(Duration::from_secs));
        let from_env = Config::load(
            Some(&file.0),
            env(&[("LATCH_WEBHOOK_RETRY_DELAYS", "1, 2,4")]),
        )
        .unwrap()
        .webhooks;
        assert_eq!(from_env.retry_delays.0, [1, 2, 4].map(Duration::from_secs));
        for bad in ["", "1,,2", "0", "soon"] {
            let error =
                Config::load(None, env(&[("LATCH_WEBHOOK_RETRY_DELAYS", bad)])).unwrap_err();
            assert!(
                error.to_string().contains("webhook_retry_delays"),
                "{error}"
            );
        }
        let zero = file_with("webhook_retry_delays = [0]\n");
        assert!(Config::load(Some(&zero.0), env(&[])).is_err());
    }

    #[test]
    fn the_postgres_pool_size_is_at_least_one() {
        let default = Config::load(None, env(&[])).unwrap();
        assert_eq!(default.database_pool_size, 16);
        let sized = Config::load(None, env(&[("LATCH_DATABASE_POOL_SIZE", "40")])).unwrap();
        assert_eq!(sized.database_pool_size, 40);
        for bad in ["0", "-1", "many"] {
            let error = Config::load(None, env(&[("LATCH_DATABASE_POOL_SIZE", bad)])).unwrap_err();
            assert!(error.to_string().contains("database_pool_size"), "{error}");
        }
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
    fn connection_limits_tls_and_log_format_come_from_file_or_environment() {
        let file = file_with(
            "header_timeout = 3\nidle_timeout = 4\nmax_connections = 50\nlog_format = \"json\"\n\
             tls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
        );
        let config = Config::load(Some(&file.0), env(&[("LATCH_BODY_TIMEOUT", "5")])).unwrap();
        assert_eq!(
            config.connections,
            ConnectionLimits {
                header_timeout: Duration::from_secs(3),
                body_timeout: Duration::from_secs(5),
                idle_timeout: Duration::from_secs(4),
                max_connections: Some(50),
            }
        );
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.tls.unwrap().key, PathBuf::from("key.pem"));

        let defaults = Config::load(None, env(&[])).unwrap();
        assert_eq!(defaults.connections.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(defaults.log_format, LogFormat::Text);
        assert!(defaults.tls.is_none() && defaults.metrics_listen.is_none());
    }

    #[test]
    fn bad_limits_and_half_tls_settings_are_refused() {
        for (key, value) in [
            ("LATCH_IDLE_TIMEOUT", "0"),
            ("LATCH_HEADER_TIMEOUT", "soon"),
            ("LATCH_MAX_CONNECTIONS", "0"),
            ("LATCH_LOG_FORMAT", "xml"),
            ("LATCH_METRICS_LISTEN", "nowhere"),
        ] {
            let error = Config::load(None, env(&[(key, value)])).unwrap_err();
            assert!(error.to_string().contains(value), "{key}: {error}");
        }
        let error = Config::load(None, env(&[("LATCH_TLS_CERT", "cert.pem")])).unwrap_err();
        assert!(matches!(error, ConfigError::TlsPair), "{error}");
    }

    #[test]
    fn password_and_activation_limits_come_from_file_or_environment() {
        let defaults = Config::load(None, env(&[])).unwrap();
        assert_eq!(defaults.password_limits, PasswordLimits::default());
        assert_eq!(
            defaults.rate_limits.activations_per_license,
            Some(AttemptLimit {
                attempts: 120,
                window: Duration::from_secs(60)
            })
        );
        let file = file_with(
            "password_attempts = 4\npassword_address_failures = 7\n\
             password_address_max_backoff = 120\nrate_limit_activations = 30\n",
        );
        let config = Config::load(
            Some(&file.0),
            env(&[
                ("LATCH_PASSWORD_WINDOW", "60"),
                ("LATCH_PASSWORD_ADDRESS_WINDOW", "300"),
                ("LATCH_PASSWORD_ADDRESS_FAILURES", "9"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.password_limits,
            PasswordLimits {
                per_user: AttemptLimit {
                    attempts: 4,
                    window: Duration::from_secs(60)
                },
                per_address: FailureBackoff {
                    failures: 9,
                    window: Duration::from_secs(300),
                    max_delay: Duration::from_secs(120),
                },
            }
        );
        assert_eq!(
            config.rate_limits.activations_per_license.unwrap().attempts,
            30
        );
        let off = Config::load(
            None,
            env(&[
                ("LATCH_RATE_LIMIT_ACTIVATIONS", "0"),
                ("LATCH_PASSWORD_ADDRESS_FAILURES", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(off.rate_limits.activations_per_license, None);
        assert_eq!(off.password_limits.per_address.failures, 0);
    }

    #[test]
    fn password_limits_out_of_range_are_refused_by_name() {
        for (key, value) in [
            ("LATCH_PASSWORD_ATTEMPTS", "0"),
            ("LATCH_PASSWORD_WINDOW", "86401"),
            ("LATCH_PASSWORD_ADDRESS_FAILURES", "-1"),
            ("LATCH_PASSWORD_ADDRESS_WINDOW", "0"),
            ("LATCH_PASSWORD_ADDRESS_MAX_BACKOFF", "86401"),
            ("LATCH_RATE_LIMIT_ACTIVATIONS", "lots"),
        ] {
            let error = Config::load(None, env(&[(key, value)])).unwrap_err();
            let setting = key.trim_start_matches("LATCH_").to_lowercase();
            assert!(error.to_string().contains(&setting), "{key}: {error}");
        }
    }

    #[test]
    fn oauth_settings_come_from_file_or_environment() {
        let defaults = Config::load(None, env(&[])).unwrap();
        assert_eq!(defaults.oauth, OAuthSettings::default());
        let file = file_with(
            "public_url = \"https://licensing.example.com/latch/\"\noauth_token_lifetime = 600\n",
        );
        let from_file = Config::load(Some(&file.0), env(&[])).unwrap();
        assert_eq!(
            from_file.oauth,
            OAuthSettings {
                token_lifetime: Duration::from_secs(600),
                public_url: Some("https://licensing.example.com/latch".into()),
            }
        );
        let from_env = Config::load(
            Some(&file.0),
            env(&[
                ("LATCH_PUBLIC_URL", "http://10.0.0.5:8080"),
                ("LATCH_OAUTH_TOKEN_LIFETIME", "5"),
            ]),
        )
        .unwrap();
        assert_eq!(
            from_env.oauth.public_url.as_deref(),
            Some("http://10.0.0.5:8080")
        );
        assert_eq!(from_env.oauth.token_lifetime, Duration::from_secs(5));
        for (key, value) in [
            ("LATCH_PUBLIC_URL", "licensing.example.com"),
            ("LATCH_PUBLIC_URL", "ftp://licensing.example.com"),
            ("LATCH_PUBLIC_URL", "https://user:pw@licensing.example.com"),
            ("LATCH_PUBLIC_URL", "https://licensing.example.com/?a=b"),
            ("LATCH_OAUTH_TOKEN_LIFETIME", "0"),
            ("LATCH_OAUTH_TOKEN_LIFETIME", "86401"),
        ] {
            let error = Config::load(None, env(&[(key, value)]))
                .unwrap_err()
                .to_string();
            let name = key.trim_start_matches("LATCH_").to_ascii_lowercase();
            assert!(error.contains(&name), "{key}={value}: {error}");
        }
    }

    #[test]
    fn the_sqlite_file_is_read_from_the_url() {
        let sqlite = |url: &str| {
            Config::load(None, env(&[("LATCH_DATABASE_URL", url)]))
                .unwrap()
                .sqlite_file()
        };
        assert_eq!(
            sqlite("sqlite://d/latch.db?mode=rwc"),
            Some("d/latch.db".into())
        );
        assert_eq!(sqlite("sqlite:latch.db"), Some("latch.db".into()));
        assert_eq!(sqlite("sqlite::memory:"), None);
        assert_eq!(sqlite("postgres://db/latch"), None);
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
