//! `latch offline ...`: answer the request files of devices without network access, and make refresh
//! files for them. Each works on the database directly, also while `latch serve` runs on it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use latch_domain::CompanyId;
use latch_server::error::ApiError;
use latch_service::offline::{BundleFileShape, OfflineError, RefreshSigner, RefreshTarget};
use latch_service::passwords::PasswordPool;
use latch_service::{LicenseRef, Service};
use serde_json::{json, Value};

use super::CompanyArg;

#[derive(Debug, Subcommand)]
pub enum OfflineCommand {
    /// Activate the device of an activation request file (`activate_offline.req`) and write the
    /// license file (`.lic`) to carry back to it. A bundle's request file activates the bundle and
    /// every license it came with, and gets a bundle file.
    Activate {
        #[command(flatten)]
        company: CompanyArg,
        /// The request file the device's SDK wrote.
        #[arg(long, value_name = "FILE.req")]
        request: PathBuf,
        /// Where to write the license file.
        #[arg(long, value_name = "FILE.lic")]
        out: PathBuf,
        /// The shape of a bundle file; by default the one the SDK that wrote the request reads.
        #[arg(long, value_enum)]
        format: Option<BundleFormat>,
    },
    /// Deactivate the device of a deactivation request file (`deactivate_offline.req`), freeing its
    /// activation.
    Deactivate {
        #[command(flatten)]
        company: CompanyArg,
        #[arg(long, value_name = "FILE.req")]
        request: PathBuf,
    },
    /// Write a refresh file with the license as it is now, for a device that holds an activation;
    /// the SDKs read it with `update_offline` (Python) and `updateOffline` (Node).
    Refresh {
        #[command(flatten)]
        company: CompanyArg,
        /// The license key.
        #[arg(long, allow_hyphen_values = true)]
        license: String,
        /// The device's hardware id, exactly as its SDK reports it.
        #[arg(long, allow_hyphen_values = true)]
        hardware_id: String,
        /// The API key the device's app is configured with (Node checks the file's
        /// `offline_signature` with it); needed when the company has several that may change licenses.
        #[arg(long, allow_hyphen_values = true, conflicts_with = "client_id")]
        api_key: Option<String>,
        /// The OAuth client the device's app is configured with instead of an API key.
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Which SDK a bundle file is made for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BundleFormat {
    /// `{"licenses": [...], "bundle_signature_v2": ...}`, the bundle's own license first.
    Python,
    /// Licenses by product code.
    Node,
}

impl From<BundleFormat> for BundleFileShape {
    fn from(format: BundleFormat) -> Self {
        match format {
            BundleFormat::Python => Self::Python,
            BundleFormat::Node => Self::Node,
        }
    }
}

/// Runs the command; a refusal names the License API's error code (`license_activated_max_times`,
/// `signature_mismatch`, ...) and writes nothing.
pub async fn offline(service: &Service, command: OfflineCommand) -> anyhow::Result<Value> {
    match command {
        OfflineCommand::Activate {
            company,
            request,
            out,
            format,
        } => {
            let file = read_request(&request)?;
            // The CLI verifies at most one password at a time: one worker, no queue.
            let passwords = PasswordPool::new(1, 1);
            let license = service
                .tenant(company.id())
                .await?
                .activate_offline(&file, &passwords, format.map(BundleFileShape::from))
                .await
                .map_err(refused)?;
            write(&out, &license.file_content())?;
            Ok(json!({"license_file": out.display().to_string()}))
        }
        OfflineCommand::Deactivate { company, request } => {
            let file = read_request(&request)?;
            service
                .tenant(company.id())
                .await?
                .deactivate_offline(&file)
                .await
                .map_err(refused)?;
            Ok(json!({"deactivated": true}))
        }
        OfflineCommand::Refresh {
            company,
            license,
            hardware_id,
            api_key,
            client_id,
            out,
        } => {
            let (tenant, found) = service
                .find_license(&LicenseRef {
                    key: Some(license),
                    id: None,
                    company: Some(CompanyId::new(company.company)),
                })
                .await?;
            let refresh = tenant
                .offline_refresh(&RefreshTarget {
                    license_id: found.id,
                    hardware_id: &hardware_id,
                    signed_for: match (&api_key, &client_id) {
                        (Some(api_key), _) => RefreshSigner::ApiKey(api_key),
                        (None, Some(client_id)) => RefreshSigner::OAuthClient(client_id),
                        (None, None) => RefreshSigner::OnlyApiKey,
                    },
                })
                .await
                .map_err(refused)?;
            write(&out, &refresh.file_content())?;
            Ok(json!({"refresh_file": out.display().to_string()}))
        }
    }
}

fn read_request(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn write(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// The refusal as the License API would answer it: its code, then why.
fn refused(error: OfflineError) -> anyhow::Error {
    let error = ApiError::from(error);
    let (_, code) = error.status_and_code();
    anyhow::anyhow!("{code}: {error}")
}
