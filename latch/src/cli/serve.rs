//! `latch serve`, and the demo data `--demo` creates on an empty database.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use chrono::Utc;
use latch_domain::LicenseType;
use latch_server::admin::{create_company, generate_license_key};
use latch_server::config::Config;
use latch_store::{AuthorizationMethod, NewLicense, NewProduct, Store};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides LATCH_LISTEN); port 0 picks a free port.
    #[arg(long)]
    listen: Option<String>,
    /// On an empty database, create a demo company, product and licenses and print how to use them.
    #[arg(long)]
    pub demo: bool,
}

impl ServeArgs {
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        if let Some(listen) = &self.listen {
            config.listen = listen
                .parse()
                .map_err(|_| anyhow!("invalid listen address {listen:?} (expected host:port)"))?;
        }
        Ok(())
    }
}

pub async fn serve(config: &Config, store: Arc<dyn Store>, demo: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if demo {
        create_demo(config, store.as_ref(), address).await?;
    }
    // Tests and scripts read this line to learn the address.
    println!("listening on http://{address}");
    tracing::info!(%address, database = %config.database_url, "latch started");
    latch_server::serve(listener, store).await
}

async fn create_demo(
    config: &Config,
    store: &dyn Store,
    address: std::net::SocketAddr,
) -> anyhow::Result<()> {
    if store.company_count().await? > 0 {
        println!(
            "demo: the database already has data; the demo keys were printed when it was created"
        );
        return Ok(());
    }
    let (company, api_key) = create_company(store, "Demo Company").await?;
    let now = Utc::now();
    let product = store
        .create_product(
            NewProduct {
                company_id: company.id,
                code: "demo".into(),
                name: "Demo Product".into(),
                authorization_method: AuthorizationMethod::LicenseKey,
                prevent_vm: false,
                allow_trial: true,
                trial_days: 14,
                metadata: "{}".into(),
            },
            now,
        )
        .await?;
    let mut keys = Vec::new();
    for (license_type, validity, max_activations) in [
        (LicenseType::Perpetual, None, 3),
        (
            LicenseType::TimeLimited,
            Some(now + chrono::Duration::days(365)),
            1,
        ),
    ] {
        let mut license = NewLicense::basic(company.id, product.id, generate_license_key()?);
        license.license_type = license_type;
        license.validity_period = validity;
        license.max_activations = max_activations;
        let license = store.create_license(license, now).await?;
        keys.push(format!(
            "{} ({license_type}, max activations {max_activations})",
            license.license_key.unwrap_or_default()
        ));
    }
    let pem_path = config.data_dir.join("demo-public-key.pem");
    std::fs::write(&pem_path, &company.public_key_pem)?;
    println!("demo company created; these secrets are shown only now:");
    println!("  url:            http://{address}");
    println!("  api key:        {}", api_key.api_key);
    println!("  shared key:     {}", api_key.shared_key);
    println!("  public key PEM: {}", pem_path.display());
    println!("  product code:   {}", product.code);
    for key in keys {
        println!("  license key:    {key}");
    }
    Ok(())
}
