//! The reference server: a complete, stateful implementation of every vendor,
//! the default target of the conformance suite, and what it is built from.
//!
//! One [`ReferenceServer`] serves all vendors under their mount prefixes
//! (`/limecraft/api/...`), or a single vendor at the root. Test mode adds the
//! control endpoints (`control.rs`); a fault (`fault.rs`) breaks one rule.
//!
//! This crate is the lowest layer of the workspace: the mocks
//! (`authconform-mock`) serve its routers, and the harness (`authconform`)
//! starts it as the default target and shares its primitives (the vendor
//! list, the clock, secrets, TOTP, HS256 JWTs, redaction, provenance, the
//! specs). It is internal: its API may change in any release; a client's tests
//! depend on `authconform-mock`, whose small API the compiler keeps.
//!
//! Cargo features: `validate` (checking a response against the specs with
//! JSON Schema, for the harness), `log-writer` (kept for compatibility: the
//! bounded, lossy request-log writer `serve` uses needs no dependency now).

pub mod clock;
pub mod fixtures;
pub mod hs256;
pub mod provenance;
pub mod redact;
pub mod secret;
pub mod spec;
pub mod totp;
pub mod vendor;

pub mod body;
pub mod control;
pub mod fault;
pub mod fileverbs;
pub mod headers;
pub mod issued;
pub mod lac;
pub mod limecraft;
pub mod liquidfiles;
pub mod request_log;
pub mod serving;
pub mod throttle;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::fixtures::Fixtures;
use crate::secret::{HashCost, HashPoolSize, PasswordHashing};
use crate::vendor::Vendor;
use fault::Fault;

/// Everything that shapes one reference server.
#[derive(Clone, Debug)]
pub struct ReferenceConfig {
    pub fixtures: Fixtures,
    /// Serve only this vendor, at the root, as the vendor itself does.
    pub only_vendor: Option<Vendor>,
    pub hash_cost: HashCost,
    /// Password hashes at once and waiting (`secret.rs`); beyond, a login is 503.
    pub hash_pool: HashPoolSize,
    /// Enables the test-only control endpoints (clock).
    pub test_mode: bool,
    pub fault: Option<Fault>,
    /// Where one line per request goes (`request_log.rs`); off by default.
    pub request_log: request_log::RequestLog,
    /// Answer every request this much later (`serve --latency`): a distant
    /// deployment on loopback, to see how a run of many targets overlaps.
    pub latency: Option<std::time::Duration>,
    /// Timeouts, connection cap and shutdown grace of [`ReferenceServer::spawn`]
    /// and [`ReferenceServer::serve`].
    pub limits: serving::ServeLimits,
    pub limecraft: limecraft::LimecraftConfig,
    pub fileverbs: fileverbs::FileVerbsConfig,
    pub lac: lac::LacConfig,
    pub liquidfiles: liquidfiles::LiquidFilesConfig,
}

impl Default for ReferenceConfig {
    fn default() -> Self {
        ReferenceConfig {
            fixtures: Fixtures::builtin(),
            only_vendor: None,
            hash_cost: HashCost::Owasp,
            hash_pool: HashPoolSize::default(),
            test_mode: false,
            fault: None,
            request_log: request_log::RequestLog::Off,
            latency: None,
            limits: serving::ServeLimits::default(),
            limecraft: limecraft::LimecraftConfig::default(),
            fileverbs: fileverbs::FileVerbsConfig::default(),
            lac: lac::LacConfig::default(),
            liquidfiles: liquidfiles::LiquidFilesConfig::default(),
        }
    }
}

impl ReferenceConfig {
    /// The configuration tests and `authconform run` use: cheap hashing, clock
    /// control, no request log, no failed-login throttling (`throttle.rs`).
    pub fn for_tests() -> Self {
        let mut config = ReferenceConfig {
            hash_cost: HashCost::Test,
            test_mode: true,
            ..Self::default()
        };
        config.limecraft.login_throttle = None;
        config.lac.login_throttle = None;
        config
    }

    pub fn with_fault(mut self, fault: Option<Fault>) -> Self {
        self.fault = fault;
        self
    }

    /// Every vendor answers as another conforming server would where the
    /// documents are silent (see each vendor config's `variant`).
    pub fn with_variant(mut self, variant: bool) -> Self {
        self.limecraft.variant = variant;
        self.lac.variant = variant;
        self.fileverbs.variant = variant;
        self.liquidfiles.variant = variant;
        self
    }
}

/// A built reference server: its router and the handles tests need.
pub struct ReferenceServer {
    router: Router,
    pub clock: Clock,
    pub limecraft: limecraft::Limecraft,
    pub fileverbs: fileverbs::FileVerbs,
    pub lac: lac::Lac,
    pub liquidfiles: liquidfiles::LiquidFiles,
    config: ReferenceConfig,
}

impl ReferenceServer {
    pub fn new(config: ReferenceConfig) -> Self {
        let clock = Clock::new();
        let hashing = PasswordHashing::with_pool(config.hash_cost, config.hash_pool);
        let lac = lac::Lac::new(
            &config.fixtures.lac,
            hashing.clone(),
            clock.clone(),
            config.fault,
            config.lac.clone(),
        );
        let liquidfiles = liquidfiles::LiquidFiles::new(
            &config.fixtures.liquidfiles,
            hashing.clone(),
            clock.clone(),
            config.fault,
            config.liquidfiles.clone(),
        );
        let limecraft = limecraft::Limecraft::new(
            &config.fixtures.limecraft,
            hashing,
            clock.clone(),
            config.fault,
            config.limecraft.clone(),
        );
        let fileverbs = fileverbs::FileVerbs::new(
            &config.fixtures.fileverbs,
            clock.clone(),
            config.fault,
            config.fileverbs.clone(),
        );
        let mut router = Router::new();
        let mut mounted = Vec::new();
        for vendor in Vendor::ALL {
            if config.only_vendor.is_some_and(|only| only != *vendor) {
                continue;
            }
            let mount = if config.only_vendor.is_some() {
                ""
            } else {
                vendor.mount_prefix()
            };
            let vendor_router = match vendor {
                Vendor::Limecraft => limecraft::router(limecraft.clone()),
                Vendor::FileVerbs => fileverbs::router(fileverbs.clone(), mount, &config.fileverbs),
                Vendor::Lac => lac::router(lac.clone()),
                Vendor::LiquidFiles => liquidfiles::router(liquidfiles.clone()),
            };
            if mount.is_empty() {
                router = router.merge(vendor_router);
            } else {
                mounted.push((mount, vendor_router));
            }
        }
        if !mounted.is_empty() {
            router = router.fallback_service(Mounts {
                mounted: std::sync::Arc::new(mounted),
                unknown: Router::new(),
            });
        }
        if config.test_mode {
            router = router.merge(control::router(control::Controlled {
                clock: clock.clone(),
                fileverbs: fileverbs.clone(),
                liquidfiles: liquidfiles.clone(),
            }));
        }
        // A 503 (the password hashing pool is full) always says when to retry.
        router = router.layer(RetryAfterOn503);
        if !matches!(config.request_log, request_log::RequestLog::Off) {
            router = router.layer(request_log::RequestLogLayer::new(
                config.request_log.clone(),
            ));
        }
        if let Some(delay) = config.latency {
            router = router.layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                    tokio::time::sleep(delay).await;
                    next.run(request).await
                },
            ));
        }
        ReferenceServer {
            router,
            clock,
            limecraft,
            fileverbs,
            lac,
            liquidfiles,
            config,
        }
    }

    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The path of `vendor`'s API base on this server (`/limecraft/api`, or `/api`
    /// when it serves that vendor alone). LAC's is its fixtures' suite API.
    pub fn api_base_path(&self, vendor: Vendor) -> String {
        let base = match vendor {
            Vendor::Lac => self.lac.suite_base_path(),
            other => other.api_base_path(),
        };
        match self.config.only_vendor {
            Some(_) => base.to_owned(),
            None => format!("{}{}", vendor.mount_prefix(), base),
        }
    }

    /// Binds `addr` and serves in a background task until the handle drops.
    pub async fn spawn(self, addr: SocketAddr) -> std::io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router.clone();
        let limits = self.config.limits.clone();
        let task = tokio::spawn(async move {
            serving::serve(listener, router, limits, async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(RunningServer {
            addr: local,
            server: self,
            stop: Some(stop),
            task,
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then lets in-flight
    /// requests finish within the configured grace (`authconform serve`).
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> serving::Stopped {
        serving::serve(
            listener,
            self.router.clone(),
            self.config.limits.clone(),
            shutdown,
        )
        .await
    }
}

/// The vendors' routers under their mount prefixes (`/limecraft`, ...), as
/// `Router::nest` would serve them: a request under a prefix goes to that
/// router with the prefix taken off its path (`/limecraft` alone becomes
/// `/`); anything else is a 404. `nest` rebuilds the path through `format!`
/// and a `NestedPath` per request and wraps every route in two layers, which
/// cost more than the rest of a token-validated request (bench/README.md,
/// issue #24); here the path is cut once, and nothing reads `NestedPath`.
#[derive(Clone)]
struct Mounts {
    mounted: std::sync::Arc<Vec<(&'static str, Router)>>,
    /// An empty router: its fallback is axum's own 404.
    unknown: Router,
}

impl tower::Service<axum::extract::Request> for Mounts {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = <Router as tower::Service<axum::extract::Request>>::Future;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: axum::extract::Request) -> Self::Future {
        let path = req.uri().path();
        let mount = self.mounted.iter().find(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        match mount {
            Some((prefix, router)) if strip_prefix(&mut req, prefix.len()) => {
                router.clone().call(req)
            }
            _ => self.unknown.clone().call(req),
        }
    }
}

/// Takes the first `n` bytes (a mount prefix) off the request's path; false if
/// the result is not a valid path.
fn strip_prefix(req: &mut axum::extract::Request, n: usize) -> bool {
    use axum::http::uri::{PathAndQuery, Uri};
    let rest = req
        .uri()
        .path_and_query()
        .map_or("", |pq| pq.as_str())
        .get(n..)
        .unwrap_or("");
    let stripped = if rest.starts_with('/') {
        PathAndQuery::try_from(rest)
    } else {
        PathAndQuery::try_from(format!("/{rest}"))
    };
    let Ok(stripped) = stripped else {
        return false;
    };
    let mut parts = std::mem::take(req.uri_mut()).into_parts();
    parts.path_and_query = Some(stripped);
    match Uri::from_parts(parts) {
        Ok(uri) => {
            *req.uri_mut() = uri;
            true
        }
        Err(_) => false,
    }
}

/// A 503 (the password hashing pool is full) always says when to retry: a
/// layer of its own rather than `map_response`, which boxes a future per request.
#[derive(Clone, Copy)]
struct RetryAfterOn503;

impl<S> tower::Layer<S> for RetryAfterOn503 {
    type Service = RetryAfterService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryAfterService(inner)
    }
}

#[derive(Clone)]
struct RetryAfterService<S>(S);

impl<S> tower::Service<axum::extract::Request> for RetryAfterService<S>
where
    S: tower::Service<axum::extract::Request, Response = axum::response::Response>,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future = RetryAfterFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        RetryAfterFuture {
            inner: self.0.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    struct RetryAfterFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, E> std::future::Future for RetryAfterFuture<F>
where
    F: std::future::Future<Output = Result<axum::response::Response, E>>,
{
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use axum::http::{HeaderValue, StatusCode, header};
        let mut answer = std::task::ready!(self.project().inner.poll(cx));
        if let Ok(response) = &mut answer
            && response.status() == StatusCode::SERVICE_UNAVAILABLE
            && !response.headers().contains_key(header::RETRY_AFTER)
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::secret::HASH_BUSY_RETRY_AFTER_SECS),
            );
        }
        std::task::Poll::Ready(answer)
    }
}

/// A reference server serving in the background; dropping it stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub server: ReferenceServer,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a target file would give for `vendor`.
    pub fn api_base_url(&self, vendor: Vendor) -> String {
        format!("{}{}", self.url(), self.server.api_base_path(vendor))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}
