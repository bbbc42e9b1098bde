//! Activation limits under concurrent requests: on PostgreSQL two `latch serve` processes share one
//! schema; on SQLite one process serves everything.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::json;
use support::{send, Backend, Latch, Reply, Server};
use tokio::task::JoinSet;

both_backends!(activation_limit_holds, same_hardware_id_activates_once);

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
            .body(body.to_string());
        let hardware_id = hardware_id.clone();
        requests.spawn(async move { (hardware_id, send(request).await) });
    }
    requests.join_all().await
}

/// A summary of answers by (status, code) for failure messages.
fn tally(replies: &[(String, Reply)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for (_, reply) in replies {
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
    let latch = Latch::new(backend, "limit_holds").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let nodes = start_nodes(&latch);
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
    let latch = Latch::new(backend, "same_hwid").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let nodes = start_nodes(&latch);

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
