//! What an operator sees of a real `latch`: request log lines without secrets (text and JSON), the
//! Prometheus metrics, private data files, backups and their restore, and a plain message when
//! PostgreSQL is unreachable.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use support::{Backend, Latch, Server};

const LICENSE_KEY: &str = "SECRETKEY-1234-5678";
const PASSWORD: &str = "hunter2-password";

/// A signed check carrying a license key and a password in its query string, as SDK GETs do.
async fn check_with_secrets(latch: &Latch, server: &Server) -> support::Company {
    let company = latch.company("Acme");
    latch.product(&company, "app");
    latch.license(&company, "app", &["--key", LICENSE_KEY]);
    server
        .get(
            &company.creds,
            "check_license",
            &[
                ("product", "app"),
                ("license_key", LICENSE_KEY),
                ("hardware_id", "pc-0001"),
                ("password", PASSWORD),
            ],
        )
        .await
        .assert_error(400, "license_not_active");
    company
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_line_names_the_request_without_its_secrets() {
    let latch = Latch::new(Backend::Sqlite, "request_line").await;
    let server = latch.serve_with(&[("LATCH_LOG", "info")]);
    let company = check_with_secrets(&latch, &server).await;
    let log = server.stop();
    let line = log
        .lines()
        .find(|line| line.contains("check_license") && line.contains("status=400"))
        .unwrap_or_else(|| panic!("no request line for the check:\n{log}"));
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains("request_id="), "{line}");
    assert!(
        line.contains(&format!("company_id={}", company.id)),
        "{line}"
    );
    assert!(line.contains("latency_ms="), "{line}");
    assert!(line.contains("license_key=SECR…"), "{line}");
    assert!(
        !log.contains(LICENSE_KEY),
        "the license key is in the log:\n{log}"
    );
    assert!(
        !log.contains(PASSWORD),
        "the password is in the log:\n{log}"
    );
    assert!(!log.contains('\x1b'), "colour codes in a log file:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_names_its_request_id_and_the_log_line_carries_it() {
    let latch = Latch::new(Backend::Sqlite, "request_ids").await;
    let server = latch.serve_with(&[("LATCH_LOG", "info")]);
    let sent_id = |id: &str| {
        server
            .http
            .get(server.url("/healthz"))
            .header("x-request-id", id.to_owned())
            .send()
    };
    let answer = sent_id("order-42/retry-1").await.unwrap();
    assert_eq!(answer.headers()["x-request-id"], "order-42/retry-1");
    // Too long to keep: replaced like a missing one.
    let too_long = "x".repeat(129);
    let replaced = sent_id(&too_long).await.unwrap();
    let mut generated = Vec::new();
    for answer in [
        replaced,
        server
            .http
            .get(server.url("/nowhere"))
            .send()
            .await
            .unwrap(),
    ] {
        let id = answer.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let parsed = uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(parsed.get_version_num(), 4, "{id}");
        generated.push(id);
    }
    assert_ne!(generated[0], generated[1]);
    let log = server.stop();
    for id in ["order-42/retry-1", &generated[0], &generated[1]] {
        assert!(
            log.lines()
                .any(|line| line.contains(&format!("request_id={id} ")) && line.contains("request")),
            "no request line with {id}:\n{log}"
        );
    }
    assert!(!log.contains(&too_long), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let latch = Latch::new(Backend::Sqlite, "json_logs").await;
    let server = latch.serve_with(&[("LATCH_LOG", "info"), ("LATCH_LOG_FORMAT", "json")]);
    let company = check_with_secrets(&latch, &server).await;
    let log = server.stop();
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let request = lines
        .iter()
        .find(|line| line["span"]["path"] == "/api/v4/check_license")
        .unwrap_or_else(|| panic!("no request line for the check:\n{log}"));
    assert_eq!(request["fields"]["status"], 400, "{request}");
    assert_eq!(request["span"]["company_id"], company.id, "{request}");
    assert!(request["span"]["request_id"].is_string(), "{request}");
    assert!(
        !log.contains(LICENSE_KEY) && !log.contains(PASSWORD),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_signatures_by_source() {
    let latch = Latch::new(Backend::Sqlite, "metrics").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let server = latch.serve();
    let query = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "pc"),
    ];
    for _ in 0..2 {
        server
            .get(&company.creds, "check_license", &query)
            .await
            .assert_error(400, "license_not_active");
    }
    server.plain(Method::GET, "/no/such/path").await;

    let answer = server.plain(Method::GET, "/metrics").await;
    assert_eq!(answer.status, 200, "/metrics needs no License API auth");
    let samples = support::parse_metrics(&answer.text());
    let value = |series: &str| {
        samples
            .get(series)
            .copied()
            .unwrap_or_else(|| panic!("no {series} in\n{}", answer.text()))
    };
    assert_eq!(
        value(r#"latch_http_requests_total{route="/api/v4/check_license",status="400"}"#),
        2.0
    );
    assert_eq!(
        value(r#"latch_http_requests_total{route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(
        value(r#"latch_http_request_duration_seconds_count{route="/api/v4/check_license"}"#),
        2.0
    );
    // The same refusal twice: signed once, then taken from the cache.
    assert_eq!(
        value(r#"latch_answer_signatures_total{source="computed"}"#),
        1.0
    );
    assert_eq!(
        value(r#"latch_answer_signatures_total{source="cached"}"#),
        1.0
    );
    assert!(value("latch_write_behind_queue_depth") >= 0.0);
    assert!(value("latch_connections_open") >= 1.0);
    // SQLite's single writer connection is open from the start.
    let writer = value(r#"latch_database_connections{pool="writer",state="idle"}"#)
        + value(r#"latch_database_connections{pool="writer",state="busy"}"#);
    assert_eq!(writer, 1.0);
    let api = server.plain(Method::GET, "/api/v4/metrics").await;
    assert_eq!(api.status, 404, "metrics are not part of the License API");
    server.stop();
}

both_backends!(an_activated_device_signs_once_on_its_first_check);

/// The v1 license signature made at activation is stored with the device, so the device's first
/// check, even on a node that never saw it, signs only its answer.
async fn an_activated_device_signs_once_on_its_first_check(backend: Backend) {
    let latch = Latch::new(backend, "one_signature").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let server = latch.serve();
    server
        .post(
            &company.creds,
            "activate_license",
            &serde_json::json!({"product": "app", "license_key": key, "hardware_id": "pc"}),
        )
        .await
        .ok();
    assert_eq!(
        server
            .metric(r#"latch_license_signatures_total{source="computed"}"#)
            .await,
        1.0
    );
    // A graceful stop writes what was queued behind the answers; the next node starts empty.
    server.stop();
    let server = latch.serve();
    let query = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "pc"),
    ];
    server
        .get(&company.creds, "check_license", &query)
        .await
        .ok();
    let computed = |kind: &str| format!(r#"latch_{kind}_signatures_total{{source="computed"}}"#);
    assert_eq!(server.metric(&computed("license")).await, 0.0);
    assert_eq!(
        server
            .metric(r#"latch_license_signatures_total{source="stored"}"#)
            .await,
        1.0
    );
    assert_eq!(server.metric(&computed("answer")).await, 1.0);
    server.stop();
}

both_backends!(a_renewed_license_signs_only_its_answers);

/// Whether `signature` (base64) is the company's RSA signature over `message`.
fn signed_over(company: &support::Company, message: &str, signature: &str) -> bool {
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .unwrap();
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        support::spki_der(&company.public_key_pem),
    )
    .verify(message.as_bytes(), &signature)
    .is_ok()
}

/// A renewal signs the v1 license signatures of the license's active devices for the new validity
/// and stores them with it, so each device's next check signs only its answer: on a node started
/// after the renewal, and on a running node that learns of it from the database.
async fn a_renewed_license_signs_only_its_answers(backend: Backend) {
    let latch = Latch::new(backend, "renewal_signatures").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(
        &company,
        "app",
        &["--type", "subscription", "--valid-until", "2090-01-01"],
    );
    let query = [
        ("product", "app"),
        ("license_key", key.as_str()),
        ("hardware_id", "PC-1"),
    ];
    let server = latch.serve();
    server
        .post(
            &company.creds,
            "activate_license",
            &serde_json::json!({"product": "app", "license_key": key, "hardware_id": "PC-1"}),
        )
        .await
        .ok();
    server.stop();
    let computed = |kind: &str| format!(r#"latch_{kind}_signatures_total{{source="computed"}}"#);

    latch.cli(&["license", "renew", &key, "--valid-until", "2095-01-01"]);
    let server = latch.serve();
    // Then renewed again while this node runs and has the device's answer in memory.
    for (renewals, until) in [(1.0, "2095-01-01"), (2.0, "2099-01-01")] {
        if renewals > 1.0 {
            latch.cli(&["license", "renew", &key, "--valid-until", until]);
        }
        let validity = format!("{until}T00:00:00.000Z");
        // PostgreSQL nodes learn of another's commit within the documented bound.
        let deadline = Instant::now() + Duration::from_secs(10);
        let body = loop {
            let body = server
                .get(&company.creds, "check_license", &query)
                .await
                .ok();
            if body["validity_period"] == validity.as_str() || Instant::now() > deadline {
                break body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(body["validity_period"], validity.as_str(), "{body}");
        let message = format!("pc-1#{key}#{validity}").to_lowercase();
        assert!(
            signed_over(
                &company,
                &message,
                body["license_signature"].as_str().unwrap()
            ),
            "the stored v1 signature covers the new validity: {body}"
        );
        assert_eq!(server.metric(&computed("license")).await, 0.0);
        assert_eq!(server.metric(&computed("answer")).await, renewals);
    }
    server.stop();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_and_database_files_are_private() {
    let latch = Latch::new(Backend::Sqlite, "file_modes").await;
    let data = latch.dir.join("data");
    let created = latch
        .command()
        .env("LATCH_DATA_DIR", &data)
        .args(["company", "create", "--name", "Acme"])
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("latch.db")), 0o600);
    for extra in ["latch.db-wal", "latch.db-shm"] {
        if data.join(extra).exists() {
            assert_eq!(mode(&data.join(extra)), 0o600, "{extra}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_is_a_private_copy_that_restores() {
    let latch = Latch::new(Backend::Sqlite, "backup").await;
    let company = latch.company("Acme");
    let server = latch.serve();
    let out = latch.dir.join("copy.db");
    let out_arg = out.display().to_string();
    let done = latch.cli(&["backup", "--out", &out_arg]);
    assert_eq!(done["backup"], out_arg.as_str());
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600);
    let again = latch.cli_error(&["backup", "--out", &out_arg]);
    assert!(again.contains("already exists"), "{again}");
    server.stop();

    // Restore: the copy as latch.db of a new data dir, with the same master key.
    let restored = Latch::new(Backend::Sqlite, "restored").await;
    std::fs::copy(&out, restored.dir.join("latch.db")).unwrap();
    std::fs::copy(
        latch.dir.join("master.key"),
        restored.dir.join("master.key"),
    )
    .unwrap();
    let listed = restored.cli(&["company", "list"]);
    assert_eq!(listed["total"], 1, "{listed}");
    let key = restored
        .command()
        .args([
            "company",
            "public-key",
            "--company",
            &company.id.to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&key.stdout), company.public_key_pem);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_points_to_pg_dump() {
    let latch = Latch::new(Backend::Postgres, "backup_pg").await;
    let out = latch.dir.join("copy.db").display().to_string();
    let refused = latch.cli_error(&["backup", "--out", &out]);
    assert!(refused.contains("pg_dump"), "{refused}");
    assert!(refused.contains("--schema="), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_is_reported_at_once() {
    let latch = Latch::new(Backend::Sqlite, "pg_unreachable").await;
    let started = Instant::now();
    let output = latch
        .command()
        .env("LATCH_DATABASE_URL", "postgres://latch@127.0.0.1:1/latch")
        .args(["company", "list"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect to PostgreSQL at 127.0.0.1:1: connection refused"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
