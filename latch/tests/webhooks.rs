//! Webhooks end to end: real `latch serve` processes deliver events to a local receiver, signed,
//! retried, never lost across `kill -9`, once per event across two nodes, and never to a private
//! address unless the configuration allows it.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};
use support::{send, Backend, Company, Latch, Received, Receiver, Reply, Server};

const ALLOW_PRIVATE: (&str, &str) = ("LATCH_WEBHOOK_ALLOW_PRIVATE", "true");
const FAST_RETRIES: (&str, &str) = ("LATCH_WEBHOOK_RETRY_DELAYS", "1,2,4");

fn events_named<'a>(received: &'a [Received], name: &str) -> Vec<&'a Received> {
    received
        .iter()
        .filter(|r| r.json()["event"] == name)
        .collect()
}

/// `latch webhook create`, with private targets allowed for the CLI; returns (id, secret).
fn create_webhook(latch: &Latch, company: &Company, url: &str, events: &str) -> (i64, String) {
    let output = latch
        .command()
        .env(ALLOW_PRIVATE.0, ALLOW_PRIVATE.1)
        .args(["webhook", "create", "--company", &company.id.to_string()])
        .args(["--url", url, "--events", events, "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created.as_object().unwrap().len(), 2, "{created}");
    (created["id"].as_i64().unwrap(), secret)
}

async fn activate(server: &Server, company: &Company, key: &str, hardware_id: &str) {
    let body = json!({"product": "app", "license_key": key, "hardware_id": hardware_id});
    server
        .post(&company.creds, "activate_license", &body)
        .await
        .ok();
}

fn hmac_sha256(key: &[u8], message: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message.as_bytes())
        .as_ref()
        .to_vec()
}

/// Whether the Standard Webhooks header carries a signature by `secret`.
fn standard_signed_by(received: &Received, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let message = format!(
        "{}.{}.{}",
        received.header("webhook-id"),
        received.header("webhook-timestamp"),
        received.body
    );
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(&key, &message))
    );
    received
        .header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

/// Whether LicenseSpring's header carries a signature by `secret` over its `t`.
fn licensespring_signed_by(received: &Received, secret: &str) -> bool {
    let header = received.header("licensespring-signature");
    let items: Vec<(&str, &str)> = header
        .split(',')
        .map(|item| item.split_once('=').unwrap())
        .collect();
    let timestamp = items.iter().find(|(k, _)| *k == "t").unwrap().1;
    let expected: String =
        hmac_sha256(secret.as_bytes(), &format!("{timestamp}.{}", received.body))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    items.iter().any(|(k, v)| *k == "v1" && *v == expected)
}

/// A Management API call with a new management key of the company.
struct Api {
    key: String,
}

impl Api {
    fn new(latch: &Latch, company: &Company) -> Self {
        let created = latch.cli(&[
            "management-key",
            "create",
            "--company",
            &company.id.to_string(),
        ]);
        Self {
            key: created["key"].as_str().unwrap().to_owned(),
        }
    }

    async fn call(
        &self,
        server: &Server,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = server
            .http
            .request(method, server.url(&format!("/api/v1{path}")))
            .header(AUTHORIZATION, format!("Api-Key {}", self.key));
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        send(request).await
    }
}

fn setup(latch: &Latch) -> (Company, String) {
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "1000"]);
    (company, key)
}

both_backends!(
    an_activation_is_delivered_signed_by_both_schemes,
    failed_attempts_are_retried_with_the_same_id_and_growing_delays,
    gone_disables_the_endpoint,
    kill_9_right_after_an_activation_loses_no_event,
);

async fn an_activation_is_delivered_signed_by_both_schemes(backend: Backend) {
    let latch = Latch::new(backend, "webhook_delivered").await;
    let (company, key) = setup(&latch);
    let receiver = Receiver::start(&[]).await;
    let (webhook, secret) = create_webhook(&latch, &company, &receiver.url, "license.*,device.*");
    let server = latch.serve_with(&[ALLOW_PRIVATE]);
    let started = Instant::now();
    activate(&server, &company, &key, "pc-1").await;
    let received = receiver
        .wait_for(Duration::from_secs(10), |r| {
            !events_named(r, "license.activated").is_empty()
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let delivery = events_named(&received, "license.activated")[0].clone();
    let envelope = delivery.json();
    assert_eq!(envelope["id"], delivery.header("webhook-id"));
    assert_eq!(envelope["company_id"], company.id);
    assert_eq!(envelope["user_id"], Value::Null);
    assert!(envelope["ts"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(envelope["data"]["license"]["license_key"], key);
    assert_eq!(envelope["data"]["license"]["times_activated"], 1);
    assert_eq!(envelope["data"]["device"]["hardware_id"], "pc-1");
    assert_eq!(delivery.header("content-type"), "application/json");
    assert!(standard_signed_by(&delivery, &secret));
    assert!(licensespring_signed_by(&delivery, &secret));
    // Subscriptions filter: the endpoint's own creation (webhook.created) was not sent.
    assert!(received
        .iter()
        .all(|r| r.json()["event"].as_str().unwrap().starts_with("license.")));

    let listed = latch.cli(&[
        "webhook",
        "deliveries",
        "--company",
        &company.id.to_string(),
        "--id",
        &webhook.to_string(),
    ]);
    let activated = listed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"] == "license.activated")
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(activated["status"], "succeeded", "{listed}");
    assert_eq!(activated["attempts"], 1);
    assert_eq!(activated["last_status"], 200);
    assert_eq!(activated["event_id"], envelope["id"]);
    server.stop();
}

async fn failed_attempts_are_retried_with_the_same_id_and_growing_delays(backend: Backend) {
    let latch = Latch::new(backend, "webhook_retries").await;
    let (company, key) = setup(&latch);
    let receiver = Receiver::start(&[500, 500, 200]).await;
    let server = latch.serve_with(&[ALLOW_PRIVATE, FAST_RETRIES]);
    let api = Api::new(&latch, &company);
    let created = api
        .call(
            &server,
            Method::POST,
            "/webhooks/",
            Some(json!({"url": receiver.url, "events": ["license.activated"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let webhook = created["id"].as_i64().unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));

    activate(&server, &company, &key, "pc-1").await;
    // While its deliveries fail, the endpoint says since when, in the API and in the CLI.
    let endpoint_path = format!("/webhooks/{webhook}/");
    let failing = api
        .poll(&server, &endpoint_path, |e| !e["failing_since"].is_null())
        .await;
    let id = company.id.to_string();
    let listed = latch.cli(&["webhook", "list", "--company", &id]);
    assert_eq!(
        listed["webhooks"][0]["failing_since"], failing["failing_since"],
        "{listed}"
    );
    let received = receiver
        .wait_for(Duration::from_secs(20), |r| r.len() >= 3)
        .await;
    assert_eq!(received.len(), 3);
    api.poll(&server, &endpoint_path, |e| e["failing_since"].is_null())
        .await;
    let ids: BTreeSet<String> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), 1, "one webhook-id across retries");
    let bodies: BTreeSet<&str> = received.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(bodies.len(), 1, "the same body on every attempt");
    let first_wait = received[1].at - received[0].at;
    let second_wait = received[2].at - received[1].at;
    assert!(first_wait >= Duration::from_millis(850), "{first_wait:?}");
    assert!(
        second_wait >= Duration::from_millis(1700),
        "{second_wait:?}"
    );
    assert!(
        second_wait > first_wait,
        "{first_wait:?} then {second_wait:?}"
    );

    let path = format!("/webhooks/{webhook}/deliveries/");
    let deliveries = api
        .wait_for_delivery(&server, &path, |d| d["status"] == "succeeded")
        .await;
    assert_eq!(deliveries["attempts"], 3);
    assert_eq!(deliveries["last_status"], 200);
    let id = deliveries["id"].as_i64().unwrap();
    let detail = api
        .call(&server, Method::GET, &format!("{path}{id}/"), None)
        .await
        .ok();
    let statuses: Vec<i64> = detail["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["response_status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(detail["body"], received[0].body);

    // A manual retry sends it once more, with the same id.
    let retried = api
        .call(&server, Method::POST, &format!("{path}{id}/retry/"), None)
        .await;
    assert_eq!(retried.status, 200, "{}", retried.text());
    let received = receiver
        .wait_for(Duration::from_secs(10), |r| r.len() >= 4)
        .await;
    assert_eq!(
        received[3].header("webhook-id"),
        received[0].header("webhook-id")
    );

    // CRUD in the Management API's conventions.
    let updated = api
        .call(
            &server,
            Method::PATCH,
            &format!("/webhooks/{webhook}/"),
            Some(json!({"events": ["license.*"], "description": "CRM"})),
        )
        .await
        .ok();
    assert_eq!(updated["events"], json!(["license.*"]));
    let refused = api
        .call(
            &server,
            Method::PATCH,
            &format!("/webhooks/{webhook}/"),
            Some(json!({"events": ["License!"]})),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.json()["events"].is_array(), "{}", refused.text());
    let listed = api
        .call(&server, Method::GET, "/webhooks/", None)
        .await
        .ok();
    assert_eq!(listed[0]["description"], "CRM");
    assert!(listed[0].get("secret").is_none());
    let deleted = api
        .call(
            &server,
            Method::DELETE,
            &format!("/webhooks/{webhook}/"),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let gone = api
        .call(&server, Method::GET, &format!("/webhooks/{webhook}/"), None)
        .await;
    assert_eq!(gone.status, 404);
    server.stop();
}

impl Api {
    /// Polls `path` until what it answers satisfies `done`; returns that answer.
    async fn poll(&self, server: &Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let answer = self.call(server, Method::GET, path, None).await.ok();
            if done(&answer) {
                return answer;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{answer}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the endpoint's deliveries until the newest satisfies `done`; returns it.
    async fn wait_for_delivery(
        &self,
        server: &Server,
        path: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let listed = self
            .poll(server, path, |listed| {
                listed["results"].get(0).is_some_and(&done)
            })
            .await;
        listed["results"][0].clone()
    }
}

async fn gone_disables_the_endpoint(backend: Backend) {
    let latch = Latch::new(backend, "webhook_gone").await;
    let (company, key) = setup(&latch);
    let receiver = Receiver::start(&[410]).await;
    create_webhook(&latch, &company, &receiver.url, "license.activated");
    let server = latch.serve_with(&[ALLOW_PRIVATE, FAST_RETRIES]);
    activate(&server, &company, &key, "pc-1").await;
    receiver
        .wait_for(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    let company_id = company.id.to_string();
    let started = Instant::now();
    let endpoint = loop {
        let listed = latch.cli(&["webhook", "list", "--company", &company_id]);
        let endpoint = listed["webhooks"][0].clone();
        if endpoint["enabled"] == false {
            break endpoint;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(endpoint["disabled_reason"], "gone");
    let events = latch.cli(&[
        "events",
        "--company",
        &company_id,
        "--event",
        "webhook.disabled",
    ]);
    assert_eq!(
        events["events"][0]["data"]["disabled_reason"], "gone",
        "{events}"
    );
    assert_eq!(events["events"][0]["actor"]["type"], "system", "{events}");

    activate(&server, &company, &key, "pc-2").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing more to a disabled endpoint"
    );
    server.stop();
}

async fn kill_9_right_after_an_activation_loses_no_event(backend: Backend) {
    let latch = Latch::new(backend, "webhook_kill_9").await;
    let (company, key) = setup(&latch);
    // The receiver's port is reserved now and served only after the kill.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{address}/hook");
    create_webhook(&latch, &company, &url, "license.activated");
    let server = latch.serve_with(&[ALLOW_PRIVATE, FAST_RETRIES]);
    let body = json!({"product": "app", "license_key": key, "hardware_id": "pc-1"});
    server
        .post(&company.creds, "activate_license", &body)
        .await
        .ok();
    let killed = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(server);

    let receiver = Receiver::serve_on(tokio::net::TcpListener::bind(address).await.unwrap(), &[]);
    assert_eq!(receiver.url, url);
    let server = latch.serve_with(&[ALLOW_PRIVATE, FAST_RETRIES]);
    // A claim the killed node held passes on when its 30 s lease ends.
    let received = receiver
        .wait_for(Duration::from_secs(45), |r| !r.is_empty())
        .await;
    assert_eq!(received[0].json()["event"], "license.activated");
    assert_eq!(received[0].json()["data"]["device"]["hardware_id"], "pc-1");
    server.stop();
}

/// Two nodes on one PostgreSQL database deliver a few hundred events, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_every_event_exactly_once() {
    let latch = Latch::new(Backend::Postgres, "webhook_two_nodes").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let keys: Vec<String> = (0..6)
        .map(|_| latch.license(&company, "app", &["--max-activations", "1000"]))
        .collect();
    let receiver = Receiver::start(&[]).await;
    create_webhook(&latch, &company, &receiver.url, "license.activated");
    let environment = [ALLOW_PRIVATE, ("LATCH_RATE_LIMIT_ACTIVATIONS", "0")];
    let nodes = [
        Arc::new(latch.serve_with(&environment)),
        Arc::new(latch.serve_with(&environment)),
    ];
    const EVENTS: usize = 300;
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (nodes, keys, creds) = (nodes.clone(), keys.clone(), company.creds.clone());
            tokio::spawn(async move {
                for n in (client..EVENTS).step_by(4) {
                    let body = json!({"product": "app", "license_key": keys[n % keys.len()],
                        "hardware_id": format!("pc-{n}")});
                    nodes[n % 2]
                        .post(&creds, "activate_license", &body)
                        .await
                        .ok();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    receiver
        .wait_for(Duration::from_secs(60), |r| r.len() >= EVENTS)
        .await;
    // Anything delivered twice would arrive soon after the rest.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = receiver.received();
    let ids: BTreeSet<String> = received.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), EVENTS);
    assert_eq!(received.len(), EVENTS, "every event exactly once");
    for node in nodes {
        Arc::into_inner(node).unwrap().stop();
    }
}

/// Endpoints on private addresses are refused without `webhook_allow_private`, when created and
/// when delivering (a name that resolves to loopback); rotation signs with both secrets for a day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_and_rotation_signs_with_both_secrets() {
    let latch = Latch::new(Backend::Sqlite, "webhook_private").await;
    let (company, key) = setup(&latch);
    let company_id = company.id.to_string();
    let refused = latch.cli_error(&[
        "webhook",
        "create",
        "--company",
        &company_id,
        "--url",
        "https://127.0.0.1:9/hook",
    ]);
    assert!(
        refused.contains("--url") && refused.contains("private"),
        "{refused}"
    );
    let refused = latch.cli_error(&[
        "webhook",
        "create",
        "--company",
        &company_id,
        "--url",
        "http://hooks.example.com/",
    ]);
    assert!(refused.contains("https"), "{refused}");

    // Saved while allowed, refused when delivering while not (the resolver's own check of the
    // addresses a name resolves to is a unit test of the server).
    let receiver = Receiver::start(&[]).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (private, _) = create_webhook(&latch, &company, &by_name, "license.activated");
    let (public_url_check, old_secret) =
        create_webhook(&latch, &company, &receiver.url, "license.activated");
    let server = latch.serve_with(&[FAST_RETRIES]);
    activate(&server, &company, &key, "pc-1").await;
    let started = Instant::now();
    loop {
        let listed = latch.cli(&[
            "webhook",
            "deliveries",
            "--company",
            &company_id,
            "--id",
            &private.to_string(),
        ]);
        let newest = &listed["deliveries"][0];
        if newest["attempts"].as_i64().unwrap_or(0) >= 1 {
            let error = newest["last_error"].as_str().unwrap_or_default();
            assert!(error.contains("https"), "{listed}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached a private address"
    );
    server.stop();

    // Rotation: both signatures on every delivery while the old secret is valid.
    let private = private.to_string();
    latch.cli(&[
        "webhook",
        "delete",
        "--company",
        &company_id,
        "--id",
        &private,
    ]);
    let latch_allowing = latch.serve_with(&[ALLOW_PRIVATE]);
    let rotated = latch.cli(&[
        "webhook",
        "rotate-secret",
        "--company",
        &company_id,
        "--id",
        &public_url_check.to_string(),
    ]);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    assert!(
        rotated["previous_secret_valid_until"].is_string(),
        "{rotated}"
    );
    activate(&latch_allowing, &company, &key, "pc-2").await;
    let received = receiver
        .wait_for(Duration::from_secs(10), |r| {
            r.iter()
                .any(|r| r.json()["data"]["device"]["hardware_id"] == "pc-2")
        })
        .await;
    let delivery = received
        .iter()
        .find(|r| r.json()["data"]["device"]["hardware_id"] == "pc-2")
        .unwrap();
    for secret in [&old_secret, &new_secret] {
        assert!(standard_signed_by(delivery, secret));
        assert!(licensespring_signed_by(delivery, secret));
    }
    assert_eq!(delivery.header("webhook-signature").split(' ').count(), 2);
    latch_allowing.stop();
}
