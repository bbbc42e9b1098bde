//! The listener: accepts TCP connections (TLS when configured) up to a maximum, serves HTTP/1.1 on
//! each, closes connections that are too slow or idle too long, and on shutdown stops accepting and
//! lets requests in progress finish.
//!
//! Each connection is always in one of three states, and two of them have a deadline:
//! - awaiting a request's headers (from its opening, or from the first byte of a later request): the
//!   header timeout;
//! - serving a request: no deadline for the connection, but its body must arrive within the body
//!   timeout counted from the end of its headers (a late body answers 408);
//! - idle between requests: the idle timeout.
//!
//! At the maximum number of connections the listener stops accepting (new clients wait in the
//! kernel's backlog) until one closes, which the timeouts guarantee happens soon.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::Router;
use http_body::Frame;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use latch_service::config::ConnectionLimits;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tower::ServiceExt as _;

use crate::metrics::Metrics;
use crate::rate_limits::ClientAddr;
use crate::tls::Tls;

/// Open files kept for everything but client connections: database files and connections, logs, the
/// key files.
const RESERVED_FILES: u64 = 256;
/// How long shutdown waits for requests in progress.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// Raises the soft open-file limit to the hard limit (where the system allows) and returns how many
/// connections to serve at once: `configured`, but never so many that the process runs out of files.
pub fn connection_slots(configured: Option<usize>) -> usize {
    let files = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => files,
        Err(error) => {
            tracing::warn!(%error, "cannot read or raise the open-file limit; assuming 1024");
            1024
        }
    };
    let most = usize::try_from(files.saturating_sub(RESERVED_FILES).max(16)).unwrap_or(usize::MAX);
    match configured {
        Some(wanted) if wanted > most => {
            tracing::warn!(
                max_connections = wanted,
                open_file_limit = files,
                "max_connections is above what the open-file limit allows; serving {most} at once"
            );
            most
        }
        Some(wanted) => wanted,
        None => most,
    }
}

/// Accepts and serves connections until `shutdown` completes, then drains them.
pub async fn accept(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    slots: usize,
    tls: Option<Arc<Tls>>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let free = Arc::new(Semaphore::new(slots));
    metrics.set_connections_max(slots);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = free.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = Connection {
            app: app.clone(),
            client: ClientAddr(peer.ip()),
            limits,
            activity: Arc::new(Activity::new()),
            _slot: Slot::taken(slot, metrics.clone()),
        };
        tokio::spawn(connection.serve(
            stream,
            tls.as_ref().map(|tls| tls.acceptor()),
            graceful.watcher(),
        ));
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress after {DRAIN_TIMEOUT:?}; closing them");
    }
}

/// One of the limited connection slots, counted in the metrics while held.
struct Slot {
    _permit: OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl Slot {
    fn taken(permit: OwnedSemaphorePermit, metrics: Arc<Metrics>) -> Self {
        metrics.connection_opened();
        Self {
            _permit: permit,
            metrics,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

struct Connection {
    app: Router,
    client: ClientAddr,
    limits: ConnectionLimits,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl Connection {
    async fn serve(
        self,
        stream: TcpStream,
        tls: Option<tokio_rustls::TlsAcceptor>,
        watcher: Watcher,
    ) {
        let _ = stream.set_nodelay(true);
        match tls {
            None => self.serve_http(stream, watcher).await,
            // The handshake counts against the header timeout.
            Some(tls) => {
                match tokio::time::timeout(self.limits.header_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => self.serve_http(stream, watcher).await,
                    Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }
        }
    }

    async fn serve_http<S>(self, stream: S, watcher: Watcher)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = self.activity.clone();
        let body_timeout = self.limits.body_timeout;
        let app = self.app.clone();
        let client = self.client;
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(activity.clone());
            let mut request = request.map(|body| Body::new(DeadlineBody::new(body, body_timeout)));
            request.extensions_mut().insert(client);
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await;
                drop(in_flight);
                response
            }
        });
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: self.activity.clone(),
        });
        let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        tokio::select! {
            result = watcher.watch(connection) => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
            }
            () = self.activity.expired(&self.limits) => {
                tracing::debug!("connection closed: header or idle timeout");
            }
        }
    }
}

/// What a connection is doing, for its deadline.
struct Activity {
    origin: Instant,
    /// When the current wait (for headers, or idle) began, in milliseconds since `origin`.
    waiting_since: AtomicU64,
    /// Whether a request's first bytes arrived and its headers are awaited.
    awaiting_headers: AtomicBool,
    in_flight: AtomicUsize,
}

impl Activity {
    /// A new connection awaits its first request's headers.
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            waiting_since: AtomicU64::new(0),
            awaiting_headers: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn bytes_received(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && !self.awaiting_headers.swap(true, Ordering::AcqRel)
        {
            self.waiting_since.store(self.now(), Ordering::Release);
        }
    }

    /// When the connection is to be closed unless something happens first; `None` while serving.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let limit = if self.awaiting_headers.load(Ordering::Acquire) {
            limits.header_timeout
        } else {
            limits.idle_timeout
        };
        let since = Duration::from_millis(self.waiting_since.load(Ordering::Acquire));
        Some(self.origin + since + limit)
    }

    /// Completes when the connection has waited too long for headers or for its next request.
    async fn expired(&self, limits: &ConnectionLimits) {
        let recheck = limits.header_timeout.min(limits.idle_timeout);
        loop {
            let now = Instant::now();
            match self.deadline(limits) {
                Some(deadline) if deadline <= now => return,
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => tokio::time::sleep(recheck).await,
            }
        }
    }
}

/// A request being served on a connection; when the last one ends the connection becomes idle.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.awaiting_headers.store(false, Ordering::Release);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .waiting_since
            .store(activity.now(), Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's byte stream, noting when request bytes arrive.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_received();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The body of a request arrived too slowly.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body timeout")]
pub struct BodyTimedOut;

impl BodyTimedOut {
    /// Whether `error`, or an error it wraps, is a body timeout.
    pub fn caused(error: &(dyn StdError + 'static)) -> bool {
        let mut current = Some(error);
        while let Some(error) = current {
            if error.is::<BodyTimedOut>() {
                return true;
            }
            current = error.source();
        }
        false
    }
}

/// A request body that fails with [`BodyTimedOut`] unless it ends before its deadline.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn StdError + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
