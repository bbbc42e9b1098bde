//! Shared helpers for the integration tests: a Latch deployment on a chosen storage backend (its data
//! dir, and for PostgreSQL its own schema), the vendor CLI with `--json`, `latch serve` processes,
//! signed License API requests, and a local receiver of webhook deliveries.
//!
//! Every test runs once per backend (see [`both_backends!`]): SQLite in a fresh temp data dir, and
//! PostgreSQL at `LATCH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) in a
//! schema of its own, dropped at the end. An unreachable PostgreSQL fails the PostgreSQL variants.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, DATE};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use sqlx::Connection as _;

pub const LATCH: &str = env!("CARGO_BIN_EXE_latch");
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// How long a started server may take to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);
/// Every HTTP request's time limit: a hung server fails the test instead of hanging it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Instantiates each named `async fn NAME(backend: Backend)` as two tests, `NAME::sqlite` and
/// `NAME::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await
            }
        }
    )*};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_url() -> String {
    std::env::var("LATCH_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

async fn connect_postgres(url: &str) -> sqlx::PgConnection {
    let attempt = tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect(url));
    match attempt.await {
        Ok(Ok(conn)) => conn,
        Ok(Err(error)) => panic!(
            "PostgreSQL is unreachable at {url}: {error}. The PostgreSQL variant of this test needs \
             a running server: start it or point LATCH_TEST_POSTGRES_URL at one"
        ),
        Err(_) => panic!(
            "PostgreSQL at {url} did not answer within 10 s. The PostgreSQL variant of this test \
             needs a running server: start it or point LATCH_TEST_POSTGRES_URL at one"
        ),
    }
}

static UNIQUE: AtomicU32 = AtomicU32::new(0);

/// API key credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    pub api_key: String,
    pub shared_key: String,
}

impl Creds {
    fn from_json(value: &Value) -> Self {
        Self {
            api_key: str_field(value, "api_key"),
            shared_key: str_field(value, "shared_key"),
        }
    }
}

/// A company made with `latch company create`.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub creds: Creds,
    pub public_key_pem: String,
}

fn str_field(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string in {value}"))
        .to_owned()
}

/// One deployment: a data dir (SQLite database, master key, server logs) and, on PostgreSQL, a schema
/// of its own. Every CLI call and server of the deployment shares both.
pub struct Latch {
    pub backend: Backend,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
    servers_started: AtomicU32,
}

impl Latch {
    /// A fresh, empty deployment. `name` only makes leftovers recognisable.
    pub async fn new(backend: Backend, name: &str) -> Self {
        // reqwest's rustls comes without a crypto provider (Latch's webhook client brings its own):
        // the test clients use the one Latch uses.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let unique = format!(
            "{}_{}_{}",
            name.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(30)
                .collect::<String>()
                .to_ascii_lowercase(),
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("latch-it-{unique}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the test data dir");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let url = postgres_url();
                // Fail here, with a clear message, rather than in the first CLI call.
                connect_postgres(&url).await.close().await.ok();
                Some((url, format!("latch_it_{unique}")))
            }
        };
        Self {
            backend,
            dir,
            postgres,
            servers_started: AtomicU32::new(0),
        }
    }

    /// `latch` with this deployment's environment (and none of the caller's `LATCH_*` settings).
    pub fn command(&self) -> Command {
        let mut command = Command::new(LATCH);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("LATCH_") {
                command.env_remove(name);
            }
        }
        command
            .env("LATCH_DATA_DIR", &self.dir)
            .env("LATCH_LOG", "warn,sqlx=warn")
            .stdin(Stdio::null());
        if let Some((url, schema)) = &self.postgres {
            command
                .env("LATCH_DATABASE_URL", url)
                .env("LATCH_DATABASE_SCHEMA", schema);
        }
        command
    }

    /// Runs `latch ARGS --json` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .arg("--json")
            .output()
            .expect("run the latch binary")
    }

    /// Runs `latch ARGS --json`, which must succeed and print one JSON object.
    pub fn cli(&self, args: &[&str]) -> Value {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "latch {args:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
            output.status
        );
        let value: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("latch {args:?} printed no single JSON value ({e}):\n{stdout}")
        });
        assert!(
            value.is_object(),
            "latch {args:?} printed {value}, not an object"
        );
        value
    }

    /// Runs `latch ARGS --json`, which must fail with a non-zero status and an `error:` line on stderr;
    /// returns that line. A refused operation (status 1) prints only that line; a usage error (status
    /// 2) may follow it with clap's tips and usage.
    #[track_caller]
    pub fn cli_error(&self, args: &[&str]) -> String {
        self.try_cli_error(args)
            .unwrap_or_else(|problem| panic!("{problem}"))
    }

    /// [`Self::cli_error`] without panicking: `Err` describes what was wrong.
    pub fn try_cli_error(&self, args: &[&str]) -> Result<String, String> {
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            return Err(format!(
                "latch {args:?} succeeded but should fail:\nstdout: {}",
                String::from_utf8_lossy(&output.stdout)
            ));
        }
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        let usage_error = output.status.code() == Some(2);
        let well_formed = lines.first().is_some_and(|l| l.starts_with("error:"))
            && (usage_error || lines.len() == 1);
        if !well_formed {
            return Err(format!(
                "latch {args:?} must print an \"error:\" line on stderr (and nothing else unless it \
                 is a usage error), got:\n{stderr}"
            ));
        }
        Ok(lines[0].to_owned())
    }

    pub fn company(&self, name: &str) -> Company {
        let created = self.cli(&["company", "create", "--name", name]);
        Company {
            id: created["company_id"]
                .as_i64()
                .unwrap_or_else(|| panic!("company_id in {created}")),
            creds: Creds::from_json(&created),
            public_key_pem: str_field(&created, "public_key_pem"),
        }
    }

    pub fn api_key(&self, company: &Company, read_only: bool) -> Creds {
        let id = company.id.to_string();
        let mut args = vec!["api-key", "create", "--company", &id];
        if read_only {
            args.push("--read-only");
        }
        let created = self.cli(&args);
        assert_eq!(created["read_only"], read_only, "{created}");
        Creds::from_json(&created)
    }

    pub fn revoke(&self, creds: &Creds) {
        let revoked = self.cli(&["api-key", "revoke", &creds.api_key]);
        assert_eq!(revoked["revoked"], true, "{revoked}");
    }

    pub fn product(&self, company: &Company, code: &str) {
        let id = company.id.to_string();
        let created = self.cli(&[
            "product",
            "create",
            "--company",
            &id,
            "--code",
            code,
            "--name",
            code,
        ]);
        assert_eq!(created["code"], code, "{created}");
    }

    /// Creates a license (extra arguments as for `license create`) and returns its key.
    pub fn license(&self, company: &Company, product: &str, extra: &[&str]) -> String {
        let id = company.id.to_string();
        let mut args = vec!["license", "create", "--company", &id, "--product", product];
        args.extend_from_slice(extra);
        str_field(&self.cli(&args), "license_key")
    }

    /// `license show KEY` (with `--company` so keys repeated across companies resolve).
    pub fn show_license(&self, company: &Company, key: &str) -> Value {
        let id = company.id.to_string();
        self.cli(&["license", "show", key, "--company", &id])
    }

    /// `device list --license KEY`.
    pub fn devices(&self, company: &Company, key: &str) -> Vec<Value> {
        let id = company.id.to_string();
        let listed = self.cli(&["device", "list", "--license", key, "--company", &id]);
        listed["devices"]
            .as_array()
            .unwrap_or_else(|| panic!("devices in {listed}"))
            .clone()
    }

    /// Starts `latch serve --listen 127.0.0.1:0` and waits for its address.
    pub fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    /// [`Self::serve`] with extra environment variables (`LATCH_IDLE_TIMEOUT`, ...).
    pub fn serve_with(&self, env: &[(&str, &str)]) -> Server {
        let n = self.servers_started.fetch_add(1, Ordering::Relaxed);
        let log = self.dir.join(format!("server-{n}.log"));
        let log_file = std::fs::File::create(&log).expect("create the server log");
        let mut child = self
            .command()
            .envs(env.iter().copied())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start latch serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || read_address(stdout, found));
        let url = match address.recv_timeout(STARTUP_TIMEOUT) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "latch serve printed no \"listening on http://...\" line within {STARTUP_TIMEOUT:?} \
                     (exit: {status:?}); its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // Tests set server idle timeouts as short as 2 s: a pooled connection kept longer may
            // be closed by the server just as it is reused.
            .pool_idle_timeout(Duration::from_secs(1))
            .build()
            .expect("HTTP client");
        Server {
            child,
            url,
            http,
            log,
            stopped: false,
        }
    }
}

/// Reads the server's stdout up to the address line, sends the base URL, then keeps draining.
fn read_address(stdout: ChildStdout, found: mpsc::Sender<String>) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if let Some(url) = line.trim().strip_prefix("listening on ") {
                    assert!(url.starts_with("http://"), "odd address line {line:?}");
                    let _ = found.send(url.trim_end_matches('/').to_owned());
                    break;
                }
            }
        }
    }
    let _ = std::io::copy(&mut reader.into_inner(), &mut std::io::sink());
}

impl Drop for Latch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "test failed: data dir and server logs kept in {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some((url, schema)) = self.postgres.take() {
            // Drop may run inside the test's runtime: drop the schema from a thread with its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&url).await?;
                    sqlx::query(&format!(
                        "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                        schema.replace('"', "\"\"")
                    ))
                    .execute(&mut conn)
                    .await?;
                    conn.close().await
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test schema: {dropped:?}");
            }
        }
    }
}

/// A running `latch serve`.
pub struct Server {
    child: Child,
    pub url: String,
    pub http: reqwest::Client,
    log: PathBuf,
    stopped: bool,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and asserts a clean exit (status 0) within the shutdown timeout; returns the
    /// whole log.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for latch serve") {
                break status;
            }
            if started.elapsed() > SHUTDOWN_TIMEOUT {
                let _ = self.child.kill();
                panic!(
                    "latch serve did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM; its log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.stopped = true;
        assert!(
            status.success(),
            "latch serve exited with {status} after SIGTERM; its log:\n{}",
            self.log()
        );
        self.log()
    }

    /// A request carrying `Date` (now) and `Authorization` for `creds`, as the SDKs send it.
    pub fn signed(&self, method: Method, endpoint: &str, creds: &Creds) -> RequestBuilder {
        let date = http_date_now();
        self.http
            .request(method, self.url(&format!("/api/v4/{endpoint}")))
            .header(DATE, &date)
            .header(
                AUTHORIZATION,
                latch_wire::auth::authorization_header(&creds.api_key, &creds.shared_key, &date),
            )
            .header(CONTENT_TYPE, "application/json")
    }

    /// Signed `POST /api/v4/ENDPOINT` with a JSON body. An object body gets a `request` field
    /// unique to the call (ignored by the server like the SDKs' extras): Latch answers an identical
    /// signed request within the same second as a replay, and each call here is a request of its own.
    pub async fn post(&self, creds: &Creds, endpoint: &str, body: &Value) -> Reply {
        send(
            self.signed(Method::POST, endpoint, creds)
                .body(distinct(body).to_string()),
        )
        .await
    }

    /// Signed `POST /api/v4/ENDPOINT` with raw body bytes.
    pub async fn post_raw(&self, creds: &Creds, endpoint: &str, body: Vec<u8>) -> Reply {
        send(self.signed(Method::POST, endpoint, creds).body(body)).await
    }

    /// Signed `GET /api/v4/ENDPOINT?QUERY`.
    pub async fn get(&self, creds: &Creds, endpoint: &str, query: &[(&str, &str)]) -> Reply {
        send(self.signed(Method::GET, endpoint, creds).query(query)).await
    }

    /// Unsigned request to any path.
    pub async fn plain(&self, method: Method, path: &str) -> Reply {
        send(self.http.request(method, self.url(path))).await
    }

    /// The value of `series` in this server's `/metrics`, zero when it has no sample yet.
    pub async fn metric(&self, series: &str) -> f64 {
        let answer = self.plain(Method::GET, "/metrics").await;
        parse_metrics(&answer.text())
            .get(series)
            .copied()
            .unwrap_or(0.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `body` with a `request` field unique in this test process, if it is an object.
pub fn distinct(body: &Value) -> Value {
    let mut body = body.clone();
    if let Value::Object(fields) = &mut body {
        fields.insert(
            "request".into(),
            UNIQUE.fetch_add(1, Ordering::Relaxed).into(),
        );
    }
    body
}

pub fn http_date_now() -> String {
    http_date(Utc::now())
}

pub fn http_date(at: DateTime<Utc>) -> String {
    latch_wire::time::http_date(at)
}

/// Sends a request and reads the whole answer.
pub async fn send(request: RequestBuilder) -> Reply {
    let described = format!("{request:?}");
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}\n{described}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("reading the answer failed: {e}\n{described}"))
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A whole HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer {} is not JSON ({e}): {:?}",
                self.status,
                self.text()
            )
        })
    }

    /// Asserts a 200 with a JSON body and returns the body.
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "expected 200, got: {}", self.text());
        self.json()
    }

    /// Asserts a 4xx whose JSON body is `{"status","code","message"}` with `status` equal to the HTTP
    /// status; returns the code.
    pub fn error_code(&self) -> String {
        assert!(
            (400..500).contains(&self.status),
            "expected a 4xx, got {}: {}",
            self.status,
            self.text()
        );
        let content_type = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "error answer has content type {content_type:?}: {}",
            self.text()
        );
        let body = self.json();
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("error body is not an object: {body}"));
        assert_eq!(
            object.get("status").and_then(Value::as_u64),
            Some(u64::from(self.status)),
            "body status must equal the HTTP status: {body}"
        );
        let message = object.get("message").and_then(Value::as_str);
        assert!(
            message.is_some_and(|m| !m.is_empty()),
            "error body needs a non-empty message: {body}"
        );
        object
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("error body needs a string code: {body}"))
            .to_owned()
    }

    /// Asserts an error answer with this HTTP status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        let found = self.error_code();
        assert_eq!(
            (self.status, found.as_str()),
            (status, code),
            "body: {}",
            self.text()
        );
    }

    /// Asserts the `LicenseSignature` header verifies over the exact body bytes with the PEM key.
    #[track_caller]
    pub fn assert_signed_by(&self, public_key_pem: &str) {
        assert!(
            self.signature_verifies(public_key_pem),
            "LicenseSignature of the {} answer does not verify over the body {:?}",
            self.status,
            self.text()
        );
    }

    /// Whether the `LicenseSignature` header (which must be present and base64) verifies with the key:
    /// RSA PKCS#1 v1.5 SHA-256 over the exact body bytes.
    pub fn signature_verifies(&self, public_key_pem: &str) -> bool {
        let signature = self
            .headers
            .get("LicenseSignature")
            .unwrap_or_else(|| {
                panic!(
                    "answer {} has no LicenseSignature header: {}",
                    self.status,
                    self.text()
                )
            })
            .to_str()
            .expect("LicenseSignature is ASCII");
        let signature = B64
            .decode(signature)
            .unwrap_or_else(|e| panic!("LicenseSignature is not base64 ({e}): {signature}"));
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            spki_der(public_key_pem),
        )
        .verify(&self.body, &signature)
        .is_ok()
    }
}

/// The DER bytes of a `PUBLIC KEY` PEM.
pub fn spki_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("-----"))
        .collect();
    assert!(
        pem.contains("-----BEGIN PUBLIC KEY-----"),
        "not a PUBLIC KEY PEM: {pem}"
    );
    B64.decode(b64).expect("PEM body is base64")
}

fn query_failed(sql: &str, binds: &[&str], error: sqlx::Error) -> ! {
    panic!("query {sql:?} with {binds:?} failed: {error}")
}

impl Latch {
    /// One `i64` scalar (e.g. a `COUNT(*)`) read straight from this deployment's database, for
    /// invariants no CLI command shows. Text binds fill `$1`, `$2`, ...; put integers in the SQL.
    pub async fn db_scalar(&self, sql: &str, binds: &[&str]) -> i64 {
        match &self.postgres {
            Some((url, schema)) => {
                let mut conn = connect_postgres(url).await;
                sqlx::query(&format!(
                    "SET search_path TO \"{}\"",
                    schema.replace('"', "\"\"")
                ))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| query_failed(sql, binds, e));
                let mut query = sqlx::query_scalar::<_, i64>(sql);
                for bind in binds {
                    query = query.bind(*bind);
                }
                let value = query
                    .fetch_one(&mut conn)
                    .await
                    .unwrap_or_else(|e| query_failed(sql, binds, e));
                conn.close().await.ok();
                value
            }
            None => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.join("latch.db"));
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap_or_else(|e| query_failed(sql, binds, e));
                let mut query = sqlx::query_scalar::<_, i64>(sql);
                for bind in binds {
                    query = query.bind(*bind);
                }
                let value = query
                    .fetch_one(&mut conn)
                    .await
                    .unwrap_or_else(|e| query_failed(sql, binds, e));
                conn.close().await.ok();
                value
            }
        }
    }

    /// How many licenses (all, and trials among them) the company's product `code` has, read from the
    /// database.
    pub async fn license_count(&self, company: &Company, code: &str) -> (i64, i64) {
        let from = format!(
            "FROM licenses l JOIN products p ON p.id = l.product_id \
             WHERE p.company_id = {} AND p.code = $1",
            company.id
        );
        let all = self
            .db_scalar(&format!("SELECT COUNT(*) {from}"), &[code])
            .await;
        let trials = self
            .db_scalar(&format!("SELECT COUNT(*) {from} AND l.is_trial"), &[code])
            .await;
        (all, trials)
    }
}

impl Latch {
    /// Runs statements straight on this deployment's database, for seeding many rows at once where
    /// the CLI would take a process per row. Integers go in the SQL.
    pub async fn db_execute(&self, statements: &[&str]) {
        match &self.postgres {
            Some((url, schema)) => {
                let mut conn = connect_postgres(url).await;
                let search_path = format!("SET search_path TO \"{}\"", schema.replace('"', "\"\""));
                for sql in std::iter::once(search_path.as_str()).chain(statements.iter().copied()) {
                    sqlx::query(sql)
                        .execute(&mut conn)
                        .await
                        .unwrap_or_else(|e| query_failed(sql, &[], e));
                }
                conn.close().await.ok();
            }
            None => {
                let options =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.join("latch.db"));
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap_or_else(|e| query_failed("connect", &[], e));
                for sql in statements {
                    sqlx::query(sql)
                        .execute(&mut conn)
                        .await
                        .unwrap_or_else(|e| query_failed(sql, &[], e));
                }
                conn.close().await.ok();
            }
        }
    }
}

/// base64 HMAC-SHA256, as request files and offline signatures use it.
pub fn hmac_b64(key: &str, message: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
    B64.encode(aws_lc_rs::hmac::sign(&key, message.as_bytes()).as_ref())
}

/// A schema 2 request file as the Node SDK writes it: compact JSON, the wrapper's HMAC over the exact
/// text of `request`.
pub fn offline_request(creds: &Creds, request: Value) -> String {
    let mut request = request;
    request["api_key"] = creds.api_key.clone().into();
    request["date"] = http_date_now().into();
    request["schema_version"] = 2.into();
    let text = request.to_string();
    let signature = hmac_b64(&creds.shared_key, &text);
    B64.encode(format!(r#"{{"request":{text},"signature":"{signature}"}}"#))
}

/// An activation request file; each has its own `request_id`, so no two are the same request.
pub fn offline_activation(creds: &Creds, product: &str, key: &str, hardware_id: &str) -> String {
    static REQUESTS: AtomicU32 = AtomicU32::new(0);
    let request_id = format!("req-{}", REQUESTS.fetch_add(1, Ordering::Relaxed));
    offline_request(
        creds,
        serde_json::json!({
            "request": "activation", "product": product, "license_key": key,
            "hardware_id": hardware_id, "request_id": request_id, "sdk_ver": "1.4.17",
        }),
    )
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Statuses to answer, in order; 200 once they are used up.
    script: VecDeque<u16>,
}

/// An HTTP receiver on 127.0.0.1 that records every request.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    log: Arc<Mutex<Log>>,
}

impl Receiver {
    pub async fn start(script: &[u16]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve_on(listener, script)
    }

    pub fn serve_on(listener: tokio::net::TcpListener, script: &[u16]) -> Self {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Log {
            script: script.iter().copied().collect(),
            ..Log::default()
        }));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(record))
            .with_state(log.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, log }
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// Waits until `done` holds for what was received, at most `limit`.
    pub async fn wait_for(
        &self,
        limit: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                started.elapsed() < limit,
                "the receiver got {} requests in {limit:?}: {:?}",
                received.len(),
                received.iter().map(|r| &r.body).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn record(
    State(log): State<Arc<Mutex<Log>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let mut log = log.lock().unwrap();
    log.received.push(Received {
        at: Instant::now(),
        headers,
        body,
    });
    StatusCode::from_u16(log.script.pop_front().unwrap_or(200)).unwrap()
}

/// `name{labels} value` samples of a Prometheus text exposition, checked line by line.
pub fn parse_metrics(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"# EOF"),
        "OpenMetrics text ends with # EOF"
    );
    for line in lines {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ")
                    || line.starts_with("# TYPE ")
                    || line.starts_with("# UNIT ")
                    || line == "# EOF",
                "odd comment line {line:?}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value in {line:?}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels in {line:?}");
        }
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}
