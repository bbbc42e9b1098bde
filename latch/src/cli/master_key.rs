//! Master-key commands: generate one for configuration, rotate the one in use.

use anyhow::Context;
use clap::Subcommand;
use latch_server::admin::write_private_file;
use latch_server::config::Config;
use latch_store::{SecretBox, Store};
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Print a new random master key (for LATCH_MASTER_KEY or the config file).
    Generate,
    /// Re-seal every stored secret under a new master key. With the key file in the data dir, the
    /// file is replaced (the old one is kept as master.key.previous until you delete it); with a
    /// configured key, the new key is printed and must replace the configured one before the next start.
    Rotate {
        /// The new key (base64, 32 bytes); generated when omitted.
        #[arg(long)]
        new_key: Option<String>,
    },
}

pub async fn master_key(
    config: &Config,
    store: &dyn Store,
    command: MasterKeyCommand,
) -> anyhow::Result<Value> {
    match command {
        MasterKeyCommand::Generate => Ok(json!({"master_key": SecretBox::generate_master_key()?})),
        MasterKeyCommand::Rotate { new_key } => {
            let new_key = match new_key {
                Some(key) => key,
                None => SecretBox::generate_master_key()?,
            };
            let resealed = store
                .reseal_secrets(&SecretBox::from_base64(&new_key)?)
                .await?;
            if config.master_key.is_some() {
                return Ok(json!({
                    "resealed": resealed,
                    "master_key": new_key,
                    "next_step": "replace the configured master key with this one, then restart every node",
                }));
            }
            let path = config.data_dir.join("master.key");
            let previous = config.data_dir.join("master.key.previous");
            std::fs::rename(&path, &previous)
                .with_context(|| format!("cannot move {}", path.display()))?;
            write_private_file(&path, &new_key)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(json!({
                "resealed": resealed,
                "master_key_file": path.display().to_string(),
                "previous_key_file": previous.display().to_string(),
                "next_step": "restart every node; delete the previous key file once backups no longer need it",
            }))
        }
    }
}
