//! Guards against abuse through well-signed requests, against a real `latch serve` on both backends:
//! replayed requests, password attempt limits per user and per address, activation and request rate
//! limits, and a password flood.

#[path = "support/mod.rs"]
#[macro_use]
mod support;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{http_date_now, send, Backend, Latch};

both_backends!(a_replayed_consumption_counts_once);

/// The same signed `add_consumption` sent ten times, some at once: counted once, and every answer is
/// the first one, byte for byte and with the same signature.
async fn a_replayed_consumption_counts_once(backend: Backend) {
    let latch = Latch::new(backend, "replays").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(
        &company,
        "app",
        &["--type", "consumption", "--max-consumptions", "100"],
    );
    let server = latch.serve();
    let creds = &company.creds;
    server
        .post(
            creds,
            "activate_license",
            &json!({"product": "app", "license_key": key, "hardware_id": "pc"}),
        )
        .await
        .ok();

    let date = http_date_now();
    let authorization =
        latch_wire::auth::authorization_header(&creds.api_key, &creds.shared_key, &date);
    let body =
        json!({"product": "app", "license_key": key, "hardware_id": "pc", "consumptions": 3})
            .to_string();
    let request = || {
        server
            .http
            .request(Method::POST, server.url("/api/v4/add_consumption"))
            .header(DATE, &date)
            .header(AUTHORIZATION, &authorization)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
    };
    let first = send(request()).await;
    assert_eq!(first.ok()["total_consumptions"], 3);
    let mut replies = vec![];
    let concurrent: Vec<_> = (0..5).map(|_| tokio::spawn(send(request()))).collect();
    for reply in concurrent {
        replies.push(reply.await.unwrap());
    }
    for _ in 0..4 {
        replies.push(send(request()).await);
    }
    for reply in &replies {
        assert_eq!(reply.status, first.status);
        assert_eq!(reply.body, first.body, "{}", reply.text());
        assert_eq!(
            reply.headers["LicenseSignature"],
            first.headers["LicenseSignature"]
        );
    }
    let shown = latch.show_license(&company, &key);
    assert_eq!(shown["total_consumptions"], 3, "{shown}");

    // The same call a second later carries another date: a new request.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again =
        json!({"product": "app", "license_key": key, "hardware_id": "pc", "consumptions": 3});
    assert_eq!(
        server.post(creds, "add_consumption", &again).await.ok()["total_consumptions"],
        6
    );
}

both_backends!(a_replayed_activation_activates_once);

/// An activation claims its request in its own transaction. The same signed `activate_license`:
/// refused while the license is disabled, and that refusal is not kept, so once the license is
/// enabled the identical request runs and activates. Sent twelve times to two nodes, six at once,
/// it activates once (one `license.activated` event) and every answer is the same, byte for byte
/// and with the same signature.
async fn a_replayed_activation_activates_once(backend: Backend) {
    let latch = Latch::new(backend, "activation_replays").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "5"]);
    latch.cli(&["license", "disable", &key]);
    let nodes = [latch.serve(), latch.serve()];
    let creds = &company.creds;
    let date = http_date_now();
    let authorization =
        latch_wire::auth::authorization_header(&creds.api_key, &creds.shared_key, &date);
    let body = json!({"product": "app", "license_key": key, "hardware_id": "pc"}).to_string();
    let request = |node: usize| {
        let server = &nodes[node % nodes.len()];
        server
            .http
            .request(Method::POST, server.url("/api/v4/activate_license"))
            .header(DATE, &date)
            .header(AUTHORIZATION, &authorization)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
    };
    send(request(0))
        .await
        .assert_error(400, "license_not_enabled");
    latch.cli(&["license", "enable", &key]);

    // At once: one of them claims, the others wait for its answer.
    let concurrent: Vec<_> = (0..6).map(|n| tokio::spawn(send(request(n)))).collect();
    let mut replies = vec![];
    for reply in concurrent {
        replies.push(reply.await.unwrap());
    }
    for n in 0..6 {
        replies.push(send(request(n)).await);
    }
    let first = &replies[0];
    assert_eq!(first.ok()["license_key"], key.as_str());
    for reply in &replies {
        assert_eq!(reply.status, first.status);
        assert_eq!(reply.body, first.body, "{}", reply.text());
        assert_eq!(
            reply.headers["LicenseSignature"],
            first.headers["LicenseSignature"]
        );
    }
    assert_eq!(latch.devices(&company, &key).len(), 1);
    let activations = latch
        .db_scalar(
            "SELECT COUNT(*) FROM events WHERE event = 'license.activated'",
            &[],
        )
        .await;
    assert_eq!(activations, 1);
    // A request that lost the claim to an identical one drops its own answer unsigned and
    // uncounted: two answers were signed (the refusal and the activation), and no client was
    // refused with `server_busy`.
    let computed = metric_sum(
        &nodes,
        r#"latch_answer_signatures_total{source="computed"}"#,
    )
    .await;
    assert_eq!(computed, 2.0);
    let busy = metric_sum(
        &nodes,
        r#"latch_license_api_refusals_total{code="server_busy"}"#,
    )
    .await;
    assert_eq!(busy, 0.0);
}

/// The sum of one metric series over `nodes` (a node without it counts 0).
async fn metric_sum(nodes: &[support::Server], series: &str) -> f64 {
    let mut sum = 0.0;
    for node in nodes {
        sum += node.metric(series).await;
    }
    sum
}

both_backends!(password_attempts_are_limited_per_user_across_nodes);

/// One `user_licenses` call with these credentials.
async fn attempt(
    server: &support::Server,
    creds: &support::Creds,
    username: &str,
    password: &str,
) -> support::Reply {
    server
        .get(
            creds,
            "user_licenses",
            &[("username", username), ("password", password)],
        )
        .await
}

/// Three attempts per user name and 3-second window (configured): the fourth is refused with 429 and
/// `Retry-After` on either node, even with the right password; other users are unaffected; after the
/// window the right password works again.
async fn password_attempts_are_limited_per_user_across_nodes(backend: Backend) {
    let latch = Latch::new(backend, "password_limits").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    for email in ["ann@example.com", "bob@example.com"] {
        latch.cli(&[
            "user",
            "create",
            "--company",
            &id,
            "--email",
            email,
            "--password",
            "right-password",
        ]);
    }
    let env = [
        ("LATCH_PASSWORD_ATTEMPTS", "3"),
        ("LATCH_PASSWORD_WINDOW", "3"),
    ];
    let nodes = [latch.serve_with(&env), latch.serve_with(&env)];
    let creds = &company.creds;
    // The window opens when the server counts the first attempt: no later than its answer.
    let mut window_opened_by = None;
    for n in 0..3 {
        attempt(&nodes[n % 2], creds, "ann@example.com", "wrong")
            .await
            .assert_error(400, "invalid_credentials");
        window_opened_by.get_or_insert_with(std::time::Instant::now);
    }
    let window_opened_by = window_opened_by.expect("three attempts were made");
    for node in &nodes {
        let refused = attempt(node, creds, "ANN@example.com", "right-password").await;
        refused.assert_error(429, "too_many_requests");
        let retry_after: u64 = refused.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3).contains(&retry_after), "Retry-After {retry_after}");
    }
    attempt(&nodes[0], creds, "bob@example.com", "right-password")
        .await
        .ok();
    // An unknown user gets the wrong password's answer.
    attempt(&nodes[1], creds, "nobody@example.com", "wrong")
        .await
        .assert_error(400, "invalid_credentials");

    tokio::time::sleep(
        Duration::from_secs(3).saturating_sub(window_opened_by.elapsed())
            + Duration::from_millis(200),
    )
    .await;
    attempt(&nodes[1], creds, "ann@example.com", "right-password")
        .await
        .ok();
}

/// 64 parallel wrong-password requests for different users, several rounds: answered with 400 or a
/// quick 503 `server_busy`, never more; the server's resident memory stays bounded during the flood
/// and falls back after it, and `check_license` requests sent throughout the flood keep their p99
/// latency under 500 ms. The address backoff is set high, so every wrong password is really hashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_flood_keeps_memory_bounded() {
    let latch = Latch::new(Backend::Sqlite, "password_flood").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let server = Arc::new(latch.serve_with(&[("LATCH_PASSWORD_ADDRESS_FAILURES", "100000")]));
    server
        .post(
            &company.creds,
            "activate_license",
            &json!({"product": "app", "license_key": key, "hardware_id": "pc"}),
        )
        .await
        .ok();
    let flooding = Arc::new(AtomicBool::new(true));
    let checks = tokio::spawn({
        let (server, creds, flooding) = (server.clone(), company.creds.clone(), flooding.clone());
        async move {
            let query = [
                ("product", "app"),
                ("license_key", &key),
                ("hardware_id", "pc"),
            ];
            let mut latencies = Vec::new();
            while flooding.load(Ordering::Relaxed) {
                let started = Instant::now();
                server.get(&creds, "check_license", &query).await.ok();
                latencies.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            latencies
        }
    });
    let mut peak = 0;
    for round in 0..4 {
        let requests: Vec<_> = (0..64)
            .map(|n| {
                let (server, creds) = (server.clone(), company.creds.clone());
                tokio::spawn(async move {
                    let username = format!("user{round}-{n}@example.com");
                    server
                        .get(
                            &creds,
                            "user_licenses",
                            &[("username", &username), ("password", "wrong")],
                        )
                        .await
                })
            })
            .collect();
        let mut busy = 0;
        for request in requests {
            let reply = request.await.unwrap();
            match reply.status {
                400 => reply.assert_error(400, "invalid_credentials"),
                _ => {
                    assert_eq!(reply.status, 503, "{}", reply.text());
                    assert_eq!(reply.json()["code"], "server_busy");
                    assert!(reply.headers.contains_key("retry-after"));
                    busy += 1;
                }
            }
            peak = peak.max(resident_mib(server.pid()));
        }
        assert!(busy < 64, "round {round}: every request was refused");
    }
    flooding.store(false, Ordering::Relaxed);
    let mut latencies = checks.await.unwrap();
    latencies.sort();
    assert!(
        latencies.len() >= 50,
        "only {} checks ran during the flood",
        latencies.len()
    );
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    assert!(
        peak < 512,
        "resident memory reached {peak} MiB during the flood"
    );
    assert!(
        p99 < Duration::from_millis(500),
        "check_license p99 was {p99:?} during the flood ({} checks)",
        latencies.len()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = resident_mib(server.pid());
    eprintln!(
        "resident memory: {peak} MiB at the peak of the flood, {after} MiB 10 s after; \
         check_license p99 {p99:?} over {} checks during the flood",
        latencies.len()
    );
    assert!(
        after < 256,
        "resident memory is {after} MiB 10 s after the flood (peak {peak} MiB)"
    );
}

/// The resident set of a process, in MiB (Linux).
fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Configured low, each rate limit answers 429 `too_many_requests` with `Retry-After` once its burst is
/// used: activations of one license, trials of one product from one address, requests from one address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    let latch = Latch::new(Backend::Sqlite, "rate_limits").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    latch.cli(&[
        "product",
        "create",
        "--company",
        &id,
        "--code",
        "app",
        "--name",
        "App",
        "--allow-trial",
    ]);
    let key = latch.license(&company, "app", &["--max-activations", "100"]);
    let other_key = latch.license(&company, "app", &["--max-activations", "100"]);
    let creds = &company.creds;
    let server = latch.serve_with(&[
        ("LATCH_RATE_LIMIT_ACTIVATIONS", "3"),
        ("LATCH_RATE_LIMIT_TRIALS", "2"),
    ]);
    let activate = |key: &str, n: usize| json!({"product": "app", "license_key": key, "hardware_id": format!("pc-{n}")});
    for n in 0..3 {
        server
            .post(creds, "activate_license", &activate(&key, n))
            .await
            .ok();
    }
    let limited = server
        .post(creds, "activate_license", &activate(&key, 3))
        .await;
    limited.assert_error(429, "too_many_requests");
    assert!(limited.headers.contains_key("retry-after"));
    server
        .post(creds, "activate_license", &activate(&other_key, 0))
        .await
        .ok();
    for n in 0..2 {
        let hardware_id = format!("trial-{n}");
        server
            .get(
                creds,
                "trial_key",
                &[("product", "app"), ("hardware_id", &hardware_id)],
            )
            .await
            .ok();
    }
    let trial = server
        .get(
            creds,
            "trial_key",
            &[("product", "app"), ("hardware_id", "trial-2")],
        )
        .await;
    trial.assert_error(429, "too_many_requests");
    drop(server);

    let server = latch.serve_with(&[("LATCH_RATE_LIMIT_PER_ADDRESS", "5")]);
    let check = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "pc-0"),
    ];
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(server.get(creds, "check_license", &check).await.status);
    }
    assert_eq!(statuses[..5], [200; 5], "{statuses:?}");
    assert!(statuses[5..].contains(&429), "{statuses:?}");
    drop(server);

    // Over its API key's rate: refused like the others, and counted with the company's refusals.
    let server = latch.serve_with(&[("LATCH_RATE_LIMIT_PER_API_KEY", "5")]);
    let mut limited = 0;
    for _ in 0..8 {
        let reply = server.get(creds, "check_license", &check).await;
        if reply.status == 429 {
            reply.assert_error(429, "too_many_requests");
            limited += 1;
        }
    }
    assert!(limited > 0, "no request was over the key's rate");
    let refused = server
        .metric(r#"latch_license_api_refusals_total{code="too_many_requests"}"#)
        .await;
    assert_eq!(refused, f64::from(limited));
}

both_backends!(activations_are_limited_per_license_across_nodes);

/// Four activations per license and minute (configured), counted in the database: activations split
/// over two nodes are refused on both once together they pass the limit; another license is unaffected.
async fn activations_are_limited_per_license_across_nodes(backend: Backend) {
    let latch = Latch::new(backend, "activation_limit").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "100"]);
    let other_key = latch.license(&company, "app", &["--max-activations", "100"]);
    let env = [("LATCH_RATE_LIMIT_ACTIVATIONS", "4")];
    let nodes = [latch.serve_with(&env), latch.serve_with(&env)];
    let creds = &company.creds;
    let activate = |key: &str, n: usize| json!({"product": "app", "license_key": key, "hardware_id": format!("pc-{n}")});
    for n in 0..4 {
        nodes[n % 2]
            .post(creds, "activate_license", &activate(&key, n))
            .await
            .ok();
    }
    for (n, node) in nodes.iter().enumerate() {
        let refused = node
            .post(creds, "activate_license", &activate(&key, 4 + n))
            .await;
        refused.assert_error(429, "too_many_requests");
        let retry_after = retry_after_secs(&refused);
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    }
    assert_eq!(latch.devices(&company, &key).len(), 4);
    for (n, node) in nodes.iter().enumerate() {
        node.post(creds, "activate_license", &activate(&other_key, n))
            .await
            .ok();
    }
}

fn retry_after_secs(reply: &support::Reply) -> u64 {
    reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A signed License API request sent from a client bound to `from`, a loopback address of its own,
/// so the server sees another client address.
async fn from_address(
    server: &support::Server,
    from: IpAddr,
    creds: &support::Creds,
    method: Method,
    endpoint: &str,
    params: &Value,
) -> support::Reply {
    let client = reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let date = support::http_date_now();
    let request = client
        .request(method.clone(), server.url(&format!("/api/v4/{endpoint}")))
        .header(DATE, &date)
        .header(
            AUTHORIZATION,
            latch_wire::auth::authorization_header(&creds.api_key, &creds.shared_key, &date),
        );
    send(if method == Method::GET {
        request.query(params)
    } else {
        request
            .header(CONTENT_TYPE, "application/json")
            .body(support::distinct(params).to_string())
    })
    .await
}

/// Three failed passwords per client address (configured), backing off to at most 2 s: the failures
/// count on every endpoint that checks a password; then the address is refused with 429 and
/// `Retry-After`, even with the right password, 1 s after the third failure and twice as long after
/// each further one, up to the cap; another address is unaffected; once the wait is over the right
/// password works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_failures_from_one_address_back_off() {
    let latch = Latch::new(Backend::Sqlite, "password_backoff").await;
    let company = latch.company("Acme");
    let id = company.id.to_string();
    latch.cli(&[
        "user",
        "create",
        "--company",
        &id,
        "--email",
        "ann@example.com",
        "--password",
        "right-password",
    ]);
    let server = latch.serve_with(&[
        ("LATCH_PASSWORD_ADDRESS_FAILURES", "3"),
        ("LATCH_PASSWORD_ADDRESS_MAX_BACKOFF", "2"),
        ("LATCH_PASSWORD_ATTEMPTS", "100"),
    ]);
    let creds = &company.creds;
    let (guesser, other): (IpAddr, IpAddr) =
        ("127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap());
    let user_licenses = |from, password: &str| {
        let params = json!({"username": "ann@example.com", "password": password});
        let server = &server;
        async move { from_address(server, from, creds, Method::GET, "user_licenses", &params).await }
    };
    let user_activation = json!({
        "product": "app", "hardware_id": "pc", "username": "ann@example.com", "password": "wrong"
    });
    let borrow = json!({
        "product": "app", "hardware_id": "pc", "username": "ann@example.com", "password": "wrong"
    });
    let change = json!({
        "username": "ann@example.com", "password": "wrong", "new_password": "another-password"
    });
    let failures = [
        (Method::POST, "activate_license", &user_activation),
        (Method::POST, "change_password", &change),
        (Method::POST, "floating/borrow", &borrow),
    ];
    for (method, endpoint, params) in failures {
        from_address(&server, guesser, creds, method, endpoint, params)
            .await
            .assert_error(400, "invalid_credentials");
    }
    let refused = user_licenses(guesser, "right-password").await;
    refused.assert_error(429, "too_many_requests");
    assert_eq!(retry_after_secs(&refused), 1);
    user_licenses(other, "wrong")
        .await
        .assert_error(400, "invalid_credentials");
    user_licenses(other, "right-password").await.ok();

    // 1 s after the third failure the address may try again; its fourth failure costs 2 s, and so does
    // its fifth (the cap).
    let mut wait = 1;
    for expected_wait in [2, 2] {
        tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
        user_licenses(guesser, "wrong")
            .await
            .assert_error(400, "invalid_credentials");
        let refused = user_licenses(guesser, "right-password").await;
        refused.assert_error(429, "too_many_requests");
        assert_eq!(retry_after_secs(&refused), expected_wait);
        wait = expected_wait;
    }
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    user_licenses(guesser, "right-password").await.ok();
}
