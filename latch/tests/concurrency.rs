//! Limits under concurrent requests (activations, floating seats, consumptions, trials, transfers): on
//! PostgreSQL two `latch serve` processes share one schema and split the requests; on SQLite one
//! process serves everything. Each test repeats over rounds, each on a fresh license (or product).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use support::{send, Backend, Creds, Latch, Reply, Server};
use tokio::task::JoinSet;

both_backends!(
    activation_limit_holds,
    same_hardware_id_activates_once,
    floating_seats_hold,
    license_consumptions_hold,
    feature_consumptions_hold,
    trial_created_once_per_device,
    user_trial_created_once_per_email,
    user_trial_once_per_existing_user,
    transfer_limit_holds,
);

const ROUNDS: usize = 10;
const REQUESTS: usize = 64;
const MAX_ACTIVATIONS: usize = 5;

/// One server per node: two on PostgreSQL (same schema), one on SQLite.
fn start_nodes(latch: &Latch) -> Vec<Server> {
    let nodes = match latch.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    };
    (0..nodes).map(|_| latch.serve()).collect()
}

/// A deployment with company "Acme" and product "app", served by its nodes.
async fn app_deployment(backend: Backend, name: &str) -> (Latch, support::Company, Vec<Server>) {
    let latch = Latch::new(backend, name).await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let nodes = start_nodes(&latch);
    (latch, company, nodes)
}

/// Sends every activation at once, request `i` to node `i % nodes`; answers by hardware id.
async fn activate_all(
    nodes: &[Server],
    creds: &support::Creds,
    license_key: &str,
    hardware_ids: &[String],
) -> Vec<(String, Reply)> {
    let mut requests = JoinSet::new();
    for (i, hardware_id) in hardware_ids.iter().enumerate() {
        let body = json!({
            "product": "app",
            "license_key": license_key,
            "hardware_id": hardware_id,
            "is_vm": false,
            "os_ver": "linux",
            "hostname": format!("host-{i}"),
            "sdk_ver": "PythonSDK 4.0.0",
        });
        let request = nodes[i % nodes.len()]
            .signed(Method::POST, "activate_license", creds)
            .body(support::distinct(&body).to_string());
        let hardware_id = hardware_id.clone();
        requests.spawn(async move { (hardware_id, send(request).await) });
    }
    requests.join_all().await
}

/// A summary of answers by (status, code) for failure messages.
fn tally(replies: &[(String, Reply)]) -> BTreeMap<(u16, String), usize> {
    tally_replies(replies.iter().map(|(_, reply)| reply))
}

fn tally_replies<'a>(
    replies: impl IntoIterator<Item = &'a Reply>,
) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for reply in replies {
        let code = if reply.status == 200 {
            String::new()
        } else {
            serde_json::from_slice::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_owned))
                .unwrap_or_else(|| reply.text())
        };
        *counts.entry((reply.status, code)).or_default() += 1;
    }
    counts
}

async fn activation_limit_holds(backend: Backend) {
    let (latch, company, nodes) = app_deployment(backend, "limit_holds").await;
    let max = MAX_ACTIVATIONS.to_string();

    for round in 0..ROUNDS {
        let key = latch.license(&company, "app", &["--max-activations", &max]);
        let hardware_ids: Vec<String> = (0..REQUESTS)
            .map(|i| format!("round{round}-device{i}"))
            .collect();
        let replies = activate_all(&nodes, &company.creds, &key, &hardware_ids).await;
        let summary = tally(&replies);
        assert!(
            replies.iter().all(|(_, reply)| reply.status < 500),
            "round {round}: server errors: {summary:?}"
        );

        let mut activated = BTreeSet::new();
        for (hardware_id, reply) in &replies {
            if reply.status == 200 {
                assert_eq!(reply.json()["hardware_id"], hardware_id.as_str());
                activated.insert(hardware_id.clone());
            } else {
                reply.assert_error(400, "license_activated_max_times");
            }
        }
        assert_eq!(
            activated.len(),
            MAX_ACTIVATIONS,
            "round {round}: {summary:?}"
        );

        let shown = latch.show_license(&company, &key);
        assert_eq!(
            shown["times_activated"], MAX_ACTIVATIONS,
            "round {round}: {shown}"
        );
        let devices = latch.devices(&company, &key);
        let active: BTreeSet<String> = devices
            .iter()
            .filter(|d| d["active"] == true)
            .map(|d| d["hardware_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(active, activated, "round {round}: devices {devices:?}");
        assert_eq!(
            devices.len(),
            MAX_ACTIVATIONS,
            "round {round}: refused activations left device rows: {devices:?}"
        );
    }
    for node in nodes {
        node.stop();
    }
}

async fn same_hardware_id_activates_once(backend: Backend) {
    const SAME: usize = 16;
    let (latch, company, nodes) = app_deployment(backend, "same_hwid").await;

    for round in 0..3 {
        let key = latch.license(&company, "app", &["--max-activations", "5"]);
        let hardware_ids = vec![format!("the-one-device-{round}"); SAME];
        let replies = activate_all(&nodes, &company.creds, &key, &hardware_ids).await;
        let summary = tally(&replies);
        assert!(
            replies.iter().all(|(_, reply)| reply.status < 500),
            "round {round}: server errors: {summary:?}"
        );
        let successes = replies.iter().filter(|(_, r)| r.status == 200).count();
        assert_eq!(successes, 1, "round {round}: {summary:?}");
        for (_, reply) in replies.iter().filter(|(_, r)| r.status != 200) {
            reply.assert_error(409, "license_device_exists");
        }

        let devices = latch.devices(&company, &key);
        assert_eq!(devices.len(), 1, "round {round}: {devices:?}");
        assert_eq!(devices[0]["active"], true);
        assert_eq!(devices[0]["hardware_id"], hardware_ids[0].as_str());
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["times_activated"], 1, "round {round}: {shown}");
    }
    for node in nodes {
        node.stop();
    }
}

/// Rounds of the tests below, each on a fresh license.
const FEW_ROUNDS: usize = 5;

/// Sends `count` requests at once, request `i` built by `build(i, node)` for node `i % nodes`;
/// answers in request order.
async fn burst(
    nodes: &[Server],
    count: usize,
    build: impl Fn(usize, &Server) -> RequestBuilder,
) -> Vec<Reply> {
    let mut requests = JoinSet::new();
    for i in 0..count {
        let request = build(i, &nodes[i % nodes.len()]);
        requests.spawn(async move { (i, send(request).await) });
    }
    let mut replies = requests.join_all().await;
    replies.sort_by_key(|(i, _)| *i);
    replies.into_iter().map(|(_, reply)| reply).collect()
}

/// Asserts no answer is a 5xx; returns the tally for later messages.
#[track_caller]
fn no_server_errors(what: &str, replies: &[Reply]) -> BTreeMap<(u16, String), usize> {
    let summary = tally_replies(replies);
    assert!(
        replies.iter().all(|reply| reply.status < 500),
        "{what}: server errors: {summary:?}"
    );
    summary
}

/// The identity most License API calls take, for product `app`.
fn identity(key: &str, hardware_id: &str) -> Value {
    json!({"product": "app", "license_key": key, "hardware_id": hardware_id})
}

fn activation(key: &str, hardware_id: &str) -> Value {
    json!({
        "product": "app",
        "license_key": key,
        "hardware_id": hardware_id,
        "is_vm": false,
        "os_ver": "linux",
        "hostname": format!("host-{hardware_id}"),
        "sdk_ver": "PythonSDK 4.0.0",
    })
}

/// Activates one device, which must succeed.
async fn activate(node: &Server, creds: &Creds, key: &str, hardware_id: &str) {
    let body = node
        .post(creds, "activate_license", &activation(key, hardware_id))
        .await
        .ok();
    assert_eq!(body["hardware_id"], hardware_id, "{body}");
}

/// Deactivates one device, which must succeed.
async fn deactivate(node: &Server, creds: &Creds, key: &str, hardware_id: &str) {
    let reply = node
        .post(creds, "deactivate_license", &identity(key, hardware_id))
        .await;
    assert_eq!(reply.ok(), json!("license_deactivated"), "{hardware_id}");
}

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(|text| {
        DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
            .with_timezone(&Utc)
    })
}

/// The hardware ids of `devices` holding a floating seat at `now` (a lease or a borrow running).
fn seat_holders(devices: &[Value], now: DateTime<Utc>) -> BTreeSet<String> {
    devices
        .iter()
        .filter(|d| d["active"] == true)
        .filter(|d| {
            parse_time(&d["floating_until"]).is_some_and(|t| t > now)
                || parse_time(&d["borrowed_until"]).is_some_and(|t| t > now)
        })
        .map(|d| d["hardware_id"].as_str().unwrap().to_owned())
        .collect()
}

fn hardware_ids_where(devices: &[Value], active: bool) -> BTreeSet<String> {
    devices
        .iter()
        .filter(|d| d["active"] == active)
        .map(|d| d["hardware_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Floating cloud licenses take a seat at activation: with 5 seats (and activations to spare) 64
/// concurrent activations seat exactly 5 devices; after one seat is released, 16 more concurrent
/// activations seat exactly one.
async fn floating_seats_hold(backend: Backend) {
    const SEATS: usize = 5;
    const TIMEOUT_MINUTES: i64 = 30;
    let (latch, company, nodes) = app_deployment(backend, "floating_seats").await;
    let creds = &company.creds;

    for round in 0..FEW_ROUNDS {
        let key = latch.license(
            &company,
            "app",
            &[
                "--floating-users",
                &SEATS.to_string(),
                "--floating-timeout",
                &TIMEOUT_MINUTES.to_string(),
                "--max-activations",
                "100",
            ],
        );
        let before = Utc::now();
        let hardware_ids: Vec<String> = (0..REQUESTS)
            .map(|i| format!("round{round}-device{i}"))
            .collect();
        let replies = activate_all(&nodes, creds, &key, &hardware_ids).await;
        let summary = tally(&replies);
        assert!(
            replies.iter().all(|(_, reply)| reply.status < 500),
            "round {round}: server errors: {summary:?}"
        );
        let mut seated = BTreeSet::new();
        for (hardware_id, reply) in &replies {
            if reply.status == 200 {
                assert_eq!(reply.json()["hardware_id"], hardware_id.as_str());
                seated.insert(hardware_id.clone());
            } else {
                reply.assert_error(400, "floating_not_available");
            }
        }
        assert_eq!(seated.len(), SEATS, "round {round}: {summary:?}");

        let now = Utc::now();
        let devices = latch.devices(&company, &key);
        assert_eq!(
            seat_holders(&devices, now),
            seated,
            "round {round}: held seats differ from the seated devices: {devices:?}"
        );
        for device in &devices {
            if let Some(until) = parse_time(&device["floating_until"]) {
                assert!(
                    until <= now + chrono::Duration::minutes(TIMEOUT_MINUTES + 1)
                        && until >= before + chrono::Duration::minutes(TIMEOUT_MINUTES - 1),
                    "round {round}: lease not ~{TIMEOUT_MINUTES} min from activation: {device}"
                );
            }
        }
        // Refused activations hold no activation either.
        assert_eq!(
            hardware_ids_where(&devices, true),
            seated,
            "round {round}: {devices:?}"
        );
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["is_floating_cloud"], true, "{shown}");
        assert_eq!(shown["times_activated"], SEATS, "round {round}: {shown}");

        // One device gives its seat back (keeping its activation); 16 newcomers race for it.
        let leaver = seated.iter().next().unwrap().clone();
        let released = nodes[round % nodes.len()]
            .post(creds, "floating/release", &identity(&key, &leaver))
            .await;
        assert_eq!(released.ok(), json!(""), "round {round}");
        let newcomers: Vec<String> = (0..16)
            .map(|i| format!("round{round}-newcomer{i}"))
            .collect();
        let replies = activate_all(&nodes, creds, &key, &newcomers).await;
        let summary = tally(&replies);
        assert!(
            replies.iter().all(|(_, reply)| reply.status < 500),
            "round {round}: server errors after a release: {summary:?}"
        );
        let mut winners = BTreeSet::new();
        for (hardware_id, reply) in &replies {
            if reply.status == 200 {
                winners.insert(hardware_id.clone());
            } else {
                reply.assert_error(400, "floating_not_available");
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {summary:?}");
        let mut expected_holders = seated.clone();
        expected_holders.remove(&leaver);
        expected_holders.extend(winners.iter().cloned());

        let devices = latch.devices(&company, &key);
        let holders = seat_holders(&devices, Utc::now());
        assert_eq!(holders.len(), SEATS, "round {round}: {devices:?}");
        assert_eq!(holders, expected_holders, "round {round}: {devices:?}");
        let mut expected_active = expected_holders.clone();
        expected_active.insert(leaver.clone());
        assert_eq!(
            hardware_ids_where(&devices, true),
            expected_active,
            "round {round}: the releaser stays activated without a seat: {devices:?}"
        );
        let shown = latch.show_license(&company, &key);
        assert_eq!(
            shown["times_activated"],
            SEATS + 1,
            "round {round}: {shown}"
        );
    }
    for node in nodes {
        node.stop();
    }
}

/// The (sorted) `total_consumptions` of the successful answers.
fn totals_seen(replies: &[Reply]) -> Vec<i64> {
    let mut totals: Vec<i64> = replies
        .iter()
        .filter(|reply| reply.status == 200)
        .map(|reply| {
            let body = reply.json();
            body["total_consumptions"]
                .as_i64()
                .unwrap_or_else(|| panic!("total_consumptions in {body}"))
        })
        .collect();
    totals.sort_unstable();
    totals
}

/// A consumption license allows max_consumptions + max_overages single consumptions, however many
/// arrive at once.
async fn license_consumptions_hold(backend: Backend) {
    const MAX: i64 = 20;
    const OVERAGES: i64 = 3;
    let (latch, company, nodes) = app_deployment(backend, "license_consumptions").await;
    let creds = &company.creds;

    for round in 0..FEW_ROUNDS {
        let key = latch.license(
            &company,
            "app",
            &[
                "--type",
                "consumption",
                "--max-consumptions",
                &MAX.to_string(),
                "--max-overages",
                &OVERAGES.to_string(),
            ],
        );
        let hardware_id = format!("round{round}-consumer");
        activate(&nodes[0], creds, &key, &hardware_id).await;
        let body = json!({
            "product": "app",
            "license_key": key,
            "hardware_id": hardware_id,
            "consumptions": 1,
        });
        let replies = burst(&nodes, REQUESTS, |_, node| {
            node.signed(Method::POST, "add_consumption", creds)
                .body(support::distinct(&body).to_string())
        })
        .await;
        let summary = no_server_errors(&format!("round {round}"), &replies);
        for reply in replies.iter().filter(|reply| reply.status != 200) {
            reply.assert_error(400, "license_not_enough_consumptions");
        }
        // Every success saw its own running total: 1, 2, ..., 23.
        assert_eq!(
            totals_seen(&replies),
            (1..=MAX + OVERAGES).collect::<Vec<_>>(),
            "round {round}: {summary:?}"
        );
        let shown = latch.show_license(&company, &key);
        assert_eq!(
            shown["total_consumptions"],
            MAX + OVERAGES,
            "round {round}: {shown}"
        );
    }
    for node in nodes {
        node.stop();
    }
}

/// A consumption feature allows its max_consumptions single consumptions, however many arrive at
/// once, and the license's own counter is untouched.
async fn feature_consumptions_hold(backend: Backend) {
    const MAX: i64 = 10;
    let latch = Latch::new(backend, "feature_consumptions").await;
    let company = latch.company("Acme");
    let company_id = company.id.to_string();
    latch.product(&company, "app");
    latch.cli(&[
        "product",
        "add-feature",
        "--company",
        &company_id,
        "--product",
        "app",
        "--code",
        "credits",
        "--name",
        "Credits",
        "--type",
        "consumption",
    ]);
    let nodes = start_nodes(&latch);
    let creds = &company.creds;

    for round in 0..FEW_ROUNDS {
        let key = latch.license(&company, "app", &["--max-activations", "1"]);
        latch.cli(&[
            "license",
            "add-feature",
            "--license",
            &key,
            "--company",
            &company_id,
            "--feature",
            "credits",
            "--max-consumptions",
            &MAX.to_string(),
        ]);
        let hardware_id = format!("round{round}-consumer");
        activate(&nodes[0], creds, &key, &hardware_id).await;
        let body = json!({
            "product": "app",
            "license_key": key,
            "hardware_id": hardware_id,
            "feature": "credits",
            "consumptions": 1,
        });
        let replies = burst(&nodes, REQUESTS, |_, node| {
            node.signed(Method::POST, "add_feature_consumption", creds)
                .body(support::distinct(&body).to_string())
        })
        .await;
        let summary = no_server_errors(&format!("round {round}"), &replies);
        for reply in replies.iter().filter(|reply| reply.status != 200) {
            reply.assert_error(400, "feature_not_enough_consumptions");
        }
        assert_eq!(
            totals_seen(&replies),
            (1..=MAX).collect::<Vec<_>>(),
            "round {round}: {summary:?}"
        );
        let shown = latch.show_license(&company, &key);
        let features = shown["features"].as_array().expect("features");
        assert_eq!(
            features.as_slice(),
            &[json!({"code": "credits", "total_consumptions": MAX})],
            "round {round}: {shown}"
        );
        assert_eq!(shown["total_consumptions"], 0, "round {round}: {shown}");
    }
    for node in nodes {
        node.stop();
    }
}

/// The license a `trial_key` answer names: a new trial carries `license` and `license_key` (equal),
/// an existing one only `license`. Returns the key and whether the answer is the new-trial shape.
fn trial_answer_key(body: &Value) -> (String, bool) {
    assert_eq!(body["is_trial"], true, "{body}");
    assert_eq!(body["license_type"], "time-limited", "{body}");
    let license = body["license"]
        .as_str()
        .unwrap_or_else(|| panic!("license in {body}"))
        .to_owned();
    match body.get("license_key") {
        Some(key) => {
            assert_eq!(key, license.as_str(), "{body}");
            (license, true)
        }
        None => (license, false),
    }
}

/// 16 concurrent `trial_key` calls for one device create one trial license, and every answer names it.
async fn trial_created_once_per_device(backend: Backend) {
    const CALLS: usize = 16;
    let latch = Latch::new(backend, "trial_once").await;
    let company = latch.company("Acme");
    let company_id = company.id.to_string();
    let nodes = start_nodes(&latch);
    let creds = &company.creds;

    for round in 0..FEW_ROUNDS {
        // A fresh product each round, so each round's count starts from zero.
        let product = format!("trial{round}");
        latch.cli(&[
            "product",
            "create",
            "--company",
            &company_id,
            "--code",
            &product,
            "--name",
            &product,
            "--allow-trial",
            "--trial-days",
            "7",
        ]);
        let hardware_id = format!("round{round}-trial-device");
        let replies = burst(&nodes, CALLS, |_, node| {
            node.signed(Method::GET, "trial_key", creds)
                .query(&[("product", product.as_str()), ("hardware_id", &hardware_id)])
        })
        .await;
        let summary = no_server_errors(&format!("round {round}"), &replies);
        assert!(
            replies.iter().all(|reply| reply.status == 200),
            "round {round}: {summary:?}"
        );
        let answers: Vec<(String, bool)> = replies
            .iter()
            .map(|reply| trial_answer_key(&reply.json()))
            .collect();
        let keys: BTreeSet<&str> = answers.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys.len(), 1, "round {round}: answers name {keys:?}");
        let created = answers.iter().filter(|(_, new)| *new).count();
        assert_eq!(
            created, 1,
            "round {round}: {created} answers claim to have created the trial"
        );
        let key = keys.into_iter().next().unwrap();

        let shown = latch.show_license(&company, key);
        assert_eq!(shown["is_trial"], true, "{shown}");
        assert_eq!(shown["product"], product.as_str(), "{shown}");
        assert_eq!(
            latch.license_count(&company, &product).await,
            (1, 1),
            "round {round}: licenses (all, trials) of {product}"
        );
        // Asked again later, the same trial.
        let again = nodes[round % nodes.len()]
            .get(
                creds,
                "trial_key",
                &[("product", &product), ("hardware_id", &hardware_id)],
            )
            .await
            .ok();
        assert_eq!(trial_answer_key(&again), (key.to_owned(), false));
    }
    for node in nodes {
        node.stop();
    }
}

/// On a user-based product a trial is once per e-mail address too: 16 concurrent `trial_key` calls with
/// one new e-mail from 16 devices create one trial license and one license user.
async fn user_trial_created_once_per_email(backend: Backend) {
    user_trial_once(backend, false).await
}

/// As [`user_trial_created_once_per_email`], for an e-mail that already has a license user (so no
/// request creates one): still one trial license.
async fn user_trial_once_per_existing_user(backend: Backend) {
    user_trial_once(backend, true).await
}

async fn user_trial_once(backend: Backend, existing_user: bool) {
    const CALLS: usize = 16;
    let latch = Latch::new(backend, "user_trial_once").await;
    let company = latch.company("Acme");
    let company_id = company.id.to_string();
    let nodes = start_nodes(&latch);
    let creds = &company.creds;

    for round in 0..3 {
        let product = format!("usertrial{round}");
        latch.cli(&[
            "product",
            "create",
            "--company",
            &company_id,
            "--code",
            &product,
            "--name",
            &product,
            "--user-based",
            "--allow-trial",
        ]);
        let email = format!("trier{round}@example.com");
        if existing_user {
            latch.cli(&[
                "user",
                "create",
                "--company",
                &company_id,
                "--email",
                &email,
                "--password",
                "a-long-password",
            ]);
        }
        let replies = burst(&nodes, CALLS, |i, node| {
            node.signed(Method::GET, "trial_key", creds).query(&[
                ("product", product.as_str()),
                ("hardware_id", &format!("round{round}-device{i}")),
                ("email", &email),
            ])
        })
        .await;
        let summary = no_server_errors(&format!("round {round}"), &replies);
        assert!(
            replies.iter().all(|reply| reply.status == 200),
            "round {round}: {summary:?}"
        );
        let mut created = 0;
        for reply in &replies {
            let body = reply.json();
            assert_eq!(body["is_trial"], true, "{body}");
            assert_eq!(body["license_user"], email.as_str(), "{body}");
            // Only a new trial's answer carries the user's id.
            created += usize::from(body.get("license_user_id").is_some());
        }
        assert_eq!(
            (latch.license_count(&company, &product).await, created),
            ((1, 1), 1),
            "round {round}: ((licenses, trials) of {product}, answers claiming a new trial)"
        );
        // Later, from yet another device: the same trial, not a new one.
        let again = nodes[round % nodes.len()]
            .get(
                creds,
                "trial_key",
                &[
                    ("product", product.as_str()),
                    ("hardware_id", &format!("round{round}-late-device")),
                    ("email", &email),
                ],
            )
            .await
            .ok();
        assert_eq!(again["license_user"], email.as_str(), "{again}");
        assert!(again.get("license_user_id").is_none(), "new trial: {again}");
        assert_eq!(
            latch.license_count(&company, &product).await,
            (1, 1),
            "round {round}: licenses (all, trials) of {product}"
        );
        let users = latch
            .db_scalar(
                &format!(
                    "SELECT COUNT(*) FROM license_users WHERE company_id = {} AND email = $1",
                    company.id
                ),
                &[&email],
            )
            .await;
        assert_eq!(users, 1, "round {round}: license users named {email}");
    }
    for node in nodes {
        node.stop();
    }
}

/// Transfers: sequentially exactly max_transfers devices may take an activation another gave back;
/// concurrently, a freed slot goes to exactly one newcomer, and a last transfer to exactly one.
async fn transfer_limit_holds(backend: Backend) {
    const NEWCOMERS: usize = 16;
    let (latch, company, nodes) = app_deployment(backend, "transfers").await;
    let creds = &company.creds;
    let node = |i: usize| &nodes[i % nodes.len()];

    for round in 0..3 {
        // Sequential: 3 transfers, then refused; the device that gave its activation back may
        // still take it back.
        let key = latch.license(
            &company,
            "app",
            &["--max-activations", "1", "--max-transfers", "3"],
        );
        let device = |i: usize| format!("round{round}-seq{i}");
        activate(node(0), creds, &key, &device(0)).await;
        assert_eq!(latch.show_license(&company, &key)["transfer_count"], 0);
        for i in 1..=3 {
            deactivate(node(i), creds, &key, &device(i - 1)).await;
            activate(node(i + 1), creds, &key, &device(i)).await;
            let shown = latch.show_license(&company, &key);
            assert_eq!(shown["transfer_count"], i, "round {round}: {shown}");
            assert_eq!(shown["times_activated"], 1, "round {round}: {shown}");
        }
        deactivate(node(0), creds, &key, &device(3)).await;
        node(1)
            .post(creds, "activate_license", &activation(&key, &device(4)))
            .await
            .assert_error(400, "license_transferred_max_times");
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["transfer_count"], 3, "round {round}: {shown}");
        assert_eq!(shown["times_activated"], 0, "round {round}: {shown}");
        activate(node(0), creds, &key, &device(3)).await;
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["transfer_count"], 3, "round {round}: {shown}");
        assert_eq!(shown["times_activated"], 1, "round {round}: {shown}");

        // Concurrent: one freed slot (transfers to spare), 16 newcomers: exactly one gets it.
        let key = latch.license(
            &company,
            "app",
            &["--max-activations", "1", "--max-transfers", "3"],
        );
        let first = format!("round{round}-first");
        activate(node(0), creds, &key, &first).await;
        deactivate(node(1), creds, &key, &first).await;
        let newcomers: Vec<String> = (0..NEWCOMERS)
            .map(|i| format!("round{round}-newcomer{i}"))
            .collect();
        let replies = activate_all(&nodes, creds, &key, &newcomers).await;
        let winners = single_winner(&replies, "license_activated_max_times", round);
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["transfer_count"], 1, "round {round}: {shown}");
        assert_eq!(shown["times_activated"], 1, "round {round}: {shown}");
        let devices = latch.devices(&company, &key);
        assert_eq!(
            hardware_ids_where(&devices, true),
            winners,
            "round {round}: {devices:?}"
        );

        // Concurrent, transfer-bound: 4 free slots but one transfer left: exactly one newcomer.
        let key = latch.license(
            &company,
            "app",
            &["--max-activations", "4", "--max-transfers", "1"],
        );
        for i in 0..4 {
            activate(node(i), creds, &key, &format!("round{round}-old{i}")).await;
        }
        for i in 0..4 {
            deactivate(node(i + 1), creds, &key, &format!("round{round}-old{i}")).await;
        }
        let replies = activate_all(&nodes, creds, &key, &newcomers).await;
        single_winner(&replies, "license_transferred_max_times", round);
        let shown = latch.show_license(&company, &key);
        assert_eq!(shown["transfer_count"], 1, "round {round}: {shown}");
        assert_eq!(shown["times_activated"], 1, "round {round}: {shown}");
    }
    for node in nodes {
        node.stop();
    }
}

/// Asserts that exactly one of the concurrent activations won and every other was refused with
/// `refusal` (never a server error); returns the winner's hardware id.
fn single_winner(replies: &[(String, Reply)], refusal: &str, round: usize) -> BTreeSet<String> {
    let summary = tally(replies);
    assert!(
        replies.iter().all(|(_, reply)| reply.status < 500),
        "round {round}: server errors: {summary:?}"
    );
    let mut winners = BTreeSet::new();
    for (hardware_id, reply) in replies {
        if reply.status == 200 {
            winners.insert(hardware_id.clone());
        } else {
            reply.assert_error(400, refusal);
        }
    }
    assert_eq!(winners.len(), 1, "round {round}: {summary:?}");
    winners
}
