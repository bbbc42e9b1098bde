//! `latch serve`, and the demo data `--demo` creates on an empty database.

use std::sync::Arc;

use anyhow::{anyhow, Context};
use latch_server::tls::Tls;
use latch_server::ServeOptions;
use latch_service::config::Config;
use latch_service::{Demo, Service};
use secrecy::ExposeSecret;
use serde_json::json;

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

pub async fn serve(
    config: &Config,
    service: Service,
    demo: bool,
    json: bool,
) -> anyhow::Result<()> {
    let shutdown = latch_server::ShutdownSignal::listen().context("cannot listen for signals")?;
    let tls = match &config.tls {
        Some(files) => Some(Arc::new(Tls::load(files.clone())?)),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let metrics_listener = match config.metrics_listen {
        Some(address) => Some(
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen for metrics on {address}"))?,
        ),
        None => None,
    };
    let address = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{address}");
    let created = if demo {
        Some(service.create_demo(&config.data_dir).await?)
    } else {
        None
    };
    if json {
        let demo = created.map(|created| created.as_ref().map(|demo| demo_json(demo, &url)));
        println!("{}", json!({"listening": url, "demo": demo}));
    } else {
        if let Some(created) = &created {
            print_demo(created.as_ref(), &url);
        }
        // Tests and scripts read this line to learn the address.
        println!("listening on {url}");
    }
    if let Some(listener) = &metrics_listener {
        println!("metrics on http://{}/metrics", listener.local_addr()?);
    }
    tracing::info!(%address, database = %config.redacted_database_url(), "latch started");
    let options = ServeOptions {
        shutdown,
        limits: config.connections,
        tls,
        metrics_listener,
        check_cache_entries: config.check_cache_entries,
        password_limits: config.password_limits,
        rate_limits: config.rate_limits,
        webhooks: config.webhooks.clone(),
        oauth: config.oauth.clone(),
    };
    latch_server::serve(listener, service.store().clone(), options).await
}

fn license_lines(demo: &Demo) -> Vec<String> {
    demo.licenses
        .iter()
        .map(|license| {
            format!(
                "{} ({}, max activations {})",
                license.license_key.as_deref().unwrap_or_default(),
                license.license_type,
                license.max_activations
            )
        })
        .collect()
}

fn demo_json(demo: &Demo, url: &str) -> serde_json::Value {
    json!({
        "url": url,
        "company_id": demo.company.id,
        "api_key": demo.api_key.api_key,
        "shared_key": demo.api_key.shared_key.expose_secret(),
        "public_key_pem_file": demo.public_key_path.display().to_string(),
        "product": demo.product.code,
        "licenses": demo.licenses.iter().map(|license| json!({
            "license_key": license.license_key,
            "license_type": license.license_type.as_str(),
            "max_activations": license.max_activations,
        })).collect::<Vec<_>>(),
    })
}

fn print_demo(demo: Option<&Demo>, url: &str) {
    let Some(demo) = demo else {
        println!(
            "demo: the database already has data; the demo keys were printed when it was created"
        );
        return;
    };
    println!("demo company created; these secrets are shown only now:");
    println!("  url:            {url}");
    println!("  company id:     {}", demo.company.id);
    println!("  api key:        {}", demo.api_key.api_key);
    println!(
        "  shared key:     {}",
        demo.api_key.shared_key.expose_secret()
    );
    println!("  public key PEM: {}", demo.public_key_path.display());
    println!("  product code:   {}", demo.product.code);
    for line in license_lines(demo) {
        println!("  license key:    {line}");
    }
}
