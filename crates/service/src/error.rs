//! What a vendor operation can refuse, in terms every front door can show: the CLI prints the message,
//! the management API maps the kind to a status and names the field.

use std::path::Path;

use latch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such row in this company (or at all): `what` is shown as is, e.g. "company with id 9".
    #[error("no {0}")]
    NotFound(String),
    /// A value the caller gave is not acceptable; `field` names it as the caller spelled it.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// A value inside a nested part of a request is not acceptable; `path` names it as the caller
    /// spelled it, e.g. `items[0].licenses[1].max_activations`.
    #[error("{path}: {message}")]
    InvalidAt { path: String, message: String },
    /// A unique value (product code, license key, e-mail...) is taken.
    #[error("{0} already exists")]
    Duplicate(&'static str),
    /// A license key matched licenses in several companies or products.
    #[error("the license key {0} exists in several companies or products; name the company or the license id")]
    AmbiguousLicenseKey(String),
    #[error("cannot open database {url}: {source}")]
    Database { url: String, source: StoreError },
    /// The first connection to PostgreSQL failed; `reason` says how (refused, timed out, refused login).
    #[error("cannot connect to PostgreSQL at {address}: {reason}")]
    DatabaseUnreachable { address: String, reason: String },
    /// What `latch backup` cannot do, and what to do instead.
    #[error("{0}")]
    BackupUnsupported(String),
    #[error("{0} already exists; a backup never overwrites a file")]
    BackupExists(String),
    #[error("the backup to {path} failed: {source}")]
    Backup { path: String, source: sqlx::Error },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("could not generate a signing key")]
    KeyGeneration,
    #[error("the random number generator failed")]
    Random,
    #[error("signing failed: {0}")]
    Signing(#[from] latch_wire::signing::SigningError),
    #[error("password hashing failed")]
    PasswordHash,
    #[error("too many password checks are waiting")]
    Busy,
    #[error(transparent)]
    Secret(#[from] latch_store::secrets::SecretError),
    #[error(transparent)]
    Store(StoreError),
    /// Writing CSV into memory failed: a broken invariant, not the caller's input.
    #[error("writing CSV failed: {0}")]
    Csv(#[from] csv::Error),
    /// Several values the caller gave are not acceptable, each with its field.
    #[error("{}", describe_fields(.0))]
    InvalidFields(Vec<(&'static str, String)>),
}

fn describe_fields(fields: &[(&'static str, String)]) -> String {
    fields
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// This error with its field placed under `prefix` (`items[0]` makes `max_activations`
    /// `items[0].max_activations`); other errors pass unchanged.
    pub fn under(self, prefix: &str) -> Self {
        match self {
            Self::Invalid { field, message } => Self::InvalidAt {
                path: format!("{prefix}.{field}"),
                message,
            },
            Self::InvalidAt { path, message } => Self::InvalidAt {
                path: format!("{prefix}.{path}"),
                message,
            },
            other => other,
        }
    }

    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Duplicate(what) => Self::Duplicate(what),
            StoreError::NotFound(what) => Self::NotFound(what.to_owned()),
            StoreError::LicenseNotFound => Self::NotFound("such license".to_owned()),
            StoreError::UnknownProduct => Self::NotFound("such product".to_owned()),
            StoreError::Secret(secret) => Self::Secret(secret),
            other => Self::Store(other),
        }
    }
}
