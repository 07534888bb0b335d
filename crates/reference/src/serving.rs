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
//!   envelope by `body.rs`, then the connection closes); a body announced
//!   larger than [`MAX_BODY_BYTES`] is refused before a byte of it is read
//!   (413 in the vendor's envelope; `Expect: 100-continue` is not answered
//!   `100 Continue`), and the connection closes after the answer;
//! - at most `max_connections` at once, and at most
//!   `max_connections_per_source` from one client address. At the cap, an
//!   idle connection is closed to make room for the new one: first one
//!   accepted and silent since (never sent a byte), else one kept alive
//!   between requests, each the longest idle first (a connection whose
//!   request is already waiting when it is accepted is not silent: in a storm
//!   of connections the accept loop runs ahead of the connections' own tasks);
//!   with none idle, the
//!   new one waits in the listen backlog until a connection closes. A source at
//!   its own cap with none of its connections idle is answered 503 and
//!   closed. So a few clients holding connections cannot starve the others
//!   (issue #26, R4);
//! - a request with two `Host` headers, or an HTTP/1.1 request without one,
//!   is answered 400 (RFC 9112 §3.2);
//! - shutdown stops accepting, lets in-flight requests finish for up to
//!   `shutdown_grace`, then drops whatever is left.
//!
//! Per request, the deadlines cost two atomic stores: each connection's phase
//! and deadline live in one `AtomicU64` that the connection's watchdog (a task
//! of its own, which aborts the connection task) reads when its timer fires
//! (the timer is never re-armed on a phase change; it wakes at least
//! every `min(header_read_timeout, keep_alive_timeout)` and then sleeps until
//! the deadline it reads, so it is never late).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tower::ServiceExt;

pub use crate::body::MAX_BODY_BYTES;

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
    /// Connections served at once; at the cap the idlest is closed for a new
    /// one, or the new one waits in the listen backlog.
    pub max_connections: usize,
    /// Connections one client address may hold at once; beyond, its idlest is
    /// closed for the new one, or the new one is answered 503.
    pub max_connections_per_source: usize,
    /// After a shutdown signal, how long in-flight requests may finish.
    pub shutdown_grace: Duration,
    /// Header names read only when spelled exactly so: another spelling is
    /// renamed out of the way before hyper (which folds case) sees it. Empty
    /// but for the faults of a server that matches names case-sensitively
    /// (`Fault::exact_header_names`).
    pub exact_header_names: &'static [&'static str],
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(10),
            body_total_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_connections_per_source: 256,
            shutdown_grace: Duration::from_secs(5),
            exact_header_names: &[],
        }
    }
}

/// How a [`serve`] loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still open when the grace period ran out (dropped).
    pub abandoned: usize,
}

/// Closes the connection that carries the request being answered, without
/// answering it (the mocks' `drop_connection_next`).
#[derive(Clone)]
pub struct CloseConnection(Arc<Connection>);

tokio::task_local! {
    /// The connection a connection task serves: set around the task, so a
    /// handler finds it without a per-request insert into the extensions.
    static CURRENT: Arc<Connection>;
}

/// The address of the client whose request is being answered (`None` outside
/// [`serve`]): what the throttles and the pending-login caps count per source
/// (`throttle::Source`), read from the connection rather than inserted into
/// every request's extensions.
pub fn current_source() -> Option<IpAddr> {
    CURRENT.try_with(|c| c.source).ok()
}

impl CloseConnection {
    /// The connection of the request being answered (`None` outside [`serve`]).
    pub fn current() -> Option<CloseConnection> {
        CURRENT.try_with(|c| CloseConnection(c.clone())).ok()
    }

    pub fn close(&self) {
        self.0.close.notify_one();
    }
}

/// Descriptors `serve` keeps for itself beyond its connections (the
/// listener, the runtime, the log, the hashing threads, a spare).
const RESERVED_DESCRIPTORS: u64 = 64;

/// `max_connections`, lowered (with a warning) to what the process's open
/// file limit (`ulimit -n`) leaves for connections: beyond it every accept
/// would fail with "too many open files" (issue #26, R15).
pub fn fit_to_descriptor_limit(max_connections: usize) -> usize {
    let Some(limit) = open_file_limit() else {
        return max_connections;
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS))
        .unwrap_or(usize::MAX)
        .max(1);
    if max_connections > room {
        tracing::warn!(
            "--max-connections {max_connections} does not fit the open file limit ({limit}, `ulimit -n`): serving at most {room} connections at once; raise `ulimit -n` to {} for {max_connections}",
            max_connections as u64 + RESERVED_DESCRIPTORS
        );
        room
    } else {
        max_connections
    }
}

/// The soft limit on open files (Linux: `/proc/self/limits`); `None` when
/// unknown or unlimited.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What [`serve`] answers with: an axum `Router`, or any service like it
/// (the reference server's own, `ReferenceServer::service`).
pub trait Answers:
    tower::Service<Request, Response = Response, Error = Infallible, Future: Send>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Answers for S where
    S: tower::Service<Request, Response = Response, Error = Infallible, Future: Send>
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Serves `router` on `listener` under `limits` until `shutdown` resolves,
/// then drains as [`ServeLimits::shutdown_grace`] allows.
pub async fn serve(
    listener: TcpListener,
    router: impl Answers,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let max_connections = fit_to_descriptor_limit(limits.max_connections.max(1));
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(max_connections));
    let registry = Arc::new(Registry::default());
    let per_source = limits.max_connections_per_source.max(1);
    let refusing = Arc::new(Semaphore::new(64));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    'serving: loop {
        // Accept whether or not a slot is free: at the cap this one connection
        // waits here (the idlest is shed for it), the others in the backlog.
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_errors.record(&e);
                    // Out of descriptors or a reset in the backlog: wait a
                    // little instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let source = peer.ip();
        if registry.count(source) >= per_source && !registry.shed_idlest(Some(source), &limits) {
            tokio::spawn(refuse_busy(stream, refusing.clone()));
            continue;
        }
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => loop {
                // One connection shed at a time: its slot is this one's. (A
                // connection frees its slot before it leaves the registry, so
                // with none closing, a free slot is there to be taken.)
                if registry.closing() == 0 {
                    if let Ok(slot) = slots.clone().try_acquire_owned() {
                        break slot;
                    }
                    registry.shed_idlest(None, &limits);
                }
                tokio::select! {
                    _ = &mut shutdown => break 'serving,
                    slot = slots.clone().acquire_owned() => {
                        break slot.expect("the semaphore is never closed");
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                    // Connections go idle as they answer: look again.
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // Bytes already waiting: the request is there, only not read yet.
        let mut first = [0u8; 1];
        let waiting = matches!(
            tokio::time::timeout(Duration::ZERO, stream.peek(&mut first)).await,
            Ok(Ok(n)) if n > 0
        );
        let connection = Arc::new(Connection::new(&limits, source, waiting));
        let id = registry.add(connection.clone());
        let service = connection_service(router.clone(), limits.clone(), connection.clone());
        // hyper's own header timer would start again when the connection goes
        // idle, so the head and idle limits are `Deadlines`' instead.
        let http = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(ReadWatched {
                    inner: stream,
                    connection: connection.clone(),
                    exact_names: limits.exact_header_names,
                }),
                service,
            );
        let watched = graceful.watch(http);
        let open = Open {
            slot: Some(slot),
            registry: registry.clone(),
            id,
            connection: connection.clone(),
        };
        // The connection task polls hyper's connection only; its close signal
        // and deadlines are watched by a task of their own, which ends it.
        // (Polled together, they were polled again on each of the connection
        // task's wake-ups, several a request.)
        let task = connections.spawn(CURRENT.scope(connection.clone(), async move {
            let _open = open;
            let _ = watched.await;
        }));
        tokio::spawn(async move {
            tokio::select! {
                _ = connection.close.notified() => {}
                _ = connection.deadlines.passed() => {}
            }
            task.abort();
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

/// The answer to a connection from a source already at its cap, none of whose
/// connections is idle: written at once, without reading the request.
const BUSY_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 56\r\n\r\ntoo many connections from this address; try again later\n";

async fn refuse_busy(mut stream: tokio::net::TcpStream, refusing: Arc<Semaphore>) {
    // Bounded: at most a few dozen refusals at once hold a descriptor, for at
    // most a second each; beyond, the connection is just closed.
    let Ok(_permit) = refusing.try_acquire_owned() else {
        return;
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY_ANSWER).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes, so that closing does not
        // reset the connection before the client has read the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    })
    .await;
}

/// One served connection: its deadlines, its close signal and its source.
pub struct Connection {
    deadlines: Deadlines,
    close: Notify,
    source: IpAddr,
}

impl Connection {
    fn new(limits: &ServeLimits, source: IpAddr, waiting: bool) -> Self {
        let deadlines = Deadlines::new(limits);
        if waiting {
            deadlines.received();
        }
        Connection {
            deadlines,
            close: Notify::new(),
            source,
        }
    }
}

/// A connection task's hold on its slot and registry entry, let go however
/// the task ends (its connection closed, or the task aborted by its watchdog
/// or at shutdown); then its watchdog ends too.
struct Open {
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    registry: Arc<Registry>,
    id: u64,
    connection: Arc<Connection>,
}

impl Drop for Open {
    fn drop(&mut self) {
        // The slot first: a connection frees its slot before it leaves the
        // registry (`serve` relies on it when it sheds).
        drop(self.slot.take());
        self.registry.remove(self.id);
        self.connection.close.notify_one();
    }
}

/// Every open connection, to find the idlest when the server or a source is
/// at its cap. Touched once when a connection opens and once when it closes.
#[derive(Default)]
struct Registry {
    inner: Mutex<RegistryInner>,
}

#[derive(Default)]
struct RegistryInner {
    open: HashMap<u64, Arc<Connection>>,
    /// Open connections by source, those being shed excepted.
    per_source: HashMap<IpAddr, usize>,
    /// Connections shed whose slot is not free yet.
    closing: usize,
    next_id: u64,
}

impl RegistryInner {
    fn forget_source(&mut self, source: IpAddr) {
        if let Some(n) = self.per_source.get_mut(&source) {
            *n -= 1;
            if *n == 0 {
                self.per_source.remove(&source);
            }
        }
    }
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, connection: Arc<Connection>) -> u64 {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        *inner.per_source.entry(connection.source).or_default() += 1;
        inner.open.insert(id, connection);
        id
    }

    fn remove(&self, id: u64) {
        let mut inner = self.lock();
        if let Some(c) = inner.open.remove(&id) {
            if c.deadlines.is_closing() {
                inner.closing -= 1;
            } else {
                inner.forget_source(c.source);
            }
        }
    }

    fn count(&self, source: IpAddr) -> usize {
        self.lock().per_source.get(&source).copied().unwrap_or(0)
    }

    /// Connections shed whose slot is not free yet.
    fn closing(&self) -> usize {
        self.lock().closing
    }

    /// Closes the idlest connection (of `source`, or any): one silent since
    /// its accept first, else one kept alive after an answer, each the longest
    /// idle first; false when none is. A shed connection no longer counts for
    /// its source.
    fn shed_idlest(&self, source: Option<IpAddr>, limits: &ServeLimits) -> bool {
        let mut inner = self.lock();
        loop {
            let idlest = inner
                .open
                .iter()
                .filter(|(_, c)| source.is_none_or(|s| c.source == s))
                .filter_map(|(id, c)| c.deadlines.shed_order(limits).map(|o| (o, *id)))
                .min();
            let Some((_, id)) = idlest else {
                return false;
            };
            let Some(c) = inner.open.get(&id).cloned() else {
                return false;
            };
            // It may have received a byte since: then it is not idle any more
            // (and no longer a candidate).
            if !c.deadlines.start_closing() {
                continue;
            }
            c.close.notify_one();
            inner.closing += 1;
            inner.forget_source(c.source);
            return true;
        }
    }
}

fn connection_service(
    router: impl Answers,
    limits: Arc<ServeLimits>,
    connection: Arc<Connection>,
) -> impl hyper::service::Service<
    Request<hyper::body::Incoming>,
    Response = Response<AnswerBody>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<AnswerBody>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let router = router.clone();
        let limits = limits.clone();
        let connection = connection.clone();
        async move {
            connection.deadlines.answering();
            let response = answer(router, &limits, req).await;
            // Idle again once hyper has taken the whole answer's body.
            Ok(response.map(|body| AnswerBody {
                inner: body,
                _idle_after: IdleAfter { connection },
            }))
        }
    })
}

fn bad_request(message: &'static str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONNECTION, "close")],
        message,
    )
        .into_response()
}

async fn answer(
    router: impl Answers,
    limits: &ServeLimits,
    req: Request<hyper::body::Incoming>,
) -> Response {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without
    // Host, and to any request with more than one Host field line.
    let mut hosts = req.headers().get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if req.version() == Version::HTTP_11 => {
            return bad_request("an HTTP/1.1 request needs a Host header");
        }
        (Some(_), Some(_)) => return bad_request("a request may have only one Host header"),
        _ => {}
    }
    // A request without a body (no Content-Length, or 0, and not chunked)
    // has nothing to time: no wrapper, no allocation for it.
    let req = req.map(|body| {
        if http_body::Body::is_end_stream(&body) {
            Body::empty()
        } else {
            Body::new(ProgressBody::new(
                body,
                limits.body_idle_timeout,
                limits.body_total_timeout,
            ))
        }
    });
    let too_large = body_too_large(&req);
    let Ok(mut response) = router.oneshot(req).await;
    if too_large {
        // Its body was never read: nothing more can come on this connection.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Whether the request announces a body larger than [`MAX_BODY_BYTES`].
fn body_too_large(req: &Request) -> bool {
    http_body::Body::size_hint(req.body()).lower() > MAX_BODY_BYTES as u64
}

/// Where a connection is between requests, for its head and idle limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepted, not a byte received yet; its first head is due then.
    Fresh,
    /// A request head is being received; it must be in by then.
    Head,
    /// A request is being answered: its body has its own limits
    /// ([`ProgressBody`]), the handler none.
    Answering,
    /// Kept alive between requests: closed then unless a byte arrives.
    Idle,
    /// Being closed to make room for another connection.
    Closing,
}

const PHASE_SHIFT: u32 = 60;
const AT_MASK: u64 = (1 << PHASE_SHIFT) - 1;

impl Phase {
    fn bits(self) -> u64 {
        (match self {
            Phase::Fresh => 0,
            Phase::Head => 1,
            Phase::Answering => 2,
            Phase::Idle => 3,
            Phase::Closing => 4,
        }) << PHASE_SHIFT
    }

    fn of(state: u64) -> (Phase, u64) {
        let phase = match state >> PHASE_SHIFT {
            0 => Phase::Fresh,
            1 => Phase::Head,
            2 => Phase::Answering,
            3 => Phase::Idle,
            _ => Phase::Closing,
        };
        (phase, state & AT_MASK)
    }
}

/// A connection's phase and its deadline (milliseconds since `base`), in one
/// word. The connection's task ends the connection when [`Deadlines::passed`]
/// does.
struct Deadlines {
    state: AtomicU64,
    base: tokio::time::Instant,
    head: Duration,
    idle: Duration,
}

impl Deadlines {
    /// A new connection: its first request head is due from now.
    fn new(limits: &ServeLimits) -> Self {
        Deadlines {
            state: AtomicU64::new(Phase::Fresh.bits() | millis(limits.header_read_timeout)),
            base: tokio::time::Instant::now(),
            head: limits.header_read_timeout,
            idle: limits.keep_alive_timeout,
        }
    }

    /// Milliseconds from `base` to `after` from now.
    fn due_in(&self, after: Duration) -> u64 {
        (millis(self.base.elapsed()) + millis(after)).min(AT_MASK)
    }

    fn answering(&self) {
        self.state.store(Phase::Answering.bits(), Ordering::Relaxed);
    }

    fn idle(&self) {
        let at = self.due_in(self.idle);
        // Not over a shed connection's Closing.
        let _ = self
            .state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                (Phase::of(s).0 == Phase::Answering).then_some(Phase::Idle.bits() | at)
            });
    }

    /// Bytes arrived: a fresh connection's head keeps its deadline; an idle
    /// one starts its next request head.
    fn received(&self) {
        let state = self.state.load(Ordering::Relaxed);
        let next = match Phase::of(state) {
            (Phase::Idle, _) => Phase::Head.bits() | self.due_in(self.head),
            (Phase::Fresh, at) => Phase::Head.bits() | at,
            _ => return,
        };
        let _ = self
            .state
            .compare_exchange(state, next, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Which idle connection goes first, the smallest: silent since its
    /// accept (never sent a byte) before kept alive after an answer, each the
    /// longest idle first. `None` while it receives or answers a request.
    fn shed_order(&self, limits: &ServeLimits) -> Option<(u8, tokio::time::Instant)> {
        let (phase, at) = Phase::of(self.state.load(Ordering::Relaxed));
        let at = self.base + Duration::from_millis(at);
        match phase {
            Phase::Fresh => Some((0, at - limits.header_read_timeout)),
            Phase::Idle => Some((1, at - limits.keep_alive_timeout)),
            _ => None,
        }
    }

    fn is_closing(&self) -> bool {
        Phase::of(self.state.load(Ordering::Relaxed)).0 == Phase::Closing
    }

    /// Marks an idle connection Closing; false if it is not idle any more.
    fn start_closing(&self) -> bool {
        self.state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                matches!(Phase::of(s).0, Phase::Idle | Phase::Fresh)
                    .then_some(Phase::Closing.bits())
            })
            .is_ok()
    }

    /// Resolves when the deadline of the current phase passes. Phase changes
    /// do not wake it: it looks at least every `min(head, idle)`, so it never
    /// sleeps past a deadline set after it went to sleep (any such deadline is
    /// at least that far from when it was set).
    async fn passed(&self) {
        let step = millis(self.head.min(self.idle)).max(1);
        loop {
            let now = millis(self.base.elapsed());
            let wake = match Phase::of(self.state.load(Ordering::Relaxed)) {
                (Phase::Head | Phase::Idle | Phase::Fresh, at) if at <= now => return,
                (Phase::Head | Phase::Idle | Phase::Fresh, at) => at.min(now + step),
                (Phase::Closing, _) => return,
                (Phase::Answering, _) => now + step,
            };
            tokio::time::sleep_until(self.base + Duration::from_millis(wake)).await;
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Drops to [`Phase::Idle`] when the answer's body is dropped: hyper drops it
/// once it has taken the last frame (or at once when there is none).
struct IdleAfter {
    connection: Arc<Connection>,
}

impl Drop for IdleAfter {
    fn drop(&mut self) {
        self.connection.deadlines.idle();
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
    connection: Arc<Connection>,
    exact_names: &'static [&'static str],
}

/// Renames, in bytes just read, each header line whose name is one of
/// `exact` in another case (`authorization:` for `Authorization`) to a name
/// no one reads, as a server that compares names case-sensitively ignores it.
/// A name split over two reads is missed: this plays a fault, on loopback.
fn hide_other_spellings(bytes: &mut [u8], exact: &[&str]) {
    for name in exact {
        let name = name.as_bytes();
        let mut i = 0;
        while i + 2 + name.len() < bytes.len() {
            let at = &bytes[i + 2..i + 2 + name.len()];
            if &bytes[i..i + 2] == b"\r\n"
                && bytes[i + 2 + name.len()] == b':'
                && at.eq_ignore_ascii_case(name)
                && at != name
            {
                bytes[i + 2..i + 2 + name.len()].fill(b'x');
            }
            i += 1;
        }
    }
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
            self.connection.deadlines.received();
            if !self.exact_names.is_empty() {
                hide_other_spellings(&mut buf.filled_mut()[before..], self.exact_names);
            }
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

/// A request body announced larger than [`MAX_BODY_BYTES`]: refused before
/// a byte of it is read.
#[derive(Debug, thiserror::Error)]
#[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
pub struct BodyTooLarge;

pin_project_lite::pin_project! {
    /// A body that fails with [`BodyTimeout`] when no chunk arrives within
    /// `idle`, or the whole body is not in within `total` from its first wait, and
    /// with [`BodyTooLarge`] at once when it announces more than
    /// [`MAX_BODY_BYTES`]. Its timers are made only if it has to wait.
    pub struct ProgressBody<B> {
        #[pin]
        inner: B,
        idle: Duration,
        total: Duration,
        timers: Option<Pin<Box<Timers>>>,
    }
}

pin_project_lite::pin_project! {
    struct Timers {
        #[pin]
        idle: Sleep,
        #[pin]
        total: Sleep,
    }
}

impl<B> ProgressBody<B> {
    pub fn new(inner: B, idle: Duration, total: Duration) -> Self {
        ProgressBody {
            inner,
            idle,
            total,
            timers: None,
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
        let this = self.project();
        if this.inner.size_hint().lower() > MAX_BODY_BYTES as u64 {
            return Poll::Ready(Some(Err(Box::new(BodyTooLarge))));
        }
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            if let Some(timers) = this.timers.as_mut() {
                let deadline = tokio::time::Instant::now() + *this.idle;
                timers.as_mut().project().idle.reset(deadline);
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let (idle, total) = (*this.idle, *this.total);
        let timers = this.timers.get_or_insert_with(|| {
            Box::pin(Timers {
                idle: tokio::time::sleep(idle),
                total: tokio::time::sleep(total),
            })
        });
        let timers = timers.as_mut().project();
        if timers.total.poll(cx).is_ready() || timers.idle.poll(cx).is_ready() {
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

#[cfg(test)]
mod tests {
    use super::hide_other_spellings;

    #[test]
    fn only_the_exact_spelling_survives() {
        let mut head = b"GET / HTTP/1.1\r\nauthorization: Bearer a\r\nAuthorization: Bearer b\r\nAUTHORIZATION: c\r\n\r\n".to_vec();
        hide_other_spellings(&mut head, &["Authorization"]);
        let text = String::from_utf8(head).unwrap();
        assert_eq!(
            text,
            "GET / HTTP/1.1\r\nxxxxxxxxxxxxx: Bearer a\r\nAuthorization: Bearer b\r\nxxxxxxxxxxxxx: c\r\n\r\n"
        );
    }
}
