//! The one serving loop of every server this crate runs (`authconform serve`,
//! [`ReferenceServer::spawn`](super::ReferenceServer::spawn), the mocks): HTTP/1
//! on hyper with the limits a hostile client meets.
//!
//! - a request head must arrive within `header_read_timeout`: from the accept
//!   for a connection's first request, from its first byte for a later one;
//! - a kept-alive connection may wait `keep_alive_timeout` for the next
//!   request, from the end of the previous answer (a client that does not
//!   read that answer is as idle) to the next request's first byte;
//! - a request body must make progress: each chunk within `body_idle_timeout`,
//!   the whole body within `body_total_timeout` (answered 408 in the vendor's
//!   envelope by `body.rs`, then the connection closes);
//! - at most `max_connections` at once: beyond that a new connection waits in
//!   the listen backlog until one closes; the ones being served are untouched;
//! - shutdown stops accepting, lets in-flight requests finish for up to
//!   `shutdown_grace`, then drops whatever is left.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tower::ServiceExt;

/// The limits of one server. `Default` is what `authconform serve` uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time to receive a whole request head (from its first byte; from the
    /// accept for a connection's first request).
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may wait idle for its next request.
    pub keep_alive_timeout: Duration,
    /// Longest wait for the next chunk of a request body.
    pub body_idle_timeout: Duration,
    /// Longest time to receive a whole request body.
    pub body_total_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// After a shutdown signal, how long in-flight requests may finish.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(10),
            body_total_timeout: Duration::from_secs(30),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How a [`serve`] loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace period ran out (dropped).
    pub abandoned: usize,
}

/// Put into every request's extensions: closes the connection that carries
/// the request without answering it (the mocks' `drop_connection_next`).
#[derive(Clone)]
pub struct CloseConnection(Arc<Notify>);

impl CloseConnection {
    pub fn close(&self) {
        self.0.notify_one();
    }
}

/// Serves `router` on `listener` under `limits` until `shutdown` resolves,
/// then drains as [`ServeLimits::shutdown_grace`] allows.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        // A slot first, then accept: beyond the cap, connections wait in the
        // kernel's backlog instead of taking a file descriptor here.
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = loop {
            tokio::select! {
                _ = &mut shutdown => break None,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => break Some((stream, peer)),
                    Err(e) => {
                        accept_errors.record(&e);
                        // Out of descriptors or a reset in the backlog: wait a
                        // little instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                },
            }
        };
        let Some((stream, peer)) = stream else { break };
        let _ = stream.set_nodelay(true);
        let close = Arc::new(Notify::new());
        let deadlines = Arc::new(Deadlines::new(&limits));
        let service = connection_service(
            router.clone(),
            limits.clone(),
            close.clone(),
            deadlines.clone(),
            peer,
        );
        // hyper's own header timer would start again when the connection goes
        // idle, so the head and idle limits are `Deadlines`' instead.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(ReadWatched {
                    inner: stream,
                    deadlines: deadlines.clone(),
                }),
                service,
            );
        let watched = graceful.watch(connection);
        connections.spawn(async move {
            tokio::select! {
                _ = watched => {}
                _ = close.notified() => {}
                _ = deadlines.passed() => {}
            }
            drop(slot);
        });
    }
    drop(listener);
    while connections.try_join_next().is_some() {}
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            "stopping: {open} connection(s) open, waiting up to {:?} for their requests",
            limits.shutdown_grace
        );
    }
    let abandoned = match tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await {
        Ok(()) => 0,
        Err(_) => {
            while connections.try_join_next().is_some() {}
            connections.len()
        }
    };
    if abandoned > 0 {
        tracing::warn!("stopping: {abandoned} connection(s) did not finish in time, dropped");
    }
    connections.abort_all();
    Stopped { abandoned }
}

fn connection_service(
    router: Router,
    limits: Arc<ServeLimits>,
    close: Arc<Notify>,
    deadlines: Arc<Deadlines>,
    peer: std::net::SocketAddr,
) -> impl hyper::service::Service<
    Request<hyper::body::Incoming>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone {
    let handle = CloseConnection(close);
    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let router = router.clone();
        let limits = limits.clone();
        let handle = handle.clone();
        let deadlines = deadlines.clone();
        async move {
            deadlines.set(Phase::Answering);
            let response = answer(router, &limits, handle, req, peer).await;
            // Idle again once hyper has taken the whole answer's body.
            let idle_after = IdleAfter {
                deadlines: deadlines.clone(),
            };
            Ok(response.map(|body| {
                Body::new(AnswerBody {
                    inner: body,
                    _idle_after: idle_after,
                })
            }))
        }
    })
}

async fn answer(
    router: Router,
    limits: &ServeLimits,
    handle: CloseConnection,
    mut req: Request<hyper::body::Incoming>,
    peer: std::net::SocketAddr,
) -> Response {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request
    // without Host.
    if req.version() == Version::HTTP_11 && !req.headers().contains_key(header::HOST) {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONNECTION, "close")],
            "an HTTP/1.1 request needs a Host header",
        )
            .into_response();
    }
    req.extensions_mut().insert(handle);
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let req = req.map(|body| {
        Body::new(ProgressBody::new(
            body,
            limits.body_idle_timeout,
            limits.body_total_timeout,
        ))
    });
    router.oneshot(req).await.into_response()
}

/// Where a connection is between requests, for its head and idle limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// A request head is being received; it must be in by then.
    Head(tokio::time::Instant),
    /// A request is being answered: its body has its own limits
    /// ([`ProgressBody`]), the handler none.
    Answering,
    /// Kept alive between requests: closed then unless a byte arrives.
    Idle(tokio::time::Instant),
}

/// A connection's phase and the limits that set its deadlines. The
/// connection's task ends the connection when [`Deadlines::passed`] does.
struct Deadlines {
    phase: std::sync::Mutex<Phase>,
    changed: Notify,
    head: Duration,
    idle: Duration,
}

impl Deadlines {
    /// A new connection: its first request head is due from now.
    fn new(limits: &ServeLimits) -> Self {
        Deadlines {
            phase: std::sync::Mutex::new(Phase::Head(
                tokio::time::Instant::now() + limits.header_read_timeout,
            )),
            changed: Notify::new(),
            head: limits.header_read_timeout,
            idle: limits.keep_alive_timeout,
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        self.changed.notify_waiters();
    }

    fn idle(&self) {
        self.set(Phase::Idle(tokio::time::Instant::now() + self.idle));
    }

    /// Bytes arrived: an idle connection starts its next request head.
    fn received(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(tokio::time::Instant::now() + self.head);
            drop(phase);
            self.changed.notify_waiters();
        }
    }

    /// Resolves when the deadline of the current phase passes.
    async fn passed(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Listen before reading the phase, so no change is missed.
            changed.as_mut().enable();
            match self.phase() {
                Phase::Head(at) | Phase::Idle(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            if matches!(self.phase(), Phase::Head(t) | Phase::Idle(t) if t == at) {
                                return;
                            }
                        }
                        _ = changed => {}
                    }
                }
                Phase::Answering => changed.await,
            }
        }
    }
}

/// Drops to [`Phase::Idle`] when the answer's body is dropped: hyper drops it
/// once it has taken the last frame (or at once when there is none).
struct IdleAfter {
    deadlines: Arc<Deadlines>,
}

impl Drop for IdleAfter {
    fn drop(&mut self) {
        self.deadlines.idle();
    }
}

pin_project_lite::pin_project! {
    /// An answer's body that marks its connection idle when dropped.
    struct AnswerBody {
        #[pin]
        inner: Body,
        _idle_after: IdleAfter,
    }
}

impl http_body::Body for AnswerBody {
    type Data = <Body as http_body::Body>::Data;
    type Error = <Body as http_body::Body>::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The connection's socket, telling its [`Deadlines`] when bytes arrive.
struct ReadWatched {
    inner: tokio::net::TcpStream,
    deadlines: Arc<Deadlines>,
}

impl tokio::io::AsyncRead for ReadWatched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.deadlines.received();
        }
        polled
    }
}

impl tokio::io::AsyncWrite for ReadWatched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Counts accept errors and logs at most one line per ten seconds.
#[derive(Default)]
struct AcceptErrors {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    fn record(&mut self, e: &std::io::Error) {
        self.unlogged += 1;
        if self
            .last_logged
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(10))
        {
            tracing::warn!(
                "accept failed ({} time(s) since the last report): {e}; lower --max-connections below `ulimit -n`",
                self.unlogged
            );
            self.unlogged = 0;
            self.last_logged = Some(Instant::now());
        }
    }
}

/// A request body that has not made progress in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received in time")]
pub struct BodyTimeout;

pin_project_lite::pin_project! {
    /// A body that fails with [`BodyTimeout`] when no chunk arrives within
    /// `idle`, or the whole body is not in within `total`.
    pub struct ProgressBody<B> {
        #[pin]
        inner: B,
        idle: Duration,
        #[pin]
        idle_sleep: Sleep,
        #[pin]
        total_sleep: Sleep,
    }
}

impl<B> ProgressBody<B> {
    pub fn new(inner: B, idle: Duration, total: Duration) -> Self {
        ProgressBody {
            inner,
            idle,
            idle_sleep: tokio::time::sleep(idle),
            total_sleep: tokio::time::sleep(total),
        }
    }
}

impl<B> http_body::Body for ProgressBody<B>
where
    B: http_body::Body,
    B::Error: Into<axum::BoxError>,
{
    type Data = B::Data;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            let deadline = tokio::time::Instant::now() + *this.idle;
            this.idle_sleep.as_mut().reset(deadline);
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.total_sleep.poll(cx).is_ready() || this.idle_sleep.poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
