//! The listener's defences against clients that hold connections open: idle and half-sent requests
//! are closed after their timeouts, a slow body answers 408, and at the connection maximum new
//! clients wait for a free slot instead of being refused. Against a real `latch serve` on SQLite.

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use support::{Backend, Latch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Margin for a loaded machine on top of each configured timeout.
const SLACK: Duration = Duration::from_secs(8);

fn address(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Waits until the server closes `stream` (or resets it); how long that took.
async fn closed_after(mut stream: TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_are_closed_and_new_clients_served() {
    // Each connection costs this process a file descriptor too.
    let files = rlimit::increase_nofile_limit(u64::MAX).expect("read the open-file limit");
    let count = 1_100.min(
        usize::try_from(files)
            .unwrap_or(usize::MAX)
            .saturating_sub(100),
    );
    let latch = Latch::new(Backend::Sqlite, "idle_flood").await;
    let company = latch.company("Acme");
    latch.product(&company, "app");
    let key = latch.license(&company, "app", &[]);
    let server = latch.serve_with(&[("LATCH_HEADER_TIMEOUT", "2"), ("LATCH_IDLE_TIMEOUT", "2")]);
    let target = address(&server.url);

    let mut idle = Vec::with_capacity(count);
    for _ in 0..count {
        idle.push(TcpStream::connect(&target).await.expect("connect"));
    }
    let opened = Instant::now();
    let health = server.plain(Method::GET, "/healthz").await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));

    let waits: Vec<_> = idle
        .into_iter()
        .map(|stream| tokio::spawn(closed_after(stream, Duration::from_secs(2) + SLACK)))
        .collect();
    let mut still_open = 0;
    for wait in waits {
        if wait.await.expect("waiting task").is_none() {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "of {count} idle connections, some were never closed"
    );
    assert!(
        opened.elapsed() >= Duration::from_millis(1_500),
        "idle connections were closed before their timeout"
    );
    let check = server
        .get(
            &company.creds,
            "check_license",
            &[
                ("product", "app"),
                ("license_key", &key),
                ("hardware_id", "pc"),
            ],
        )
        .await;
    check.assert_error(400, "license_not_active");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_idle_keep_alive_have_their_own_timeouts() {
    let latch = Latch::new(Backend::Sqlite, "slow_headers").await;
    let server = latch.serve_with(&[("LATCH_HEADER_TIMEOUT", "1"), ("LATCH_IDLE_TIMEOUT", "4")]);
    let target = address(&server.url);

    let mut half = TcpStream::connect(&target).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: latch\r\n")
        .await
        .unwrap();
    let closed = closed_after(half, Duration::from_secs(1) + SLACK)
        .await
        .expect("a half-sent header is closed after the header timeout");
    assert!(
        closed >= Duration::from_millis(800),
        "closed after {closed:?}"
    );

    let mut kept = TcpStream::connect(&target).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: latch\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let read = kept.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    // Idle after an answer: the longer idle timeout applies, not the header timeout.
    let closed = closed_after(kept, Duration::from_secs(4) + SLACK)
        .await
        .expect("an idle keep-alive connection is closed after the idle timeout");
    assert!(closed >= Duration::from_secs(3), "closed after {closed:?}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_answers_408() {
    let latch = Latch::new(Backend::Sqlite, "slow_body").await;
    let company = latch.company("Acme");
    let server = latch.serve_with(&[("LATCH_BODY_TIMEOUT", "1")]);
    let date = support::http_date_now();
    let authorization = latch_wire::auth::authorization_header(
        &company.creds.api_key,
        &company.creds.shared_key,
        &date,
    );
    let mut stream = TcpStream::connect(address(&server.url)).await.unwrap();
    let head = format!(
        "POST /api/v4/activate_license HTTP/1.1\r\nHost: latch\r\nDate: {date}\r\n\
         Authorization: {authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"pro"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(1) + SLACK,
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer within the body timeout");
    read.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_maximum_new_clients_wait_for_a_free_slot() {
    let latch = Latch::new(Backend::Sqlite, "max_connections").await;
    let server = latch.serve_with(&[
        ("LATCH_MAX_CONNECTIONS", "5"),
        ("LATCH_HEADER_TIMEOUT", "2"),
    ]);
    let target = address(&server.url);
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(&target).await.unwrap());
    }
    // Let the server take all five before the sixth client arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let health = server.plain(Method::GET, "/healthz").await;
    assert_eq!(health.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(1_000),
        "served after {:?}, before a slot was free",
        started.elapsed()
    );
    drop(held);
    server.stop();
}
