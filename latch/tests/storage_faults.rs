//! Storage faults against a real `latch serve`: a full disk (a file-size limit set on the running
//! server) answers 503 and recovers once space returns; a `kill -9` loses no acknowledged activation.

#[path = "support/mod.rs"]
#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use support::{Backend, Latch, Server};

async fn activate(
    server: &Server,
    creds: &support::Creds,
    key: &str,
    hardware_id: &str,
) -> support::Reply {
    let body = json!({"product": "app", "license_key": key, "hardware_id": hardware_id});
    server.post(creds, "activate_license", &body).await
}

fn set_file_size_limit(server: &Server, bytes: u64) {
    let pid = i32::try_from(server.pid()).unwrap();
    let (mut soft, mut hard) = (0, 0);
    rlimit::prlimit(
        pid,
        rlimit::Resource::FSIZE,
        None,
        Some((&mut soft, &mut hard)),
    )
    .unwrap();
    rlimit::prlimit(
        pid,
        rlimit::Resource::FSIZE,
        Some((bytes.min(hard), hard)),
        None,
    )
    .unwrap();
}

/// SQLite on a "full disk": every write fails while a 1 KiB file-size limit holds on the server.
/// Writes answer `503 storage_unavailable` with `Retry-After`, reads keep working, `/readyz` says
/// 503 while `/healthz` says 200; once the limit is lifted, writes work again within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_recovers() {
    let latch = Latch::new(Backend::Sqlite, "disk_full").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "100"]);
    let server = latch.serve();
    let creds = &company.creds;
    activate(&server, creds, &key, "before").await.ok();
    assert_eq!(server.plain(Method::GET, "/readyz").await.text(), "ready");

    set_file_size_limit(&server, 1024);
    for n in 0..5 {
        let refused = activate(&server, creds, &key, &format!("while-full-{n}")).await;
        assert_eq!(refused.status, 503, "{}", refused.text());
        assert_eq!(refused.json()["code"], "storage_unavailable");
        assert!(refused.headers.contains_key("retry-after"));
    }
    let check = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "before"),
    ];
    server.get(creds, "check_license", &check).await.ok();
    assert_eq!(server.plain(Method::GET, "/readyz").await.status, 503);
    assert_eq!(server.plain(Method::GET, "/healthz").await.status, 200);

    set_file_size_limit(&server, u64::MAX);
    let recovered = Instant::now();
    loop {
        let reply = activate(&server, creds, &key, "after").await;
        if reply.status == 200 {
            break;
        }
        assert_eq!(reply.status, 503, "{}", reply.text());
        assert!(
            recovered.elapsed() < Duration::from_secs(10),
            "writes did not recover: {}",
            reply.text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.plain(Method::GET, "/readyz").await.text(), "ready");
    let devices: BTreeSet<String> = latch
        .devices(&company, &key)
        .iter()
        .map(|d| d["hardware_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(devices, ["after", "before"].map(String::from).into());
}

both_backends!(kill_9_loses_no_acknowledged_activation);

/// Activations stream in from four clients; the server is killed with SIGKILL in the middle. Every
/// activation it acknowledged is in the database afterwards.
async fn kill_9_loses_no_acknowledged_activation(backend: Backend) {
    let latch = Latch::new(backend, "kill_9").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "100000"]);
    let server = Arc::new(latch.serve_with(&[("LATCH_RATE_LIMIT_ACTIVATIONS", "0")]));
    let acknowledged_so_far = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (server, creds, key) = (server.clone(), company.creds.clone(), key.clone());
            let acknowledged_so_far = acknowledged_so_far.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    let hardware_id = format!("c{client}-{n}");
                    let body =
                        json!({"product": "app", "license_key": key, "hardware_id": hardware_id});
                    let request = server
                        .signed(Method::POST, "activate_license", &creds)
                        .body(body.to_string());
                    match request.send().await {
                        Ok(response) if response.status() == 200 => {
                            acknowledged.push(hardware_id);
                            acknowledged_so_far.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => return acknowledged,
                    }
                }
                acknowledged
            })
        })
        .collect();
    // Killed mid-stream, once a fair number of activations were acknowledged (however slow the
    // machine), while more are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged_so_far.load(Ordering::Relaxed) < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut acknowledged = BTreeSet::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    assert!(
        acknowledged.len() > 10,
        "only {} activations before the kill",
        acknowledged.len()
    );
    let stored: BTreeSet<String> = latch
        .devices(&company, &key)
        .iter()
        .map(|d| d["hardware_id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged activations lost: {lost:?}",
        lost.len()
    );
}
