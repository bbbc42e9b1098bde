//! Bounded fuzzing of the License API: thousands of correctly signed requests with mutated parameters
//! and bodies (wrong types, huge and negative numbers, long, unicode and NUL strings, missing fields,
//! broken JSON) over every endpoint, against a real `latch serve` on SQLite. No answer may be a 5xx, and
//! the server must still answer afterwards. Deterministic: the mutations come from a fixed seed.
//! `LATCH_FUZZ_REQUESTS` sets the count (default 20,000, under a minute here).

#[path = "support/mod.rs"]
#[macro_use]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Map, Value};
use support::{send, Backend, Latch};

const DEFAULT_REQUESTS: usize = 20_000;
const CONCURRENCY: usize = 8;

const POST_ENDPOINTS: [&str; 10] = [
    "activate_license",
    "deactivate_license",
    "track_device_variables",
    "add_consumption",
    "add_feature_consumption",
    "floating/release",
    "floating/borrow",
    "floating/feature_borrow",
    "floating/feature_release",
    "change_password",
];
const GET_ENDPOINTS: [&str; 9] = [
    "check_license",
    "get_device_variables",
    "check_license_feature",
    "trial_key",
    "product_details",
    "user_licenses",
    "customer_license_users",
    "versions",
    "installation_file",
];

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn odd_string(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => String::new(),
        1 => "\0".repeat(1 + rng.below(4)),
        2 => "é漢字🦀\u{202e}\u{feff}".repeat(1 + rng.below(3)),
        3 => "x".repeat(1000 + rng.below(2000)),
        4 => "9".repeat(1 + rng.below(40)),
        5 => "-1".to_owned(),
        6 => "2030-13-45T25:61:61Z".to_owned(),
        7 => "a@b|c@d".to_owned(),
        _ => format!("' OR 1=1; -- {}", rng.next()),
    }
}

fn odd_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 8 } else { 10 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(*rng.pick(&[0i64, -1, 1, i64::MAX, i64::MIN, 2_147_483_648])),
        3 => json!(*rng.pick(&[0.5f64, -1e308, 1e308, 3.0])),
        4 => json!(u64::MAX),
        5..=7 => Value::String(odd_string(rng)),
        8 => Value::Array(
            (0..rng.below(4))
                .map(|_| odd_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut object = Map::new();
            for _ in 0..rng.below(4) {
                object.insert(odd_string(rng), odd_value(rng, depth + 1));
            }
            Value::Object(object)
        }
    }
}

/// Well-formed parameters of every endpoint, as a base to mutate.
fn base(key: &str) -> Map<String, Value> {
    let value = json!({
        "product": "app",
        "license_key": key,
        "hardware_id": "fuzz-pc",
        "username": "fuzz@example.com",
        "password": "fuzz-password",
        "new_password": "another-password",
        "email": "trial@example.com",
        "customer": "buyer@example.com",
        "feature": "credits",
        "consumptions": 1,
        "license_id": 1,
        "borrowed_until": "2030-01-01T00:00:00Z",
        "variables": {"os": "linux"},
        "version": "1.0.0",
        "is_vm": false,
        "os_ver": "linux",
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

fn mutate(rng: &mut Rng, mut params: Map<String, Value>) -> Map<String, Value> {
    for _ in 0..1 + rng.below(4) {
        let names: Vec<String> = params.keys().cloned().collect();
        if names.is_empty() {
            break;
        }
        let name = rng.pick(&names).clone();
        match rng.below(4) {
            0 => {
                params.remove(&name);
            }
            1 => {
                params.insert(odd_string(rng), odd_value(rng, 0));
            }
            _ => {
                params.insert(name, odd_value(rng, 0));
            }
        }
    }
    params
}

/// A body that is not a well-formed object at all.
fn broken_body(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => b"{\"product\": ".to_vec(),
        1 => "[".repeat(5000).into_bytes(),
        2 => b"\"just a string\"".to_vec(),
        3 => vec![0xff, 0xfe, 0x00, 0x7b],
        4 => b"{\"product\": \"app\", \"product\": 1}".to_vec(),
        _ => format!("{{\"a\": {}}}", "1".repeat(400)).into_bytes(),
    }
}

fn query_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_signed_requests_never_get_a_5xx() {
    let total: usize = std::env::var("LATCH_FUZZ_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_REQUESTS);
    let latch = Latch::new(Backend::Sqlite, "fuzz").await;
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
    latch.cli(&[
        "product",
        "add-feature",
        "--company",
        &id,
        "--product",
        "app",
        "--code",
        "credits",
        "--name",
        "Credits",
        "--type",
        "consumption",
    ]);
    let key = latch.license(
        &company,
        "app",
        &[
            "--type",
            "consumption",
            "--max-consumptions",
            "1000000",
            "--floating-users",
            "5",
            "--max-activations",
            "1000000",
        ],
    );
    let off = [
        ("LATCH_RATE_LIMIT_PER_ADDRESS", "0"),
        ("LATCH_RATE_LIMIT_PER_API_KEY", "0"),
        ("LATCH_RATE_LIMIT_ACTIVATIONS", "0"),
        ("LATCH_RATE_LIMIT_TRIALS", "0"),
        ("LATCH_PASSWORD_ADDRESS_FAILURES", "0"),
    ];
    let server = Arc::new(latch.serve_with(&off));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|worker| {
            let (server, creds, key) = (server.clone(), company.creds.clone(), key.clone());
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (worker as u64 + 1));
                let mut statuses = BTreeMap::<u16, usize>::new();
                for _ in 0..total / CONCURRENCY {
                    let post = rng.below(2) == 0;
                    let params = mutate(&mut rng, base(&key));
                    let request = if post {
                        let endpoint = rng.pick(&POST_ENDPOINTS);
                        let body = if rng.below(10) == 0 {
                            broken_body(&mut rng)
                        } else {
                            Value::Object(params).to_string().into_bytes()
                        };
                        server.signed(Method::POST, endpoint, &creds).body(body)
                    } else {
                        let endpoint = rng.pick(&GET_ENDPOINTS);
                        let query: Vec<(String, String)> = params
                            .iter()
                            .map(|(k, v)| (k.clone(), query_text(v)))
                            .collect();
                        server.signed(Method::GET, endpoint, &creds).query(&query)
                    };
                    let described = format!("{request:?}");
                    let reply = send(request).await;
                    assert!(
                        reply.status < 500,
                        "{} for {described}: {}",
                        reply.status,
                        reply.text()
                    );
                    *statuses.entry(reply.status).or_default() += 1;
                }
                statuses
            })
        })
        .collect();
    let mut statuses = BTreeMap::<u16, usize>::new();
    for worker in workers {
        for (status, count) in worker.await.unwrap() {
            *statuses.entry(status).or_default() += count;
        }
    }
    eprintln!("fuzz answers by status: {statuses:?}");
    assert_eq!(server.plain(Method::GET, "/healthz").await.text(), "ok");
    assert!(
        statuses.get(&200).is_some_and(|&ok| ok > 0),
        "nothing succeeded: {statuses:?}"
    );
}
