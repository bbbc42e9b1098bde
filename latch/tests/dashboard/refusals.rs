//! The overview's License API refusals by code: counted per company behind the request (the
//! write-behind batch), only once the request's company is known, and in the Prometheus metrics.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::{add_staff, Browser};
use crate::support::{Backend, Creds, Latch};

/// A table row of the overview's refusals: code and count.
fn refusal_row(code: &str, count: u32) -> String {
    format!("<tr><td><code>{code}</code></td><td>{count}</td>")
}

both_backends!(the_overview_shows_refusals_of_the_last_days_by_code);

async fn the_overview_shows_refusals_of_the_last_days_by_code(backend: Backend) {
    let latch = Latch::new(backend, "dash_refusals").await;
    let acme = latch.company("Acme");
    let globex = latch.company("Globex");
    add_staff(&latch, &acme, "viewer@example.com", "viewer");
    add_staff(&latch, &globex, "viewer@globex.example", "viewer");
    latch.product(&acme, "app");
    let key = latch.license(&acme, "app", &[]);
    latch.cli(&["license", "disable", &key]);
    let server = latch.serve();
    let mut browser = Browser::signed_in(&server, "viewer@example.com").await;
    let overview = browser.get("/dashboard/").await.text();
    assert!(
        overview.contains("Refusals in the last 7 days by code")
            && overview.contains("No License API request was refused in the last 7 days."),
        "{overview}"
    );

    // A request whose signature fails names no company: it is not counted.
    let forged = Creds {
        api_key: acme.creds.api_key.clone(),
        shared_key: "not the shared key".into(),
    };
    let reply = server
        .get(
            &forged,
            "check_license",
            &[
                ("product", "app"),
                ("license_key", &key),
                ("hardware_id", "hw-1"),
            ],
        )
        .await;
    assert_eq!(reply.error_code(), "signature_mismatch");
    for attempt in 0..3 {
        let hardware_id = format!("hw-{attempt}");
        let reply = server
            .post(
                &acme.creds,
                "activate_license",
                &json!({"product": "app", "license_key": "NO-SUCH-KEY", "hardware_id": hardware_id}),
            )
            .await;
        assert_eq!(reply.error_code(), "license_not_found");
    }
    let reply = server
        .get(
            &acme.creds,
            "check_license",
            &[
                ("product", "app"),
                ("license_key", &key),
                ("hardware_id", "hw-1"),
            ],
        )
        .await;
    assert_eq!(reply.error_code(), "license_not_enabled");

    // The counts reach storage behind the requests: poll the overview until they show.
    let deadline = Instant::now() + Duration::from_secs(60);
    let overview = loop {
        let overview = browser.get("/dashboard/").await;
        assert_eq!(overview.status, 200, "{}", overview.text());
        let text = overview.text();
        if text.contains(&refusal_row("license_not_found", 3))
            && text.contains(&refusal_row("license_not_enabled", 1))
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the refusals were not counted: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!overview.contains("signature_mismatch"), "{overview}");
    assert!(!overview.contains("No License API request was refused"));
    let not_found = overview.find("license_not_found").unwrap();
    let not_enabled = overview.find("license_not_enabled").unwrap();
    assert!(not_found < not_enabled, "most frequent first: {overview}");

    let metrics = server.plain(Method::GET, "/metrics").await.text();
    assert!(
        metrics.contains("latch_license_api_refusals_total{code=\"license_not_found\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("latch_license_api_refusals_total{code=\"license_not_enabled\"} 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("code=\"signature_mismatch\""),
        "{metrics}"
    );

    // Another company's overview has none of them.
    let mut other = Browser::signed_in(&server, "viewer@globex.example").await;
    let overview = other.get("/dashboard/").await.text();
    assert!(
        overview.contains("No License API request was refused in the last 7 days."),
        "{overview}"
    );
}
