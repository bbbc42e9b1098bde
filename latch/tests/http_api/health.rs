//! Health endpoints and shutdown on SIGTERM.

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;

use crate::support::{send, Backend, Latch};

both_backends!(health_and_graceful_shutdown);

async fn health_and_graceful_shutdown(backend: Backend) {
    let latch = Latch::new(backend, "health").await;
    let server = latch.serve();
    for path in ["/healthz", "/"] {
        let reply = server.plain(Method::GET, path).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    }
    // Also with the headers the Python SDK sends on is_online().
    let reply = send(
        server
            .http
            .get(server.url("/"))
            .header(CONTENT_TYPE, "application/json"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let url = server.url("/healthz");
    let http = server.http.clone();
    // SIGTERM: exit status 0 (asserted by stop), even with idle keep-alive connections open.
    server.stop();
    assert!(
        http.get(&url).send().await.is_err(),
        "the server still answers after SIGTERM"
    );
}
