//! Checks answered from memory never show a license as it was before a committed change: on SQLite
//! the very next check sees a change made by the CLI (another process); on PostgreSQL a change made
//! elsewhere is seen within the documented bound, and a node's own writes at once. Each is repeated
//! under a background load of checks, so the cache is hot while the changes land.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Backend, Company, Latch, Reply, Server};

/// PostgreSQL's staleness bound (`latch_store::changes::STALENESS_BOUND`) plus scheduling slack on a
/// loaded two-core machine.
const POSTGRES_BOUND: Duration = Duration::from_millis(500 + 1_500);
const ROUNDS: usize = 8;

async fn check(server: &Server, company: &Company, key: &str, hardware_id: &str) -> Reply {
    let query = [
        ("product", "app"),
        ("license_key", key),
        ("hardware_id", hardware_id),
    ];
    server.get(&company.creds, "check_license", &query).await
}

async fn activate(server: &Server, company: &Company, key: &str, hardware_id: &str) {
    let body = json!({"product": "app", "license_key": key, "hardware_id": hardware_id});
    server
        .post(&company.creds, "activate_license", &body)
        .await
        .ok();
}

/// Checks of other devices in a loop until dropped, so the cache is busy while changes land. Paced to
/// stay under the per-address request limit (500/s) together with the test's own checks.
struct BackgroundLoad {
    running: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<u64>,
}

impl BackgroundLoad {
    fn start(server: Arc<Server>, company: Company, key: String) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let task = tokio::spawn(async move {
            let mut checks = 0;
            while flag.load(Ordering::Relaxed) {
                check(&server, &company, &key, "busy-device").await.ok();
                checks += 1;
                tokio::time::sleep(std::time::Duration::from_millis(4)).await;
            }
            checks
        });
        Self { running, task }
    }

    async fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        self.task.await.expect("background checks")
    }
}

/// How many checks this server answered from memory, from its metrics.
async fn cache_hits(server: &Server) -> u64 {
    server
        .metric(r#"latch_check_cache_lookups_total{result="hit"}"#)
        .await as u64
}

/// Polls checks until one answers `expected_code` (`None`: success); how long that took after `since`.
async fn seen_after(
    server: &Server,
    company: &Company,
    key: &str,
    expected_code: Option<&str>,
    since: Instant,
    bound: Duration,
) -> Duration {
    loop {
        let reply = check(server, company, key, "hw-1").await;
        let code = (reply.status != 200).then(|| reply.error_code());
        if code.as_deref() == expected_code {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < bound,
            "still answering {code:?} instead of {expected_code:?} {:?} after the change",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Deployment {
    latch: Latch,
    company: Company,
    key: String,
    busy_key: String,
}

async fn deployment(backend: Backend, name: &str) -> Deployment {
    let latch = Latch::new(backend, name).await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &["--max-activations", "100"]);
    let busy_key = latch.license(&company, "app", &[]);
    Deployment {
        latch,
        company,
        key,
        busy_key,
    }
}

/// A license disabled and enabled again by the CLI (another process) is refused, then accepted, by
/// the next check on SQLite and within the bound on PostgreSQL, every time.
async fn vendor_changes_reach_the_next_check(backend: Backend) {
    let d = deployment(backend, "cache_vendor").await;
    let server = Arc::new(d.latch.serve());
    activate(&server, &d.company, &d.key, "hw-1").await;
    activate(&server, &d.company, &d.busy_key, "busy-device").await;
    let load = BackgroundLoad::start(server.clone(), d.company.clone(), d.busy_key.clone());
    for round in 0..ROUNDS {
        check(&server, &d.company, &d.key, "hw-1").await.ok();
        check(&server, &d.company, &d.key, "hw-1").await.ok();
        d.latch.cli(&["license", "disable", &d.key]);
        let disabled = Instant::now();
        match backend {
            Backend::Sqlite => check(&server, &d.company, &d.key, "hw-1")
                .await
                .assert_error(400, "license_not_enabled"),
            Backend::Postgres => {
                let bound = POSTGRES_BOUND;
                seen_after(
                    &server,
                    &d.company,
                    &d.key,
                    Some("license_not_enabled"),
                    disabled,
                    bound,
                )
                .await;
            }
        }
        d.latch.cli(&["license", "enable", &d.key]);
        let enabled = Instant::now();
        match backend {
            Backend::Sqlite => {
                check(&server, &d.company, &d.key, "hw-1").await.ok();
            }
            Backend::Postgres => {
                seen_after(&server, &d.company, &d.key, None, enabled, POSTGRES_BOUND).await;
            }
        }
        eprintln!("round {round} done");
    }
    let busy_checks = load.stop().await;
    assert!(busy_checks > 0);
    assert!(
        cache_hits(&server).await > ROUNDS as u64,
        "the checks above must have been answered from memory for this test to mean anything"
    );
}

/// A deactivation through the License API is seen by the same node's very next check, on both
/// backends: a node's own writes never leave its cache stale.
async fn own_writes_reach_the_next_check(backend: Backend) {
    let d = deployment(backend, "cache_own").await;
    let server = Arc::new(d.latch.serve());
    activate(&server, &d.company, &d.busy_key, "busy-device").await;
    let load = BackgroundLoad::start(server.clone(), d.company.clone(), d.busy_key.clone());
    let deactivation = json!({"product": "app", "license_key": d.key, "hardware_id": "hw-1"});
    for _ in 0..ROUNDS {
        activate(&server, &d.company, &d.key, "hw-1").await;
        check(&server, &d.company, &d.key, "hw-1").await.ok();
        check(&server, &d.company, &d.key, "hw-1").await.ok();
        server
            .post(&d.company.creds, "deactivate_license", &deactivation)
            .await
            .ok();
        check(&server, &d.company, &d.key, "hw-1")
            .await
            .assert_error(400, "license_not_active");
    }
    load.stop().await;
    assert!(cache_hits(&server).await > ROUNDS as u64);
}

/// Two PostgreSQL nodes: a deactivation on one is seen by the other within the bound.
async fn other_nodes_writes_reach_checks_within_the_bound() {
    let d = deployment(Backend::Postgres, "cache_nodes").await;
    let writer = d.latch.serve();
    let reader = Arc::new(d.latch.serve());
    activate(&reader, &d.company, &d.busy_key, "busy-device").await;
    let load = BackgroundLoad::start(reader.clone(), d.company.clone(), d.busy_key.clone());
    let deactivation = json!({"product": "app", "license_key": d.key, "hardware_id": "hw-1"});
    for _ in 0..ROUNDS {
        activate(&writer, &d.company, &d.key, "hw-1").await;
        let activated = Instant::now();
        seen_after(&reader, &d.company, &d.key, None, activated, POSTGRES_BOUND).await;
        check(&reader, &d.company, &d.key, "hw-1").await.ok();
        writer
            .post(&d.company.creds, "deactivate_license", &deactivation)
            .await
            .ok();
        let deactivated = Instant::now();
        seen_after(
            &reader,
            &d.company,
            &d.key,
            Some("license_not_active"),
            deactivated,
            POSTGRES_BOUND,
        )
        .await;
    }
    load.stop().await;
    assert!(cache_hits(&reader).await > 0);
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn vendor_changes_reach_the_next_check() {
        super::vendor_changes_reach_the_next_check(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn own_writes_reach_the_next_check() {
        super::own_writes_reach_the_next_check(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn vendor_changes_reach_the_next_check() {
        super::vendor_changes_reach_the_next_check(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn own_writes_reach_the_next_check() {
        super::own_writes_reach_the_next_check(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_nodes_writes_reach_checks_within_the_bound() {
        super::other_nodes_writes_reach_checks_within_the_bound().await;
    }
}
