//! Webhooks in the dashboard: an admin adds an endpoint (its secret shown once), an event's delivery
//! appears in the endpoint's log with the receiver's answer, and a retry sends it again; support
//! retries too; viewers only read; other companies get 404.

use std::time::{Duration, Instant};

use super::{add_staff, csrf_token, license_id, location, Browser};
use crate::support::{Backend, Latch, Receiver};

const ALLOW_PRIVATE: (&str, &str) = ("LATCH_WEBHOOK_ALLOW_PRIVATE", "true");
/// Failed deliveries wait an hour before Latch tries again, so a second request comes only from a
/// retry asked for in the dashboard.
const NO_SOON_RETRY: (&str, &str) = ("LATCH_WEBHOOK_RETRY_DELAYS", "3600");
/// How long the receiver and the log may take to show a delivery before the test fails.
const DELIVERY_LIMIT: Duration = Duration::from_secs(30);

/// Shown on an endpoint's page while its deliveries are not failing.
const NOT_FAILING: &str = "<dt>Failing since</dt><dd>—</dd>";

/// The page at `path` once `shows` holds for it, `what` naming that in a failure. The delivery
/// worker runs on its own, and the page reads the endpoint and then its deliveries, so an attempt
/// recorded between the two reads shows in the deliveries before the endpoint's failing streak.
async fn page_where(
    browser: &mut Browser<'_>,
    path: &str,
    what: &str,
    shows: impl Fn(&str) -> bool,
) -> String {
    let started = Instant::now();
    loop {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        let text = reply.text();
        if shows(&text) {
            return text;
        }
        assert!(
            started.elapsed() < DELIVERY_LIMIT,
            "{path} never showed {what}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first `href` that starts with `prefix`.
fn link_starting(html: &str, prefix: &str) -> String {
    html.split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link starting with {prefix} in {html}"))
        .to_owned()
}

/// The `whsec_` secret a page shows.
fn secret_in(html: &str) -> String {
    let start = html
        .find("whsec_")
        .unwrap_or_else(|| panic!("no secret in {html}"));
    html[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_owned()
}

both_backends!(an_admin_adds_an_endpoint_and_a_failed_delivery_is_retried);

async fn an_admin_adds_an_endpoint_and_a_failed_delivery_is_retried(backend: Backend) {
    let latch = Latch::new(backend, "dash_webhooks").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    add_staff(&latch, &company, "support@example.com", "support");
    add_staff(&latch, &company, "viewer@example.com", "viewer");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let license = license_id(&latch, &company, &key);
    // The first attempt is answered 500, the retry 200.
    let receiver = Receiver::start(&[500]).await;
    let server = latch.serve_with(&[ALLOW_PRIVATE, NO_SOON_RETRY]);
    let list = "/dashboard/webhooks";
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;

    // No event chosen: refused, with what was typed kept.
    let reply = admin
        .submit(
            list,
            list,
            &[("url", &receiver.url), ("description", "Billing")],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("role=\"alert\"") && text.contains("must name at least one event"),
        "{text}"
    );
    assert!(
        text.contains(&format!("value=\"{}\"", receiver.url)),
        "{text}"
    );
    assert!(text.contains("value=\"Billing\""), "{text}");

    let reply = admin
        .submit(
            list,
            list,
            &[
                ("url", &receiver.url),
                ("description", "Billing"),
                ("events", "license.updated"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let created = reply.text();
    let secret = secret_in(&created);
    let endpoint = link_starting(&created, "/dashboard/webhooks/");
    let listed = admin.get(list).await.text();
    assert!(
        listed.contains(&receiver.url) && listed.contains("license.updated"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the secret is shown only once");
    let endpoints = latch.cli(&["webhook", "list", "--company", &company.id.to_string()]);
    assert_eq!(endpoints["webhooks"][0]["url"], receiver.url, "{endpoints}");

    // A viewer reads the endpoints but may not add one.
    let mut viewer = Browser::signed_in(&server, "viewer@example.com").await;
    let shown = viewer.get(list).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(shown.text().contains(&receiver.url));
    assert!(!shown.text().contains("Add endpoint"), "{}", shown.text());
    let reply = viewer
        .submit(list, list, &[("url", &receiver.url), ("events", "*")])
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());

    // Disabling the license is an event the endpoint subscribes to.
    let mut support = Browser::signed_in(&server, "support@example.com").await;
    let license_page = format!("/dashboard/licenses/{license}");
    let reply = support
        .submit(&license_page, &format!("{license_page}/disable"), &[])
        .await;
    assert_eq!(location(&reply), format!("{license_page}?notice=disabled"));
    let first = receiver
        .wait_for(DELIVERY_LIMIT, |received| !received.is_empty())
        .await;
    assert_eq!(
        first[0].json()["event"],
        "license.updated",
        "{}",
        first[0].body
    );
    let event_id = first[0].header("webhook-id");

    // The log shows the failed attempt: its answer, a next retry, and the endpoint failing.
    let log = page_where(&mut admin, &endpoint, "the failed attempt", |page| {
        page.contains("HTTP 500") && !page.contains(NOT_FAILING)
    })
    .await;
    assert!(
        log.contains("license.updated") && log.contains("pending"),
        "{log}"
    );
    let delivery = link_starting(&log, &format!("{endpoint}/deliveries/"));
    let detail = support.get(&delivery).await.text();
    assert!(detail.contains(&event_id), "{detail}");
    assert!(detail.contains("<td>500</td>"), "{detail}");
    assert!(detail.contains("Request body"), "{detail}");

    // Viewers see the log but may not retry.
    let shown = viewer.get(&delivery).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(!shown.text().contains(">Retry<"), "{}", shown.text());
    let retry = format!("{delivery}/retry");
    let reply = viewer.submit(&delivery, &retry, &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(receiver.received().len(), 1);

    // Support retries: the same event is sent again, answered 200 this time.
    let reply = support.submit(&delivery, &retry, &[]).await;
    assert_eq!(location(&reply), format!("{delivery}?notice=retried"));
    let both = receiver
        .wait_for(DELIVERY_LIMIT, |received| received.len() >= 2)
        .await;
    assert_eq!(both[1].header("webhook-id"), event_id);
    // A success ends the failing streak.
    let log = page_where(&mut admin, &endpoint, "the successful retry", |page| {
        page.contains("HTTP 200") && page.contains(NOT_FAILING)
    })
    .await;
    assert!(log.contains("succeeded"), "{log}");
    let detail = admin.get(&delivery).await.text();
    assert!(
        detail.contains("<td>500</td>") && detail.contains("<td>200</td>"),
        "both attempts are listed: {detail}"
    );

    // Another company's admin finds none of it.
    let globex = latch.company("Globex");
    add_staff(&latch, &globex, "admin@globex.example", "admin");
    let mut intruder = Browser::signed_in(&server, "admin@globex.example").await;
    for path in [&endpoint, &delivery] {
        let reply = intruder.get(path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text());
    }
    let reply = intruder.submit(list, &retry, &[]).await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    let reply = intruder
        .submit(list, &format!("{endpoint}/delete"), &[])
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert!(!intruder.get(list).await.text().contains(&receiver.url));
    assert_eq!(receiver.received().len(), 2);
}

both_backends!(an_admin_disables_rekeys_and_deletes_an_endpoint);

async fn an_admin_disables_rekeys_and_deletes_an_endpoint(backend: Backend) {
    let latch = Latch::new(backend, "dash_webhook_admin").await;
    let company = latch.company("Acme");
    let admin_id = add_staff(&latch, &company, "admin@example.com", "admin")["id"].clone();
    add_staff(&latch, &company, "support@example.com", "support");
    let server = latch.serve_with(&[ALLOW_PRIVATE]);
    let list = "/dashboard/webhooks";
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let reply = admin
        .submit(
            list,
            list,
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("events", "license.*"),
                ("events", "staff.*"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let first_secret = secret_in(&reply.text());
    let endpoint = link_starting(&reply.text(), "/dashboard/webhooks/");
    let company_id = company.id.to_string();
    let shown = || latch.cli(&["webhook", "list", "--company", &company_id])["webhooks"][0].clone();
    assert_eq!(
        shown()["events"],
        serde_json::json!(["license.*", "staff.*"])
    );

    // Support may not change endpoints.
    let mut support = Browser::signed_in(&server, "support@example.com").await;
    let reply = support
        .submit(list, &format!("{endpoint}/disable"), &[])
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
    assert_eq!(shown()["enabled"], true);

    let reply = admin
        .submit(list, &format!("{endpoint}/disable"), &[])
        .await;
    assert_eq!(location(&reply), format!("{list}?notice=webhook-disabled"));
    assert_eq!(shown()["enabled"], false);
    let reply = admin.submit(list, &format!("{endpoint}/enable"), &[]).await;
    assert_eq!(location(&reply), format!("{list}?notice=webhook-enabled"));
    assert_eq!(shown()["enabled"], true);

    let reply = admin.submit(list, &format!("{endpoint}/rotate"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let second_secret = secret_in(&reply.text());
    assert_ne!(first_secret, second_secret);
    assert!(!shown()["previous_secret_valid_until"].is_null());

    // Each change is in the event log as the member's, as the Management API's would be.
    for event in [
        "webhook.created",
        "webhook.updated",
        "webhook.secret_rotated",
    ] {
        let logged = admin
            .get(&format!("/dashboard/events?event={event}"))
            .await
            .text();
        assert!(
            logged.contains(&format!("<code>{event}</code>"))
                && logged.contains(&format!("staff #{admin_id}")),
            "{logged}"
        );
    }

    let page = admin.get(list).await.text();
    let token = csrf_token(&page);
    let reply = admin
        .post(&format!("{endpoint}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(location(&reply), format!("{list}?notice=webhook-deleted"));
    assert_eq!(admin.get(&endpoint).await.status, 404);
    let listed = latch.cli(&["webhook", "list", "--company", &company_id]);
    assert_eq!(listed["webhooks"], serde_json::json!([]), "{listed}");
}

/// The ids of the deliveries a log page links to, in the page's order.
fn delivery_ids(html: &str, endpoint: &str) -> Vec<i64> {
    let prefix = format!("href=\"{endpoint}/deliveries/");
    html.split(&prefix)
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("a delivery id in {rest}"))
        })
        .collect()
}

both_backends!(the_delivery_log_is_paginated_newest_first);

async fn the_delivery_log_is_paginated_newest_first(backend: Backend) {
    let latch = Latch::new(backend, "dash_webhook_log").await;
    let company = latch.company("Acme");
    add_staff(&latch, &company, "admin@example.com", "admin");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let server = latch.serve_with(&[ALLOW_PRIVATE, NO_SOON_RETRY]);
    let list = "/dashboard/webhooks";
    let mut admin = Browser::signed_in(&server, "admin@example.com").await;
    let reply = admin
        .submit(
            list,
            list,
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("events", "license.updated"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let endpoint = link_starting(&reply.text(), "/dashboard/webhooks/");

    // Each change is one delivery, recorded with its event.
    for change in 0..26 {
        let command = if change % 2 == 0 { "disable" } else { "enable" };
        latch.cli(&["license", command, &key]);
    }
    let first = admin.get(&endpoint).await.text();
    assert!(first.contains("1–25 of 26"), "{first}");
    let newest = delivery_ids(&first, &endpoint);
    assert_eq!(newest.len(), 25, "{first}");
    assert!(
        newest.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {newest:?}"
    );
    let next = format!("{endpoint}?offset=25");
    assert!(first.contains(&format!("href=\"{next}\"")), "{first}");
    let second = admin.get(&next).await.text();
    assert!(second.contains("26–26 of 26"), "{second}");
    let oldest = delivery_ids(&second, &endpoint);
    assert_eq!(oldest.len(), 1, "{second}");
    assert!(oldest[0] < newest[24], "{oldest:?} after {newest:?}");
}
