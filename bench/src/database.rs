//! Which database a harness command works on: the one the `latch` CLI and server are configured for,
//! through the same `LATCH_DATABASE_URL`, `LATCH_DATABASE_SCHEMA`, `LATCH_DATA_DIR` and
//! `LATCH_MASTER_KEY` variables. Only what the harness needs is resolved here (no config file): the
//! harness depends on the store and wire crates, not on the server's configuration code.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use latch_store::{SecretBox, Store};

pub struct Database {
    pub url: String,
    pub schema: Option<String>,
    data_dir: Option<PathBuf>,
}

impl Database {
    pub fn from_environment() -> anyhow::Result<Self> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let data_dir = var("LATCH_DATA_DIR").map(PathBuf::from);
        let url = match (var("LATCH_DATABASE_URL"), &data_dir) {
            (Some(url), _) => url,
            (None, Some(dir)) => format!("sqlite://{}", dir.join("latch.db").display()),
            (None, None) => anyhow::bail!("set LATCH_DATA_DIR or LATCH_DATABASE_URL"),
        };
        Ok(Self {
            url,
            schema: var("LATCH_DATABASE_SCHEMA"),
            data_dir,
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres://") || self.url.starts_with("postgresql://")
    }

    /// The store exactly as the server opens it (same pools, same migrations).
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let master_key = match std::env::var("LATCH_MASTER_KEY") {
            Ok(key) if !key.is_empty() => key,
            _ => {
                let path = self
                    .data_dir
                    .as_ref()
                    .context("set LATCH_MASTER_KEY or LATCH_DATA_DIR")?
                    .join("master.key");
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
            }
        };
        let secrets = SecretBox::from_base64(master_key.trim())?;
        Ok(latch_store::connect(
            &self.url,
            self.schema.as_deref(),
            Default::default(),
            secrets,
        )
        .await?)
    }
}
