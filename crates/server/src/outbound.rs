//! Requests Latch itself sends to other servers (webhook receivers, identity providers): TLS with
//! aws-lc-rs and the system's trusted roots (so a vendor's internal CA works as elsewhere on the
//! host), a time limit, no proxy and no redirects.

use std::sync::Arc;
use std::time::Duration;

/// A client builder with those settings; callers add their own (resolver, user agent).
pub fn client_builder(timeout: Duration) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut roots = rustls::RootCertStore::empty();
    // Certificates the system store holds but rustls cannot parse are skipped.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy())
}

/// An error with its causes, e.g. `error sending request: connection refused`; a request that ran
/// out of `timeout` says so.
pub fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    let mut text = if error.is_timeout() {
        format!("timed out after {} s", timeout.as_secs())
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
