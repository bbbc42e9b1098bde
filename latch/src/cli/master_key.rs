//! `latch master-key ...`: generate one for configuration, rotate the one in use.

use clap::Subcommand;
use latch_service::config::Config;
use latch_service::{generate_master_key, MasterKeyRotation, Service, ServiceResult};
use secrecy::{ExposeSecret, SecretString};
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
    service: &Service,
    command: MasterKeyCommand,
) -> ServiceResult<Value> {
    match command {
        MasterKeyCommand::Generate => {
            Ok(json!({"master_key": generate_master_key()?.expose_secret()}))
        }
        MasterKeyCommand::Rotate { new_key } => {
            match service
                .rotate_master_key(config, new_key.map(SecretString::from))
                .await?
            {
                MasterKeyRotation::Configured { resealed, new_key } => Ok(json!({
                    "resealed": resealed,
                    "master_key": new_key.expose_secret(),
                    "next_step": "replace the configured master key with this one, then restart every node",
                })),
                MasterKeyRotation::File {
                    resealed,
                    path,
                    previous,
                } => Ok(json!({
                    "resealed": resealed,
                    "master_key_file": path.display().to_string(),
                    "previous_key_file": previous.display().to_string(),
                    "next_step": "restart every node; delete the previous key file once backups no longer need it",
                })),
            }
        }
    }
}
